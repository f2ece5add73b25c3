import { SqliteAdapter, sql, type Kysely } from 'kysely';

/**
 * Indexes for the long lists at an installation's size (issue 15: 100,000 sync users,
 * 1,000,000 accounts, 1,000,000 audit entries).
 *
 * - Keyset paging (src/store/keyset.ts): each list's sort key after the columns its filters
 *   fix, so a page — the first or the 2,000th — is one index seek and `limit` rows.
 * - The dashboard's one pass over sync users reads a covering index, not the table.
 * - Substring search ("mia.s" anywhere in a name or address) through trigram indexes, which
 *   answer `%term%` without reading every row: an FTS5 table with the trigram tokenizer on
 *   SQLite, kept current by triggers; a pg_trgm GIN index on PostgreSQL. pg_trgm is a trusted
 *   extension (PostgreSQL ≥ 13: no superuser needed); where it cannot be created, search
 *   still works by scanning (src/store/text-search.ts asks `pg_trgm_available`).
 */
const INDEXES: readonly [name: string, table: string, columns: string][] = [
  ['sync_users_name', 'sync_users', 'tenant_id, display_name, id'],
  ['sync_users_status_name', 'sync_users', 'tenant_id, status, display_name, id'],
  ['sync_users_policy_name', 'sync_users', 'tenant_id, policy_id, display_name, id'],
  ['sync_users_dashboard', 'sync_users', 'tenant_id, status, imported, imported_bytes, last_sync_at'],
  // A user is opened by id or by either address (findSyncUser): each is one index lookup.
  ['sync_users_email', 'sync_users', 'tenant_id, email'],
  ['sync_users_destination', 'sync_users', 'tenant_id, destination_email'],
  ['identities_name', 'identities', 'tenant_id, display_name, id'],
  ['identities_status_name', 'identities', 'tenant_id, status, display_name, id'],
  ['identities_type_name', 'identities', 'tenant_id, identity_type, display_name, id'],
  ['audit_events_severity_seq', 'audit_events', 'tenant_id, severity, seq'],
];

/** What a sync user is searched by (the same expression in the index and in the query). */
export const SYNC_USER_SEARCH_SQL = "lower(display_name || ' ' || email || ' ' || destination_email)";

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const [name, table, columns] of INDEXES) await sql`CREATE INDEX ${sql.raw(name)} ON ${sql.table(table)} (${sql.raw(columns)})`.execute(db);
  if (db.getExecutor().adapter instanceof SqliteAdapter) await sqliteSearch(db);
  else await postgresSearch(db);
}

async function sqliteSearch(db: Kysely<unknown>): Promise<void> {
  // identities.search is already lower-cased text: an external-content index over it.
  await sql`CREATE VIRTUAL TABLE identities_fts USING fts5(search, content='identities', content_rowid='rowid', tokenize='trigram')`.execute(db);
  await sql`INSERT INTO identities_fts(identities_fts) VALUES ('rebuild')`.execute(db);
  await sql`CREATE TRIGGER identities_fts_ai AFTER INSERT ON identities BEGIN INSERT INTO identities_fts(rowid, search) VALUES (new.rowid, new.search); END`.execute(db);
  await sql`CREATE TRIGGER identities_fts_ad AFTER DELETE ON identities BEGIN INSERT INTO identities_fts(identities_fts, rowid, search) VALUES ('delete', old.rowid, old.search); END`.execute(db);
  await sql`CREATE TRIGGER identities_fts_au AFTER UPDATE OF search ON identities BEGIN
      INSERT INTO identities_fts(identities_fts, rowid, search) VALUES ('delete', old.rowid, old.search);
      INSERT INTO identities_fts(rowid, search) VALUES (new.rowid, new.search); END`.execute(db);
  // Sync users are searched by an expression: the index keeps its own copy of the text.
  const expr = (row: 'new' | 'old') => sql.raw(`lower(${row}.display_name || ' ' || ${row}.email || ' ' || ${row}.destination_email)`);
  await sql`CREATE VIRTUAL TABLE sync_users_fts USING fts5(search, tokenize='trigram')`.execute(db);
  await sql`INSERT INTO sync_users_fts(rowid, search) SELECT rowid, ${sql.raw(SYNC_USER_SEARCH_SQL)} FROM sync_users`.execute(db);
  await sql`CREATE TRIGGER sync_users_fts_ai AFTER INSERT ON sync_users BEGIN INSERT INTO sync_users_fts(rowid, search) VALUES (new.rowid, ${expr('new')}); END`.execute(db);
  await sql`CREATE TRIGGER sync_users_fts_ad AFTER DELETE ON sync_users BEGIN DELETE FROM sync_users_fts WHERE rowid = old.rowid; END`.execute(db);
  await sql`CREATE TRIGGER sync_users_fts_au AFTER UPDATE OF display_name, email, destination_email ON sync_users BEGIN
      UPDATE sync_users_fts SET search = ${expr('new')} WHERE rowid = new.rowid; END`.execute(db);
}

async function postgresSearch(db: Kysely<unknown>): Promise<void> {
  // One CREATE EXTENSION at a time across connections (concurrent ones race on pg_extension).
  await sql`SELECT pg_advisory_xact_lock(hashtext('syncwarden.pg_trgm'))`.execute(db);
  const have = await trigramSchema(db);
  if (!have) {
    const can = await sql<{ ok: boolean }>`SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm')
        AND (has_database_privilege(current_database(), 'CREATE') OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)) AS ok`.execute(db);
    if (!can.rows[0]?.ok) return;
    await sql`CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public`.execute(db);
  }
  const schema = (await trigramSchema(db))!;
  const ops = sql.raw(`${quoteIdent(schema)}.gin_trgm_ops`);
  await sql`CREATE INDEX identities_search_trgm ON identities USING gin (search ${ops})`.execute(db);
  await sql`CREATE INDEX sync_users_search_trgm ON sync_users USING gin ((${sql.raw(SYNC_USER_SEARCH_SQL)}) ${ops})`.execute(db);
}

async function trigramSchema(db: Kysely<unknown>): Promise<string | null> {
  const r = await sql<{ nspname: string }>`SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'`.execute(db);
  return r.rows[0]?.nspname ?? null;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const [name] of INDEXES) await sql`DROP INDEX ${sql.raw(name)}`.execute(db);
  if (db.getExecutor().adapter instanceof SqliteAdapter) {
    for (const t of ['identities_fts_ai', 'identities_fts_ad', 'identities_fts_au', 'sync_users_fts_ai', 'sync_users_fts_ad', 'sync_users_fts_au']) await sql`DROP TRIGGER IF EXISTS ${sql.raw(t)}`.execute(db);
    await sql`DROP TABLE IF EXISTS identities_fts`.execute(db);
    await sql`DROP TABLE IF EXISTS sync_users_fts`.execute(db);
  } else {
    await sql`DROP INDEX IF EXISTS identities_search_trgm`.execute(db);
    await sql`DROP INDEX IF EXISTS sync_users_search_trgm`.execute(db);
  }
}
