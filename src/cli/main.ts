#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { startSyncwarden, type Running, type StartOptions } from '../runtime/start.js';
import { startSandbox } from '../sandbox/server.js';
import { listConnectionViews, testConnection } from '../connections/service.js';
import { listSyncUsers, dashboard } from '../continuity/views.js';
import { listPolicyViews } from '../continuity/policies.js';
import { enqueue } from '../engine/jobs.js';
import { DEFAULT_TENANT } from '../api/route.js';
import { packageVersion } from '../runtime/paths.js';
import { createLogger } from '../runtime/logger.js';
import { table } from './table.js';
import { toAppError, renderError } from '../errors/index.js';

/**
 * The `syncwarden` command. Settings come from the environment (12-factor): PORT (8080),
 * SYNCWARDEN_DATA (./data), DATABASE_URL (PostgreSQL; embedded SQLite when unset),
 * SYNCWARDEN_SANDBOX_PORT (8090, first of nine), SYNCWARDEN_MASTER_KEY, HOST (127.0.0.1).
 */
export function buildProgram(
  env: NodeJS.ProcessEnv,
  out: (line: string) => void = (l) => console.log(l),
  setExitCode: (code: number) => void = (code) => {
    process.exitCode = code;
  },
): Command {
const dataDir = env['SYNCWARDEN_DATA'] ?? './data';
const databaseUrl = env['DATABASE_URL'] || undefined;
const port = Number(env['PORT'] ?? 8080);
const sandboxPort = Number(env['SYNCWARDEN_SANDBOX_PORT'] ?? 8090);
const host = env['HOST'] ?? '127.0.0.1';
const console = { log: out };

const program = new Command('syncwarden').version(packageVersion()).description('Microsoft 365 → Google Workspace continuity, and identity certification, that diagnose themselves');

function keepRunning(running: Running): void {
  const stop = () => {
    void running.stop().finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

program
  .command('start')
  .description('everything in one process: API + UI, scheduler, workers, and the sandbox demo tenant')
  .option('--no-demo', 'do not run the sandbox and demo tenant')
  .action(async (o: { demo: boolean }) => {
    const running = await startSyncwarden({
      dataDir, databaseUrl, port, host,
      sandbox: o.demo && env['SYNCWARDEN_DEMO'] !== '0' ? { basePort: sandboxPort, demo: true } : undefined,
      worker: { concurrency: Number(env['SYNCWARDEN_WORKERS'] ?? 4) },
      scheduler: true,
    });
    console.log(`Syncwarden ${packageVersion()} is running: ${running.url}`);
    keepRunning(running);
  });

program
  .command('serve')
  .description('API + UI only (stateless; run workers separately against DATABASE_URL)')
  .action(async () => {
    const running = await startSyncwarden({ dataDir, databaseUrl, port, host, scheduler: false });
    console.log(`Syncwarden API listening on ${running.url}`);
    keepRunning(running);
  });

program
  .command('worker')
  .description('a worker process: claims jobs and runs the scheduler (any number, sharing DATABASE_URL)')
  .option('-c, --concurrency <n>', 'jobs at once', '4')
  .action(async (o: { concurrency: string }) => {
    const running = await startSyncwarden({ dataDir, databaseUrl, worker: { concurrency: Number(o.concurrency) }, scheduler: true });
    console.log(`worker ${running.worker?.id} started`);
    keepRunning(running);
  });

program
  .command('sandbox')
  .description('run the provider simulators alone and print their base URLs')
  .option('--json', 'print one JSON object of base URLs')
  .option('-p, --port <n>', 'first port (0 = any free ports)', String(sandboxPort))
  .action(async (o: { json?: boolean; port: string }) => {
    const sandbox = await startSandbox({ basePort: Number(o.port), stateDir: `${dataDir}/sandbox` });
    const { admin, ...providers } = sandbox.urls;
    if (o.json) console.log(JSON.stringify({ ...providers, admin }));
    else console.log(table(['service', 'base URL'], Object.entries(sandbox.urls)));
    const stop = () => void sandbox.close().finally(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

/** Opens the store without serving, for one-shot commands. */
async function withRuntime<T>(fn: (running: Running) => Promise<T>, opts: Partial<StartOptions> = {}): Promise<T> {
  const running = await startSyncwarden({ dataDir, databaseUrl, env, log: createLogger(env['LOG_LEVEL'] ?? 'warn'), ...opts });
  try {
    return await fn(running);
  } finally {
    await running.stop();
  }
}

const connections = program.command('connections').description('list and test connections');
connections
  .command('list')
  .option('--json', 'JSON output')
  .action(async (o: { json?: boolean }) => {
    await withRuntime(async ({ rt }) => {
      const list = await listConnectionViews(rt, DEFAULT_TENANT);
      if (o.json) return console.log(JSON.stringify(list, null, 2));
      if (list.length === 0) return console.log('No connections yet. Run `npm start` for the demo tenant, or add one in the UI.');
      console.log(table(['id', 'name', 'kind', 'role', 'status', 'last tested', 'error'], list.map((c) => [c.id, c.name, c.kind, c.role, c.status, c.lastTestedAt ?? 'never', c.lastError?.code ?? ''])));
    });
  });
connections
  .command('test <id>')
  .option('--json', 'JSON output')
  .action(async (id: string, o: { json?: boolean }) => {
    await withRuntime(async ({ rt }) => {
      const result = await testConnection(rt, DEFAULT_TENANT, id, 'cli');
      if (o.json) return console.log(JSON.stringify(result, null, 2));
      console.log(result.ok ? 'Connection test successful' : 'Connection test failed');
      console.log(table(['check', 'status', 'code', 'message'], result.findings.map((f) => [f.label, f.status, f.error?.code ?? '', f.error?.message ?? f.detail ?? ''])));
      for (const f of result.findings.filter((x) => x.error)) console.log(`\n${f.error!.code}: ${f.error!.title}\n  Fix: ${f.error!.resolution}`);
      setExitCode(result.ok ? 0 : 1);
    });
  });

const sync = program.command('sync').description('run sync cycles');
sync
  .command('run')
  .description('run a cycle of every enabled policy (or --policy) now and wait for it to finish')
  .option('--policy <id>', 'only this policy')
  .option('--json', 'JSON output')
  .action(async (o: { policy?: string; json?: boolean }) => {
    await withRuntime(
      async ({ rt, worker }) => {
        const policies = (await listPolicyViews(rt, DEFAULT_TENANT)).filter((p) => (o.policy ? p.id === o.policy : p.enabled));
        for (const p of policies) await enqueue(rt.store.db, DEFAULT_TENANT, { kind: 'policy.cycle', dedupeKey: `cycle:${p.id}`, payload: { policyId: p.id } });
        await worker!.drain();
        const d = await dashboard(rt, DEFAULT_TENANT);
        if (o.json) return console.log(JSON.stringify({ policiesRun: policies.length, ...d }));
        console.log(`Ran ${policies.length} polic${policies.length === 1 ? 'y' : 'ies'}.`);
        console.log(table(['status', 'users'], Object.entries(d.users)));
        console.log(`Items imported in total: ${d.itemsImported}`);
      },
      { worker: { concurrency: 4 } },
    );
  });

program
  .command('status')
  .description('per-user sync status')
  .option('--status <s>', 'filter: pending, initial_sync, synced, failed, excluded')
  .option('--json', 'JSON output')
  .action(async (o: { status?: string; json?: boolean }) => {
    await withRuntime(async ({ rt }) => {
      const r = await listSyncUsers(rt, DEFAULT_TENANT, { status: o.status, limit: 1000, offset: 0 });
      if (o.json) return console.log(JSON.stringify(r, null, 2));
      if (r.users.length === 0) return console.log('No users yet: enable a policy and wait for its first cycle.');
      console.log(table(['user', 'status', 'exported', 'imported', 'failed items', 'last sync', 'error'], r.users.map((u) => [u.email, u.status, u.exported, u.imported, u.failedItems, u.lastSyncAt ?? '', u.lastError?.code ?? ''])));
      console.log(`\n${Object.entries(r.counts).map(([k, v]) => `${k}: ${v}`).join('  ')}`);
    });
  });

return program;
}

/** Runs the CLI; errors print as catalogue errors with their fix. */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  await buildProgram(env).parseAsync(argv);
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
if (invokedDirectly) runCli(process.argv).catch((e: unknown) => {
  const err = toAppError(e);
  const r = renderError(err.code, err.params);
  globalThis.console.error(`${r.code}: ${r.title}\n${r.message}\nFix: ${r.resolution}`);
  process.exit(1);
});
