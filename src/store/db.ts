import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { CompiledQuery, Kysely, Migrator, sql, PostgresDialect, SqliteDialect, type Driver, type Migration, type MigrationProvider } from 'kysely';
import * as m0001 from './migrations/0001_initial.js';
import * as m0002 from './migrations/0002_rate_buckets.js';
import * as m0003 from './migrations/0003_continuity.js';
import * as m0004 from './migrations/0004_connections.js';
import * as m0005 from './migrations/0005_directory.js';
import * as m0006 from './migrations/0006_directory_removal_guard.js';
import * as m0007 from './migrations/0007_connection_archives.js';
import * as m0008 from './migrations/0008_item_change_mark.js';
import * as m0009 from './migrations/0009_identity_type_overrides.js';
import * as m0010 from './migrations/0010_auth.js';
import * as m0011 from './migrations/0011_tenants.js';
import * as m0012 from './migrations/0012_keys_audit_integrity.js';
import * as m0013 from './migrations/0013_sso.js';
import * as m0014 from './migrations/0014_failover.js';
import * as m0015 from './migrations/0015_drop_unused.js';
import * as m0016 from './migrations/0016_campaigns.js';
import * as m0017 from './migrations/0017_campaign_escalation.js';
import * as m0018 from './migrations/0018_list_indexes.js';
import * as m0019 from './migrations/0019_job_rerun.js';
import * as m0020 from './migrations/0020_inbox_indexes.js';
import * as m0021 from './migrations/0021_search_keys.js';
import * as m0022 from './migrations/0022_pg_search_keys.js';
import * as m0023 from './migrations/0023_rate_priority.js';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /**
   * The embedded database's own handle, for hot paths that write hundreds of thousands of rows
   * (the identity inventory): prepared statements run in the Kysely transaction in progress,
   * since Kysely's SQLite driver has exactly this one connection.
   */
  readonly sqlite?: SQLite.Database;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** postgres://… to use PostgreSQL; otherwise the embedded SQLite file in dataDir. */
  readonly databaseUrl?: string | undefined;
  readonly dataDir?: string;
  /** PostgreSQL schema to use (tests isolate themselves with one schema each). */
  readonly pgSchema?: string;
  readonly pgPoolSize?: number;
}

/** Migrations are compiled in, so the build needs no migration folder at run time. */
const migrations: Record<string, Migration> = {
  '0001_initial': m0001,
  '0002_rate_buckets': m0002,
  '0003_continuity': m0003,
  '0004_connections': m0004,
  '0005_directory': m0005,
  '0006_directory_removal_guard': m0006,
  '0007_connection_archives': m0007,
  '0008_item_change_mark': m0008,
  '0009_identity_type_overrides': m0009,
  '0010_auth': m0010,
  '0011_tenants': m0011,
  '0012_keys_audit_integrity': m0012,
  '0013_sso': m0013,
  '0014_failover': m0014,
  '0015_drop_unused': m0015,
  '0016_campaigns': m0016,
  '0017_campaign_escalation': m0017,
  '0018_list_indexes': m0018,
  '0019_job_rerun': m0019,
  '0020_inbox_indexes': m0020,
  '0021_search_keys': m0021,
  '0022_pg_search_keys': m0022,
  '0023_rate_priority': m0023,
};
const provider: MigrationProvider = { getMigrations: async () => migrations };
/** The migrations in order, for the test that rolls each one back and applies it again. */
export const migrationProvider: MigrationProvider = provider;
export const MIGRATION_NAMES: readonly string[] = Object.keys(migrations);

export async function openStore(opts: StoreOptions): Promise<Store> {
  const store = opts.databaseUrl ? await openPostgres(opts.databaseUrl, opts) : openSqlite(opts.dataDir ?? './data');
  // Kysely looks for its migration tables by name in every schema unless told which one; with
  // several schemas in one database (tests, or tenants of a shared server) name ours.
  const schema = store.dialect === 'postgres' ? (await sql<{ s: string }>`SELECT current_schema() AS s`.execute(store.db)).rows[0]?.s : undefined;
  await migrate(store.db, schema);
  // The identity inventory drops this index during a large first sync and builds it at the
  // end (src/directory/sync/run.ts); a crash in between leaves it to be built here.
  if (store.sqlite) store.sqlite.exec('CREATE INDEX IF NOT EXISTS dir_memberships_member ON dir_memberships (tenant_id, connection_id, member_id)');
  return store;
}

