import { sql, type Kysely } from 'kysely';

// One migration set for SQLite and PostgreSQL: only portable types (text, integer).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('tenants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('connections')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('config_json', 'text', (c) => c.notNull())
    .addColumn('credential_type', 'text', (c) => c.notNull())
    .addColumn('credential_meta_json', 'text', (c) => c.notNull())
    .addColumn('secret_ciphertext', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('last_tested_at', 'text')
    .addColumn('last_error_json', 'text')
    .addColumn('last_findings_json', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('connections_pk', ['tenant_id', 'id'])
    .execute();

  await db.schema
    .createTable('policies')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('source_connection_id', 'text', (c) => c.notNull())
    .addColumn('destination_connection_id', 'text', (c) => c.notNull())
    .addColumn('selection_json', 'text', (c) => c.notNull())
    .addColumn('schedule_minutes', 'integer', (c) => c.notNull())
    .addColumn('initial_window_days', 'integer', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('last_cycle_at', 'text')
    .addColumn('next_cycle_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('policies_pk', ['tenant_id', 'id'])
    .execute();

  await db.schema
    .createTable('sync_users')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('policy_id', 'text', (c) => c.notNull())
    .addColumn('source_user_id', 'text', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('given_name', 'text')
    .addColumn('surname', 'text')
    .addColumn('destination_email', 'text', (c) => c.notNull())
    .addColumn('destination_user_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('exported', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('imported', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failed_items', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error_json', 'text')
    .addColumn('last_sync_at', 'text')
    .addColumn('next_sync_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('sync_users_pk', ['tenant_id', 'id'])
    .execute();
  await db.schema.createIndex('sync_users_policy_source').unique().on('sync_users').columns(['tenant_id', 'policy_id', 'source_user_id']).execute();
  await db.schema.createIndex('sync_users_status').on('sync_users').columns(['tenant_id', 'status']).execute();

  await db.schema
    .createTable('sync_folders')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('sync_user_id', 'text', (c) => c.notNull())
    .addColumn('source_folder_id', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('path_json', 'text', (c) => c.notNull())
    .addColumn('well_known', 'text')
    .addColumn('label_ids_json', 'text', (c) => c.notNull())
    .addColumn('cursor', 'text')
    .addColumn('phase', 'text', (c) => c.notNull())
    .addColumn('exported', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('imported', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('sync_folders_pk', ['tenant_id', 'id'])
    .execute();
  await db.schema.createIndex('sync_folders_user_folder').unique().on('sync_folders').columns(['tenant_id', 'sync_user_id', 'source_folder_id']).execute();

  await db.schema
    .createTable('items')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('sync_user_id', 'text', (c) => c.notNull())
    .addColumn('source_item_id', 'text', (c) => c.notNull())
    .addColumn('source_folder_id', 'text', (c) => c.notNull())
    .addColumn('internet_message_id', 'text')
    .addColumn('destination_item_id', 'text')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('subject', 'text')
    .addColumn('size', 'integer')
    .addColumn('error_json', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('items_pk', ['tenant_id', 'id'])
    .execute();
  // The ledger's exactly-once guarantee: one row per (user, source item).
  await db.schema.createIndex('items_user_source').unique().on('items').columns(['tenant_id', 'sync_user_id', 'source_item_id']).execute();
  await db.schema.createIndex('items_user_state').on('items').columns(['tenant_id', 'sync_user_id', 'state']).execute();

  await db.schema
    .createTable('jobs')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('dedupe_key', 'text', (c) => c.notNull())
    .addColumn('payload_json', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('run_at', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'text')
    .addColumn('last_error_json', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('jobs_claim').on('jobs').columns(['status', 'run_at']).execute();
  // At most one live job per key; partial unique indexes exist in both SQLite and PostgreSQL.
  await sql`CREATE UNIQUE INDEX jobs_live_key ON jobs (tenant_id, dedupe_key) WHERE status IN ('queued', 'running')`.execute(db);

  await db.schema
    .createTable('audit_events')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('target_type', 'text')
    .addColumn('target_id', 'text')
    .addColumn('target_name', 'text')
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('code', 'text')
    .addColumn('params_json', 'text')
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('audit_events_pk', ['tenant_id', 'id'])
    .execute();
  await db.schema.createIndex('audit_events_seq').unique().on('audit_events').columns(['tenant_id', 'seq']).execute();

  await db.schema
    .createTable('audit_heads')
    .addColumn('tenant_id', 'text', (c) => c.primaryKey())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('secrets')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('ciphertext', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('secrets_pk', ['tenant_id', 'name'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['secrets', 'audit_heads', 'audit_events', 'jobs', 'items', 'sync_folders', 'sync_users', 'policies', 'connections', 'tenants']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
