import { sql } from 'kysely';
import type { Dialect } from '../../store/db.js';
import type { Runtime } from '../../runtime/context.js';
import { checkNoDuplicates, defaultPagingLimits, PassTracker, type DirectoryRecord, type DirectorySource, type DirectoryStream, type HttpClientOptions, type Page, type PagingLimits } from '../../connectors/sdk/index.js';
import { AppError, catalogue, toAppError, type StoredError } from '../../errors/index.js';
import { directoryScopeOf, openDirectorySource, recordScopeExclusions, requireConnection } from '../../connections/service.js';
import type { ConnectionRow } from '../../store/connections-repo.js';
import { newId, nowIso } from '../../model/ids.js';
import { fromJson, toJson } from '../../store/json.js';
import { recordAudit } from '../../audit/audit.js';
import { enqueue } from '../../engine/jobs.js';
import { fingerprintOf } from '../records.js';
import { scopeKey } from '../scope.js';
import { directoryGate, learnGraphTier } from './budgets.js';
import { pageKeyOf, parseCheckpoint, START, type Checkpoint } from './checkpoint.js';
import { addNet, emptyCounts, stagePage, writeDeltaPage, writeFullPage, type PageCounts } from './pages.js';
import { applyNet, countExcluded, countObjects, removeUnseen, type Counts } from './finalize.js';
import { danglingReferences } from './checks.js';
import { ensureState, planAfterRun, type DirStateRow } from './state.js';
import { readAhead } from './read-ahead.js';
import { CORRELATE_DEDUPE, CORRELATE_JOB } from '../correlation/rules.js';
import { quotaKeyOf } from './quota-key.js';
import type { Trx, Where } from './rows.js';
import { DeferredWrites, unnestUpsertSql } from '../../store/bulk.js';
import { getRun, type DirRunView } from '../views.js';
import { describeHeld, forgetPagesOf, heldParams, HoldRemovals, judgeRemovals, massRemovalPercentOf, parseHeld, type HeldRemovals } from './guard.js';

export type SyncMode = 'auto' | 'full' | 'delta';
export type SyncTrigger = 'manual' | 'schedule';

export interface RunOptions {
  readonly mode?: SyncMode;
  readonly trigger?: SyncTrigger;
  /** Stops between pages (the checkpoint stands); the run resumes on the next call. */
  readonly signal?: AbortSignal;
  /** Extra HTTP options (benchmarks lift nothing here; tests may shorten waits). */
  readonly http?: Partial<HttpClientOptions>;
  /** Bounds of a pass (tests lower them to drive an endless listing into the bound). */
  readonly limits?: Partial<PagingLimits>;
}

export type StepOutcome =
  | { readonly runId: string; readonly status: 'succeeded' | 'warning' | 'failed' | 'held' }
  | { readonly runId: string; readonly status: 'throttled'; readonly resumeAt: Date }
  | { readonly runId: string; readonly status: 'interrupted' };

/**
 * A first sync larger than this loads memberships without their by-member index on the
 * embedded database and builds it once at the end: SQLite maintains an index written in
 * random order at ~5× the cost of the rows themselves, and sorts it in one go in a second.
 */
const BULK_LOAD_RECORDS = 50_000;
export const MEMBER_INDEX_SQL = 'CREATE INDEX IF NOT EXISTS dir_memberships_member ON dir_memberships (tenant_id, connection_id, member_id)';

function dropMemberIndex(raw: NonNullable<Where['raw']>): void {
  raw.exec('DROP INDEX IF EXISTS dir_memberships_member');
}

/** Up to 8 pages read ahead; up to 20,000 records written per transaction. */
const READ_AHEAD = { depth: 8, maxRecords: 20_000 };

/** Runs (or resumes) the connection's sync until it ends or is throttled; for tests and the CLI. */
export async function runDirectorySync(rt: Runtime, tenantId: string, connectionId: string, opts: RunOptions = {}): Promise<DirRunView> {
  const out = await stepDirectorySync(rt, tenantId, connectionId, opts);
  return getRun(rt, tenantId, out.runId);
}

type RunRow = { id: string; mode: string; gen: number; checkpoint_json: string; status: string };

/**
 * One sync run of a directory connection, or the rest of one a crash, a stop or a throttle
 * interrupted. Reads one page per call; writes each page and the checkpoint after it in one
 * transaction; applies deletions only after every stream completed; a read that fails ends the
 * run as that error and changes nothing more (never a "successful" empty sync).
 */
