import { sql } from 'kysely';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { Runtime } from '../runtime/context.js';
import { limitsOf, loadBudgets } from '../continuity/budgets.js';
import { DIRECTORY_LIMITS } from '../directory/sync/budgets.js';
import { limitsByPrefix, SLOTS_PER_WINDOW, type BudgetLimit } from '../engine/rate-budget.js';
import { DEFAULT_TENANT } from '../api/route.js';

/**
 * The Prometheus registry of one API process. Business figures are read from the database at
 * scrape time (not counted in memory): with several `serve` and `worker` processes, every
 * process answers the same installation-wide figures, so any one of them can be scraped and a
 * restart loses nothing. Process figures (memory, CPU, event-loop lag) are this process's own.
 */
export function createMetrics(rt: Runtime): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'syncwarden_' });
  const db = rt.store.db;

  new Gauge({
    name: 'syncwarden_sync_users',
    help: 'Continuity users by sync status (Initial Sync, Synced, Failed, …).',
    labelNames: ['tenant', 'status'],
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await db.selectFrom('sync_users').select(['tenant_id', 'status', (eb) => eb.fn.countAll<number>().as('n')]).where('excluded_at', 'is', null).groupBy(['tenant_id', 'status']).execute();
      for (const r of rows) this.set({ tenant: r.tenant_id, status: r.status }, Number(r.n));
    },
  });

  new Gauge({
    name: 'syncwarden_items_synced',
    help: 'Messages imported into the destination so far, and items that failed (sum over users).',
    labelNames: ['tenant', 'outcome'],
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await db
        .selectFrom('sync_users')
        .select(['tenant_id', (eb) => eb.fn.sum<number>('imported').as('imported'), (eb) => eb.fn.sum<number>('failed_items').as('failed')])
        .groupBy('tenant_id')
        .execute();
      for (const r of rows) {
        this.set({ tenant: r.tenant_id, outcome: 'imported' }, Number(r.imported ?? 0));
        this.set({ tenant: r.tenant_id, outcome: 'failed' }, Number(r.failed ?? 0));
      }
    },
  });

  new Gauge({
    name: 'syncwarden_jobs',
    help: 'Jobs by kind and state: ready (due, waiting for a worker), scheduled (due later), running.',
    labelNames: ['kind', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      const now = new Date(rt.now()).toISOString();
      const rows = await db
        .selectFrom('jobs')
        .select(['kind', 'status', sql<number>`CASE WHEN run_at <= ${now} THEN 1 ELSE 0 END`.as('due'), (eb) => eb.fn.countAll<number>().as('n')])
        .where('status', 'in', ['queued', 'running'])
        // By position: PostgreSQL would see the CASE's two bound parameters as two expressions.
        .groupBy([sql`1`, sql`2`, sql`3`])
        .execute();
      for (const r of rows) {
        const state = r.status === 'running' ? 'running' : Number(r.due) === 1 ? 'ready' : 'scheduled';
        this.inc({ kind: r.kind, state }, Number(r.n));
      }
    },
  });

  new Gauge({
    name: 'syncwarden_job_wait_seconds',
    help: 'How long the oldest due job of each kind has waited for a worker (queue latency; 0 when none waits).',
    labelNames: ['kind'],
    registers: [registry],
    async collect() {
      this.reset();
      const now = rt.now();
      const rows = await db
        .selectFrom('jobs')
        .select(['kind', (eb) => eb.fn.min<string>('run_at').as('oldest')])
        .where('status', '=', 'queued')
        .where('run_at', '<=', new Date(now).toISOString())
        .groupBy('kind')
        .execute();
      for (const r of rows) this.set({ kind: r.kind }, Math.max(0, (now - Date.parse(r.oldest)) / 1000));
    },
  });

  // The budget gauges share one read of rate_windows per scrape (the registry collects the
  // gauges concurrently, so each awaits the same read instead of relying on an order).
  const budgets = perScrape(async () => {
    const limitFor = limitsByPrefix({ ...DIRECTORY_LIMITS, ...limitsOf(await loadBudgets(rt, DEFAULT_TENANT)) });
    const now = rt.now();
    const rows = await db.selectFrom('rate_windows').select(['key', 'slots_json', 'blocked_until_ms']).execute();
    const fam = new Map<string, { used: number; keys: number; blocked: number }>();
    for (const r of rows) {
      const limit = limitFor(r.key);
      if (!limit) continue;
      const budget = r.key.split(':').slice(0, 2).join(':');
      const f = fam.get(budget) ?? { used: 0, keys: 0, blocked: 0 };
      const spent = spentInWindow(r.slots_json, limit, now);
      if (spent > 0) f.keys += 1;
      f.used = Math.max(f.used, spent / limit.amount);
      if (Number(r.blocked_until_ms) > now) f.blocked += 1;
      fam.set(budget, f);
    }
    return fam;
  });
  const budgetGauge = (name: string, help: string, field: 'used' | 'keys' | 'blocked') =>
    new Gauge({
      name,
      help,
      labelNames: ['budget'],
      registers: [registry],
      async collect() {
        const fam = await budgets();
        this.reset();
        for (const [budget, f] of fam) this.set({ budget }, f[field]);
      },
    });
  budgetGauge('syncwarden_rate_budget_used_ratio', 'Per rate budget (provider quota family): the highest share of its limit any one key has spent in the current window.', 'used');
  budgetGauge('syncwarden_rate_budget_keys', 'Per rate budget: keys (mailboxes, projects, tenants, accounts) with spending in the current window.', 'keys');
  budgetGauge('syncwarden_rate_budget_blocked', 'Per rate budget: keys the provider is throttling now (Retry-After not yet passed).', 'blocked');

  new Gauge({
    name: 'syncwarden_errors',
    help: 'Current provider and sync errors by catalogue code: users failing, connections failing, directory runs failed in the last 24 h.',
    labelNames: ['area', 'code'],
    registers: [registry],
    async collect() {
      this.reset();
      const since = new Date(rt.now() - 86_400_000).toISOString();
      const users = await db.selectFrom('sync_users').select('last_error_json as e').where('last_error_json', 'is not', null).where('excluded_at', 'is', null).execute();
      const conns = await db.selectFrom('connections').select('last_error_json as e').where('last_error_json', 'is not', null).execute();
      const runs = await db.selectFrom('dir_runs').select('error_json as e').where('status', '=', 'failed').where('finished_at', '>=', since).execute();
      for (const [area, list] of [['continuity', users], ['connection', conns], ['directory', runs]] as const) {
        for (const r of list) this.inc({ area, code: codeOf(r.e) });
      }
    },
  });

  const lastRuns = perScrape(async () => {
    const latest = db.selectFrom('dir_runs').select(['connection_id', (eb) => eb.fn.max<string>('finished_at').as('f')]).where('finished_at', 'is not', null).groupBy('connection_id').as('latest');
    return db
      .selectFrom('dir_runs')
      .innerJoin(latest, (j) => j.onRef('latest.connection_id', '=', 'dir_runs.connection_id').onRef('latest.f', '=', 'dir_runs.finished_at'))
      .select(['dir_runs.connection_id', 'dir_runs.mode', 'dir_runs.status', 'dir_runs.started_at', 'dir_runs.finished_at', 'dir_runs.objects_read'])
      .execute();
  });
  const runGauge = (name: string, help: string, value: (r: Awaited<ReturnType<typeof lastRuns>>[number]) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['connection', 'mode', 'status'],
      registers: [registry],
      async collect() {
        const rows = await lastRuns();
        this.reset();
        for (const r of rows) this.set({ connection: r.connection_id, mode: r.mode, status: r.status }, value(r));
      },
    });
  runGauge('syncwarden_directory_sync_last_duration_seconds', 'Duration of the last finished directory sync of each connection.', (r) => Math.max(0, (Date.parse(r.finished_at!) - Date.parse(r.started_at)) / 1000));
  runGauge('syncwarden_directory_sync_last_objects', 'Objects read by the last finished directory sync of each connection.', (r) => Number(r.objects_read));

  return registry;
}

