import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootApp } from './support/app.js';

/** The REST API over real HTTP on a real (SQLite) database: validation, secrets, audit. */
describe('REST API', () => {
  let app: Awaited<ReturnType<typeof bootApp>>;
  const SECRET = 'Zq8~secret-value-that-must-never-leak-91x';

  beforeAll(async () => {
    app = await bootApp();
  });
  afterAll(async () => {
    await app.stop();
  });

  const msBody = (over: Record<string, unknown> = {}) => ({
    kind: 'microsoft365',
    name: 'Contoso M365',
    config: { tenantId: '11111111-2222-3333-4444-555555555555', clientId: '66666666-7777-8888-9999-000000000000' },
    credential: { type: 'client_secret', clientSecret: SECRET },
    ...over,
  });

  it('answers health and serves an OpenAPI document that lists every route', async () => {
    const health = await app.api('/health');
    expect(health.status).toBe(200);
    expect(health.body.ok).toBe(true);
    const doc = await app.api('/openapi.json');
    expect(doc.body.openapi).toBe('3.1.0');
    for (const p of ['/api/v1/connections', '/api/v1/connections/{id}/test', '/api/v1/policies', '/api/v1/sync/users', '/api/v1/audit']) {
      expect(Object.keys(doc.body.paths)).toContain(p);
    }
    expect(doc.body.paths['/api/v1/connections'].post.requestBody).toBeDefined();
  });

  it('rejects bad input with a catalogue error that names the fields', async () => {
    const r = await app.api('/connections', { method: 'POST', body: JSON.stringify(msBody({ config: { tenantId: 'not a tenant', clientId: 'nope' } })) });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('request.invalid');
    expect(r.body.error.message).toContain('config.tenantId');
    expect(r.body.error.message).toContain('config.clientId');
    const broken = await app.api('/connections', { method: 'POST', body: '{"kind":' });
    expect(broken.status).toBe(400);
    expect(broken.body.error.code).toBe('request.invalid');
    const garbagePfx = await app.api('/connections', {
      method: 'POST',
      body: JSON.stringify(msBody({ credential: { type: 'certificate', pfxBase64: Buffer.from('not a pfx').toString('base64'), pfxPassword: 'x' } })),
    });
    expect(garbagePfx.status).toBe(400);
    expect(garbagePfx.body.error.code).toBe('m365.pfx_unreadable');
  });

  it('stores a credential encrypted and never returns it', async () => {
    const created = await app.api('/connections', { method: 'POST', body: JSON.stringify(msBody()) });
    expect(created.status).toBe(201);
    expect(created.body.status).toBe('not_tested');
    expect(created.body.credential).toMatchObject({ type: 'client_secret', hasSecret: true, state: 'current' });
    const list = await app.api('/connections');
    const one = await app.api(`/connections/${created.body.id}`);
    for (const r of [created, list, one]) expect(r.text).not.toContain(SECRET);
    const row = await app.rt.store.db.selectFrom('connections').selectAll().where('id', '=', created.body.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(SECRET);
    const cred = await app.rt.store.db.selectFrom('connection_credentials').selectAll().where('connection_id', '=', created.body.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(cred)).not.toContain(SECRET);
    // Sealed with the keyring's primary key, named by its id (src/keys/secret-box.ts).
    expect(cred.secret_ciphertext?.startsWith(`v2.${app.rt.secrets.keyring.state().primary.id}.`)).toBe(true);
    // Nor on disk anywhere in the data directory (SQLite file and WAL included).
    for (const f of ['syncwarden.db', 'syncwarden.db-wal']) {
      let bytes = '';
      try {
        bytes = readFileSync(join(app.dataDir, f), 'latin1');
      } catch {
        continue;
      }
      expect(bytes.includes(SECRET)).toBe(false);
    }
  });

  it('edits: a new credential resets the status to Not tested; a rename does not', async () => {
    const created = await app.api('/connections', { method: 'POST', body: JSON.stringify(msBody({ name: 'To edit' })) });
    await app.rt.store.db.updateTable('connections').set({ status: 'active' }).where('id', '=', created.body.id).execute();
    const renamed = await app.api(`/connections/${created.body.id}`, { method: 'PATCH', body: JSON.stringify({ name: 'Renamed' }) });
    expect(renamed.body.name).toBe('Renamed');
    expect(renamed.body.status).toBe('active');
    const rotated = await app.api(`/connections/${created.body.id}`, { method: 'PATCH', body: JSON.stringify({ credential: { clientSecret: 'another-secret-value' } }) });
    expect(rotated.status).toBe(200);
    expect(rotated.body.status).toBe('not_tested');
    expect(rotated.text).not.toContain('another-secret-value');
  });

  it('validates policies against connection roles and protects connections in use', async () => {
    const src = await app.api('/connections', { method: 'POST', body: JSON.stringify(msBody({ name: 'Source' })) });
    const dst = await app.api('/connections', {
      method: 'POST',
      body: JSON.stringify({
        kind: 'google_workspace',
        name: 'Dest',
        config: { serviceAccountEmail: 'sync@proj-1.iam.gserviceaccount.com', adminEmail: 'admin@example.com', domain: 'example.com' },
        credential: { type: 'impersonation' },
      }),
    });
    expect(dst.status).toBe(201);
    const wrong = await app.api('/policies', { method: 'POST', body: JSON.stringify({ name: 'P', sourceConnectionId: dst.body.id, destinationConnectionId: src.body.id }) });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.message).toContain('not a continuity source');
    const ok = await app.api('/policies', { method: 'POST', body: JSON.stringify({ name: 'P', sourceConnectionId: src.body.id, destinationConnectionId: dst.body.id }) });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ enabled: false, scheduleMinutes: 15, initialWindowDays: 30, selection: { mode: 'all' } });
    const enabled = await app.api(`/policies/${ok.body.id}/enable`, { method: 'POST' });
    expect(enabled.body.enabled).toBe(true);
    expect(enabled.body.nextCycleAt).not.toBeNull();
    const del = await app.api(`/connections/${src.body.id}`, { method: 'DELETE' });
    expect(del.status).toBe(400);
    expect(del.body.error.message).toContain('used by the policy');
  });

  it('answers unknown ids and routes with catalogue 404s', async () => {
    const r = await app.api('/connections/conn_nope');
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('connection.not_found');
    const route = await app.api('/nothing-here');
    expect(route.status).toBe(404);
    expect(route.body.error.code).toBe('request.not_found');
  });

  it('filters sync users by status and audit events by severity', async () => {
    const bad = await app.api('/sync/users?status=bogus');
    expect(bad.status).toBe(400);
    const users = await app.api('/sync/users?status=failed');
    expect(users.status).toBe(200);
    expect(users.body.counts).toMatchObject({ pending: 0, initial_sync: 0, synced: 0, failed: 0 });
    const audit = await app.api('/audit?limit=500');
    const actions = audit.body.events.map((e: { action: string }) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['connection.created', 'connection.edited', 'policy.created', 'policy.enabled']));
    const warnings = await app.api('/audit?severity=warning');
    expect(warnings.body.events.every((e: { severity: string }) => e.severity === 'warning')).toBe(true);
    expect(audit.text).not.toContain(SECRET);
  });
});
