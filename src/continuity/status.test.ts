import { describe, expect, it } from 'vitest';
import { nextAttemptDelayMs, QUARANTINE_AFTER, statusAfterFailure } from './status.js';

describe('quarantine with decaying retries', () => {
  it('retries every cycle until quarantined, then doubles up to once a day', () => {
    expect(statusAfterFailure(1)).toBe('failed');
    expect(statusAfterFailure(QUARANTINE_AFTER - 1)).toBe('failed');
    expect(statusAfterFailure(QUARANTINE_AFTER)).toBe('quarantined');
    expect(nextAttemptDelayMs(1, 15)).toBe(15 * 60_000);
    expect(nextAttemptDelayMs(QUARANTINE_AFTER, 15)).toBe(30 * 60_000);
    expect(nextAttemptDelayMs(QUARANTINE_AFTER + 1, 15)).toBe(60 * 60_000);
    expect(nextAttemptDelayMs(QUARANTINE_AFTER + 20, 15)).toBe(86_400_000);
    const delays = Array.from({ length: 12 }, (_, i) => nextAttemptDelayMs(QUARANTINE_AFTER + i, 15));
    expect(delays.every((d, i) => i === 0 || d >= delays[i - 1]!)).toBe(true);
  });
});
