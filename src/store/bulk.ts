import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';

/**
 * Set-based statements for PostgreSQL: a whole page of rows travels as one array per column
 * and is expanded server-side with `unnest`, so a page costs one statement per table with a
 * fixed handful of parameters. A multi-row VALUES list costs a parameter per cell (thousands
 * per statement, each bound and planned), and row-at-a-time statements cost a round trip
 * each. PostgreSQL only: SQLite has no arrays (its hot paths use prepared statements instead).
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Db = Kysely<any> | Transaction<any>;

export type Scalar = string | number | null;

/** The element type of a column's array: the array is cast to it, so `unnest` yields typed columns. */
export type PgArrayType = 'text' | 'int4';

export interface ArrayColumn {
  readonly name: string;
  readonly type: PgArrayType;
  readonly values: readonly Scalar[];
}

export interface UnnestUpsert {
  readonly table: string;
  /** Columns with one value for every row (tenant, connection, page key, generation…): plain parameters. */
  readonly constants: Readonly<Record<string, Scalar>>;
  /** Columns that vary per row: one array each, all of the same length. */
  readonly arrays: readonly ArrayColumn[];
  /** The conflict target (a unique index's columns). Omitted: a plain insert. */
  readonly conflict?: readonly string[];
  /**
   * Column → its value on conflict (`excluded.col` when given as null). The update runs only
   * for rows where one of these values differs from the stored one, so rewriting a page
   * unchanged (a resumed run) writes no new row versions.
   */
  readonly update?: Readonly<Record<string, RawBuilder<unknown> | null>>;
}

const id = (name: string) => sql.id(name);

/** The `unnest(…) AS u(…)` source of a set of array columns. */
export function unnestSource(arrays: readonly ArrayColumn[], alias = 'u'): RawBuilder<unknown> {
  const args = arrays.map((a) => sql`${a.values}::${sql.raw(a.type)}[]`);
  return sql`unnest(${sql.join(args)}) AS ${id(alias)}(${sql.join(arrays.map((a) => id(a.name)))})`;
}

/** INSERT … SELECT … FROM unnest(…) [ON CONFLICT … DO UPDATE … WHERE changed]: one statement whatever the row count. */
export async function unnestUpsert(db: Db, q: UnnestUpsert): Promise<void> {
  const statement = unnestUpsertSql(q);
  if (statement) await statement.execute(db);
}

/** The statement of unnestUpsert, not run (null when there are no rows), for a DeferredWrites. */
export function unnestUpsertSql(q: UnnestUpsert): RawBuilder<unknown> | null {
  const n = q.arrays[0]?.values.length ?? 0;
  if (n === 0) return null;
  for (const a of q.arrays) if (a.values.length !== n) throw new Error(`unnestUpsert: column ${a.name} has ${a.values.length} values, not ${n}`);
  const constNames = Object.keys(q.constants);
  const columns = [...constNames, ...q.arrays.map((a) => a.name)];
  const select = [...constNames.map((c) => sql`${q.constants[c]}`), ...q.arrays.map((a) => sql.ref(`u.${a.name}`))];
  let onConflict: RawBuilder<unknown> = sql``;
  if (q.conflict) {
    const update = Object.entries(q.update ?? {});
    if (update.length === 0) onConflict = sql` ON CONFLICT (${sql.join(q.conflict.map(id))}) DO NOTHING`;
    else {
      const value = (c: string, v: RawBuilder<unknown> | null) => v ?? sql.ref(`excluded.${c}`);
      const set = update.map(([c, v]) => sql`${id(c)} = ${value(c, v)}`);
      const stored = update.map(([c]) => sql.ref(`${q.table}.${c}`));
      const incoming = update.map(([c, v]) => value(c, v));
      onConflict = sql` ON CONFLICT (${sql.join(q.conflict.map(id))}) DO UPDATE SET ${sql.join(set)} WHERE (${sql.join(stored)}) IS DISTINCT FROM (${sql.join(incoming)})`;
    }
  }
  // Constants are cast by the target column's type (an untyped parameter in a SELECT list is text).
  const typedSelect = select.map((s, i) => (i < constNames.length && typeof q.constants[constNames[i]!] === 'number' ? sql`${s}::int4` : s));
  return sql`INSERT INTO ${id(q.table)} (${sql.join(columns.map(id))}) SELECT ${sql.join(typedSelect)} FROM ${unnestSource(q.arrays)}${onConflict}`;
}

