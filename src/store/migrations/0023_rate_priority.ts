import { type Kysely } from 'kysely';

/**
 * `rate_windows.priority_until_ms`: a request that finishes a crashed worker's leftovers (an
 * item in doubt) and has to wait for a shared budget claims the key's next room until then;
 * ordinary requests of every process stand back meanwhile (src/engine/rate-budget.ts). Without
 * it, a taken-over user's first requests queued behind every running job for their fair share.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('rate_windows').addColumn('priority_until_ms', 'double precision', (c) => c.notNull().defaultTo(0)).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('rate_windows').dropColumn('priority_until_ms').execute();
}
