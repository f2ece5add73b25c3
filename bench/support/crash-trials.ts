import { CLI, KillWindow, killDuringWork, startWorkerProcess, type WorkerProcess } from './worker-process.js';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/runtime/paths.js';
import { prng } from '../../src/sandbox/demo.js';
import { syntheticMessageId } from '../../src/continuity/message-id.js';
import { enqueue } from '../../src/engine/jobs.js';
import { cycleJob } from '../../src/continuity/policies.js';
import { DEFAULT_TENANT } from '../../src/api/route.js';
import type { BenchWorld } from './world.js';

/**
 * Crash trials: a real `syncwarden worker` child process runs against the world's database
 * while the sandbox lives in this process (so the destination survives the kills). Each
 * trial changes the source mailboxes a little, starts a worker, lets it run for a random
 * time, and kills it with SIGKILL. Afterwards a clean worker finishes the work and the
 * destination is compared with the source by Message-ID: nothing lost, nothing duplicated.
 */
export interface CrashOptions {
  readonly trials: number;
  readonly policyId: string;
  readonly users: readonly string[];
  /** Random kill time after the worker is up, in ms. */
  readonly minKillMs: number;
  readonly maxKillMs: number;
  readonly seed?: number;
  readonly log?: (line: string) => void;
}

export interface CrashResult {
  readonly trials: number;
  /** Source messages in the window the destination lacks. */
  readonly lost: number;
  /** Extra copies of a message at the destination. */
  readonly duplicated: number;
  /** Destination messages that match no source message (should be 0). */
  readonly unexpected: number;
  /** Messages deleted at the source whose destination copy is not in Trash (should be 0). */
  readonly deletionsMissed: number;
  /** Messages checked. */
  readonly checked: number;
  /** Changes made to the sources between trials. */
  readonly changes: number;
  /** Kills that landed while the worker had jobs running (not during start-up or idle). */
  readonly killedMidWork: number;
}


/** The child runs the built CLI; refuse stale builds so a trial never tests old code. */
export function assertFreshBuild(): void {
  const cli = CLI();
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first (npm install does it through prepare)`);
  const built = statSync(cli).mtimeMs;
  for (const f of ['src/continuity/mailbox-sync.ts', 'src/continuity/items.ts', 'src/continuity/ledger.ts', 'src/continuity/folder-sync.ts', 'src/continuity/failover/recovery.ts', 'src/engine/worker.ts']) {
    const src = join(packageRoot(), f);
    const out = join(packageRoot(), 'dist', f.replace(/\.ts$/, '.js'));
    if (!existsSync(out) || statSync(src).mtimeMs > statSync(out).mtimeMs + 1000) throw new Error(`${out} is older than ${f}: run \`npm run build\` first`);
  }
  void built;
}

function startWorker(world: BenchWorld, concurrency = 4): WorkerProcess {
  return startWorkerProcess(world, concurrency);
}

interface SourceMessage { id: string; internetMessageId: string | null; receivedDateTime: string; isDraft: boolean; subject: string }
interface SourceFolder { id: string; wellKnownName: string | null; isHidden: boolean; path: string[]; messages: SourceMessage[] }

async function mutate(world: BenchWorld, users: readonly string[], rand: () => number, deleted: Set<string>): Promise<number> {
  let changes = 0;
  const n = 1 + Math.floor(rand() * 3);
  for (let i = 0; i < n; i++) {
    const upn = users[Math.floor(rand() * users.length)]!;
    const r = rand();
    if (r < 0.55) {
      await world.admin('POST', `/microsoft/mailboxes/${upn}/messages`, { subject: `Crash trial mail ${Date.now()}-${i}`, folder: rand() < 0.8 ? 'inbox' : 'archive', isRead: rand() < 0.3, flagged: rand() < 0.2 });
      changes += 1;
      continue;
    }
    const mb = await world.admin<{ folders: SourceFolder[] }>('GET', `/microsoft/mailboxes/${upn}`);
    const candidates = mb.folders.filter((f) => ['inbox', 'archive', null].includes(f.wellKnownName) && !f.isHidden).flatMap((f) => f.messages.filter((m) => !m.isDraft).map((m) => ({ m, f })));
    if (candidates.length === 0) continue;
    const { m, f } = candidates[Math.floor(rand() * candidates.length)]!;
    if (r < 0.7) await world.admin('PATCH', `/microsoft/mailboxes/${upn}/messages/${m.id}`, { isRead: rand() < 0.5, flagged: rand() < 0.5 });
    else if (r < 0.9) await world.admin('PATCH', `/microsoft/mailboxes/${upn}/messages/${m.id}`, { folder: f.wellKnownName === 'inbox' ? 'archive' : 'inbox' });
    else {
      await world.admin('DELETE', `/microsoft/mailboxes/${upn}/messages/${m.id}`);
      if (m.internetMessageId) deleted.add(m.internetMessageId);
    }
    changes += 1;
  }
  return changes;
}

