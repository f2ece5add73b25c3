import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialect } from '../store/db.js';
import { openTestStore, PG_URL } from '../../test/support/store.js';
import { openStore } from '../store/db.js';
import { claim, complete, countLive, enqueue, heartbeat, pruneFinished, reschedule } from './jobs.js';
import { startWorker } from './worker.js';
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
