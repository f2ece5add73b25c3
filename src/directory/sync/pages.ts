import type { Kysely } from 'kysely';
import { pagingInconsistent, type AttributeValue, type DirectoryRecord, type DirectoryScope } from '../../connectors/sdk/index.js';
import { isRemoval, KEY_COLUMNS, OBJECT_TABLES, stage, type ObjectTable, type Removal, type StagedRow } from '../records.js';
import { lookup, removeKeys, upsert, type Existing, type Trx, type Where } from './rows.js';

/** Net rows added (+) or removed (−) per table, so totals need no count over a million rows. */
export type Net = Partial<Record<ObjectTable, number>>;

export interface PageCounts {
  added: number;
  changed: number;
  removed: number;
  net: Net;
}

export const DELTA_PAGE = 'delta';

export function emptyCounts(): PageCounts {
  return { added: 0, changed: 0, removed: 0, net: {} };
}

export function addNet(into: Net, table: ObjectTable, n: number): void {
  if (n !== 0) into[table] = (into[table] ?? 0) + n;
}

export interface StagedPage {
  readonly rows: ReadonlyMap<ObjectTable, StagedRow[]>;
  readonly removals: readonly Removal[];
  readonly objects: number;
}

/**
 * Stages a page's records. A key repeated within a page (a provider listing a member twice)
 * keeps its last record: the tables have one row per key, and a statement may not touch a row
 * twice.
 */
export function stagePage(records: readonly DirectoryRecord[], scope: DirectoryScope): StagedPage {
  const byTable = new Map<ObjectTable, Map<string, StagedRow>>();
  const removals: Removal[] = [];
  for (const record of records) {
    const s = stage(record, scope);
    if (!s) continue;
    if (isRemoval(s)) {
      removals.push(s);
      continue;
    }
    let m = byTable.get(s.table);
    if (!m) byTable.set(s.table, (m = new Map()));
    m.set(s.key, s);
  }
  const rows = new Map<ObjectTable, StagedRow[]>();
  for (const t of OBJECT_TABLES) {
    const m = byTable.get(t);
    if (m) rows.set(t, [...m.values()]);
  }
  return { rows, removals, objects: records.length };
}

async function diff(db: Trx, w: Where, table: ObjectTable, rows: readonly StagedRow[]): Promise<{ added: number; changed: number; pages: Set<string>; existing: Map<string, Existing> }> {
  const existing = await lookup(db, w, table, rows.map((r) => r.key));
  let added = 0;
  let changed = 0;
  const pages = new Set<string>();
  for (const r of rows) {
    const e = existing.get(r.key);
    if (!e) added += 1;
    else {
      pages.add(e.pageKey);
      if (e.hash !== r.hash) changed += 1;
    }
  }
  return { added, changed, pages, existing };
}

/** Objects the inventory counts as added/changed: excluded accounts are not in the inventory. */
const counted = (t: ObjectTable) => t !== 'dir_excluded';

/**
 * A page of a full pass that differs from its fingerprint: every row upserted with this run's
 * generation and this page's key. Rows of the old page that are not here keep their old
 * generation and are removed when the pass completes (unless another page re-read them).
 * `fresh`: the connection held nothing when the run began, so there is nothing to compare
 * with (totals are counted once at the end instead).
 */
export async function writeFullPage(db: Trx, w: Where, page: StagedPage, gen: number, pageKey: string, now: string, fresh: boolean, repeats: RepeatCheck | null = null): Promise<PageCounts> {
  const counts = emptyCounts();
  for (const [table, rows] of page.rows) {
    const single = KEY_COLUMNS[table].length === 1;
    if (!fresh) {
      const d = await diff(db, w, table, rows);
      if (repeats && single) await checkNotReadBefore(db, w, table, d.existing, gen, pageKey, repeats);
      addNet(counts.net, table, d.added);
      if (counted(table)) {
        counts.added += d.added;
        counts.changed += d.changed;
      }
    } else if (repeats && single) {
      // A fresh pass has nothing stored from before it: any row already there came from an
      // earlier page of this same pass.
      await checkNotReadBefore(db, w, table, await lookup(db, w, table, rows.map((r) => r.key)), gen, pageKey, repeats);
    }
    await upsert(db, w, table, rows, gen, pageKey, now, false);
  }
  return counts;
}

/** Who is asking, to name the page in the error. */
export interface RepeatCheck {
  readonly provider: string;
  readonly label: string;
}

/**
 * An object this page lists that an earlier page of the same pass already listed: the paging
 * repeats (a server ignoring startIndex, a cursor that loops), and the pass cannot be complete.
 * Earlier pages of this pass are those written in this run (the row's gen) and those kept
 * unchanged in this run (their page's kept_gen): a kept page's rows keep an older gen.
 */
