import { describe, expect, it } from 'vitest';
import { DEFAULT_LEASE_MS, leaseMsFrom, MIN_LEASE_MS } from './worker.js';

describe('the job lease setting', () => {
  it('reads SYNCWARDEN_JOB_LEASE_SECONDS and falls back to the default on a missing or unusable value', () => {
    expect(leaseMsFrom({})).toBe(DEFAULT_LEASE_MS);
    expect(leaseMsFrom({ SYNCWARDEN_JOB_LEASE_SECONDS: '90' })).toBe(90_000);
    expect(leaseMsFrom({ SYNCWARDEN_JOB_LEASE_SECONDS: '7.5' })).toBe(7_500);
    for (const bad of ['', 'soon', '-5', '0', String(MIN_LEASE_MS / 1000 - 1)]) expect(leaseMsFrom({ SYNCWARDEN_JOB_LEASE_SECONDS: bad })).toBe(DEFAULT_LEASE_MS);
  });
});
