import { describe, expect, it } from 'vitest';
import { daysLeft, expiryFinding, reminderDue } from './expiry.js';

const DAY = 86_400_000;
const now = Date.parse('2026-03-01T12:00:00Z');

describe('credential expiry', () => {
  it('counts whole days left, negative once past', () => {
    expect(daysLeft(new Date(now + 23.5 * DAY).toISOString(), now)).toBe(23);
    expect(daysLeft(new Date(now - 0.5 * DAY).toISOString(), now)).toBe(-1);
  });

  it('is due for one reminder per threshold — 30, 14, 7, 1 days, expired — only the latest', () => {
    expect(reminderDue(45)).toBeNull();
    expect(reminderDue(31)).toBeNull();
    expect(reminderDue(30)).toBe(30);
    expect(reminderDue(15)).toBe(30);
    expect(reminderDue(14)).toBe(14);
    expect(reminderDue(8)).toBe(14);
    expect(reminderDue(5)).toBe(7);
    expect(reminderDue(1)).toBe(1);
    expect(reminderDue(0)).toBe(1);
    expect(reminderDue(-1)).toBe('expired');
  });

  it('fails once expired, warns within 30 days, and never fails an age-policy date', () => {
    const cert = { what: 'certificate CN=x', basis: 'credential' as const, maxAgeDays: null };
    expect(expiryFinding(cert, new Date(now - DAY).toISOString(), now).status).toBe('fail');
    expect(expiryFinding(cert, new Date(now + 10 * DAY).toISOString(), now)).toMatchObject({ status: 'warning', error: { code: 'credential.expiring_soon' } });
    expect(expiryFinding(cert, new Date(now + 90 * DAY).toISOString(), now).status).toBe('pass');
    const key = { what: 'service-account key 1a2b', basis: 'age_policy' as const, maxAgeDays: 90 };
    expect(expiryFinding(key, new Date(now - 5 * DAY).toISOString(), now)).toMatchObject({ status: 'warning', error: { code: 'credential.rotation_due', params: { ageDays: 95 } } });
  });
});
