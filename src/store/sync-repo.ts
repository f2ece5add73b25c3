import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, ItemsTable, SyncFoldersTable, SyncUsersTable } from './schema.js';

export type SyncUserRow = Selectable<SyncUsersTable>;
export type SyncFolderRow = Selectable<SyncFoldersTable>;
export type ItemRow = Selectable<ItemsTable>;

export async function getSyncUser(db: Kysely<Database>, tenantId: string, id: string): Promise<SyncUserRow | undefined> {
  return db.selectFrom('sync_users').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export async function syncUsersOfPolicy(db: Kysely<Database>, tenantId: string, policyId: string): Promise<SyncUserRow[]> {
  return db.selectFrom('sync_users').selectAll().where('tenant_id', '=', tenantId).where('policy_id', '=', policyId).execute();
}

export interface SyncUserQuery {
  status?: string | undefined;
  policyId?: string | undefined;
  q?: string | undefined;
  limit: number;
  offset: number;
}

export async function querySyncUsers(db: Kysely<Database>, tenantId: string, query: SyncUserQuery): Promise<{ rows: SyncUserRow[]; total: number }> {
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

export async function countSyncUsersByStatus(db: Kysely<Database>, tenantId: string, policyId?: string): Promise<Record<string, number>> {
  let q = db.selectFrom('sync_users').where('tenant_id', '=', tenantId);
  if (policyId) q = q.where('policy_id', '=', policyId);
  const rows = await q.select(['status', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('status').execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

export async function insertSyncUser(db: Kysely<Database>, tenantId: string, row: Omit<SyncUserRow, 'tenant_id'>): Promise<void> {
  await db.insertInto('sync_users').values({ ...row, tenant_id: tenantId }).onConflict((oc) => oc.doNothing()).execute();
}

export async function updateSyncUser(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  patch: Partial<Omit<SyncUserRow, 'tenant_id' | 'id' | 'created_at'>>,
): Promise<void> {
  await db.updateTable('sync_users').set(patch).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}

export async function foldersOfUser(db: Kysely<Database>, tenantId: string, syncUserId: string): Promise<SyncFolderRow[]> {
  return db.selectFrom('sync_folders').selectAll().where('tenant_id', '=', tenantId).where('sync_user_id', '=', syncUserId).orderBy('path_json').execute();
}

export async function insertFolder(db: Kysely<Database>, tenantId: string, row: Omit<SyncFolderRow, 'tenant_id'>): Promise<void> {
  await db.insertInto('sync_folders').values({ ...row, tenant_id: tenantId }).onConflict((oc) => oc.doNothing()).execute();
}

export async function updateFolder(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  patch: Partial<Omit<SyncFolderRow, 'tenant_id' | 'id' | 'sync_user_id' | 'source_folder_id'>>,
): Promise<void> {
  await db.updateTable('sync_folders').set(patch).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}

export async function getItem(db: Kysely<Database>, tenantId: string, syncUserId: string, sourceItemId: string): Promise<ItemRow | undefined> {
  return db
    .selectFrom('items')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('sync_user_id', '=', syncUserId)
    .where('source_item_id', '=', sourceItemId)
    .executeTakeFirst();
}

/** Ledger rows of these source ids, keyed by source id (one query per page). */
export async function itemsBySourceIds(db: Kysely<Database>, tenantId: string, syncUserId: string, sourceIds: readonly string[]): Promise<Map<string, ItemRow>> {
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

export async function failedItemsOfUser(db: Kysely<Database>, tenantId: string, syncUserId: string, limit = 500): Promise<ItemRow[]> {
  return db
    .selectFrom('items')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('sync_user_id', '=', syncUserId)
    .where('state', '=', 'failed')
    .orderBy('updated_at', 'desc')
    .limit(limit)
    .execute();
}

export async function sumImported(db: Kysely<Database>, tenantId: string): Promise<number> {
  const r = await db
    .selectFrom('sync_users')
    .where('tenant_id', '=', tenantId)
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('imported'), sql<number>`0`).as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
