import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchArgs } from './run.js';
import { dropSchema, pgUrlWithSchema } from './support/pg-schema.js';
import { fillScale } from './support/scale-fill.js';
import { log, round } from './support/measure.js';
import { startSyncwarden } from '../src/runtime/start.js';
import { createLogger } from '../src/runtime/logger.js';
import { DEFAULT_TENANT } from '../src/api/route.js';
import { findUserByEmail } from '../src/auth/users.js';
import { createApiToken } from '../src/auth/tokens.js';
import { runActing } from '../src/auth/context.js';
import { encodeCursor } from '../src/store/keyset.js';

/**
 * api-latency: the pages an admin opens, at an installation's size — 100,000 sync users (a
 * tenth with 20 failed items, thirty days of hourly history), 1,000,000 inventory accounts
 * (500,000 identities) and 1,000,000 audit entries — timed over HTTP as the UI calls them,
 * on a server process that does nothing else (no worker, no scheduler).
 *
 * Per database one line: `routes` (each with `p50_ms`, `p95_ms` over `--samples` calls with
 * varied filters, searches and deep cursors), the worst list p95 and the dashboard's p95 as
 * ratios of their targets (lists 50 ms, dashboard 100 ms; ≤ 1 meets them).
 *
 * `--db sqlite|postgres|both` (default both), `--users`, `--accounts`, `--audit`, `--samples`.
 */
const LIST_TARGET_MS = 50;
const DASHBOARD_TARGET_MS = 100;

export async function run(args: BenchArgs): Promise<Record<string, unknown>[]> {
  const dbs = (args['db'] ?? 'both') === 'both' ? ['sqlite', 'postgres'] : [args['db']!];
  const size = { users: Number(args['users'] ?? 100_000), accounts: Number(args['accounts'] ?? 1_000_000), audit: Number(args['audit'] ?? 1_000_000) };
  const samples = Number(args['samples'] ?? 40);
  const out: Record<string, unknown>[] = [];
  for (const db of dbs) out.push(await measure(db as 'sqlite' | 'postgres', size, samples));
  return out;
}

type Route = { name: string; kind: 'list' | 'dashboard'; path: (i: number) => string };

