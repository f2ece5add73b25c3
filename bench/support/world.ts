import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { startSyncwarden, type Running } from '../../src/runtime/start.js';
import { createLogger } from '../../src/runtime/logger.js';
import { createConnection, testConnection } from '../../src/connections/service.js';
import { createPolicy } from '../../src/continuity/policies.js';
import { saveBudgets, type BudgetSettings } from '../../src/continuity/budgets.js';
import { DEFAULT_TENANT } from '../../src/api/route.js';
import type { Selection } from '../../src/continuity/selection.js';

/**
 * A Syncwarden installation wired to a sandbox in this process, for benchmarks and the crash
 * trials: the sandbox's quotas on, connections created and tested, budgets as asked. Workers
 * run here or in child processes (`syncwarden worker` against the same database).
 */
export interface BenchWorld {
  readonly sandbox: Sandbox;
  readonly running: Running;
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly sourceId: string;
  readonly destinationId: string;
  readonly keyFile: string;
  admin<T = any>(method: string, path: string, body?: unknown): Promise<T>;
  createPolicy(selection: Partial<Selection>, extra?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

export interface BenchWorldOptions {
  /** postgres://… with its search_path, or undefined for SQLite in a temporary directory. */
  readonly databaseUrl?: string;
  readonly worker?: { readonly concurrency: number };
  readonly sliceMs?: number;
  readonly budgets?: Partial<{ [K in keyof BudgetSettings]: Partial<BudgetSettings[K]> }>;
  /** Sandbox Google quotas (POST /google/quotas). */
  readonly googleQuotas?: Record<string, number>;
}

export async function benchWorld(opts: BenchWorldOptions = {}): Promise<BenchWorld> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sw-bench-'));
  const keyFile = join(dataDir, 'token-provider.json');
  const sandbox = await startSandbox({});
  writeFileSync(keyFile, sandbox.demo.google.tokenProviderKeyJson, { mode: 0o600 });
  const running = await startSyncwarden({
    dataDir,
    databaseUrl: opts.databaseUrl,
    env: { SYNCWARDEN_GOOGLE_TOKEN_PROVIDER_KEY_FILE: keyFile },
    log: createLogger('warn'),
    ...(opts.worker ? { worker: opts.worker, scheduler: true, schedulerTickMs: 500 } : {}),
    ...(opts.sliceMs ? { sliceMs: opts.sliceMs } : {}),
  });
  const rt = running.rt;
  const admin = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${sandbox.urls.admin}${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    if (!res.ok) throw new Error(`sandbox admin ${method} ${path} → ${res.status}: ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  if (opts.googleQuotas) await admin('POST', '/google/quotas', opts.googleQuotas);
  const ms = sandbox.demo.microsoft;
  const g = sandbox.demo.google;
  const source = await createConnection(rt, DEFAULT_TENANT, {
    kind: 'microsoft365', name: 'Bench source',
    config: { tenantId: ms.tenantId, clientId: ms.clientId, endpoints: { login: sandbox.urls.entra_login, graph: sandbox.urls.graph } },
    credential: { type: 'certificate', pfxBase64: ms.pfxBase64, pfxPassword: ms.pfxPassword },
  }, 'bench');
  const destination = await createConnection(rt, DEFAULT_TENANT, {
    kind: 'google_workspace', name: 'Bench destination',
    config: { serviceAccountEmail: g.serviceAccountEmail, adminEmail: g.adminEmail, domain: g.domain, endpoints: { oauth: sandbox.urls.google_oauth, iam: sandbox.urls.google_iam, apis: sandbox.urls.google_apis } },
    credential: { type: 'impersonation' },
  }, 'bench');
  for (const id of [source.id, destination.id]) {
    const t = await testConnection(rt, DEFAULT_TENANT, id, 'bench');
    if (!t.ok) throw new Error(`connection ${id} failed its test: ${JSON.stringify(t.findings.filter((f) => f.status === 'fail'))}`);
  }
  if (opts.budgets) await saveBudgets(rt, DEFAULT_TENANT, opts.budgets, 'bench');
  return {
    sandbox,
    running,
    dataDir,
    databaseUrl: opts.databaseUrl,
    sourceId: source.id,
    destinationId: destination.id,
    keyFile,
    admin,
    async createPolicy(selection, extra = {}) {
      const p = await createPolicy(rt, DEFAULT_TENANT, { name: `Bench ${Date.now()}`, sourceConnectionId: source.id, destinationConnectionId: destination.id, selection, ...extra }, 'bench');
      return p.id;
    },
    async close() {
      await running.stop();
      await sandbox.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
