import { importPKCS8, SignJWT } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../server.js';
import { sandboxAdmin } from '../../../test/support/sandbox-admin.js';
import { useSandbox } from '../../../test/support/connector.js';

/** Token endpoint (providers.md §3.3) and IAM Credentials (§3.4) conformance: every error, exactly. */
const AUD = 'https://oauth2.googleapis.com/token';
const CLOUD = 'https://www.googleapis.com/auth/cloud-platform';
const USER_RO = 'https://www.googleapis.com/auth/admin.directory.user.readonly';
const SHORT_LIVED = 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.';

let sb: Sandbox;
let offsetMs = 0;
const clock = (): number => Date.now() + offsetMs;

const sandbox = useSandbox({ now: clock, reset: () => void (offsetMs = 0) });
beforeEach(() => void (sb = sandbox()));
const admin = (method: string, path: string, body?: unknown): Promise<any> => sandboxAdmin(sb, method, path, body);

interface Claims {
  iss?: string;
  sub?: string;
  scope?: string;
  aud?: string;
  iat?: number;
  exp?: number;
}

async function assertion(keyJson: string, c: Claims, header: Record<string, unknown> = {}): Promise<string> {
  const key = JSON.parse(keyJson) as { private_key: string; client_email: string };
  const now = Math.floor(Date.now() / 1000);
  const iat = c.iat ?? now;
  return new SignJWT({ ...(c.scope !== undefined ? { scope: c.scope } : { scope: CLOUD }), ...(c.sub ? { sub: c.sub } : {}) })
    .setProtectedHeader({ alg: 'RS256', ...header })
    .setIssuer(c.iss ?? key.client_email)
    .setAudience(c.aud ?? AUD)
    .setIssuedAt(iat)
    .setExpirationTime(c.exp ?? iat + 3600)
    .sign(await importPKCS8(key.private_key, 'RS256'));
}

