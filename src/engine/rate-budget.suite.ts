import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialect } from '../store/db.js';
import { openTestStore } from '../../test/support/store.js';
import { createDbRateGate, limitsByPrefix } from './rate-budget.js';

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
      'gmail:user:': { amount: 6000, windowMs: 60_000, burst: 250 },
      'gmail:project:': { amount: 100_000, windowMs: 60_000, burst: 5000 },
    });

    it('never exceeds the quota in any 60 s window, and reaches close to it', async () => {
      let t = 1_000_000;
      const gate = createDbRateGate({ db: store.db, dialect: store.dialect, limitFor: limits, now: () => t });
      const spent: number[] = []; // time of each 25-unit import
      const end = t + 180_000;
      while (t < end) {
        const wait = await gate.tryAcquire([{ key: 'gmail:user:a@x', cost: 25 }]);
        if (wait === 0) spent.push(t);
        else t += wait;
      }
      // sliding 60 s windows over the whole run
      let maxInWindow = 0;
      for (let i = 0, j = 0; i < spent.length; i++) {
        while (spent[i]! - spent[j]! >= 60_000) j++;
        maxInWindow = Math.max(maxInWindow, (i - j + 1) * 25);
      }
      expect(maxInWindow).toBeLessThanOrEqual(6000);
      const perMinute = (spent.length * 25) / 3;
      expect(perMinute / 6000).toBeGreaterThan(0.9);
    });

    it('is shared by two gates (two processes) on the same database', async () => {
      let t = 5_000_000;
      const a = createDbRateGate({ db: store.db, dialect: store.dialect, limitFor: limits, now: () => t });
      const b = createDbRateGate({ db: store.db, dialect: store.dialect, limitFor: limits, now: () => t });
      let granted = 0;
      for (let i = 0; i < 40; i++) {
        if ((await (i % 2 ? a : b).tryAcquire([{ key: 'gmail:user:shared@x', cost: 25 }])) === 0) granted += 1;
      }
      expect(granted).toBe(10); // burst 250 / 25, whichever gate asks
      t += 60_000;
      expect(await a.tryAcquire([{ key: 'gmail:user:shared@x', cost: 25 }])).toBe(0);
    });

    it('spends all keys or none', async () => {
      const t = 9_000_000;
      const gate = createDbRateGate({ db: store.db, dialect: store.dialect, limitFor: limits, now: () => t });
      expect(await gate.tryAcquire([{ key: 'gmail:user:c@x', cost: 250 }])).toBe(0);
      const wait = await gate.tryAcquire([{ key: 'gmail:project:p', cost: 25 }, { key: 'gmail:user:c@x', cost: 25 }]);
      expect(wait).toBeGreaterThan(0);
      const project = await store.db.selectFrom('rate_buckets').selectAll().where('key', '=', 'gmail:project:p').executeTakeFirstOrThrow();
      expect(Number(project.tokens)).toBe(5000);
      // keys without a limit are free
      expect(await gate.tryAcquire([{ key: 'unlimited:thing', cost: 1e9 }])).toBe(0);
    });

    it('a provider Retry-After blocks the budget for everyone until then', async () => {
      let t = 20_000_000;
      const gate = createDbRateGate({ db: store.db, dialect: store.dialect, limitFor: limits, now: () => t });
      gate.penalize([{ key: 'gmail:user:d@x', cost: 25 }], t + 7_000);
      await new Promise((r) => setTimeout(r, 50));
      expect(await gate.tryAcquire([{ key: 'gmail:user:d@x', cost: 25 }])).toBe(7_000);
      t += 7_001;
      expect(await gate.tryAcquire([{ key: 'gmail:user:d@x', cost: 25 }])).toBe(0);
    });
  });
}
