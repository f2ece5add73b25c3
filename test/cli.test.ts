import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliRunner } from './support/cli.js';
import { startSandbox, type Sandbox } from '../src/sandbox/server.js';
import { startSyncwarden } from '../src/runtime/start.js';
import { createLogger } from '../src/runtime/logger.js';
import { createConnection } from '../src/connections/service.js';
import { DEFAULT_TENANT } from '../src/api/route.js';

/** The `syncwarden` command against a real data directory and the sandbox. */
describe('syncwarden CLI', () => {
  let dataDir: string;
  let sandbox: Sandbox;
  let sourceId: string;
  const env = () => ({ SYNCWARDEN_DATA: dataDir, LOG_LEVEL: 'silent' });
  const cli = cliRunner(env);
  const run = cli.run;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sw-cli-'));
    sandbox = await startSandbox({});
    const running = await startSyncwarden({ dataDir, env: {}, log: createLogger('silent') });
    const ms = sandbox.demo.microsoft;
    const source = await createConnection(running.rt, DEFAULT_TENANT, {
      kind: 'microsoft365',
      name: 'CLI source',
      config: { tenantId: ms.tenantId, clientId: ms.clientId, endpoints: { login: sandbox.urls.entra_login, graph: sandbox.urls.graph } },
      credential: { type: 'client_secret', clientSecret: ms.clientSecret },
    });
    sourceId = source.id;
    await running.stop();
  });
  afterAll(async () => {
    await sandbox.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('connections list: a table for people, JSON for scripts, never the secret', async () => {
    const table = await run('connections', 'list');
    expect(table).toMatch(/^id\s+name\s+kind/);
    expect(table).toContain('CLI source');
    expect(table).toContain('not_tested');
    const json = JSON.parse(await run('connections', 'list', '--json')) as { id: string; status: string }[];
    expect(json.map((c) => c.id)).toEqual([sourceId]);
    expect(JSON.stringify(json)).not.toContain(sandbox.demo.microsoft.clientSecret);
  });

  it('connections test: runs the doctor and records the result', async () => {
    const out = await run('connections', 'test', sourceId);
    expect(out.split('\n')[0]).toBe('Connection test successful');
    expect(out).toContain('Sign in to Entra ID');
    const json = JSON.parse(await run('connections', 'list', '--json')) as { status: string; lastTestedAt: string | null }[];
    expect(json[0]!.status).toBe('active');
    expect(json[0]!.lastTestedAt).not.toBeNull();
    sandbox.faults.set('*', 'm365.secret_expired');
    const failed = JSON.parse(await run('connections', 'test', sourceId, '--json')) as { ok: boolean; findings: { check: string; error: { code: string } | null }[] };
    sandbox.faults.clear();
    expect(failed.ok).toBe(false);
    expect(failed.findings.find((f) => f.check === 'token')?.error?.code).toBe('m365.client_secret_expired');
  });

  it('status: an empty state that says what to do, then JSON', async () => {
    expect(await run('status')).toContain('No users yet');
    const json = JSON.parse(await run('status', '--json')) as { users: unknown[]; counts: Record<string, number> };
    expect(json.users).toEqual([]);
    expect(json.counts).toMatchObject({ pending: 0, synced: 0, failed: 0 });
  });
});
