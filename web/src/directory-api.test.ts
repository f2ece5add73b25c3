import { describe, expect, it } from 'vitest';
import { clockTime, filterParams, formatDuration, identitiesCsvUrl } from './directory-api.js';

describe('identity inventory client helpers', () => {
  it('sends only the filters that are set, trimmed', () => {
    expect(filterParams({ q: ' ada ', connection: '', status: 'active', type: '' }, { limit: '50', offset: '0' }).toString()).toBe('q=ada&status=active&limit=50&offset=0');
  });
  it('the CSV export carries the filters and no paging', () => {
    expect(identitiesCsvUrl({ q: 'Frances Shannon', connection: 'conn_1' })).toBe('/api/v1/identities.csv?q=Frances+Shannon&connection=conn_1');
    expect(identitiesCsvUrl({})).toBe('/api/v1/identities.csv');
  });
  it('durations read as people say them', () => {
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(862)).toBe('862 ms');
    expect(formatDuration(42_000)).toBe('42 s');
    expect(formatDuration(83_400)).toBe('1 min 23 s');
    expect(formatDuration(120_000)).toBe('2 min');
    expect(formatDuration(3_900_000)).toBe('1 h 5 min');
  });
  it('a time today shows without its date', () => {
    const at = Date.parse('2026-11-25T10:42:00Z');
    expect(clockTime('2026-11-25T10:42:00Z', at)).not.toContain('2026');
    expect(clockTime('2026-11-20T10:42:00Z', at)).toMatch(/2026/);
  });
});
