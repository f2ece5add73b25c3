import { createHash, createPrivateKey, randomUUID } from 'node:crypto';
import { SignJWT, decodeJwt } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openPfx } from '../../connectors/microsoft/pfx.js';
import { selfSignedCertificate } from '../keys.js';
import { startSandbox, type Sandbox } from '../server.js';

/** Entra ID token endpoint and admin consent conformance, over real HTTP (providers.md §1). */
describe('Entra ID sandbox: token endpoint', () => {
  let sb: Sandbox;
  let now = Date.now();
  beforeAll(async () => {
    sb = await startSandbox({ now: () => now });
  });
  afterAll(async () => sb.close());
  afterEach(() => {
    sb.faults.clear();
    now = Date.now();
  });
  const ms = () => sb.demo.microsoft;
  const admin = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${sb.urls.admin}/microsoft${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };
  const token = async (tenant: string, form: Record<string, string>) => {
    const r = await fetch(`${sb.urls.entra_login}/${tenant}/oauth2/v2.0/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };
  const base = (over: Record<string, string> = {}) => ({ client_id: ms().clientId, scope: 'https://graph.microsoft.com/.default', grant_type: 'client_credentials', 'x-client-SKU': 'msal.js.node', 'client-request-id': randomUUID(), ...over });
  const assertion = async (opts: { alg?: 'RS256' | 'PS256'; header?: 'x5t' | 'x5t#S256'; aud?: string; iss?: string; sub?: string; nbf?: number; exp?: number; key?: string; thumb?: { x5t: string; s256: string } } = {}) => {
    const pfx = openPfx(ms().pfxBase64, ms().pfxPassword);
    const t = opts.thumb ?? { x5t: pfx.thumbprintSha1B64u, s256: pfx.thumbprintSha256B64u };
    const nowS = Math.floor(now / 1000);
    const header = opts.header === 'x5t#S256' ? { 'x5t#S256': t.s256 } : { x5t: t.x5t };
    return new SignJWT({ jti: randomUUID(), nbf: opts.nbf ?? nowS, exp: opts.exp ?? nowS + 600, iat: nowS })
      .setProtectedHeader({ alg: opts.alg ?? 'RS256', typ: 'JWT', ...header })
      .setIssuer(opts.iss ?? ms().clientId)
      .setSubject(opts.sub ?? ms().clientId)
      .setAudience(opts.aud ?? `https://login.microsoftonline.com/${ms().tenantId}/oauth2/v2.0/token`)
      .sign(createPrivateKey(opts.key ?? pfx.privateKeyPem));
  };
  const withAssertion = async (a: string) => base({ client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: a });
  const expectAad = (r: { status: number; body: Record<string, unknown> }, status: number, error: string, code: number) => {
    expect(r.status).toBe(status);
    expect(r.body['error']).toBe(error);
    expect(r.body['error_codes']).toEqual([code]);
    const d = String(r.body['error_description']);
    expect(d).toMatch(new RegExp(`^AADSTS${code}: `));
    expect(d.split('\r\n').slice(1).map((l) => l.split(':')[0])).toEqual(['Trace ID', 'Correlation ID', 'Timestamp']);
    expect(r.body['timestamp']).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
    expect(r.body['trace_id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.body['correlation_id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.body['error_uri']).toBe(`https://login.microsoftonline.com/error?code=${code}`);
    return d;
  };

  it('issues v1 Graph tokens for RS256 + x5t and PS256 + x5t#S256 assertions, with exactly the consented roles', async () => {
    for (const [alg, header] of [['RS256', 'x5t'], ['PS256', 'x5t#S256']] as const) {
      const r = await token(ms().tenantId, await withAssertion(await assertion({ alg, header })));
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599 });
      const claims = decodeJwt(String(r.body['access_token']));
      expect(claims).toMatchObject({ aud: 'https://graph.microsoft.com', iss: `https://sts.windows.net/${ms().tenantId}/`, tid: ms().tenantId, appid: ms().clientId, appidacr: '2', ver: '1.0', idtyp: 'app' });
      expect(claims['roles']).toEqual(['User.Read.All', 'Mail.Read']);
      expect(claims['scp']).toBeUndefined();
    }
  });

  it('the domain works as tenant too, and the assertion audience may name it', async () => {
    const r = await token(ms().domain, await withAssertion(await assertion({ aud: `https://login.microsoftonline.com/${ms().domain}/oauth2/v2.0/token` })));
    expect(r.status).toBe(200);
  });

  it('rejects assertions: wrong audience, iss≠sub (50048), expired (700024), unregistered and expired certificates (700027), bad signature', async () => {
    expectAad(await token(ms().tenantId, await withAssertion(await assertion({ aud: 'https://login.microsoftonline.com/other/oauth2/v2.0/token' }))), 401, 'invalid_client', 700212);
    expectAad(await token(ms().tenantId, await withAssertion(await assertion({ sub: randomUUID() }))), 401, 'invalid_client', 50048);
    const nowS = Math.floor(now / 1000);
    expect(expectAad(await token(ms().tenantId, await withAssertion(await assertion({ nbf: nowS - 3600, exp: nowS - 1200 }))), 401, 'invalid_client', 700024)).toContain('not within its valid time range');
    // A few minutes of skew are tolerated.
    expect((await token(ms().tenantId, await withAssertion(await assertion({ nbf: nowS + 120, exp: nowS + 700 })))).status).toBe(200);
    const other = selfSignedCertificate('Other', new Date(now - 86_400_000), new Date(now + 86_400_000));
    const otherThumb = { x5t: Buffer.from(sha1(other.certificateDer), 'hex').toString('base64url'), s256: 'x' };
    const d = expectAad(await token(ms().tenantId, await withAssertion(await assertion({ key: other.privateKeyPem, thumb: otherThumb }))), 401, 'invalid_client', 700027);
    expect(d).toContain(`Thumbprint of key used by client: '${sha1(other.certificateDer).toUpperCase()}'`);
    expect(d).toContain(`app Id '${ms().clientId}'`);
    // Registered thumbprint, signed by another key: the signature does not verify.
    const pfx = openPfx(ms().pfxBase64, ms().pfxPassword);
    expect(expectAad(await token(ms().tenantId, await withAssertion(await assertion({ key: other.privateKeyPem, thumb: { x5t: pfx.thumbprintSha1B64u, s256: '' } }))), 401, 'invalid_client', 700027)).toContain('signature validation');
    // Past the certificate's notAfter: 700027 "The key used is expired".
    now = Date.parse(ms().certificateNotAfter) + 86_400_000;
    expect(expectAad(await token(ms().tenantId, await withAssertion(await assertion())), 401, 'invalid_client', 700027)).toContain('The key used is expired');
  });

  it('client secrets: wrong value or the secret ID → 7000215, past the end date → 7000222, Basic auth accepted', async () => {
    expect((await token(ms().tenantId, base({ client_secret: ms().clientSecret }))).status).toBe(200);
    expectAad(await token(ms().tenantId, base({ client_secret: 'nope' })), 401, 'invalid_client', 7000215);
    expect(expectAad(await token(ms().tenantId, base({ client_secret: ms().clientSecretId })), 401, 'invalid_client', 7000215)).toContain('not the client secret ID');
    const basic = await fetch(`${sb.urls.entra_login}/${ms().tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${ms().clientId}:${encodeURIComponent(ms().clientSecret)}`).toString('base64')}` },
      body: new URLSearchParams({ scope: 'https://graph.microsoft.com/.default', grant_type: 'client_credentials' }).toString(),
    });
    expect(basic.status).toBe(200);
    const created = await admin('POST', '/app/secrets', { endDateTime: new Date(now + 60_000).toISOString() });
    expect((await token(ms().tenantId, base({ client_secret: String(created.body['value']) }))).status).toBe(200);
    now += 120_000;
    expect(expectAad(await token(ms().tenantId, base({ client_secret: String(created.body['value']) })), 401, 'invalid_client', 7000222)).toContain(`for app '${ms().clientId}' are expired`);
    await admin('DELETE', `/app/secrets/${String(created.body['keyId'])}`);
    expectAad(await token(ms().tenantId, base({ client_secret: String(created.body['value']) })), 401, 'invalid_client', 7000215);
  });

  it('unknown app 700016, unknown tenant 90002, malformed tenant 900023, missing params 900144/7000218, named scope 1002012', async () => {
    expect(expectAad(await token(ms().tenantId, base({ client_id: randomUUID(), client_secret: 'x' })), 400, 'unauthorized_client', 700016)).toContain('was not found in the directory');
    expectAad(await token('11111111-2222-4333-8444-555555555555', base({ client_secret: 'x' })), 400, 'invalid_request', 90002);
    expectAad(await token('not a tenant!', base({ client_secret: 'x' })), 400, 'invalid_request', 900023);
    const { scope: _s, ...noScope } = base({ client_secret: 'x' });
    expect(expectAad(await token(ms().tenantId, noScope), 400, 'invalid_request', 900144)).toContain("'scope'");
    expectAad(await token(ms().tenantId, base()), 401, 'invalid_client', 7000218);
    expectAad(await token(ms().tenantId, base({ client_secret: ms().clientSecret, scope: 'User.Read.All' })), 400, 'invalid_scope', 1002012);
    const disc = await fetch(`${sb.urls.entra_login}/11111111-2222-4333-8444-555555555555/v2.0/.well-known/openid-configuration`);
    expect(((await disc.json()) as { error: string }).error).toBe('invalid_tenant');
  });

  it('a tenant where the app was never consented answers 700016; admin consent creates the grant there', async () => {
    await admin('DELETE', `/tenants/${ms().directoryTenantId}/consent?servicePrincipal=delete`);
    expectAad(await token(ms().directoryTenantId, base({ client_secret: ms().clientSecret })), 400, 'unauthorized_client', 700016);
    await admin('POST', '/app/permissions', { add: ['GroupMember.Read.All'] });
    const r = await fetch(`${sb.urls.entra_login}/${ms().directoryTenantId}/adminconsent?client_id=${ms().clientId}&redirect_uri=${encodeURIComponent('https://app.test/cb')}&state=s1`, { redirect: 'manual' });
    expect(r.status).toBe(302);
    expect(r.headers.get('location')).toBe(`https://app.test/cb?tenant=${ms().directoryTenantId}&state=s1&admin_consent=True`);
    const t = await token(ms().directoryTenantId, base({ client_secret: ms().clientSecret }));
    expect((decodeJwt(String(t.body['access_token']))['roles'] as string[]).sort()).toEqual(['GroupMember.Read.All', 'Mail.Read', 'User.Read.All']);
    await admin('POST', '/app/permissions', { remove: ['GroupMember.Read.All'] });
  });

  it('v2 admin consent echoes scope; a cancelling admin answers permission_denied; revoked consent drops roles from later tokens only', async () => {
    const cb = encodeURIComponent('https://app.test/cb');
    const v2 = await fetch(`${sb.urls.entra_login}/${ms().tenantId}/v2.0/adminconsent?client_id=${ms().clientId}&scope=${encodeURIComponent('https://graph.microsoft.com/.default')}&redirect_uri=${cb}&state=z`, { redirect: 'manual' });
    const loc = new URL(v2.headers.get('location')!);
    expect(Object.fromEntries(loc.searchParams)).toEqual({ tenant: ms().tenantId, state: 'z', admin_consent: 'True', scope: 'https://graph.microsoft.com/.default' });
    sb.faults.set(ms().tenantId, 'm365.consent_denied');
    const denied = await fetch(`${sb.urls.entra_login}/${ms().tenantId}/adminconsent?client_id=${ms().clientId}&redirect_uri=${cb}&state=q`, { redirect: 'manual' });
    expect(new URL(denied.headers.get('location')!).search).toBe('?error=permission_denied&error_description=The+admin+canceled+the+request&state=q');
    const unknown = await fetch(`${sb.urls.entra_login}/${ms().tenantId}/adminconsent?client_id=${randomUUID()}&redirect_uri=${cb}`, { redirect: 'manual' });
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain('AADSTS700016');
    const before = await token(ms().tenantId, base({ client_secret: ms().clientSecret }));
    await admin('DELETE', `/tenants/${ms().tenantId}/consent`);
    const after = await token(ms().tenantId, base({ client_secret: ms().clientSecret }));
    expect(decodeJwt(String(after.body['access_token']))['roles']).toBeUndefined();
    // The earlier token still carries its roles: Graph accepts it for users.
    const g = await fetch(`${sb.urls.graph}/v1.0/users?$top=1`, { headers: { authorization: `Bearer ${String(before.body['access_token'])}` } });
    expect(g.status).toBe(200);
    const g2 = await fetch(`${sb.urls.graph}/v1.0/users?$top=1`, { headers: { authorization: `Bearer ${String(after.body['access_token'])}` } });
    expect(g2.status).toBe(403);
    await admin('POST', `/tenants/${ms().tenantId}/consent`, { permissions: ['User.Read.All', 'Mail.Read'] });
  });

  it('a deleted app registration signs in nowhere; certificates can be added and removed', async () => {
    await admin('DELETE', '/app');
    expectAad(await token(ms().tenantId, base({ client_secret: ms().clientSecret })), 400, 'unauthorized_client', 700016);
    await admin('POST', '/app/restore');
    const cert = selfSignedCertificate('Rotated', new Date(now - 60_000), new Date(now + 86_400_000));
    const added = await admin('POST', '/app/certificates', { certificatePem: cert.certificatePem });
    expect(added.status).toBe(201);
    const thumb = { x5t: Buffer.from(sha1(cert.certificateDer), 'hex').toString('base64url'), s256: '' };
    expect((await token(ms().tenantId, await withAssertion(await assertion({ key: cert.privateKeyPem, thumb })))).status).toBe(200);
    await admin('DELETE', `/app/certificates/${String(added.body['keyId'])}`);
    expect((await token(ms().tenantId, await withAssertion(await assertion({ key: cert.privateKeyPem, thumb })))).status).toBe(401);
  });
});

function sha1(der: Buffer): string {
  return createHash('sha1').update(der).digest('hex');
}
