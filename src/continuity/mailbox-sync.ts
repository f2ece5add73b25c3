import type { Runtime } from '../runtime/context.js';
import { inDoubtFinder } from './in-doubt.js';
import { AppError, catalogue, toAppError } from '../errors/index.js';
import { fullJitter } from '../errors/policy.js';
import { nowIso } from '../model/ids.js';
import { getSyncUser, updateSyncUser, type SyncUserPatch, type SyncUserRow } from '../store/sync-repo.js';
import { getPolicy } from '../store/policies-repo.js';
import { getConnection, type ConnectionRow } from '../store/connections-repo.js';
import { recordAudit, auditError } from '../audit/audit.js';
import type { JobOutcome } from '../engine/worker.js';
import { markConnectionFailed } from '../connections/service.js';
import type { MailDestination } from '../connectors/sdk/index.js';
import { viewPolicy, type PolicyView } from './policies.js';
import { syncDestination, syncSource, sideOf } from './connectors.js';
import { tenantGate } from './budgets.js';
import { activeFolders, FOLDER_REFRESH_MS, refreshFolders } from './folders.js';
import { syncFolder } from './folder-sync.js';
import { retryItems, settleRemovals } from './removals.js';
import { categoryLabels, type UserSync } from './user-sync.js';
import { nextAttemptDelayMs, statusAfterFailure } from './status.js';
import { forwardSyncWaits } from './failover/failover.js';

const DAY_MS = 86_400_000;

export interface MailboxSyncOptions {
  /**
   * How long one run may work before it yields its worker slot to the next user in the
   * queue (fair sharing); the next run resumes from the checkpoints.
   */
  readonly sliceMs: number;
}

export const DEFAULT_SLICE_MS = 20_000;

/**
 * One run of one user's mailbox sync (job `user.sync`, payload { syncUserId }). A cycle —
 * the destination account, the folder list, the retry queue, every folder to the end of its
 * delta round, then the removal check — may take several runs: each run works for at most a
 * time slice and resumes where the checkpoints say. See ledger.ts for why nothing is lost or
 * imported twice, whatever moment a run is killed at.
 */
export async function syncMailbox(rt: Runtime, tenantId: string, syncUserId: string, signal: AbortSignal, opts: MailboxSyncOptions = { sliceMs: DEFAULT_SLICE_MS }): Promise<JobOutcome> {
  const user = await getSyncUser(rt.store.db, tenantId, syncUserId);
  if (!user || user.status === 'excluded') return { type: 'done' };
  const policyRow = await getPolicy(rt.store.db, tenantId, user.policy_id);
  if (!policyRow) return { type: 'done' };
  const policy = viewPolicy(policyRow);
  // Microsoft 365 down (a declared outage whose last probe failed): wait for the probe, not fail
  // the user; during recovery, wait until this user's recovery is done (failover.ts).
  if (await forwardSyncWaits(rt, tenantId, policy.id, user.id)) return { type: 'done' };
  const sourceRow = await getConnection(rt.store.db, tenantId, policy.sourceConnectionId);
  const destRow = await getConnection(rt.store.db, tenantId, policy.destinationConnectionId);
  if (!sourceRow || !destRow) return { type: 'done' };
  const startedMs = rt.now();
  const deadline = startedMs + opts.sliceMs;
  let u: SyncUserRow = user;
  try {
    const source = await syncSource(rt, tenantId, sourceRow);
    const dest = await syncDestination(rt, tenantId, destRow);
    const { settings } = await tenantGate(rt, tenantId);
    const now = nowIso(startedMs);
    const patch: SyncUserPatch = { last_attempt_at: now, updated_at: now };
    if (!u.window_start) patch.window_start = nowIso(startedMs - policy.initialWindowDays * DAY_MS);
    const newCycle = !u.cycle_started_at;
    if (newCycle) patch.cycle_started_at = now;
    if (u.status === 'throttled') {
      // Resumed after the budget allowed it again.
      patch.status = u.last_sync_at ? 'synced' : 'initial_sync';
      patch.throttled_by = null;
    }
    u = await save(rt, tenantId, u, patch);
    u = await ensureDestinationAccount(rt, tenantId, u, dest);

    const base = {
      rt, tenantId, user: u, policy, source, dest,
      accountId: u.source_user_id,
      email: u.destination_email,
      windowStart: new Date(u.window_start!),
      width: settings.sourceMailbox.concurrent,
      ledger: { db: rt.store.db, tenantId, syncUserId: u.id, now: rt.now },
      categories: categoryLabels(rt, tenantId, u, dest),
      inDoubt: inDoubtFinder({ rt, tenantId, syncUserId: u.id, dest, email: u.destination_email }),
      stop: () => signal.aborted || rt.now() >= deadline,
    };
    const stale = u.folders_listed_at === null || (newCycle && Date.parse(u.folders_listed_at) < startedMs - FOLDER_REFRESH_MS);
    if (stale) await refreshFolders(base);
    const s: UserSync = { ...base, folders: await activeFolders(base) };
    const initial = s.folders.size === 0 || [...s.folders.values()].some((f) => f.row.phase === 'initial');
    if (initial && u.status !== 'initial_sync') u = await save(rt, tenantId, u, { status: 'initial_sync' });

    await retryItems(s);
    for (const folder of s.folders.values()) {
      let outcome: 'done' | 'stopped';
      try {
        outcome = await syncFolder(s, folder);
      } catch (e) {
        if (e instanceof AppError && e.code === 'sync.folder_not_found') {
          // Deleted while we read it: list the folders again on the next run.
          await save(rt, tenantId, u, { folders_listed_at: null });
          throw e;
        }
        throw e;
      }
      if (outcome === 'stopped') {
        await save(rt, tenantId, u, { transient_retries: 0 });
        return { type: 'again', runAt: new Date(rt.now()) };
      }
    }
    await settleRemovals(s);
    await markSynced(rt, tenantId, u, policy);
    return { type: 'done' };
  } catch (e) {
    return handleFailure(rt, tenantId, u, policy, toAppError(e), { source: sourceRow, dest: destRow });
  }
}

