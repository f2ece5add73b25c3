import type { Kysely, Selectable } from 'kysely';
import type { ConnectionCredentialsTable, Database } from './schema.js';

export type CredentialRow = Selectable<ConnectionCredentialsTable>;
export type CredentialState = 'pending' | 'current' | 'previous' | 'retired';

export async function insertCredential(db: Kysely<Database>, tenantId: string, row: Omit<CredentialRow, 'tenant_id'>): Promise<void> {
  await db.insertInto('connection_credentials').values({ ...row, tenant_id: tenantId }).execute();
}

export async function getCredential(db: Kysely<Database>, tenantId: string, connectionId: string, id: string): Promise<CredentialRow | undefined> {
  return db.selectFrom('connection_credentials').selectAll().where('tenant_id', '=', tenantId).where('connection_id', '=', connectionId).where('id', '=', id).executeTakeFirst();
}

export async function credentialInState(db: Kysely<Database>, tenantId: string, connectionId: string, state: CredentialState): Promise<CredentialRow | undefined> {
  return db
    .selectFrom('connection_credentials')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('connection_id', '=', connectionId)
    .where('state', '=', state)
    .orderBy('updated_at', 'desc')
    .executeTakeFirst();
}

export async function credentialsOf(db: Kysely<Database>, tenantId: string, connectionId: string): Promise<CredentialRow[]> {
  return db.selectFrom('connection_credentials').selectAll().where('tenant_id', '=', tenantId).where('connection_id', '=', connectionId).orderBy('created_at', 'desc').orderBy('id').execute();
}

/** Every non-retired credential of the tenant (the expiry inventory). */
export async function liveCredentials(db: Kysely<Database>, tenantId: string): Promise<CredentialRow[]> {
  return db.selectFrom('connection_credentials').selectAll().where('tenant_id', '=', tenantId).where('state', 'in', ['current', 'pending']).execute();
}

/** Credentials in use with an expiry on or before `beforeIso`, across tenants (the reminder scan). */
export async function expiringCurrentCredentials(db: Kysely<Database>, beforeIso: string): Promise<CredentialRow[]> {
  return db.selectFrom('connection_credentials').selectAll().where('state', '=', 'current').where('expires_at', 'is not', null).where('expires_at', '<=', beforeIso).execute();
}

export async function updateCredential(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  patch: Partial<Omit<CredentialRow, 'tenant_id' | 'id' | 'connection_id' | 'created_at'>>,
): Promise<void> {
  await db.updateTable('connection_credentials').set(patch).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}

export async function deleteCredential(db: Kysely<Database>, tenantId: string, id: string): Promise<void> {
  await db.deleteFrom('connection_credentials').where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}

export async function deleteCredentialsOf(db: Kysely<Database>, tenantId: string, connectionId: string): Promise<void> {
  await db.deleteFrom('connection_credentials').where('tenant_id', '=', tenantId).where('connection_id', '=', connectionId).execute();
}
