import type { Runtime } from '../runtime/context.js';
import { nowIso } from '../model/ids.js';
import { getSyncUser } from '../store/sync-repo.js';
import { getPolicy } from '../store/policies-repo.js';
import { getConnection } from '../store/connections-repo.js';
import { recordAudit } from '../audit/audit.js';
import type { JobOutcome } from '../engine/worker.js';
import { syncDestination } from './connectors.js';

/**
 * Job `account.delete`: deletes the Google account of a user who left the policy, once the
 * policy's deletion delay has passed. Only accounts Syncwarden created are ever deleted; a
 * user who came back meanwhile (delete_after cleared) keeps theirs. Google keeps a deleted
 * account restorable for 20 days.
 */
export async function deleteDestinationAccount(rt: Runtime, tenantId: string, syncUserId: string): Promise<JobOutcome> {
  const u = await getSyncUser(rt.store.db, tenantId, syncUserId);
  if (!u || u.status !== 'excluded' || !u.delete_after || u.destination_deleted_at || Number(u.destination_created) !== 1) return { type: 'done' };
  if (u.delete_after > nowIso(rt.now())) return { type: 'again', runAt: new Date(u.delete_after) };
  const policy = await getPolicy(rt.store.db, tenantId, u.policy_id);
  const destRow = policy ? await getConnection(rt.store.db, tenantId, policy.destination_connection_id) : undefined;
  if (!destRow) return { type: 'done' };
  const dest = await syncDestination(rt, tenantId, destRow);
  const existed = await dest.deleteAccount(u.destination_email);
  const now = nowIso(rt.now());
  // The mailbox went with the account: forget what it held, so a user who comes back is
  // synced afresh into a new account rather than assumed present in the deleted one.
  await rt.store.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('items').where('tenant_id', '=', tenantId).where('sync_user_id', '=', u.id).execute();
    await trx.deleteFrom('sync_folders').where('tenant_id', '=', tenantId).where('sync_user_id', '=', u.id).execute();
    await trx
      .updateTable('sync_users')
      .set({
        destination_deleted_at: now, destination_user_id: null, destination_ready_at: null, destination_created: 0,
        exported: 0, imported: 0, failed_items: 0, imported_bytes: 0, window_start: null, folders_listed_at: null,
        category_labels_json: null, cycle_started_at: null, last_sync_at: null, updated_at: now,
      })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', u.id)
      .execute();
  });
  await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
    severity: 'warning', action: 'provisioning.user_deleted', target: { type: 'sync_user', id: u.id, name: u.destination_email },
    message: existed
      ? `Google Workspace account ${u.destination_email} deleted: ${u.email} left the policy on ${u.excluded_at ?? 'an earlier cycle'} and the deletion delay has passed (restorable in the Admin console for 20 days)`
      : `Google Workspace account ${u.destination_email} was already gone when its scheduled deletion ran`,
  });
  return { type: 'done' };
}
