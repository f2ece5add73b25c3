import { sql, type Kysely } from 'kysely';

/**
 * Continuity at full strength: policy lifecycle settings and held cycles, per-user health
 * (throttling, quarantine, deletion schedule), the item ledger's change tracking, hourly
 * activity for the dashboard, reconciliation results, per-tenant rate-budget settings, and
 * sliding-window rate budgets. Portable types only (text, integer, double precision).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const add = async (table: string, column: string, type: 'text' | 'integer' | 'double precision', dflt?: number) => {
    await db.schema
      .alterTable(table)
      .addColumn(column, type, (c) => (dflt === undefined ? c : c.notNull().defaultTo(dflt)))
      .execute();
  };

  // Policies: what happens to Google accounts of users who leave, and the mass-deletion guard.
  await add('policies', 'deletion_delay_days', 'integer'); // null: never delete Google accounts
  await add('policies', 'mass_deletion_percent', 'integer', 10); // hold a cycle that removes more than this share
  await add('policies', 'held_cycle_json', 'text'); // a cycle held for approval: who it would remove
  await add('policies', 'approved_removals_json', 'text'); // source user ids an admin approved removing

  // Sync users: health and lifecycle.
  await add('sync_users', 'throttled_by', 'text'); // 'source' | 'destination' while status = throttled
  await add('sync_users', 'consecutive_failures', 'integer', 0);
  await add('sync_users', 'transient_retries', 'integer', 0);
  await add('sync_users', 'last_attempt_at', 'text');
  await add('sync_users', 'destination_created', 'integer', 0); // 1 when Syncwarden created the Google account
  await add('sync_users', 'destination_ready_at', 'text'); // the Google account accepted its first call
  await add('sync_users', 'excluded_at', 'text');
  await add('sync_users', 'exclusion_reason', 'text');
  await add('sync_users', 'delete_after', 'text'); // the Google account is scheduled for deletion then
  await add('sync_users', 'destination_deleted_at', 'text');
  await add('sync_users', 'window_start', 'text'); // start of the initial window, fixed at the first run
  await add('sync_users', 'folders_listed_at', 'text');
  await add('sync_users', 'imported_bytes', 'double precision', 0);
  await add('sync_users', 'category_labels_json', 'text'); // Outlook category → destination label id
  await add('sync_users', 'cycle_started_at', 'text');

  // Folders: the last reconciliation of source against destination.
  await add('sync_folders', 'label_name', 'text');
  await add('sync_folders', 'window_total', 'integer'); // source items in the initial window (progress bar)
  await add('sync_folders', 'reconcile_json', 'text');
  await add('sync_folders', 'reconciled_at', 'text');
  await add('sync_folders', 'gone_at', 'text'); // the folder no longer exists at the source

  // The ledger: what the destination holds for each item, to carry changes and deletions.
  await add('items', 'received_at', 'text');
  await add('items', 'labels_json', 'text'); // destination label ids Syncwarden applied
  await add('items', 'state_json', 'text'); // source state last applied (read, flagged, importance, categories)
  await add('items', 'draft_id', 'text'); // drafts live in the destination as drafts
  await add('items', 'removed_at', 'text'); // seen as removed from its folder; deleted if not seen elsewhere
  await add('items', 'deleted_at', 'text'); // deleted at the source; moved to Trash at the destination
  await add('items', 'attempts', 'integer', 0);
  await db.schema.createIndex('items_user_removed').on('items').columns(['tenant_id', 'sync_user_id', 'removed_at']).execute();
  await db.schema.createIndex('items_user_destination').on('items').columns(['tenant_id', 'sync_user_id', 'destination_item_id']).execute();

  // Changes applied per hour (dashboard: changes in 24 h, data synced).
  await db.schema
    .createTable('sync_activity')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('hour', 'text', (c) => c.notNull()) // ISO hour, e.g. 2026-05-01T13
    .addColumn('imported', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('changed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('bytes', 'double precision', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('sync_activity_pk', ['tenant_id', 'hour'])
    .execute();

  // Per-tenant continuity settings (rate budgets).
  await db.schema
    .createTable('continuity_settings')
    .addColumn('tenant_id', 'text', (c) => c.primaryKey())
    .addColumn('budgets_json', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  // Sliding-window rate budgets shared by every worker (engine/rate-budget.ts).
  await db.schema
    .createTable('rate_windows')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('slots_json', 'text', (c) => c.notNull())
    .addColumn('blocked_until_ms', 'double precision', (c) => c.notNull().defaultTo(0))
    .execute();

  await sql`CREATE INDEX sync_users_policy_status ON sync_users (tenant_id, policy_id, status)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['rate_windows', 'continuity_settings', 'sync_activity']) await db.schema.dropTable(t).ifExists().execute();
}
