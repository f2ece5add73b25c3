import type { Kysely } from 'kysely';

// Token buckets shared by every worker process (engine/rate-budget.ts). Amounts and times are
// doubles: 'double precision' is REAL affinity in SQLite and float8 in PostgreSQL.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('rate_buckets')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('tokens', 'double precision', (c) => c.notNull())
    .addColumn('updated_ms', 'double precision', (c) => c.notNull())
    .addColumn('blocked_until_ms', 'double precision', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('rate_buckets').ifExists().execute();
}
