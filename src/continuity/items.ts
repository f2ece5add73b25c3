import { createHash } from 'node:crypto';
import { AppError, catalogue, toAppError } from '../errors/index.js';
import type { MessageRef } from '../connectors/sdk/index.js';
import { destinationClaimed, type ItemRow } from '../store/sync-repo.js';
import { fromJson } from '../store/json.js';
import { recordPending, stateOf, type ItemOutcome, type ItemState } from './ledger.js';
import { labelDiff } from './labels.js';
import { ensureMessageId } from './message-id.js';
import { encryptedAfterDownload, unsupportedBeforeDownload } from './item-kind.js';
import { desiredLabels, type FolderState, type UserSync } from './user-sync.js';
import { learnRecovered } from './failover/learn.js';
import { endPriority, withPriority } from '../engine/rate-priority.js';

/** Gmail's import limit (messages.import maxSize, 50 MB). */
export const MAX_IMPORT_BYTES = 52_428_800;

/**
 * One message seen in a folder's listing → what to do about it, by its ledger row:
 * - no row: new (imported, unless it was received before the initial window);
 * - `pending`: in doubt after a crash — ask the destination before importing again;
 * - `retry`: an admin asked to retry this failed item;
 * - `imported`: carry its changes (read state, flags, categories, a move, a draft edit);
 * - `failed`: settled; only "Retry failed items" tries it again.
 * Item-level failures become `failed` outcomes; anything wider is thrown.
 */
export async function processRef(s: UserSync, folder: FolderState, ref: MessageRef, row: ItemRow | undefined): Promise<ItemOutcome | null> {
  if (!row) {
    if (ref.receivedDateTime !== null && ref.receivedDateTime < s.windowStart.toISOString()) return null;
    // Written back by reverse recovery: Gmail has the original already (no loops).
    if (await learnRecovered(s, folder, ref)) return null;
    return importItem(s, folder, ref, null);
  }
  switch (row.state) {
    case 'pending':
      // A crashed worker's leftover goes ahead of running jobs at the shared budgets, so a
      // taken-over user moves again as soon as its lease ends (rate-priority.ts).
      return withPriority(() => resolveInDoubt(s, folder, ref, row));
    case 'retry':
      return importItem(s, folder, ref, row);
    case 'imported':
      return carryChanges(s, folder, ref, row);
    default:
      return null;
  }
}

function failedOutcome(folder: FolderState, ref: MessageRef, e: unknown, messageId: string | null): ItemOutcome {
  const err = toAppError(e);
  if (catalogue[err.code].scope !== 'item') throw err;
  return { kind: 'failed', ref, folderId: folder.row.source_folder_id, error: err.toJSON(), messageId };
}

function hashOf(raw: Uint8Array): string {
  return createHash('sha256').update(raw).digest('hex').slice(0, 32);
}

/** Reads the message and checks what Gmail cannot hold. */
async function download(s: UserSync, ref: MessageRef): Promise<{ raw: Uint8Array; messageId: string }> {
  if (ref.size !== null && ref.size > MAX_IMPORT_BYTES) throw new AppError('item.too_large', { size: ref.size, limit: MAX_IMPORT_BYTES });
  const unsupported = unsupportedBeforeDownload(ref);
  if (unsupported) throw unsupported;
  const downloaded = await s.source.readMessage(s.accountId, ref.id);
  if (downloaded.byteLength > MAX_IMPORT_BYTES) throw new AppError('item.too_large', { size: downloaded.byteLength, limit: MAX_IMPORT_BYTES });
  const encrypted = encryptedAfterDownload(downloaded);
  if (encrypted) throw encrypted;
  return ensureMessageId(downloaded, ref.id);
}

/**
 * Imports one message (or stores one draft). The ledger row is committed as `pending` with
 * the Message-ID before the destination write — the exactly-once rule. `row` is the existing
 * row for a retry or an in-doubt item that turned out not to be at the destination.
 */
async function importItem(s: UserSync, folder: FolderState, ref: MessageRef, row: ItemRow | null): Promise<ItemOutcome> {
  // A draft that was sent at the source: the sent message replaces the Gmail draft.
  const replacingDraft = row?.draft_id && !ref.isDraft ? row.draft_id : null;
  let messageId: string | null = null;
  try {
    const { raw, messageId: mid } = await download(s, ref);
    messageId = mid;
    const folderId = folder.row.source_folder_id;
    // Read before the write: whatever the write adds comes after this mark in the change log.
    const mark = await s.inDoubt.mark();
    if (ref.isDraft) {
      await recordPending(s.ledger, ref, folderId, mid, [], mark);
      const d = await s.dest.createDraft(s.email, raw);
      endPriority();
      return { kind: 'imported', ref, folderId, destinationId: d.messageId, draftId: d.draftId, labels: [], state: stateOf(ref, hashOf(raw)), bytes: raw.byteLength };
    }
    const labels = await desiredLabels(s, folder, ref);
    await recordPending(s.ledger, ref, folderId, mid, labels, mark);
    const imported = await s.dest.importMessage(s.email, raw, { labelIds: labels });
    endPriority();
    if (replacingDraft) await s.dest.deleteDraft(s.email, replacingDraft);
    return { kind: 'imported', ref, folderId, destinationId: imported.id, draftId: null, labels, state: stateOf(ref), bytes: raw.byteLength, ...(replacingDraft ? { replaces: true } : {}) };
  } catch (e) {
    return failedOutcome(folder, ref, e, messageId);
  }
}

