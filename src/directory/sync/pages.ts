import type { DirectoryRecord, DirectoryScope } from '../../connectors/sdk/index.js';
import { isRemoval, OBJECT_TABLES, stage, type ObjectTable, type Removal, type StagedRow } from '../records.js';
import { lookup, removeKeys, upsert, type Existing, type Trx, type Where } from './rows.js';

export interface PageCounts {
  added: number;
  changed: number;
  removed: number;
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
export function stagePage(records: readonly DirectoryRecord[], jsons: readonly string[], scope: DirectoryScope): StagedPage {
  const byTable = new Map<ObjectTable, Map<string, StagedRow>>();
  const removals: Removal[] = [];
  for (let i = 0; i < records.length; i++) {
    const s = stage(records[i]!, jsons[i]!, scope);
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
 */
export async function writeFullPage(db: Trx, w: Where, page: StagedPage, gen: number, pageKey: string, now: string): Promise<PageCounts> {
  const counts: PageCounts = { added: 0, changed: 0, removed: 0 };
  for (const [table, rows] of page.rows) {
    const d = await diff(db, w, table, rows);
    if (counted(table)) {
      counts.added += d.added;
      counts.changed += d.changed;
    }
    await upsert(db, w, table, rows, gen, pageKey, now, false);
  }
  return counts;
}

/**
 * A page of changes (Graph delta): upserts keep the page key of the full pass they belong to
 * and clear that page's fingerprint, so the next full pass re-reads it rather than trusting a
 * fingerprint of content that has changed since. An account the scope now excludes leaves
 * the inventory; one it now includes leaves dir_excluded.
 */
export async function writeDeltaPage(db: Trx, w: Where, page: StagedPage, gen: number, now: string): Promise<PageCounts> {
  const counts: PageCounts = { added: 0, changed: 0, removed: 0 };
  const touchedPages = new Set<string>();
  for (const [table, rows] of page.rows) {
    const d = await diff(db, w, table, rows);
    for (const p of d.pages) touchedPages.add(p);
    if (counted(table)) {
      counts.added += d.added;
      counts.changed += d.changed;
    }
    // Existing rows keep their page key; new ones belong to no page of a full pass yet.
    const fresh = rows.filter((r) => !d.existing.has(r.key));
    const known = rows.filter((r) => d.existing.has(r.key));
    await upsert(db, w, table, known, gen, 'delta', now, true);
    await upsert(db, w, table, fresh, gen, 'delta', now, false);
  }
  const accounts = page.rows.get('dir_accounts') ?? [];
  const excluded = page.rows.get('dir_excluded') ?? [];
  // An account moving across the scope boundary leaves the table it was in.
  counts.removed += await removeKeys(db, w, 'dir_accounts', excluded.map((r) => r.key));
  await removeKeys(db, w, 'dir_excluded', accounts.map((r) => r.key));

  const removalsByTable = new Map<ObjectTable, string[]>();
  for (const r of page.removals) {
    let ks = removalsByTable.get(r.table);
    if (!ks) removalsByTable.set(r.table, (ks = []));
    ks.push(r.key);
  }
  for (const [table, keys] of removalsByTable) {
    const existing = await lookup(db, w, table, keys);
    for (const e of existing.values()) touchedPages.add(e.pageKey);
    counts.removed += await removeKeys(db, w, table, keys);
    if (table === 'dir_accounts') await removeKeys(db, w, 'dir_excluded', keys);
  }
  touchedPages.delete('delta');
  if (touchedPages.size > 0) {
    await db
      .updateTable('dir_pages')
      .set({ hash: null })
      .where('tenant_id', '=', w.tenantId)
      .where('connection_id', '=', w.connectionId)
      .where('page_key', 'in', [...touchedPages])
      .execute();
  }
  return counts;
}