async function save(rt: Runtime, tenantId: string, u: SyncUserRow, patch: SyncUserPatch): Promise<SyncUserRow> {
  const full = { updated_at: nowIso(rt.now()), ...patch };
  await updateSyncUser(rt.store.db, tenantId, u.id, full);
  return { ...u, ...full };
}

/**
 * The Google account: found, or created (and remembered as created by Syncwarden — only
 * those are ever deleted); then the mailbox must accept calls, which a new account's does
 * only after a while: until then the user waits as Pending and is asked again with backoff.
 */
async function ensureDestinationAccount(rt: Runtime, tenantId: string, u: SyncUserRow, dest: MailDestination): Promise<SyncUserRow> {
  if (!u.destination_user_id) {
    let account = await dest.getAccount(u.destination_email);
    let created = false;
    if (!account) {
      const r = await dest.createAccount({ primaryEmail: u.destination_email, givenName: u.given_name ?? u.display_name, familyName: u.surname ?? '-' });
      account = r.account;
      created = r.created;
      if (created) {
        await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
          severity: 'info', action: 'provisioning.user_created', target: { type: 'sync_user', id: u.id, name: u.destination_email },
          message: `Google Workspace account ${u.destination_email} created for ${u.email}`,
        });
      }
    }
    u = await save(rt, tenantId, u, {
      destination_user_id: account.id,
      destination_deleted_at: null,
      ...(created ? { destination_created: 1, destination_ready_at: null } : {}),
    });
  }
  if (!u.destination_ready_at) {
    await dest.mailboxReady(u.destination_email);
    u = await save(rt, tenantId, u, { destination_ready_at: nowIso(rt.now()), transient_retries: 0 });
  }
  return u;
}

async function markSynced(rt: Runtime, tenantId: string, u: SyncUserRow, policy: PolicyView): Promise<void> {
  const now = rt.now();
  await save(rt, tenantId, u, {
    status: 'synced',
    last_error_json: null,
    last_sync_at: nowIso(now),
    next_sync_at: nowIso(now + policy.scheduleMinutes * 60_000),
    consecutive_failures: 0,
    transient_retries: 0,
    throttled_by: null,
    cycle_started_at: null,
  });
  if (u.status !== 'synced') {
    const recovered = u.status === 'failed' || u.status === 'quarantined' || u.status === 'blocked';
    await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
      severity: 'info', action: 'sync.user_synced', target: { type: 'sync_user', id: u.id, name: u.email },
      message: `${u.email}: ${recovered ? 'sync recovered' : u.last_sync_at ? 'synced' : 'initial sync complete'}`,
    });
  }
}

