import { type Kysely } from 'kysely';

/**
 * `jobs.rerun`: a request for a job that is already running (an admin's "Run now", a cycle
 * queuing a user whose sync is mid-run) is not dropped by the dedupe key: it marks the running
 * job, which is queued once more when it ends (src/engine/jobs.ts). Without it, mail that
 * arrived after the running sync read its changes waited for the next scheduled cycle.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('jobs').addColumn('rerun', 'integer', (c) => c.notNull().defaultTo(0)).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('jobs').dropColumn('rerun').execute();
}