/**
 * Writes of a transaction held back and sent as one statement (data-modifying WITH clauses):
 * a page's groups, memberships, fingerprint and checkpoint cost one round trip instead of four.
 * At most one write per table goes into a statement (a row may not be changed twice by one
 * statement, and its parts do not see each other's rows): a second write to a table sends
 * the first. `flush` before anything that reads what was held back.
 */
export class DeferredWrites {
  private parts: { table: string; statement: RawBuilder<unknown> }[] = [];

  constructor(private readonly db: Db) {}

  async add(table: string, statement: RawBuilder<unknown> | null): Promise<void> {
    if (!statement) return;
    if (this.parts.some((p) => p.table === table)) await this.flush();
    this.parts.push({ table, statement });
  }

  async flush(): Promise<void> {
    const parts = this.parts;
    this.parts = [];
    if (parts.length === 0) return;
    const last = parts[parts.length - 1]!.statement;
    if (parts.length === 1) {
      await last.execute(this.db);
      return;
    }
    const ctes = parts.slice(0, -1).map((p, i) => sql`${id(`w${i}`)} AS (${p.statement})`);
    await sql`WITH ${sql.join(ctes)} ${last}`.execute(this.db);
  }
}

/**
 * The rows of `table` in a tenant's connection whose key is one of the given tuples, as index
 * lookups on the primary key: `= ANY(array)` for a one-column key; for a pair, a LATERAL probe
 * per unnested pair (LIMIT 1 keeps the planner from flattening it into a hash join, which it
 * picks while a table being loaded still has no statistics, scanning it whole for each page).
 */
export async function selectByKeys<R>(db: Db, table: string, where: Readonly<Record<string, string>>, keys: readonly ArrayColumn[], columns: readonly string[]): Promise<R[]> {
  if ((keys[0]?.values.length ?? 0) === 0) return [];
  const scope = Object.entries(where).map(([c, v]) => sql`${sql.ref(`t.${c}`)} = ${v}`);
  const cols = sql.join(columns.map((c) => sql.ref(`t.${c}`)));
  if (keys.length === 1) {
    const k = keys[0]!;
    const r = await sql<R>`SELECT ${cols} FROM ${id(table)} AS t WHERE ${sql.join(scope, sql` AND `)} AND ${sql.ref(`t.${k.name}`)} = ANY(${k.values}::${sql.raw(k.type)}[])`.execute(db);
    return r.rows;
  }
  const cond = [...scope, ...keys.map((k) => sql`${sql.ref(`t.${k.name}`)} = ${sql.ref(`k.${k.name}`)}`)];
  const r = await sql<R>`SELECT x.* FROM ${unnestSource(keys, 'k')} CROSS JOIN LATERAL (SELECT ${cols} FROM ${id(table)} AS t WHERE ${sql.join(cond, sql` AND `)} LIMIT 1) AS x`.execute(db);
  return r.rows;
}

/** Deletes the rows whose key is one of the given tuples; returns how many there were. */
export async function deleteByKeys(db: Db, table: string, where: Readonly<Record<string, string>>, keys: readonly ArrayColumn[]): Promise<number> {
  if ((keys[0]?.values.length ?? 0) === 0) return 0;
  const scope = Object.entries(where).map(([c, v]) => sql`${sql.ref(`t.${c}`)} = ${v}`);
  if (keys.length === 1) {
    const k = keys[0]!;
    const r = await sql`DELETE FROM ${id(table)} AS t WHERE ${sql.join(scope, sql` AND `)} AND ${sql.ref(`t.${k.name}`)} = ANY(${k.values}::${sql.raw(k.type)}[])`.execute(db);
    return Number(r.numAffectedRows ?? 0);
  }
  const cond = [...scope, ...keys.map((k) => sql`${sql.ref(`t.${k.name}`)} = ${sql.ref(`k.${k.name}`)}`)];
  const r = await sql`DELETE FROM ${id(table)} AS t USING ${unnestSource(keys, 'k')} WHERE ${sql.join(cond, sql` AND `)}`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}
