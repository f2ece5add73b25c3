import { setMaxListeners } from 'node:events';
import type { Store } from '../store/db.js';
import { claim, complete, countExpiredLeases, fail, heartbeat, reschedule, type JobRow } from './jobs.js';
import { retryDecision, toAppError } from '../errors/index.js';
import { newId } from '../model/ids.js';

export interface JobContext {
  readonly tenantId: string;
  readonly job: JobRow;
  /**
   * Aborted when the lease is lost, the worker stops, or the worker needs the slot for a job
   * whose worker died; long handlers should check it and end their run at a safe point.
   */
  readonly signal: AbortSignal;
}

/**
 * What a handler returns: done, or "run me again at" (throttled, or more work left).
 * Throwing means failure: the error's catalogue retry rule decides whether it is retried.
 */
export type JobOutcome = { readonly type: 'done' } | { readonly type: 'again'; readonly runAt: Date };

export type JobHandler = (ctx: JobContext, payload: unknown) => Promise<JobOutcome>;

export interface WorkerOptions {
  readonly store: Store;
  readonly handlers: Readonly<Record<string, JobHandler>>;
  readonly concurrency?: number;
  readonly pollMs?: number;
  readonly leaseMs?: number;
  readonly onError?: (job: JobRow, error: unknown) => void;
  /** The runtime's clock: jobs are enqueued on it, so they must be claimed and leased on it too. */
  readonly now?: () => number;
}

export interface Worker {
  readonly id: string;
  /** Resolves once no job is running (after stop). */
  stop(): Promise<void>;
  /** Claims and runs due jobs until none is due; for tests and `sync run`. */
  drain(): Promise<number>;
}

/**
 * How long a claimed job stays its worker's without a heartbeat. A worker that dies holds its
 * jobs this long, so the lease bounds how soon the others take them over; a live worker beats
 * every third of it, so it must miss two beats in a row (a database blip, a stalled event loop)
 * before its job can be taken. 30 s: a killed worker's users move again within about half a
 * minute, and a worker still rides out a 20-second pause. `SYNCWARDEN_JOB_LEASE_SECONDS` sets
 * it; each job's row carries its own expiry, so processes with different values work together.
 */
export const DEFAULT_LEASE_MS = 30_000;
/** Below this the heartbeat (a third, at least 1 s) would leave no room for a slow beat. */
export const MIN_LEASE_MS = 3_000;

/** The lease from the environment (`SYNCWARDEN_JOB_LEASE_SECONDS`); a missing or unusable value gives the default. */
export function leaseMsFrom(env: NodeJS.ProcessEnv): number {
  const seconds = Number(env['SYNCWARDEN_JOB_LEASE_SECONDS']);
  return Number.isFinite(seconds) && seconds * 1000 >= MIN_LEASE_MS ? Math.round(seconds * 1000) : DEFAULT_LEASE_MS;
}

