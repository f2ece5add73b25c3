import { sql, type Kysely, type RawBuilder, type SelectQueryBuilder } from 'kysely';
import { z } from 'zod';
import { AppError } from '../errors/app-error.js';

/**
 * Keyset ("seek") paging for the long lists (issue 15): a page is "the next `limit` rows after
 * this sort key", never OFFSET, so page 2,000 of 100,000 users costs what page 1 costs — the
 * database seeks the index to the key instead of reading and discarding every row before it.
 *
 * A cursor is the sort key of the last row shown, opaque to clients (base64url JSON). It is
 * validated on the way in: a hand-made or stale cursor answers `request.invalid`, never an
 * error from the database.
 */
export type SortKey = readonly (string | number)[];

const keySchema = z.array(z.union([z.string().max(2000), z.number().finite()])).min(1).max(4);

export function encodeCursor(key: SortKey): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, arity: number): SortKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const r = keySchema.safeParse(parsed);
  if (!r.success || r.data.length !== arity) throw new AppError('request.invalid', { detail: 'the cursor is not one this list gave out; start again from the first page' });
  return r.data;
}

/** The query-string field every keyset list takes. */
export const cursorField = z.string().max(4000).optional();

/**
 * `(a, b) > (x, y)` (or `<` for a descending list): a row-value comparison both SQLite and
 * PostgreSQL answer from a composite index on the same columns in the same order.
 */
export function after(columns: readonly string[], key: SortKey, direction: 'asc' | 'desc' = 'asc'): RawBuilder<boolean> {
  const cols = sql.join(columns.map((c) => sql.ref(c)));
  const vals = sql.join(key.map((v) => sql`${v}`));
  return direction === 'asc' ? sql<boolean>`(${cols}) > (${vals})` : sql<boolean>`(${cols}) < (${vals})`;
}

/** Rows fetched one past the page: the extra row says whether another page exists. */
export function page<T>(rows: T[], limit: number, keyOf: (row: T) => SortKey): { rows: T[]; nextCursor: string | null } {
  if (rows.length <= limit) return { rows, nextCursor: null };
  const shown = rows.slice(0, limit);
  return { rows: shown, nextCursor: encodeCursor(keyOf(shown[shown.length - 1]!)) };
}

/** Counting stops here: beyond it a list says "10,000+" (an exact count of a million rows costs a scan of them on every page). */
export const COUNT_CAP = 10_000;

/**
 * The number of rows `query` selects, counted up to `cap` (`SELECT count(*) FROM (… LIMIT
 * cap + 1)`): `exact` false means "more than cap".
 */
export async function countUpTo(db: Kysely<any>, query: SelectQueryBuilder<any, any, any>, cap = COUNT_CAP): Promise<{ total: number; exact: boolean }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const sub = query.clearSelect().clearOrderBy().select(sql`1`.as('one')).limit(cap + 1);
  const r = await db.selectFrom(sub.as('capped')).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const n = Number(r.n);
  return n > cap ? { total: cap, exact: false } : { total: n, exact: true };
}
