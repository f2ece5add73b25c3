import { sql, type Kysely, type Transaction } from 'kysely';
import type SQLite from 'better-sqlite3';
import type { Database } from '../../store/schema.js';
import { HASHED, KEY_COLUMNS, pairKey, splitKey, type ObjectTable, type StagedRow } from '../records.js';
import { deleteByKeys, selectByKeys, unnestUpsert, unnestUpsertSql, type ArrayColumn, type DeferredWrites, type PgArrayType, type Scalar } from '../../store/bulk.js';

/** Kysely's types cannot follow a table chosen at run time; the column lists below are checked by the tests. */
type Db = Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
export type Trx = Transaction<Database> | Kysely<Database>;

export interface Where {
  readonly tenantId: string;
  readonly connectionId: string;
  /**
   * The embedded database's handle when there is one: row-at-a-time prepared statements there
   * cost ~2 µs, against ~25 µs per row for a compiled multi-row statement. Used only inside a
   * transaction the caller opened, whose connection it is.
   */
  readonly raw?: SQLite.Database | undefined;
  /** PostgreSQL: pages are written and looked up with set-based statements over arrays (store/bulk.ts). */
  readonly pg?: boolean;
  /** PostgreSQL, inside a page's transaction: upserts held back and sent together (store/bulk.ts). */
  readonly deferred?: DeferredWrites | undefined;
}

const prepared = new WeakMap<SQLite.Database, Map<string, SQLite.Statement>>();
function stmt(raw: SQLite.Database, text: string): SQLite.Statement {
  let m = prepared.get(raw);
  if (!m) prepared.set(raw, (m = new Map()));
  let s = m.get(text);
  if (!s) m.set(text, (s = raw.prepare(text)));
  return s;
}

function hashColumnOf(table: ObjectTable): string | null {
  return HASHED.has(table) ? 'hash' : table === 'dir_excluded' ? 'reason' : table === 'dir_memberships' ? 'role' : null;
}

export interface Existing {
  readonly hash: string;
  readonly pageKey: string;
  /** The generation (run) that last wrote the row. */
  readonly gen: number;
}

/** Integer columns of the object tables; every other staged column is text. */
const INT_COLUMNS = new Set(['enabled', 'external', 'privileged', 'gen']);
const arrayTypeOf = (column: string): PgArrayType => (INT_COLUMNS.has(column) ? 'int4' : 'text');

const whereOf = (w: Where) => ({ tenant_id: w.tenantId, connection_id: w.connectionId });

/** Keys as one text array per key column (pair keys split into their two columns). */
function keyArrays(table: ObjectTable, keys: readonly string[]): ArrayColumn[] {
  const cols = KEY_COLUMNS[table];
  if (cols.length === 1) return [{ name: cols[0]!, type: 'text', values: keys }];
  const pairs = keys.map(splitKey);
  return cols.map((c, i) => ({ name: c, type: 'text', values: pairs.map((p) => p[i]!) }));
}

/** Both engines take ~32k bound parameters per statement; stay well under. */
const MAX_PARAMS = 16_000;

