import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../src/sandbox/server.js';
import { bootApp } from './support/app.js';
import { awsBody, m365Body, m365SecretCredential, scimBody } from './support/connections.js';

/**
 * Finding 4 of issue 10: a stored credential stays bound to where it was given. Moving a
 * connection to another endpoint, base URL, tenant or account needs the secret again, and no
 * URL we would send a secret to may be a script, a file, or a link-local / metadata address.
 */
describe('credentials stay bound to where they were given', () => {
  let sandbox: Sandbox;
  let app: Awaited<ReturnType<typeof bootApp>>;
  // Another host on this machine, standing in for one the admin who edits does not control.
  let elsewhere: Server;
  let elsewhereUrl: string;
  const seen: IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    sandbox = await startSandbox({});
    app = await bootApp({ worker: { concurrency: 1 } });
    elsewhere = createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(404, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((r) => elsewhere.listen(0, '127.0.0.1', r));
    elsewhereUrl = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await app?.stop();
    await sandbox?.close();
    await new Promise((r) => elsewhere?.close(r));
  });

  it('a new SCIM base URL without the token is refused, naming both fields; with the token it is taken', async () => {
    const c = await app.api('/connections', { method: 'POST', body: JSON.stringify(scimBody(sandbox)) });
    expect(c.status, c.text).toBe(201);
    const moved = await app.api(`/connections/${c.body.id}`, { method: 'PATCH', body: JSON.stringify({ config: { baseUrl: `${elsewhereUrl}/scim/v2` } }) });
    expect(moved.status).toBe(400);
    expect(moved.body.error.code).toBe('connection.secret_required');
    expect(moved.body.error.message).toContain('config.baseUrl');
    expect(moved.body.error.message).toContain('credential.token');
    // Nothing changed, and the test that follows goes where the token was given, not elsewhere.
    expect((await app.api(`/connections/${c.body.id}`)).body.config.baseUrl).toBe(sandbox.demo.scim.baseUrl);
    await app.api(`/connections/${c.body.id}/test`, { method: 'POST' });
    expect(seen).toHaveLength(0);
    // Entering the token again with the new URL is the admin's statement that it belongs there.
    const reentered = await app.api(`/connections/${c.body.id}`, { method: 'PATCH', body: JSON.stringify({ config: { baseUrl: `${elsewhereUrl}/scim/v2` }, credential: { token: sandbox.demo.scim.token } }) });
    expect(reentered.status, reentered.text).toBe(200);
    expect(reentered.body.config.baseUrl).toBe(`${elsewhereUrl}/scim/v2`);
  });

  it('Microsoft 365: a tenant id or endpoint change needs the client secret again; a name change does not', async () => {
    const c = await app.api('/connections', { method: 'POST', body: JSON.stringify(m365Body(sandbox, { name: 'Bound', credential: m365SecretCredential(sandbox) })) });
    expect(c.status, c.text).toBe(201);
    const tenant = await app.api(`/connections/${c.body.id}`, { method: 'PATCH', body: JSON.stringify({ config: { tenantId: '11111111-2222-3333-4444-555555555555' } }) });
    expect(tenant.body.error?.code).toBe('connection.secret_required');
    expect(tenant.body.error.message).toContain('config.tenantId');
    expect(tenant.body.error.message).toContain('credential.clientSecret');
    const login = await app.api(`/connections/${c.body.id}`, { method: 'PATCH', body: JSON.stringify({ config: { endpoints: { login: elsewhereUrl } } }) });
    expect(login.body.error?.code).toBe('connection.secret_required');
    expect(login.body.error.message).toContain('config.endpoints.login');
    expect((await app.api(`/connections/${c.body.id}`, { method: 'PATCH', body: JSON.stringify({ name: 'Renamed' }) })).status).toBe(200);
    const withSecret = await app.api(`/connections/${c.body.id}`, { method: 'PATCH', body: JSON.stringify({ config: { endpoints: { graph: sandbox.urls.graph.replace('127.0.0.1', 'localhost') } }, credential: m365SecretCredential(sandbox) }) });
    expect(withSecret.status, withSecret.text).toBe(200);
  });

  it('AWS: another account id needs the secret access key again', async () => {
    const c = await app.api('/connections', { method: 'POST', body: JSON.stringify(awsBody(sandbox, { name: 'Bound AWS' })) });
    expect(c.status, c.text).toBe(201);
    const moved = await app.api(`/connections/${c.body.id}`, { method: 'PATCH', body: JSON.stringify({ config: { accountId: '999999999999' } }) });
    expect(moved.body.error?.code).toBe('connection.secret_required');
    expect(moved.body.error.message).toContain('credential.secretAccessKey');
  });

  it('endpoint overrides and webhook URLs refuse script, file, non-loopback http, link-local and metadata addresses', async () => {
    const bad = ['javascript:alert(1)', 'file:///etc/passwd', 'http://example.com', 'http://169.254.169.254/latest', 'https://[fe80::1]/', 'https://metadata.google.internal/'];
    for (const url of bad) {
      const m = await app.api('/connections', { method: 'POST', body: JSON.stringify(m365Body(sandbox, { name: 'Bad', config: { endpoints: { graph: url } } })) });
      expect(m.status, url).toBe(400);
      expect(m.body.error.code).toBe('request.invalid');
      expect(m.body.error.message).toContain('config.endpoints.graph');
      const s = await app.api('/connections', { method: 'POST', body: JSON.stringify(scimBody(sandbox, { name: 'Bad', config: { baseUrl: url } })) });
      expect(s.status, url).toBe(400);
      const hook = await app.api('/alerts/channels', { method: 'POST', body: JSON.stringify({ type: 'webhook', name: 'Hook', config: { url }, secret: 'a-signing-secret-of-32-characters' }) });
      expect(hook.status, url).toBe(400);
      expect(hook.body.error.code).toBe('request.invalid');
    }
    const good = await app.api('/alerts/channels', { method: 'POST', body: JSON.stringify({ type: 'webhook', name: 'Hook', config: { url: `${elsewhereUrl}/hook` }, secret: 'a-signing-secret-of-32-characters' }) });
    expect(good.status, good.text).toBe(201);
    const edited = await app.api(`/alerts/channels/${good.body.id}`, { method: 'PATCH', body: JSON.stringify({ config: { url: 'http://169.254.169.254/' } }) });
    expect(edited.status).toBe(400);
  });

  it('an SMTP channel moved to another host needs its password again', async () => {
    const config = { host: '127.0.0.1', port: 2525, security: 'none', user: 'alerts', from: 'syncwarden@northwind.test', to: ['it@northwind.test'] };
    const c = await app.api('/alerts/channels', { method: 'POST', body: JSON.stringify({ type: 'email', name: 'Mail', config, password: 'smtp-password-42' }) });
    expect(c.status, c.text).toBe(201);
    const moved = await app.api(`/alerts/channels/${c.body.id}`, { method: 'PATCH', body: JSON.stringify({ config: { host: 'smtp.elsewhere.example' } }) });
    expect(moved.status).toBe(400);
    expect(moved.body.error.code).toBe('connection.secret_required');
    expect(moved.body.error.message).toContain('config.host');
    // Other settings keep the stored password; with the password the move is taken.
    expect((await app.api(`/alerts/channels/${c.body.id}`, { method: 'PATCH', body: JSON.stringify({ config: { from: 'alerts@northwind.test' } }) })).status).toBe(200);
    expect((await app.api(`/alerts/channels/${c.body.id}`, { method: 'PATCH', body: JSON.stringify({ config: { host: 'smtp.elsewhere.example' }, password: 'smtp-password-42' }) })).status).toBe(200);
  });
});
