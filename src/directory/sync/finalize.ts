import { sql } from 'kysely';
import { OBJECT_TABLES } from '../records.js';
import type { Trx, Where } from './rows.js';

export interface Counts {
  accounts: number;
  groups: number;
  memberships: number;
  entitlements: number;
  grants: number;
  credentials: number;
}

export interface Excluded {
  guests: number;
  external: number;
  disabled: number;
}

/** Rows of these streams' pages (or every row when null) take part in the deletion. */
function inStreams(streams: readonly string[] | null) {
  return streams === null
    ? sql<boolean>`1 = 1`
    : sql<boolean>`(${sql.join(streams.flatMap((s) => [sql`substr(page_key, 1, ${s.length + 1}) = ${`${s}#`}`, sql`substr(page_key, 1, ${s.length + 1}) = ${`${s}/`}`]), sql` OR `)})`;
}

/**
 * After a complete pass, and only then: rows the pass did not see are gone at the provider.
 * A row was seen when this run wrote it (gen) or when its page was found unchanged (kept_gen).
 * `streams` limits the deletion to streams read in full (a delta run that fell back for one);
 * null = a full run, where rows a delta added outside any page go too unless re-read.
 * Returns the number of inventory objects removed (excluded accounts are not inventory).
 */
export async function removeUnseen(db: Trx, w: Where, gen: number, streams: readonly string[] | null): Promise<number> {
  if (streams !== null && streams.length === 0) return 0;
  let removed = 0;
  const kept = db.selectFrom('dir_pages').select('page_key').where('tenant_id', '=', w.tenantId).where('connection_id', '=', w.connectionId).where('kept_gen', '=', gen);
  for (const table of OBJECT_TABLES) {
    const r = await db
      .deleteFrom(table)
      .where('tenant_id', '=', w.tenantId)
      .where('connection_id', '=', w.connectionId)
      .where('gen', '<', gen)
      .where('page_key', 'not in', kept)
      .where(inStreams(streams))
      .executeTakeFirst();
    if (table !== 'dir_excluded') removed += Number(r.numDeletedRows);
  }
  // Pages the pass no longer has (a tenant that shrank) and fingerprints of streams re-read.
  await db.deleteFrom('dir_pages').where('tenant_id', '=', w.tenantId).where('connection_id', '=', w.connectionId).where('gen', '<', gen).where(inStreams(streams)).execute();
  return removed;
}

export async function countObjects(db: Trx, w: Where): Promise<Counts> {
  const n = async (table: 'dir_accounts' | 'dir_groups' | 'dir_memberships' | 'dir_entitlements' | 'dir_grants' | 'dir_credentials') =>
    Number((await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).where('tenant_id', '=', w.tenantId).where('connection_id', '=', w.connectionId).executeTakeFirst())?.n ?? 0);
  return {
    accounts: await n('dir_accounts'),
    groups: await n('dir_groups'),
    memberships: await n('dir_memberships'),
    entitlements: await n('dir_entitlements'),
    grants: await n('dir_grants'),
    credentials: await n('dir_credentials'),
  };
}

export async function countExcluded(db: Trx, w: Where): Promise<Excluded> {
  const rows = await db
    .selectFrom('dir_excluded')
    .select(['reason', (eb) => eb.fn.countAll<number>().as('n')])
    .where('tenant_id', '=', w.tenantId)
    .where('connection_id', '=', w.connectionId)
    .groupBy('reason')
    .execute();
  const by = new Map(rows.map((r) => [r.reason, Number(r.n)]));
  return { guests: by.get('guest') ?? 0, external: by.get('external') ?? 0, disabled: by.get('disabled') ?? 0 };
}
