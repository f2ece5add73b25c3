import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../src/sandbox/server.js';
import { selfSignedCertificate, toPfxBase64 } from '../src/sandbox/keys.js';
import { createLogger } from '../src/runtime/logger.js';
import { bootApp } from './support/app.js';
import { clearFaults, sandboxAdmin, setFault, waitFor } from './support/sandbox-admin.js';
import { awsBody, entraDirectoryBody, googleBody, googleDirectoryBody, googleKeyCredential, m365Body, m365SecretCredential, scimBody, tokenProviderKeyEnv } from './support/connections.js';
import { startSmtp, startWebhookReceiver } from './support/receivers.js';
import { auditMacKeyOf } from '../src/keys/keyring.js';
import { apiClient } from './support/auth.js';

/**
 * No response, log line, audit entry, alert or support bundle contains a secret. Known secrets
 * of every kind are seeded (PFX password, client secret, service-account private key, AWS
 * secret access key, SCIM token, SMTP password, webhook secret, the token provider's key), a
 * full scenario runs through the API — create, list, test, rotate, bundle, incidents, alerts,
 * bad requests, the OpenAPI document — and every text Syncwarden produced is searched.
 */
describe('no secret leaves Syncwarden', () => {
  let sandbox: Sandbox;
  let app: Awaited<ReturnType<typeof bootApp>>;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let hook: Awaited<ReturnType<typeof startWebhookReceiver>>;
  const logs: string[] = [];
  const texts: { where: string; text: string }[] = [];

  const PFX_PW = 'pfx-Pw-7Hq2-never-shown';
  const WRONG_SECRET = 'Xyz8Q~a-wrong-secret-that-is-still-secret-42';
  const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY';
  const SCIM_TOKEN = 'scim-Tok3n-9f8e7d6c5b4a-never-shown';
  const SMTP_PW = 'smtp-Pw-5b4a3c2d-never-shown';
  const HOOK_SECRET = 'whsec-9a8b7c6d5e4f3a2b-never-shown';
  const USER_PW = 'Pw-user-4f3e2d1c-never-shown';
  const WRONG_PW = 'Pw-wrong-9z8y7x6w-never-shown';
  /** Password, token and session hashes: in the database by design, nowhere else. */
  const hashes: string[] = [];
  let secrets: Record<string, string>;
  /** Secrets the sandbox issued for this test (an AWS access key, a SCIM token): real ones, that sign in. */
  let issued: { aws: { accessKeyId: string; secretAccessKey: string }; scimToken: string };

  const api = async (path: string, init: RequestInit = {}) => {
    const r = await app.api(path, init);
    texts.push({ where: `${init.method ?? 'GET'} ${path} → ${r.status}`, text: r.text });
    return r;
  };
  const post = (path: string, body?: unknown) => api(path, { method: 'POST', ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

  beforeAll(async () => {
    sandbox = await startSandbox({});
    smtp = await startSmtp({ user: 'alerts', password: SMTP_PW });
    hook = await startWebhookReceiver();
    const keyEnv = tokenProviderKeyEnv(sandbox);
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        logs.push(chunk.toString('utf8'));
        cb();
      },
    });
    app = await bootApp({ env: keyEnv, log: createLogger('debug', sink), worker: { concurrency: 2 }, scheduler: true, schedulerTickMs: 200 });
    const pem = (json: string) => (JSON.parse(json) as { private_key: string }).private_key.split('\n').filter((l) => l && !l.startsWith('-----'));
    issued = {
      aws: await sandboxAdmin(sandbox, 'POST', '/aws/keys', { userName: sandbox.demo.aws.integrationUserName }),
      scimToken: (await sandboxAdmin<{ token: string }>(sandbox, 'POST', `/scim/tenants/${sandbox.demo.scim.tenant}/tokens`, { label: 'secrets test', rights: 'read_write', expiresAt: '2030-01-01T00:00:00Z' })).token,
    };
    secrets = {
      'PFX password (demo)': sandbox.demo.microsoft.pfxPassword,
      'PFX password (rotation)': PFX_PW,
      'client secret': sandbox.demo.microsoft.clientSecret,
      'wrong client secret': WRONG_SECRET,
      'a user password': USER_PW,
      'a wrong password typed at sign-in': WRONG_PW,
      'service-account private key': pem(sandbox.demo.google.serviceAccountKeyJson)[3]!,
      'token provider private key': pem(sandbox.demo.google.tokenProviderKeyJson)[3]!,
      'AWS secret access key': AWS_SECRET,
      'AWS secret access key (issued by the sandbox)': issued.aws.secretAccessKey,
      'AWS secret access key (demo integration user)': sandbox.demo.aws.secretAccessKey,
      'SCIM token': SCIM_TOKEN,
      'SCIM token (issued by the sandbox)': issued.scimToken,
      'SCIM token (demo)': sandbox.demo.scim.token,
      'SMTP password': SMTP_PW,
      'webhook secret': HOOK_SECRET,
      'SSO client secret (Google sign-in client)': sandbox.demo.google.signIn.clientSecret,
      // The master key and the audit MAC key derived from it: never in a response, a log, the database.
      'master key (base64)': app.rt.secrets.keyring.state().primary.key.toString('base64'),
      'master key (hex)': app.rt.secrets.keyring.state().primary.key.toString('hex'),
      'audit MAC key': auditMacKeyOf(app.rt.secrets.keyring.state().primary).toString('base64'),
    };
  });
  afterAll(async () => {
    await app?.stop();
    await smtp?.close();
    await hook?.close();
    await sandbox?.close();
  });

  it('runs the full scenario', async () => {
    // Alert channels first, so every alert of the scenario is delivered and searched.
    const email = await post('/alerts/channels', { type: 'email', name: 'Mail', config: { host: '127.0.0.1', port: smtp.port, security: 'none', user: 'alerts', from: 'sw@northwind.test', to: ['it@northwind.test'] }, password: SMTP_PW });
    const webhook = await post('/alerts/channels', { type: 'webhook', name: 'Hook', config: { url: hook.url }, secret: HOOK_SECRET });
    await api(`/alerts/channels/${email.body.id}`, { method: 'PATCH', body: JSON.stringify({ name: 'Mail (IT)', password: SMTP_PW }) });
    await api(`/alerts/channels/${webhook.body.id}`);
    await post(`/alerts/channels/${email.body.id}/test`);
    await post(`/alerts/channels/${webhook.body.id}/test`);

    // Every kind and auth method.
    const cert = await post('/connections', m365Body(sandbox, { name: 'M365 certificate' }));
    const secret = await post('/connections', m365Body(sandbox, { name: 'M365 secret', credential: m365SecretCredential(sandbox) }));
    const wrong = await post('/connections', m365Body(sandbox, { name: 'M365 wrong secret', credential: m365SecretCredential(sandbox, { clientSecret: WRONG_SECRET }) }));
    const keyless = await post('/connections', googleBody(sandbox, { name: 'Google keyless' }));
    const key = await post('/connections', googleBody(sandbox, { name: 'Google key', credential: googleKeyCredential(sandbox) }));
    // Directory connections, with keys and tokens that work (issued by the sandbox) and ones that do not.
    const aws = await post('/connections', awsBody(sandbox, { name: 'AWS', credential: { type: 'access_key', ...issued.aws } }));
    const awsWrong = await post('/connections', awsBody(sandbox, { name: 'AWS unknown key', credential: { type: 'access_key', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: AWS_SECRET } }));
    const role = await post('/connections', awsBody(sandbox, { name: 'AWS role', method: 'assume_role' }));
    const scim = await post('/connections', scimBody(sandbox, { name: 'SCIM app', credential: { type: 'bearer_token', token: issued.scimToken, expiresAt: '2030-01-01' } }));
    const scimDemo = await post('/connections', scimBody(sandbox, { name: 'SCIM demo token' }));
    const scimWrong = await post('/connections', scimBody(sandbox, { name: 'SCIM wrong token', credential: { type: 'bearer_token', token: SCIM_TOKEN } }));
    const entraDir = await post('/connections', entraDirectoryBody(sandbox, { name: 'Entra directory', credential: m365SecretCredential(sandbox) }));
    const googleDir = await post('/connections', googleDirectoryBody(sandbox, { name: 'Google directory', credential: googleKeyCredential(sandbox) }));
    const ids = [cert, secret, wrong, keyless, key, aws, awsWrong, role, scim, scimDemo, scimWrong, entraDir, googleDir].map((r) => {
      expect(r.status, r.text).toBe(201);
      return r.body.id as string;
    });

    // Bad requests that carry secrets must not echo them.
    await post('/connections', m365Body(sandbox, { config: { tenantId: 'not a tenant' }, credential: m365SecretCredential(sandbox) }));
    await post('/connections', m365Body(sandbox, { credential: { type: 'certificate', pfxBase64: Buffer.from('garbage').toString('base64'), pfxPassword: PFX_PW } }));
    await post('/connections', m365Body(sandbox, { credential: { type: 'certificate', pfxBase64: sandbox.demo.microsoft.pfxBase64, pfxPassword: PFX_PW } }));
    await post('/connections', { kind: 'aws_iam', name: 'AWS bad', config: { accountId: 'x' }, credential: { type: 'access_key', accessKeyId: 'AKIA', secretAccessKey: AWS_SECRET } });
    await post('/connections', { kind: 'scim', name: 'bad', config: { baseUrl: 'ftp://x' }, credential: { type: 'bearer_token', token: SCIM_TOKEN } });
    await api('/connections', { method: 'POST', body: `{"kind":"microsoft365","credential":{"clientSecret":"${WRONG_SECRET}"` });

    for (const id of ids) {
      await post(`/connections/${id}/test`);
      await api(`/connections/${id}`);
      await api(`/connections/${id}/credentials`);
    }
    await post(`/connections/${role.body.id}/write-back`, { enabled: true });
    await post(`/connections/${scim.body.id}/write-back`, { enabled: true });
    for (const id of [role.body.id, scim.body.id]) await post(`/connections/${id}/test`);
    // AWS and SCIM credentials rotated with overlap, and edited in place.
    const newKey = await sandboxAdmin<{ accessKeyId: string; secretAccessKey: string }>(sandbox, 'POST', '/aws/keys', { userName: sandbox.demo.aws.integrationUserName });
    secrets['AWS secret access key (rotated to)'] = newKey.secretAccessKey;
    const rotated = await post(`/connections/${aws.body.id}/credentials`, { type: 'access_key', ...newKey });
    expect(rotated.body.test.ok).toBe(true);
    await post(`/connections/${aws.body.id}/credentials/${rotated.body.credential.id}/switch`, { retirePrevious: true });
    await api(`/connections/${role.body.id}`, { method: 'PATCH', body: JSON.stringify({ credential: { externalId: sandbox.demo.aws.externalId } }) });
    await api(`/connections/${scimDemo.body.id}`, { method: 'PATCH', body: JSON.stringify({ credential: { expiresAt: '2031-01-01' } }) });

    // Rotation: a certificate with a known password replaces the client secret.
    const fresh = selfSignedCertificate('Rotation test', new Date(Date.now() - 86_400_000), new Date(Date.now() + 300 * 86_400_000));
    const added = await post(`/connections/${secret.body.id}/credentials`, { type: 'certificate', pfxBase64: toPfxBase64(fresh, PFX_PW), pfxPassword: PFX_PW });
    await post(`/connections/${secret.body.id}/credentials/${added.body.credential.id}/test`);
    await post(`/connections/${secret.body.id}/credentials/${added.body.credential.id}/switch`, { force: true });
    const back = await post(`/connections/${secret.body.id}/credentials`, m365SecretCredential(sandbox));
    await post(`/connections/${secret.body.id}/credentials/${back.body.credential.id}/switch`, {});
    await api(`/connections/${wrong.body.id}`, { method: 'PATCH', body: JSON.stringify({ credential: { clientSecret: WRONG_SECRET } }) });
    await api(`/connections/${cert.body.id}`, { method: 'PATCH', body: JSON.stringify({ credential: { pfxBase64: sandbox.demo.microsoft.pfxBase64, pfxPassword: sandbox.demo.microsoft.pfxPassword } }) });

    // An incident under a running policy, and its resolution.
    await setFault(sandbox, 'm365.secret_expired');
    const policy = await post('/policies', { name: 'One user', sourceConnectionId: secret.body.id, destinationConnectionId: keyless.body.id, enabled: true, initialWindowDays: 1, selection: { mode: 'list', include: ['nobody@northwind.test'] } });
    expect(policy.status, policy.text).toBe(201);
    await waitFor('the incident', async () => ((await app.api('/incidents?state=open')).body.incidents.length > 0 ? true : undefined));
    await clearFaults(sandbox);
    await post(`/connections/${secret.body.id}/test`);
    await waitFor('alerts delivered', async () => {
      const alerts = (await app.api('/alerts')).body.alerts as { status: string }[];
      return alerts.length >= 2 && alerts.every((a) => a.status === 'sent') ? true : undefined;
    });

    for (const id of ids) await api(`/connections/${id}/bundle`);
    // The bundle has what a support engineer asks for.
    const bundle = await app.api(`/connections/${wrong.body.id}/bundle`);
    expect(bundle.status).toBe(200);
    expect(bundle.body).toMatchObject({
      format: 'syncwarden.support-bundle/v1',
      product: { name: 'Syncwarden' },
      runtime: { node: process.version, database: 'sqlite' },
      endpoints: { mode: 'sandbox (loopback simulators)' },
      connection: { name: 'M365 wrong secret', type: 'Microsoft 365', role: 'continuity_source', status: 'error', authMethod: 'Client secret (client_secret)' },
      currentError: { code: 'm365.client_secret_invalid' },
    });
    expect(bundle.body.currentError.fix).toContain('Value');
    expect(bundle.body.lastTest.findings.length).toBeGreaterThan(2);
    expect(bundle.body.recentChanges.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['connection.created', 'connection.tested', 'connection.edited']));
    expect(bundle.body.credentials.map((c: { state: string }) => c.state)).toEqual(expect.arrayContaining(['current', 'previous']));
    // A directory connection's bundle: the kind, role, write-back consent and scope — and its key id, never its secret.
    const roleBundle = await app.api(`/connections/${role.body.id}/bundle`);
    expect(roleBundle.body.connection).toMatchObject({ type: 'AWS IAM', role: 'directory', writeBack: { enabled: true }, scope: { includeGuests: false } });
    expect(roleBundle.body.credentials[0].facts).toMatchObject({ accessKeyId: sandbox.demo.aws.accessKeyId, roleArn: sandbox.demo.aws.roleArn });
    // Sign-in, users and API tokens: a password, a wrong password, a session cookie and a token
    // secret, each sent once; then every listing. The token's secret is in the one answer that
    // made it (shown once, by design): that answer is kept out of the search.
    const made = await post('/users', { email: 'secretive@example.test', role: 'admin', password: USER_PW });
    expect(made.status, made.text).toBe(201);
    const anon = await app.as(null);
    const wrongSignIn = await anon('/auth/sign-in', { method: 'POST', body: JSON.stringify({ email: 'secretive@example.test', password: WRONG_PW }) });
    texts.push({ where: 'POST /auth/sign-in (wrong) → ' + wrongSignIn.status, text: wrongSignIn.text });
    const signedIn = await anon('/auth/sign-in', { method: 'POST', body: JSON.stringify({ email: 'secretive@example.test', password: USER_PW }) });
    texts.push({ where: 'POST /auth/sign-in → ' + signedIn.status, text: signedIn.text });
    secrets['session cookie'] = /sw_session=([^;]+)/.exec(signedIn.headers.getSetCookie().join(';'))![1]!;
    const tokenAnswer = await app.api('/tokens', { method: 'POST', body: JSON.stringify({ name: 'secret-test', role: 'viewer' }) });
    secrets['API token'] = tokenAnswer.body.token;
    const viaToken = apiClient(app.url!, { authorization: `Bearer ${tokenAnswer.body.token}` });
    texts.push({ where: 'GET /auth/me (token)', text: (await viaToken('/auth/me')).text });
    for (const p of ['/users', '/tokens', '/admin/tokens', '/auth/me']) await api(p);
    hashes.push(...(await app.rt.store.db.selectFrom('users').select('password_hash').execute()).map((r) => r.password_hash).filter((h): h is string => h !== null));
    hashes.push(...(await app.rt.store.db.selectFrom('api_tokens').select('token_hash').execute()).map((r) => r.token_hash));
    hashes.push(...(await app.rt.store.db.selectFrom('sessions').select('token_hash').execute()).map((r) => r.token_hash));
    // Single sign-on: both client secrets set (the Microsoft one is the app's 'client secret'
    // above), a wrong one, then a sign-in through the sandbox with each and one refused.
    const ssoPut = (microsoftSecret: string) => api('/sso/settings', { method: 'PUT', body: JSON.stringify({ providers: {
      microsoft: { enabled: true, clientId: sandbox.demo.microsoft.clientId, clientSecret: microsoftSecret, directory: sandbox.demo.microsoft.tenantId, authority: sandbox.urls.entra_login },
      google: { enabled: true, clientId: sandbox.demo.google.signIn.clientId, clientSecret: sandbox.demo.google.signIn.clientSecret, directory: sandbox.demo.google.domain, authority: sandbox.urls.google_oauth },
    } }) });
    expect((await ssoPut(sandbox.demo.microsoft.clientSecret)).status).toBe(200);
    await post('/users', { email: sandbox.demo.microsoft.signInUserEmail, role: 'viewer' });
    const ssoSignIn = async (provider: 'microsoft' | 'google') => {
      const start = await fetch(`${app.url}/api/v1/auth/sso/${provider}/start`, { redirect: 'manual' });
      const binding = /sw_sso=([^;]+)/.exec(start.headers.getSetCookie().join(';'))![1]!;
      const authorize = new URL(start.headers.get('location')!);
      const form = new URLSearchParams(authorize.searchParams);
      form.set('login', sandbox.demo.microsoft.signInUserEmail);
      form.set('passwd', 'sandbox-password');
      const back = await fetch(authorize, { method: 'POST', body: form, redirect: 'manual' });
      const done = await fetch(back.headers.get('location')!, { redirect: 'manual', headers: { cookie: `sw_sso=${binding}` } });
      texts.push({ where: `GET /auth/sso/${provider}/callback → ${done.status} ${done.headers.get('location')}`, text: `${done.headers.get('location')} ${await done.text()}` });
      return done.headers.get('location');
    };
    expect(await ssoSignIn('microsoft')).toBe('/#/');
    expect(await ssoSignIn('google')).toBe('/#/');
    expect((await ssoPut(WRONG_SECRET)).status).toBe(200);
    expect(await ssoSignIn('microsoft')).toContain('auth.sso_provider_error');
    expect((await ssoPut(sandbox.demo.microsoft.clientSecret)).status).toBe(200);
    await api('/sso/settings');
    await (await app.as(null))('/auth/sso/providers').then((r) => texts.push({ where: 'GET /auth/sso/providers', text: r.text }));
    for (const p of ['/connections', '/credentials', '/incidents', '/alerts', '/alerts/channels', '/audit?limit=1000', '/openapi.json', '/errors', '/dashboard', '/sync/users', '/health', '/keys', '/audit/verify', '/audit/settings', '/audit/export?format=jsonl', '/audit/export?format=csv', '/tenants', '/tenants/default']) await api(p);
    expect(texts.length).toBeGreaterThan(60);
  });

  it('password, token and session hashes stay in the database: no response, log line or audit entry carries one', async () => {
    const audit = await app.rt.store.db.selectFrom('audit_events').selectAll().execute();
    const outside = [...texts, { where: 'log output', text: logs.join('') }, { where: 'audit table', text: JSON.stringify(audit) }];
    expect(hashes.length).toBeGreaterThanOrEqual(4);
    const leaks = hashes.flatMap((h) => outside.filter(({ text }) => text.includes(h)).map(({ where }) => `${h.slice(0, 12)}… in ${where}`));
    expect(leaks).toEqual([]);
    expect(outside.some(({ text }) => /scrypt\$/.test(text))).toBe(false);
  });

  it('no response, log line, audit entry, alert, bundle or database row contains a secret', async () => {
    const audit = await app.rt.store.db.selectFrom('audit_events').selectAll().execute();
    const everywhere: { where: string; text: string }[] = [
      ...texts,
      { where: 'log output', text: logs.join('') },
      { where: 'audit table', text: JSON.stringify(audit) },
      ...smtp.mails.map((m, i) => ({ where: `email ${i}`, text: m.raw })),
      ...hook.hooks.map((h, i) => ({ where: `webhook ${i}`, text: h.body + JSON.stringify(h.headers) })),
    ];
    everywhere.push({ where: 'audit anchor file', text: readFileSync(join(app.dataDir, 'audit-anchors.jsonl'), 'utf8') });
    for (const table of ['connections', 'connection_credentials', 'incidents', 'alerts', 'alert_channels', 'jobs', 'secrets', 'sync_users', 'audit_mac_keys', 'audit_checkpoints', 'audit_settings', 'key_holders', 'key_rotations', 'sso_providers', 'sso_identities', 'sso_attempts', 'sso_policies']) {
      const rows = await app.rt.store.db.selectFrom(table as 'connections').selectAll().execute();
      everywhere.push({ where: `table ${table}`, text: JSON.stringify(rows) });
    }
    for (const f of readdirSync(app.dataDir).filter((n) => n.startsWith('syncwarden.db'))) everywhere.push({ where: f, text: readFileSync(join(app.dataDir, f), 'latin1') });
    expect(logs.length).toBeGreaterThan(5);
    expect(smtp.mails.length).toBeGreaterThan(1);
    const leaks: string[] = [];
    for (const [name, value] of Object.entries(secrets)) {
      expect(value.length, name).toBeGreaterThanOrEqual(12);
      for (const { where, text } of everywhere) {
        if (text.includes(value) || text.includes(JSON.stringify(value).slice(1, -1))) leaks.push(`${name} in ${where}`);
      }
    }
    expect(leaks).toEqual([]);
    // The search itself finds a secret where there is one.
    expect(everywhere.some(({ text }) => text.includes(secrets['SMTP password']!))).toBe(false);
    expect([`{"x":"${SMTP_PW}"}`].some((t) => t.includes(secrets['SMTP password']!))).toBe(true);
  });
});