export async function stepDirectorySync(rt: Runtime, tenantId: string, connectionId: string, opts: RunOptions = {}): Promise<StepOutcome> {
  const row = await requireConnection(rt, tenantId, connectionId);
  if (row.role !== 'directory') throw new AppError('directory.not_directory', { name: row.name, role: row.role.replace(/_/g, ' ') });
  const w: Where = { tenantId, connectionId, raw: rt.store.sqlite, pg: rt.store.dialect === 'postgres' };
  const state = await ensureState(rt, tenantId, connectionId);
  if (state.active_run_id) {
    // A run held by the mass-removal guard waits for an admin; no other run starts meanwhile.
    const active = await rt.store.db.selectFrom('dir_runs').select('status').where('tenant_id', '=', tenantId).where('id', '=', state.active_run_id).executeTakeFirst();
    if (active?.status === 'held') return { runId: state.active_run_id, status: 'held' };
  }
  let run = state.active_run_id ? await runRow(rt, tenantId, state.active_run_id) : undefined;
  let source: DirectorySource;
  try {
    source = await openDirectorySource(rt, tenantId, row, { http: { gate: directoryGate(rt).gate, ...opts.http } });
  } catch (e) {
    run ??= await startRun(rt, w, state, 'full', opts.trigger ?? 'manual');
    return fail(rt, w, row, run.id, toAppError(e));
  }
  run ??= await startRun(rt, w, state, chooseMode(opts.mode ?? 'auto', source.streams, state), opts.trigger ?? 'manual');
  if (run.status === 'throttled') await rt.store.db.updateTable('dir_runs').set({ status: 'running', resume_at: null, updated_at: nowIso(rt.now()) }).where('tenant_id', '=', tenantId).where('id', '=', run.id).execute();

  const scope = directoryScopeOf(row);
  const sk = scopeKey(scope);
  const gen = Number(run.gen);
  const mode = run.mode as 'full' | 'delta';
  const stateDeltas = fromJson<Record<string, string>>(state.delta_json, {});
  const fingerprints = await loadFingerprints(rt, w);
  const cp: Checkpoint = parseCheckpoint(run.checkpoint_json);
  const provider = providerLabel(row.kind);
  const limits: PagingLimits = { ...defaultPagingLimits, ...opts.limits };
  let freshRecords = 0;

  try {
    while (cp.i < source.streams.length) {
      if (opts.signal?.aborted) return { runId: run.id, status: 'interrupted' };
      const stream = source.streams[cp.i]!;
      const full = mode === 'full' || !stream.incremental || cp.full.includes(stream.name);
      if (full && !cp.full.includes(stream.name)) cp.full.push(stream.name);
      if (stream.perGroup && cp.parent === null) {
        const first = await nextParent(rt, w, gen, null, source.streams);
        if (first === null) {
          advanceStream(cp);
          await saveCheckpoint(rt.store.db, w, run.id, rt.now(), cp, null, 0);
          continue;
        }
        cp.parent = first;
      }
      let cursor = cp.cursor;
      if (!full && cursor === null && cp.page === 0) cursor = stateDeltas[stream.name] ?? null;
      if (!full && cursor === null) {
        // No cursor to read changes from: this stream is read in full in this run.
        cp.full.push(stream.name);
        continue;
      }
      const parent = cp.parent;
      // Every page is checked as it is read, before anything of it is written (sdk/paging.ts).
      const tracker = new PassTracker(provider, stream.name, limits, cp.page);
      let used = cursor;
      // Each read first checks the run is still live: once the connection is deleted, no new
      // call goes to its provider (one that was already under way finishes, unused).
      const reader = readAhead(
        async (c) => {
          if (!(await runStillLive(rt.store.db, w, run.id, false))) throw new RunGone();
          return source.read(stream.name, c, parent ?? undefined);
        },
        cursor,
        READ_AHEAD,
      );
      try {
        for (;;) {
          if (opts.signal?.aborted) return { runId: run.id, status: 'interrupted' };
          let batch: Page<DirectoryRecord>[] | null;
          try {
            batch = await reader.take();
          } catch (e) {
            if (e instanceof RunGone) return { runId: run.id, status: 'interrupted' };
            if (!full && cp.page === 0 && e instanceof AppError && e.code === 'directory.delta_expired') {
              // The change feed expired: this stream is read in full in this run instead.
              cp.full.push(stream.name);
              Object.assign(cp, { cursor: null, page: 0 });
              await saveCheckpoint(rt.store.db, w, run.id, rt.now(), cp, null, 0);
              await rt.store.db.updateTable('dir_runs').set({ trigger: 'delta_expired' }).where('tenant_id', '=', tenantId).where('id', '=', run.id).execute();
              break;
            }
            throw e;
          }
          if (batch === null) break;
          for (const [k, page] of batch.entries()) {
            const label = `${stream.name} page ${cp.page + k + 1}${parent === null ? '' : ` of group ${parent}`}`;
            tracker.accept(label, page.items.length, used, page.next);
            if (!stream.repeatsAcrossPages) checkNoDuplicates(provider, label, page.items);
            used = page.next;
          }
          const now = nowIso(rt.now());
          const prepared = batch.map((page, k) => {
            const pageKey = pageKeyOf(stream.name, parent, cp.page + k);
            const fingerprint = full ? `${sk}:${fingerprintOf(page.items)}` : null;
            const unchanged = full && fingerprints.get(pageKey) === fingerprint;
            return { page, pageKey, fingerprint, unchanged, staged: unchanged ? null : stagePage(page.items, scope) };
          });
          let after: 'next_parent' | null = null;
          freshRecords += batch.reduce((a, p) => a + p.items.length, 0);
          const written = await rt.store.db.transaction().execute(async (trx) => {
            // The connection may have been deleted while this batch was read: its run is gone
            // then, and nothing of the batch may be written. On PostgreSQL the row lock makes
            // the deletion and this page wait for each other instead of interleaving.
            if (!(await claimPageWrite(trx, rt.store.dialect, w, run.id))) return false;
            if (cp.fresh && w.raw && freshRecords > BULK_LOAD_RECORDS) dropMemberIndex(w.raw);
            // The pages of a batch and the checkpoint past the last of them commit together: a
            // crash resumes after a page whose rows are all written, never inside one.
            // PostgreSQL: the batch's writes go out together, a few statements for the batch.
            const deferred = w.pg ? new DeferredWrites(trx) : undefined;
            const tw: Where = { ...w, deferred };
            const total = emptyCounts();
            let objects = 0;
            let kept = 0;
            const keptKeys: string[] = [];
            const rewritten: { pageKey: string; hash: string | null; objects: number }[] = [];
            for (const { page, pageKey, fingerprint, unchanged, staged } of prepared) {
              let counts: PageCounts = emptyCounts();
              if (unchanged) keptKeys.push(pageKey);
              else if (full) {
                counts = await writeFullPage(trx, tw, staged!, gen, pageKey, now, cp.fresh, stream.repeatsAcrossPages ? null : { provider, label: pageLabelOf(stream.name, parent, pageKey) });
                rewritten.push({ pageKey, hash: fingerprint, objects: page.items.length });
              } else {
                await deferred?.flush();
                counts = await writeDeltaPage(trx, w, staged!, gen, now);
              }
              for (const [t, n] of Object.entries(counts.net)) addNet(cp.net, t as never, n ?? 0);
              total.added += counts.added;
              total.changed += counts.changed;
              total.removed += counts.removed;
              objects += page.items.length;
              if (unchanged) kept += 1;
              after = advance(cp, page.next, page.deltaCursor, stream.name);
            }
            await savePageFingerprints(trx, tw, gen, rewritten);
            if (keptKeys.length > 0 && deferred) {
              await deferred.add('dir_pages', sql`UPDATE dir_pages SET gen = ${gen}, kept_gen = ${gen} WHERE tenant_id = ${tenantId} AND connection_id = ${connectionId} AND page_key = ANY(${keptKeys}::text[])`);
            } else if (keptKeys.length > 0) {
              await trx.updateTable('dir_pages').set({ gen, kept_gen: gen }).where('tenant_id', '=', tenantId).where('connection_id', '=', connectionId).where('page_key', 'in', keptKeys).execute();
            }
            await saveCheckpoint(trx, tw, run.id, rt.now(), cp, total, objects, kept, prepared.length);
            await deferred?.flush();
            return true;
          });
          // Deleted (its jobs cancelled): stop here, without another call to the provider.
          if (!written) return { runId: run.id, status: 'interrupted' };
          for (const p of prepared) if (!p.unchanged && p.fingerprint) fingerprints.set(p.pageKey, p.fingerprint);
          if (after === 'next_parent') {
            const next = await nextParent(rt, w, gen, cp.parent, source.streams);
            if (next === null) advanceStream(cp);
            else Object.assign(cp, { parent: next, cursor: null, page: 0 });
            await saveCheckpoint(rt.store.db, w, run.id, rt.now(), cp, null, 0);
          }
        }
      } finally {
        reader.stop();
      }
    }
    return await finish(rt, w, row, run.id, gen, mode, cp, source.streams, state);
  } catch (e) {
    const err = toAppError(e);
    if (catalogue[err.code].kind === 'throttle') return throttled(rt, w, run.id, err);
    return fail(rt, w, row, run.id, err);
  }
}

