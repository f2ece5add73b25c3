import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../store/schema.js';
import type { StoredError } from '../errors/index.js';
import { newId, nowIso } from '../model/ids.js';
import type { MessageRef } from '../connectors/sdk/index.js';

/**
 * The item ledger: one row per (user, source item), the record that makes the sync exactly
 * once. Two kinds of writes:
 *
 * 1. `recordPending` — committed *before* anything is written to the destination, with the
 *    RFC 822 Message-ID the destination will hold and a mark of the destination's change log
 *    (in-doubt.ts). A crash after the destination write but before step 2 leaves the row
 *    `pending` ("in doubt"); the next run looks for that Message-ID among what was added
 *    since the mark (and by search) before writing again.
 * 2. `commitPage` — one transaction per chunk of a page that settles the outcomes of its
 *    items, their counters and the hourly activity; the page's last chunk also marks the
 *    items the source reported removed and advances the folder's checkpoint (cursor), in the
 *    same transaction, and only when every item of the page is settled. Ledger and checkpoint
 *    therefore never disagree: a crash re-reads at most the page, and the ledger skips what
 *    is settled.
 */
export interface ItemState {
  /** read */
  readonly r: boolean;
  /** flagged */
  readonly f: boolean;
  /** importance */
  readonly i: 'low' | 'normal' | 'high';
  /** categories */
  readonly c: readonly string[];
  /** draft */
  readonly d: boolean;
  /** content hash (drafts: an edit at the source is re-sent) */
  readonly h?: string;
}

export function stateOf(ref: Pick<MessageRef, 'isRead' | 'flagged' | 'importance' | 'categories' | 'isDraft'>, hash?: string): ItemState {
  return { r: ref.isRead, f: ref.flagged, i: ref.importance, c: [...ref.categories].sort(), d: ref.isDraft, ...(hash ? { h: hash } : {}) };
}

type RefFacts = Pick<MessageRef, 'id' | 'subject' | 'size' | 'receivedDateTime'>;

export type ItemOutcome =
  | {
      readonly kind: 'imported';
      readonly ref: RefFacts;
      readonly folderId: string;
      readonly destinationId: string;
      readonly draftId: string | null;
      readonly labels: readonly string[];
      readonly state: ItemState;
      readonly bytes: number;
      /** A sent message replacing the draft it was: already counted as imported. */
      readonly replaces?: boolean;
    }
  | { readonly kind: 'failed'; readonly ref: RefFacts; readonly folderId: string; readonly error: StoredError; readonly messageId: string | null }
  | {
      readonly kind: 'changed';
      readonly itemId: string;
      readonly folderId: string;
      readonly labels: readonly string[];
      readonly state: ItemState;
      readonly deleted: boolean;
      readonly destinationId?: string;
      readonly draftId?: string | null;
    }
  | { readonly kind: 'deleted'; readonly itemId: string }
  /** The item no longer exists at the source and never reached the destination: forget it. */
  | { readonly kind: 'forgotten'; readonly itemId: string; readonly wasFailed: boolean };

export interface Ledger {
  readonly db: Kysely<Database>;
  readonly tenantId: string;
  readonly syncUserId: string;
  readonly now: () => number;
}

/**
 * Records that an item is about to be written to the destination (durably, first). Inserts
 * the row, or turns an existing `retry`/`pending`/`imported` (a draft being replaced) row
 * back to pending with the Message-ID and labels about to be sent. Counts the item as
 * exported the first time it is seen.
 */
export async function recordPending(l: Ledger, ref: RefFacts, folderId: string, messageId: string, labels: readonly string[], changeMark: string | null): Promise<void> {
  const now = nowIso(l.now());
  await l.db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('items')
      .values({
        tenant_id: l.tenantId,
        id: newId('itm', l.now()),
        sync_user_id: l.syncUserId,
        source_item_id: ref.id,
        source_folder_id: folderId,
        internet_message_id: messageId,
        destination_item_id: null,
        state: 'pending',
        subject: ref.subject?.slice(0, 500) ?? null,
        size: ref.size,
        error_json: null,
        created_at: now,
        updated_at: now,
        received_at: ref.receivedDateTime,
        labels_json: JSON.stringify(labels),
        state_json: null,
        draft_id: null,
        removed_at: null,
        deleted_at: null,
        attempts: 1,
        change_mark: changeMark,
      })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) > 0) {
      await trx.updateTable('sync_users').set({ exported: sql`exported + 1` }).where('tenant_id', '=', l.tenantId).where('id', '=', l.syncUserId).execute();
      return;
    }
    await trx
      .updateTable('items')
      .set({ state: 'pending', internet_message_id: messageId, labels_json: JSON.stringify(labels), source_folder_id: folderId, updated_at: now, attempts: sql`attempts + 1`, change_mark: changeMark })
      .where('tenant_id', '=', l.tenantId)
      .where('sync_user_id', '=', l.syncUserId)
      .where('source_item_id', '=', ref.id)
      .execute();
  });
}

