import { sql, type Kysely } from 'kysely';

/**
 * Failover and reverse recovery sync (src/continuity/failover/): per-policy failover settings,
 * one row per outage (proposed → active → recovering → recovered, or dismissed), the recovery
 * of each user during that outage, and the recovery ledger — one row per Gmail message found
 * in the outage window, the record that makes writing back to Microsoft 365 exactly once.
 * Portable types only (text, integer, double precision).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('failover_settings')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('policy_id', 'text', (c) => c.notNull())
    .addColumn('settings_json', 'text', (c) => c.notNull()) // versioned: { v: 1, … } (failover/settings.ts)
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('failover_settings_pk', ['tenant_id', 'policy_id'])
    .execute();

  await db.schema
    .createTable('failovers')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('policy_id', 'text', (c) => c.notNull())
    // proposed | active | recovering | recovered | dismissed
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('outage_since', 'text', (c) => c.notNull()) // when Microsoft 365 began failing (the recovery window starts here)
    .addColumn('origin', 'text', (c) => c.notNull()) // declared | proposed
    .addColumn('reason', 'text') // what the admin wrote, or the incident's error
    .addColumn('incident_id', 'text')
    .addColumn('proposed_at', 'text')
    .addColumn('declared_at', 'text')
    .addColumn('declared_by', 'text')
    .addColumn('last_probe_at', 'text')
    .addColumn('last_probe_error_json', 'text') // null: the last probe succeeded
    .addColumn('healthy_since', 'text') // the source has answered every probe since then
    .addColumn('probe_failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_probe_at', 'text')
    .addColumn('recovery_started_at', 'text')
    .addColumn('recovery_started_by', 'text')
    .addColumn('recovered_at', 'text')
    .addColumn('ended_at', 'text')
    .addColumn('ended_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('failovers_pk', ['tenant_id', 'id'])
    .execute();
  // One open failover per policy, whichever process proposes or declares it.
  await sql`CREATE UNIQUE INDEX failovers_one_open ON failovers (tenant_id, policy_id) WHERE state IN ('proposed', 'active', 'recovering')`.execute(db);
  await db.schema.createIndex('failovers_policy').on('failovers').columns(['tenant_id', 'policy_id', 'created_at']).execute();

  await db.schema
    .createTable('recovery_users')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('failover_id', 'text', (c) => c.notNull())
    .addColumn('sync_user_id', 'text', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull()) // the Microsoft 365 address
    .addColumn('destination_email', 'text', (c) => c.notNull()) // the Google mailbox read
    .addColumn('source_user_id', 'text', (c) => c.notNull())
    .addColumn('start_history_id', 'text') // Gmail's historyId when the failover was declared
    .addColumn('gap_since', 'text') // mail before the declaration is listed by date from here
    // versioned cursor of the search: { v: 1, phase: 'gap' | 'history' | 'relist' | 'write' | 'done', … }
    .addColumn('cursor_json', 'text')
    // pending | recovering | throttled | recovered | failed
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('found', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('written', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('skipped', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('bytes', 'double precision', (c) => c.notNull().defaultTo(0))
    .addColumn('folders_json', 'text') // Gmail label id → Microsoft 365 folder id, learnt while writing
    .addColumn('error_json', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_run_at', 'text')
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('recovery_users_pk', ['tenant_id', 'id'])
    .execute();
  await db.schema.createIndex('recovery_users_failover_user').unique().on('recovery_users').columns(['tenant_id', 'failover_id', 'sync_user_id']).execute();

  await db.schema
    .createTable('recovery_items')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('recovery_user_id', 'text', (c) => c.notNull())
    .addColumn('sync_user_id', 'text', (c) => c.notNull())
    .addColumn('gmail_id', 'text', (c) => c.notNull())
    .addColumn('internet_message_id', 'text')
    // found → pending (about to be written) → written | skipped | failed
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('skip_reason', 'text') // imported_by_syncwarden | already_present | draft | deleted | chat
    .addColumn('folder', 'text') // the Microsoft 365 folder (well-known name or label path)
    .addColumn('destination_id', 'text') // the Microsoft 365 message id
    .addColumn('subject', 'text')
    .addColumn('size', 'double precision')
    .addColumn('received_at', 'text')
    .addColumn('error_json', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('recovery_items_pk', ['tenant_id', 'id'])
    .execute();
  await db.schema.createIndex('recovery_items_user_gmail').unique().on('recovery_items').columns(['tenant_id', 'recovery_user_id', 'gmail_id']).execute();
  await db.schema.createIndex('recovery_items_user_state').on('recovery_items').columns(['tenant_id', 'recovery_user_id', 'state']).execute();
  // Forward sync asks "did recovery write this Message-ID for this user?" before importing a new item (no loops).
  await db.schema.createIndex('recovery_items_sync_user_mid').on('recovery_items').columns(['tenant_id', 'sync_user_id', 'internet_message_id']).execute();
  // Recovery asks "did forward sync import this Message-ID?" for every message it finds.
  await db.schema.createIndex('items_user_message_id').on('items').columns(['tenant_id', 'sync_user_id', 'internet_message_id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('items_user_message_id').ifExists().execute();
  for (const t of ['recovery_items', 'recovery_users', 'failovers', 'failover_settings']) await db.schema.dropTable(t).ifExists().execute();
}
