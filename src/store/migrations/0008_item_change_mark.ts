import type { Kysely } from 'kysely';

/**
 * An item in doubt is looked for in the destination's change log, not only by search.
 * `change_mark` is the destination mailbox's change-log position (Gmail: the historyId) read
 * before the item's write; everything added since then is listed by the log at once, while a
 * search index may lag behind the write by minutes (docs/decisions/0008-in-doubt-by-history.md).
 * Null on rows written before this migration: those are resolved by search alone, as before.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('items').addColumn('change_mark', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('items').dropColumn('change_mark').execute();
}
