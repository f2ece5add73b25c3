import { decodeCursor, page } from '../store/keyset.js';
import type { Runtime } from '../runtime/context.js';
import { AppError, parseStoredError, renderStored, type RenderedError } from '../errors/index.js';
import {
  activitySince, countItemsInState, countSyncUsersByStatus, findSyncUser, foldersOfUser, itemCountsByFolder, itemsInState, querySyncUsers, syncUserTotals,
  type SyncUserRow,
} from '../store/sync-repo.js';
import { listPolicies } from '../store/policies-repo.js';
import { listConnections } from '../store/connections-repo.js';
import { fromJson } from '../store/json.js';
import { nowIso } from '../model/ids.js';
import { isSyncStatus, syncStatuses, type SyncStatus } from './status.js';
import type { ReconciliationView } from './reconcile.js';

export { syncStatuses, type SyncStatus } from './status.js';

export interface SyncUserView {
  id: string;
  policyId: string;
  policyName: string;
  sourceUserId: string;
  email: string;
  displayName: string;
  destinationEmail: string;
  status: SyncStatus;
  /** While Throttled: whose limit, and when the sync resumes. */
  throttledBy: 'source' | 'destination' | null;
  resumesAt: string | null;
  exported: number;
  imported: number;
  failedItems: number;
  importedBytes: number;
  /** Initial Sync progress: items settled against the items in the initial window. */
  progress: { done: number; total: number } | null;
  lastError: RenderedError | null;
  /** Last successful sync. */
  lastSyncAt: string | null;
  nextSyncAt: string | null;
  consecutiveFailures: number;
  exclusion: { reason: string | null; at: string | null; deleteAfter: string | null; destinationDeletedAt: string | null } | null;
  destinationCreated: boolean;
  updatedAt: string;
}

function view(row: SyncUserRow, policyNames: Map<string, string>, windowTotal: number | null): SyncUserView {
  const status: SyncStatus = isSyncStatus(row.status) ? row.status : 'pending';
  const throttledBy = status === 'throttled' && (row.throttled_by === 'source' || row.throttled_by === 'destination') ? row.throttled_by : null;
  return {
    id: row.id,
    policyId: row.policy_id,
    policyName: policyNames.get(row.policy_id) ?? '',
    sourceUserId: row.source_user_id,
    email: row.email,
    displayName: row.display_name,
    destinationEmail: row.destination_email,
    status,
    throttledBy,
    resumesAt: status === 'throttled' ? row.next_sync_at : null,
    exported: Number(row.exported),
    imported: Number(row.imported),
    failedItems: Number(row.failed_items),
    importedBytes: Number(row.imported_bytes),
    progress: windowTotal === null ? null : { done: Math.min(Number(row.exported), windowTotal), total: windowTotal },
    lastError: renderStored(parseStoredError(row.last_error_json)),
    lastSyncAt: row.last_sync_at,
    nextSyncAt: status === 'excluded' ? null : row.next_sync_at,
    consecutiveFailures: Number(row.consecutive_failures),
    exclusion: status === 'excluded' ? { reason: row.exclusion_reason, at: row.excluded_at, deleteAfter: row.delete_after, destinationDeletedAt: row.destination_deleted_at } : null,
    destinationCreated: Number(row.destination_created) === 1,
    updatedAt: row.updated_at,
  };
}

async function policyNames(rt: Runtime, tenantId: string): Promise<Map<string, string>> {
  return new Map((await listPolicies(rt.store.db, tenantId)).map((p) => [p.id, p.name]));
}

function fullCounts(raw: Record<string, number>): Record<SyncStatus, number> {
  return Object.fromEntries(syncStatuses.map((s) => [s, raw[s] ?? 0])) as Record<SyncStatus, number>;
}

/** Σ window_total over each user's live folders (the progress bar's denominator). */
async function windowTotals(rt: Runtime, tenantId: string, userIds: readonly string[]): Promise<Map<string, number>> {
  if (userIds.length === 0) return new Map();
  const rows = await rt.store.db
    .selectFrom('sync_folders')
    .where('tenant_id', '=', tenantId)
    .where('sync_user_id', 'in', [...userIds])
    .where('gone_at', 'is', null)
    .where('window_total', 'is not', null)
    .select(['sync_user_id', (eb) => eb.fn.sum<number>('window_total').as('n')])
    .groupBy('sync_user_id')
    .execute();
  return new Map(rows.map((r) => [r.sync_user_id, Number(r.n)]));
}

export async function listSyncUsers(
  rt: Runtime,
  tenantId: string,
  q: { status?: string | undefined; policyId?: string | undefined; q?: string | undefined; limit: number; cursor?: string | undefined },
): Promise<{ users: SyncUserView[]; total: number; totalExact: boolean; nextCursor: string | null; counts: Record<SyncStatus, number> }> {
  const names = await policyNames(rt, tenantId);
  const counts = fullCounts(await countSyncUsersByStatus(rt.store.db, tenantId, q.policyId));
  // Without a search the chips' exact counts already give the total; a search counts up to the cap.
  const searching = Boolean(q.q?.trim());
  const { rows, total, totalExact, nextCursor } = await querySyncUsers(rt.store.db, tenantId, q, { count: searching });
  const exactTotal = searching ? total : q.status ? (counts[q.status as SyncStatus] ?? 0) : Object.values(counts).reduce((a, b) => a + b, 0);
  const totals = await windowTotals(rt, tenantId, rows.filter((r) => r.status === 'initial_sync').map((r) => r.id));
  return { users: rows.map((r) => view(r, names, r.status === 'initial_sync' ? (totals.get(r.id) ?? null) : null)), total: exactTotal, totalExact: searching ? totalExact : true, nextCursor, counts };
}