async function checkNotReadBefore(db: Trx, w: Where, table: ObjectTable, existing: ReadonlyMap<string, Existing>, gen: number, pageKey: string, who: RepeatCheck): Promise<void> {
  const elsewhere = [...existing.entries()].filter(([, e]) => e.pageKey !== pageKey && e.pageKey !== DELTA_PAGE);
  if (elsewhere.length === 0) return;
  const repeated = elsewhere.find(([, e]) => e.gen === gen);
  if (repeated) throw repeatError(table, repeated[0], repeated[1].pageKey, who);
  const pageKeys = [...new Set(elsewhere.map(([, e]) => e.pageKey))];
  const kept = new Set<string>();
  for (let i = 0; i < pageKeys.length; i += 500) {
    const part = pageKeys.slice(i, i + 500);
    for (const r of await db.selectFrom('dir_pages').select('page_key').where('tenant_id', '=', w.tenantId).where('connection_id', '=', w.connectionId).where('page_key', 'in', part).where('kept_gen', '=', gen).execute()) kept.add(r.page_key);
  }
  const again = elsewhere.find(([, e]) => kept.has(e.pageKey));
  if (again) throw repeatError(table, again[0], again[1].pageKey, who);
}

function repeatError(table: ObjectTable, key: string, firstPageKey: string, who: RepeatCheck) {
  const what = table === 'dir_groups' ? 'group' : table === 'dir_entitlements' ? 'entitlement' : table === 'dir_credentials' ? 'credential' : 'account';
  const n = Number(firstPageKey.slice(firstPageKey.lastIndexOf('#') + 1));
  return pagingInconsistent(who.provider, who.label, `the ${what} ${JSON.stringify(key.slice(0, 80))} was already listed on page ${n + 1} of this pass`);
}

/**
 * A page of changes (Graph delta): upserts keep the page key of the full pass they belong to
 * and clear that page's fingerprint, so the next full pass re-reads it rather than trusting a
 * fingerprint of content that has changed since. An account the scope now excludes leaves
 * the inventory; one it now includes leaves dir_excluded.
 */
export async function writeDeltaPage(db: Trx, w: Where, staged: StagedPage, gen: number, now: string): Promise<PageCounts> {
  const page = await mergeNotCarried(db, w, staged);
  const counts = emptyCounts();
  const touchedPages = new Set<string>();
  const removed = (table: ObjectTable, n: number) => {
    addNet(counts.net, table, -n);
    if (counted(table)) counts.removed += n;
  };
  for (const [table, rows] of page.rows) {
    const d = await diff(db, w, table, rows);
    for (const p of d.pages) touchedPages.add(p);
    addNet(counts.net, table, d.added);
    if (counted(table)) {
      counts.added += d.added;
      counts.changed += d.changed;
    }
    // Existing rows keep their page key; new ones belong to no page of a full pass yet.
    await upsert(db, w, table, rows.filter((r) => d.existing.has(r.key)), gen, DELTA_PAGE, now, true);
    await upsert(db, w, table, rows.filter((r) => !d.existing.has(r.key)), gen, DELTA_PAGE, now, false);
  }
  // An account moving across the scope boundary leaves the table it was in.
  removed('dir_accounts', await removeKeys(db, w, 'dir_accounts', (page.rows.get('dir_excluded') ?? []).map((r) => r.key)));
  removed('dir_excluded', await removeKeys(db, w, 'dir_excluded', (page.rows.get('dir_accounts') ?? []).map((r) => r.key)));

  const removalsByTable = new Map<ObjectTable, string[]>();
  for (const r of page.removals) {
    let ks = removalsByTable.get(r.table);
    if (!ks) removalsByTable.set(r.table, (ks = []));
    ks.push(r.key);
  }
  for (const [table, keys] of removalsByTable) {
    const existing = await lookup(db, w, table, keys);
    for (const e of existing.values()) touchedPages.add(e.pageKey);
    removed(table, await removeKeys(db, w, table, keys));
    if (table === 'dir_accounts') removed('dir_excluded', await removeKeys(db, w, 'dir_excluded', keys));
    for (const [t, n] of Object.entries(await cascade(db, w, table, keys, gen))) removed(t as ObjectTable, n);
  }
  touchedPages.add(DELTA_PAGE);
  await clearPageFingerprints(db, w, [...touchedPages]);
  return counts;
}

/**
 * Accounts whose entry did not carry some attributes (Graph sends `manager@delta` on a later
 * delta round only when the manager changed): those attributes keep their stored values, and
 * the row is staged again from the merged record, so its hash is the one a full pass would
 * compute. One lookup per page, and only for pages that have such accounts.
 */
