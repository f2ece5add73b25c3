import { sql, type Kysely } from 'kysely';

/**
 * Master-key rotation and an audit log that can be trusted (issue 12, points 7 and 8).
 *
 * Audit entries gain the version of their canonical hash form (null: the first form, which
 * hashed a fixed list of columns) and a MAC of the chain head they made, with the id of the key
 * that made it; heads remember from which seq on every entry is MACed (`legacy_seq`). Signed
 * checkpoints mark the history adopted before MACs existed and where retention cut the history.
 * MAC keys of master keys retired from the keyring are kept sealed under the current one.
 *
 * Keys: the processes that hold a keyring (so a rotation can wait until all of them can open the
 * new key) and the rotations themselves (one running at a time; resumable after a crash).
 *
 * Every added audit column is nullable without a default: the canonical hash of an entry leaves
 * out null columns, so adding a column never changes the hash of entries written before it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('audit_events').addColumn('hash_version', 'integer').execute();
  await db.schema.alterTable('audit_events').addColumn('mac_kid', 'text').execute();
  await db.schema.alterTable('audit_events').addColumn('mac', 'text').execute();
  await db.schema.createIndex('audit_events_at').on('audit_events').columns(['tenant_id', 'at']).execute();
  await db.schema.alterTable('audit_heads').addColumn('legacy_seq', 'integer').execute();

  await db.schema
    .createTable('audit_checkpoints')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('detail_json', 'text')
    .addColumn('mac_kid', 'text', (c) => c.notNull())
    .addColumn('mac', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('audit_checkpoints_pk', ['tenant_id', 'kind', 'seq'])
    .execute();

  await db.schema
    .createTable('audit_settings')
    .addColumn('tenant_id', 'text', (c) => c.primaryKey())
    .addColumn('retention_days', 'integer')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addColumn('next_verify_at', 'text')
    .addColumn('last_verified_at', 'text')
    .addColumn('last_verify_ok', 'integer')
    .addColumn('last_verify_json', 'text')
    .execute();

  await db.schema
    .createTable('audit_mac_keys')
    .addColumn('kid', 'text', (c) => c.primaryKey())
    .addColumn('ciphertext', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('key_holders')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('pid', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('primary_kid', 'text', (c) => c.notNull())
    .addColumn('kids', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('seen_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('key_rotations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('target_kid', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('owner_host', 'text', (c) => c.notNull())
    .addColumn('owner_pid', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .addColumn('total', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('done', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('skipped', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('unreadable', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('unreadable_json', 'text')
    .addColumn('resumed', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  // One rotation at a time, across every process of the installation.
  await sql`CREATE UNIQUE INDEX key_rotations_one_running ON key_rotations (status) WHERE status = 'running'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['key_rotations', 'key_holders', 'audit_mac_keys', 'audit_settings', 'audit_checkpoints']) await db.schema.dropTable(t).ifExists().execute();
  await db.schema.dropIndex('audit_events_at').ifExists().execute();
  await db.schema.alterTable('audit_heads').dropColumn('legacy_seq').execute();
  for (const c of ['mac', 'mac_kid', 'hash_version']) await db.schema.alterTable('audit_events').dropColumn(c).execute();
}