async function measure(db: 'sqlite' | 'postgres', size: { users: number; accounts: number; audit: number }, samples: number): Promise<Record<string, unknown>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sw-bench-api-'));
  const pgSchema = db === 'postgres' ? await pgUrlWithSchema('bench') : undefined;
  const running = await startSyncwarden({ dataDir, databaseUrl: pgSchema?.url, port: 0, log: createLogger('warn'), env: {} });
  try {
    const rt = running.rt;
    const owner = await findUserByEmail(rt, 'owner@localhost');
    if (!owner) throw new Error('no first owner');
    const { token } = await runActing({ actor: 'system:bench', address: null, userAgent: null }, () => createApiToken(rt, DEFAULT_TENANT, owner.id, { name: 'bench', role: 'owner', expiresInDays: 1 }));
    log(`${db}: filling ${size.users} sync users, ${size.accounts} accounts, ${size.audit} audit entries`);
    await fillScale(rt.store.db, rt.store.dialect, DEFAULT_TENANT, size, (m) => log(`${db}: ${m}`));

    // Deep cursors: the sort keys of rows far down each list, read once from the database.
    const deepUsers = await rt.store.db.selectFrom('sync_users').select(['display_name', 'id']).where('tenant_id', '=', DEFAULT_TENANT)
      .orderBy('display_name').orderBy('id').offset(Math.floor(size.users * 0.9)).limit(samples).execute();
    const deepIdentities = await rt.store.db.selectFrom('identities').select(['display_name', 'id']).where('tenant_id', '=', DEFAULT_TENANT)
      .orderBy('display_name').orderBy('id').offset(Math.floor((size.accounts / 2) * 0.9)).limit(samples).execute();
    const auditTop = Number((await rt.store.db.selectFrom('audit_events').select((eb) => eb.fn.max<number>('seq').as('m')).where('tenant_id', '=', DEFAULT_TENANT).executeTakeFirstOrThrow()).m);
    const failedUser = (i: number) => `su_${String(((i * 7) % Math.floor(size.users / 10)) * 10).padStart(7, '0')}`;
    const names = ['mia', 'smith', 'noah.g', 'rosa hill', 'tara', '4217', 'jack.w', 'campbell 9', 'olga', 'zzz-none'];
    const statuses = ['failed', 'initial_sync', 'throttled', 'quarantined', 'synced'];
    const routes: Route[] = [
      { name: 'sync_status', kind: 'list', path: () => '/sync/users?limit=200' },
      { name: 'sync_status_filtered', kind: 'list', path: (i) => `/sync/users?limit=200&status=${statuses[i % statuses.length]}&policyId=pol_bench_${i % 4}` },
      { name: 'sync_status_search', kind: 'list', path: (i) => `/sync/users?limit=200&q=${encodeURIComponent(names[i % names.length]!)}` },
      { name: 'sync_status_deep', kind: 'list', path: (i) => { const r = deepUsers[i % deepUsers.length]!; return `/sync/users?limit=200&cursor=${encodeCursor([r.display_name, r.id])}`; } },
      { name: 'user_failed_items', kind: 'list', path: (i) => `/sync/users/${failedUser(i)}/items?state=failed` },
      { name: 'dashboard', kind: 'dashboard', path: () => '/dashboard' },
      { name: 'identities', kind: 'list', path: () => '/identities?limit=50' },
      { name: 'identities_search', kind: 'list', path: (i) => `/identities?limit=50&q=${encodeURIComponent(names[i % names.length]!)}` },
      { name: 'identities_filtered', kind: 'list', path: (i) => `/identities?limit=50&status=${i % 2 ? 'disabled' : 'active'}&type=${i % 2 ? 'guest' : 'person'}` },
      { name: 'identities_deep', kind: 'list', path: (i) => { const r = deepIdentities[i % deepIdentities.length]!; return `/identities?limit=50&cursor=${encodeCursor([r.display_name, r.id])}`; } },
      { name: 'audit', kind: 'list', path: () => '/audit?limit=100' },
      { name: 'audit_filtered', kind: 'list', path: (i) => (i % 2 ? `/audit?limit=100&severity=${i % 4 === 1 ? 'error' : 'warning'}` : `/audit?limit=100&action=${['policy.', 'auth.', 'connection.credential'][i % 3]}`) },
      { name: 'audit_deep', kind: 'list', path: (i) => `/audit?limit=100&cursor=${encodeCursor([Math.max(2, auditTop - Math.floor(size.audit * (0.5 + (i % 10) / 25)))])}` },
    ];
    const figures: Record<string, { p50_ms: number; p95_ms: number }> = {};
    for (const r of routes) {
      for (let i = 0; i < 3; i++) await call(running.url!, token, r.path(i)); // warm the caches and the plan
      const times: number[] = [];
      for (let i = 0; i < samples; i++) {
        const t0 = performance.now();
        await call(running.url!, token, r.path(i));
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      figures[r.name] = { p50_ms: round(pct(times, 0.5), 1), p95_ms: round(pct(times, 0.95), 1) };
      log(`${db}: ${r.name}: p50 ${figures[r.name]!.p50_ms} ms, p95 ${figures[r.name]!.p95_ms} ms`);
    }
    const listWorst = Math.max(...routes.filter((r) => r.kind === 'list').map((r) => figures[r.name]!.p95_ms));
    const dashboard = figures['dashboard']!.p95_ms;
    return {
      db, users: size.users, accounts: size.accounts, audit: size.audit, samples,
      list_p95_max_ms: listWorst, list_p95_ratio: round(listWorst / LIST_TARGET_MS, 2),
      dashboard_p95_ms: dashboard, dashboard_p95_ratio: round(dashboard / DASHBOARD_TARGET_MS, 2),
      routes: figures,
    };
  } finally {
    await running.stop();
    rmSync(dataDir, { recursive: true, force: true });
    if (pgSchema) await dropSchema(pgSchema.schema);
  }
}

async function call(base: string, token: string, path: string): Promise<void> {
  const res = await fetch(`${base}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
}

function pct(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}