export async function requireSyncUser(rt: Runtime, tenantId: string, key: string): Promise<SyncUserRow> {
  const row = await findSyncUser(rt.store.db, tenantId, key);
  if (!row) throw new AppError('request.not_found', { entity: 'user', id: key });
  return row;
}

export interface FolderView {
  id: string;
  name: string;
  label: string | null;
  phase: string;
  windowTotal: number | null;
  imported: number;
  failed: number;
  pending: number;
  trashed: number;
  gone: boolean;
  reconciliation: ReconciliationView | null;
  reconciledAt: string | null;
}

export async function syncUserDetail(rt: Runtime, tenantId: string, key: string) {
  const row = await requireSyncUser(rt, tenantId, key);
  const names = await policyNames(rt, tenantId);
  const folders = await foldersOfUser(rt.store.db, tenantId, row.id);
  const counts = await itemCountsByFolder(rt.store.db, tenantId, row.id);
  const totals = await windowTotals(rt, tenantId, [row.id]);
  const countOf = (folder: string, pred: (c: { state: string; trashed: number }) => boolean) => counts.filter((c) => c.folder === folder && pred(c)).reduce((a, c) => a + c.n, 0);
  const folderViews: FolderView[] = folders
    .filter((f) => f.phase !== 'ignored')
    .map((f) => ({
      id: f.source_folder_id,
      name: fromJson<string[]>(f.path_json, [f.display_name]).join(' / '),
      label: f.label_name ?? (fromJson<string[]>(f.label_ids_json, [])[0] ?? null),
      phase: f.phase,
      windowTotal: f.window_total === null ? null : Number(f.window_total),
      imported: countOf(f.source_folder_id, (c) => c.state === 'imported' && c.trashed === 0),
      failed: countOf(f.source_folder_id, (c) => c.state === 'failed' || c.state === 'retry'),
      pending: countOf(f.source_folder_id, (c) => c.state === 'pending'),
      trashed: countOf(f.source_folder_id, (c) => c.state === 'imported' && c.trashed === 1),
      gone: f.gone_at !== null,
      reconciliation: fromJson<ReconciliationView | null>(f.reconcile_json, null),
      reconciledAt: f.reconciled_at,
    }));
  return {
    ...view(row, names, row.status === 'initial_sync' ? (totals.get(row.id) ?? null) : null),
    folders: folderViews,
    failedItemCount: await countItemsInState(rt.store.db, tenantId, row.id, ['failed']),
    retryQueued: await countItemsInState(rt.store.db, tenantId, row.id, ['retry']),
  };
}

export interface ItemView {
  sourceItemId: string;
  folder: string;
  subject: string | null;
  size: number | null;
  receivedAt: string | null;
  state: string;
  error: RenderedError | null;
  at: string;
}

/** The items view: failed items (or any state) with their codes, newest first. */
export async function listUserItems(rt: Runtime, tenantId: string, key: string, q: { state: string; limit: number; cursor?: string | undefined }): Promise<{ items: ItemView[]; total: number; nextCursor: string | null }> {
  const row = await requireSyncUser(rt, tenantId, key);
  const states = q.state === 'failed' ? ['failed', 'retry'] : [q.state];
  const folders = await foldersOfUser(rt.store.db, tenantId, row.id);
  const folderNames = new Map(folders.map((f) => [f.source_folder_id, fromJson<string[]>(f.path_json, [f.display_name]).join(' / ')]));
  const fetched = await itemsInState(rt.store.db, tenantId, row.id, states, q.limit + 1, q.cursor ? decodeCursor(q.cursor, 2) : undefined);
  const { rows: items, nextCursor } = page(fetched, q.limit, (i) => [i.updated_at, i.id]);
  return {
    nextCursor,
    items: items.map((i) => ({
      sourceItemId: i.source_item_id,
      folder: folderNames.get(i.source_folder_id) ?? '',
      subject: i.subject,
      size: i.size === null ? null : Number(i.size),
      receivedAt: i.received_at,
      state: i.state,
      error: renderStored(parseStoredError(i.error_json)),
      at: i.updated_at,
    })),
    total: await countItemsInState(rt.store.db, tenantId, row.id, states),
  };
}

/**
 * The dashboard's figures: data synced, users synced, changes in the last 24 hours, failed
 * users, and the oldest last-successful sync (the user most behind).
 */
export async function dashboard(rt: Runtime, tenantId: string) {
  const totals = await syncUserTotals(rt.store.db, tenantId);
  const users = fullCounts(totals.byStatus);
  const connections = { active: 0, error: 0, not_tested: 0 };
  for (const c of await listConnections(rt.store.db, tenantId)) {
    if (c.status === 'active' || c.status === 'error' || c.status === 'not_tested') connections[c.status] += 1;
  }
  const policies = await listPolicies(rt.store.db, tenantId);
  const changes = await activitySince(rt.store.db, tenantId, nowIso(rt.now() - 24 * 3_600_000).slice(0, 13));
  return {
    users,
    usersSynced: users.synced,
    failedUsers: users.failed + users.quarantined + users.blocked,
    itemsImported: totals.items,
    dataSyncedBytes: totals.bytes,
    changes24h: { ...changes, total: changes.imported + changes.changed + changes.deleted },
    oldestSuccessfulSync: totals.oldest,
    neverSynced: totals.neverSynced,
    connections,
    policies: {
      enabled: policies.filter((p) => Number(p.enabled) === 1).length,
      total: policies.length,
      held: policies.filter((p) => p.held_cycle_json !== null).length,
    },
  };
}