function chunks<T>(xs: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

/** What the connection already holds for these keys: content hash and the page it came from. */
export async function lookup(db: Trx, w: Where, table: ObjectTable, keys: readonly string[]): Promise<Map<string, Existing>> {
  const out = new Map<string, Existing>();
  if (keys.length === 0) return out;
  const q = db as unknown as Db;
  const cols = KEY_COLUMNS[table];
  const hashCol = hashColumnOf(table);
  if (w.raw) {
    const s = stmt(w.raw, `SELECT ${hashCol ?? "''"} AS h, page_key, gen FROM ${table} WHERE tenant_id = ? AND connection_id = ? AND ${cols.map((c) => `${c} = ?`).join(' AND ')}`);
    for (const key of keys) {
      const r = (cols.length === 1 ? s.get(w.tenantId, w.connectionId, key) : s.get(w.tenantId, w.connectionId, ...splitKey(key))) as { h: string | null; page_key: string; gen: number } | undefined;
      if (r) out.set(key, { hash: r.h ?? '', pageKey: r.page_key, gen: Number(r.gen) });
    }
    return out;
  }
  if (w.pg) {
    await w.deferred?.flush();
    // One statement for the whole page: the keys as arrays, joined to the primary key.
    const rows = await selectByKeys<Record<string, string | number | null>>(db, table, whereOf(w), keyArrays(table, keys), [...cols, 'page_key', 'gen', ...(hashCol ? [hashCol] : [])]);
    for (const r of rows) {
      const key = cols.length === 1 ? (r[cols[0]!] as string) : pairKey(r[cols[0]!] as string, r[cols[1]!] as string);
      out.set(key, { hash: hashCol ? String(r[hashCol] ?? '') : '', pageKey: r['page_key'] as string, gen: Number(r['gen']) });
    }
    return out;
  }
  for (const part of chunks(keys, cols.length === 1 ? 2_000 : 500)) {
    let query = q.selectFrom(table).select([...cols, 'page_key', 'gen', ...(hashCol ? [hashCol] : [])]).where('tenant_id', '=', w.tenantId).where('connection_id', '=', w.connectionId);
    if (cols.length === 1) query = query.where(cols[0]!, 'in', part);
    else {
      // (key = … AND a = ? AND b = ?) OR …, each arm the whole primary key: PostgreSQL turns
      // this into index lookups, where a row-value IN list may become a sequential scan.
      const pairs = part.map(splitKey);
      query = query.where((eb) => eb.or(pairs.map(([a, b]) => eb.and([eb('tenant_id', '=', w.tenantId), eb('connection_id', '=', w.connectionId), eb(cols[0]!, '=', a!), eb(cols[1]!, '=', b!)]))));
    }
    for (const r of (await query.execute()) as Record<string, string | null>[]) {
      const key = cols.length === 1 ? r[cols[0]!]! : pairKey(r[cols[0]!]!, r[cols[1]!]!);
      out.set(key, { hash: hashCol ? (r[hashCol] ?? '') : '', pageKey: r['page_key']!, gen: Number(r['gen']) });
    }
  }
  return out;
}

/** Columns never overwritten by a re-read: set by correlation, or the first time the row was seen. */
const KEEP_ON_CONFLICT = new Set(['first_seen_at', 'identity_id', 'match_json']);

/**
 * Inserts or updates rows of one table in as few statements as the parameter limit allows.
 * `keepPageKey`: a delta read changes content, not the page of the full pass a row belongs to.
 * updated_at moves only when the content hash changed, so it means "last changed".
 */
export async function upsert(db: Trx, w: Where, table: ObjectTable, rows: readonly StagedRow[], gen: number, pageKey: string, now: string, keepPageKey: boolean): Promise<void> {
  if (rows.length === 0) return;
  const q = db as unknown as Db;
  const hashed = HASHED.has(table);
  const accounts = table === 'dir_accounts';
  // Column order: the staged columns in the order stage() writes them (the same for every row
  // of a table), then the bookkeeping columns.
  const columns = ['tenant_id', 'connection_id', ...Object.keys(rows[0]!.columns), 'page_key', 'gen', ...(hashed ? ['hash', 'updated_at'] : []), ...(accounts ? ['first_seen_at'] : [])];
  const rowValues = (r: StagedRow): (string | number | null)[] => {
    const v: (string | number | null)[] = [w.tenantId, w.connectionId];
    for (const x of Object.values(r.columns)) v.push(x ?? null);
    v.push(pageKey, gen);
    if (hashed) v.push(r.hash, now);
    if (accounts) v.push(now);
    return v;
  };
  const keys = new Set(['tenant_id', 'connection_id', ...KEY_COLUMNS[table]]);
  const updatable = columns.filter((c) => !keys.has(c) && !KEEP_ON_CONFLICT.has(c) && !(keepPageKey && c === 'page_key'));
  if (w.raw) {
    const set = updatable.map((c) => (c === 'updated_at' ? `updated_at = CASE WHEN ${table}.hash = excluded.hash THEN ${table}.updated_at ELSE excluded.updated_at END` : `${c} = excluded.${c}`));
    const s = stmt(w.raw, `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')}) ON CONFLICT (tenant_id, connection_id, ${KEY_COLUMNS[table].join(', ')}) DO UPDATE SET ${set.join(', ')}`);
    for (const r of rows) s.run(rowValues(r));
    return;
  }
  if (w.pg) {
    // One INSERT … SELECT FROM unnest(…) per table and page: a column per array, whatever the row count.
    const staged = Object.keys(rows[0]!.columns);
    const arrays: ArrayColumn[] = staged.map((c) => ({ name: c, type: arrayTypeOf(c), values: rows.map((r) => r.columns[c] ?? null) }));
    if (hashed) arrays.push({ name: 'hash', type: 'text', values: rows.map((r) => r.hash) });
    const constants: Record<string, Scalar> = { tenant_id: w.tenantId, connection_id: w.connectionId, page_key: pageKey, gen };
    if (hashed) constants['updated_at'] = now;
    if (accounts) constants['first_seen_at'] = now;
    const update: Record<string, ReturnType<typeof sql> | null> = {};
    for (const c of updatable) update[c] = c === 'updated_at' ? sql`CASE WHEN ${sql.ref(`${table}.hash`)} = ${sql.ref('excluded.hash')} THEN ${sql.ref(`${table}.updated_at`)} ELSE ${sql.ref('excluded.updated_at')} END` : null;
    const statement = { table, constants, arrays, conflict: ['tenant_id', 'connection_id', ...KEY_COLUMNS[table]], update };
    if (w.deferred) await w.deferred.add(table, unnestUpsertSql(statement));
    else await unnestUpsert(db, statement);
    return;
  }
  const values = rows.map((r) => {
    const v = rowValues(r);
    return Object.fromEntries(columns.map((c, i) => [c, v[i]]));
  });
  for (const part of chunks(values, Math.max(1, Math.floor(MAX_PARAMS / columns.length)))) {
    await q
      .insertInto(table)
      .values(part)
      .onConflict((oc) =>
        oc.columns(['tenant_id', 'connection_id', ...KEY_COLUMNS[table]]).doUpdateSet((eb) => {
          const set: Record<string, unknown> = {};
          for (const c of updatable) {
            set[c] = c === 'updated_at' ? sql`CASE WHEN ${sql.ref(`${table}.hash`)} = ${sql.ref('excluded.hash')} THEN ${sql.ref(`${table}.updated_at`)} ELSE ${sql.ref('excluded.updated_at')} END` : eb.ref(`excluded.${c}`);
          }
          return set;
        }),
      )
      .execute();
  }
}

/** Deletes rows by key; returns how many existed. */
export async function removeKeys(db: Trx, w: Where, table: ObjectTable, keys: readonly string[]): Promise<number> {
  if (keys.length === 0) return 0;
  const q = db as unknown as Db;
  const cols = KEY_COLUMNS[table];
  let removed = 0;
  if (w.raw) {
    const s = stmt(w.raw, `DELETE FROM ${table} WHERE tenant_id = ? AND connection_id = ? AND ${cols.map((c) => `${c} = ?`).join(' AND ')}`);
    for (const key of keys) removed += (cols.length === 1 ? s.run(w.tenantId, w.connectionId, key) : s.run(w.tenantId, w.connectionId, ...splitKey(key))).changes;
    return removed;
  }
  if (w.pg) {
    await w.deferred?.flush();
    return deleteByKeys(db, table, whereOf(w), keyArrays(table, keys));
  }
  for (const part of chunks(keys, 500)) {
    let query = q.deleteFrom(table).where('tenant_id', '=', w.tenantId).where('connection_id', '=', w.connectionId);
    if (cols.length === 1) query = query.where(cols[0]!, 'in', part);
    else {
      // (key = … AND a = ? AND b = ?) OR …, each arm the whole primary key: PostgreSQL turns
      // this into index lookups, where a row-value IN list may become a sequential scan.
      const pairs = part.map(splitKey);
      query = query.where((eb) => eb.or(pairs.map(([a, b]) => eb.and([eb('tenant_id', '=', w.tenantId), eb('connection_id', '=', w.connectionId), eb(cols[0]!, '=', a!), eb(cols[1]!, '=', b!)]))));
    }
    const r = await query.executeTakeFirst();
    removed += Number(r.numDeletedRows);
  }
  return removed;
}
