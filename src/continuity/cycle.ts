import type { Runtime } from '../runtime/context.js';
import { toAppError, catalogue, type StoredError, type AppError } from '../errors/index.js';
import { newId, nowIso } from '../model/ids.js';
import { updatePolicy } from '../store/policies-repo.js';
import { insertSyncUser, syncUsersOfPolicy, updateSyncUser, usersDueForDeletion, type SyncUserRow } from '../store/sync-repo.js';
import { recordAudit, auditError } from '../audit/audit.js';
import { enqueue } from '../engine/jobs.js';
import { runPool } from '../engine/pool.js';
import type { JobOutcome } from '../engine/worker.js';
import { markConnectionFailed, requireConnection } from '../connections/service.js';
import type { ConnectionRow } from '../store/connections-repo.js';
import { fromJson, toJson } from '../store/json.js';
import type { MailSource, SourceAccount, SourceGroup } from '../connectors/sdk/index.js';
import { requirePolicy, viewPolicy, type HeldCycle, type PolicyView } from './policies.js';
import { needsGroups } from './selection.js';
import { addressOf, planCycle, type CyclePlan, type KnownUser } from './plan.js';
import { syncSource } from './connectors.js';
import { isProbeFailing, openFailover } from './failover/failover.js';

/**
 * One policy cycle: read the source's accounts (and group memberships when the rule needs
 * them), plan the user list (new users Pending, users no longer selected Excluded — the seed:
 * "excluded from the policy automatically on the next sync cycle"), hold the cycle if it
 * would remove too many users at once, queue one mailbox job per user that is due, and queue
 * the deletion of Google accounts whose deletion delay has passed.
 *
 * A connection-level failure blocks every user of the policy with that one error (the seed's
 * "all users are failing"), through `markConnectionFailed`.
 */
export async function runPolicyCycle(rt: Runtime, tenantId: string, policyId: string): Promise<JobOutcome> {
  const policy = viewPolicy(await requirePolicy(rt, tenantId, policyId));
  // A declared outage whose last probe failed: no cycle (it would fail every user); the
  // failover's gentle probe brings forward sync back when Microsoft 365 answers.
  if (isProbeFailing(await openFailover(rt, tenantId, policyId))) return { type: 'done' };
  const sourceRow = await requireConnection(rt, tenantId, policy.sourceConnectionId);
  const destRow = await requireConnection(rt, tenantId, policy.destinationConnectionId);
  const now = nowIso(rt.now());

  let read: { accounts: SourceAccount[]; groupsOf: Map<string, SourceGroup[]> | null };
  try {
    read = await readSource(await syncSource(rt, tenantId, sourceRow), policy);
  } catch (e) {
    const err = toAppError(e);
    if (catalogue[err.code].kind === 'throttle' || catalogue[err.code].retry === 'backoff') throw err; // the worker retries
    await cycleFailed(rt, tenantId, policy, sourceRow, err);
    await updatePolicy(rt.store.db, tenantId, policy.id, { last_cycle_at: now });
    return { type: 'done' };
  }

  const rows = await syncUsersOfPolicy(rt.store.db, tenantId, policy.id);
  const plan = planCycle({
    selection: policy.selection,
    destinationDomain: domainOf(destRow),
    deletionDelayDays: policy.deletionDelayDays,
    massDeletionPercent: policy.massDeletionPercent,
    approvedRemovals: new Set(fromJson<string[]>((await requirePolicy(rt, tenantId, policy.id)).approved_removals_json, [])),
    accounts: read.accounts,
    groupsOf: read.groupsOf,
    known: rows.map(knownUser),
    nowMs: rt.now(),
  });
  await applyPlan(rt, tenantId, policy, plan);

  // Queue every user that is due: quarantined users only when their decayed retry is due.
  for (const user of await syncUsersOfPolicy(rt.store.db, tenantId, policy.id)) {
    if (user.status === 'excluded') continue;
    if (user.status === 'quarantined' && user.next_sync_at && user.next_sync_at > now) continue;
    await enqueue(rt.store.db, tenantId, { kind: 'user.sync', dedupeKey: `user:${user.id}`, payload: { syncUserId: user.id }, again: true }, rt.now());
  }
  for (const user of await usersDueForDeletion(rt.store.db, tenantId, policy.id, nowIso(rt.now()))) {
    await enqueue(rt.store.db, tenantId, { kind: 'account.delete', dedupeKey: `delete:${user.id}`, payload: { syncUserId: user.id } }, rt.now());
  }
  await updatePolicy(rt.store.db, tenantId, policy.id, { last_cycle_at: now });
  return { type: 'done' };
}