/** Memoizes `fn` for one scrape: calls within `ttlMs` of the first share its promise. */
function perScrape<T>(fn: () => Promise<T>, ttlMs = 1_000): () => Promise<T> {
  let at = 0;
  let p: Promise<T> | undefined;
  return () => {
    const t = Date.now();
    if (!p || t - at > ttlMs) {
      at = t;
      p = fn();
      p.catch(() => (p = undefined));
    }
    return p;
  };
}

/** Units a rate window holds within its current window (the same slot rule as the gate). */
export function spentInWindow(slotsJson: string, limit: BudgetLimit, now: number): number {
  let slots: unknown;
  try {
    slots = JSON.parse(slotsJson);
  } catch {
    return 0;
  }
  if (!Array.isArray(slots)) return 0;
  const cur = Math.floor(now / (limit.windowMs / SLOTS_PER_WINDOW));
  let sum = 0;
  for (const s of slots) if (Array.isArray(s) && typeof s[0] === 'number' && typeof s[1] === 'number' && s[0] >= cur - SLOTS_PER_WINDOW) sum += s[1];
  return sum;
}

function codeOf(json: string | null): string {
  try {
    const code = (JSON.parse(json ?? '{}') as { code?: unknown }).code;
    return typeof code === 'string' ? code : 'unknown';
  } catch {
    return 'unknown';
  }
}
