import { describe, expect, it } from 'vitest';
import { formatUtc } from './time.js';

describe('formatUtc', () => {
  it('date and minute with the zone named; a missing moment says so', () => {
    expect(formatUtc('2026-12-06T22:05:52.689Z')).toBe('2026-12-06 22:05 UTC');
    expect(formatUtc('2026-12-06T23:05:52+01:00')).toBe('2026-12-06 22:05 UTC');
    expect(formatUtc(null)).toBe('never');
    expect(formatUtc(null, 'at the next cycle')).toBe('at the next cycle');
  });
});
