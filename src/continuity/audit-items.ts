import { recordAudit, auditError } from '../audit/audit.js';
import type { ItemOutcome } from './ledger.js';
import type { UserSync } from './user-sync.js';

/** Each item that could not sync is logged individually (the seed's "Data discrepancies"). */
export async function auditFailedItems(s: UserSync, failed: readonly ItemOutcome[]): Promise<void> {
  for (const o of failed) {
    if (o.kind !== 'failed') continue;
    await recordAudit(
      s.rt.store.db,
      s.rt.store.dialect,
      s.tenantId,
      auditError(o.error.code, { ...o.error.params, subject: o.ref.subject ?? '' }, 'sync.item_failed', { type: 'sync_user', id: s.user.id, name: s.user.email }),
    );
  }
}
