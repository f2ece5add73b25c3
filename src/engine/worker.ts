import { setMaxListeners } from 'node:events';
import type { Store } from '../store/db.js';
import { claim, complete, fail, heartbeat, reschedule, type JobRow } from './jobs.js';
import { retryDecision, toAppError } from '../errors/index.js';
import { newId } from '../model/ids.js';

export interface JobContext {
  readonly tenantId: string;
  readonly job: JobRow;
  /** Aborted when the lease is lost or the worker stops; long handlers should check it. */
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

export function startWorker(opts: WorkerOptions, autoPoll = true): Worker {
  const id = newId('wrk');
  const concurrency = opts.concurrency ?? 4;
  const pollMs = opts.pollMs ?? 500;
  const leaseMs = opts.leaseMs ?? 60_000;
  const now = opts.now ?? Date.now;
  const running = new Set<Promise<void>>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const stopController = new AbortController();
  // Every running job listens for the stop; with many jobs that is many listeners, on purpose.
  setMaxListeners(0, stopController.signal);

  async function runJob(job: JobRow): Promise<void> {
    const lease = new AbortController();
    const onStop = () => lease.abort();
    stopController.signal.addEventListener('abort', onStop);
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
      stopController.signal.removeEventListener('abort', onStop);
    }
  }

  async function tick(): Promise<number> {
    const free = concurrency - running.size;
    if (free <= 0 || stopped) return 0;
    const jobs = await claim(opts.store.db, opts.store.dialect, id, free, leaseMs, now());
    for (const job of jobs) {
      const p = runJob(job).finally(() => running.delete(p));
      running.add(p);
    }
    return jobs.length;
  }

  function schedule(delay: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      tick()
        .catch(() => 0)
        .then((n) => schedule(n > 0 ? 0 : pollMs));
    }, delay);
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