/**
 * An item left `pending` by a crash: the destination write may have happened. Look for its
 * Message-ID among the messages added since the row's change mark — exact at once, where a
 * search may not see a just-written message for minutes — and by search (in-doubt.ts). A
 * destination message another ledger row already accounts for is not ours (two source items
 * can share a Message-ID); found means settled without writing again.
 */
async function resolveInDoubt(s: UserSync, folder: FolderState, ref: MessageRef, row: ItemRow): Promise<ItemOutcome> {
  const messageId = row.internet_message_id;
  if (!messageId) return importItem(s, folder, ref, row);
  try {
    const folderId = folder.row.source_folder_id;
    const candidates = await s.inDoubt.locate(messageId, row.change_mark);
    if (ref.isDraft) {
      const d = await s.dest.findDraft(s.email, messageId);
      if (d) return { kind: 'imported', ref, folderId, destinationId: d.messageId, draftId: d.draftId, labels: [], state: stateOf(ref), bytes: ref.size ?? 0 };
      for (const id of candidates) {
        const draftId = await s.dest.draftOfMessage(s.email, id);
        if (draftId) return { kind: 'imported', ref, folderId, destinationId: id, draftId, labels: [], state: stateOf(ref), bytes: ref.size ?? 0 };
      }
      return importItem(s, folder, ref, row);
    }
    let found: string | null = null;
    for (const id of candidates) {
      if (!(await destinationClaimed(s.rt.store.db, s.tenantId, s.user.id, id))) {
        found = id;
        break;
      }
    }
    if (!found) return importItem(s, folder, ref, row);
    // The labels sent with the import are on the row; bring them up to date if the source changed since.
    const sent = fromJson<string[]>(row.labels_json, []);
    const desired = await desiredLabels(s, folder, ref);
    await applyLabels(s, found, sent, desired);
    const replacingDraft = row.draft_id && !ref.isDraft ? row.draft_id : null;
    if (replacingDraft) await s.dest.deleteDraft(s.email, replacingDraft);
    return { kind: 'imported', ref, folderId, destinationId: found, draftId: null, labels: desired, state: stateOf(ref), bytes: ref.size ?? 0, ...(replacingDraft ? { replaces: true } : {}) };
  } catch (e) {
    return failedOutcome(folder, ref, e, messageId);
  }
}

/** Applies a label change at the destination; false when the message is gone there. */
async function applyLabels(s: UserSync, destinationId: string, current: readonly string[], desired: readonly string[]): Promise<boolean> {
  const diff = labelDiff(current, desired);
  let present = true;
  if (diff.untrash) present = (await s.dest.untrash(s.email, destinationId)) && present;
  if (diff.add.length > 0 || diff.remove.length > 0) present = (await s.dest.modifyLabels(s.email, destinationId, diff.add, diff.remove)) && present;
  if (diff.trash) present = (await s.dest.trash(s.email, destinationId)) && present;
  endPriority();
  return present;
}

function sameState(a: ItemState | null, b: ItemState): boolean {
  return a !== null && a.r === b.r && a.f === b.f && a.i === b.i && a.d === b.d && JSON.stringify(a.c) === JSON.stringify(b.c);
}

/**
 * A message already at the destination, reported again by a delta round (or met again in a
 * re-read): carry what changed — read state, flag, importance, categories, its folder — as
 * label changes, restore it from Trash if it came back, re-send an edited draft, and replace
 * a draft that was sent. Nothing changed → no call at all.
 */
async function carryChanges(s: UserSync, folder: FolderState, ref: MessageRef, row: ItemRow): Promise<ItemOutcome | null> {
  if (row.draft_id && !ref.isDraft) return importItem(s, folder, ref, row);
  const folderId = folder.row.source_folder_id;
  const prior = fromJson<ItemState | null>(row.state_json, null);
  try {
    if (ref.isDraft) {
      const { raw } = await download(s, ref);
      const hash = hashOf(raw);
      if (prior?.h === hash && row.source_folder_id === folderId && !row.removed_at && !row.deleted_at) return null;
      const d = row.draft_id ? await s.dest.updateDraft(s.email, row.draft_id, raw) : await s.dest.createDraft(s.email, raw);
      return { kind: 'changed', itemId: row.id, folderId, labels: [], state: stateOf(ref, hash), deleted: false, destinationId: d.messageId, draftId: d.draftId };
    }
    const state = stateOf(ref);
    const desired = await desiredLabels(s, folder, ref);
    const current = fromJson<string[]>(row.labels_json, []);
    // A message Syncwarden moved to Trash because it was deleted at the source, now back.
    const effective = row.deleted_at ? [...new Set([...current, 'TRASH'])] : current;
    const diff = labelDiff(effective, desired);
    const unchanged = diff.add.length === 0 && diff.remove.length === 0 && !diff.trash && !diff.untrash;
    if (unchanged && row.source_folder_id === folderId && sameState(prior, state) && !row.removed_at && !row.deleted_at) return null;
    if (!unchanged && row.destination_item_id) await applyLabels(s, row.destination_item_id, effective, desired);
    return { kind: 'changed', itemId: row.id, folderId, labels: desired, state, deleted: false };
  } catch (e) {
    const err = toAppError(e);
    if (catalogue[err.code].scope !== 'item') throw err;
    // A change the destination refuses leaves the item as it was; the next change tries again.
    return null;
  }
}
