import { sql } from 'kysely';
import type { ObjectTable } from '../records.js';
import { addNet, cascade, type Net } from './pages.js';
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

const COUNTED: Record<keyof Counts, ObjectTable> = {
  accounts: 'dir_accounts', groups: 'dir_groups', memberships: 'dir_memberships',
  entitlements: 'dir_entitlements', grants: 'dir_grants', credentials: 'dir_credentials',
};

/** Pages of these streams (or every page when null). */
function inStreams(streams: readonly string[] | null) {
  return streams === null
    ? sql<boolean>`1 = 1`
    : sql<boolean>`(${sql.join(streams.flatMap((s) => [sql`substr(page_key, 1, ${s.length + 1}) = ${`${s}#`}`, sql`substr(page_key, 1, ${s.length + 1}) = ${`${s}/`}`]), sql` OR `)})`;
}

/**
 * After a complete pass, and only then: rows the pass did not see are gone at the provider.
 * Only pages the run did not keep can hold such rows (pages rewritten this run, and pages the
 * pass no longer has), so a re-sync where nothing changed deletes by looking at nothing. A
 * row on such a page is stale unless this run wrote it (gen). `streams` limits this to
 * streams read in full (a delta run re-reads the small non-incremental ones); null = a full
 * run, where rows a delta added outside any page go too unless re-read. What leaves with a
 * removed account or group (its memberships, grants, keys) goes too.
 */
export async function removeUnseen(db: Trx, w: Where, gen: number, streams: readonly string[] | null): Promise<{ removed: number; net: Net; sample: string[] }> {
  const net: Net = {};
  if (streams !== null && streams.length === 0) return { removed: 0, net, sample: [] };
  const pages = (
    await db.selectFrom('dir_pages').select('page_key').where('tenant_id', '=', w.tenantId).where('connection_id', '=', w.connectionId).where('kept_gen', '<>', gen).where(inStreams(streams)).execute()
  ).map((p) => p.page_key);
  const gone: Partial<Record<ObjectTable, string[]>> = {};
  for (let i = 0; i < pages.length; i += 200) {
    const part = pages.slice(i, i + 200);
    for (const table of ['dir_accounts', 'dir_groups', 'dir_entitlements'] as const) {
      const keys = await db.selectFrom(table).select('external_id').where('tenant_id', '=', w.tenantId).where('connection_id', '=', w.connectionId).where('page_key', 'in', part).where('gen', '<', gen).execute();
      if (keys.length) (gone[table] ??= []).push(...keys.map((k) => k.external_id));
    }
    for (const table of ['dir_accounts', 'dir_groups', 'dir_memberships', 'dir_entitlements', 'dir_grants', 'dir_credentials', 'dir_excluded'] as const) {
      const r = await db.deleteFrom(table).where('tenant_id', '=', w.tenantId).where('connection_id', '=', w.connectionId).where('page_key', 'in', part).where('gen', '<', gen).executeTakeFirst();
      addNet(net, table, -Number(r.numDeletedRows));
    }
  }
  // An account that left the inventory for dir_excluded (disabled, say) keeps its memberships:
  // they come back with it when the scope or the account changes.
  const accounts = gone.dir_accounts ?? [];
  const excluded = new Set<string>();
  for (let i = 0; i < accounts.length; i += 500) {
    const part = accounts.slice(i, i + 500);
    for (const r of await db.selectFrom('dir_excluded').select('external_id').where('tenant_id', '=', w.tenantId).where('connection_id', '=', w.connectionId).where('external_id', 'in', part).execute()) excluded.add(r.external_id);
  }
  for (const [table, keys] of Object.entries(gone) as [ObjectTable, string[]][]) {
    for (const [t, n] of Object.entries(await cascade(db, w, table, table === 'dir_accounts' ? keys.filter((k) => !excluded.has(k)) : keys, gen))) addNet(net, t as ObjectTable, -n);
  }
  await db.deleteFrom('dir_pages').where('tenant_id', '=', w.tenantId).where('connection_id', '=', w.connectionId).where('gen', '<', gen).where('kept_gen', '<>', gen).where(inStreams(streams)).execute();
  const removed = Object.entries(net).filter(([t]) => t !== 'dir_excluded').reduce((a, [, n]) => a - (n ?? 0), 0);
  // What the mass-removal guard shows an admin: a few of the accounts and groups that would go.
  const sample = [...(gone.dir_accounts ?? []).slice(0, 5).map((k) => `account ${k}`), ...(gone.dir_groups ?? []).slice(0, 5).map((k) => `group ${k}`)];
  return { removed, net, sample };
}

export async function countObjects(db: Trx, w: Where): Promise<Counts> {
  const out = {} as Counts;
  for (const [k, table] of Object.entries(COUNTED) as [keyof Counts, ObjectTable][]) {
    const r = await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).where('tenant_id', '=', w.tenantId).where('connection_id', '=', w.connectionId).executeTakeFirst();
    out[k] = Number(r?.n ?? 0);
  }
  return out;
}

/** The previous totals moved by this run's net changes. */
export function applyNet(previous: Counts, net: Net): Counts {
  const out = { ...previous };
  for (const [k, table] of Object.entries(COUNTED) as [keyof Counts, ObjectTable][]) out[k] = Math.max(0, previous[k] + (net[table] ?? 0));
  return out;
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