async function mergeNotCarried(db: Trx, w: Where, page: StagedPage): Promise<StagedPage> {
  const accounts = page.rows.get('dir_accounts');
  const partial = accounts?.filter((r) => r.notCarried) ?? [];
  if (!accounts || partial.length === 0) return page;
  const stored = new Map<string, Record<string, unknown>>();
  for (let i = 0; i < partial.length; i += 500) {
    const keys = partial.slice(i, i + 500).map((r) => r.key);
    const rows = await db.selectFrom('dir_accounts').select(['external_id', 'attributes_json'])
      .where('tenant_id', '=', w.tenantId).where('connection_id', '=', w.connectionId).where('external_id', 'in', keys).execute();
    for (const r of rows) stored.set(r.external_id, JSON.parse(r.attributes_json) as Record<string, unknown>);
  }
  const merged = accounts.map((r) => {
    if (!r.notCarried) return r;
    const { record, scope } = r.notCarried;
    const before = stored.get(r.key);
    // A new account has nothing stored: what it did not carry is none.
    if (!before) return r;
    const attributes = { ...record.attributes };
    for (const k of record.notCarried ?? []) if (k in before) attributes[k] = before[k] as AttributeValue;
    const again = stage({ ...record, attributes, notCarried: undefined }, scope);
    return again && !isRemoval(again) ? again : r;
  });
  return { ...page, rows: new Map([...page.rows, ['dir_accounts', merged]]) };
}

/**
 * Drops the fingerprint of pages whose rows this run changed (their rows no longer match it, so
 * the next pass rewrites them instead of skipping them), and makes sure the delta page exists.
 */
export async function clearPageFingerprints(db: Trx, w: Where, pageKeys: readonly string[]): Promise<void> {
  for (let i = 0; i < pageKeys.length; i += 500) {
    const part = pageKeys.slice(i, i + 500);
    await db
      .updateTable('dir_pages')
      .set({ hash: null })
      .where('tenant_id', '=', w.tenantId)
      .where('connection_id', '=', w.connectionId)
      .where('page_key', 'in', part)
      .execute();
  }
  if (pageKeys.includes(DELTA_PAGE)) {
    await db
      .insertInto('dir_pages')
      .values({ tenant_id: w.tenantId, connection_id: w.connectionId, page_key: DELTA_PAGE, hash: null, gen: 0, kept_gen: 0, objects: 0 })
      .onConflict((oc) => oc.columns(['tenant_id', 'connection_id', 'page_key']).doNothing())
      .execute();
  }
}

/**
 * What goes with a removed object: a deleted account holds no memberships, grants or keys any
 * more, a deleted group has no members. Change feeds do not always repeat those removals
 * (Graph reports a deleted user in users/delta, not in every group's members@delta). The
 * pages those rows came from lose their fingerprint: they no longer hold what the provider
 * last listed there, so the next full pass must re-read them rather than keep them (a provider
 * that still lists the grant gets it back, then reported as dangling).
 */
export async function cascade(db: Trx, w: Where, table: ObjectTable, keys: readonly string[], gen: number): Promise<Net> {
  const net: Net = {};
  if (keys.length === 0) return net;
  const q = db as unknown as Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const pages = new Set<string>();
  const del = async (t: 'dir_memberships' | 'dir_grants' | 'dir_credentials', col: string, part: string[]) => {
    const scope = (b: any) => b.where('tenant_id', '=', w.tenantId).where('connection_id', '=', w.connectionId).where(col, 'in', part); // eslint-disable-line @typescript-eslint/no-explicit-any
    for (const r of (await scope(q.selectFrom(t).select('page_key').distinct()).execute()) as { page_key: string }[]) pages.add(r.page_key);
    const r = await scope(q.deleteFrom(t)).executeTakeFirstOrThrow();
    addNet(net, t, Number(r.numDeletedRows));
  };
  for (let i = 0; i < keys.length; i += 500) {
    const part = keys.slice(i, i + 500);
    if (table === 'dir_accounts' || table === 'dir_groups') {
      await del('dir_memberships', 'member_id', part);
      await del('dir_grants', 'principal_id', part);
    }
    if (table === 'dir_groups') await del('dir_memberships', 'group_id', part);
    if (table === 'dir_accounts') await del('dir_credentials', 'account_id', part);
    if (table === 'dir_entitlements') await del('dir_grants', 'entitlement_id', part);
  }
  if (pages.size > 0) await clearPageFingerprints(db, w, [...pages]);
  return net;
}
