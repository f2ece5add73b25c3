import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialect } from '../store/db.js';
import { openTestStore } from '../../test/support/store.js';
import { BURST, createDbRateGate, limitsByPrefix, SLOTS_PER_WINDOW, windowWait } from './rate-budget.js';

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