/** The provider's name in paging errors raised by the engine itself. */
function providerLabel(kind: string): string {
  switch (kind) {
    case 'microsoft365':
      return 'Microsoft Graph';
    case 'google_workspace':
      return 'Google Directory API';
    case 'aws_iam':
      return 'AWS IAM';
    case 'scim':
      return 'SCIM app';
    default:
      return kind;
  }
}

/** "users page 3" (or "… of group g1") from a page key "users#2" / "members/g1#2". */
function pageLabelOf(stream: string, parent: string | null, pageKey: string): string {
  const n = Number(pageKey.slice(pageKey.lastIndexOf('#') + 1));
  return `${stream} page ${n + 1}${parent === null ? '' : ` of group ${parent}`}`;
}

/** Thrown by a read when the run disappeared (its connection was deleted). */
class RunGone extends Error {}

/** The run still exists (its connection was not deleted); `lock` takes its row lock (PostgreSQL, inside the page's transaction). */
async function runStillLive(trx: Trx, w: Where, runId: string, lock: boolean): Promise<boolean> {
  let q = trx.selectFrom('dir_runs').select('status').where('tenant_id', '=', w.tenantId).where('id', '=', runId);
  if (lock) q = q.forUpdate();
  const r = await q.executeTakeFirst();
  return r !== undefined && r.status !== 'cancelled';
}

