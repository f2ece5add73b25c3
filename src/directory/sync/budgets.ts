import type { Runtime } from '../../runtime/context.js';
import { createDbRateGate, limitsByPrefix, type BudgetLimit, type DbRateGate, type LimitFor } from '../../engine/rate-budget.js';
import { AWS_BUDGET } from '../../connectors/aws/index.js';
import { GRAPH_IDENTITY_WRITES } from '../../connectors/microsoft/index.js';
import type { RateGate } from '../../connectors/sdk/index.js';
import { reservingGate } from './reserving-gate.js';
import { DIRECTORY_BUDGET_PREFIX, DIRECTORY_QUERIES_PER_MINUTE } from '../../connectors/google/index.js';

/**
 * The directory reads' rate budgets, shared by every worker through the database. Connectors
 * name the key (one per provider quota: Graph's identity budget per app + tenant, Google's
 * Directory quota per project + admin, IAM per account, SCIM per service), so connections that
 * share a quota share a budget without any setting. Limits are the providers' published ones:
 * - Graph identity & access: resource units per 10 s per app + tenant, 3,500 / 5,000 / 8,000 by
 *   tenant size (providers.md; learn.microsoft.com/graph/throttling-limits). The size is known
 *   after the first read; until then the small-tenant figure. Writes (write-back) also spend
 *   3,000 per 2 min 30 s per app + tenant.
 * - Google Directory: 2,400 queries per minute (developers.google.com/admin-sdk/directory/v1/limits).
 * - AWS IAM: unpublished per account; 15 per second (connectors/aws).
 * - SCIM: services rarely publish one; 20 per second is below what common ones allow.
 */
export const GRAPH_IDENTITY_WINDOW_MS = 10_000;

export function graphIdentityUnits(accounts: number | null): number {
  if (accounts === null || accounts < 50) return 3_500;
  return accounts <= 500 ? 5_000 : 8_000;
}

/** The directory budgets by key prefix (also read by /metrics to show use against limit). */
export const DIRECTORY_LIMITS: Record<string, BudgetLimit> = {
  [DIRECTORY_BUDGET_PREFIX]: { amount: DIRECTORY_QUERIES_PER_MINUTE, windowMs: 60_000 },
  'aws:iam:': { amount: AWS_BUDGET.amount, windowMs: AWS_BUDGET.windowMs },
  'aws:sts:': { amount: AWS_BUDGET.amount, windowMs: AWS_BUDGET.windowMs },
  'scim:': { amount: 1_200, windowMs: 60_000 },
  'm365:identity:': { amount: graphIdentityUnits(null), windowMs: GRAPH_IDENTITY_WINDOW_MS },
  'm365:identity-writes:': { amount: GRAPH_IDENTITY_WRITES.amount, windowMs: GRAPH_IDENTITY_WRITES.windowMs },
};

/** How long a read may wait for its budget before the run parks as throttled and frees its worker. */
export const DIRECTORY_YIELD_AFTER_MS = 20_000;

interface Gates {
  /** Reserves blocks of the shared budget (a 1/50th of the window's quota) from the database gate. */
  gate: RateGate;
  shared: DbRateGate;
  /** Per key: the Graph tier learnt from the tenant's size. */
  exact: Map<string, BudgetLimit>;
}
const perRuntime = new WeakMap<Runtime, Gates>();

/** The process's directory gate (one per runtime; windows live in the database). */
export function directoryGate(rt: Runtime): Gates {
  let g = perRuntime.get(rt);
  if (!g) {
    const exact = new Map<string, BudgetLimit>();
    const byPrefix = limitsByPrefix(DIRECTORY_LIMITS);
    const limitFor: LimitFor = (key) => exact.get(key) ?? byPrefix(key);
    const shared = createDbRateGate({ db: rt.store.db, dialect: rt.store.dialect, limitFor, now: rt.now, yieldAfterMs: DIRECTORY_YIELD_AFTER_MS, maxSleepMs: 1_000 });
    const gate = reservingGate(shared, (key) => Math.max(1, Math.floor((limitFor(key)?.amount ?? 50) / 50)));
    perRuntime.set(rt, (g = { gate, shared, exact }));
  }
  return g;
}

/** Raises (or lowers) a Graph identity budget to the tier of a tenant with this many accounts. */
export function learnGraphTier(rt: Runtime, key: string, accounts: number): void {
  if (!key.startsWith('m365:identity:')) return;
  directoryGate(rt).exact.set(key, { amount: graphIdentityUnits(accounts), windowMs: GRAPH_IDENTITY_WINDOW_MS });
}
