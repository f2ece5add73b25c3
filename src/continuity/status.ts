/**
 * A synced user's statuses, as the Sync status page shows them:
 * Pending, Initial Sync, Synced, Throttled (by source or destination, with when it resumes),
 * Blocked by connection, Failed, Quarantined, Excluded.
 */
export const syncStatuses = ['pending', 'initial_sync', 'synced', 'throttled', 'blocked', 'failed', 'quarantined', 'excluded'] as const;
export type SyncStatus = (typeof syncStatuses)[number];

export const STATUS_LABELS: Readonly<Record<SyncStatus, string>> = {
  pending: 'Pending',
  initial_sync: 'Initial Sync',
  synced: 'Synced',
  throttled: 'Throttled',
  blocked: 'Blocked by connection',
  failed: 'Failed',
  quarantined: 'Quarantined',
  excluded: 'Excluded',
};

export function isSyncStatus(s: string): s is SyncStatus {
  return (syncStatuses as readonly string[]).includes(s);
}

/** Consecutive failed cycles after which a user is quarantined. */
export const QUARANTINE_AFTER = 5;
const DAY_MS = 86_400_000;

/**
 * After the Entra provisioning model: a user that keeps failing is quarantined, and the time
 * between attempts doubles from the policy's schedule until it reaches once a day; the first
 * successful sync lifts the quarantine.
 * https://learn.microsoft.com/entra/identity/app-provisioning/application-provisioning-quarantine-status
 */
export function nextAttemptDelayMs(consecutiveFailures: number, scheduleMinutes: number): number {
  const base = scheduleMinutes * 60_000;
  if (consecutiveFailures < QUARANTINE_AFTER) return base;
  return Math.min(DAY_MS, base * 2 ** (consecutiveFailures - QUARANTINE_AFTER + 1));
}

export function statusAfterFailure(consecutiveFailures: number): 'failed' | 'quarantined' {
  return consecutiveFailures >= QUARANTINE_AFTER ? 'quarantined' : 'failed';
}