function openSqlite(dataDir: string): Store {
  // Owner-only: the database holds sealed credentials, password and token hashes, the audit log.
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, 'syncwarden.db');
  const sqlite = new SQLite(file);
  ownerOnly(file, 0o600);
  // WAL: readers never block the writer; NORMAL sync is durable across process crashes
  // (kill -9) in WAL mode, which is the failure the embedded mode must survive.
  sqlite.pragma('journal_mode = WAL');
  for (const f of [`${file}-wal`, `${file}-shm`]) ownerOnly(f, 0o600);
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  // 64 MB of page cache (default 2 MB): the inventory's indexes over a million memberships are
  // written in provider order, not key order, and a small cache turns each insert into reads.
  sqlite.pragma('cache_size = -65536');
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: cachedStatements(sqlite) }) });
  return { db, dialect: 'sqlite', sqlite, close: () => db.destroy() };
}

/**
 * Transactions start with BEGIN IMMEDIATE (the write lock at once, waiting up to busy_timeout)
 * instead of SQLite's deferred BEGIN. A deferred transaction that reads, then writes after
 * another process committed (a worker applying revocations while a sync claims its page)
 * fails at once with SQLITE_BUSY_SNAPSHOT, which busy_timeout does not retry: the directory
 * sync failed with "database is locked" under the campaign-crash trials. Every transaction
 * here writes, so taking the lock up front costs nothing.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  override createDriver(): Driver {
    const driver = super.createDriver();
    driver.beginTransaction = async (connection) => {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    };
    return driver;
  }
}

/** Tightens a file's or folder's mode to the owner only (a no-op where modes do not exist). */
export function ownerOnly(path: string, mode: number): void {
  try {
    chmodSync(path, mode);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT' && process.platform !== 'win32') throw e;
  }
}

/**
 * Kysely prepares every query afresh, and preparing costs ~0.5 ms against ~0.02 ms to run a
 * small statement: keep the most recent prepared statements by SQL text. Safe because
 * better-sqlite3 runs a statement synchronously to completion (Kysely only iterates for
 * streaming, which nothing here uses).
 */
function cachedStatements(sqlite: SQLite.Database, size = 512): { close(): void; prepare(sql: string): SQLite.Statement } {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => {
      cache.clear();
      sqlite.close();
    },
    prepare(sql: string) {
      let stmt = cache.get(sql);
      if (stmt) {
        cache.delete(sql);
        cache.set(sql, stmt);
        return stmt;
      }
      stmt = sqlite.prepare(sql);
      cache.set(sql, stmt);
      if (cache.size > size) cache.delete(cache.keys().next().value!);
      return stmt;
    },
  };
}

async function openPostgres(url: string, opts: StoreOptions): Promise<Store> {
  const schema = opts.pgSchema;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name ${schema}`);
  if (schema) {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    } finally {
      await admin.end();
    }
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.pgPoolSize ?? 10,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', close: () => db.destroy() };
}

/**
 * Migrations this code knows that the database has not run (readiness: a process newer than
 * its database must not take traffic until the migrations ran).
 */
export async function pendingMigrations(store: Store): Promise<string[]> {
  const schema = store.dialect === 'postgres' ? (await sql<{ s: string }>`SELECT current_schema() AS s`.execute(store.db)).rows[0]?.s : undefined;
  const migrator = new Migrator({ db: store.db, provider, allowUnorderedMigrations: true, ...(schema ? { migrationTableSchema: schema } : {}) });
  return (await migrator.getMigrations()).filter((m) => m.executedAt === undefined).map((m) => m.name);
}

async function migrate(db: Kysely<Database>, schema: string | undefined): Promise<void> {
  // Migrations are independent of each other's order (each creates or alters its own tables), and
  // work on parallel branches lands in any order: a database that already ran a later-numbered
  // migration still takes an earlier-numbered one that arrived after it.
  const migrator = new Migrator({ db, provider, allowUnorderedMigrations: true, ...(schema ? { migrationTableSchema: schema } : {}) });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`database migration failed${failed ? ` at ${failed.migrationName}` : ''}: ${String(error)}`);
  }
}
