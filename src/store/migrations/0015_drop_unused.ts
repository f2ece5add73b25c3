import type { Kysely } from 'kysely';

/**
 * Drops what nothing reads any more: `rate_buckets` (token buckets, replaced by the sliding
 * windows of `rate_windows`) and `dir_pages.touched_gen` (the post-sync checks stopped reading
 * it; writing it cost an UPDATE per touched page). DROP COLUMN is in SQLite since 3.35.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('rate_buckets').ifExists().execute();
  await db.schema.alterTable('dir_pages').dropColumn('touched_gen').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('dir_pages').addColumn('touched_gen', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema
    .createTable('rate_buckets')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('tokens', 'double precision', (c) => c.notNull())
    .addColumn('updated_ms', 'double precision', (c) => c.notNull())
    .addColumn('blocked_until_ms', 'double precision', (c) => c.notNull().defaultTo(0))
    .execute();
}