export interface PageCommit {
  readonly outcomes: readonly ItemOutcome[];
  /** Source ids the page reported removed from `folderId`. */
  readonly removedIds?: readonly string[];
  readonly folderId?: string;
  /** The folder row and its new checkpoint, when the page was read to its end. */
  readonly checkpoint?: { readonly folderRowId: string; readonly cursor: string | null; readonly phase: string };
}

/** Settles a page in one transaction (see the module comment). Returns the failed outcomes that changed state (to audit). */
export async function commitPage(l: Ledger, page: PageCommit): Promise<ItemOutcome[]> {
  if (page.outcomes.length === 0 && !page.removedIds?.length && !page.checkpoint) return [];
  const nowMs = l.now();
  const now = nowIso(nowMs);
  return l.db.transaction().execute(async (trx) => {
    const counters = { imported: 0, failed: 0, exported: 0, bytes: 0, changed: 0, deleted: 0 };
    const newlyFailed: ItemOutcome[] = [];
    for (const o of page.outcomes) await settle(trx, l, o, now, counters, newlyFailed);
    if (page.removedIds?.length && page.folderId) {
      await trx
        .updateTable('items')
        .set({ removed_at: now, updated_at: now })
        .where('tenant_id', '=', l.tenantId)
        .where('sync_user_id', '=', l.syncUserId)
        .where('source_item_id', 'in', [...page.removedIds])
        .where('source_folder_id', '=', page.folderId)
        .where('deleted_at', 'is', null)
        .execute();
    }
    if (counters.imported || counters.failed || counters.exported || counters.bytes) {
      await trx
        .updateTable('sync_users')
        .set({
          imported: sql`imported + ${counters.imported}`,
          failed_items: sql`failed_items + ${counters.failed}`,
          exported: sql`exported + ${counters.exported}`,
          imported_bytes: sql`imported_bytes + ${counters.bytes}`,
          updated_at: now,
        })
        .where('tenant_id', '=', l.tenantId)
        .where('id', '=', l.syncUserId)
        .execute();
    }
    if (counters.imported || counters.changed || counters.deleted) await addActivity(trx, l.tenantId, nowMs, counters);
    if (page.checkpoint) {
      await trx
        .updateTable('sync_folders')
        .set({ cursor: page.checkpoint.cursor, phase: page.checkpoint.phase, updated_at: now })
        .where('tenant_id', '=', l.tenantId)
        .where('id', '=', page.checkpoint.folderRowId)
        .execute();
    }
    return newlyFailed;
  });
}

