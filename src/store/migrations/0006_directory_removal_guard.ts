import type { Kysely } from 'kysely';

/**
 * The mass-removal guard of directory syncs (src/directory/sync/guard.ts): a run whose
 * removals exceed the connection's share waits in status 'held' with what it would remove
 * (numbers and a sample) in held_json, versioned ({ v: 1, … }), until an admin approves or
 * rejects it. Portable types only.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('dir_runs').addColumn('held_json', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('dir_runs').dropColumn('held_json').execute();
}
