import type { MessageRef } from '../../connectors/sdk/index.js';
import { newId, nowIso } from '../../model/ids.js';
import { stateOf } from '../ledger.js';
import { desiredLabels, type FolderState, type UserSync } from '../user-sync.js';

/**
 * No loops: a message recovery wrote into Microsoft 365 (or found already there) shows up in
 * the next delta round as a new item. Gmail already holds it — it came from there — so forward
 * sync must not import it again. Before importing an item it has never seen, forward sync asks
 * the recovery ledger for its Message-ID; a match teaches the forward ledger the item as
 * imported (pointing at the Gmail original) instead. The recovery row is committed `pending`
 * before the write, so a crash between writing and recording cannot let the item slip through.
 */
export async function learnRecovered(s: UserSync, folder: FolderState, ref: MessageRef): Promise<boolean> {
  if (!ref.internetMessageId || ref.isDraft) return false;
  const hit = await s.rt.store.db
    .selectFrom('recovery_items')
    .select(['gmail_id', 'state', 'skip_reason'])
    .where('tenant_id', '=', s.tenantId)
    .where('sync_user_id', '=', s.user.id)
    .where('internet_message_id', '=', ref.internetMessageId)
    .where((eb) => eb.or([eb('state', 'in', ['pending', 'written']), eb.and([eb('state', '=', 'skipped'), eb('skip_reason', '=', 'already_present')])]))
    .limit(1)
    .executeTakeFirst();
  if (!hit) return false;
  const now = nowIso(s.rt.now());
  // The labels forward sync would give it, so its next changes (read in Outlook, moved) are carried as usual.
  const labels = await desiredLabels(s, folder, ref);
  await s.rt.store.db
    .insertInto('items')
    .values({
      tenant_id: s.tenantId, id: newId('itm', s.rt.now()), sync_user_id: s.user.id, source_item_id: ref.id, source_folder_id: folder.row.source_folder_id,
      internet_message_id: ref.internetMessageId, destination_item_id: hit.gmail_id, state: 'imported', subject: ref.subject?.slice(0, 500) ?? null, size: ref.size,
      error_json: null, created_at: now, updated_at: now, received_at: ref.receivedDateTime, labels_json: JSON.stringify(labels), state_json: JSON.stringify(stateOf(ref)),
      draft_id: null, removed_at: null, deleted_at: null, attempts: 0,
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
  return true;
}
