import { AppError } from '../errors/index.js';
import { itemsBySourceIds } from '../store/sync-repo.js';
import { updateFolder } from '../store/sync-repo.js';
import { nowIso } from '../model/ids.js';
import { runPool } from '../engine/pool.js';
import { commitPage, type ItemOutcome } from './ledger.js';
import { decodeCursor, encodeCursor } from './checkpoint.js';
import { processRef } from './items.js';
import { auditFailedItems } from './audit-items.js';
import type { FolderState, UserSync } from './user-sync.js';

/** Messages per source page: small enough that a stop inside a page re-reads little. */
export const PAGE_SIZE = 50;

/**
 * Reads one folder from its checkpoint to the end of the current delta round, page by page:
 * the initial round (the window, newest first), then the changes since the last round.
 * Each page's items run `s.width` at a time, in chunks whose outcomes commit as they end; the
 * last chunk's transaction also advances the checkpoint (ledger.ts). Returns 'stopped' when the run must yield (its time slice
 * is used up or its lease is lost): work already finished is committed, the checkpoint stays
 * at the page start, and the next run re-reads that page and skips what is settled.
 */
export async function syncFolder(s: UserSync, folder: FolderState): Promise<'done' | 'stopped'> {
  let cursor = decodeCursor(folder.row.cursor);
  for (;;) {
    if (s.stop()) return 'stopped';
    let page;
    try {
      page = await s.source.listMessages(s.accountId, folder.row.source_folder_id, cursor, { since: s.windowStart, pageSize: PAGE_SIZE });
    } catch (e) {
      if (e instanceof AppError && e.code === 'sync.delta_expired' && cursor !== null) {
        // The source forgot our place (410 Gone): re-read the folder from the start; the
        // ledger skips what the destination already holds, so nothing is imported twice.
        cursor = null;
        await updateFolder(s.rt.store.db, s.tenantId, folder.row.id, { cursor: null, updated_at: nowIso(s.rt.now()) });
        continue;
      }
      throw e;
    }
    const live = page.items.filter((m) => !m.removed);
    const removedIds = page.items.filter((m) => m.removed).map((m) => m.id);
    const rows = await itemsBySourceIds(s.rt.store.db, s.tenantId, s.user.id, live.map((m) => m.id));
    const next = page.next ?? page.deltaCursor;
    const phase = page.next === null ? 'delta' : folder.row.phase;
    // Items run `s.width` at a time in chunks; each chunk's outcomes are committed as it ends
    // (progress shows as it happens), and the last chunk's commit carries the checkpoint.
    const chunk = Math.max(12, s.width * 3);
    let complete = true;
    for (let from = 0; from < live.length || from === 0; from += chunk) {
      const part = live.slice(from, from + chunk);
      const run = await runPool(part, s.width, s.stop, (ref) => processRef(s, folder, ref, rows.get(ref.id)));
      const last = from + chunk >= live.length;
      complete = run.complete;
      const failed = await commitPage(s.ledger, {
        outcomes: run.results.filter((o): o is ItemOutcome => o !== null && o !== undefined),
        ...(run.complete && last ? { removedIds, folderId: folder.row.source_folder_id, checkpoint: { folderRowId: folder.row.id, cursor: encodeCursor(next), phase } } : {}),
      });
      await s.categories.persist();
      await auditFailedItems(s, failed);
      if (run.failed) throw run.error;
      if (!run.complete || last) break;
    }
    if (!complete) return 'stopped';
    folder.row = { ...folder.row, cursor: encodeCursor(next), phase };
    cursor = next;
    if (page.next === null) return 'done';
  }
}
