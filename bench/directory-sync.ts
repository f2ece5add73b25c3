import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchArgs } from './run.js';
import { startSandboxProcess } from './support/sandbox-process.js';
import { dropSchema, pgUrlWithSchema } from './support/pg-schema.js';
import { log, round } from './support/measure.js';
import { startSyncwarden } from '../src/runtime/start.js';
import { createLogger } from '../src/runtime/logger.js';
import { createConnection } from '../src/connections/service.js';
import { runDirectorySync } from '../src/directory/sync/run.js';
import { DEFAULT_TENANT } from '../src/api/route.js';


/**
 * directory-sync: the identity inventory's engine cost against the sandbox's large Entra
 * tenant (100,000 users, 10,000 groups, 1,000,000 memberships by default), with the sandbox's
 * throttling off and the sandbox in its own process. Per database: objects/s of the first
 * sync, of a re-sync with nothing changed, the cost of a delta sync after 1 % churn as a
 * ratio of the full sync's time, and peak RSS of this process.
 *
 * `--db sqlite|postgres|both` (default both), `--users`, `--groups`, `--memberships`.
 */
export async function run(args: BenchArgs): Promise<Record<string, unknown>[]> {
  const dbs = (args['db'] ?? 'both') === 'both' ? ['sqlite', 'postgres'] : [args['db']!];
  const size = { users: Number(args['users'] ?? 100_000), groups: Number(args['groups'] ?? 10_000), memberships: Number(args['memberships'] ?? 1_000_000) };
  const out: Record<string, unknown>[] = [];
  for (const db of dbs) out.push(await measure(db as 'sqlite' | 'postgres', size));
  return out;
}

async function measure(db: 'sqlite' | 'postgres', size: { users: number; groups: number; memberships: number }): Promise<Record<string, unknown>> {
  const sandbox = await startSandboxProcess();
  const dataDir = mkdtempSync(join(tmpdir(), 'sw-bench-dir-'));
  const pgSchema = db === 'postgres' ? await pgUrlWithSchema('bench') : undefined;
  const databaseUrl = pgSchema?.url;
  const running = await startSyncwarden({ dataDir, databaseUrl, log: createLogger('warn'), env: {} });
  try {
    await sandbox.admin('POST', '/microsoft/tenants/large', size);
    await sandbox.admin('POST', '/microsoft/throttle', { enabled: false });
    const ms = sandbox.demo.microsoft;
    const rt = running.rt;
    const conn = await createConnection(rt, DEFAULT_TENANT, {
      kind: 'microsoft365', role: 'directory', name: 'Large tenant',
      config: { tenantId: ms.largeTenantId, clientId: ms.clientId, endpoints: { login: sandbox.urls.entra_login, graph: sandbox.urls.graph } },
      credential: { type: 'certificate', pfxBase64: ms.pfxBase64, pfxPassword: ms.pfxPassword },
    }, 'bench');
    const timed = async (label: string, mode: 'full' | 'auto') => {
      const t0 = performance.now();
      const r = await runDirectorySync(rt, DEFAULT_TENANT, conn.id, { mode });
      const s = (performance.now() - t0) / 1000;
      if (r.status !== 'succeeded') throw new Error(`${label} ended ${r.status}: ${JSON.stringify(r.error)}`);
      log(`${db}: ${label}: ${r.objectsRead} objects in ${s.toFixed(2)} s (added ${r.added}, changed ${r.changed}, removed ${r.removed}, unchanged pages ${r.pagesUnchanged}/${r.pagesRead})`);
      return { r, s };
    };
    const first = await timed('first sync', 'full');
    const again = await timed('re-sync, nothing changed', 'full');
    await sandbox.admin('POST', `/microsoft/tenants/${ms.largeTenantId}/churn`, { fraction: 0.01 });
    const delta = await timed('delta after 1 % churn', 'auto');
    if (delta.r.mode !== 'delta') throw new Error('the sync after the churn was not a delta sync');
    const c = first.r.counts!;
    return {
      db,
      objects: first.r.objectsRead,
      inventory: c,
      first_sync_objects_per_s: Math.round(first.r.objectsRead / first.s),
      first_sync_s: round(first.s, 2),
      resync_objects_per_s: Math.round(again.r.objectsRead / again.s),
      resync_s: round(again.s, 2),
      delta_cost_ratio: round(delta.s / first.s, 4),
      delta_vs_resync_ratio: round(delta.s / again.s, 4),
      delta_changes: { added: delta.r.added, changed: delta.r.changed, removed: delta.r.removed },
      peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
      targets: { first_sync_objects_per_s: 50_000, resync_objects_per_s: 200_000, delta_cost_ratio: 0.05, peak_rss_mb: 400 },
    };
  } finally {
    await running.stop();
    await sandbox.close();
    rmSync(dataDir, { recursive: true, force: true });
    if (pgSchema) await dropSchema(pgSchema.schema);
  }
}
