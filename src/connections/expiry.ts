import { AppError, type ErrorCode } from '../errors/index.js';
import type { CheckResult } from '../connectors/sdk/index.js';
import { PREFLIGHT, type ExpiryFacts } from './kinds/types.js';

/** A connection is "Expiring soon" when its credential in use expires within this many days. */
export const EXPIRING_SOON_DAYS = 30;

/** Reminder thresholds in days left, largest first; each is sent once per credential. */
export const REMINDER_DAYS = [30, 14, 7, 1] as const;
export type ReminderThreshold = (typeof REMINDER_DAYS)[number] | 'expired';

const DAY_MS = 86_400_000;

/** Whole days left until `expiresAt` (negative once past). */
export function daysLeft(expiresAt: string, nowMs: number): number {
  return Math.floor((Date.parse(expiresAt) - nowMs) / DAY_MS);
}

/**
 * The reminder due for this many days left: the smallest threshold not below it, or
 * 'expired'; null while more than 30 days are left. Only the latest threshold is due, so a
 * credential first seen at 5 days left gets the 7-day reminder, not all four.
 */
export function reminderDue(days: number): ReminderThreshold | null {
  if (days < 0) return 'expired';
  let due: ReminderThreshold | null = null;
  for (const t of REMINDER_DAYS) if (days <= t) due = t;
  return due;
}

export function addDays(iso: string, days: number): string {
  return new Date(Date.parse(iso) + days * DAY_MS).toISOString();
}

/**
 * The pre-flight expiry finding of a credential: fail once expired (with the kind's own code
 * when it has one, e.g. Certificate expired), warning within 30 days, pass otherwise.
 * Age-policy dates (keys) never fail: the provider still accepts the key; they are due.
 */
export function expiryFinding(facts: ExpiryFacts, expiresAt: string | null, nowMs: number, expiredError?: AppError): CheckResult {
  // "End date of …", not "… has not expired": this is what the credential itself says; the
  // provider may still refuse it (a different certificate registered there), and the sign-in
  // check then says so with both dates — the screen never claims two things at once.
  const label = facts.basis === 'age_policy' ? `Age of the ${facts.what}` : `End date of the ${facts.what}`;
  if (!expiresAt) return { id: PREFLIGHT.expiry, label, status: 'pass', detail: 'no expiry date known' };
  const days = daysLeft(expiresAt, nowMs);
  const date = expiresAt.slice(0, 10);
  if (facts.basis === 'age_policy') {
    const maxAgeDays = facts.maxAgeDays ?? 0;
    // Whole days since creation (the due date minus the policy): a key made an hour ago is 0 days old.
    const ageDays = Math.max(0, Math.floor(maxAgeDays - (Date.parse(expiresAt) - nowMs) / DAY_MS));
    if (days <= EXPIRING_SOON_DAYS) {
      return { id: PREFLIGHT.expiry, label, status: 'warning', error: new AppError('credential.rotation_due', { what: facts.what, ageDays, maxAgeDays }).toJSON(), detail: `rotation due ${date}` };
    }
    return { id: PREFLIGHT.expiry, label, status: 'pass', detail: `${ageDays} day${ageDays === 1 ? '' : 's'} old; rotation due ${date} (${days} days)` };
  }
  if (days < 0) {
    const error = expiredError ?? new AppError('credential.expired', { what: facts.what, expiresAt: date });
    return { id: PREFLIGHT.expiry, label, status: 'fail', error: error.toJSON(), detail: `expired ${date}` };
  }
  if (days <= EXPIRING_SOON_DAYS) {
    return { id: PREFLIGHT.expiry, label, status: 'warning', error: new AppError('credential.expiring_soon', { what: facts.what, expiresAt: date, days }).toJSON(), detail: `expires ${date} (${days} days)` };
  }
  return { id: PREFLIGHT.expiry, label, status: 'pass', detail: `expires ${date} (${days} days)` };
}

/** A failing pre-flight finding. */
export function failFinding(id: string, label: string, code: ErrorCode, params: Record<string, string | number> = {}): CheckResult {
  return { id, label, status: 'fail', error: new AppError(code, params).toJSON() };
}