async function exchange(jwt: string, grantType = 'urn:ietf:params:oauth:grant-type:jwt-bearer'): Promise<{ status: number; body: any }> {
  const r = await fetch(`${sb.urls.google_oauth}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: grantType, assertion: jwt }),
  });
  return { status: r.status, body: await r.json() };
}

const grantError = (description: string) => ({ status: 400, body: { error: 'invalid_grant', error_description: description } });

describe('token endpoint', () => {
  const key = (): string => sb.demo.google.serviceAccountKeyJson;

  it('answers every malformed request as Google does', async () => {
    expect(await exchange('x', 'client_credentials')).toEqual({ status: 400, body: { error: 'unsupported_grant_type', error_description: 'Invalid grant_type: client_credentials' } });
    expect(await exchange('not-a-jwt')).toEqual(grantError('Bad Request'));
    expect(await exchange(await assertion(key(), { iss: 'nobody' }))).toEqual(grantError('Not a valid email.'));
    expect(await exchange(await assertion(key(), { iss: `ghost@${sb.demo.google.projectId}.iam.gserviceaccount.com` }))).toEqual(grantError('Invalid grant: account not found'));
    expect(await exchange(await assertion(key(), { scope: '' }))).toEqual({ status: 400, body: { error: 'invalid_scope', error_description: 'Invalid OAuth scope or ID token audience provided.' } });
    const aud = await exchange(await assertion(key(), { aud: 'https://example.com/token' }));
    expect(aud).toEqual(grantError('Invalid JWT: Failed audience check. The expected audience is https://oauth2.googleapis.com/token.'));
  });

  it('enforces the iat/exp window: at most 60 minutes, within a few minutes of Google’s clock', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await exchange(await assertion(key(), { iat: now, exp: now + 3601 }))).toEqual(grantError(SHORT_LIVED));
    expect(await exchange(await assertion(key(), { iat: now + 900 }))).toEqual(grantError(SHORT_LIVED));
    expect(await exchange(await assertion(key(), { iat: now - 7200, exp: now - 3600 }))).toEqual(grantError(SHORT_LIVED));
    expect((await exchange(await assertion(key(), { iat: now + 120 }))).status).toBe(200);
    // Google's clock ahead of ours (google.clock_skew): a fresh assertion is already stale.
    await admin('POST', '/faults', { scope: '*', name: 'google.clock_skew', params: { seconds: 4_000 } });
    expect(await exchange(await assertion(key(), {}))).toEqual(grantError(SHORT_LIVED));
  });

  it('verifies the signature with the kid’s key, or every registered key without a kid; deleted and rotated keys fail', async () => {
    const kid = JSON.parse(key()).private_key_id as string;
    expect((await exchange(await assertion(key(), {}, { kid }))).status).toBe(200);
    expect((await exchange(await assertion(key(), {}))).status).toBe(200);
    expect(await exchange(await assertion(key(), {}, { kid: 'f'.repeat(40) }))).toEqual(grantError('Invalid JWT Signature.'));
    const foreign = await assertion(sb.demo.google.tokenProviderKeyJson, { iss: sb.demo.google.serviceAccountEmail });
    expect(await exchange(foreign)).toEqual(grantError('Invalid JWT Signature.'));

    // Rotation: a new key works alongside the old one; once the old one is deleted it fails.
    const sa = sb.demo.google.serviceAccountEmail;
    const rotated = await admin('POST', `/google/service-accounts/${sa}/keys`);
    expect((await exchange(await assertion(rotated.keyJson, {}, { kid: rotated.keyId }))).status).toBe(200);
    await admin('DELETE', `/google/service-accounts/${sa}/keys/${rotated.keyId}`);
    expect(await exchange(await assertion(rotated.keyJson, {}, { kid: rotated.keyId }))).toEqual(grantError('Invalid JWT Signature.'));
    await admin('POST', '/faults', { scope: sb.demo.google.domain, name: 'google.key_deleted' });
    expect(await exchange(await assertion(key(), {}))).toEqual(grantError('Invalid JWT Signature.'));
  });

  it('refuses a deleted or disabled service account', async () => {
    const sa = sb.demo.google.serviceAccountEmail;
    const sub = sb.demo.google.adminEmail;
    await admin('POST', `/google/service-accounts/${sa}`, { disabled: true });
    expect(await exchange(await assertion(key(), {}))).toEqual(grantError('Robot is disabled.'));
    await admin('POST', `/google/service-accounts/${sa}`, { disabled: false, deleted: true });
    expect(await exchange(await assertion(key(), {}))).toEqual(grantError('Invalid grant: account not found'));
    expect(await exchange(await assertion(key(), { sub, scope: USER_RO }))).toEqual({ status: 401, body: { error: 'deleted_client', error_description: 'The OAuth client was deleted.' } });
    await admin('POST', `/google/service-accounts/${sa}`, { deleted: false });
    await admin('POST', '/faults', { scope: sb.demo.google.domain, name: 'google.sa_disabled' });
    expect(await exchange(await assertion(key(), {}))).toEqual(grantError('Robot is disabled.'));
  });

  it('checks domain-wide delegation per exact scope and the impersonated user', async () => {
    const d = sb.demo.google.domain;
    const ok = await exchange(await assertion(key(), { sub: sb.demo.google.adminEmail, scope: USER_RO }));
    expect(ok.status).toBe(200);
    const unauthorised = { status: 401, body: { error: 'unauthorized_client', error_description: 'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.' } };
    // Exact strings: the read-write scope is not implied by what is granted, and one bad scope fails all.
    expect(await exchange(await assertion(key(), { sub: sb.demo.google.adminEmail, scope: 'https://www.googleapis.com/auth/admin.directory.group' }))).toEqual(unauthorised);
    expect(await exchange(await assertion(key(), { sub: sb.demo.google.adminEmail, scope: `${USER_RO} https://mail.google.com/` }))).toEqual(unauthorised);
    expect(await exchange(await assertion(key(), { sub: `nobody@${d}`, scope: USER_RO }))).toEqual(grantError('Invalid email or User ID'));
    const users = (await admin('GET', '/google/users')).users as any[];
    const someone = users.find((u) => !u.isAdmin).primaryEmail as string;
    await admin('PATCH', `/google/users/${someone}`, { suspended: true });
    expect(await exchange(await assertion(key(), { sub: someone, scope: USER_RO }))).toEqual(grantError('Invalid email or User ID'));
    await admin('PATCH', `/google/users/${someone}`, { suspended: false });
    // The client id is authorised per customer: another customer's admin has not authorised it.
    await admin('POST', '/google/customers', { domain: 'other.test', size: { users: 10, groups: 2, memberships: 12 }, delegateDemoServiceAccount: false });
    expect(await exchange(await assertion(key(), { sub: 'admin@other.test', scope: USER_RO }))).toEqual(unauthorised);
    await admin('DELETE', '/google/customers/other.test');
  });
});