export function startWorker(opts: WorkerOptions, autoPoll = true): Worker {
  const id = newId('wrk');
  const concurrency = opts.concurrency ?? 4;
  const pollMs = opts.pollMs ?? 500;
  const leaseMs = Math.max(MIN_LEASE_MS, opts.leaseMs ?? DEFAULT_LEASE_MS);
  const now = opts.now ?? Date.now;
  const running = new Set<Promise<void>>();
  /** The jobs running here, for choosing which to ask to yield (makeRoomForTakeover). */
  const slots = new Map<string, { readonly startedMs: number; readonly lease: AbortController; yielding: boolean }>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let kicked = false;
  const stopController = new AbortController();
  // Every running job listens for the stop; with many jobs that is many listeners, on purpose.
  setMaxListeners(0, stopController.signal);

  async function runJob(job: JobRow): Promise<void> {
    const lease = new AbortController();
    const onStop = () => lease.abort();
    stopController.signal.addEventListener('abort', onStop);
    slots.set(job.id, { startedMs: now(), lease, yielding: false });
    const beat = setInterval(() => {
      heartbeat(opts.store.db, job.id, id, leaseMs, now())
        .then((ok) => {
          if (!ok) lease.abort();
        })
        .catch(() => undefined);
    }, Math.max(1000, Math.floor(leaseMs / 3)));
    try {
      const handler = opts.handlers[job.kind];
      if (!handler) throw new Error(`no handler for job kind ${job.kind}`);
      const outcome = await handler({ tenantId: job.tenant_id, job, signal: lease.signal }, JSON.parse(job.payload_json));
      if (outcome.type === 'done') await complete(opts.store.db, job.id, id, now());
      else await reschedule(opts.store.db, job.id, id, outcome.runAt, null, now());
    } catch (e) {
      const err = toAppError(e);
      opts.onError?.(job, err);
      const decision = retryDecision(err.code, job.attempts, err.retryAfterMs);
      if (decision.retry) await reschedule(opts.store.db, job.id, id, new Date(now() + decision.delayMs), err.toJSON(), now());
      else await fail(opts.store.db, job.id, id, err.toJSON(), now());
    } finally {
      clearInterval(beat);
      slots.delete(job.id);
      stopController.signal.removeEventListener('abort', onStop);
    }
  }

  /**
   * A worker that died held its jobs until their leases ran out. They were running, so they
   * are at the head of the queue (claim takes the oldest run_at, and theirs predates every
   * job queued since) — but with every slot busy they would still wait for slices to end one
   * by one, seconds beyond the lease for the last of them (issue 15). So a full worker that
   * sees jobs whose lease ran out asks as many of its own jobs to end their slice now (the
   * longest-running first: they have had most of their turn); each stops starting work, as on
   * shutdown, and hands its slot over at once: it only finishes the requests it has in flight,
   * so it no longer counts against the concurrency, and the claim that follows takes the
   * orphans without waiting for that. Every live worker does this, so a takeover may cut a few
   * more slices short than it needed: a one-off cost when a worker dies.
   */
  async function makeRoomForTakeover(): Promise<void> {
    const expired = await countExpiredLeases(opts.store.db, now());
    if (expired === 0) return;
    const longest = [...slots.values()].filter((s) => !s.yielding).sort((a, b) => a.startedMs - b.startedMs);
    for (const s of longest.slice(0, expired)) {
      s.yielding = true;
      s.lease.abort();
    }
  }

  /** Slots taken: running jobs, less those asked to end their slice (they only finish what is in flight). */
  function busy(): number {
    let yielding = 0;
    for (const s of slots.values()) if (s.yielding) yielding += 1;
    return running.size - yielding;
  }

  async function claimInto(): Promise<number> {
    if (stopped) return 0;
    if (busy() >= concurrency) await makeRoomForTakeover();
    const free = concurrency - busy();
    if (free <= 0 || stopped) return 0;
    const jobs = await claim(opts.store.db, opts.store.dialect, id, free, leaseMs, now());
    for (const job of jobs) {
      // Our own job, whose lease ran out while it ran here (a stalled event loop, a database
      // blip longer than two beats): the claim renewed the lease to us, and it is still running,
      // so a second copy must not start.
      if (slots.has(job.id)) continue;
      const p = runJob(job).finally(() => {
        running.delete(p);
        kick();
      });
      running.add(p);
    }
    return jobs.length;
  }

  /** One claim at a time (the poll loop and drain may both ask): two at once would both count the same free slots. */
  let claiming: Promise<unknown> = Promise.resolve();
  function tick(): Promise<number> {
    const r = claiming.then(claimInto);
    claiming = r.catch(() => undefined);
    return r;
  }

  function schedule(delay: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      timer = undefined;
      tick()
        .catch(() => 0)
        .then((n) => {
          const again = n > 0 || kicked;
          kicked = false;
          schedule(again ? 0 : pollMs);
        });
    }, delay);
  }

  /** A slot was freed: claim the next job now instead of at the next poll. */
  function kick(): void {
    if (!autoPoll || stopped) return;
    if (timer === undefined) {
      // A tick is under way: it runs again as soon as it ends.
      kicked = true;
      return;
    }
    clearTimeout(timer);
    schedule(0);
  }
  if (autoPoll) schedule(0);

  return {
    id,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      stopController.abort();
      await Promise.allSettled([...running]);
    },
    async drain() {
      let total = 0;
      for (;;) {
        const n = await tick();
        total += n;
        if (n === 0 && running.size === 0) return total;
        if (running.size > 0) await Promise.race(running);
      }
    },
  };
}
