import { SqliteAdapter, sql, type Kysely, type RawBuilder, type SelectQueryBuilder } from 'kysely';
import { after, COUNT_CAP, countUpTo, type SortKey } from './keyset.js';
import { SYNC_USER_SEARCH_SQL } from './migrations/0018_list_indexes.js';

/**
 * Substring search ("mia.s" anywhere in a name or an address) on the long lists, answered by
 * the trigram indexes of migration 0018 instead of a scan of every row: FTS5 phrase queries
 * with the trigram tokenizer on SQLite (a phrase of trigrams matches exactly the rows that
 * contain the text, case-insensitively), `LIKE '%…%'` on PostgreSQL, which pg_trgm's GIN
 * index answers. Terms shorter than a trigram have nothing to look up: they scan, as before.
 *
 * The FTS tables map rows by rowid, which only VACUUM would renumber (this product never
 * runs it; a VACUUM must be followed by `INSERT INTO identities_fts(identities_fts) VALUES
 * ('rebuild')` and a refill of sync_users_fts, identities_keys and sync_users_keys (0021)).
 */
export type Searchable = 'identities' | 'sync_users';

const COLUMN: Record<Searchable, string> = { identities: 'search', sync_users: SYNC_USER_SEARCH_SQL };

export function textMatches(db: Kysely<any>, target: Searchable, text: string): RawBuilder<boolean> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const term = text.trim().toLowerCase();
  if (db.getExecutor().adapter instanceof SqliteAdapter && [...term].length >= 3) {
    const fts = sql.raw(`${target}_fts`);
    return sql<boolean>`rowid IN (SELECT rowid FROM ${fts} WHERE ${fts} MATCH ${ftsPhrase(term)})`;
  }
  return sql<boolean>`${sql.raw(COLUMN[target])} LIKE ${likePattern(term)} ESCAPE '\\'`;
}

/** An FTS5 phrase: the text in double quotes, its own quotes doubled. */
function ftsPhrase(term: string): string {
  return `"${term.replace(/"/g, '""')}"`;
}

/** LIKE with the pattern characters of the admin's text taken literally. */
export function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** A page's rows: a keyset list's `limit + 1` (the extra one says another page exists). */
type Keyed = { display_name: string; id: string };

/**
 * Rows walked along the name index before a search stops walking: a walked row costs about
 * 1.5 µs on SQLite and 5 µs on PostgreSQL (each row read to test the text), so the walk that
 * finds nothing costs a few milliseconds before the trigram matches take over.
 */
const WALK: Record<'sqlite' | 'postgres', number> = { sqlite: 5_000, postgres: 2_000 };

/** At most this many trigram matches: the term is rare, its matches are read and sorted at once. */
const RARE = 5_000;

/**
 * One page of a searched list, ordered by (display name, id), up to `take` rows after
 * `cursor`. `filtered` is the list's query with the tenant and its other filters, no search,
 * no cursor.
 *
 * Why not one `WHERE match ORDER BY name LIMIT n`: its cost depends on how the planner guesses
 * the term's selectivity. Reading every trigram match and sorting is cheap for a rare term and
 * costs per match for a common one ("mia": 50,000 identities); walking the name index and
 * testing each row finds a common term's first matches early but reads the whole list for a
 * rare one (PostgreSQL chose that walk for "olga" and read 350,000 rows). So the page is found
 * in steps whose cost is bounded: a rare term (few trigram matches, counted up to a cap on
 * SQLite) reads its matches and sorts them; otherwise the name index is walked for at most
 * `WALK` rows, testing the term, and if the page is still short, the matches after the last
 * row walked are read from the trigram index and sorted. Every step is "the next rows in
 * (name, id) order after a key", so the rows are those of the one-query form, in its order.
 */
