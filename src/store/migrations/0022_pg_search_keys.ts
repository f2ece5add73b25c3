import { SqliteAdapter, sql, type Kysely } from 'kysely';
import { SYNC_USER_SEARCH_SQL } from './0018_list_indexes.js';

/**
 * PostgreSQL: a narrow copy of each searched list's sort key and search text —
 * `<table>_search(tenant_id, id, display_name, search)` with its own trigram index — kept by
 * triggers. SQLite has its copy since migration 0021.
 *
 * Why: a common term whose matches sit late in name order ("tara": 50,000 of 500,000 identities,
 * all past the 90th percentile of names) is answered by reading every trigram match's name and
 * sorting (src/store/text-search.ts). From the table that reads 16,000 heap pages, the whole table
 * (45 ms); from this copy, 60 rows to a page, 7,500 (17 ms).
 *
 * Triggers: inserts and deletes by statement, from the transition tables (one INSERT … SELECT for
 * a bulk write of the inventory); updates by row, only when a column of the copy is set and
 * changes (a sync user's status update, the common write, fires nothing).
 */
const TARGETS = [
  { table: 'identities', search: 'search', columns: ['display_name', 'search'] },
  { table: 'sync_users', search: SYNC_USER_SEARCH_SQL, columns: ['display_name', 'email', 'destination_email'] },
] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) return;
  const trgm = (await sql<{ nspname: string }>`SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'`.execute(db)).rows[0]?.nspname;
  for (const t of TARGETS) {
    const table = sql.raw(t.table);
    const copy = sql.raw(`${t.table}_search`);
    const fn = (n: string) => sql.raw(`${t.table}_search_${n}`);
    // `search` over the row's own columns, for a row reference (new.x) or a transition table alias (n.x).
    const searchOf = (alias: string) => sql.raw(t.search.replace(/\b(display_name|email|destination_email|search)\b/g, `${alias}.$1`));
    await sql`CREATE TABLE ${copy} (tenant_id TEXT NOT NULL, id TEXT NOT NULL, display_name TEXT NOT NULL, search TEXT NOT NULL, PRIMARY KEY (tenant_id, id))`.execute(db);
    await sql`INSERT INTO ${copy} (tenant_id, id, display_name, search) SELECT tenant_id, id, display_name, ${searchOf(t.table)} FROM ${table}`.execute(db);
    if (trgm) await sql`CREATE INDEX ${sql.raw(`${t.table}_search_trgm2`)} ON ${copy} USING gin (search ${sql.raw(`"${trgm.replace(/"/g, '""')}".gin_trgm_ops`)})`.execute(db);
    await sql`CREATE FUNCTION ${fn('ins')}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        INSERT INTO ${copy} (tenant_id, id, display_name, search) SELECT n.tenant_id, n.id, n.display_name, ${searchOf('n')} FROM new_rows n
        ON CONFLICT (tenant_id, id) DO UPDATE SET display_name = excluded.display_name, search = excluded.search;
        RETURN NULL; END $$`.execute(db);
    await sql`CREATE FUNCTION ${fn('del')}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        DELETE FROM ${copy} c USING old_rows o WHERE c.tenant_id = o.tenant_id AND c.id = o.id;
        RETURN NULL; END $$`.execute(db);
    await sql`CREATE FUNCTION ${fn('upd')}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        UPDATE ${copy} SET display_name = new.display_name, search = ${searchOf('new')} WHERE tenant_id = old.tenant_id AND id = old.id;
        RETURN NULL; END $$`.execute(db);
    await sql`CREATE TRIGGER ${fn('ins')} AFTER INSERT ON ${table} REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn('ins')}()`.execute(db);
    await sql`CREATE TRIGGER ${fn('del')} AFTER DELETE ON ${table} REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn('del')}()`.execute(db);
    const changed = sql.raw(t.columns.map((c) => `old.${c} IS DISTINCT FROM new.${c}`).join(' OR '));
    await sql`CREATE TRIGGER ${fn('upd')} AFTER UPDATE OF ${sql.raw(t.columns.join(', '))} ON ${table} FOR EACH ROW WHEN (${changed}) EXECUTE FUNCTION ${fn('upd')}()`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) return;
  for (const t of TARGETS) {
    for (const n of ['ins', 'del', 'upd']) {
      await sql`DROP TRIGGER IF EXISTS ${sql.raw(`${t.table}_search_${n}`)} ON ${sql.raw(t.table)}`.execute(db);
      await sql`DROP FUNCTION IF EXISTS ${sql.raw(`${t.table}_search_${n}`)}()`.execute(db);
    }
    await sql`DROP TABLE IF EXISTS ${sql.raw(`${t.table}_search`)}`.execute(db);
  }
}
