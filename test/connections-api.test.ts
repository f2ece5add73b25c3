import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../src/sandbox/server.js';
import { bootApp } from './support/app.js';
import { m365Body, m365SecretCredential, named, type FindingJson } from './support/connections.js';

/**
 * The connection model through the REST API: kinds and roles, write-back as its own consent,
 * the admin-consent link and its callback, AWS IAM and SCIM stored and pre-flighted before their
 * connectors are wired, credentials replaced in place, and the OpenAPI document.
 */
describe('connections API: kinds, roles, write-back, consent', () => {
  let sandbox: Sandbox;
  let app: Awaited<ReturnType<typeof bootApp>>;

  beforeAll(async () => {
    sandbox = await startSandbox({});
    app = await bootApp({ worker: { concurrency: 2 } });
  });
  afterAll(async () => {
    await app?.stop();
    await sandbox?.close();
  });

  it('a kind takes only its roles; the default role is the kind\'s', async () => {
    const wrong = await app.api('/connections', { method: 'POST', body: JSON.stringify({ ...m365Body(sandbox), role: 'continuity_destination' }) });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.message).toContain('cannot have the role continuity_destination');
    const scim = await app.api('/connections', { method: 'POST', body: JSON.stringify({ kind: 'scim', name: 'App', config: { baseUrl: 'https://app.example.com/scim/v2' }, credential: { type: 'bearer_token', token: 'tok-0123456789abcdef' } }) });
    expect(scim.body.role).toBe('directory');
    const method = await app.api('/connections', { method: 'POST', body: JSON.stringify({ ...m365Body(sandbox), credential: { type: 'service_account_key', keyJson: '{}' } }) });
    expect(method.status).toBe(400);
  });

  it('write-back is its own consent: refused on a continuity connection, audited and listed on a directory one', async () => {
    const source = await app.api('/connections', { method: 'POST', body: JSON.stringify(m365Body(sandbox, { name: 'Continuity only' })) });
    const refused = await app.api(`/connections/${source.body.id}/write-back`, { method: 'POST', body: JSON.stringify({ enabled: true }) });
    expect(refused.status).toBe(400);
    const dir = await app.api('/connections', { method: 'POST', body: JSON.stringify({ ...m365Body(sandbox, { name: 'Entra directory', credential: m365SecretCredential(sandbox) }), role: 'directory' }) });
    expect(dir.status, dir.text).toBe(201);
    expect(dir.body.writeBack.enabled).toBe(false);
    expect(dir.body.permissions).toEqual({ read: ['User.Read.All', 'Group.Read.All', 'Directory.Read.All'], writeBack: ['GroupMember.ReadWrite.All'] });
    const on = await app.api(`/connections/${dir.body.id}/write-back`, { method: 'POST', body: JSON.stringify({ enabled: true }) });
    expect(on.body.writeBack).toMatchObject({ enabled: true, consentedBy: 'admin' });
    const off = await app.api(`/connections/${dir.body.id}/write-back`, { method: 'POST', body: JSON.stringify({ enabled: false }) });
    expect(off.body.writeBack.enabled).toBe(false);
    const actions = ((await app.api('/audit?action=connection.write&limit=10')).body.events as { action: string; message: string }[]).map((e) => e.action);
    expect(actions).toEqual(['connection.write_back_revoked', 'connection.write_back_consented']);
    // The directory connector arrives with its branch: until then the doctor says so after its pre-flight.
    const test = await app.api(`/connections/${dir.body.id}/test`, { method: 'POST' });
    expect(named(test.body.findings as FindingJson[])).toEqual(['fail:connection.connector_unavailable']);
  });

  it('the admin-consent link for Entra ID, and the callback that records the outcome and re-tests', async () => {
    const c = await app.api('/connections', { method: 'POST', body: JSON.stringify(m365Body(sandbox, { name: 'Consent' })) });
    const url = new URL(c.body.adminConsentUrl);
    expect(`${url.origin}${url.pathname}`).toBe(`${sandbox.urls.entra_login}/${sandbox.demo.microsoft.tenantId}/adminconsent`);
    expect(url.searchParams.get('client_id')).toBe(sandbox.demo.microsoft.clientId);
    expect(url.searchParams.get('state')).toBe(c.body.id);
    expect(url.searchParams.get('redirect_uri')).toMatch(/\/api\/v1\/connections\/consent-callback$/);
    // The sandbox's consent page grants and redirects back, as Entra does.
    const consent = await fetch(url, { redirect: 'manual' });
    expect(consent.status).toBe(302);
    const back = new URL(consent.headers.get('location')!);
    expect(back.searchParams.get('admin_consent')).toBe('True');
    const callback = await app.api(`/connections/consent-callback${back.search}`, { redirect: 'manual' });
    expect(callback.status).toBe(302);
    const audit = (await app.api('/audit?action=connection.admin&limit=5')).body.events as { action: string; targetId: string }[];
    expect(audit[0]).toMatchObject({ action: 'connection.admin_consent_granted', targetId: c.body.id });
  });

  it('AWS IAM and SCIM: stored, counted down, pre-flighted', async () => {
    const aws = await app.api('/connections', {
      method: 'POST',
      body: JSON.stringify({ kind: 'aws_iam', name: 'AWS prod', config: { accountId: '123456789012' }, credential: { type: 'access_key', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'short', createdAt: new Date(Date.now() - 80 * 86_400_000).toISOString().slice(0, 10) } }),
    });
    expect(aws.status, aws.text).toBe(201);
    expect(aws.body.credential).toMatchObject({ type: 'access_key', meta: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', maxAgeDays: 90 }, expiry: { basis: 'age_policy' } });
    expect(aws.body.daysLeft).toBeGreaterThanOrEqual(9);
    expect(aws.body.daysLeft).toBeLessThanOrEqual(10);
    const t = await app.api(`/connections/${aws.body.id}/test`, { method: 'POST' });
    // A 5-character secret access key is caught before any call; the 80-day-old key is due for rotation.
    expect(named(t.body.findings)).toEqual(['fail:credential.invalid_format', 'warning:credential.rotation_due']);
    const scim = await app.api('/connections', { method: 'POST', body: JSON.stringify({ kind: 'scim', name: 'HR app', config: { baseUrl: 'https://hr.example.com/scim/v2' }, credential: { type: 'bearer_token', token: 'Bearer abc-0123456789', expiresAt: '2020-01-01' } }) });
    const s = await app.api(`/connections/${scim.body.id}/test`, { method: 'POST' });
    expect(named(s.body.findings)).toEqual(['fail:credential.invalid_format']);
    const inventory = (await app.api('/credentials?status=expired')).body.credentials as { connectionName: string }[];
    expect(inventory.map((c) => c.connectionName)).toContain('HR app');
  });

  it('a credential replaced by Edit keeps the old one as previous; the doctor runs on save', async () => {
    const c = await app.api('/connections', { method: 'POST', body: JSON.stringify(m365Body(sandbox, { name: 'Edited' })) });
    const edited = await app.api(`/connections/${c.body.id}`, { method: 'PATCH', body: JSON.stringify({ credential: m365SecretCredential(sandbox) }) });
    expect(edited.body.credentials.map((x: { state: string; type: string }) => `${x.state}:${x.type}`).sort()).toEqual(['current:client_secret', 'previous:certificate']);
    const deadline = Date.now() + 20_000;
    let view = edited.body;
    while (view.status === 'not_tested' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      view = (await app.api(`/connections/${c.body.id}`)).body;
    }
    expect(view.status).toBe('active');
    expect(view.credential.lastTestOk).toBe(true);
  });

  it('the OpenAPI document lists every connections, credentials, incidents and alerts route', async () => {
    const doc = await app.api('/openapi.json');
    const paths = Object.keys(doc.body.paths);
    for (const p of [
      '/api/v1/connections/{id}/credentials', '/api/v1/connections/{id}/credentials/{credentialId}/switch', '/api/v1/connections/{id}/credentials/{credentialId}/retire',
      '/api/v1/connections/{id}/bundle', '/api/v1/connections/{id}/write-back', '/api/v1/credentials', '/api/v1/incidents', '/api/v1/incidents/{id}',
      '/api/v1/alerts/channels', '/api/v1/alerts/channels/{id}/test', '/api/v1/alerts',
    ]) expect(paths).toContain(p);
    const kinds = JSON.stringify(doc.body.paths['/api/v1/connections'].post.requestBody);
    for (const k of ['microsoft365', 'google_workspace', 'aws_iam', 'scim', 'assume_role', 'bearer_token']) expect(kinds).toContain(k);
  });
});
