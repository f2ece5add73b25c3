import type { Kysely, Selectable } from 'kysely';
import type { Database, IncidentsTable } from './schema.js';

export type IncidentRow = Selectable<IncidentsTable>;

/** Inserts an open incident; false when the connection already has one (the partial unique index). */
export async function insertIncident(db: Kysely<Database>, tenantId: string, row: Omit<IncidentRow, 'tenant_id'>): Promise<boolean> {
  const r = await db
    .insertInto('incidents')
    .values({ ...row, tenant_id: tenantId })
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function openIncidentOf(db: Kysely<Database>, tenantId: string, connectionId: string): Promise<IncidentRow | undefined> {
  return db.selectFrom('incidents').selectAll().where('tenant_id', '=', tenantId).where('connection_id', '=', connectionId).where('state', '=', 'open').executeTakeFirst();
}

export async function getIncident(db: Kysely<Database>, tenantId: string, id: string): Promise<IncidentRow | undefined> {
  return db.selectFrom('incidents').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export async function listIncidents(db: Kysely<Database>, tenantId: string, q: { state?: string | undefined; connectionId?: string | undefined; limit: number }): Promise<IncidentRow[]> {
  let query = db.selectFrom('incidents').selectAll().where('tenant_id', '=', tenantId);
  if (q.state) query = query.where('state', '=', q.state);
  if (q.connectionId) query = query.where('connection_id', '=', q.connectionId);
  return query.orderBy('opened_at', 'desc').orderBy('id', 'desc').limit(q.limit).execute();
}

/** Open incidents across tenants (the reminder scan). */
export async function allOpenIncidents(db: Kysely<Database>): Promise<IncidentRow[]> {
  return db.selectFrom('incidents').selectAll().where('state', '=', 'open').execute();
}

export async function updateIncident(db: Kysely<Database>, tenantId: string, id: string, patch: Partial<Omit<IncidentRow, 'tenant_id' | 'id' | 'connection_id' | 'opened_at'>>): Promise<void> {
  await db.updateTable('incidents').set(patch).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}

/** Resolves the connection's open incident; returns it when this call resolved it (compare-and-set). */
export async function resolveOpenIncident(db: Kysely<Database>, tenantId: string, connectionId: string, at: string, by: string): Promise<IncidentRow | undefined> {
  const open = await openIncidentOf(db, tenantId, connectionId);
  if (!open) return undefined;
  const r = await db
    .updateTable('incidents')
    .set({ state: 'resolved', resolved_at: at, resolved_by: by, updated_at: at })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', open.id)
    .where('state', '=', 'open')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1 ? { ...open, state: 'resolved', resolved_at: at, resolved_by: by, updated_at: at } : undefined;
}

export async function deleteIncidentsOf(db: Kysely<Database>, tenantId: string, connectionId: string): Promise<void> {
  await db.deleteFrom('incidents').where('tenant_id', '=', tenantId).where('connection_id', '=', connectionId).execute();
}
