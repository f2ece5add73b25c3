import { sql, type Kysely } from 'kysely';
import { newId } from '../../model/ids.js';

/**
 * Connections that explain themselves (issue 4): several credentials per connection (overlap
 * rotation), incidents, alert channels and the alert outbox; write-back consent and the
 * scheduled doctor on the connection. The one credential a connection held so far moves into
 * connection_credentials as its current credential, still sealed for the connection
 * (aad_scheme 0), because a migration has no master key to re-seal it with.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('connection_credentials')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('connection_id', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('meta_json', 'text', (c) => c.notNull())
    .addColumn('secret_ciphertext', 'text')
    .addColumn('aad_scheme', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('expires_at', 'text')
    .addColumn('issued_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('activated_at', 'text')
    .addColumn('retired_at', 'text')
    .addColumn('last_tested_at', 'text')
    .addColumn('last_test_ok', 'integer')
    .addColumn('last_findings_json', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('connection_credentials_pk', ['tenant_id', 'id'])
    .execute();
  await db.schema.createIndex('connection_credentials_conn').on('connection_credentials').columns(['tenant_id', 'connection_id', 'state']).execute();
  await db.schema.createIndex('connection_credentials_expiry').on('connection_credentials').columns(['state', 'expires_at']).execute();
  // One credential in use and at most one waiting per connection.
  await sql`CREATE UNIQUE INDEX connection_credentials_one_current ON connection_credentials (tenant_id, connection_id) WHERE state = 'current'`.execute(db);
  await sql`CREATE UNIQUE INDEX connection_credentials_one_pending ON connection_credentials (tenant_id, connection_id) WHERE state = 'pending'`.execute(db);

  await db.schema
    .createTable('incidents')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('connection_id', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('params_json', 'text', (c) => c.notNull())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('detail', 'text')
    .addColumn('opened_at', 'text', (c) => c.notNull())
    .addColumn('last_seen_at', 'text', (c) => c.notNull())
    .addColumn('occurrences', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('affected_users', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('resolved_at', 'text')
    .addColumn('resolved_by', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('incidents_pk', ['tenant_id', 'id'])
    .execute();
  // "One incident on that connection instead of hundreds of user failures", across processes.
  await sql`CREATE UNIQUE INDEX incidents_one_open ON incidents (tenant_id, connection_id) WHERE state = 'open'`.execute(db);
  await db.schema.createIndex('incidents_state').on('incidents').columns(['state', 'opened_at']).execute();

  await db.schema
    .createTable('alert_channels')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('config_json', 'text', (c) => c.notNull())
    .addColumn('secret_ciphertext', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('alert_channels_pk', ['tenant_id', 'id'])
    .execute();

  await db.schema
    .createTable('alerts')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('dedupe_key', 'text', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('subject_type', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('subject_name', 'text', (c) => c.notNull())
    .addColumn('payload_json', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('deliveries_json', 'text', (c) => c.notNull())
    .addColumn('last_error_json', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('sent_at', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('alerts_pk', ['tenant_id', 'id'])
    .execute();
  // At most one alert per change of state, whichever process notices it first.
  await db.schema.createIndex('alerts_dedupe').unique().on('alerts').columns(['tenant_id', 'dedupe_key']).execute();
  await db.schema.createIndex('alerts_created').on('alerts').columns(['tenant_id', 'created_at']).execute();

  await db.schema.alterTable('connections').addColumn('last_ok_at', 'text').execute();
  await db.schema.alterTable('connections').addColumn('write_back', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('connections').addColumn('write_back_at', 'text').execute();
  await db.schema.alterTable('connections').addColumn('write_back_by', 'text').execute();
  await db.schema.alterTable('connections').addColumn('next_doctor_at', 'text').execute();

  const rows = (await sql<{ tenant_id: string; id: string; credential_type: string; credential_meta_json: string; secret_ciphertext: string | null; status: string; last_tested_at: string | null; created_at: string; updated_at: string }>`
    SELECT tenant_id, id, credential_type, credential_meta_json, secret_ciphertext, status, last_tested_at, created_at, updated_at FROM connections`.execute(db)).rows;
  for (const r of rows) {
    let meta: Record<string, unknown> = {};
    try {
      meta = JSON.parse(r.credential_meta_json) as Record<string, unknown>;
    } catch {
      meta = {};
    }
    const notAfter = typeof meta['notAfter'] === 'string' && meta['notAfter'] !== '' ? meta['notAfter'] : null;
    await db
      .insertInto('connection_credentials')
      .values({
        tenant_id: r.tenant_id,
        id: newId('cred'),
        connection_id: r.id,
        state: 'current',
        method: r.credential_type,
        meta_json: JSON.stringify(meta),
        secret_ciphertext: r.secret_ciphertext,
        aad_scheme: 0,
        expires_at: notAfter,
        issued_at: null,
        created_at: r.created_at,
        created_by: 'migration',
        activated_at: r.created_at,
        retired_at: null,
        last_tested_at: r.last_tested_at,
        last_test_ok: r.status === 'active' ? 1 : r.status === 'error' ? 0 : null,
        last_findings_json: null,
        updated_at: r.updated_at,
      })
      .execute();
    if (r.status === 'active') await db.updateTable('connections').set({ last_ok_at: r.last_tested_at }).where('tenant_id', '=', r.tenant_id).where('id', '=', r.id).execute();
  }
  // SQLite ≥ 3.35 and PostgreSQL both drop columns in place.
  await db.schema.alterTable('connections').dropColumn('credential_type').execute();
  await db.schema.alterTable('connections').dropColumn('credential_meta_json').execute();
  await db.schema.alterTable('connections').dropColumn('secret_ciphertext').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['alerts', 'alert_channels', 'incidents', 'connection_credentials']) await db.schema.dropTable(t).ifExists().execute();
}
