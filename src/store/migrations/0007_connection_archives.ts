import type { Kysely } from 'kysely';

/**
 * Connection deletion with `archive`: the deleted connection's inventory (accounts, groups,
 * memberships, entitlements, grants, credentials seen) kept as one JSON snapshot per table,
 * in chunks, so an auditor can still answer "who had access through it" after it is gone.
 * Nothing reads these rows back into the live inventory.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('connection_archives')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('connection_id', 'text', (c) => c.notNull())
    .addColumn('connection_name', 'text', (c) => c.notNull())
    .addColumn('connection_kind', 'text', (c) => c.notNull())
    .addColumn('counts_json', 'text', (c) => c.notNull()) // { dir_accounts: n, … }
    .addColumn('archived_at', 'text', (c) => c.notNull())
    .addColumn('archived_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('connection_archives_pk', ['tenant_id', 'id'])
    .execute();
  await db.schema
    .createTable('connection_archive_rows')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('archive_id', 'text', (c) => c.notNull())
    .addColumn('table_name', 'text', (c) => c.notNull())
    .addColumn('chunk', 'integer', (c) => c.notNull())
    .addColumn('rows_json', 'text', (c) => c.notNull()) // up to 1,000 rows as they were
    .addPrimaryKeyConstraint('connection_archive_rows_pk', ['tenant_id', 'archive_id', 'table_name', 'chunk'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('connection_archive_rows').ifExists().execute();
  await db.schema.dropTable('connection_archives').ifExists().execute();
}
