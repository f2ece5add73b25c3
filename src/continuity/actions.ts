import type { Runtime } from '../runtime/context.js';
import { nowIso } from '../model/ids.js';
import { updateSyncUser } from '../store/sync-repo.js';
import { recordAudit } from '../audit/audit.js';
import { AppError } from '../errors/index.js';
import { markFailedForRetry } from './ledger.js';
import { queueUserSync } from './jobs.js';
import { requireSyncUser } from './views.js';

/**
 * "Retry failed items": the user's failed items (or the ones named) are queued to be tried
 * again, and the user's sync runs now; nothing else is re-read.
 */
export async function retryFailedItems(rt: Runtime, tenantId: string, key: string, sourceItemIds?: readonly string[], actor = 'admin'): Promise<{ queued: number }> {
  const u = await requireSyncUser(rt, tenantId, key);
  if (u.status === 'excluded') throw new AppError('request.invalid', { detail: `${u.email} is excluded from its policy` });
  const n = await markFailedForRetry(rt.store.db, tenantId, u.id, rt.now(), sourceItemIds);
  if (n > 0) {
    await queueUserSync(rt, tenantId, u.id);
    await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
      severity: 'info', action: 'sync.items_retry_requested', actor, target: { type: 'sync_user', id: u.id, name: u.email },
      message: `${n} failed item(s) of ${u.email} queued to be retried`,
    });
  }
  return { queued: n };
}

/** "Retry now": runs the user's sync now, whatever its schedule or quarantine says. */
export async function retryUserNow(rt: Runtime, tenantId: string, key: string, actor = 'admin'): Promise<{ queued: boolean }> {
  const u = await requireSyncUser(rt, tenantId, key);
  if (u.status === 'excluded') throw new AppError('request.invalid', { detail: `${u.email} is excluded from its policy` });
  const now = nowIso(rt.now());
  await updateSyncUser(rt.store.db, tenantId, u.id, { next_sync_at: now, transient_retries: 0, updated_at: now });
  const queued = await queueUserSync(rt, tenantId, u.id);
  await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
    severity: 'info', action: 'sync.user_retry_requested', actor, target: { type: 'sync_user', id: u.id, name: u.email },
    message: `Sync of ${u.email} requested now${u.status === 'quarantined' ? ' (quarantined)' : ''}`,
  });
  return { queued };
}
