import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialect } from '../store/db.js';
import { openTestStore } from '../../test/support/store.js';
import { BURST, createDbRateGate, limitsByPrefix, PRIORITY_HOLD_MS, SLOTS_PER_WINDOW, windowWait } from './rate-budget.js';
import { withPriority } from './rate-priority.js';

/** Max units spent in any window of `windowMs` (exact, over the spend times). */
function maxInAnyWindow(spends: { t: number; u: number }[], windowMs: number): number {
  let best = 0;
  let sum = 0;
  for (let i = 0, j = 0; i < spends.length; i++) {
    sum += spends[i]!.u;
    while (spends[i]!.t - spends[j]!.t >= windowMs) sum -= spends[j++]!.u;
    best = Math.max(best, sum);
  }
  return best;
}

export function rateBudgetSuite(dialect: Dialect): void {
  describe(`shared rate budgets on ${dialect}`, () => {
    let store: Awaited<ReturnType<typeof openTestStore>>;
    beforeAll(async () => {
      store = await openTestStore(dialect);
    });
    afterAll(async () => {
      await store.close();
    });

    const limits = limitsByPrefix({
      'destination:user:': { amount: 6000, windowMs: 60_000 },
      'destination:project:': { amount: 100_000, windowMs: 60_000 },
      'source:mailbox:': { amount: 10_000, windowMs: 600_000, concurrent: 2 },
    });

    it('never exceeds the quota in any 60 s window, reaches close to it, and spreads a sustained load evenly', async () => {
      let t = 1_000_000;
      const gate = createDbRateGate({ db: store.db, dialect: store.dialect, limitFor: limits, now: () => t });
      const spends: { t: number; u: number }[] = [];
      const end = t + 300_000;
      while (t < end) {
        // A worker that always has work: spend as soon as the gate allows, arriving a few ms later.
        const hint = await gate.tryAcquire([{ key: 'destination:user:a@x', cost: 25 }]);
        if (hint.waitMs === 0) spends.push({ t: t + 3, u: 25 });
        else t += hint.waitMs;
      }
      expect(maxInAnyWindow(spends, 60_000)).toBeLessThanOrEqual(6000);
      // Sustained rate over the last four minutes (the first one includes the empty-window burst).
      const late = spends.filter((s) => s.t >= 1_060_000).reduce((a, s) => a + s.u, 0) / 4;
      expect(late / 6000).toBeGreaterThan(0.95);
      // Evenly: once the first burst has washed out, no second takes more than twice its share.
      const perSecond = new Map<number, number>();
      for (const s of spends.filter((x) => x.t >= 1_180_000)) perSecond.set(Math.floor(s.t / 1000), (perSecond.get(Math.floor(s.t / 1000)) ?? 0) + s.u);
      expect(Math.max(...perSecond.values())).toBeLessThanOrEqual((6000 / SLOTS_PER_WINDOW) * 2 + 25);
    });

    it('lets an idle budget burst, so a small mailbox syncs at once', () => {
      const limit = { amount: 6000, windowMs: 60_000 };
      let slots: [number, number][] = [];
      let granted = 0;
      for (;;) {
        const w = windowWait(slots, limit, 25, 5_000_000);
        if (w.slots === null) break;
        slots = w.slots;
        granted += 1;
      }
      // About BURST times the even share of one slot, minus what the filling window takes back.
      expect(granted * 25).toBeGreaterThan((6000 / SLOTS_PER_WINDOW) * (BURST / 4));
      expect(granted * 25).toBeLessThanOrEqual((6000 / SLOTS_PER_WINDOW) * BURST);
    });

    it('is shared by two gates (two processes) on the same database', async () => {
      let t = 5_000_000;
      const a = createDbRateGate({ db: store.db, dialect: store.dialect, limitFor: limits, now: () => t });
      const b = createDbRateGate({ db: store.db, dialect: store.dialect, limitFor: limits, now: () => t });
      const spends: { t: number; u: number }[] = [];
      while (t < 5_180_000) {
        const gate = spends.length % 2 ? a : b;
        const hint = await gate.tryAcquire([{ key: 'destination:user:shared@x', cost: 25 }]);
        if (hint.waitMs === 0) spends.push({ t, u: 25 });
        else t += hint.waitMs;
      }
      expect(maxInAnyWindow(spends, 60_000)).toBeLessThanOrEqual(6000);
      expect(spends.filter((s) => s.t % 2 === 0).length + spends.filter((s) => s.t % 2 === 1).length).toBe(spends.length);
    });

    it('spends all keys or none, and keys without a limit are free', async () => {
      const t = 9_000_000;
      const gate = createDbRateGate({ db: store.db, dialect: store.dialect, limitFor: limits, now: () => t });
      // Fill the user's window to the brim.
      while ((await gate.tryAcquire([{ key: 'destination:user:c@x', cost: 25 }])).waitMs === 0);
      const hint = await gate.tryAcquire([{ key: 'destination:project:p', cost: 25 }, { key: 'destination:user:c@x', cost: 25 }]);
      expect(hint.waitMs).toBeGreaterThan(0);
      expect(hint.key).toBe('destination:user:c@x');
      const project = await store.db.selectFrom('rate_windows').selectAll().where('key', '=', 'destination:project:p').executeTakeFirstOrThrow();
      expect(JSON.parse(project.slots_json)).toEqual([]);
      expect((await gate.tryAcquire([{ key: 'unlimited:thing', cost: 1e9 }])).waitMs).toBe(0);
    });

    it('a provider Retry-After blocks the budget for everyone until then', async () => {
      let t = 20_000_000;
      const gate = createDbRateGate({ db: store.db, dialect: store.dialect, limitFor: limits, now: () => t });
      gate.penalize([{ key: 'destination:user:d@x', cost: 25 }], t + 7_000);
      await new Promise((r) => setTimeout(r, 50));
      expect((await gate.tryAcquire([{ key: 'destination:user:d@x', cost: 25 }])).waitMs).toBe(7_000);
      t += 7_001;
      expect((await gate.tryAcquire([{ key: 'destination:user:d@x', cost: 25 }])).waitMs).toBe(0);
    });

    it('a waiting priority request gets the next room before everyone else, in every process, and stands nobody back for long', async () => {
      let t = 40_000_000;
      const key = 'destination:project:prio';
      const a = createDbRateGate({ db: store.db, dialect: store.dialect, limitFor: limits, now: () => t });
      const b = createDbRateGate({ db: store.db, dialect: store.dialect, limitFor: limits, now: () => t });
      const cost = [{ key, cost: 25_000 }];
      // Fill the window: the next room comes when the oldest spend leaves it.
      while ((await a.tryAcquire(cost)).waitMs === 0) t += 1_000;
      const full = await b.tryAcquire(cost);
      expect(full.waitMs).toBeGreaterThan(PRIORITY_HOLD_MS);
      // The priority request (process A) has to wait too; it claims the key and renews the
      // claim each time it asks again (acquire asks at least every 100 ms).
      let w = (await withPriority(() => a.tryAcquire(cost))).waitMs;
      expect(w).toBe(full.waitMs);
      while (w > 100) {
        t += 100;
        w = (await withPriority(() => a.tryAcquire(cost))).waitMs;
      }
      t += w;
      // The room is there, but the other process (B) stands back while the claim holds...
      const back = await b.tryAcquire(cost);
      expect(back.waitMs).toBeGreaterThan(0);
      expect(back.waitMs).toBeLessThanOrEqual(PRIORITY_HOLD_MS);
      // ...so the priority request gets it, and its claim ends with it.
      expect((await withPriority(() => a.tryAcquire(cost))).waitMs).toBe(0);
      const row = await store.db.selectFrom('rate_windows').selectAll().where('key', '=', key).executeTakeFirstOrThrow();
      expect(Number(row.priority_until_ms)).toBe(0);
      // A claim nobody renews (its request gave up or died) lapses after PRIORITY_HOLD_MS.
      t += (await b.tryAcquire(cost)).waitMs - 50;
      expect((await withPriority(() => a.tryAcquire(cost))).waitMs).toBe(50);
      t += 50;
      expect((await b.tryAcquire(cost)).waitMs).toBe(PRIORITY_HOLD_MS - 50);
      t += PRIORITY_HOLD_MS - 50;
      expect((await b.tryAcquire(cost)).waitMs).toBe(0);
      // A cost that can never fit claims nothing.
      const huge = [{ key: 'destination:project:huge', cost: 200_000 }];
      expect((await withPriority(() => a.tryAcquire(huge))).waitMs).toBe(60_000);
      expect((await b.tryAcquire([{ key: 'destination:project:huge', cost: 1 }])).waitMs).toBe(0);
    });

    it('acquire: a priority request asking last gets the next room before three that waited longer', async () => {
      const key = 'destination:user:race@x';
      const limitFor = limitsByPrefix({ 'destination:user:': { amount: 100, windowMs: 3_000 } });
      // The others give up once the room after next would be their turn (well before the test ends).
      const gate = createDbRateGate({ db: store.db, dialect: store.dialect, limitFor, yieldAfterMs: 4_000 });
      const cost = [{ key, cost: 100 }];
      await gate.acquire(cost); // the whole window: the next room comes in about 3 s
      const order: string[] = [];
      const normal = [0, 1, 2].map((i) => gate.acquire(cost).then(() => order.push(`normal ${i}`), (e: { code?: string }) => order.push(`normal ${i}: ${e.code}`)));
      await new Promise((r) => setTimeout(r, 200));
      await withPriority(() => gate.acquire(cost)).then(() => order.push('priority'));
      await Promise.all(normal);
      expect(order[0]).toBe('priority');
      expect(order.slice(1).sort()).toEqual(['normal 0: sync.throttled', 'normal 1: sync.throttled', 'normal 2: sync.throttled']);
    }, 20_000);

    it('gives up with sync.throttled when the wait would be too long, and counts concurrent requests', async () => {
      const t = 30_000_000;
      const gate = createDbRateGate({ db: store.db, dialect: store.dialect, limitFor: limits, now: () => t, yieldAfterMs: 1_000, sleep: async () => {} });
      gate.penalize([{ key: 'destination:user:e@x', cost: 25 }], t + 30_000);
      await new Promise((r) => setTimeout(r, 50));
      const err = await gate.acquire([{ key: 'destination:user:e@x', cost: 25 }]).then(() => null, (e: unknown) => e);
      expect((err as { code?: string }).code).toBe('sync.throttled');
      expect((err as { retryAfterMs?: number }).retryAfterMs).toBe(30_000);

      // Two concurrent slots on a mailbox: the third request waits for a release.
      const costs = [{ key: 'source:mailbox:t:u', cost: 1 }];
      await gate.acquire(costs);
      await gate.acquire(costs);
      let third = false;
      const p = gate.acquire(costs).then(() => (third = true));
      await new Promise((r) => setTimeout(r, 30));
      expect(third).toBe(false);
      gate.release!(costs);
      await p;
      expect(third).toBe(true);
    });
  });
}
