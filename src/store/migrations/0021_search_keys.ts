import { SqliteAdapter, sql, type Kysely } from 'kysely';

/**
 * SQLite: a narrow copy of each searched list's sort key, by rowid — `<table>_keys(rid, tenant_id,
 * display_name, id)`, kept by triggers like the FTS tables of migration 0018.
 *
 * Why: a common search term whose matches sit late in name order ("olga": 50,000 of 500,000
 * identities, from the 70th percentile of names on) is answered by reading every trigram match's
 * name and sorting (src/store/text-search.ts). Read from the table, each match costs a wide row
 * (1.5 µs, 75 ms for 50,000); read from this table, 40 rows to a page, a third of that.
 * PostgreSQL keeps no copy: its search sorts from the heap (no rowid to key a copy by).
 *
 * Like the FTS tables, it maps rows by rowid, which only VACUUM renumbers (never run by the
 * product; after one, refill this table as below).
 */
const TARGETS = ['identities', 'sync_users'] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return;
  for (const t of TARGETS) {
    const keys = sql.raw(`${t}_keys`);
    const table = sql.raw(t);
    await sql`CREATE TABLE ${keys} (rid INTEGER PRIMARY KEY, tenant_id TEXT NOT NULL, display_name TEXT NOT NULL, id TEXT NOT NULL)`.execute(db);
    await sql`INSERT INTO ${keys} (rid, tenant_id, display_name, id) SELECT rowid, tenant_id, display_name, id FROM ${table}`.execute(db);
    await sql`CREATE TRIGGER ${sql.raw(`${t}_keys_ai`)} AFTER INSERT ON ${table} BEGIN
        INSERT INTO ${keys} (rid, tenant_id, display_name, id) VALUES (new.rowid, new.tenant_id, new.display_name, new.id); END`.execute(db);
    await sql`CREATE TRIGGER ${sql.raw(`${t}_keys_ad`)} AFTER DELETE ON ${table} BEGIN DELETE FROM ${keys} WHERE rid = old.rowid; END`.execute(db);
    await sql`CREATE TRIGGER ${sql.raw(`${t}_keys_au`)} AFTER UPDATE OF tenant_id, display_name, id ON ${table} BEGIN
        UPDATE ${keys} SET tenant_id = new.tenant_id, display_name = new.display_name, id = new.id WHERE rid = old.rowid; END`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return;
  for (const t of TARGETS) {
    for (const s of ['ai', 'ad', 'au']) await sql`DROP TRIGGER IF EXISTS ${sql.raw(`${t}_keys_${s}`)}`.execute(db);
    await sql`DROP TABLE IF EXISTS ${sql.raw(`${t}_keys`)}`.execute(db);
  }
}
