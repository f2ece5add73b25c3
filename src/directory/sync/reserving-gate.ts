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
  return {
    async acquire(costs: readonly RateCost[]): Promise<void> {
      const needed: RateCost[] = [];
      for (const c of costs) {
        const have = reserve.get(c.key) ?? 0;
        if (have >= c.cost) reserve.set(c.key, have - c.cost);
        else needed.push({ key: c.key, cost: Math.max(c.cost, block(c.key)) });
      }
      if (needed.length === 0) return;
      await inner.acquire(needed);
      for (const n of needed) {
        const cost = costs.find((c) => c.key === n.key)!.cost;
        reserve.set(n.key, (reserve.get(n.key) ?? 0) + n.cost - cost);
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