/** Waiting for a new Google account: this many tries, up to 5 minutes apart (about 4 hours). */
const MAX_READY_WAITS = 60;
const MAX_TRANSIENT_RETRIES = 6;

/**
 * What a failed run means for the user, by the error's catalogue entry:
 * - throttling (the provider's 429, or our own budget making a request wait too long):
 *   Throttled by source / destination until the time given, then resume;
 * - a new Google account not ready yet: Pending, asked again with backoff;
 * - transient trouble: retried with backoff, a few times, before it counts as a failure;
 * - connection-wide (credentials, permissions): Blocked by connection, recorded on the
 *   connection (markConnectionFailed), and resumed by the next cycle once it works;
 * - anything else: Failed; after repeated failed cycles Quarantined, retried less and less
 *   often (nextAttemptDelayMs) until a run succeeds.
 */
async function handleFailure(rt: Runtime, tenantId: string, u: SyncUserRow, policy: PolicyView, err: AppError, rows: { source: ConnectionRow; dest: ConnectionRow }): Promise<JobOutcome> {
  const def = catalogue[err.code];
  const stored = JSON.stringify(err.toJSON());
  const nowMs = rt.now();
  const side = sideOf(err);

  if (def.kind === 'throttle') {
    const delay = Math.max(1_000, err.retryAfterMs ?? fullJitter(u.transient_retries + 1, 2_000, 60_000, Math.random));
    await save(rt, tenantId, u, { status: 'throttled', throttled_by: side ?? 'destination', last_error_json: stored, next_sync_at: nowIso(nowMs + delay) });
    return { type: 'again', runAt: new Date(nowMs + delay) };
  }
  if (err.code === 'google.user_not_ready' && u.transient_retries < MAX_READY_WAITS) {
    const n = u.transient_retries + 1;
    const delay = Math.min(300_000, 5_000 * 2 ** Math.min(n, 6));
    await save(rt, tenantId, u, { status: 'pending', last_error_json: stored, transient_retries: n, next_sync_at: nowIso(nowMs + delay) });
    return { type: 'again', runAt: new Date(nowMs + delay) };
  }
  if (def.retry === 'backoff' && u.transient_retries < MAX_TRANSIENT_RETRIES) {
    const n = u.transient_retries + 1;
    const delay = Math.max(500, fullJitter(n, 1_000, 60_000, Math.random));
    await save(rt, tenantId, u, { last_error_json: stored, transient_retries: n, next_sync_at: nowIso(nowMs + delay) });
    return { type: 'again', runAt: new Date(nowMs + delay) };
  }
  if (def.scope === 'connection') {
    await save(rt, tenantId, u, { status: 'blocked', throttled_by: null, last_error_json: stored, transient_retries: 0, next_sync_at: null });
    await markConnectionFailed(rt, tenantId, side === 'destination' ? rows.dest.id : rows.source.id, err.toJSON());
    await recordAudit(rt.store.db, rt.store.dialect, tenantId, auditError(err.code, err.params, 'sync.user_blocked', { type: 'sync_user', id: u.id, name: u.email }));
    return { type: 'done' };
  }
  const failures = u.consecutive_failures + 1;
  const status = statusAfterFailure(failures);
  await save(rt, tenantId, u, {
    status, throttled_by: null, last_error_json: stored, consecutive_failures: failures, transient_retries: 0,
    next_sync_at: nowIso(nowMs + nextAttemptDelayMs(failures, policy.scheduleMinutes)),
    // The next run starts a fresh cycle (and may read the folder list again).
    cycle_started_at: null,
  });
  await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
    ...auditError(err.code, err.params, status === 'quarantined' ? 'sync.user_quarantined' : 'sync.user_failed', { type: 'sync_user', id: u.id, name: u.email }),
    ...(status === 'quarantined' && u.status !== 'quarantined' ? { message: `Quarantined after ${failures} failed cycles: ${def.title}` } : {}),
  });
  return { type: 'done' };
}
