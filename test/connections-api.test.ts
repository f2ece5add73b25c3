import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../src/sandbox/server.js';
import { bootApp } from './support/app.js';
import { sandboxAdmin } from './support/sandbox-admin.js';
import { awsBody, googleBody, m365Body, m365SecretCredential, named, scimBody, type FindingJson } from './support/connections.js';

/**
 * The connection model through the REST API: kinds and roles, write-back as its own consent,
 * the admin-consent link and its callback, AWS IAM and SCIM stored and pre-flighted, credentials
 * replaced in place (or partly edited), scope switches, and the OpenAPI document.
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
    const { role: _role, ...scimNoRole } = scimBody(sandbox, { name: 'App' });
    const scim = await app.api('/connections', { method: 'POST', body: JSON.stringify(scimNoRole) });
    expect(scim.body.role).toBe('directory');
    // A directory connection is read-only and reads members only, unless told otherwise.
    expect(scim.body.writeBack.enabled).toBe(false);
    expect(scim.body.scope).toEqual({ includeGuests: false, includeExternal: false, includeDisabled: false });
    // A continuity connection has no scope.
    expect((await app.api('/connections', { method: 'POST', body: JSON.stringify(m365Body(sandbox, { name: 'No scope', config: { scope: { includeGuests: true } } })) })).body.scope).toBeNull();
    const method = await app.api('/connections', { method: 'POST', body: JSON.stringify({ ...m365Body(sandbox), credential: { type: 'service_account_key', keyJson: '{}' } }) });
    expect(method.status).toBe(400);
  });

  it('write-back is its own consent: refused where nothing is written back, audited and listed on a directory one', async () => {
    // The Google destination has no write-back (recovery writes into Microsoft 365, the source).
    const destination = await app.api('/connections', { method: 'POST', body: JSON.stringify(googleBody(sandbox, { name: 'Standby' })) });
    expect(destination.status, destination.text).toBe(201);
    const refused = await app.api(`/connections/${destination.body.id}/write-back`, { method: 'POST', body: JSON.stringify({ enabled: true }) });
    expect(refused.status).toBe(400);
    // The Microsoft 365 source offers it for recovery, with the mail-writing permission only.
    const source = await app.api('/connections', { method: 'POST', body: JSON.stringify(m365Body(sandbox, { name: 'Continuity source' })) });
    expect(source.body.writeBack).toMatchObject({ enabled: false, available: true, permissions: ['Mail.ReadWrite'] });
    const dir = await app.api('/connections', { method: 'POST', body: JSON.stringify({ ...m365Body(sandbox, { name: 'Entra directory', credential: m365SecretCredential(sandbox) }), role: 'directory' }) });
    expect(dir.status, dir.text).toBe(201);
    expect(dir.body.writeBack.enabled).toBe(false);
    expect(dir.body.permissions).toEqual({ read: ['User.Read.All', 'GroupMember.Read.All', 'RoleManagement.Read.Directory', 'Application.Read.All'], writeBack: ['GroupMember.ReadWrite.All', 'RoleManagement.ReadWrite.Directory', 'AppRoleAssignment.ReadWrite.All'] });
    expect(dir.body.writeBack).toMatchObject({ available: true, permissions: ['GroupMember.ReadWrite.All', 'RoleManagement.ReadWrite.Directory', 'AppRoleAssignment.ReadWrite.All'] });
    expect(dir.body.writeBack.adminConsentUrl).toContain('/adminconsent?');
    const on = await app.api(`/connections/${dir.body.id}/write-back`, { method: 'POST', body: JSON.stringify({ enabled: true }) });
    // Consent is recorded under the caller's name (the owner's API token in these tests).
    expect(on.body.writeBack).toMatchObject({ enabled: true, consentedBy: 'token:test-owner (owner@localhost)' });
    const off = await app.api(`/connections/${dir.body.id}/write-back`, { method: 'POST', body: JSON.stringify({ enabled: false }) });
    expect(off.body.writeBack.enabled).toBe(false);
    const actions = ((await app.api('/audit?action=connection.write&limit=10')).body.events as { action: string; message: string }[]).map((e) => e.action);
    expect(actions).toEqual(['connection.write_back_revoked', 'connection.write_back_consented']);
    // The demo home tenant granted the app continuity's permissions only: the directory's are not consented there.
    const test = await app.api(`/connections/${dir.body.id}/test`, { method: 'POST' });
    expect(named(test.body.findings as FindingJson[])).toEqual(['fail:m365.permission_missing']);
  });

  it('the admin-consent link for Entra ID, and the callback that records the outcome and re-tests', async () => {
    const c = await app.api('/connections', { method: 'POST', body: JSON.stringify(m365Body(sandbox, { name: 'Consent' })) });
    const url = new URL(c.body.adminConsentUrl);
    expect(`${url.origin}${url.pathname}`).toBe(`${sandbox.urls.entra_login}/${sandbox.demo.microsoft.tenantId}/adminconsent`);
    expect(url.searchParams.get('client_id')).toBe(sandbox.demo.microsoft.clientId);
    // The state names the connection, signed and bound to the caller (here the owner's token).
    expect(url.searchParams.get('state')!.split('.')[0]).toBe(c.body.id);
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
      body: JSON.stringify(awsBody(sandbox, { name: 'AWS prod', credential: { type: 'access_key', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'short', createdAt: new Date(Date.now() - 80 * 86_400_000).toISOString().slice(0, 10) } })),
    });
    expect(aws.status, aws.text).toBe(201);
    expect(aws.body.credential).toMatchObject({ type: 'access_key', meta: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', maxAgeDays: 90 }, expiry: { basis: 'age_policy' } });
    expect(aws.body.daysLeft).toBeGreaterThanOrEqual(9);
    expect(aws.body.daysLeft).toBeLessThanOrEqual(10);
    const t = await app.api(`/connections/${aws.body.id}/test`, { method: 'POST' });
    // A 5-character secret access key is caught before any call; the 80-day-old key is due for rotation.
    expect(named(t.body.findings)).toEqual(['fail:credential.invalid_format', 'warning:credential.rotation_due']);
    const scim = await app.api('/connections', { method: 'POST', body: JSON.stringify(scimBody(sandbox, { name: 'HR app', credential: { type: 'bearer_token', token: 'Bearer abc-0123456789', expiresAt: '2020-01-01' } })) });
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

  it('an edit of the same credential method keeps what is not given (the role ARN changes, the secret stays)', async () => {
    const c = await app.api('/connections', { method: 'POST', body: JSON.stringify(awsBody(sandbox, { name: 'AWS edit', method: 'assume_role' })) });
    const edited = await app.api(`/connections/${c.body.id}`, { method: 'PATCH', body: JSON.stringify({ credential: { externalId: 'another-external-id' } }) });
    expect(edited.status, edited.text).toBe(200);
    expect(edited.body.credential.meta).toMatchObject({ accessKeyId: sandbox.demo.aws.accessKeyId, roleArn: sandbox.demo.aws.roleArn, externalId: 'another-external-id' });
    const t = await app.api(`/connections/${c.body.id}/test`, { method: 'POST' });
    // The secret was kept: the key signs in; the role refuses the other external id.
    expect(named(t.body.findings as FindingJson[])).toEqual(['fail:aws.external_id_mismatch']);
    // Scope switches merge: one switch changes, the others stay.
    await app.api(`/connections/${c.body.id}`, { method: 'PATCH', body: JSON.stringify({ config: { scope: { includeDisabled: true } } }) });
    const scoped = await app.api(`/connections/${c.body.id}`, { method: 'PATCH', body: JSON.stringify({ config: { scope: { includeGuests: true } } }) });
    expect(scoped.body.scope).toEqual({ includeGuests: true, includeExternal: false, includeDisabled: true });
    const bad = await app.api(`/connections/${c.body.id}`, { method: 'PATCH', body: JSON.stringify({ config: { scope: { includeGuests: 'yes' } } }) });
    expect(bad.status).toBe(400);
  });

  it('rotating an assume-role key: the new key alone is given; the role, external id and key policy carry over', async () => {
    const c = await app.api('/connections', { method: 'POST', body: JSON.stringify(awsBody(sandbox, { name: 'AWS rotate', method: 'assume_role' })) });
    const made = await sandboxAdmin<{ accessKeyId: string; secretAccessKey: string }>(sandbox, 'POST', '/aws/keys', { userName: sandbox.demo.aws.integrationUserName });
    const added = await app.api(`/connections/${c.body.id}/credentials`, { method: 'POST', body: JSON.stringify({ accessKeyId: made.accessKeyId, secretAccessKey: made.secretAccessKey }) });
    expect(added.status, added.text).toBe(201);
    expect(added.body.credential).toMatchObject({ state: 'pending', type: 'assume_role', meta: { accessKeyId: made.accessKeyId, roleArn: sandbox.demo.aws.roleArn, externalId: sandbox.demo.aws.externalId, maxAgeDays: 90 } });
    expect(added.body.test.ok).toBe(true);
  });

  it('GET /connection-kinds: every kind with its roles, permissions and sign-in methods', async () => {
    const kinds = (await app.api('/connection-kinds')).body.kinds as { kind: string; roles: { role: string; available: boolean; writeBackPermissions: string[] }[]; methods: { method: string }[] }[];
    expect(kinds.map((k) => `${k.kind}:${k.roles.map((r) => r.role).join('+')}:${k.methods.map((m) => m.method).join('+')}`)).toEqual([
      'microsoft365:continuity_source+directory:certificate+client_secret',
      'google_workspace:continuity_destination+directory:impersonation+service_account_key',
      'aws_iam:directory:access_key+assume_role',
      'scim:directory:bearer_token',
    ]);
    expect(kinds.every((k) => k.roles.every((r) => r.available))).toBe(true);
    expect(kinds.find((k) => k.kind === 'aws_iam')!.roles[0]!.writeBackPermissions).toContain('iam:RemoveUserFromGroup');
  });

  it('the OpenAPI document lists every connections, credentials, incidents and alerts route', async () => {
    const doc = await app.api('/openapi.json');
    const paths = Object.keys(doc.body.paths);
    for (const p of [
      '/api/v1/connections/{id}/credentials', '/api/v1/connections/{id}/credentials/{credentialId}/switch', '/api/v1/connections/{id}/credentials/{credentialId}/retire',
      '/api/v1/connections/{id}/bundle', '/api/v1/connections/{id}/write-back', '/api/v1/credentials', '/api/v1/incidents', '/api/v1/incidents/{id}',
      '/api/v1/alerts/channels', '/api/v1/alerts/channels/{id}/test', '/api/v1/alerts', '/api/v1/connection-kinds',
    ]) expect(paths).toContain(p);
    const kinds = JSON.stringify(doc.body.paths['/api/v1/connections'].post.requestBody);
    for (const k of ['microsoft365', 'google_workspace', 'aws_iam', 'scim', 'assume_role', 'bearer_token']) expect(kinds).toContain(k);
  });
  it('an Operator sees connections but not their credentials; a Viewer sees the credentials\' facts and changes nothing', async () => {
    const operator = await app.as('operator');
    const viewer = await app.as('viewer');
    const asOperator = await operator('/connections');
    expect(asOperator.status).toBe(200);
    expect(asOperator.body.connections.length).toBeGreaterThan(0);
    for (const c of asOperator.body.connections) {
      expect(c).not.toHaveProperty('credential');
      expect(c).not.toHaveProperty('credentials');
    }
    expect((await operator(`/connections/${asOperator.body.connections[0].id}/credentials`)).status).toBe(403);
    const asViewer = await viewer('/connections');
    expect(asViewer.body.connections[0]).toHaveProperty('credential');
    const edit = await viewer(`/connections/${asViewer.body.connections[0].id}`, { method: 'PATCH', body: JSON.stringify({ name: 'Renamed by a viewer' }) });
    expect(edit.status).toBe(403);
    expect(edit.body.error.code).toBe('auth.forbidden');
  });
});
