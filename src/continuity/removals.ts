import { itemsInState, removedCandidates, updateSyncUser, type ItemRow } from '../store/sync-repo.js';
import { runPool } from '../engine/pool.js';
import { withPriority } from '../engine/rate-priority.js';
import { nowIso } from '../model/ids.js';
import { commitPage, type ItemOutcome } from './ledger.js';
import { processRef } from './items.js';
import { auditFailedItems } from './audit-items.js';
import type { UserSync } from './user-sync.js';

/**
 * Items a folder's delta reported removed. The delta cannot tell a deletion from a move to a
 * folder synced earlier in the cycle, so each is looked up once at the end of the cycle: gone
 * at the source → moved to Trash at the destination (deletions "to Trash"); found in another
 * folder → carried as a move; found in a folder not known yet → the folder list is read again
 * on the next run and the item waits for it.
 */
export async function settleRemovals(s: UserSync): Promise<void> {
  const candidates = await removedCandidates(s.rt.store.db, s.tenantId, s.user.id);
  if (candidates.length === 0) return;
  let unknownFolder = false;
  const run = await runPool(candidates, s.width, () => false, async (row): Promise<ItemOutcome | ItemOutcome[] | null> => {
    const found = await s.source.getMessage(s.accountId, row.source_item_id);
    if (found) {
      const folder = s.folders.get(found.folderId);
      if (!folder) {
        unknownFolder = true;
        return null;
      }
      return (await processRef(s, folder, found, row)) ?? { kind: 'changed', itemId: row.id, folderId: folder.row.source_folder_id, labels: JSON.parse(row.labels_json ?? '[]') as string[], state: JSON.parse(row.state_json ?? 'null') ?? { r: true, f: false, i: 'normal', c: [], d: false }, deleted: false };
    }
    return deletedAtSource(s, row);
  });
  await commitPage(s.ledger, { outcomes: run.results.flatMap((o) => (o ? (Array.isArray(o) ? o : [o]) : [])) });
  if (unknownFolder) await updateSyncUser(s.rt.store.db, s.tenantId, s.user.id, { folders_listed_at: null, updated_at: nowIso(s.rt.now()) });
  if (run.failed) throw run.error;
}

async function deletedAtSource(s: UserSync, row: ItemRow): Promise<ItemOutcome | ItemOutcome[] | null> {
  if (row.state === 'imported' && row.destination_item_id) {
    await s.dest.trash(s.email, row.destination_item_id);
    return { kind: 'deleted', itemId: row.id };
  }
  if (row.state === 'pending' && row.internet_message_id) {
    // In doubt and deleted meanwhile: if the import happened, that message goes to Trash too.
    const messageId = row.internet_message_id;
    const ids = await withPriority(() => s.inDoubt.locate(messageId, row.change_mark));
    if (ids[0]) {
      await s.dest.trash(s.email, ids[0]);
      const ref = { id: row.source_item_id, subject: row.subject, size: row.size === null ? null : Number(row.size), receivedDateTime: row.received_at };
      const labels = JSON.parse(row.labels_json ?? '[]') as string[];
      return [
        { kind: 'imported', ref, folderId: row.source_folder_id, destinationId: ids[0], draftId: null, labels, state: { r: true, f: false, i: 'normal', c: [], d: false }, bytes: ref.size ?? 0 },
        { kind: 'deleted', itemId: row.id },
      ];
    }
  }
  return { kind: 'forgotten', itemId: row.id, wasFailed: row.state === 'failed' };
}

/**
 * "Retry failed items": rows an admin set to `retry` are looked up at the source and imported
 * again through the usual path (pending first, then the destination write).
 */
export async function retryItems(s: UserSync): Promise<void> {
  const rows = await itemsInState(s.rt.store.db, s.tenantId, s.user.id, ['retry'], 200);
  if (rows.length === 0) return;
  const run = await runPool(rows, s.width, s.stop, async (row): Promise<ItemOutcome | null> => {
    const found = await s.source.getMessage(s.accountId, row.source_item_id);
    if (!found) return { kind: 'forgotten', itemId: row.id, wasFailed: false };
    const folder = s.folders.get(found.folderId) ?? s.folders.get(row.source_folder_id);
    if (!folder) return { kind: 'forgotten', itemId: row.id, wasFailed: false };
    return processRef(s, folder, found, row);
  });
  const failed = await commitPage(s.ledger, { outcomes: run.results.filter((o): o is ItemOutcome => !!o) });
  await s.categories.persist();
  await auditFailedItems(s, failed);
  if (run.failed) throw run.error;
}
