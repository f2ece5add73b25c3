import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/runtime/paths.js';
import { CLI, expireLeases, startWorkerProcess, type WorkerProcess } from './worker-process.js';
import { dropSchema, pgUrlWithSchema } from './pg-schema.js';
import { prng } from '../../src/sandbox/demo.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { startSyncwarden, type Running } from '../../src/runtime/start.js';
import { createLogger } from '../../src/runtime/logger.js';
import { createConnection, directoryScopeOf, openDirectorySource, requireConnection } from '../../src/connections/service.js';
import { queueDirectorySync } from '../../src/directory/jobs.js';
import { SYNC_JOB } from '../../src/directory/schedule.js';
import { exclusionOf } from '../../src/directory/scope.js';
import { DEFAULT_TENANT } from '../../src/api/route.js';
import type { DirectoryRecord } from '../../src/connectors/sdk/index.js';

/**
 * Directory crash trials: a real `syncwarden worker` child process runs the identity
 * inventory's sync of the sandbox's large Entra tenant (the sandbox lives in this process, so
 * it survives the kills) and is killed with SIGKILL at a random moment; between trials the
 * tenant sometimes churns and the next sync asks for 'full' or 'auto' at random. Afterwards a
 * clean worker finishes what is left, and the inventory is compared with a fresh, independent
 * full read of the tenant through the connector: nothing lost, nothing extra, no duplicates,
 * the last run's counts equal to the tables'.
 */


export interface DirectoryCrashWorld {
  readonly sandbox: Sandbox;
  readonly running: Running;
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly connectionId: string;
  readonly largeTenantId: string;
  admin<T = any>(method: string, path: string, body?: unknown): Promise<T>; // eslint-disable-line @typescript-eslint/no-explicit-any
  close(): Promise<void>;
}

export interface DirectoryCrashWorldOptions {
  readonly dialect: 'sqlite' | 'postgres';
  readonly size?: { readonly users: number; readonly groups: number; readonly memberships: number };
}