/** Every account of the source, and memberships when the rule names groups. */
export async function readSource(source: MailSource, policy: Pick<PolicyView, 'selection'>): Promise<{ accounts: SourceAccount[]; groupsOf: Map<string, SourceGroup[]> | null }> {
  const accounts: SourceAccount[] = [];
  let cursor: string | null = null;
  do {
    const page = await source.listAccounts(cursor);
    accounts.push(...page.items);
    cursor = page.next;
  } while (cursor !== null);
  if (!needsGroups(policy.selection)) return { accounts, groupsOf: null };
  const groupsOf = new Map<string, SourceGroup[]>();
  const enabled = accounts.filter((a) => a.accountEnabled);
  const r = await runPool(enabled, 4, () => false, async (a) => groupsOf.set(a.id, await source.memberOf(a.id)));
  if (r.failed) throw r.error;
  return { accounts, groupsOf };
}

export function knownUser(u: SyncUserRow): KnownUser {
  return {
    id: u.id,
    sourceUserId: u.source_user_id,
    email: u.email,
    displayName: u.display_name,
    status: u.status,
    destinationEmail: u.destination_email,
    destinationCreated: Number(u.destination_created) === 1,
    destinationDeletedAt: u.destination_deleted_at,
    deleteAfter: u.delete_after,
  };
}

export function domainOf(destRow: ConnectionRow): string {
  return String(fromJson<Record<string, unknown>>(destRow.config_json, {})['domain'] ?? '');
}

