import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchArgs } from './run.js';
import { startSandboxProcess } from './support/sandbox-process.js';
import { dropSchema, pgUrlWithSchema } from './support/pg-schema.js';
import { log, round } from './support/measure.js';
import { startSyncwarden } from '../src/runtime/start.js';
import { createLogger } from '../src/runtime/logger.js';
import { createConnection, setWriteBack } from '../src/connections/service.js';
import { runDirectorySync } from '../src/directory/sync/run.js';
import { DEFAULT_TENANT } from '../src/api/route.js';
import { createUser } from '../src/auth/users.js';
import { createCampaign, startCampaign } from '../src/campaigns/lifecycle.js';
import { closeCampaign } from '../src/campaigns/close.js';
import { applyCampaign, runApply } from '../src/campaigns/apply.js';
import { decide, listReviews, reviewsQuery } from '../src/campaigns/reviews.js';
import { directoryGate } from '../src/directory/sync/budgets.js';
import { identityBudgetKey } from '../src/connectors/microsoft/index.js';

const T = DEFAULT_TENANT;

/**
 * campaign-scale: a certification campaign over the sandbox's large Entra tenant, read into the
 * inventory by the directory sync engine. Per database: the start (scope, recommendations,
 * reviewer assignment, snapshot) in items/s (and per second of this process's CPU, which on SQLite
 * includes the database's work: the figure a loaded machine does not stretch), a reviewer's first inbox page with filters (p95 of
 * 40 reads), a bulk decision over every item (set-based) in items/s, and the apply's
 * revocations per second as a fraction of the Graph identity budget that binds them (a member
 * removal costs 3 resource units).
 *
 * `--db sqlite|postgres|both` (default sqlite), `--users 20000`, `--groups 2000`,
 * `--memberships 200000` (the scale: 100000 / 10000 / 1000000), `--reviewers 20`,
 * `--revocations 8000` (several budget windows: a shorter apply fits in the first window's allowance and overstates the sustained rate).
 */
export async function run(args: BenchArgs): Promise<Record<string, unknown>[]> {
  const dbs = (args['db'] ?? 'sqlite') === 'both' ? ['sqlite', 'postgres'] : [args['db'] ?? 'sqlite'];
  const size = { users: Number(args['users'] ?? 20_000), groups: Number(args['groups'] ?? 2_000), memberships: Number(args['memberships'] ?? 200_000) };
  const out: Record<string, unknown>[] = [];
  for (const db of dbs) out.push(await measure(db as 'sqlite' | 'postgres', size, Number(args['reviewers'] ?? 20), Number(args['revocations'] ?? 8_000)));
  return out;
}

