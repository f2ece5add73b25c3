import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliRunner } from './support/cli.js';
import { startSandbox, type Sandbox } from '../src/sandbox/server.js';
import { startSyncwarden } from '../src/runtime/start.js';
import { createLogger } from '../src/runtime/logger.js';
import { createConnection } from '../src/connections/service.js';
import { createPolicy } from '../src/continuity/policies.js';
import { DEFAULT_TENANT } from '../src/api/route.js';
import { sandboxAdmin } from './support/sandbox-admin.js';

/** Continuity from the `syncwarden` command: sync run, status, one user, items, retry, explain, preview, budgets. */
describe('syncwarden CLI: continuity', () => {
  let dataDir: string;
  let sandbox: Sandbox;
  let policyId: string;
  let user: string;
  let keyFile: string;
  const env = () => ({ SYNCWARDEN_DATA: dataDir, LOG_LEVEL: 'silent', SYNCWARDEN_GOOGLE_TOKEN_PROVIDER_KEY_FILE: keyFile });
  const cli = cliRunner(env);
  const run = cli.run;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sw-cli-c-'));
    keyFile = join(dataDir, 'tp.json');
    sandbox = await startSandbox({});
    writeFileSync(keyFile, sandbox.demo.google.tokenProviderKeyJson);
    const running = await startSyncwarden({ dataDir, env: { SYNCWARDEN_GOOGLE_TOKEN_PROVIDER_KEY_FILE: keyFile }, log: createLogger('silent') });
    const ms = sandbox.demo.microsoft;
    const g = sandbox.demo.google;
    const source = await createConnection(running.rt, DEFAULT_TENANT, {
      kind: 'microsoft365', name: 'CLI source',
      config: { tenantId: ms.tenantId, clientId: ms.clientId, endpoints: { login: sandbox.urls.entra_login, graph: sandbox.urls.graph } },
      credential: { type: 'client_secret', clientSecret: ms.clientSecret },
    });
    const dest = await createConnection(running.rt, DEFAULT_TENANT, {
      kind: 'google_workspace', name: 'CLI destination',
      config: { serviceAccountEmail: g.serviceAccountEmail, adminEmail: g.adminEmail, domain: g.domain, endpoints: { oauth: sandbox.urls.google_oauth, iam: sandbox.urls.google_iam, apis: sandbox.urls.google_apis } },
      credential: { type: 'impersonation' },
    });
    const { users } = await sandboxAdmin<{ users: { userPrincipalName: string }[] }>(sandbox, 'GET', '/microsoft/users');
    user = users[4]!.userPrincipalName;
    policyId = (await createPolicy(running.rt, DEFAULT_TENANT, { name: 'CLI policy', sourceConnectionId: source.id, destinationConnectionId: dest.id, enabled: true, selection: { mode: 'list', include: [user] } })).id;
    await running.stop();
    await sandboxAdmin(sandbox, 'POST', '/google/quotas', { userUnitsPerMinute: 600_000 });
    await sandboxAdmin(sandbox, 'POST', '/faults', { name: 'item.encrypted', scope: '*', params: { user, count: 1 } });
  });
  afterAll(async () => {
    await sandbox.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('budgets set and show', async () => {
    expect(JSON.parse(await run('budgets', 'show', '--json')).destinationUser.unitsPerMinute).toBe(6000);
    await run('budgets', 'set', '--destination-user-units', '600000');
    expect(await run('budgets', 'show')).toContain('600000 units / min');
  });

  it('policies preview, then sync run and status', async () => {
    const p = JSON.parse(await run('policies', 'preview', policyId, '--json'));
    expect(p.added.map((a: { email: string }) => a.email)).toEqual([user]);
    expect(await run('policies', 'list')).toContain('CLI policy');
    const r = JSON.parse(await run('sync', 'run', '--json'));
    expect(r.policiesRun).toBe(1);
    expect(r.usersSynced).toBe(1);
    const s = JSON.parse(await run('status', '--json'));
    expect(s.users[0].status).toBe('synced');
    expect(await run('status', '--status', 'synced')).toContain(user);
    // A filter that matches nobody is not an empty installation.
    const none = await run('status', '--status', 'failed');
    expect(none).toBe('No users are Failed (Synced: 1).');
    expect(none).not.toContain('No users yet');
    // A policy by its name, or the start of it, as admins type it.
    expect(JSON.parse(await run('status', '--policy', 'CLI pol', '--json')).users).toHaveLength(1);
    expect(JSON.parse(await run('policies', 'preview', 'cli policy', '--json')).selected).toBe(1);
    expect(await run('dashboard')).toContain('users synced');
  });

  it('one user: detail, the failed item with its code, retry, explain and reconcile', async () => {
    const show = await run('sync', 'show', user);
    expect(show).toContain('Status: Synced');
    expect(show).toContain('Inbox');
    const items = JSON.parse(await run('sync', 'items', user, '--json'));
    expect(items.items.map((i: { error: { code: string } }) => i.error.code)).toEqual(['item.encrypted']);
    expect(await run('sync', 'items', user)).toContain('item.encrypted');
    expect(JSON.parse(await run('sync', 'retry-failed', user, '--json'))).toEqual({ retried: 1, stillFailing: 1 });
    const why = await run('sync', 'explain', user);
    expect(why).toContain('Policy match');
    // The doctor ran when the connections were saved (its job was drained by `sync run`).
    expect(why.split('\n')[0]).toBe('Nothing stops this user from syncing.');
    // Moments in one convention with the zone named, never raw ISO; the status step says
    // something beyond its own title.
    expect(why).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:/);
    expect(why).toMatch(/last tested \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(why).not.toContain('Status: Synced: Synced.');
    // A source connection in error is the first thing explain names.
    const source = (JSON.parse(await run('connections', 'list', '--json')) as { id: string; name: string }[]).find((c) => c.name === 'CLI source')!;
    sandbox.faults.set('*', 'm365.secret_expired');
    await run('connections', 'test', source.id);
    sandbox.faults.clear('*', 'm365.secret_expired');
    expect((await run('sync', 'explain', user)).split('\n')[0]).toMatch(/^Source connection "CLI source": Client secret expired/);
    // Healthy again: the incident resolves and the blocked user is queued; once a worker ran it, all is clear.
    await run('connections', 'test', source.id);
    await run('sync', 'run');
    expect((await run('sync', 'explain', user)).split('\n')[0]).toBe('Nothing stops this user from syncing.');
    const rec = JSON.parse(await run('sync', 'reconcile', user, '--json'));
    const inbox = rec.folders.find((f: { name: string }) => f.name === 'Inbox').reconciliation;
    expect(inbox.gaps.find((g: { class: string }) => g.class === 'failed_item').count).toBe(1);
  });
});