export async function searchPage<R extends Keyed>(
  db: Kysely<any>, // eslint-disable-line @typescript-eslint/no-explicit-any
  target: Searchable,
  text: string,
  take: number,
  cursor: SortKey | undefined,
  filtered: () => SelectQueryBuilder<any, any, any>, // eslint-disable-line @typescript-eslint/no-explicit-any
  opts: {
    /** Tests set small steps to take every path on a small list. */
    steps?: { walk: number; rare: number };
    /** The list's only filter is this tenant: SQLite may sort from the narrow key table (migration 0021). */
    tenantOnly?: string | undefined;
  } = {},
): Promise<R[]> {
  const { steps, tenantOnly } = opts;
  const dialect = db.getExecutor().adapter instanceof SqliteAdapter ? 'sqlite' : 'postgres';
  const walk = steps?.walk ?? WALK[dialect];
  const match = textMatches(db, target, text);
  // The walk tests each row it reads. On SQLite: LIKE on the row's lower-cased text for an
  // ASCII term (FTS5's trigram folding and LIKE agree on ASCII letters; they would differ only
  // where a non-ASCII character folds to an ASCII one, such as the Kelvin sign), the trigram
  // matches otherwise (a set SQLite builds once: cheap for few matches, 0.1 s for 500,000,
  // which is why it is not the test for every term).
  const tested = dialect === 'sqlite' && /^[\x20-\x7e]*$/.test(text.trim()) ? sql<boolean>`${sql.raw(COLUMN[target])} LIKE ${likePattern(text.trim().toLowerCase())} ESCAPE '\\'` : match;
  const from = (key: SortKey | undefined) => (key ? filtered().where(after(['display_name', 'id'], key)) : filtered());
  const keys: Keyed[] = [];
  let key = cursor;
  if (!(dialect === 'sqlite' && (await rareOnSqlite(db, target, text, steps?.rare ?? RARE)))) {
    // The walk: the next WALK rows by name (an index range), the search tested on each.
    const walked = from(key).select(['display_name', 'id', tested.as('hit')]).orderBy('display_name').orderBy('id').limit(walk);
    const hits = (await db.selectFrom(walked.as('w')).select(['display_name', 'id']).where(sql<boolean>`hit`).orderBy('display_name').orderBy('id').limit(take).execute()) as Keyed[];
    keys.push(...hits);
    if (keys.length < take) {
      const last = (await from(key).select(['display_name', 'id']).orderBy('display_name').orderBy('id').offset(walk - 1).limit(1).executeTakeFirst()) as Keyed | undefined;
      if (!last) key = undefined; // the walk reached the list's end: nothing after it
      else key = [last.display_name, last.id];
      if (!last) return fullRows<R>(filtered, keys);
    }
  }
  if (keys.length < take) {
    // The trigram matches after `key`, sorted: materialized on PostgreSQL so the planner
    // cannot turn it back into a walk along the name index.
    const rest = from(key).select(['display_name', 'id']).where(match);
    const term = text.trim().toLowerCase();
    const more = dialect === 'postgres'
      ? tenantOnly !== undefined && [...term].length >= 3
        ? await sortedFromCopy(db, target, term, tenantOnly, key, take - keys.length)
        : await db.with((cte) => cte('m').materialized(), () => rest).selectFrom('m').select(['display_name', 'id']).orderBy('display_name').orderBy('id').limit(take - keys.length).execute()
      : tenantOnly !== undefined && [...term].length >= 3
        ? await sortedFromKeys(db, target, term, tenantOnly, key, take - keys.length)
        : await rest.orderBy('display_name').orderBy('id').limit(take - keys.length).execute();
    keys.push(...(more as Keyed[]));
  }
  return fullRows<R>(filtered, keys);
}

/**
 * SQLite: the trigram matches after `key`, sorted, their names read from the narrow key table
 * of migration 0021 (a third of the cost of reading each match's row).
 */
async function sortedFromKeys(db: Kysely<any>, target: Searchable, term: string, tenantId: string, key: SortKey | undefined, n: number): Promise<Keyed[]> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const fts = sql.raw(`${target}_fts`);
  const keys = sql.raw(`${target}_keys`);
  const from = key ? sql`AND (k.display_name, k.id) > (${key[0]}, ${key[1]})` : sql``;
  const r = await sql<Keyed>`SELECT k.display_name, k.id FROM ${fts} f JOIN ${keys} k ON k.rid = f.rowid
      WHERE f.${fts} MATCH ${ftsPhrase(term)} AND k.tenant_id = ${tenantId} ${from} ORDER BY k.display_name, k.id LIMIT ${n}`.execute(db);
  return r.rows;
}

/**
 * PostgreSQL: the trigram matches after `key`, sorted, read from the narrow copy of migration 0022
 * (a row of four short columns instead of the list's wide one: less than half the pages).
 * Materialized so the planner cannot turn it into a walk along a name index.
 */
async function sortedFromCopy(db: Kysely<any>, target: Searchable, term: string, tenantId: string, key: SortKey | undefined, n: number): Promise<Keyed[]> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const copy = sql.raw(`${target}_search`);
  const from = key ? sql`AND (display_name, id) > (${key[0]}, ${key[1]})` : sql``;
  const r = await sql<Keyed>`WITH m AS MATERIALIZED (SELECT display_name, id FROM ${copy} WHERE tenant_id = ${tenantId} AND search LIKE ${likePattern(term)} ESCAPE '\\' ${from})
      SELECT display_name, id FROM m ORDER BY display_name, id LIMIT ${n}`.execute(db);
  return r.rows;
}

