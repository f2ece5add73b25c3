import { createHash, randomBytes } from 'node:crypto';
import { OAuth2Client } from 'google-auth-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../server.js';
import { SANDBOX_SIGN_IN_PASSWORD } from '../oidc.js';

/**
 * Fidelity check of "Sign in with Google" with Google's own library: google-auth-library's
 * OAuth2Client (its endpoints pointed at the sandbox) builds the authorize URL with PKCE, the
 * sandbox's page signs a Workspace user in, getToken redeems the code with the verifier, and
 * verifyIdToken checks the id_token (signature against the published certificates, issuer
 * accounts.google.com, audience, expiry).
 */
describe('Google sign-in (authorization code + PKCE) with google-auth-library', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({});
  });
  afterAll(async () => sb.close());

  it('builds the URL, signs in on the sandbox page, redeems the code and verifies the id_token', async () => {
    const redirectUri = 'http://127.0.0.1:3000/api/v1/auth/sso/google/callback';
    const o = sb.urls.google_oauth;
    const client = new OAuth2Client({
      clientId: sb.demo.google.signIn.clientId,
      clientSecret: sb.demo.google.signIn.clientSecret,
      redirectUri,
      endpoints: { oauth2AuthBaseUrl: `${o}/o/oauth2/v2/auth`, oauth2TokenUrl: `${o}/token`, oauth2FederatedSignonPemCertsUrl: `${o}/oauth2/v1/certs`, oauth2FederatedSignonJwkCertsUrl: `${o}/oauth2/v3/certs` },
    });
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const authUrl = new URL(client.generateAuthUrl({ scope: ['openid', 'email', 'profile'], state: 'st-g', code_challenge: challenge, code_challenge_method: 'S256' as never }));
    expect(authUrl.origin).toBe(o);
    const page = await fetch(authUrl);
    expect(page.status).toBe(200);
    const form = new URLSearchParams(authUrl.searchParams);
    form.set('login', sb.demo.microsoft.signInUserEmail);
    form.set('passwd', SANDBOX_SIGN_IN_PASSWORD);
    const back = await fetch(authUrl, { method: 'POST', body: form, redirect: 'manual' });
    expect(back.status).toBe(302);
    const location = new URL(back.headers.get('location')!);
    expect(location.searchParams.get('state')).toBe('st-g');
    const code = location.searchParams.get('code')!;
    const { tokens } = await client.getToken({ code, codeVerifier: verifier });
    expect(tokens.id_token).toBeTruthy();
    const ticket = await client.verifyIdToken({ idToken: tokens.id_token!, audience: sb.demo.google.signIn.clientId });
    expect(ticket.getPayload()).toMatchObject({ iss: 'https://accounts.google.com', email: sb.demo.microsoft.signInUserEmail, email_verified: true, hd: sb.demo.google.domain });

    // The same code again: invalid_grant, as Google answers.
    const again = await client.getToken({ code, codeVerifier: verifier }).then(() => 'no error', (e: { response?: { data?: unknown } }) => e.response?.data);
    expect(again).toEqual({ error: 'invalid_grant', error_description: 'Bad Request' });
  });

  it('a redirect URI off loopback is refused until the admin API registers it (Microsoft and Google)', async () => {
    const uri = (p: string) => `https://sync.example.test/api/v1/auth/sso/${p}/callback`;
    const googleUrl = `${sb.urls.google_oauth}/o/oauth2/v2/auth?${new URLSearchParams({ client_id: sb.demo.google.signIn.clientId, redirect_uri: uri('google'), response_type: 'code', scope: 'openid email', state: 's' })}`;
    const entraUrl = `${sb.urls.entra_login}/${sb.demo.microsoft.tenantId}/oauth2/v2.0/authorize?${new URLSearchParams({ client_id: sb.demo.microsoft.clientId, redirect_uri: uri('microsoft'), response_type: 'code', scope: 'openid email', state: 's' })}`;
    expect((await fetch(googleUrl)).status).toBe(400);
    expect((await fetch(entraUrl)).status).toBe(400);
    for (const [vendor, p] of [['google', 'google'], ['microsoft', 'microsoft']] as const) {
      const r = await fetch(`${sb.urls.admin}/${vendor}/sign-in/redirect-uris`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ uri: uri(p) }) });
      expect(r.status).toBe(201);
      expect(((await r.json()) as { redirectUris: string[] }).redirectUris).toContain(uri(p));
    }
    expect((await fetch(googleUrl)).status).toBe(200);
    expect((await fetch(entraUrl)).status).toBe(200);
  });
});