describe('IAM Credentials', () => {
  async function tpToken(): Promise<string> {
    const r = await exchange(await assertion(sb.demo.google.tokenProviderKeyJson, {}));
    return r.body.access_token as string;
  }
  async function iam(method: 'signJwt' | 'generateAccessToken', sa: string, body: unknown): Promise<{ status: number; body: any }> {
    const r = await fetch(`${sb.urls.google_iam}/v1/projects/-/serviceAccounts/${encodeURIComponent(sa)}:${method}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await tpToken()}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: r.status, body: await r.json() };
  }

  it('honours the Token Creator binding, with the exact 403 body of §3.4', async () => {
    const sa = sb.demo.google.serviceAccountEmail;
    expect((await iam('generateAccessToken', sa, { scope: [CLOUD] })).status).toBe(200);
    await admin('POST', '/google/token-creators', { member: sb.demo.google.tokenProviderEmail, serviceAccount: sa, granted: false });
    try {
      expect(await iam('generateAccessToken', sa, { scope: [CLOUD] })).toEqual({
        status: 403,
        body: {
          error: {
            code: 403,
            message: "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).",
            status: 'PERMISSION_DENIED',
            details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'IAM_PERMISSION_DENIED', domain: 'iam.googleapis.com', metadata: { permission: 'iam.serviceAccounts.getAccessToken' } }],
          },
        },
      });
      expect((await iam('signJwt', sa, { payload: '{}' })).body.error.details[0].metadata.permission).toBe('iam.serviceAccounts.signJwt');
    } finally {
      await admin('POST', '/google/token-creators', { member: sb.demo.google.tokenProviderEmail, serviceAccount: sa, granted: true });
    }
  });

  it('answers 404 "Gaia id not found" for an unknown account and refuses a disabled one', async () => {
    const unknown = `typo@${sb.demo.google.projectId}.iam.gserviceaccount.com`;
    expect(await iam('generateAccessToken', unknown, { scope: [CLOUD] })).toEqual({ status: 404, body: { error: { code: 404, message: `Not found; Gaia id not found for email ${unknown}`, status: 'NOT_FOUND' } } });
    await admin('POST', '/faults', { scope: sb.demo.google.domain, name: 'google.sa_disabled' });
    const disabled = await iam('signJwt', sb.demo.google.serviceAccountEmail, { payload: '{}' });
    expect(disabled.status).toBe(400);
    expect(disabled.body.error.status).toBe('FAILED_PRECONDITION');
  });

  it('answers SERVICE_DISABLED when the IAM Credentials API is off in the caller’s project', async () => {
    const project = (await admin('GET', `/google/service-accounts/${sb.demo.google.tokenProviderEmail}`)).projectId as string;
    await admin('POST', '/google/apis', { project, api: 'iamcredentials', enabled: false });
    try {
      const off = await iam('signJwt', sb.demo.google.serviceAccountEmail, { payload: '{}' });
      expect(off.status).toBe(403);
      expect(off.body.error.errors).toBeUndefined();
      expect(off.body.error.details[0]).toMatchObject({ reason: 'SERVICE_DISABLED', metadata: { service: 'iamcredentials.googleapis.com' } });
    } finally {
      await admin('POST', '/google/apis', { project, api: 'iamcredentials', enabled: true });
    }
  });
});
