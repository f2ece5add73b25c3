import { sql, type Kysely, type Selectable } from 'kysely';
import { after, countUpTo, decodeCursor, page, type SortKey } from './keyset.js';
import { searchCount, searchPage } from './text-search.js';
import type { Database, ItemsTable, SyncFoldersTable, SyncUsersTable } from './schema.js';

export type SyncUserRow = Selectable<SyncUsersTable>;
export type SyncFolderRow = Selectable<SyncFoldersTable>;
export type ItemRow = Selectable<ItemsTable>;
type Db = Kysely<Database>;

export async function getSyncUser(db: Db, tenantId: string, id: string): Promise<SyncUserRow | undefined> {
  return db.selectFrom('sync_users').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

/**
 * A user by id, or by source or destination address (CLI and API accept any); of several
 * users with that address, the most recently updated. Three index lookups (migration 0018),
 * not one OR that a planner may answer by scanning every user.
 */
export async function findSyncUser(db: Db, tenantId: string, key: string): Promise<SyncUserRow | undefined> {
  const byId = await getSyncUser(db, tenantId, key);
  if (byId) return byId;
  const k = key.trim().toLowerCase();
  const byAddress = async (column: 'email' | 'destination_email') =>
    db.selectFrom('sync_users').selectAll().where('tenant_id', '=', tenantId).where(column, '=', k).orderBy('updated_at', 'desc').limit(1).executeTakeFirst();
  const [a, b] = [await byAddress('email'), await byAddress('destination_email')];
  if (a && b) return a.updated_at >= b.updated_at ? a : b;
  return a ?? b;
}

export async function syncUsersOfPolicy(db: Db, tenantId: string, policyId: string): Promise<SyncUserRow[]> {
  return db.selectFrom('sync_users').selectAll().where('tenant_id', '=', tenantId).where('policy_id', '=', policyId).execute();
}

export interface SyncUserQuery {
  status?: string | undefined;
  policyId?: string | undefined;
  q?: string | undefined;
  limit: number;
  /** Keyset: the sort key (display name, id) of the last row of the previous page. */
  cursor?: string | undefined;
}

/** Users in name order, a page after `cursor` (src/store/keyset.ts), with the filter's total. */
export async function querySyncUsers(db: Db, tenantId: string, query: SyncUserQuery, opts: { count: boolean } = { count: true }): Promise<{ rows: SyncUserRow[]; total: number; totalExact: boolean; nextCursor: string | null }> {
  const filtered = () => {
    let q = db.selectFrom('sync_users').where('tenant_id', '=', tenantId);
    if (query.status) q = q.where('status', '=', query.status);
    if (query.policyId) q = q.where('policy_id', '=', query.policyId);
    return q;
  };
  const key = query.cursor ? decodeCursor(query.cursor, 2) : undefined;
  const search = query.q?.trim();
  const base = filtered();
  const tenantOnly = query.status || query.policyId ? undefined : tenantId;
  // The page and the total at once: on PostgreSQL they run on two connections side by side.
  const [fetched, { total, exact }] = await Promise.all([
    search
      ? searchPage<SyncUserRow>(db, 'sync_users', search, query.limit + 1, key, filtered, { tenantOnly })
      : (key ? base.where(after(['display_name', 'id'], key)) : base).selectAll().orderBy('display_name').orderBy('id').limit(query.limit + 1).execute(),
    !opts.count ? { total: -1, exact: false } : search ? searchCount(db, 'sync_users', search, filtered, undefined, tenantOnly) : countUpTo(db, base.selectAll()),
  ]);
  const { rows, nextCursor } = page(fetched, query.limit, (r) => [r.display_name, r.id]);
  return { rows, total, totalExact: exact, nextCursor };
}

export async function countSyncUsersByStatus(db: Db, tenantId: string, policyId?: string): Promise<Record<string, number>> {
  let q = db.selectFrom('sync_users').where('tenant_id', '=', tenantId);
  if (policyId) q = q.where('policy_id', '=', policyId);
  const rows = await q.select(['status', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('status').execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

export async function insertSyncUser(db: Db, tenantId: string, row: Omit<SyncUserRow, 'tenant_id'>): Promise<void> {
  await db.insertInto('sync_users').values({ ...row, tenant_id: tenantId }).onConflict((oc) => oc.doNothing()).execute();
}

export type SyncUserPatch = Partial<Omit<SyncUserRow, 'tenant_id' | 'id' | 'created_at'>>;

export async function updateSyncUser(db: Db, tenantId: string, id: string, patch: SyncUserPatch): Promise<void> {
  await db.updateTable('sync_users').set(patch).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}

export async function foldersOfUser(db: Db, tenantId: string, syncUserId: string): Promise<SyncFolderRow[]> {
  return db.selectFrom('sync_folders').selectAll().where('tenant_id', '=', tenantId).where('sync_user_id', '=', syncUserId).orderBy('path_json').execute();
}

export async function insertFolder(db: Db, tenantId: string, row: Omit<SyncFolderRow, 'tenant_id'>): Promise<void> {
  await db.insertInto('sync_folders').values({ ...row, tenant_id: tenantId }).onConflict((oc) => oc.doNothing()).execute();
}

export async function updateFolder(db: Db, tenantId: string, id: string, patch: Partial<Omit<SyncFolderRow, 'tenant_id' | 'id' | 'sync_user_id' | 'source_folder_id'>>): Promise<void> {
  await db.updateTable('sync_folders').set(patch).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}

/** Ledger rows of these source ids, keyed by source id (one query per page). */
export async function itemsBySourceIds(db: Db, tenantId: string, syncUserId: string, sourceIds: readonly string[]): Promise<Map<string, ItemRow>> {
  if (sourceIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('items')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('sync_user_id', '=', syncUserId)
    .where('source_item_id', 'in', [...sourceIds])
    .execute();
  return new Map(rows.map((r) => [r.source_item_id, r]));
}

/** Newest first; `before` is the (updated_at, id) of the previous page's last row (keyset). */
export async function itemsInState(db: Db, tenantId: string, syncUserId: string, states: readonly string[], limit = 500, before?: SortKey): Promise<ItemRow[]> {
  return db
    .selectFrom('items')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('sync_user_id', '=', syncUserId)
    .where('state', 'in', [...states])
    .$if(before !== undefined, (q) => q.where(after(['updated_at', 'id'], before!, 'desc')))
    .orderBy('updated_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

export async function countItemsInState(db: Db, tenantId: string, syncUserId: string, states: readonly string[]): Promise<number> {
  const r = await db
    .selectFrom('items')
    .where('tenant_id', '=', tenantId)
    .where('sync_user_id', '=', syncUserId)
    .where('state', 'in', [...states])
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Items seen removed from their folder and not yet settled as moved or deleted. */
export async function removedCandidates(db: Db, tenantId: string, syncUserId: string, limit = 500): Promise<ItemRow[]> {
  return db
    .selectFrom('items')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('sync_user_id', '=', syncUserId)
    .where('removed_at', 'is not', null)
    .limit(limit)
    .execute();
}

/** Whether another ledger row already accounts for this destination message. */
export async function destinationClaimed(db: Db, tenantId: string, syncUserId: string, destinationId: string): Promise<boolean> {
  const r = await db
    .selectFrom('items')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('sync_user_id', '=', syncUserId)
    .where('destination_item_id', '=', destinationId)
    .executeTakeFirst();
  return r !== undefined;
}

/** Per folder: items by ledger state (the detail panel and reconciliation). */
export async function itemCountsByFolder(db: Db, tenantId: string, syncUserId: string): Promise<{ folder: string; state: string; trashed: number; n: number }[]> {
  const rows = await db
    .selectFrom('items')
    .where('tenant_id', '=', tenantId)
    .where('sync_user_id', '=', syncUserId)
    .select(['source_folder_id', 'state', sql<number>`case when deleted_at is null then 0 else 1 end`.as('trashed'), (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy(['source_folder_id', 'state', sql`case when deleted_at is null then 0 else 1 end`])
    .execute();
  return rows.map((r) => ({ folder: r.source_folder_id, state: r.state, trashed: Number(r.trashed), n: Number(r.n) }));
}

/** Changes applied in the hours from `sinceHour` (ISO hour) on. */
export async function activitySince(db: Db, tenantId: string, sinceHour: string): Promise<{ imported: number; changed: number; deleted: number; bytes: number }> {
  const r = await db
    .selectFrom('sync_activity')
    .where('tenant_id', '=', tenantId)
    .where('hour', '>=', sinceHour)
    .select((eb) => [
      eb.fn.coalesce(eb.fn.sum<number>('imported'), sql<number>`0`).as('imported'),
      eb.fn.coalesce(eb.fn.sum<number>('changed'), sql<number>`0`).as('changed'),
      eb.fn.coalesce(eb.fn.sum<number>('deleted'), sql<number>`0`).as('deleted'),
      eb.fn.coalesce(eb.fn.sum<number>('bytes'), sql<number>`0`).as('bytes'),
    ])
    .executeTakeFirstOrThrow();
  return { imported: Number(r.imported), changed: Number(r.changed), deleted: Number(r.deleted), bytes: Number(r.bytes) };
}

/** Users whose Google account is due for deletion. */
export async function usersDueForDeletion(db: Db, tenantId: string, policyId: string, nowIso: string): Promise<SyncUserRow[]> {
  return db
    .selectFrom('sync_users')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('policy_id', '=', policyId)
    .where('status', '=', 'excluded')
    .where('delete_after', 'is not', null)
    .where('delete_after', '<=', nowIso)
    .where('destination_deleted_at', 'is', null)
    .execute();
}

/** The oldest last successful sync among users still in a policy (null: none synced yet). */
/**
 * The dashboard's user figures in one pass over sync users (the covering index
 * sync_users_dashboard, migration 0018): users per status, items and bytes imported, the
 * oldest last successful sync and how many never synced (excluded users left out of both).
 */
export async function syncUserTotals(db: Db, tenantId: string): Promise<{ byStatus: Record<string, number>; items: number; bytes: number; oldest: string | null; neverSynced: number }> {
  const rows = await db
    .selectFrom('sync_users')
    .where('tenant_id', '=', tenantId)
    .select((eb) => [
      'status',
      eb.fn.countAll<number>().as('n'),
      eb.fn.coalesce(eb.fn.sum<number>('imported'), sql<number>`0`).as('items'),
      eb.fn.coalesce(eb.fn.sum<number>('imported_bytes'), sql<number>`0`).as('bytes'),
      eb.fn.min<string>('last_sync_at').as('oldest'),
      sql<number>`sum(case when last_sync_at is null then 1 else 0 end)`.as('never'),
    ])
    .groupBy('status')
    .execute();
  const out = { byStatus: {} as Record<string, number>, items: 0, bytes: 0, oldest: null as string | null, neverSynced: 0 };
  for (const r of rows) {
    out.byStatus[r.status] = Number(r.n);
    out.items += Number(r.items);
    out.bytes += Number(r.bytes);
    if (r.status === 'excluded') continue;
    if (r.oldest && (out.oldest === null || r.oldest < out.oldest)) out.oldest = r.oldest;
    out.neverSynced += Number(r.never ?? 0);
  }
  return out;
}
