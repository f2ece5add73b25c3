import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialect } from '../store/db.js';
import { openTestStore, PG_URL } from '../../test/support/store.js';
import { openStore } from '../store/db.js';
import { claim, complete, countExpiredLeases, countLive, enqueue, enqueueNow, fail, heartbeat, pruneFinished, reschedule } from './jobs.js';
import { startWorker, type JobHandler } from './worker.js';
import { recordAudit, verifyChain } from '../audit/audit.js';
import { sql } from 'kysely';

/** The engine's contract, run on SQLite by `npm test` and on PostgreSQL by `npm run test:pg`. */
export function jobsSuite(dialect: Dialect): void {
  describe(`jobs and leases on ${dialect}`, () => {
    let store: Awaited<ReturnType<typeof openTestStore>>;
    beforeAll(async () => {
      store = await openTestStore(dialect);
    });
    afterAll(async () => {
      await store.close();
    });

    it('dedupes live jobs by key and allows a new one after completion', async () => {
      expect(await enqueue(store.db, 't1', { kind: 'k', dedupeKey: 'same', payload: { n: 1 } }, Date.now())).toBe(true);
      expect(await enqueue(store.db, 't1', { kind: 'k', dedupeKey: 'same', payload: { n: 2 } }, Date.now())).toBe(false);
      expect(await enqueue(store.db, 't2', { kind: 'k', dedupeKey: 'same', payload: { n: 3 } }, Date.now())).toBe(true);
      const [job] = await claim(store.db, store.dialect, 'w1', 1, 60_000);
      expect(job).toBeDefined();
      await complete(store.db, job!.id, 'w1');
      expect(await enqueue(store.db, job!.tenant_id, { kind: 'k', dedupeKey: 'same', payload: {} }, Date.now())).toBe(true);
      await store.db.deleteFrom('jobs').execute();
    });

    it('a request for a running job with `again` runs it once more when it ends; a queued job takes the request as is', async () => {
      const t0 = Date.now();
      const input = { kind: 'k', dedupeKey: 'user:1', payload: {}, again: true } as const;
      expect(await enqueue(store.db, 't1', input, t0)).toBe(true);
      // Queued, not started: it will see whatever the request is for; nothing to mark.
      expect(await enqueue(store.db, 't1', input, t0)).toBe(false);
      const [job] = await claim(store.db, store.dialect, 'w1', 1, 60_000, t0);
      // Without `again` a request while it runs is dropped (a scheduled cycle: the next one is soon).
      expect(await enqueue(store.db, 't1', { ...input, again: false }, t0)).toBe(false);
      expect((await store.db.selectFrom('jobs').select('rerun').where('id', '=', job!.id).executeTakeFirstOrThrow()).rerun).toBe(0);
      // With `again` (an admin's "Run now") it is marked, twice or once alike.
      expect(await enqueue(store.db, 't1', input, t0 + 1)).toBe(false);
      expect(await enqueue(store.db, 't1', input, t0 + 2)).toBe(false);
      await complete(store.db, job!.id, 'w1', t0 + 5_000);
      const again = await store.db.selectFrom('jobs').selectAll().where('dedupe_key', '=', 'user:1').execute();
      expect(again.map((j) => [j.id, j.status, j.run_at, j.attempts, j.rerun])).toEqual([[job!.id, 'queued', new Date(t0 + 5_000).toISOString(), 0, 0]]);
      // It runs once more, then ends for good.
      const [second] = await claim(store.db, store.dialect, 'w1', 1, 60_000, t0 + 5_000);
      expect(second!.id).toBe(job!.id);
      await complete(store.db, second!.id, 'w1', t0 + 6_000);
      expect((await store.db.selectFrom('jobs').select('status').where('id', '=', job!.id).executeTakeFirstOrThrow()).status).toBe('done');

      // A failed run asked for again is queued too (the error stays visible until it runs).
      expect(await enqueue(store.db, 't1', input, t0 + 7_000)).toBe(true);
      const [third] = await claim(store.db, store.dialect, 'w1', 1, 60_000, t0 + 7_000);
      await enqueue(store.db, 't1', input, t0 + 7_001);
      await fail(store.db, third!.id, 'w1', { code: 'provider.unavailable', params: {} }, t0 + 8_000);
      const failed = await store.db.selectFrom('jobs').selectAll().where('id', '=', third!.id).executeTakeFirstOrThrow();
      expect([failed.status, failed.rerun, JSON.parse(failed.last_error_json!).code]).toEqual(['queued', 0, 'provider.unavailable']);

      // A run that ends by rescheduling itself answers the request with that later run.
      const [fourth] = await claim(store.db, store.dialect, 'w1', 1, 60_000, t0 + 8_000);
      await enqueue(store.db, 't1', input, t0 + 8_001);
      await reschedule(store.db, fourth!.id, 'w1', new Date(t0 + 30_000), null, t0 + 9_000);
      const later = await store.db.selectFrom('jobs').selectAll().where('id', '=', fourth!.id).executeTakeFirstOrThrow();
      expect([later.status, later.run_at, later.rerun]).toEqual(['queued', new Date(t0 + 30_000).toISOString(), 0]);
      // An admin's "now" brings that later run forward.
      expect(await enqueueNow(store.db, 't1', { kind: 'k', dedupeKey: 'user:1', payload: {} }, t0 + 10_000)).toBe(true);
      expect((await store.db.selectFrom('jobs').select('run_at').where('id', '=', fourth!.id).executeTakeFirstOrThrow()).run_at).toBe(new Date(t0 + 10_000).toISOString());
      await store.db.deleteFrom('jobs').execute();
    });

    it('a worker whose own job outlived its lease (a stall) renews it and does not start a second copy', async () => {
      let running = 0;
      let most = 0;
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      const worker = startWorker({
        store, pollMs: 20, concurrency: 2,
        handlers: {
          hold: async () => {
            running += 1;
            most = Math.max(most, running);
            await held;
            running -= 1;
            return { type: 'done' };
          },
        },
      });
      try {
        await enqueue(store.db, 't1', { kind: 'hold', dedupeKey: 'stall', payload: {} }, Date.now());
        while (running === 0) await new Promise((r) => setTimeout(r, 10));
        // The lease runs out as if two beats were missed.
        await store.db.updateTable('jobs').set({ lease_until: new Date(Date.now() - 1_000).toISOString() }).where('dedupe_key', '=', 'stall').execute();
        const renewed = async () => (await store.db.selectFrom('jobs').select('lease_until').where('dedupe_key', '=', 'stall').executeTakeFirstOrThrow()).lease_until! > new Date().toISOString();
        while (!(await renewed())) await new Promise((r) => setTimeout(r, 20));
        await new Promise((r) => setTimeout(r, 200));
        expect(most).toBe(1);
        release();
        while ((await store.db.selectFrom('jobs').select('status').where('dedupe_key', '=', 'stall').executeTakeFirstOrThrow()).status !== 'done') await new Promise((r) => setTimeout(r, 20));
        expect(most).toBe(1);
      } finally {
        release();
        await worker.stop();
        await store.db.deleteFrom('jobs').execute();
      }
    });

    it('never hands one job to two claimers, and reclaims an expired lease', async () => {
      for (let i = 0; i < 20; i++) await enqueue(store.db, 't1', { kind: 'k', dedupeKey: `j${i}`, payload: { i } }, Date.now());
      const [a, b] = await Promise.all([
        claim(store.db, store.dialect, 'wa', 20, 60_000),
        claim(store.db, store.dialect, 'wb', 20, 60_000),
      ]);
      const ids = [...a, ...b].map((j) => j.id);
      expect(ids.length).toBe(20);
      expect(new Set(ids).size).toBe(20);
      // Nothing is due while leases are alive.
      expect(await claim(store.db, store.dialect, 'wc', 20, 60_000)).toHaveLength(0);
      // A lease that expired (its worker died) is claimed again, and the old owner loses it.
      const victim = a[0] ?? b[0]!;
      const future = Date.now() + 120_000;
      const reclaimed = await claim(store.db, store.dialect, 'wc', 50, 60_000, future);
      expect(reclaimed.map((j) => j.id)).toContain(victim.id);
      expect(await heartbeat(store.db, victim.id, victim.lease_owner!, 60_000)).toBe(false);
      await store.db.deleteFrom('jobs').execute();
    });

    it('reschedules to a later time and prunes finished jobs', async () => {
      await enqueue(store.db, 't1', { kind: 'k', dedupeKey: 'later', payload: {} }, Date.now());
      const [job] = await claim(store.db, store.dialect, 'w', 1, 60_000);
      await reschedule(store.db, job!.id, 'w', new Date(Date.now() + 60_000), { code: 'sync.rate_limited', params: {} });
      expect(await claim(store.db, store.dialect, 'w', 1, 60_000)).toHaveLength(0);
      expect(await claim(store.db, store.dialect, 'w', 1, 60_000, Date.now() + 61_000)).toHaveLength(1);
      expect(await countLive(store.db)).toBe(1);
      await store.db.updateTable('jobs').set({ status: 'done', updated_at: '2000-01-01T00:00:00.000Z' }).execute();
      expect(await pruneFinished(store.db, 1000)).toBe(1);
    });

    it('a worker runs handlers, retries transient failures and records permanent ones', async () => {
      const seen: number[] = [];
      let flaky = 0;
      await enqueue(store.db, 't1', { kind: 'ok', dedupeKey: 'a', payload: { n: 1 } }, Date.now());
      await enqueue(store.db, 't1', { kind: 'ok', dedupeKey: 'b', payload: { n: 2 } }, Date.now());
      await enqueue(store.db, 't1', { kind: 'perm', dedupeKey: 'c', payload: {} }, Date.now());
      await enqueue(store.db, 't1', { kind: 'flaky', dedupeKey: 'd', payload: {} }, Date.now());
      const { AppError } = await import('../errors/index.js');
      const worker = startWorker(
        {
          store,
          handlers: {
            ok: async (_ctx, p) => {
              seen.push((p as { n: number }).n);
              return { type: 'done' };
            },
            perm: async () => {
              throw new AppError('m365.client_secret_invalid');
            },
            flaky: async () => {
              flaky += 1;
              if (flaky === 1) throw new AppError('provider.unavailable', { provider: 'x', status: 503 }, { retryAfterMs: 0 });
              return { type: 'done' };
            },
          },
        },
        false,
      );
      await worker.drain();
      // the flaky job was rescheduled with a jittered delay; run it now
      await store.db.updateTable('jobs').set({ run_at: '2000-01-01T00:00:00.000Z' }).where('status', '=', 'queued').execute();
      await worker.drain();
      await worker.stop();
      expect(seen.sort()).toEqual([1, 2]);
      expect(flaky).toBe(2);
      const rows = await store.db.selectFrom('jobs').select(['dedupe_key', 'status', 'last_error_json']).orderBy('dedupe_key').execute();
      expect(rows.map((r) => [r.dedupe_key, r.status])).toEqual([['a', 'done'], ['b', 'done'], ['c', 'failed'], ['d', 'done']]);
      expect(JSON.parse(rows[2]!.last_error_json!).code).toBe('m365.client_secret_invalid');
    });

    it('counts failures, not time slices: a real exception after many slices is still retried', async () => {
      await store.db.deleteFrom('jobs').execute();
      const { AppError } = await import('../errors/index.js');
      let slices = 0;
      await enqueue(store.db, 't1', { kind: 'long', dedupeKey: 'long', payload: {} }, Date.now());
      const worker = startWorker(
        {
          store,
          handlers: {
            // A long initial sync: ten normal time-slice yields, then a transient provider error.
            long: async () => {
              slices += 1;
              if (slices <= 10) return { type: 'again', runAt: new Date(0) };
              throw new AppError('provider.unavailable', { provider: 'x', status: 503 }, { retryAfterMs: 60_000 });
            },
          },
        },
        false,
      );
      await worker.drain();
      await worker.stop();
      expect(slices).toBe(11);
      const row = await store.db.selectFrom('jobs').select(['status', 'attempts', 'last_error_json']).where('dedupe_key', '=', 'long').executeTakeFirstOrThrow();
      // Retried (queued again), with one failure counted — not eleven claims.
      expect(row.status).toBe('queued');
      expect(Number(row.attempts)).toBe(1);
      expect(JSON.parse(row.last_error_json!).code).toBe('provider.unavailable');
      await store.db.deleteFrom('jobs').execute();
    });

    it('two workers on separate connections (two processes) share the queue and run each job once', async () => {
      await store.db.deleteFrom('jobs').execute();
      const second = dialect === 'postgres'
        ? await openStore({ databaseUrl: PG_URL, pgSchema: store.schema! })
        : await openStore({ dataDir: store.dataDir });
      const runs = new Map<number, string[]>();
      const handler = (name: string) => async (_ctx: unknown, p: unknown) => {
        const n = (p as { n: number }).n;
        runs.set(n, [...(runs.get(n) ?? []), name]);
        await new Promise((r) => setTimeout(r, 2));
        return { type: 'done' as const };
      };
      for (let n = 0; n < 120; n++) await enqueue(store.db, 't1', { kind: 'work', dedupeKey: `w${n}`, payload: { n } }, Date.now());
      const a = startWorker({ store, handlers: { work: handler('a') }, concurrency: 4, pollMs: 20 });
      const b = startWorker({ store: second, handlers: { work: handler('b') }, concurrency: 4, pollMs: 20 });
      const deadline = Date.now() + 30_000;
      while ((await countLive(store.db)) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await a.stop();
      await b.stop();
      await second.close();
      expect(runs.size).toBe(120);
      expect([...runs.values()].every((who) => who.length === 1)).toBe(true);
      const byB = [...runs.values()].filter((who) => who[0] === 'b').length;
      expect(byB).toBeGreaterThan(0);
      expect(byB).toBeLessThan(120);
    });

    it('counts running jobs whose lease ran out', async () => {
      await store.db.deleteFrom('jobs').execute();
      for (let i = 0; i < 3; i++) await enqueue(store.db, 't1', { kind: 'k', dedupeKey: `e${i}`, payload: {} }, Date.now());
      const t = Date.now();
      await claim(store.db, store.dialect, 'short', 2, 1_000, t);
      await claim(store.db, store.dialect, 'long', 1, 60_000, t);
      expect(await countExpiredLeases(store.db, t)).toBe(0);
      expect(await countExpiredLeases(store.db, t + 2_000)).toBe(2);
      expect(await countExpiredLeases(store.db, t + 61_000)).toBe(3);
      await store.db.deleteFrom('jobs').execute();
    });

    it('a full worker makes room at once for a job whose worker died: one slice ends early, its wind-down does not delay the orphan', async () => {
      await store.db.deleteFrom('jobs').execute();
      let working = 0;
      let peakWorking = 0;
      let windingDown = 0;
      const yielded: string[] = [];
      const ran: { key: string; whileWindingDown: number }[] = [];
      // Mailbox-like jobs: they work until asked to stop, then finish what they have in flight
      // (a slow page: 2.5 s, long enough on a loaded machine) and yield their slice (run again later).
      const long: JobHandler = async (ctx) => {
        peakWorking = Math.max(peakWorking, ++working);
        await new Promise<void>((resolve) => (ctx.signal.aborted ? resolve() : ctx.signal.addEventListener('abort', () => resolve())));
        working -= 1;
        windingDown += 1;
        await new Promise((r) => setTimeout(r, 2_500));
        windingDown -= 1;
        yielded.push(ctx.job.dedupe_key);
        return { type: 'again', runAt: new Date(Date.now() + 600_000) };
      };
      const quick: JobHandler = async (ctx) => {
        peakWorking = Math.max(peakWorking, working + 1);
        ran.push({ key: ctx.job.dedupe_key, whileWindingDown: windingDown });
        return { type: 'done' };
      };
      await enqueue(store.db, 't1', { kind: 'long', dedupeKey: 'a', payload: {} }, Date.now());
      await enqueue(store.db, 't1', { kind: 'long', dedupeKey: 'b', payload: {} }, Date.now());
      const worker = startWorker({ store, handlers: { long, quick }, concurrency: 2, pollMs: 20 });
      try {
        for (const until = Date.now() + 10_000; working < 2 && Date.now() < until; ) await new Promise((r) => setTimeout(r, 10));
        expect(working).toBe(2);
        // Another worker died holding a job: running, its lease over.
        await enqueue(store.db, 't1', { kind: 'quick', dedupeKey: 'orphan', payload: {} }, Date.now());
        await store.db.updateTable('jobs').set({ status: 'running', lease_owner: 'wrk_dead', lease_until: new Date(Date.now() - 1_000).toISOString() }).where('dedupe_key', '=', 'orphan').execute();
        for (const until = Date.now() + 10_000; yielded.length === 0 && Date.now() < until; ) await new Promise((r) => setTimeout(r, 10));
        // The orphan ran while the job that made room was still finishing its page.
        expect(ran).toEqual([{ key: 'orphan', whileWindingDown: 1 }]);
        // One slice was cut short for it, not both; the other job still works; never more than
        // two jobs working at once.
        expect(yielded).toHaveLength(1);
        expect(working).toBe(1);
        expect(peakWorking).toBe(2);
        // The yielded job goes back to the queue once its handler has returned.
        const statuses = async () => (await store.db.selectFrom('jobs').select('status').execute()).map((r) => r.status).sort();
        for (const until = Date.now() + 10_000; !(await statuses()).includes('queued') && Date.now() < until; ) await new Promise((r) => setTimeout(r, 10));
        expect(await statuses()).toEqual(['done', 'queued', 'running']);
      } finally {
        await worker.stop();
        await store.db.deleteFrom('jobs').execute();
      }
    });

    it('claims the next job as soon as a slot frees, not at the next poll', async () => {
      await store.db.deleteFrom('jobs').execute();
      const ran: number[] = [];
      for (let n = 0; n < 3; n++) await enqueue(store.db, 't1', { kind: 'work', dedupeKey: `k${n}`, payload: { n } }, Date.now());
      const worker = startWorker({
        store,
        handlers: {
          work: async (_ctx, p) => {
            // Long enough that the poll after a claim finds the slot still busy.
            await new Promise((r) => setTimeout(r, 50));
            ran.push((p as { n: number }).n);
            return { type: 'done' };
          },
        },
        concurrency: 1,
        // A poll a minute: only the freed slot's own claim can run the second and third job in time.
        pollMs: 60_000,
      });
      try {
        for (const until = Date.now() + 10_000; ran.length < 3 && Date.now() < until; ) await new Promise((r) => setTimeout(r, 10));
        expect(ran.sort()).toEqual([0, 1, 2]);
      } finally {
        await worker.stop();
        await store.db.deleteFrom('jobs').execute();
      }
    });

    it('keeps an intact audit hash chain under concurrent appends and detects tampering', async () => {
      await Promise.all(
        Array.from({ length: 25 }, (_, i) =>
          recordAudit(store.db, store.dialect, 'tA', { severity: 'info', action: 'test.event', message: `event ${i}` }),
        ),
      );
      const seqs = (await store.db.selectFrom('audit_events').select('seq').where('tenant_id', '=', 'tA').orderBy('seq').execute()).map((r) => Number(r.seq));
      expect(seqs).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
      expect(await verifyChain(store.db, 'tA')).toBeNull();
      await sql`UPDATE audit_events SET message = 'edited' WHERE tenant_id = 'tA' AND seq = 7`.execute(store.db);
      expect(await verifyChain(store.db, 'tA')).toBe(7);
    });
  });
}