async function measure(db: 'sqlite' | 'postgres', size: { users: number; groups: number; memberships: number }, reviewers: number, revocations: number): Promise<Record<string, unknown>> {
  const sandbox = await startSandboxProcess();
  const dataDir = mkdtempSync(join(tmpdir(), 'sw-bench-camp-'));
  const pgSchema = db === 'postgres' ? await pgUrlWithSchema('bench') : undefined;
  const running = await startSyncwarden({ dataDir, databaseUrl: pgSchema?.url, log: createLogger(process.env['LOG_LEVEL'] ?? 'warn'), env: {} });
  try {
    await sandbox.admin('POST', '/microsoft/tenants/large', size);
    await sandbox.admin('POST', '/microsoft/throttle', { enabled: false });
    const ms = sandbox.demo.microsoft;
    const rt = running.rt;
    const conn = await createConnection(rt, T, {
      kind: 'microsoft365', role: 'directory', name: 'Large tenant',
      config: { tenantId: ms.largeTenantId, clientId: ms.clientId, endpoints: { login: sandbox.urls.entra_login, graph: sandbox.urls.graph }, massRemovalPercent: 100 },
      credential: { type: 'certificate', pfxBase64: ms.pfxBase64, pfxPassword: ms.pfxPassword },
    }, 'bench');
    const sync = await runDirectorySync(rt, T, conn.id, { mode: 'full' });
    if (sync.status !== 'succeeded') throw new Error(`sync ended ${sync.status}`);
    log(`${db}: inventory: ${JSON.stringify(sync.counts)}`);
    await setWriteBack(rt, T, conn.id, { enabled: true }, 'bench');
    // The admin consents to the write permission in the tenant (as in Entra's admin consent).
    await sandbox.admin('POST', `/microsoft/tenants/${ms.largeTenantId}/consent`, { permissions: ['User.Read.All', 'GroupMember.Read.All', 'RoleManagement.Read.Directory', 'Application.Read.All', 'GroupMember.ReadWrite.All'] });

    const ids: string[] = [];
    for (let i = 0; i < reviewers + 1; i++) ids.push((await createUser(rt, T, { email: `reviewer${i}@bench.test`, role: i === 0 ? 'admin' : 'reviewer', password: 'Tulip-stapler-orbit-42' }, null)).id);
    const [fallback, ...named] = ids;
    const campaign = await createCampaign(rt, T, {
      name: 'Scale', connectionIds: [conn.id], kinds: ['group_membership'], reviewers: { mode: 'named', userIds: named, fallbackUserId: fallback! },
      durationDays: 14, noResponse: 'keep', justification: 'on_revoke', breaker: { maxShareOfResource: 1, maxPerConnection: 1_000_000_000 },
    }, { userId: fallback!, actor: 'bench' });
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const started = await startCampaign(rt, T, campaign.id, 'bench');
    const startS = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(c0);
    // This process's CPU time for the start: on SQLite it includes the database's work, so on a
    // shared machine it says what the start costs when the wall clock is stretched by others' load.
    const startCpuS = (cpu.user + cpu.system) / 1e6;
    const items = started.totals.items;
    log(`${db}: start: ${items} items in ${startS.toFixed(2)} s (${startCpuS.toFixed(2)} s of this process's CPU)`);

    // A reviewer's first page with filters.
    const who = { userId: named[0]!, actor: 'bench', admin: false };
    const times: number[] = [];
    for (let i = 0; i < 40; i++) {
      const q = reviewsQuery.parse({ status: 'open', kind: 'group_membership', recommendation: i % 2 ? 'approve' : 'revoke', limit: '50', groupBy: 'person' });
      const a = performance.now();
      await listReviews(rt, T, who, q);
      times.push(performance.now() - a);
    }
    times.sort((x, y) => x - y);
    const p95 = times[Math.floor(times.length * 0.95) - 1]!;
    log(`${db}: inbox p95 ${p95.toFixed(1)} ms`);

    // Bulk: every item approved at once (the admin's form of "approve all"), then revocations chosen by id.
    const admin = { userId: fallback!, actor: 'bench', admin: true };
    const b0 = performance.now();
    const bulk = await decide(rt, T, admin, { filter: { campaign: campaign.id }, decision: 'recommendation' }, true);
    const bulkS = (performance.now() - b0) / 1000;
    log(`${db}: bulk decision: ${bulk.decided} items in ${bulkS.toFixed(2)} s`);
    const direct = await rt.store.db.selectFrom('campaign_items').select('id').where('campaign_id', '=', campaign.id).where('via', '=', 'direct').orderBy('id').limit(revocations).execute();
    await rt.store.db.updateTable('campaign_items').set({ decision: 'approve' }).where('campaign_id', '=', campaign.id).execute();
    await decide(rt, T, admin, { itemIds: direct.map((d) => d.id), decision: 'revoke', justification: 'bench' }, true);
    await closeCampaign(rt, T, campaign.id, { apply: false }, 'bench');
    await applyCampaign(rt, T, campaign.id, 'bench');
    const a0 = performance.now();
    for (;;) {
      const r = await runApply(rt, T, campaign.id, conn.id);
      if (!r.again) break;
      const wait = r.again.getTime() - Date.now();
      if (wait > 0) await new Promise((res) => setTimeout(res, wait));
    }
    const applyS = (performance.now() - a0) / 1000;
    const states = await rt.store.db.selectFrom('campaign_items').select(['remediation', 'remediation_error_json', (eb) => eb.fn.countAll<number>().as('n')]).where('campaign_id', '=', campaign.id).where('remediation', '!=', 'none').groupBy(['remediation', 'remediation_error_json']).limit(5).execute();
    log(`${db}: remediation: ${JSON.stringify(states)}`);
    const done = await rt.store.db.selectFrom('campaign_items').select((eb) => eb.fn.countAll<number>().as('n')).where('campaign_id', '=', campaign.id).where('remediation', '=', 'success').executeTakeFirstOrThrow();
    const limit = directoryGate(rt).exact.get(identityBudgetKey(ms.largeTenantId, ms.clientId)) ?? { amount: 3_500, windowMs: 10_000 };
    const quotaPerS = limit.amount / (limit.windowMs / 1000) / 3;
    const rate = Number(done.n) / applyS;
    log(`${db}: apply: ${done.n} revocations in ${applyS.toFixed(2)} s (${rate.toFixed(1)}/s; the binding quota allows ${quotaPerS.toFixed(1)}/s)`);
    return {
      db, items, start_items_per_s: Math.round(items / startS), start_s: round(startS, 2), start_cpu_s: round(startCpuS, 2), start_items_per_cpu_s: Math.round(items / startCpuS),
      inbox_p95_ms: round(p95, 1), bulk_decide_items_per_s: Math.round(bulk.decided / bulkS),
      apply_quota_fraction: round(rate / quotaPerS, 3), revocations: Number(done.n), apply_per_s: round(rate, 1), binding_quota_per_s: round(quotaPerS, 1),
      inventory: sync.counts, peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
      targets: { start_items_per_s: 50_000, inbox_p95_ms: 50, bulk_decide_items_per_s: 20_000, apply_quota_fraction: 0.9 },
    };
  } finally {
    await running.stop();
    await sandbox.close();
    rmSync(dataDir, { recursive: true, force: true });
    if (pgSchema) await dropSchema(pgSchema.schema);
  }
}
