import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, ItemsTable, SyncFoldersTable, SyncUsersTable } from './schema.js';

export type SyncUserRow = Selectable<SyncUsersTable>;
export type SyncFolderRow = Selectable<SyncFoldersTable>;
export type ItemRow = Selectable<ItemsTable>;
type Db = Kysely<Database>;

export async function getSyncUser(db: Db, tenantId: string, id: string): Promise<SyncUserRow | undefined> {
  return db.selectFrom('sync_users').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

/** A user by id, or by source or destination address (CLI and API accept any). */
export async function findSyncUser(db: Db, tenantId: string, key: string): Promise<SyncUserRow | undefined> {
  const k = key.trim().toLowerCase();
  return db
    .selectFrom('sync_users')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where((eb) => eb.or([eb('id', '=', key), eb('email', '=', k), eb('destination_email', '=', k)]))
    .orderBy('updated_at', 'desc')
    .executeTakeFirst();
}

export async function syncUsersOfPolicy(db: Db, tenantId: string, policyId: string): Promise<SyncUserRow[]> {
  return db.selectFrom('sync_users').selectAll().where('tenant_id', '=', tenantId).where('policy_id', '=', policyId).execute();
}

export interface SyncUserQuery {
  status?: string | undefined;
  policyId?: string | undefined;
  q?: string | undefined;
  limit: number;
  offset: number;
}

export async function querySyncUsers(db: Db, tenantId: string, query: SyncUserQuery): Promise<{ rows: SyncUserRow[]; total: number }> {
  let base = db.selectFrom('sync_users').where('tenant_id', '=', tenantId);
  if (query.status) base = base.where('status', '=', query.status);
  if (query.policyId) base = base.where('policy_id', '=', query.policyId);
  if (query.q) {
    const like = `%${query.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    base = base.where((eb) =>
      eb.or([
        eb(sql`lower(email)`, 'like', sql`${like} escape '\\'`),
        eb(sql`lower(display_name)`, 'like', sql`${like} escape '\\'`),
        eb(sql`lower(destination_email)`, 'like', sql`${like} escape '\\'`),
      ]),
    );
  }
  const rows = await base.selectAll().orderBy('display_name').orderBy('id').limit(query.limit).offset(query.offset).execute();
  const count = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return { rows, total: Number(count.n) };
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

export async function itemsInState(db: Db, tenantId: string, syncUserId: string, states: readonly string[], limit = 500, offset = 0): Promise<ItemRow[]> {
  return db
    .selectFrom('items')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('sync_user_id', '=', syncUserId)
    .where('state', 'in', [...states])
    .orderBy('updated_at', 'desc')
    .orderBy('id')
    .limit(limit)
    .offset(offset)
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

export async function sumImported(db: Db, tenantId: string): Promise<{ items: number; bytes: number }> {
  const r = await db
    .selectFrom('sync_users')
    .where('tenant_id', '=', tenantId)
    .select((eb) => [
      eb.fn.coalesce(eb.fn.sum<number>('imported'), sql<number>`0`).as('n'),
      eb.fn.coalesce(eb.fn.sum<number>('imported_bytes'), sql<number>`0`).as('b'),
    ])
    .executeTakeFirstOrThrow();
  return { items: Number(r.n), bytes: Number(r.b) };
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
export async function oldestSuccess(db: Db, tenantId: string): Promise<{ oldest: string | null; neverSynced: number }> {
  const r = await db
    .selectFrom('sync_users')
    .where('tenant_id', '=', tenantId)
    .where('status', '!=', 'excluded')
    .select((eb) => [
      eb.fn.min<string>('last_sync_at').as('oldest'),
      sql<number>`sum(case when last_sync_at is null then 1 else 0 end)`.as('never'),
    ])
    .executeTakeFirstOrThrow();
  return { oldest: r.oldest ?? null, neverSynced: Number(r.never ?? 0) };
}