export async function runCrashTrials(world: BenchWorld, opts: CrashOptions): Promise<CrashResult> {
  assertFreshBuild();
  const rand = prng(opts.seed ?? 4242);
  const log = opts.log ?? (() => undefined);
  const deleted = new Set<string>();
  const db = world.running.rt.store.db;
  let changes = 0;
  let killedMidWork = 0;
  const window = new KillWindow(opts.minKillMs, opts.maxKillMs);
  for (let t = 0; t < opts.trials; t++) {
    changes += await mutate(world, opts.users, rand, deleted);
    await enqueue(db, DEFAULT_TENANT, cycleJob(opts.policyId), Date.now());
    const w = startWorker(world);
    await w.ready;
    const { killAfterMs: killAfter, midWork } = await killDuringWork(db, w, window, rand);
    if (midWork) killedMidWork += 1;
    log(`trial ${t + 1}/${opts.trials}: killed after ${killAfter} ms${midWork ? ' mid-work' : ' idle'}`);
  }
  await runClean(world, opts.policyId);
  return { trials: opts.trials, changes, killedMidWork, ...(await compare(world, opts, deleted)) };
}

/** A clean run of a real worker process that finishes everything that is left for the policy. */
export async function runClean(world: BenchWorld, policyId: string): Promise<void> {
  assertFreshBuild();
  const db = world.running.rt.store.db;
  await enqueue(db, DEFAULT_TENANT, cycleJob(policyId), Date.now());
  const w = startWorker(world);
  await w.ready;
  const deadline = Date.now() + 300_000;
  for (;;) {
    const live = await db.selectFrom('jobs').select(['status', 'run_at']).where('status', 'in', ['queued', 'running']).execute();
    const users = await db.selectFrom('sync_users').select(['status']).where('policy_id', '=', policyId).execute();
    const due = live.filter((j) => j.status === 'running' || j.run_at <= new Date(Date.now() + 1000).toISOString());
    if (due.length === 0 && users.every((u) => u.status === 'synced')) break;
    if (Date.now() > deadline) throw new Error(`the clean run did not finish: ${JSON.stringify(users)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  w.child.kill('SIGTERM');
  await w.exited;
}

/** Destination against source, by Message-ID, for every user of the policy. */
async function compare(world: BenchWorld, opts: CrashOptions, deleted: ReadonlySet<string>): Promise<{ lost: number; duplicated: number; unexpected: number; deletionsMissed: number; checked: number }> {
  const db = world.running.rt.store.db;
  let deletionsMissed = 0;
  let lost = 0;
  let duplicated = 0;
  let unexpected = 0;
  let checked = 0;
  for (const upn of opts.users) {
    const u = await db.selectFrom('sync_users').select(['window_start', 'destination_email']).where('policy_id', '=', opts.policyId).where('email', '=', upn.toLowerCase()).executeTakeFirstOrThrow();
    const mb = await world.admin<{ folders: SourceFolder[] }>('GET', `/microsoft/mailboxes/${upn}`);
    const expected = new Set<string>();
    for (const f of mb.folders) {
      if (f.isHidden || f.wellKnownName === 'outbox') continue;
      for (const m of f.messages) if (m.receivedDateTime >= u.window_start!) expected.add(m.internetMessageId ?? syntheticMessageId(m.id));
    }
    const dest = (await world.admin<{ messages: { rfc822MessageId: string | null; labelIds: string[] }[] }>('GET', `/google/users/${u.destination_email}/messages`)).messages;
    const counts = new Map<string, number>();
    for (const m of dest) counts.set(m.rfc822MessageId ?? 'none', (counts.get(m.rfc822MessageId ?? 'none') ?? 0) + 1);
    for (const id of expected) if (!counts.has(id)) lost += 1;
    for (const [id, n] of counts) {
      if (n > 1) duplicated += n - 1;
      if (!expected.has(id) && !deleted.has(id)) unexpected += 1;
    }
    // Deleted at the source: at most once, and in Trash.
    for (const m of dest) if (m.rfc822MessageId && deleted.has(m.rfc822MessageId) && !m.labelIds.includes('TRASH')) deletionsMissed += 1;
    checked += expected.size;
  }
  return { lost, duplicated, unexpected, deletionsMissed, checked };
}
