import type { Kysely, Selectable } from 'kysely';
import type { ConnectionsTable, Database } from './schema.js';

export type ConnectionRow = Selectable<ConnectionsTable>;

export async function insertConnection(db: Kysely<Database>, tenantId: string, row: Omit<ConnectionRow, 'tenant_id'>): Promise<void> {
  await db.insertInto('connections').values({ ...row, tenant_id: tenantId }).execute();
}

export async function getConnection(db: Kysely<Database>, tenantId: string, id: string): Promise<ConnectionRow | undefined> {
  return db.selectFrom('connections').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export async function listConnections(db: Kysely<Database>, tenantId: string): Promise<ConnectionRow[]> {
  return db.selectFrom('connections').selectAll().where('tenant_id', '=', tenantId).orderBy('created_at').orderBy('id').execute();
}

export async function updateConnection(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  patch: Partial<Omit<ConnectionRow, 'tenant_id' | 'id' | 'created_at'>>,
): Promise<void> {
  await db.updateTable('connections').set(patch).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}

export async function deleteConnection(db: Kysely<Database>, tenantId: string, id: string): Promise<boolean> {
  const r = await db.deleteFrom('connections').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