/**
 * The first statement of a page's transaction: is the run still live? On PostgreSQL a row
 * lock makes a deletion and this page wait for each other. On SQLite the first statement must
 * write: a transaction that reads first and writes later cannot take the write lock once
 * another process (a second worker, the API) has written since its read, and fails at once
 * with "database is locked" instead of waiting (WAL snapshots); a write first waits its turn.
 */
async function claimPageWrite(trx: Trx, dialect: Dialect, w: Where, runId: string): Promise<boolean> {
  if (dialect === 'postgres') {
    // The same statement lets the batch commit without waiting for its WAL flush (one round
    // trip fewer per batch). A crash of the database may lose the last few batches, but rows
    // and checkpoint go together (one transaction; WAL replays in order), so the run resumes
    // from an earlier page and reads it again. finish() still commits durably.
    const r = await sql<{ status: string }>`SELECT status, set_config('synchronous_commit', 'off', true) FROM dir_runs WHERE tenant_id = ${w.tenantId} AND id = ${runId} FOR UPDATE`.execute(trx);
    const status = r.rows[0]?.status;
    return status !== undefined && status !== 'cancelled';
  }
  const r = await trx.updateTable('dir_runs').set({ status: sql`status` }).where('tenant_id', '=', w.tenantId).where('id', '=', runId).where('status', '!=', 'cancelled').executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

function chooseMode(requested: SyncMode, streams: readonly DirectoryStream[], state: DirStateRow): 'full' | 'delta' {
  if (requested === 'full') return 'full';
  const incremental = streams.filter((s) => s.incremental);
  if (incremental.length === 0) return 'full';
  const deltas = fromJson<Record<string, string>>(state.delta_json, {});
  return incremental.every((s) => deltas[s.name]) ? 'delta' : 'full';
}

/** Moves the checkpoint past a page; 'next_parent' when a per-group stream finished a group. */
function advance(cp: Checkpoint, next: string | null, deltaCursor: string | null, stream: string): 'next_parent' | null {
  if (next) {
    cp.cursor = next;
    cp.page += 1;
    return null;
  }
  if (deltaCursor) cp.deltas[stream] = deltaCursor;
  if (cp.parent !== null) return 'next_parent';
  advanceStream(cp);
  return null;
}

function advanceStream(cp: Checkpoint): void {
  Object.assign(cp, { i: cp.i + 1, cursor: null, parent: null, page: 0 });
}

async function saveCheckpoint(db: Trx, w: Where, runId: string, nowMs: number, cp: Checkpoint, counts: PageCounts | null, objects: number, unchanged = 0, pages = counts ? 1 : 0): Promise<void> {
  if (w.deferred) {
    // Sent with the batch's rows (the checkpoint is serialised now: it moves on after this).
    await w.deferred.add('dir_runs', sql`UPDATE dir_runs SET checkpoint_json = ${JSON.stringify(cp)}, objects_read = objects_read + ${objects}, pages_read = pages_read + ${pages},
      pages_unchanged = pages_unchanged + ${unchanged}, added = added + ${counts?.added ?? 0}, changed = changed + ${counts?.changed ?? 0}, removed = removed + ${counts?.removed ?? 0},
      updated_at = ${new Date(nowMs).toISOString()} WHERE tenant_id = ${w.tenantId} AND id = ${runId}`);
    return;
  }
  await db
    .updateTable('dir_runs')
    .set({
      checkpoint_json: JSON.stringify(cp),
      objects_read: sql`objects_read + ${objects}`,
      pages_read: sql`pages_read + ${pages}`,
      pages_unchanged: sql`pages_unchanged + ${unchanged}`,
      added: sql`added + ${counts?.added ?? 0}`,
      changed: sql`changed + ${counts?.changed ?? 0}`,
      removed: sql`removed + ${counts?.removed ?? 0}`,
      updated_at: new Date(nowMs).toISOString(),
    })
    .where('tenant_id', '=', w.tenantId)
    .where('id', '=', runId)
    .execute();
}

/** The fingerprints of the pages a batch rewrote: one statement for the batch on PostgreSQL. */
async function savePageFingerprints(trx: Trx, w: Where, gen: number, pages: readonly { pageKey: string; hash: string | null; objects: number }[]): Promise<void> {
  if (pages.length === 0) return;
  if (w.pg) {
    const statement = unnestUpsertSql({
      table: 'dir_pages',
      constants: { tenant_id: w.tenantId, connection_id: w.connectionId, gen, kept_gen: 0 },
      arrays: [
        { name: 'page_key', type: 'text', values: pages.map((p) => p.pageKey) },
        { name: 'hash', type: 'text', values: pages.map((p) => p.hash) },
        { name: 'objects', type: 'int4', values: pages.map((p) => p.objects) },
      ],
      conflict: ['tenant_id', 'connection_id', 'page_key'],
      update: { hash: null, gen: null, objects: null },
    });
    if (w.deferred) await w.deferred.add('dir_pages', statement);
    else await statement?.execute(trx);
    return;
  }
  for (const p of pages) {
    await trx
      .insertInto('dir_pages')
      .values({ tenant_id: w.tenantId, connection_id: w.connectionId, page_key: p.pageKey, hash: p.hash, gen, kept_gen: 0, objects: p.objects })
      .onConflict((oc) => oc.columns(['tenant_id', 'connection_id', 'page_key']).doUpdateSet({ hash: p.hash, gen, objects: p.objects }))
      .execute();
  }
}

/** The next group (by id) whose members a per-group stream reads: groups this pass has seen. */
async function nextParent(rt: Runtime, w: Where, gen: number, after: string | null, streams: readonly DirectoryStream[]): Promise<string | null> {
  const listing = streams.filter((s) => !s.perGroup && s.yields.includes('group')).map((s) => s.name);
  if (listing.length === 0) return null;
  // One query: the first group after `after` that a listing stream of this pass wrote (its row
  // has this generation) or kept (its page was found unchanged in this run). A page key is the
  // stream's name, alone or followed by '#' or '/'.
  const pageKey = sql.ref('g.page_key');
  let q = rt.store.db
    .selectFrom('dir_groups as g')
    .leftJoin('dir_pages as p', (j) => j.onRef('p.tenant_id', '=', 'g.tenant_id').onRef('p.connection_id', '=', 'g.connection_id').onRef('p.page_key', '=', 'g.page_key'))
    .select('g.external_id')
    .where('g.tenant_id', '=', w.tenantId)
    .where('g.connection_id', '=', w.connectionId)
    .where((eb) => eb.or([eb('g.gen', '=', gen), eb('p.kept_gen', '=', gen)]))
    .where(sql<boolean>`(${sql.join(listing.map((s) => sql`${pageKey} = ${s} OR substr(${pageKey}, 1, ${sql.lit(s.length + 1)}) IN (${s + '#'}, ${s + '/'})`), sql` OR `)})`)
    .orderBy('g.external_id')
    .limit(1);
  if (after !== null) q = q.where('g.external_id', '>', after);
  return (await q.executeTakeFirst())?.external_id ?? null;
}

async function loadFingerprints(rt: Runtime, w: Where): Promise<Map<string, string>> {
  const rows = await rt.store.db.selectFrom('dir_pages').select(['page_key', 'hash']).where('tenant_id', '=', w.tenantId).where('connection_id', '=', w.connectionId).execute();
  const m = new Map<string, string>();
  for (const r of rows) if (r.hash) m.set(r.page_key, r.hash);
  return m;
}

async function runRow(rt: Runtime, tenantId: string, id: string): Promise<RunRow | undefined> {
  const r = await rt.store.db.selectFrom('dir_runs').select(['id', 'mode', 'gen', 'checkpoint_json', 'status']).where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return r && (r.status === 'running' || r.status === 'throttled') ? r : undefined;
}

/** A new run takes the next generation; the compare-and-set keeps two processes from starting two. */
async function startRun(rt: Runtime, w: Where, state: DirStateRow, mode: 'full' | 'delta', trigger: SyncTrigger): Promise<RunRow> {
  const now = nowIso(rt.now());
  const id = newId('dsr', rt.now());
  const gen = Number(state.gen) + 1;
  // Nothing stored for the connection yet (its first sync, or the first after it was emptied).
  const anyPage = await rt.store.db.selectFrom('dir_pages').select('page_key').where('tenant_id', '=', w.tenantId).where('connection_id', '=', w.connectionId).limit(1).executeTakeFirst();
  const anyAccount = await rt.store.db.selectFrom('dir_accounts').select('external_id').where('tenant_id', '=', w.tenantId).where('connection_id', '=', w.connectionId).limit(1).executeTakeFirst();
  const checkpoint = JSON.stringify({ ...START, fresh: mode === 'full' && !anyPage && !anyAccount });
  await rt.store.db.transaction().execute(async (trx) => {
    let claim = trx.updateTable('dir_state').set({ gen, active_run_id: id, updated_at: now }).where('tenant_id', '=', w.tenantId).where('connection_id', '=', w.connectionId).where('gen', '=', Number(state.gen));
    claim = state.active_run_id === null ? claim.where('active_run_id', 'is', null) : claim.where('active_run_id', '=', state.active_run_id);
    const won = await claim.executeTakeFirst();
    if (Number(won.numUpdatedRows) !== 1) throw new AppError('directory.sync_running', { name: w.connectionId });
    await trx
      .insertInto('dir_runs')
      .values({ tenant_id: w.tenantId, id, connection_id: w.connectionId, mode, trigger, status: 'running', gen, checkpoint_json: checkpoint, objects_read: 0, pages_read: 0, pages_unchanged: 0, added: 0, changed: 0, removed: 0, counts_json: null, excluded_json: null, checks_json: null, error_json: null, resume_at: null, started_at: now, updated_at: now, finished_at: null })
      .execute();
  });
  return { id, mode, gen, checkpoint_json: checkpoint, status: 'running' };
}

async function finish(rt: Runtime, w: Where, row: ConnectionRow, runId: string, gen: number, mode: 'full' | 'delta', cp: Checkpoint, streams: readonly DirectoryStream[], state: DirStateRow): Promise<StepOutcome> {
  const now = nowIso(rt.now());
  const fullStreams = mode === 'full' ? null : cp.full;
  let result;
  try {
    result = await rt.store.db.transaction().execute(async (trx) => {
      const t0 = performance.now();
      if (cp.fresh && w.raw) {
        w.raw.exec(MEMBER_INDEX_SQL);
        // Statistics for the planner: without them SQLite may walk a million memberships by
        // their primary key to find one member's groups, as both indexes start alike.
        w.raw.exec('ANALYZE dir_memberships; ANALYZE dir_grants; ANALYZE dir_accounts');
      } else if (cp.fresh) {
        // PostgreSQL: autovacuum analyses a table some time after a bulk load; until then the
        // planner believes it empty and scans a million memberships to find one.
        await sql`ANALYZE dir_memberships, dir_grants, dir_accounts`.execute(trx);
      }
      const previous = state.last_run_id ? await trx.selectFrom('dir_runs').select(['counts_json', 'checks_json', 'status']).where('tenant_id', '=', w.tenantId).where('id', '=', state.last_run_id).executeTakeFirst() : undefined;
      const prevOk = previous && (previous.status === 'succeeded' || previous.status === 'warning') && previous.counts_json && previous.checks_json ? previous : undefined;
      const prevCounts = prevOk ? fromJson<Counts | null>(prevOk.counts_json, null) : null;
      const r = await trx.selectFrom('dir_runs').select(['added', 'changed', 'removed', 'held_json']).where('tenant_id', '=', w.tenantId).where('id', '=', runId).executeTakeFirstOrThrow();
      const threshold = massRemovalPercentOf(row);
      const approved = parseHeld(r.held_json)?.approved ?? null;
      // What the connection held before this run's removals, for the guard's shares.
      const before = cp.fresh || threshold <= 0 || approved ? null : (prevCounts ?? (await countObjects(trx, w)));
      const unseen = cp.fresh ? { removed: 0, net: {}, sample: [] } : await removeUnseen(trx, w, gen, fullStreams);
      const t1 = performance.now();
      if (before) {
        const held = judgeRemovals(threshold, before, unseen.net, unseen.sample, now);
        // Rolls back this transaction: nothing is removed while the run waits for an admin.
        if (held) throw new HoldRemovals(held);
      }
      for (const [t, n] of Object.entries(unseen.net)) addNet(cp.net, t as never, n ?? 0);
      const removed = unseen.removed;
      const wrote = Number(r.added) + Number(r.changed) + Number(r.removed) + removed > 0 || Object.values(cp.net).some((n) => n !== 0);
      const prevChecks = prevOk ? fromJson<{ danglingMemberships: number; danglingGrants: number } | null>(prevOk.checks_json, null) : null;
      // Totals: counted once when there is nothing to add to; afterwards moved by net changes.
      const counts: Counts = cp.fresh || !prevCounts ? await countObjects(trx, w) : applyNet(prevCounts, cp.net);
      // Checks: everything when the last run found something (or there is no last run); else
      // only what this run wrote; nothing when it wrote nothing.
      const clean = prevChecks && prevChecks.danglingMemberships + prevChecks.danglingGrants === 0;
      const checks = cp.fresh || !clean ? await danglingReferences(trx, w) : wrote ? await danglingReferences(trx, w, gen) : { danglingMemberships: 0, danglingGrants: 0, samples: [] };
      const excluded = await countExcluded(trx, w);
      const added = cp.fresh ? Object.values(counts).reduce((a, n) => a + n, 0) : null;
      const changedAnything = wrote || cp.fresh;
      rt.log.debug({ connection: w.connectionId, removeMs: Math.round(t1 - t0), checkMs: Math.round(performance.now() - t1) }, 'directory sync finalized');
      const status = checks.danglingMemberships + checks.danglingGrants > 0 ? 'warning' : 'succeeded';
      const error: StoredError | null = status === 'warning' ? { code: 'directory.dangling_reference', params: { count: checks.danglingMemberships + checks.danglingGrants, sample: checks.samples[0] ?? '' } } : null;
      await trx
        .updateTable('dir_runs')
        .set({ status, ...(added !== null ? { added } : {}), removed: sql`removed + ${removed}`, counts_json: toJson(counts), checks_json: toJson(checks), excluded_json: toJson(excluded), error_json: error ? toJson(error) : null, checkpoint_json: JSON.stringify(cp), finished_at: now, updated_at: now })
        .where('tenant_id', '=', w.tenantId)
        .where('id', '=', runId)
        .execute();
      const deltas = mode === 'full' ? cp.deltas : { ...fromJson<Record<string, string>>(state.delta_json, {}), ...cp.deltas };
      const incremental = streams.some((s) => s.incremental);
      await trx
        .updateTable('dir_state')
        .set({
          delta_json: toJson(deltas), active_run_id: null, last_run_id: runId, last_success_at: now, throttled_until: null, throttle_json: null, updated_at: now,
          ...planAfterRun(rt.now(), { full: mode === 'full', incremental, state }),
        })
        .where('tenant_id', '=', w.tenantId)
        .where('connection_id', '=', w.connectionId)
        .execute();
      return { status, counts, excluded, error, changedAnything };
    });
  } catch (e) {
    if (e instanceof HoldRemovals) return hold(rt, w, row, runId, e.held);
    throw e;
  }
  if (row.kind === 'microsoft365') learnGraphTier(rt, quotaKeyOf(row), result.counts.accounts);
  if (mode === 'full' || cp.full.length > 0) await recordScopeExclusions(rt, w.tenantId, w.connectionId, result.excluded);
  if (result.changedAnything) await enqueue(rt.store.db, w.tenantId, { kind: CORRELATE_JOB, dedupeKey: CORRELATE_DEDUPE, payload: {} }, rt.now());
  if (result.error) {
    await recordAudit(rt.store.db, rt.store.dialect, w.tenantId, {
      severity: 'warning', action: 'directory.sync_warning', actor: 'system', target: { type: 'connection', id: w.connectionId, name: row.name },
      message: `Directory sync of "${row.name}" finished with a warning: ${catalogue['directory.dangling_reference'].title}`,
      code: result.error.code, params: result.error.params,
    }, rt.now());
  }
  return { runId, status: result.status as 'succeeded' | 'warning' };
}

/**
 * The run's removals wait for an admin (guard.ts): the run stays the connection's active run
 * in status 'held', so no other run starts and the removals it found are not lost. Audited.
 */
async function hold(rt: Runtime, w: Where, row: ConnectionRow, runId: string, held: HeldRemovals): Promise<StepOutcome> {
  const now = nowIso(rt.now());
  const stored: StoredError = { code: 'directory.removals_held', params: heldParams(held) };
  await rt.store.db.updateTable('dir_runs').set({ status: 'held', held_json: toJson(held), error_json: toJson(stored), updated_at: now }).where('tenant_id', '=', w.tenantId).where('id', '=', runId).execute();
  await recordAudit(rt.store.db, rt.store.dialect, w.tenantId, {
    severity: 'warning', action: 'directory.removals_held', actor: 'system', target: { type: 'connection', id: w.connectionId, name: row.name },
    message: `Directory sync of "${row.name}" held its removals for approval: ${describeHeld(held)} (more than ${held.threshold}%)`,
    code: stored.code, params: stored.params,
  }, rt.now());
  return { runId, status: 'held' };
}

async function throttled(rt: Runtime, w: Where, runId: string, err: AppError): Promise<StepOutcome> {
  const resumeAt = new Date(rt.now() + Math.max(1_000, err.retryAfterMs ?? 60_000));
  const now = nowIso(rt.now());
  const budget = typeof err.params['budget'] === 'string' ? err.params['budget'] : typeof err.params['provider'] === 'string' ? `${err.params['provider']}'s limit` : 'the provider\'s limit';
  const stored: StoredError = { code: 'directory.throttled', params: { budget } };
  await rt.store.db.updateTable('dir_runs').set({ status: 'throttled', resume_at: resumeAt.toISOString(), error_json: toJson(stored), updated_at: now }).where('tenant_id', '=', w.tenantId).where('id', '=', runId).execute();
  await rt.store.db
    .updateTable('dir_state')
    .set({ throttled_until: resumeAt.toISOString(), throttle_json: toJson({ since: now, budget, cause: err.code }), updated_at: now })
    .where('tenant_id', '=', w.tenantId)
    .where('connection_id', '=', w.connectionId)
    .execute();
  return { runId, status: 'throttled', resumeAt };
}

async function fail(rt: Runtime, w: Where, row: ConnectionRow, runId: string, err: AppError): Promise<StepOutcome> {
  const now = nowIso(rt.now());
  if (err.code === 'internal.unexpected') rt.log.error({ err: err.cause ?? err, connection: w.connectionId }, 'directory sync failed unexpectedly');
  await rt.store.db.updateTable('dir_runs').set({ status: 'failed', error_json: toJson(err.toJSON()), finished_at: now, updated_at: now }).where('tenant_id', '=', w.tenantId).where('id', '=', runId).execute();
  // The pass did not complete: the next one re-reads what this one rewrote (see forgetPagesOf).
  const g = await rt.store.db.selectFrom('dir_runs').select('gen').where('tenant_id', '=', w.tenantId).where('id', '=', runId).executeTakeFirst();
  if (g) await forgetPagesOf(rt.store.db, w, Number(g.gen));
  const state = await ensureState(rt, w.tenantId, w.connectionId);
  await rt.store.db
    .updateTable('dir_state')
    .set({ active_run_id: null, last_run_id: runId, throttled_until: null, throttle_json: null, updated_at: now, ...planAfterRun(rt.now(), { failed: true, full: false, incremental: false, state }) })
    .where('tenant_id', '=', w.tenantId)
    .where('connection_id', '=', w.connectionId)
    .execute();
  await recordAudit(rt.store.db, rt.store.dialect, w.tenantId, {
    severity: 'error', action: 'directory.sync_failed', actor: 'system', target: { type: 'connection', id: w.connectionId, name: row.name },
    message: `Directory sync of "${row.name}" failed: ${catalogue[err.code].title}. Nothing was removed from the inventory.`,
    code: err.code, params: err.params,
  }, rt.now());
  return { runId, status: 'failed' };
}
