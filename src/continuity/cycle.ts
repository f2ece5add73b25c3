import type { Runtime } from '../runtime/context.js';
import { toAppError, catalogue, type StoredError } from '../errors/index.js';
import { newId, nowIso } from '../model/ids.js';
import { updatePolicy } from '../store/policies-repo.js';
import { insertSyncUser, syncUsersOfPolicy, updateSyncUser } from '../store/sync-repo.js';
import { recordAudit, auditError } from '../audit/audit.js';
import { enqueue } from '../engine/jobs.js';
import type { JobOutcome } from '../engine/worker.js';
import { markConnectionFailed, openMailSource, requireConnection } from '../connections/service.js';
import { fromJson } from '../store/json.js';
import type { SourceAccount } from '../connectors/sdk/index.js';
import { requirePolicy, viewPolicy } from './policies.js';
import { destinationEmailFor, selects } from './selection.js';

/**
 * One policy cycle: read the source's accounts, apply the selection rule, bring the policy's
 * user list up to date (new users Pending, users no longer selected Excluded — as the seed
 * says, "excluded from the policy automatically on the next sync cycle"), and queue one
 * mailbox job per selected user. A connection-level failure fails every user of the policy
 * with that one error (the seed's "all users are failing").
 */
export async function runPolicyCycle(rt: Runtime, tenantId: string, policyId: string): Promise<JobOutcome> {
  const policyRow = await requirePolicy(rt, tenantId, policyId);
  const policy = viewPolicy(policyRow);
  const sourceRow = await requireConnection(rt, tenantId, policy.sourceConnectionId);
  const destRow = await requireConnection(rt, tenantId, policy.destinationConnectionId);
  const destDomain = String(fromJson<Record<string, unknown>>(destRow.config_json, {})['domain'] ?? '');
  const now = nowIso(rt.now());

  let accounts: SourceAccount[];
  try {
    const source = await openMailSource(rt, tenantId, sourceRow);
    accounts = [];
    let cursor: string | null = null;
    do {
      const page = await source.listAccounts(cursor);
      accounts.push(...page.items);
      cursor = page.next;
    } while (cursor !== null);
  } catch (e) {
    const err = toAppError(e);
    if (catalogue[err.code].kind === 'throttle' || catalogue[err.code].retry === 'backoff') throw err; // the worker retries
    await failPolicyUsers(rt, tenantId, policy.id, err.toJSON());
    if (catalogue[err.code].scope === 'connection') await markConnectionFailed(rt, tenantId, sourceRow.id, err.toJSON());
    await recordAudit(rt.store.db, rt.store.dialect, tenantId, auditError(err.code, err.params, 'sync.cycle_failed', { type: 'policy', id: policy.id, name: policy.name }));
    await updatePolicy(rt.store.db, tenantId, policy.id, { last_cycle_at: now });
    return { type: 'done' };
  }

  const existing = new Map((await syncUsersOfPolicy(rt.store.db, tenantId, policy.id)).map((u) => [u.source_user_id, u]));
  const selected = accounts.filter((a) => selects(policy.selection, a));
  const selectedIds = new Set(selected.map((a) => a.id));
  let added = 0;
  for (const account of selected) {
    const email = (account.mail ?? account.userPrincipalName).toLowerCase();
    const prior = existing.get(account.id);
    if (!prior) {
      added += 1;
      await insertSyncUser(rt.store.db, tenantId, {
        id: newId('su', rt.now()),
        policy_id: policy.id,
        source_user_id: account.id,
        email,
        display_name: account.displayName,
        given_name: account.givenName,
        surname: account.surname,
        destination_email: destinationEmailFor(account, destDomain),
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
      });
    } else if (prior.status === 'excluded' || prior.email !== email || prior.display_name !== account.displayName) {
      await updateSyncUser(rt.store.db, tenantId, prior.id, {
        email,
        display_name: account.displayName,
        status: prior.status === 'excluded' ? 'pending' : prior.status,
        updated_at: now,
      });
    }
  }
  let excluded = 0;
  for (const user of existing.values()) {
    if (!selectedIds.has(user.source_user_id) && user.status !== 'excluded') {
      excluded += 1;
      await updateSyncUser(rt.store.db, tenantId, user.id, { status: 'excluded', next_sync_at: null, updated_at: now });
    }
  }

  const users = await syncUsersOfPolicy(rt.store.db, tenantId, policy.id);
  for (const user of users) {
    if (user.status === 'excluded') continue;
    await enqueue(rt.store.db, tenantId, { kind: 'user.sync', dedupeKey: `user:${user.id}`, payload: { syncUserId: user.id } }, rt.now());
  }
  await updatePolicy(rt.store.db, tenantId, policy.id, { last_cycle_at: now });
  if (added > 0 || excluded > 0) {
    await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
      severity: 'info', action: 'policy.users_changed', target: { type: 'policy', id: policy.id, name: policy.name },
      message: `Policy "${policy.name}": ${added} user(s) added, ${excluded} excluded (${selected.length} selected of ${accounts.length} in the source)`,
    });
  }
  return { type: 'done' };
}

async function failPolicyUsers(rt: Runtime, tenantId: string, policyId: string, error: StoredError): Promise<void> {
  const now = nowIso(rt.now());
  await rt.store.db
    .updateTable('sync_users')
    .set({ status: 'failed', last_error_json: JSON.stringify(error), updated_at: now })
    .where('tenant_id', '=', tenantId)
    .where('policy_id', '=', policyId)
    .where('status', '!=', 'excluded')
    .execute();
}