async function settle(
  trx: Transaction<Database>,
  l: Ledger,
  o: ItemOutcome,
  now: string,
  c: { imported: number; failed: number; exported: number; bytes: number; changed: number; deleted: number },
  newlyFailed: ItemOutcome[],
): Promise<void> {
  const items = () => trx.updateTable('items').where('tenant_id', '=', l.tenantId).where('sync_user_id', '=', l.syncUserId);
  switch (o.kind) {
    case 'imported': {
      const r = await items()
        .set({
          state: 'imported', destination_item_id: o.destinationId, draft_id: o.draftId, labels_json: JSON.stringify(o.labels),
          state_json: JSON.stringify(o.state), source_folder_id: o.folderId, received_at: o.ref.receivedDateTime,
          error_json: null, removed_at: null, deleted_at: null, updated_at: now,
        })
        .where('source_item_id', '=', o.ref.id)
        .where('state', '=', 'pending')
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) > 0) {
        if (o.replaces) c.changed += 1;
        else {
          c.imported += 1;
          c.bytes += o.bytes;
        }
      }
      return;
    }
    case 'failed': {
      // Never seen before (refused before download): the ledger still gets its row.
      const ins = await trx
        .insertInto('items')
        .values({
          tenant_id: l.tenantId, id: newId('itm', Date.parse(now)), sync_user_id: l.syncUserId, source_item_id: o.ref.id, source_folder_id: o.folderId,
          internet_message_id: o.messageId, destination_item_id: null, state: 'failed', subject: o.ref.subject?.slice(0, 500) ?? null, size: o.ref.size,
          error_json: JSON.stringify(o.error), created_at: now, updated_at: now, received_at: o.ref.receivedDateTime,
          labels_json: null, state_json: null, draft_id: null, removed_at: null, deleted_at: null, attempts: 1,
        })
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      if (Number(ins.numInsertedOrUpdatedRows ?? 0n) > 0) {
        c.exported += 1;
        c.failed += 1;
        newlyFailed.push(o);
        return;
      }
      const r = await items()
        .set({ state: 'failed', error_json: JSON.stringify(o.error), updated_at: now })
        .where('source_item_id', '=', o.ref.id)
        .where('state', 'in', ['pending', 'retry'])
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) > 0) {
        c.failed += 1;
        newlyFailed.push(o);
      }
      return;
    }
    case 'changed': {
      await items()
        .set({
          labels_json: JSON.stringify(o.labels), state_json: JSON.stringify(o.state), source_folder_id: o.folderId,
          removed_at: null, deleted_at: o.deleted ? now : null, updated_at: now,
          ...(o.destinationId !== undefined ? { destination_item_id: o.destinationId } : {}),
          ...(o.draftId !== undefined ? { draft_id: o.draftId } : {}),
        })
        .where('id', '=', o.itemId)
        .execute();
      c.changed += 1;
      return;
    }
    case 'deleted': {
      const r = await items().set({ deleted_at: now, removed_at: null, updated_at: now }).where('id', '=', o.itemId).where('deleted_at', 'is', null).executeTakeFirst();
      if (Number(r.numUpdatedRows) > 0) c.deleted += 1;
      return;
    }
    case 'forgotten': {
      const r = await trx.deleteFrom('items').where('tenant_id', '=', l.tenantId).where('sync_user_id', '=', l.syncUserId).where('id', '=', o.itemId).where('state', '!=', 'imported').executeTakeFirst();
      if (Number(r.numDeletedRows) > 0) {
        c.exported -= 1;
        if (o.wasFailed) c.failed -= 1;
      }
      return;
    }
  }
}

async function addActivity(trx: Transaction<Database>, tenantId: string, nowMs: number, c: { imported: number; changed: number; deleted: number; bytes: number }): Promise<void> {
  const hour = nowIso(nowMs).slice(0, 13);
  await trx
    .insertInto('sync_activity')
    .values({ tenant_id: tenantId, hour, imported: c.imported, changed: c.changed, deleted: c.deleted, bytes: c.bytes })
    .onConflict((oc) =>
      oc.columns(['tenant_id', 'hour']).doUpdateSet({
        imported: sql`sync_activity.imported + ${c.imported}`,
        changed: sql`sync_activity.changed + ${c.changed}`,
        deleted: sql`sync_activity.deleted + ${c.deleted}`,
        bytes: sql`sync_activity.bytes + ${c.bytes}`,
      }),
    )
    .execute();
}

/** "Retry failed items": failed rows become `retry`; the next run imports just those. */
export async function markFailedForRetry(db: Kysely<Database>, tenantId: string, syncUserId: string, nowMs: number, sourceItemIds?: readonly string[]): Promise<number> {
  return db.transaction().execute(async (trx) => {
    let q = trx
      .updateTable('items')
      .set({ state: 'retry', updated_at: nowIso(nowMs) })
      .where('tenant_id', '=', tenantId)
      .where('sync_user_id', '=', syncUserId)
      .where('state', '=', 'failed');
    if (sourceItemIds?.length) q = q.where('source_item_id', 'in', [...sourceItemIds]);
    const r = await q.executeTakeFirst();
    const n = Number(r.numUpdatedRows);
    if (n > 0) {
      await trx.updateTable('sync_users').set({ failed_items: sql`failed_items - ${n}`, updated_at: nowIso(nowMs) }).where('tenant_id', '=', tenantId).where('id', '=', syncUserId).execute();
    }
    return n;
  });
}
