import { describe, expect, it } from 'vitest';
import { daysUntil, formatTime, relativeTime } from './format.js';

describe('formatting', () => {
  const now = Date.parse('2026-11-24T12:00:00Z');
  it('relative times', () => {
    expect(relativeTime(null, now)).toBe('never');
    expect(relativeTime('2026-11-24T11:59:50Z', now)).toBe('just now');
    expect(relativeTime('2026-11-24T11:57:00Z', now)).toBe('3 minutes ago');
    expect(relativeTime('2026-11-24T13:00:00Z', now)).toBe('in 1 hour');
    expect(relativeTime('2026-11-21T12:00:00Z', now)).toBe('3 days ago');
  });
  it('days until expiry', () => {
    expect(daysUntil('2026-12-24T12:00:00Z', now)).toBe(30);
    expect(daysUntil('2026-11-23T12:00:00Z', now)).toBe(-1);
  });

  it('one convention for moments, with the zone named', () => {
    expect(formatTime('2026-12-06T17:01:59.999Z')).toBe('2026-12-06 17:01 UTC');
    expect(formatTime(null)).toBe('never');
  });
});
