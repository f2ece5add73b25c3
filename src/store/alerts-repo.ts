import type { Kysely, Selectable } from 'kysely';
import type { AlertChannelsTable, AlertsTable, Database } from './schema.js';

export type AlertRow = Selectable<AlertsTable>;
export type AlertChannelRow = Selectable<AlertChannelsTable>;

/** Inserts an alert; false when one with this dedupe key exists (the change of state was already alerted). */
export async function insertAlert(db: Kysely<Database>, tenantId: string, row: Omit<AlertRow, 'tenant_id'>): Promise<boolean> {
  const r = await db
    .insertInto('alerts')
    .values({ ...row, tenant_id: tenantId })
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function getAlert(db: Kysely<Database>, tenantId: string, id: string): Promise<AlertRow | undefined> {
  return db.selectFrom('alerts').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export async function listAlerts(db: Kysely<Database>, tenantId: string, limit: number): Promise<AlertRow[]> {
  return db.selectFrom('alerts').selectAll().where('tenant_id', '=', tenantId).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}

/** Alerts still queued since before `beforeIso`, across tenants (a delivery job may have been lost). */
export async function staleQueuedAlerts(db: Kysely<Database>, beforeIso: string): Promise<AlertRow[]> {
  return db.selectFrom('alerts').selectAll().where('status', '=', 'queued').where('created_at', '<', beforeIso).limit(500).execute();
}

export async function updateAlert(db: Kysely<Database>, tenantId: string, id: string, patch: Partial<Omit<AlertRow, 'tenant_id' | 'id' | 'dedupe_key' | 'created_at'>>): Promise<void> {
  await db.updateTable('alerts').set(patch).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}

export async function insertChannel(db: Kysely<Database>, tenantId: string, row: Omit<AlertChannelRow, 'tenant_id'>): Promise<void> {
  await db.insertInto('alert_channels').values({ ...row, tenant_id: tenantId }).execute();
}

export async function getChannel(db: Kysely<Database>, tenantId: string, id: string): Promise<AlertChannelRow | undefined> {
  return db.selectFrom('alert_channels').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export async function listChannels(db: Kysely<Database>, tenantId: string): Promise<AlertChannelRow[]> {
  return db.selectFrom('alert_channels').selectAll().where('tenant_id', '=', tenantId).orderBy('created_at').orderBy('id').execute();
}

export async function updateChannel(db: Kysely<Database>, tenantId: string, id: string, patch: Partial<Omit<AlertChannelRow, 'tenant_id' | 'id' | 'created_at'>>): Promise<void> {
  await db.updateTable('alert_channels').set(patch).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}

export async function deleteChannel(db: Kysely<Database>, tenantId: string, id: string): Promise<boolean> {
  const r = await db.deleteFrom('alert_channels').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