async function applyPlan(rt: Runtime, tenantId: string, policy: PolicyView, plan: CyclePlan): Promise<void> {
  const now = nowIso(rt.now());
  const target = { type: 'policy', id: policy.id, name: policy.name };
  for (const { account, destinationEmail } of plan.added) {
    await insertSyncUser(rt.store.db, tenantId, newSyncUser(rt, policy.id, account, destinationEmail, now));
  }
  for (const { user, account } of plan.returning) {
    await updateSyncUser(rt.store.db, tenantId, user.id, {
      status: 'pending', email: addressOf(account), display_name: account.displayName, excluded_at: null, exclusion_reason: null,
      // Back in the policy: the Google account is no longer scheduled for deletion.
      delete_after: null, next_sync_at: now, updated_at: now,
    });
  }
  for (const { user, account } of plan.renamed) {
    // Same object id, new address or name: keep syncing into the same Google account.
    await updateSyncUser(rt.store.db, tenantId, user.id, { email: addressOf(account), display_name: account.displayName, updated_at: now });
    await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
      severity: 'info', action: 'sync.user_renamed', target: { type: 'sync_user', id: user.id, name: addressOf(account) },
      message: `${user.email} was renamed to ${addressOf(account)} in the source; syncing continues into ${user.destinationEmail}`,
    });
  }
  if (plan.held) {
    const held: HeldCycle = {
      at: now, percent: plan.held.percent, threshold: plan.held.threshold, activeCount: plan.activeCount,
      removals: plan.removed.map((r) => ({ syncUserId: r.user.id, sourceUserId: r.user.sourceUserId, email: r.user.email, reason: r.reason })),
    };
    const prior = fromJson<HeldCycle | null>((await requirePolicy(rt, tenantId, policy.id)).held_cycle_json, null);
    const same = prior && JSON.stringify(prior.removals.map((r) => r.sourceUserId).sort()) === JSON.stringify(held.removals.map((r) => r.sourceUserId).sort());
    await updatePolicy(rt.store.db, tenantId, policy.id, { held_cycle_json: toJson(held), updated_at: now });
    if (!same) {
      await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
        ...auditError('sync.mass_removal_held', { count: held.removals.length, total: plan.activeCount, percent: held.percent, policy: policy.name, threshold: held.threshold }, 'policy.cycle_held', target),
        severity: 'warning',
      });
    }
  } else if (plan.removed.length > 0) {
    for (const r of plan.removed) {
      await updateSyncUser(rt.store.db, tenantId, r.user.id, {
        status: 'excluded', excluded_at: now, exclusion_reason: r.reason, delete_after: r.deleteAfter, next_sync_at: null, throttled_by: null, updated_at: now,
      });
    }
    await updatePolicy(rt.store.db, tenantId, policy.id, { approved_removals_json: null, held_cycle_json: null, updated_at: now });
  }
  if (plan.added.length > 0 || (!plan.held && plan.removed.length > 0) || plan.returning.length > 0) {
    const removed = plan.held ? 0 : plan.removed.length;
    const scheduled = plan.held ? 0 : plan.removed.filter((r) => r.deleteAfter).length;
    await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
      severity: 'info', action: 'policy.users_changed', target,
      message: `Policy "${policy.name}": ${plan.added.length} user(s) added, ${plan.returning.length} back, ${removed} excluded${scheduled ? ` (${scheduled} Google account(s) scheduled for deletion)` : ''} (${plan.selectedCount} selected)`,
    });
  }
}

function newSyncUser(rt: Runtime, policyId: string, account: SourceAccount, destinationEmail: string, now: string): Omit<SyncUserRow, 'tenant_id'> {
  return {
    id: newId('su', rt.now()),
    policy_id: policyId,
    source_user_id: account.id,
    email: addressOf(account),
    display_name: account.displayName,
    given_name: account.givenName,
    surname: account.surname,
    destination_email: destinationEmail,
    destination_user_id: null,
    status: 'pending',
    exported: 0,
    imported: 0,
    failed_items: 0,
    last_error_json: null,
    last_sync_at: null,
    next_sync_at: now,
    created_at: now,
    updated_at: now,
    throttled_by: null,
    consecutive_failures: 0,
    transient_retries: 0,
    last_attempt_at: null,
    destination_created: 0,
    destination_ready_at: null,
    excluded_at: null,
    exclusion_reason: null,
    delete_after: null,
    destination_deleted_at: null,
    window_start: null,
    folders_listed_at: null,
    imported_bytes: 0,
    category_labels_json: null,
    cycle_started_at: null,
  };
}

async function cycleFailed(rt: Runtime, tenantId: string, policy: PolicyView, sourceRow: ConnectionRow, err: AppError): Promise<void> {
  const stored: StoredError = err.toJSON();
  const connectionWide = catalogue[err.code].scope === 'connection';
  const now = nowIso(rt.now());
  await rt.store.db
    .updateTable('sync_users')
    .set({ status: connectionWide ? 'blocked' : 'failed', last_error_json: JSON.stringify(stored), throttled_by: null, updated_at: now })
    .where('tenant_id', '=', tenantId)
    .where('policy_id', '=', policy.id)
    .where('status', '!=', 'excluded')
    .execute();
  if (connectionWide) await markConnectionFailed(rt, tenantId, sourceRow.id, stored);
  await recordAudit(rt.store.db, rt.store.dialect, tenantId, auditError(err.code, err.params, 'sync.cycle_failed', { type: 'policy', id: policy.id, name: policy.name }));
}
