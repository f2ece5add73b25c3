import type { Kysely, Selectable } from 'kysely';
import type { Database, PoliciesTable } from './schema.js';

export type PolicyRow = Selectable<PoliciesTable>;

export async function insertPolicy(db: Kysely<Database>, tenantId: string, row: Omit<PolicyRow, 'tenant_id'>): Promise<void> {
  await db.insertInto('policies').values({ ...row, tenant_id: tenantId }).execute();
}

export async function getPolicy(db: Kysely<Database>, tenantId: string, id: string): Promise<PolicyRow | undefined> {
  return db.selectFrom('policies').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export async function listPolicies(db: Kysely<Database>, tenantId: string): Promise<PolicyRow[]> {
  return db.selectFrom('policies').selectAll().where('tenant_id', '=', tenantId).orderBy('created_at').orderBy('id').execute();
}

export async function updatePolicy(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  patch: Partial<Omit<PolicyRow, 'tenant_id' | 'id' | 'created_at'>>,
): Promise<void> {
  await db.updateTable('policies').set(patch).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}

export async function deletePolicy(db: Kysely<Database>, tenantId: string, id: string): Promise<boolean> {
  const r = await db.deleteFrom('policies').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Enabled policies, across tenants (the scheduler's deletion pass). */
export async function enabledPolicies(db: Kysely<Database>): Promise<PolicyRow[]> {
  return db.selectFrom('policies').selectAll().where('enabled', '=', 1).execute();
}

/** Enabled policies whose next cycle is due, across tenants (the scheduler's question). */
export async function duePolicies(db: Kysely<Database>, nowIso: string): Promise<PolicyRow[]> {
  return db
    .selectFrom('policies')
    .selectAll()
    .where('enabled', '=', 1)
    .where((eb) => eb.or([eb('next_cycle_at', 'is', null), eb('next_cycle_at', '<=', nowIso)]))
    .execute();
}
