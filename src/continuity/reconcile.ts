import type { Runtime } from '../runtime/context.js';
import { nowIso } from '../model/ids.js';
import { fromJson } from '../store/json.js';
import { foldersOfUser, updateFolder, type ItemRow, type SyncUserRow } from '../store/sync-repo.js';
import { getPolicy } from '../store/policies-repo.js';
import { getConnection } from '../store/connections-repo.js';
import { AppError } from '../errors/index.js';
import { syncDestination, syncSource } from './connectors.js';
import { isIgnoredFolder } from './user-sync.js';
import { requireSyncUser } from './views.js';

/**
 * Reconciliation of one user, folder by folder: the source's items in the initial window
 * against what the destination holds under the folder's label, with every gap classified so
 * an admin knows which ones are expected (an item that cannot sync, a change not yet
 * carried) and which are not (a message gone from the destination).
 */
export const gapClasses = [
  /** The item cannot sync (too large, encrypted, unsupported, rejected): listed in the items view with its code. */
  'failed_item',
  /** At the source but not read yet: new since the last cycle; the next cycle brings it. */
  'awaiting_sync',
  /** Written to the destination at a moment a worker stopped; the next run settles it. */
  'in_doubt',
  /** Syncwarden imported it, but the destination no longer holds it under this label (deleted or relabelled there). */
  'missing_in_destination',
  /** The ledger places it in this folder, but the source no longer does: moved or deleted since the last cycle. */
  'changed_since_last_cycle',
  /** Under this label at the destination, but not from this folder (mail received in Google, or labelled there). */
  'extra_in_destination',
] as const;
export type GapClass = (typeof gapClasses)[number];

export interface Gap {
  readonly class: GapClass;
  readonly count: number;
  /** Up to five examples: subjects, ids and codes. */
  readonly examples: readonly { readonly sourceItemId?: string; readonly destinationId?: string; readonly subject?: string | null; readonly code?: string }[];
}

export interface ReconciliationView {
  readonly windowFrom: string;
  readonly source: number;
  readonly destination: number;
  readonly matched: number;
  /** Items of this folder older than the window that the destination holds (e.g. moved in later). */
  readonly outsideWindow: number;
  readonly gaps: readonly Gap[];
}

/** Pure classification, given the three listings. */
export function classify(
  sourceIds: readonly { id: string }[],
  ledgerOfFolder: readonly ItemRow[],
  ledgerById: ReadonlyMap<string, ItemRow>,
  ledgerByDestination: ReadonlyMap<string, ItemRow>,
  destinationIds: readonly string[] | null,
  folderId: string,
  windowFrom: string,
  trashFolder = false,
): ReconciliationView {
  const gaps = new Map<GapClass, Gap['examples'][number][]>();
  const add = (c: GapClass, e: Gap['examples'][number]) => {
    const list = gaps.get(c) ?? [];
    list.push(e);
    gaps.set(c, list);
  };
  const dest = destinationIds === null ? null : new Set(destinationIds);
  const inSource = new Set(sourceIds.map((s) => s.id));
  let matched = 0;
  for (const s of sourceIds) {
    const row = ledgerById.get(s.id);
    if (!row) add('awaiting_sync', { sourceItemId: s.id });
    else if (row.state === 'failed' || row.state === 'retry') add('failed_item', { sourceItemId: s.id, subject: row.subject, code: fromJson<{ code?: string }>(row.error_json, {}).code ?? '' });
    else if (row.state === 'pending') add('in_doubt', { sourceItemId: s.id, subject: row.subject });
    else if (row.source_folder_id !== folderId) add('awaiting_sync', { sourceItemId: s.id, subject: row.subject });
    else if (dest === null || (row.destination_item_id && dest.has(row.destination_item_id))) matched += 1;
    else add('missing_in_destination', { sourceItemId: s.id, destinationId: row.destination_item_id ?? undefined, subject: row.subject });
  }
  let outsideWindow = 0;
  for (const row of ledgerOfFolder) {
    if (row.state !== 'imported' || row.deleted_at || inSource.has(row.source_item_id)) continue;
    if (row.received_at !== null && row.received_at < windowFrom) outsideWindow += 1;
    else add('changed_since_last_cycle', { sourceItemId: row.source_item_id, subject: row.subject });
  }
  if (destinationIds !== null) {
    for (const id of destinationIds) {
      const row = ledgerByDestination.get(id);
      // Deleted at the source and moved to Trash by Syncwarden: accounted for in Deleted Items.
      if (row?.deleted_at && trashFolder) continue;
      if (!row || row.source_folder_id !== folderId) add('extra_in_destination', { destinationId: id, subject: row?.subject ?? null });
    }
  }
  return {
    windowFrom,
    source: sourceIds.length,
    destination: destinationIds === null ? matched : destinationIds.length,
    matched,
    outsideWindow,
    gaps: gapClasses.filter((c) => gaps.has(c)).map((c) => ({ class: c, count: gaps.get(c)!.length, examples: gaps.get(c)!.slice(0, 5) })),
  };
}

