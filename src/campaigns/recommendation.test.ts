import { describe, expect, it } from 'vitest';
import { recommend } from './recommendation.js';

const NOW = Date.parse('2026-06-01T00:00:00Z');
const base = { enabled: true, guest: false, lastSignInAt: '2026-05-25T00:00:00Z', department: 'Sales', departmentSize: 20, departmentHolders: 12 };

describe('recommendation', () => {
  it('approves active access most peers hold, saying why', () => {
    const r = recommend(base, NOW);
    expect(r.decision).toBe('approve');
    expect(r.reasons.join(' ')).toContain('12 of 20 people in Sales');
  });
  it('revokes with every reason that applies', () => {
    const r = recommend({ ...base, enabled: false, guest: true, lastSignInAt: '2026-03-01T00:00:00Z', departmentHolders: 1 }, NOW);
    expect(r.decision).toBe('revoke');
    expect(r.reasons).toEqual([
      'The account is disabled at the source.',
      'No sign-in for 92 days.',
      'A guest account, invited from outside the organisation.',
      'Few peers hold this access: 1 of 20 people in Sales.',
    ]);
  });
  it('30 days without sign-in is the threshold; 29 is fine', () => {
    expect(recommend({ ...base, lastSignInAt: '2026-05-02T00:00:00Z' }, NOW).decision).toBe('revoke');
    expect(recommend({ ...base, lastSignInAt: '2026-05-03T00:00:00Z' }, NOW).decision).toBe('approve');
  });
  it('an access key unused for 90+ days, or never used since 90+ days ago', () => {
    expect(recommend({ ...base, lastSignInAt: null, isKey: true, keyLastUsedAt: '2026-02-01T00:00:00Z' }, NOW).reasons[0]).toMatch(/not been used for 120 days/);
    expect(recommend({ ...base, lastSignInAt: null, isKey: true, keyLastUsedAt: null, keyCreatedAt: '2025-01-01T00:00:00Z' }, NOW).reasons[0]).toMatch(/never been used/);
    expect(recommend({ ...base, lastSignInAt: null, isKey: true, keyLastUsedAt: '2026-05-01T00:00:00Z' }, NOW).decision).toBe('approve');
  });
  it('a small department says nothing about peers', () => {
    expect(recommend({ ...base, departmentSize: 3, departmentHolders: 0 }, NOW).decision).toBe('approve');
  });
});
