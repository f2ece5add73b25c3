import type { BenchArgs } from './run.js';
import { benchWorld, type BenchWorld } from './support/world.js';
import { dropSchema, pgUrlWithSchema } from './support/pg-schema.js';
import { startWorkerProcess, type WorkerProcess } from './support/worker-process.js';
import { assertFreshBuild } from './support/crash-trials.js';
import { jain, log, round, sleep } from './support/measure.js';
import { leaseMsFrom } from '../src/engine/worker.js';

/**
 * mail-scaleout: do worker processes add up? 500 users against the sandbox on PostgreSQL,
 * their Gmail project quota binding (default 60,000 units / minute = 40 imports / s), synced
 * by 1, 2 and 4 real `syncwarden worker` processes sharing the database's rate budgets. One
 * line per count: `quota_fraction` (imports / s against the project quota), `throttled_share`
 * (provider requests answered "throttled"), `fairness` (Jain's index of per-user imports).
 * Together the workers must reach the quota and never exceed it.
 *
 * Then, with 4 workers, one is killed with SIGKILL mid-run: `takeover_s` is the time until
 * every user whose job it held imports again (its leases run out at most the lease time
 * after the kill — 30 s, or SYNCWARDEN_JOB_LEASE_SECONDS — and another worker claims them),
 * against `lease_s`; the target is `lease_s` + 5 s.
 *
 * `--users` (500), `--seconds` (60, measured per count, whole minutes), `--counts` (1,2,4),
 * `--project-units` (60000), `--concurrency` (per worker, 8).
 */
const IMPORT_UNITS = 25;

export async function run(args: BenchArgs): Promise<Record<string, unknown>[]> {
  assertFreshBuild();
  const users = Number(args['users'] ?? 500);
  // Whole minutes: the quota is a sliding 60-second window, so only a whole window's imports
  // compare with it (a shorter span may hold a whole minute's budget, spent fast at the start).
  const seconds = Math.max(60, Math.ceil(Number(args['seconds'] ?? 60) / 60) * 60);
  const counts = (args['counts'] ?? '1,2,4').split(',').map(Number);
  const projectUnits = Number(args['project-units'] ?? 60_000);
  const concurrency = Number(args['concurrency'] ?? 8);
  const out: Record<string, unknown>[] = [];
  for (const workers of counts) {
    out.push(await measure({ users, seconds, workers, projectUnits, concurrency, takeover: workers === Math.max(...counts) && workers > 1 }));
  }
  return out;
}

interface Opts { users: number; seconds: number; workers: number; projectUnits: number; concurrency: number; takeover: boolean }

async function measure(o: Opts): Promise<Record<string, unknown>> {
  const schema = await pgUrlWithSchema('bench');
  const quotaMsgsPerS = o.projectUnits / 60 / IMPORT_UNITS;
  // Enough backlog that nobody runs out while measured (and, for the takeover, after).
  const perUser = Math.ceil((quotaMsgsPerS * (o.seconds + (o.takeover ? 150 : 60)) * 1.5) / o.users) + 2;
  const world = await benchWorld({
    databaseUrl: schema.url,
    budgets: { destinationProject: { unitsPerMinute: o.projectUnits } },
    googleQuotas: { projectUnitsPerMinute: o.projectUnits },
  });
  const procs: WorkerProcess[] = [];
  try {
    const { users } = await world.admin<{ users: string[] }>('POST', '/microsoft/mail/users', { count: o.users, prefix: `so${o.workers}` });
    for (const upn of users) await world.admin('POST', `/microsoft/mailboxes/${upn}/bulk`, { count: perUser, withinDays: 7, folders: ['inbox'] });
    log(`${o.workers} worker(s): ${o.users} users × ${perUser} messages; project quota ${o.projectUnits} units/min (${quotaMsgsPerS} imports/s)`);
    await world.createPolicy({ mode: 'list', include: users }, { enabled: true });
    for (let i = 0; i < o.workers; i++) procs.push(startWorkerProcess(world, o.concurrency, (t) => process.stderr.write(t)));
    await Promise.all(procs.map((p) => p.ready));

    const start = Date.now();
    for (;;) {
      if ((await stats(world)).imports > 0) break;
      if (Date.now() - start > 300_000) throw new Error('no import within 5 minutes');
      await sleep(100);
    }
    const g0 = await stats(world);
    const calls0 = await googleCalls(world);
    const before = await heldPerUser(world, users);
    const t0 = Date.now();
    while (Date.now() - t0 < o.seconds * 1000) {
      await sleep(Math.min(10_000, o.seconds * 1000 - (Date.now() - t0)));
      log(`  +${((Date.now() - t0) / 1000).toFixed(0)} s: ${(await stats(world)).imports - g0.imports} imports; ${await leaseHealth(world)}`);
    }
    const g1 = await stats(world);
    const calls1 = await googleCalls(world);
    // Where the units that were not imports went (the quota fraction counts imports only).
    log(`  Gmail calls in the measured span: ${Object.entries(calls1).map(([k, n]) => [k, n - (calls0[k] ?? 0)] as const).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ')}`);
    const span = (Date.now() - t0) / 1000;
    const after = await heldPerUser(world, users);
    const imported = g1.imports - g0.imports;
    const requests = g1.requests - g0.requests;
    const line: Record<string, unknown> = {
      workers: o.workers,
      users: o.users,
      db: 'postgres',
      imports_per_s: round(imported / span, 2),
      quota_fraction: round(imported / span / quotaMsgsPerS),
      units_fraction: round((g1.unitsSpent - g0.unitsSpent) / span / (o.projectUnits / 60)),
      throttled_share: round(requests === 0 ? 0 : (g1.throttled - g0.throttled) / requests, 4),
      fairness: round(jain(users.map((u) => (after.get(u) ?? 0) - (before.get(u) ?? 0)))),
      quota: { project_units_per_min: o.projectUnits, import_units: IMPORT_UNITS },
    };
    if (o.takeover) Object.assign(line, await takeover(world, procs, users));
    log(JSON.stringify(line));
    return line;
  } finally {
    for (const p of procs) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await world.close();
    await dropSchema(schema.schema);
  }
}