export async function reconcileUser(rt: Runtime, tenantId: string, key: string): Promise<{ user: string; folders: { name: string; reconciliation: ReconciliationView }[] }> {
  const user = await requireSyncUser(rt, tenantId, key);
  if (user.status === 'excluded') throw new AppError('request.invalid', { detail: `${user.email} is excluded from its policy; there is nothing to reconcile` });
  if (!user.window_start || !user.destination_ready_at) throw new AppError('request.invalid', { detail: `${user.email} has not started syncing yet` });
  const policy = await getPolicy(rt.store.db, tenantId, user.policy_id);
  const sourceRow = policy ? await getConnection(rt.store.db, tenantId, policy.source_connection_id) : undefined;
  const destRow = policy ? await getConnection(rt.store.db, tenantId, policy.destination_connection_id) : undefined;
  if (!sourceRow || !destRow) throw new AppError('request.not_found', { entity: 'policy', id: user.policy_id });
  const source = await syncSource(rt, tenantId, sourceRow);
  const dest = await syncDestination(rt, tenantId, destRow);
  const ledger = await allItems(rt, tenantId, user);
  const byId = new Map(ledger.map((r) => [r.source_item_id, r]));
  const byDestination = new Map(ledger.filter((r) => r.destination_item_id).map((r) => [r.destination_item_id!, r]));
  const out: { name: string; reconciliation: ReconciliationView }[] = [];
  for (const f of await foldersOfUser(rt.store.db, tenantId, user.id)) {
    if (f.gone_at || isIgnoredFolder(f)) continue;
    const stubs: { id: string }[] = [];
    let cursor: string | null = null;
    do {
      const page = await source.listFolderStubs(user.source_user_id, f.source_folder_id, new Date(user.window_start), cursor);
      stubs.push(...page.items);
      cursor = page.next;
    } while (cursor !== null);
    // The folder's own label: a user label, or INBOX / SENT / TRASH / SPAM; drafts by DRAFT.
    const labels = fromJson<string[]>(f.label_ids_json, []);
    const label = labels[0] ?? (f.well_known === 'drafts' ? 'DRAFT' : null);
    let destIds: string[] | null = null;
    if (label) {
      destIds = [];
      let token: string | null = null;
      do {
        const page = await dest.listMessageIds(user.destination_email, label, token);
        destIds.push(...page.items);
        token = page.next;
      } while (token !== null);
    }
    const view = classify(stubs, ledger.filter((r) => r.source_folder_id === f.source_folder_id), byId, byDestination, destIds, f.source_folder_id, user.window_start, label === 'TRASH');
    const now = nowIso(rt.now());
    await updateFolder(rt.store.db, tenantId, f.id, { reconcile_json: JSON.stringify(view), reconciled_at: now, updated_at: now });
    out.push({ name: fromJson<string[]>(f.path_json, [f.display_name]).join(' / '), reconciliation: view });
  }
  return { user: user.email, folders: out };
}

async function allItems(rt: Runtime, tenantId: string, user: SyncUserRow): Promise<ItemRow[]> {
  return rt.store.db.selectFrom('items').selectAll().where('tenant_id', '=', tenantId).where('sync_user_id', '=', user.id).execute();
}
