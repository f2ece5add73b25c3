import type { RateCost, RateGate } from '../../connectors/sdk/index.js';

/**
 * Spends a shared budget in blocks instead of per request: the first request of a block
 * reserves `block(key)` units from the database-backed gate, the next ones draw on what is
 * left here. A directory sync reads thousands of pages one after the other; a database
 * transaction for each (taking turns with the page writes on the embedded database) would cost
 * as much as the sync itself. Safe for the provider's quota: reserved units count as spent
 * for every other worker at once, and a process holds at most one unspent block per key. A
 * throttle from the provider drops the reserve and reaches the shared gate unchanged.
 */
export function reservingGate(inner: RateGate, block: (key: string) => number): RateGate {
  const reserve = new Map<string, number>();
  // Requests in flight at once (a campaign apply sends 16) that all find the reserve empty must
  // not each reserve a block: they wait for the one reservation under way and draw on it.
  // Without this, every provider throttle (which drops the reserve) made each of them reserve
  // a block, and the wasted blocks filled the shared window: the apply crawled at about one
  // request per second while the provider allowed ten.
  const pending = new Map<string, Promise<void>>();
  return {
    async acquire(costs: readonly RateCost[]): Promise<void> {
      for (;;) {
        const underway = costs.map((c) => pending.get(c.key)).filter((p): p is Promise<void> => p !== undefined);
        if (underway.length === 0) break;
        await Promise.allSettled(underway);
      }
      const needed: RateCost[] = [];
      for (const c of costs) {
        const have = reserve.get(c.key) ?? 0;
        if (have >= c.cost) reserve.set(c.key, have - c.cost);
        else needed.push({ key: c.key, cost: Math.max(c.cost, block(c.key)) });
      }
      if (needed.length === 0) return;
      const reserving = inner.acquire(needed).then(() => {
        for (const n of needed) {
          const cost = costs.find((c) => c.key === n.key)!.cost;
          reserve.set(n.key, (reserve.get(n.key) ?? 0) + n.cost - cost);
        }
      });
      for (const n of needed) pending.set(n.key, reserving);
      try {
        await reserving;
      } finally {
        for (const n of needed) if (pending.get(n.key) === reserving) pending.delete(n.key);
      }
    },
    release(costs: readonly RateCost[]): void {
      inner.release?.(costs);
    },
    penalize(costs: readonly RateCost[], untilMs: number): void {
      for (const c of costs) reserve.delete(c.key);
      inner.penalize(costs, untilMs);
    },
  };
}
