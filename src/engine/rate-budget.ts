import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { Dialect } from '../store/db.js';
import type { RateCost, RateGate } from '../connectors/sdk/index.js';
import { AppError } from '../errors/index.js';
import { hasPriority } from './rate-priority.js';

/**
 * Rate budgets shared by every worker through the database: one sliding window per key
 * (e.g. 'destination:user:ada@x' in quota units per minute). Spending is a short transaction
 * that locks the window rows (FOR UPDATE on PostgreSQL), so any number of processes on any
 * number of machines together stay under a provider's quota.
 *
 * Why a sliding window rather than a token bucket: the providers state their quotas as
 * "N per minute" (Gmail) and "N per 10 minutes" (Outlook), and a bucket that must hold that
 * in every window can only refill at (N − burst) per window — a permanent loss. A window of
 * 60 slots tracks what was spent exactly, and a per-slot cap paces the spending: generous
 * while the window is empty, an even N/60 once it is full. Slots are counted conservatively: a
 * unit spent in slot s is forgotten only once the provider's window can no longer contain it
 * ((s + 1) slot lengths + the window), so the sustained rate is N × 60/61 at most.
 *
 * A provider's Retry-After blocks the key for everyone until then (`penalize`).
 *
 * Requests made `withPriority` (rate-priority.ts) go first: one that has to wait claims the
 * key's next room for a moment (`priority_until_ms`, renewed while it waits, cleared when it
 * gets in), every other request stands back meanwhile, and it asks again without jitter. A
 * sliding window has no queue to jump, so this is how a crashed worker's leftovers get ahead
 * of the running jobs' fair shares. The quota is spent the same; only the order changes.
 * Concurrency limits (`concurrent`) are counted per process: a mailbox is synced by one job
 * at a time (the job's dedupe key and lease guarantee it), so its concurrent requests never
 * span processes.
 */
export interface BudgetLimit {
  /** Units allowed per window (the provider's quota). */
  readonly amount: number;
  readonly windowMs: number;
  /** Requests in flight at once (per process), when the provider limits that. */
  readonly concurrent?: number;
}

export type LimitFor = (key: string) => BudgetLimit | undefined;

/** How long a waiting priority request's claim holds without being renewed. */
export const PRIORITY_HOLD_MS = 300;
/** A waiting priority request asks again at least this often (it renews its claim each time). */
const PRIORITY_POLL_MS = 100;

/** Slots per window: 1 s slots for a per-minute quota, 10 s slots for a 10-minute one. */
export const SLOTS_PER_WINDOW = 60;
/** How many times its even share one slot may take while the window is empty (it falls to 1 at half full). */
export const BURST = 10;

export interface DbRateGateOptions {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  readonly limitFor: LimitFor;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  /** Longest single sleep before asking again (a Retry-After may end early, another worker may release). */
  readonly maxSleepMs?: number;
  /**
   * When the budget makes a request wait longer than this in total, `acquire` gives up with
   * `sync.throttled` (and the Retry-After) so the caller can park the work and free its slot.
   */
  readonly yieldAfterMs?: number;
}

export interface WaitHint {
  /** 0 when the costs were spent; otherwise how long until they could be. */
  readonly waitMs: number;
  /** The key that made us wait. */
  readonly key: string | null;
}

export interface DbRateGate extends RateGate {
  tryAcquire(costs: readonly RateCost[]): Promise<WaitHint>;
}

type Slots = [number, number][];

