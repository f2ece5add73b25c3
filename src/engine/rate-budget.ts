import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { Dialect } from '../store/db.js';
import type { RateCost, RateGate } from '../connectors/sdk/index.js';

/**
 * Rate budgets shared by every worker through the database: one token bucket per key
 * (e.g. 'gmail:user:ada@x' in quota units). Spending is a short transaction that locks the
 * bucket rows (FOR UPDATE on PostgreSQL), so any number of processes on any number of
 * machines together stay under a provider's quota.
 *
 * A limit of `amount` per `windowMs` must hold in *every* window, so the bucket refills at
 * (amount − burst) / window: the burst plus one window of refill never exceeds the quota.
 * A Retry-After from the provider blocks the bucket until then for everyone.
 */
export interface BudgetLimit {
  /** Units allowed per window (the provider's quota). */
  readonly amount: number;
  readonly windowMs: number;
  /** Units that may be spent at once from a full bucket. */
  readonly burst: number;
}

export type LimitFor = (key: string) => BudgetLimit | undefined;

export interface DbRateGateOptions {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  readonly limitFor: LimitFor;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Longest single wait before trying again (lets a Retry-After shortening take effect). */
  readonly maxWaitMs?: number;
}

export function createDbRateGate(opts: DbRateGateOptions): RateGate & { tryAcquire(costs: readonly RateCost[]): Promise<number> } {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const maxWaitMs = opts.maxWaitMs ?? 5_000;

  /** Spends the costs if every bucket has enough; otherwise spends nothing and returns the wait in ms. */
  async function tryAcquire(costs: readonly RateCost[]): Promise<number> {
    const limited = costs
      .map((c) => ({ ...c, limit: opts.limitFor(c.key) }))
      .filter((c): c is RateCost & { limit: BudgetLimit } => c.limit !== undefined)
      // A fixed lock order keeps two transactions from deadlocking on the same keys.
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    if (limited.length === 0) return 0;
    return opts.db.transaction().execute(async (trx) => {
      const t = now();
      let wait = 0;
      const updates: { key: string; tokens: number }[] = [];
      for (const c of limited) {
        const rate = refillPerMs(c.limit);
        await trx
          .insertInto('rate_buckets')
          .values({ key: c.key, tokens: c.limit.burst, updated_ms: t, blocked_until_ms: 0 })
          .onConflict((oc) => oc.column('key').doNothing())
          .execute();
        let q = trx.selectFrom('rate_buckets').selectAll().where('key', '=', c.key);
        if (opts.dialect === 'postgres') q = q.forUpdate();
        const row = await q.executeTakeFirstOrThrow();
        const blocked = Number(row.blocked_until_ms);
        if (blocked > t) {
          wait = Math.max(wait, blocked - t);
          continue;
        }
        const tokens = Math.min(c.limit.burst, Number(row.tokens) + (t - Number(row.updated_ms)) * rate);
        if (tokens + 1e-9 >= c.cost) updates.push({ key: c.key, tokens: tokens - c.cost });
        else wait = Math.max(wait, Math.ceil((c.cost - tokens) / rate));
      }
      if (wait > 0) return wait;
      for (const u of updates) {
        await trx.updateTable('rate_buckets').set({ tokens: u.tokens, updated_ms: t }).where('key', '=', u.key).execute();
      }
      return 0;
    });
  }

  return {
    tryAcquire,
    async acquire(costs) {
      for (;;) {
        const wait = await tryAcquire(costs);
        if (wait === 0) return;
        await sleep(Math.min(wait, maxWaitMs));
      }
    },
    penalize(costs, untilMs) {
      // Fire and forget: a failed write only means we may be throttled once more.
      void (async () => {
        for (const c of costs) {
          if (!opts.limitFor(c.key)) continue;
          await opts.db
            .insertInto('rate_buckets')
            .values({ key: c.key, tokens: 0, updated_ms: now(), blocked_until_ms: untilMs })
            .onConflict((oc) => oc.column('key').doUpdateSet({ blocked_until_ms: untilMs }))
            .execute();
        }
      })().catch(() => undefined);
    },
  };
}

function refillPerMs(limit: BudgetLimit): number {
  const sustained = Math.max(limit.amount - limit.burst, limit.amount * 0.01);
  return sustained / limit.windowMs;
}

/** Limits by key prefix, e.g. { 'gmail:user:': {...}, 'm365:mailbox:': {...} }. */
export function limitsByPrefix(table: Readonly<Record<string, BudgetLimit>>): LimitFor {
  const entries = Object.entries(table).sort((a, b) => b[0].length - a[0].length);
  return (key) => entries.find(([prefix]) => key.startsWith(prefix))?.[1];
}
