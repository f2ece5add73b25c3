import { describe, expect, it } from 'vitest';
import { addMonths, nextOccurrenceAt } from './recurrence.js';

describe('recurrence', () => {
  const start = Date.parse('2026-01-31T09:00:00Z');
  it('adds calendar months, clamping to the month\'s end', () => {
    expect(new Date(addMonths(start, 1)).toISOString()).toBe('2026-02-28T09:00:00.000Z');
    expect(new Date(addMonths(start, 3)).toISOString()).toBe('2026-04-30T09:00:00.000Z');
  });
  it('one-off has no next; quarterly until N times or a date', () => {
    expect(nextOccurrenceAt({ recurrence: { every: 'none' } }, start, 1)).toBeNull();
    expect(new Date(nextOccurrenceAt({ recurrence: { every: 'quarterly', times: 2 } }, start, 1)!).toISOString()).toBe('2026-04-30T09:00:00.000Z');
    expect(nextOccurrenceAt({ recurrence: { every: 'quarterly', times: 2 } }, start, 2)).toBeNull();
    expect(nextOccurrenceAt({ recurrence: { every: 'yearly', until: '2026-12-31' } }, start, 1)).toBeNull();
    expect(nextOccurrenceAt({ recurrence: { every: 'half_yearly', until: '2026-12-31' } }, start, 1)).not.toBeNull();
  });
  it('counts from the series\' first start: monthly from 31 January keeps the month\'s end', () => {
    const third = nextOccurrenceAt({ recurrence: { every: 'monthly' } }, start, 2, Date.parse('2026-02-28T09:00:05Z'));
    expect(new Date(third!).toISOString()).toBe('2026-03-31T09:00:00.000Z');
  });
  it('skips a slot already past instead of starting it late', () => {
    const late = nextOccurrenceAt({ recurrence: { every: 'monthly' } }, start, 1, Date.parse('2026-03-05T00:00:00Z'));
    expect(new Date(late!).toISOString()).toBe('2026-03-31T09:00:00.000Z');
  });
});