async function rareOnSqlite(db: Kysely<any>, target: Searchable, text: string, rare: number): Promise<boolean> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const term = text.trim().toLowerCase();
  if ([...term].length < 3) return false;
  const fts = sql.raw(`${target}_fts`);
  const r = await sql<{ n: number }>`SELECT count(*) AS n FROM (SELECT rowid FROM ${fts} WHERE ${fts} MATCH ${ftsPhrase(term)} LIMIT ${rare + 1})`.execute(db);
  return Number(r.rows[0]?.n ?? 0) <= rare;
}

async function fullRows<R extends Keyed>(filtered: () => SelectQueryBuilder<any, any, any>, keys: readonly Keyed[]): Promise<R[]> { // eslint-disable-line @typescript-eslint/no-explicit-any
  if (keys.length === 0) return [];
  return (await filtered().selectAll().where('id', 'in', keys.map((k) => k.id)).orderBy('display_name').orderBy('id').execute()) as R[];
}

/**
 * The searched list's total up to `cap` (keyset.ts countUpTo). On SQLite the trigram matches
 * are joined, not tested with `rowid IN (…)`: the IN form builds the set of every match before
 * counting (0.1 s for "@corp", 500,000 identities), the join reads matches until the cap.
 */
export async function searchCount(
  db: Kysely<any>, // eslint-disable-line @typescript-eslint/no-explicit-any
  target: Searchable,
  text: string,
  filtered: () => SelectQueryBuilder<any, any, any>, // eslint-disable-line @typescript-eslint/no-explicit-any
  cap = COUNT_CAP,
  /** The list's only filter is the tenant: the FTS table alone may then answer (below). */
  tenantOnly?: string,
): Promise<{ total: number; exact: boolean }> {
  const term = text.trim().toLowerCase();
  if (!(db.getExecutor().adapter instanceof SqliteAdapter) && tenantOnly !== undefined && [...term].length >= 3) {
    // PostgreSQL: the narrow copy of migration 0022 holds the tenant's rows and their search text.
    const r = await sql<{ n: number | string }>`SELECT count(*) AS n FROM (SELECT 1 FROM ${sql.raw(`${target}_search`)} WHERE tenant_id = ${tenantOnly} AND search LIKE ${likePattern(term)} ESCAPE '\\' LIMIT ${cap + 1}) m`.execute(db);
    const n = Number(r.rows[0]?.n ?? 0);
    return n > cap ? { total: cap, exact: false } : { total: n, exact: true };
  }
  if (!(db.getExecutor().adapter instanceof SqliteAdapter) || [...term].length < 3) return countUpTo(db, filtered().where(textMatches(db, target, text)).selectAll(), cap);
  const fts = `${target}_fts`;
  if (tenantOnly !== undefined && !(await otherTenants(db, target, tenantOnly))) {
    // The FTS table holds a row for every row of the table (triggers, migration 0018): with
    // no other tenant's rows, its matches are the tenant's, counted without reading a row.
    const r = await sql<{ n: number }>`SELECT count(*) AS n FROM (SELECT rowid FROM ${sql.raw(fts)} WHERE ${sql.raw(fts)} MATCH ${ftsPhrase(term)} LIMIT ${cap + 1})`.execute(db);
    const n = Number(r.rows[0]?.n ?? 0);
    return n > cap ? { total: cap, exact: false } : { total: n, exact: true };
  }
  const joined = filtered()
    .innerJoin(sql`${sql.raw(fts)}`.as('f'), (j) => j.on(sql<boolean>`${sql.raw(`f.rowid = ${target}.rowid`)}`))
    .where(sql<boolean>`${sql.raw(`f.${fts}`)} MATCH ${ftsPhrase(term)}`);
  return countUpTo(db, joined.selectAll(), cap);
}

/** Whether the table holds another tenant's rows: two seeks at either side of the tenant in the name index. */
async function otherTenants(db: Kysely<any>, target: Searchable, tenantId: string): Promise<boolean> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const t = sql.raw(target);
  const r = await sql<{ x: number }>`SELECT (EXISTS (SELECT 1 FROM ${t} WHERE tenant_id < ${tenantId}) OR EXISTS (SELECT 1 FROM ${t} WHERE tenant_id > ${tenantId})) AS x`.execute(db);
  return Number(r.rows[0]?.x ?? 1) !== 0;
}