export function createDbRateGate(opts: DbRateGateOptions): DbRateGate {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = opts.random ?? Math.random;
  const maxSleepMs = opts.maxSleepMs ?? 2_000;
  const yieldAfterMs = opts.yieldAfterMs ?? Number.POSITIVE_INFINITY;
  const slots = new Map<string, { active: number; queue: (() => void)[] }>();

  /** Spends the costs if every window has room; otherwise spends nothing and says how long to wait. */
  async function tryAcquire(costs: readonly RateCost[]): Promise<WaitHint> {
    const limited = costs
      .map((c) => ({ ...c, limit: opts.limitFor(c.key) }))
      .filter((c): c is RateCost & { limit: BudgetLimit } => c.limit !== undefined)
      // A fixed lock order keeps two transactions from deadlocking on the same keys.
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    if (limited.length === 0) return { waitMs: 0, key: null };
    const prio = hasPriority();
    return opts.db.transaction().execute(async (trx) => {
      const t = now();
      let wait = 0;
      let waitKey: string | null = null;
      const updates: { key: string; slots: Slots }[] = [];
      /** Keys this priority request waits for a room on (it claims them), and claims it may clear. */
      const claims: string[] = [];
      const claimed: string[] = [];
      // Plain SQL, not the query builder: this runs before every provider request, and
      // building the queries cost more than running them.
      const lock = opts.dialect === 'postgres' ? sql` FOR UPDATE` : sql``;
      for (const c of limited) {
        await sql`INSERT INTO rate_windows (key, slots_json, blocked_until_ms) VALUES (${c.key}, '[]', 0) ON CONFLICT (key) DO NOTHING`.execute(trx);
        const row = (await sql<{ slots_json: string; blocked_until_ms: number; priority_until_ms: number }>`SELECT slots_json, blocked_until_ms, priority_until_ms FROM rate_windows WHERE key = ${c.key}${lock}`.execute(trx)).rows[0]!;
        const blocked = Number(row.blocked_until_ms);
        if (blocked > t) {
          if (blocked - t > wait) [wait, waitKey] = [blocked - t, c.key];
          continue;
        }
        const claim = Number(row.priority_until_ms);
        if (claim > t) {
          if (!prio) {
            // A priority request is waiting for this key's next room: stand back until it got in.
            if (claim - t > wait) [wait, waitKey] = [claim - t, c.key];
            continue;
          }
          claimed.push(c.key);
        }
        const w = windowWait(parseSlots(row.slots_json), c.limit, c.cost, t);
        if (w.slots === null) {
          if (w.waitMs > wait) [wait, waitKey] = [w.waitMs, c.key];
          // A cost that can never fit claims nothing (it would hold everyone back for good).
          if (prio && c.cost <= c.limit.amount) claims.push(c.key);
          continue;
        }
        updates.push({ key: c.key, slots: w.slots });
      }
      if (wait > 0) {
        for (const key of claims) await sql`UPDATE rate_windows SET priority_until_ms = ${t + PRIORITY_HOLD_MS} WHERE key = ${key}`.execute(trx);
        return { waitMs: wait, key: waitKey };
      }
      for (const u of updates) {
        // Got in: its claim ends now (another priority waiter renews its own within PRIORITY_POLL_MS).
        if (claimed.includes(u.key)) await sql`UPDATE rate_windows SET slots_json = ${JSON.stringify(u.slots)}, priority_until_ms = 0 WHERE key = ${u.key}`.execute(trx);
        else await sql`UPDATE rate_windows SET slots_json = ${JSON.stringify(u.slots)} WHERE key = ${u.key}`.execute(trx);
      }
      return { waitMs: 0, key: null };
    });
  }

  async function takeSlots(costs: readonly RateCost[]): Promise<string[]> {
    const taken: string[] = [];
    for (const c of [...costs].sort((a, b) => (a.key < b.key ? -1 : 1))) {
      const limit = opts.limitFor(c.key)?.concurrent;
      if (!limit) continue;
      let s = slots.get(c.key);
      if (!s) slots.set(c.key, (s = { active: 0, queue: [] }));
      if (s.active >= limit) await new Promise<void>((resolve) => s!.queue.push(resolve));
      else s.active += 1;
      taken.push(c.key);
    }
    return taken;
  }

  function releaseSlots(keys: readonly string[]): void {
    for (const key of keys) {
      const s = slots.get(key);
      if (!s) continue;
      // Hand the slot straight to the next waiter (FIFO), or free it.
      const next = s.queue.shift();
      if (next) next();
      else s.active = Math.max(0, s.active - 1);
    }
  }

  return {
    tryAcquire,
    async acquire(costs) {
      const taken = await takeSlots(costs);
      const started = now();
      try {
        for (;;) {
          const hint = await tryAcquire(costs);
          if (hint.waitMs === 0) return;
          if (now() + hint.waitMs - started > yieldAfterMs) {
            throw new AppError('sync.throttled', { budget: describeBudget(hint.key ?? '') }, { retryAfterMs: hint.waitMs });
          }
          // A little jitter keeps waiters from asking in lockstep, which is what makes the
          // sharing fair: every waiter has the same chance at each freed slot. A priority
          // request asks again at once when the room comes, and soon enough to renew its claim.
          if (hasPriority()) await sleep(Math.min(hint.waitMs, PRIORITY_POLL_MS));
          else await sleep(Math.min(hint.waitMs, maxSleepMs) + Math.floor(random() * 25));
        }
      } catch (e) {
        releaseSlots(taken);
        throw e;
      }
    },
    release(costs) {
      releaseSlots(costs.filter((c) => opts.limitFor(c.key)?.concurrent).map((c) => c.key));
    },
    penalize(costs, untilMs) {
      // Fire and forget: a failed write only means we may be throttled once more.
      void (async () => {
        for (const c of costs) {
          if (!opts.limitFor(c.key)) continue;
          await opts.db
            .insertInto('rate_windows')
            .values({ key: c.key, slots_json: '[]', blocked_until_ms: untilMs, priority_until_ms: 0 })
            .onConflict((oc) => oc.column('key').doUpdateSet({ blocked_until_ms: untilMs }))
            .execute();
        }
      })().catch(() => undefined);
    },
  };
}

