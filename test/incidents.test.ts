import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../src/sandbox/server.js';
import { bootApp } from './support/app.js';
import { sandboxAdmin, setFault, waitFor } from './support/sandbox-admin.js';
import { googleBody, m365Body, m365SecretCredential, tokenProviderKeyEnv } from './support/connections.js';
import { startWebhookReceiver } from './support/receivers.js';

/**
 * A connection that breaks under a running policy: one incident instead of a page of user
 * failures, its users "Blocked by connection"; then a rotation (add → test → switch → retire)
 * fixes it, the incident resolves, and the blocked users sync again at once — not at the next
 * scheduled cycle (the policy's schedule is a day long here).
 */
describe('connection incidents and rotation under a running policy', () => {
  let sandbox: Sandbox;
  let app: Awaited<ReturnType<typeof bootApp>>;
  let hook: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let sourceId: string;
  let policyId: string;
  let upns: string[];

  const users = async () => (await app.api('/sync/users?limit=1000')).body.users as { id: string; email: string; status: string; lastError: { code: string } | null; lastSyncAt: string | null }[];
  const hooksOf = (event: string) => hook.hooks.filter((h) => h.headers['x-syncwarden-event'] === event);

  beforeAll(async () => {
    sandbox = await startSandbox({});
    hook = await startWebhookReceiver();
    const keyEnv = tokenProviderKeyEnv(sandbox);
    app = await bootApp({ env: keyEnv, worker: { concurrency: 3 }, scheduler: true, schedulerTickMs: 200 });
    await app.api('/alerts/channels', { method: 'POST', body: JSON.stringify({ type: 'webhook', name: 'Pager', config: { url: hook.url }, secret: 'incident-hook-secret-0123456789' }) });
    const source = await app.api('/connections', { method: 'POST', body: JSON.stringify(m365Body(sandbox, { name: 'Northwind M365 (secret)', credential: m365SecretCredential(sandbox) })) });
    const dest = await app.api('/connections', { method: 'POST', body: JSON.stringify(googleBody(sandbox)) });
    sourceId = source.body.id;
    // The doctor runs on save.
    await waitFor('both connections tested on save', async () => {
      const list = (await app.api('/connections')).body.connections as { status: string }[];
      return list.every((c) => c.status === 'active') ? true : undefined;
    });
    const all = (await sandboxAdmin<{ users: { userPrincipalName: string }[] }>(sandbox, 'GET', '/microsoft/users')).users;
    upns = all.slice(0, 3).map((u) => u.userPrincipalName.toLowerCase());
    const p = await app.api('/policies', {
      method: 'POST',
      body: JSON.stringify({ name: 'Three users', sourceConnectionId: sourceId, destinationConnectionId: dest.body.id, enabled: true, scheduleMinutes: 24 * 60, initialWindowDays: 3, selection: { mode: 'list', include: upns } }),
    });
    policyId = p.body.id;
    await waitFor('the three users to sync', async () => {
      const u = await users();
      return u.length === 3 && u.every((x) => x.status === 'synced') ? u : undefined;
    }, 90_000);
  });
  afterAll(async () => {
    await app?.stop();
    await hook?.close();
    await sandbox?.close();
  });

  it('the client secret expires: one incident, every user Blocked by connection, one alert', async () => {
    await setFault(sandbox, 'm365.secret_expired');
    // The access token Syncwarden holds keeps working until it expires, as with Entra; let its
    // hour pass so the next sign-in meets the expired secret.
    await sandboxAdmin(sandbox, 'POST', '/microsoft/tokens/expire');
    for (let i = 0; i < 3; i++) {
      expect((await app.api(`/policies/${policyId}/run`, { method: 'POST' })).status).toBe(202);
      await waitFor('the cycle to fail', async () => {
        const open = (await app.api('/incidents?state=open')).body.incidents as { occurrences: number }[];
        return open.length === 1 && open[0]!.occurrences >= i + 1 ? open : undefined;
      });
    }
    const incidents = (await app.api('/incidents')).body.incidents;
    expect(incidents).toHaveLength(1);
    const inc = incidents[0];
    expect(inc).toMatchObject({ state: 'open', connectionId: sourceId, trigger: 'sync', affectedUsers: 3 });
    expect(inc.error.code).toBe('m365.client_secret_expired');
    expect(inc.error.resolution).toContain('Certificates & secrets');
    expect(Date.parse(inc.since)).toBeLessThanOrEqual(Date.now());
    const u = await users();
    expect(u.map((x) => x.status)).toEqual(['blocked', 'blocked', 'blocked']);
    expect(u.every((x) => x.lastError?.code === 'm365.client_secret_expired')).toBe(true);
    const conn = (await app.api(`/connections/${sourceId}`)).body;
    expect(conn.status).toBe('error');
    expect(conn.incident).toMatchObject({ id: inc.id, code: 'm365.client_secret_expired' });
    await waitFor('the incident alert', async () => (hooksOf('incident.opened').length === 1 ? true : undefined));
    expect(JSON.parse(hooksOf('incident.opened')[0]!.body)).toMatchObject({ event: 'incident.opened', incident: { id: inc.id, affectedUsers: 3 }, error: { code: 'm365.client_secret_expired' } });
  });

  it('rotation fixes it: add a certificate, test it alone, switch — the blocked users sync at once', async () => {
    const ms = sandbox.demo.microsoft;
    const before = new Date().toISOString();
    const added = await app.api(`/connections/${sourceId}/credentials`, { method: 'POST', body: JSON.stringify({ type: 'certificate', pfxBase64: ms.pfxBase64, pfxPassword: ms.pfxPassword }) });
    expect(added.status, added.text).toBe(201);
    expect(added.body.credential).toMatchObject({ state: 'pending', type: 'certificate', lastTestOk: true });
    expect(added.body.test.ok).toBe(true);
    // Testing the new credential alone leaves the connection as it was.
    expect((await app.api(`/connections/${sourceId}`)).body.status).toBe('error');
    const switched = await app.api(`/connections/${sourceId}/credentials/${added.body.credential.id}/switch`, { method: 'POST', body: '{}' });
    expect(switched.status, switched.text).toBe(200);
    expect(switched.body.test.ok).toBe(true);
    expect(switched.body.requeuedUsers).toBe(3);
    expect(switched.body.connection.status).toBe('active');
    expect(switched.body.connection.credential).toMatchObject({ type: 'certificate', state: 'current' });
    expect(switched.body.connection.credentials.map((c: { state: string; type: string }) => `${c.state}:${c.type}`).sort()).toEqual(['current:certificate', 'previous:client_secret']);
    // Queued at once (the policy's next scheduled cycle is a day away).
    const jobs = await app.rt.store.db.selectFrom('jobs').select(['kind', 'dedupe_key', 'created_at']).where('kind', 'in', ['user.sync', 'policy.cycle']).where('created_at', '>=', before).execute();
    const blocked = (await users()).map((x) => `user:${x.id}`).sort();
    expect(jobs.filter((j) => j.kind === 'user.sync').map((j) => j.dedupe_key).sort()).toEqual(expect.arrayContaining(blocked));
    expect(jobs.some((j) => j.kind === 'policy.cycle' && j.dedupe_key === `cycle:${policyId}`)).toBe(true);
    await waitFor('the blocked users to sync again', async () => {
      const u = await users();
      return u.every((x) => x.status === 'synced' && x.lastSyncAt !== null && x.lastSyncAt > before) ? u : undefined;
    }, 60_000);
    const incidents = (await app.api('/incidents')).body.incidents;
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({ state: 'resolved' });
    await waitFor('the resolved alert', async () => (hooksOf('incident.resolved').length === 1 ? true : undefined));
  });

  it('retiring the old credential wipes its secret; every step is in the audit log', async () => {
    const creds = (await app.api(`/connections/${sourceId}/credentials`)).body.credentials as { id: string; state: string }[];
    const previous = creds.find((c) => c.state === 'previous')!;
    const retired = await app.api(`/connections/${sourceId}/credentials/${previous.id}/retire`, { method: 'POST' });
    expect(retired.body).toMatchObject({ state: 'retired', hasSecret: false });
    const row = await app.rt.store.db.selectFrom('connection_credentials').selectAll().where('id', '=', previous.id).executeTakeFirstOrThrow();
    expect(row.secret_ciphertext).toBeNull();
    const current = creds.find((c) => c.state === 'current')!;
    const refuse = await app.api(`/connections/${sourceId}/credentials/${current.id}/retire`, { method: 'POST' });
    expect(refuse.status).toBe(409);
    expect(refuse.body.error.code).toBe('credential.invalid_state');
    const actions = ((await app.api('/audit?limit=500')).body.events as { action: string }[]).map((e) => e.action);
    for (const a of ['incident.opened', 'credential.added', 'credential.tested', 'credential.switched', 'incident.resolved', 'credential.retired']) expect(actions).toContain(a);
  });

  it('a new credential that fails its own test cannot be switched to (unless forced)', async () => {
    const bad = await app.api(`/connections/${sourceId}/credentials`, { method: 'POST', body: JSON.stringify(m365SecretCredential(sandbox, { clientSecret: 'Abc8Q~not-the-right-secret-value-at-all-x' })) });
    expect(bad.status).toBe(201);
    expect(bad.body.test.ok).toBe(false);
    expect(bad.body.test.findings.find((f: { status: string }) => f.status === 'fail').error.code).toBe('m365.client_secret_invalid');
    const refused = await app.api(`/connections/${sourceId}/credentials/${bad.body.credential.id}/switch`, { method: 'POST', body: '{}' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('credential.not_tested');
    const discarded = await app.api(`/connections/${sourceId}/credentials/${bad.body.credential.id}`, { method: 'DELETE' });
    expect(discarded.status).toBe(204);
    expect((await app.api(`/connections/${sourceId}`)).body.status).toBe('active');
  });
});
