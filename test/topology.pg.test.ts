import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../src/sandbox/server.js';
import { bootApp, type BootedApp } from './support/app.js';
import { apiClient, type ApiFn } from './support/auth.js';
import { googleBody, m365Body } from './support/connections.js';
import { sandboxAdmin } from './support/sandbox-admin.js';
import { CLI, startWorkerProcess, type WorkerProcess } from '../bench/support/worker-process.js';

/**
 * The README's tested topology: two `serve` processes and four `worker` processes on one
 * PostgreSQL. Serve #1 (this process, composed exactly as `syncwarden serve`: API, no worker,
 * no scheduler) takes the admin's setup; serve #2 is a real `syncwarden serve` child and
 * answers the same data; four real `syncwarden worker` children share the jobs and the rate
 * budgets. Both serves are ready and report the same installation-wide metrics.
 */
describe('two serve and four worker processes on one PostgreSQL', () => {
  let sandbox: Sandbox;
  let app: BootedApp;
  let serve2: { child: ChildProcess; api: ApiFn; url: string };
  const workers: WorkerProcess[] = [];
  const USERS = 8;

  beforeAll(async () => {
    sandbox = await startSandbox({});
    app = await bootApp({ dialect: 'postgres' });
    const keyFile = join(app.dataDir, 'token-provider.json');
    writeFileSync(keyFile, sandbox.demo.google.tokenProviderKeyJson, { mode: 0o600 });
    const env: NodeJS.ProcessEnv = { ...process.env, SYNCWARDEN_DATA: app.dataDir, DATABASE_URL: app.databaseUrl!, LOG_LEVEL: 'error', PORT: '0', SYNCWARDEN_GOOGLE_TOKEN_PROVIDER_KEY_FILE: keyFile };
    const child = spawn(process.execPath, [CLI(), 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`serve exited (${code}): ${out}`)));
    });
    serve2 = { child, url, api: apiClient(url, { authorization: `Bearer ${app.ownerToken}` }) };
    for (let i = 0; i < 4; i++) workers.push(startWorkerProcess({ dataDir: app.dataDir, databaseUrl: app.databaseUrl }, 4));
    await Promise.all(workers.map((w) => w.ready));
  }, 120_000);

  afterAll(async () => {
    for (const p of [...workers.map((w) => w.child), serve2?.child]) p?.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
    await app?.stop();
    await sandbox?.close();
  });

  it('setup on one serve, users synced by the workers, the other serve shows it all', async () => {
    for (const url of [app.url!, serve2.url]) {
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(200);
    }
    const source = await app.api('/connections', { method: 'POST', body: JSON.stringify(m365Body(sandbox)) });
    const destination = await app.api('/connections', { method: 'POST', body: JSON.stringify(googleBody(sandbox)) });
    expect([source.status, destination.status]).toEqual([201, 201]);
    // Enough room that the test waits on work, not on Gmail's per-user quota.
    await sandboxAdmin(sandbox, 'POST', '/google/quotas', { userUnitsPerMinute: 600_000 });
    expect((await app.api('/continuity/budgets', { method: 'PATCH', body: JSON.stringify({ destinationUser: { unitsPerMinute: 600_000 } }) })).status).toBe(200);
    const { users } = await sandboxAdmin<{ users: string[] }>(sandbox, 'POST', '/microsoft/mail/users', { count: USERS, prefix: 'topo' });
    for (const upn of users) await sandboxAdmin(sandbox, 'POST', `/microsoft/mailboxes/${upn}/bulk`, { count: 15, withinDays: 7, folders: ['inbox', 'archive'] });
    const policy = await app.api('/policies', {
      method: 'POST',
      body: JSON.stringify({ name: 'Topology', sourceConnectionId: source.body.id, destinationConnectionId: destination.body.id, enabled: true, initialWindowDays: 30, selection: { mode: 'list', include: users } }),
    });
    expect(policy.status).toBe(201);

    // Watched through the other serve process.
    const deadline = Date.now() + 150_000;
    let synced = 0;
    const owners = new Set<string>();
    while (Date.now() < deadline) {
      // Who holds the running user syncs (a finished job gives its lease back, so look now).
      for (const j of await app.rt.store.db.selectFrom('jobs').select('lease_owner').where('kind', '=', 'user.sync').where('status', '=', 'running').execute()) if (j.lease_owner) owners.add(j.lease_owner);
      const r = await serve2.api(`/sync/users?policyId=${policy.body.id}`);
      expect(r.status).toBe(200);
      synced = (r.body.users as { status: string }[]).filter((u) => u.status === 'synced').length;
      if (synced === USERS) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(synced).toBe(USERS);
    for (const upn of users) {
      const held = await sandboxAdmin<{ messages: unknown[] }>(sandbox, 'GET', `/google/users/${encodeURIComponent(upn)}/messages`);
      expect(held.messages.length).toBe(15);
    }

    // The work was shared: user syncs ran on more than one worker.
    const workerIds = new Set(workers.map((w) => w.id()));
    expect([...owners].filter((o) => workerIds.has(o)).length).toBeGreaterThan(1);
    expect([...owners].every((o) => workerIds.has(o))).toBe(true);

    // Both serves report the same installation-wide figures.
    for (const url of [app.url!, serve2.url]) {
      const text = await (await fetch(`${url}/metrics`)).text();
      expect(text).toMatch(new RegExp(`syncwarden_sync_users\\{tenant="default",status="synced"\\} ${USERS}\\b`));
    }
  }, 240_000);
});