/**
 * Kills the worker holding the most running jobs and times how long until every user whose
 * job it held has a new message at the destination (or finished its sync: the taken-over run
 * found the rest already imported). What it held is read after the kill (a
 * job it yielded between the choice and the kill waits its normal turn in the queue, which
 * is not a takeover). Per user the time splits into: its lease running out (`lease_left_s`,
 * the dead worker's last claim or heartbeat + the lease), another worker claiming the job
 * (`claim_after_expiry_s`), and the first import after that claim (`import_after_claim_s`).
 */
async function takeover(world: BenchWorld, procs: WorkerProcess[], users: readonly string[]): Promise<Record<string, unknown>> {
  // The workers read the lease from the same environment (SYNCWARDEN_JOB_LEASE_SECONDS).
  const leaseS = leaseMsFrom(process.env) / 1000;
  const db = world.running.rt.store.db;
  const running = await db.selectFrom('jobs').select(['lease_owner']).where('status', '=', 'running').where('kind', '=', 'user.sync').execute();
  const byOwner = new Map<string, number>();
  for (const j of running) byOwner.set(j.lease_owner ?? '', (byOwner.get(j.lease_owner ?? '') ?? 0) + 1);
  const owner = [...byOwner.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
  const victim = procs.find((p) => p.id() === owner) ?? procs[0]!;
  victim.child.kill('SIGKILL');
  await victim.exited;
  const killedAt = Date.now();
  const held = await db.selectFrom('jobs').select(['id', 'payload_json', 'lease_until']).where('status', '=', 'running').where('kind', '=', 'user.sync').where('lease_owner', '=', victim.id() ?? '').execute();
  const syncUserIds = held.map((j) => (JSON.parse(j.payload_json) as { syncUserId?: string }).syncUserId).filter((x): x is string => Boolean(x));
  const emailOf = new Map((await db.selectFrom('sync_users').select(['id', 'email']).where('id', 'in', syncUserIds.length ? syncUserIds : ['none']).execute()).map((r) => [r.id, r.email]));
  const watch = held
    .map((j) => ({ job: j.id, email: emailOf.get((JSON.parse(j.payload_json) as { syncUserId?: string }).syncUserId ?? '') ?? '', expiresAt: Date.parse(j.lease_until ?? '') }))
    .filter((w) => users.includes(w.email));
  const held0 = await heldPerUser(world, watch.map((w) => w.email));
  log(`killed worker pid ${victim.child.pid} holding ${watch.length} users' jobs; leases end in ${watch.map((w) => ((w.expiresAt - killedAt) / 1000).toFixed(1)).join(', ')} s`);
  const claimedAt = new Map<string, number>();
  const movedAt = new Map<string, number>();
  while (movedAt.size < watch.length && Date.now() - killedAt < (leaseS + 120) * 1000) {
    await sleep(250);
    const t = Date.now();
    const pending = watch.filter((w) => !claimedAt.has(w.job)).map((w) => w.job);
    if (pending.length) {
      for (const j of await db.selectFrom('jobs').select(['id', 'lease_owner', 'status']).where('id', 'in', pending).execute()) {
        if (j.lease_owner !== victim.id() || j.status !== 'running') {
          claimedAt.set(j.id, t);
          log(`  +${((t - killedAt) / 1000).toFixed(1)} s: a job of the killed worker is ${j.status === 'running' ? 'running again' : j.status}`);
        }
      }
    }
    const waiting = watch.filter((w) => !movedAt.has(w.email));
    const now = await heldPerUser(world, waiting.map((w) => w.email));
    // A user the taken-over run brought to the end of its mail (the killed run had imported the
    // rest, its items in doubt were found) has moved too: it finished, with nothing to import.
    const finished = new Map((await db.selectFrom('sync_users').select(['email', 'last_sync_at']).where('email', 'in', waiting.length ? waiting.map((w) => w.email) : ['none']).execute())
      .filter((u) => u.last_sync_at !== null && Date.parse(u.last_sync_at) > killedAt).map((u) => [u.email, Date.parse(u.last_sync_at!)]));
    for (const w of waiting) {
      if ((now.get(w.email) ?? 0) > (held0.get(w.email) ?? 0)) {
        movedAt.set(w.email, Date.now());
        log(`  +${((Date.now() - killedAt) / 1000).toFixed(1)} s: ${w.email} imports again`);
      } else if (finished.has(w.email)) {
        movedAt.set(w.email, finished.get(w.email)!);
        log(`  +${((finished.get(w.email)! - killedAt) / 1000).toFixed(1)} s: ${w.email} finished its sync (nothing left to import)`);
      }
    }
  }
  const done = movedAt.size === watch.length;
  // Whoever did not move: where its job and its user stand (a run that yielded its slice
  // before importing waits its turn in the queue; an error shows here).
  for (const w of watch.filter((x) => !movedAt.has(x.email))) {
    const j = await db.selectFrom('jobs').select(['status', 'run_at', 'attempts', 'last_error_json']).where('id', '=', w.job).executeTakeFirst();
    const u = await db.selectFrom('sync_users').select(['status', 'last_error_json']).where('email', '=', w.email).executeTakeFirst();
    log(`  ${w.email} did not import again: job ${JSON.stringify(j)}, user ${JSON.stringify(u)}`);
  }
  const takeoverS = (Math.max(killedAt, ...movedAt.values()) - killedAt) / 1000;
  const max = (xs: number[]) => (xs.length ? round(Math.max(...xs) / 1000, 1) : null);
  return {
    takeover_s: done ? round(takeoverS, 1) : null,
    takeover_users: watch.length,
    lease_s: leaseS,
    takeover_ratio: done ? round(takeoverS / (leaseS + 5), 2) : null,
    lease_left_s: max(watch.map((w) => w.expiresAt - killedAt)),
    claim_after_expiry_s: max(watch.filter((w) => claimedAt.has(w.job)).map((w) => claimedAt.get(w.job)! - w.expiresAt)),
    import_after_claim_s: max(watch.filter((w) => claimedAt.has(w.job) && movedAt.has(w.email)).map((w) => movedAt.get(w.email)! - claimedAt.get(w.job)!)),
    beyond_lease_s: max(watch.filter((w) => movedAt.has(w.email)).map((w) => movedAt.get(w.email)! - w.expiresAt)),
  };
}

/**
 * Running jobs, and how many of them have outlived their lease (a live worker's heartbeat keeps
 * it at least two thirds of the lease away); a lease that runs out while every worker lives
 * means a worker too starved to beat, and its job is taken over.
 */
async function leaseHealth(world: BenchWorld): Promise<string> {
  const db = world.running.rt.store.db;
  const rows = await db.selectFrom('jobs').select(['lease_until']).where('status', '=', 'running').execute();
  const now = Date.now();
  return `${rows.length} running, ${rows.filter((r) => Date.parse(r.lease_until ?? '') < now).length} past their lease`;
}

async function stats(world: BenchWorld): Promise<{ imports: number; requests: number; throttled: number; unitsSpent: number }> {
  const g = await world.admin<{ throttled: number; requests: Record<string, number>; unitsSpent: number; imports: number }>('GET', '/google/stats');
  const m = await world.admin<{ requests: number; throttled: number }>('GET', '/microsoft/mail/stats');
  return { imports: g.imports, requests: Object.values(g.requests).reduce((a, x) => a + x, 0) + m.requests, throttled: g.throttled + m.throttled, unitsSpent: g.unitsSpent };
}

async function googleCalls(world: BenchWorld): Promise<Record<string, number>> {
  return (await world.admin<{ requests: Record<string, number> }>('GET', '/google/stats')).requests;
}

async function heldPerUser(world: BenchWorld, users: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const u of users) {
    const r = await world.admin<{ messages: unknown[] }>('GET', `/google/users/${encodeURIComponent(u)}/messages`).catch(() => ({ messages: [] }));
    out.set(u, r.messages.length);
  }
  return out;
}