function parseSlots(json: string): Slots {
  try {
    const v = JSON.parse(json) as unknown;
    return Array.isArray(v) ? (v.filter((e) => Array.isArray(e) && e.length === 2) as Slots) : [];
  } catch {
    return [];
  }
}

/**
 * The window check as a pure function: given what was spent (slot index → units), may `cost`
 * be spent at `t`? Returns the updated slots, or how long to wait.
 */
export function windowWait(spent: Slots, limit: BudgetLimit, cost: number, t: number): { waitMs: 0; slots: Slots } | { waitMs: number; slots: null } {
  const slotMs = limit.windowMs / SLOTS_PER_WINDOW;
  const cur = Math.floor(t / slotMs);
  // Keep the current slot and the SLOTS_PER_WINDOW before it (see the conservative rule above).
  const kept = spent.filter(([s]) => s >= cur - SLOTS_PER_WINDOW).sort((a, b) => a[0] - b[0]);
  const sum = kept.reduce((a, [, u]) => a + u, 0);
  const inSlot = kept.filter(([s]) => s === cur).reduce((a, [, u]) => a + u, 0);
  // The per-slot cap paces spending: while the window is empty a slot may take up to BURST
  // times its share (a small mailbox syncs at once); the cap falls to an even share by the
  // time the window is half full, so a sustained load is spread over the window instead of
  // spent in bursts followed by silence. One request may always go in an empty slot.
  const fill = Math.min(1, sum / limit.amount);
  const cap = (limit.amount / SLOTS_PER_WINDOW) * (1 + (BURST - 1) * Math.max(0, 1 - 2 * fill));
  if (inSlot > 0 && inSlot + cost > cap + 1e-9) return { waitMs: Math.max(1, (cur + 1) * slotMs - t), slots: null };
  if (sum + cost > limit.amount + 1e-9) {
    if (cost > limit.amount) return { waitMs: limit.windowMs, slots: null };
    let freed = 0;
    for (const [s, u] of kept) {
      freed += u;
      if (sum - freed + cost <= limit.amount + 1e-9) return { waitMs: Math.max(1, (s + SLOTS_PER_WINDOW + 1) * slotMs - t), slots: null };
    }
    return { waitMs: limit.windowMs, slots: null };
  }
  const next: Slots = kept.filter(([s]) => s !== cur);
  next.push([cur, inSlot + cost]);
  return { waitMs: 0, slots: next };
}

/** Limits by key prefix, e.g. { 'destination:user:': {...}, 'source:mailbox:': {...} }. */
export function limitsByPrefix(table: Readonly<Record<string, BudgetLimit>>): LimitFor {
  const entries = Object.entries(table).sort((a, b) => b[0].length - a[0].length);
  return (key) => entries.find(([prefix]) => key.startsWith(prefix))?.[1];
}

/** A budget key as an admin reads it ('destination:user:ada@x' → "the destination's per-user quota"). */
export function describeBudget(key: string): string {
  if (key.startsWith('source:mailbox:')) return "the source's per-mailbox request limit";
  if (key.startsWith('source:upload:')) return "the source's per-mailbox upload limit";
  if (key.startsWith('destination:user:')) return "the destination's per-user quota";
  if (key.startsWith('destination:project:')) return "the destination's per-project quota";
  return key.split(':').slice(0, 2).join(' ') || 'a rate budget';
}

/** Which side of the sync a budget key belongs to. */
export function sideOfBudget(key: string): 'source' | 'destination' | null {
  if (key.startsWith('source:')) return 'source';
  if (key.startsWith('destination:')) return 'destination';
  return null;
}