/** The sandbox in this process, a store (SQLite data dir or a fresh PostgreSQL schema) and one Entra directory connection. */
export async function directoryCrashWorld(opts: DirectoryCrashWorldOptions): Promise<DirectoryCrashWorld> {
  const size = opts.size ?? { users: 5_000, groups: 500, memberships: 50_000 };
  const dataDir = mkdtempSync(join(tmpdir(), 'sw-dircrash-'));
  const pgSchema = opts.dialect === 'postgres' ? await pgUrlWithSchema('dc') : undefined;
  const databaseUrl = pgSchema?.url;
  const sandbox = await startSandbox({});
  const running = await startSyncwarden({ dataDir, databaseUrl, log: createLogger('warn'), env: {} });
  const admin = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${sandbox.urls.admin}${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    if (!res.ok) throw new Error(`sandbox admin ${method} ${path} → ${res.status}: ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  const close = async () => {
    await running.stop();
    await sandbox.close();
    rmSync(dataDir, { recursive: true, force: true });
    if (pgSchema) await dropSchema(pgSchema.schema);
  };
  try {
    await admin('POST', '/microsoft/tenants/large', size);
    await admin('POST', '/microsoft/throttle', { enabled: false });
    const ms = sandbox.demo.microsoft;
    const conn = await createConnection(running.rt, DEFAULT_TENANT, {
      kind: 'microsoft365', role: 'directory', name: 'Large tenant (crash trials)',
      config: { tenantId: ms.largeTenantId, clientId: ms.clientId, endpoints: { login: sandbox.urls.entra_login, graph: sandbox.urls.graph } },
      credential: { type: 'certificate', pfxBase64: ms.pfxBase64, pfxPassword: ms.pfxPassword },
    }, 'bench');
    return { sandbox, running, dataDir, databaseUrl, connectionId: conn.id, largeTenantId: ms.largeTenantId, admin, close };
  } catch (e) {
    await close();
    throw e;
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));



/** The child runs the built CLI; refuse stale builds so a trial never tests old code. */
export function assertFreshDirectoryBuild(): void {
  const cli = CLI();
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npx tsc -p tsconfig.json\` (or \`npm run build\`) first`);
  const files = [
    'src/directory/sync/run.ts', 'src/directory/sync/pages.ts', 'src/directory/sync/finalize.ts', 'src/directory/sync/rows.ts',
    'src/directory/sync/checkpoint.ts', 'src/directory/sync/state.ts', 'src/directory/sync/read-ahead.ts', 'src/directory/records.ts',
    'src/directory/jobs.ts', 'src/directory/schedule.ts', 'src/connectors/microsoft/directory.ts', 'src/engine/worker.ts', 'src/engine/jobs.ts',
  ];
  for (const f of files) {
    const src = join(packageRoot(), f);
    const out = join(packageRoot(), 'dist', f.replace(/\.ts$/, '.js'));
    if (!existsSync(src)) continue;
    if (!existsSync(out) || statSync(src).mtimeMs > statSync(out).mtimeMs + 1000) throw new Error(`${out} is older than ${f}: rebuild (\`npx tsc -p tsconfig.json\`) first`);
  }
}

function startWorker(world: DirectoryCrashWorld, concurrency = 2): WorkerProcess {
  return startWorkerProcess(world, concurrency);
}

/** The connection's run in progress (a killed one waits here to be resumed), with its checkpoint's stream index. */
async function activeRun(world: DirectoryCrashWorld): Promise<{ id: string; i: number; mid: boolean } | null> {
  const db = world.running.rt.store.db;
  const state = await db.selectFrom('dir_state').select('active_run_id').where('connection_id', '=', world.connectionId).executeTakeFirst();
  if (!state?.active_run_id) return null;
  const run = await db.selectFrom('dir_runs').select(['id', 'checkpoint_json']).where('id', '=', state.active_run_id).executeTakeFirst();
  const cp = run ? (JSON.parse(run.checkpoint_json) as { i: number; cursor: string | null }) : null;
  return run && cp ? { id: run.id, i: cp.i, mid: cp.cursor !== null } : null;
}

/**
 * Where the work stood at the kill: 'mid' = a live worker held the sync job and a run was in
 * progress (leases of dead workers are expired between trials, so a live lease is this
 * worker's); 'early' = the job was not claimed yet, or claimed but no run begun; 'late' =
 * nothing left to do.
 */
async function phaseNow(world: DirectoryCrashWorld): Promise<'mid' | 'early' | 'late'> {
  const db = world.running.rt.store.db;
  const jobs = await db.selectFrom('jobs').select(['status', 'lease_until']).where('kind', '=', SYNC_JOB).where('status', 'in', ['queued', 'running']).execute();
  const state = await db.selectFrom('dir_state').select('active_run_id').where('connection_id', '=', world.connectionId).executeTakeFirst();
  const now = new Date().toISOString();
  const held = jobs.some((j) => j.status === 'running' && j.lease_until !== null && j.lease_until > now);
  if (held && state?.active_run_id) return 'mid';
  return jobs.length > 0 ? 'early' : 'late';
}

export interface DirectoryCrashOptions {
  readonly trials: number;
  /** Random kill time after the worker is up, in ms. */
  readonly minKillMs: number;
  readonly maxKillMs: number;
  /** Chance that the tenant churns (1 % of its objects) before a trial. */
  readonly churnChance?: number;
  readonly seed?: number;
  /**
   * Whether the tenant may change while a killed run is paused between pages: 'always'
   * (default); 'except-groups' skips the churn while the pause is inside the groups stream's
   * full pass; 'never'. (The sandbox once paged a group's members by offset into the live list,
   * so a removal mid-round skipped an unchanged member; it now resumes after the last member id
   * sent, and 'always' is the honest default.)
   */
  readonly churnWhilePaused?: 'always' | 'except-groups' | 'never';
  readonly log?: (line: string) => void;
}

export interface TableDiff {
  readonly truth: number;
  readonly store: number;
  readonly lost: number;
  readonly extra: number;
  readonly duplicates: number;
  readonly lostSample: readonly string[];
  readonly extraSample: readonly string[];
}

/** Where one kill landed (after it: the checkpoint the run had committed). */
export interface KillPoint {
  readonly trial: number;
  readonly asked: 'full' | 'auto';
  /** A kill at a random moment of the worker's start-up rather than once a run was under way. */
  readonly startup: boolean;
  /** From the worker's "started" line to the kill. */
  readonly killAfterMs: number;
  readonly phase: 'mid' | 'early' | 'late';
  readonly run: string | null;
  readonly at: string;
  readonly pagesRead: number;
}

/** The Entra connector's streams, in order (for naming where a checkpoint stood). */
const STREAMS = ['users', 'groups', 'directory_roles', 'app_roles'];

export interface DirectoryCrashResult {
  readonly trials: number;
  readonly killedMidWork: number;
  readonly kills: readonly KillPoint[];
  readonly churns: number;
  /** Churns made while a killed run's pass was paused between pages (it resumes over a changed tenant). */
  readonly pausedPassChurns: number;
  /** Churns skipped by `churnWhilePaused`. */
  readonly skippedChurns: number;
  /** Runs the trials and the clean finish started (dir_runs rows). */
  readonly runs: number;
  /** Syncs queued after the clean finish because the tenant changed while the finished run was under way. */
  readonly settleRuns: number;
  readonly lost: number;
  readonly extra: number;
  readonly duplicates: number;
  readonly objectsChecked: number;
  readonly tables: Readonly<Record<string, TableDiff>>;
  /** The last run's counts_json against the tables' counts (every key equal). */
  readonly countsConsistent: boolean;
  readonly lastRunCounts: Readonly<Record<string, number>> | null;
  readonly tableCounts: Readonly<Record<string, number>>;
  readonly lastRunStatus: string;
  /** Runs left 'running' or 'throttled' after the clean finish (should be 0). */
  readonly runsLeftRunning: number;
  /** Every dir_runs row, oldest first: for a reproduction when something is off. */
  readonly runRows: readonly Record<string, unknown>[];
}

export async function runDirectoryCrashTrials(world: DirectoryCrashWorld, opts: DirectoryCrashOptions): Promise<DirectoryCrashResult> {
  assertFreshDirectoryBuild();
  const rand = prng(opts.seed ?? 4242);
  const log = opts.log ?? (() => undefined);
  const rt = world.running.rt;
  const db = rt.store.db;
  const churnChance = opts.churnChance ?? 0.5;
  let killedMidWork = 0;
  const kills: KillPoint[] = [];
  let churns = 0;
  let pausedPassChurns = 0;
  let skippedChurns = 0;
  let lastChurnAt = 0;
  // Two kinds of kill: one trial in five kills at a random moment of the worker's start-up
  // (claiming the job, signing in, opening or resuming the run); the others wait until the
  // worker holds the job with a run in progress and then kill after a random delay. That delay's
  // window adapts like crash-trials.ts: a kill after the work finished proves nothing, so the
  // window shrinks below it; one that landed mid-work lets it grow back (up to maxKillMs).
  let maxKill = opts.maxKillMs;
  for (let t = 0; t < opts.trials; t++) {
    const churnDraw = rand();
    const modeDraw = rand();
    const kindDraw = rand();
    const delayDraw = rand();
    if (t > 0 && churnDraw < churnChance) {
      const active = await activeRun(world);
      const paused = active !== null && active.i < STREAMS.length;
      const inGroups = paused && STREAMS[active.i] === 'groups' && active.mid;
      const policy = opts.churnWhilePaused ?? 'always';
      if (!paused || policy === 'always' || (policy === 'except-groups' && !inGroups)) {
        await world.admin('POST', `/microsoft/tenants/${world.largeTenantId}/churn`, { fraction: 0.01, seed: t + 1 });
        churns += 1;
        if (paused) pausedPassChurns += 1;
        lastChurnAt = Date.now();
      } else skippedChurns += 1;
    }
    const mode = modeDraw < 0.5 ? 'full' : 'auto';
    await queueDirectorySync(rt, DEFAULT_TENANT, world.connectionId, mode);
    const w = startWorker(world);
    await w.ready;
    const readyAt = Date.now();
    const startup = kindDraw < 0.2;
    let delay: number;
    if (startup) {
      delay = opts.minKillMs + Math.floor(delayDraw * 600);
      await sleep(delay);
    } else {
      const deadline = Date.now() + 15_000;
      while ((await phaseNow(world)) === 'early' && Date.now() < deadline) await sleep(15);
      delay = opts.minKillMs + Math.floor(delayDraw * Math.max(1, maxKill - opts.minKillMs));
      await sleep(delay);
    }
    const killAfter = Date.now() - readyAt;
    const phase = await phaseNow(world);
    w.child.kill('SIGKILL');
    await w.exited;
    if (phase === 'mid') killedMidWork += 1;
    if (!startup) {
      if (phase === 'mid') maxKill = Math.min(opts.maxKillMs, Math.floor(maxKill * 1.25));
      else if (phase === 'late') maxKill = Math.max(opts.minKillMs + 200, Math.floor(delay * 0.85));
    }
    await expireLeases(world.running.rt.store.db);
    const run = await db.selectFrom('dir_runs').select(['id', 'mode', 'status', 'checkpoint_json', 'pages_read']).where('connection_id', '=', world.connectionId).orderBy('started_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
    const cp = run ? (JSON.parse(run.checkpoint_json) as { i: number; page: number }) : null;
    const at = !run ? 'no run' : run.status !== 'running' ? `run ${run.status}` : cp!.i >= STREAMS.length ? 'finishing' : `${STREAMS[cp!.i]} page ${cp!.page}`;
    kills.push({ trial: t + 1, asked: mode, startup, killAfterMs: killAfter, phase, run: run ? `${run.id} ${run.mode}` : null, at, pagesRead: Number(run?.pages_read ?? 0) });
    log(`trial ${t + 1}/${opts.trials}: ${mode}, ${startup ? 'start-up kill' : 'kill in a run'} ${killAfter} ms after ready (${phase}); last run ${run ? `${run.id} ${run.mode}` : 'none'} at ${at}, ${run?.pages_read ?? 0} pages read`);
  }

  // A clean worker finishes whatever is left; if the tenant changed after the finished run
  // began, that run may rightly lag it (a pass reads a moving tenant), so one more sync starts.
  const t0 = Date.now();
  const w = startWorker(world);
  await w.ready;
  let settleRuns = 0;
  try {
    await queueDirectorySync(rt, DEFAULT_TENANT, world.connectionId, 'auto');
    for (;;) {
      const last = await settle(world, log);
      if (Date.parse(last.started_at) > lastChurnAt) break;
      if (settleRuns >= 3) throw new Error('the clean finish never caught up with the tenant');
      settleRuns += 1;
      await queueDirectorySync(rt, DEFAULT_TENANT, world.connectionId, 'auto');
    }
  } finally {
    w.child.kill('SIGTERM');
    await w.exited;
  }
  log(`clean finish: ${Date.now() - t0} ms, ${settleRuns} more run(s) after it`);
  return { trials: opts.trials, killedMidWork, kills, churns, pausedPassChurns, skippedChurns, settleRuns, ...(await compareInventory(world, log)) };
}

/** Waits until no sync job is due or running and no run is active; returns the last run. */
async function settle(world: DirectoryCrashWorld, log: (line: string) => void): Promise<{ id: string; started_at: string; status: string }> {
  const db = world.running.rt.store.db;
  const deadline = Date.now() + 120_000;
  let nextLog = Date.now() + 2_000;
  for (;;) {
    const live = await db.selectFrom('jobs').select(['status', 'run_at']).where('kind', '=', SYNC_JOB).where('status', 'in', ['queued', 'running']).execute();
    const due = live.filter((j) => j.status === 'running' || j.run_at <= new Date(Date.now() + 2_000).toISOString());
    const state = await db.selectFrom('dir_state').select(['active_run_id', 'last_run_id']).where('connection_id', '=', world.connectionId).executeTakeFirst();
    if (due.length === 0 && state && state.active_run_id === null && state.last_run_id) {
      const last = await db.selectFrom('dir_runs').select(['id', 'started_at', 'status', 'error_json']).where('id', '=', state.last_run_id).executeTakeFirstOrThrow();
      if (last.status !== 'succeeded' && last.status !== 'warning') throw new Error(`the clean finish's last run ended ${last.status}: ${last.error_json}`);
      return last;
    }
    if (Date.now() >= nextLog) {
      nextLog = Date.now() + 2_000;
      const run = state?.active_run_id ? await db.selectFrom('dir_runs').select(['mode', 'status', 'pages_read', 'checkpoint_json']).where('id', '=', state.active_run_id).executeTakeFirst() : undefined;
      log(`  waiting: jobs ${JSON.stringify(live)}; active run ${run ? `${run.mode} ${run.status}, ${run.pages_read} pages read, at ${run.checkpoint_json.slice(0, 40)}` : 'none'}`);
    }
    if (Date.now() > deadline) throw new Error(`the clean finish did not finish: jobs ${JSON.stringify(live)}, state ${JSON.stringify(state)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const pair = (a: string, b: string) => `${a}|${b}`;

interface Truth {
  accounts: Set<string>;
  excluded: Set<string>;
  groups: Set<string>;
  memberships: Set<string>;
  entitlements: Set<string>;
  grants: Set<string>;
  credentials: Set<string>;
}

/**
 * The ground truth: a fresh, independent full read of every stream through the connector
 * (not the engine), with the connection's scope (the default: guests, external and disabled
 * accounts left out) applied to accounts. Records apply in order, so a removal a full read may
 * carry takes out what came before it.
 */
export async function readTruth(world: DirectoryCrashWorld): Promise<Truth> {
  const rt = world.running.rt;
  const row = await requireConnection(rt, DEFAULT_TENANT, world.connectionId);
  const scope = directoryScopeOf(row);
  const source = await openDirectorySource(rt, DEFAULT_TENANT, row);
  const t: Truth = { accounts: new Set(), excluded: new Set(), groups: new Set(), memberships: new Set(), entitlements: new Set(), grants: new Set(), credentials: new Set() };
  const apply = (r: DirectoryRecord) => {
    switch (r.type) {
      case 'account':
        if (exclusionOf(r, scope)) {
          t.excluded.add(r.externalId);
          t.accounts.delete(r.externalId);
        } else {
          t.accounts.add(r.externalId);
          t.excluded.delete(r.externalId);
        }
        return;
      case 'group': t.groups.add(r.externalId); return;
      case 'membership': t.memberships.add(pair(r.groupId, r.memberId)); return;
      case 'entitlement': t.entitlements.add(r.externalId); return;
      case 'grant': t.grants.add(pair(r.entitlementId, r.principalId)); return;
      case 'credential': t.credentials.add(r.externalId); return;
      case 'removed':
        switch (r.objectType) {
          case 'account': t.accounts.delete(r.externalId); t.excluded.delete(r.externalId); return;
          case 'group': t.groups.delete(r.externalId); return;
          case 'entitlement': t.entitlements.delete(r.externalId); return;
          case 'credential': t.credentials.delete(r.externalId); return;
          case 'membership': t.memberships.delete(pair(r.groupId, r.memberId)); return;
          case 'grant': t.grants.delete(pair(r.entitlementId, r.principalId)); return;
        }
    }
  };
  for (const stream of source.streams) {
    if (stream.perGroup) throw new Error(`the ground truth reader does not read per-group streams (${stream.name})`);
    let cursor: string | null = null;
    for (let pages = 0; ; pages++) {
      if (pages > 100_000) throw new Error(`stream ${stream.name} never ended`);
      const page = await source.read(stream.name, cursor);
      for (const r of page.items) apply(r);
      if (!page.next) break;
      cursor = page.next;
    }
  }
  return t;
}

/**
 * The inventory against a fresh full read of the tenant: per table the keys lost (in the
 * truth, not in the store), extra (in the store, not in the truth) and duplicated; the last
 * run's counts against the tables'; runs left running.
 */
export async function compareInventory(world: DirectoryCrashWorld, log: (line: string) => void = () => undefined): Promise<Omit<DirectoryCrashResult, 'trials' | 'killedMidWork' | 'kills' | 'churns' | 'pausedPassChurns' | 'skippedChurns' | 'settleRuns'>> {
  const db = world.running.rt.store.db;
  const c = world.connectionId;
  const t0 = Date.now();
  const truth = await readTruth(world);
  const t1 = Date.now();
  const keysOf = async (table: 'dir_accounts' | 'dir_groups' | 'dir_entitlements' | 'dir_credentials' | 'dir_excluded') =>
    (await db.selectFrom(table).select('external_id').where('tenant_id', '=', DEFAULT_TENANT).where('connection_id', '=', c).execute()).map((r) => r.external_id);
  const stored = {
    accounts: await keysOf('dir_accounts'),
    excluded: await keysOf('dir_excluded'),
    groups: await keysOf('dir_groups'),
    memberships: (await db.selectFrom('dir_memberships').select(['group_id', 'member_id']).where('tenant_id', '=', DEFAULT_TENANT).where('connection_id', '=', c).execute()).map((r) => pair(r.group_id, r.member_id)),
    entitlements: await keysOf('dir_entitlements'),
    grants: (await db.selectFrom('dir_grants').select(['entitlement_id', 'principal_id']).where('tenant_id', '=', DEFAULT_TENANT).where('connection_id', '=', c).execute()).map((r) => pair(r.entitlement_id, r.principal_id)),
    credentials: await keysOf('dir_credentials'),
  };
  const tables: Record<string, TableDiff> = {};
  let lost = 0;
  let extra = 0;
  let duplicates = 0;
  let objectsChecked = 0;
  for (const k of Object.keys(stored) as (keyof typeof stored)[]) {
    const rows = stored[k];
    const set = new Set(rows);
    const want = truth[k];
    const lostKeys = [...want].filter((x) => !set.has(x));
    const extraKeys = [...set].filter((x) => !want.has(x));
    const d: TableDiff = { truth: want.size, store: rows.length, lost: lostKeys.length, extra: extraKeys.length, duplicates: rows.length - set.size, lostSample: lostKeys.slice(0, 5), extraSample: extraKeys.slice(0, 5) };
    tables[k] = d;
    lost += d.lost;
    extra += d.extra;
    duplicates += d.duplicates;
    objectsChecked += want.size;
  }
  const tableCounts: Record<string, number> = {
    accounts: stored.accounts.length, groups: stored.groups.length, memberships: stored.memberships.length,
    entitlements: stored.entitlements.length, grants: stored.grants.length, credentials: stored.credentials.length,
  };
  const state = await db.selectFrom('dir_state').select(['last_run_id']).where('connection_id', '=', c).executeTakeFirstOrThrow();
  const last = await db.selectFrom('dir_runs').select(['status', 'counts_json']).where('id', '=', state.last_run_id!).executeTakeFirstOrThrow();
  const lastRunCounts = last.counts_json ? (JSON.parse(last.counts_json) as Record<string, number>) : null;
  const countsConsistent = lastRunCounts !== null && Object.keys(tableCounts).every((k) => lastRunCounts[k] === tableCounts[k]) && Object.keys(lastRunCounts).every((k) => k in tableCounts);
  const runRows = await db
    .selectFrom('dir_runs')
    .select(['id', 'mode', 'trigger', 'status', 'gen', 'objects_read', 'pages_read', 'pages_unchanged', 'added', 'changed', 'removed', 'counts_json', 'error_json', 'started_at', 'finished_at'])
    .where('connection_id', '=', c)
    .orderBy('started_at')
    .orderBy('id')
    .execute();
  log(`ground truth read: ${t1 - t0} ms; comparison: ${Date.now() - t1} ms`);
  const runsLeftRunning = runRows.filter((r) => r.status === 'running' || r.status === 'throttled').length;
  return { lost, extra, duplicates, objectsChecked, tables, countsConsistent, lastRunCounts, tableCounts, lastRunStatus: last.status, runsLeftRunning, runs: runRows.length, runRows };
}
