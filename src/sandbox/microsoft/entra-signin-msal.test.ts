import { createHash, randomBytes } from 'node:crypto';
import { ConfidentialClientApplication, type INetworkModule } from '@azure/msal-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../server.js';
import { msalNetworkClient } from '../../../test/support/msal.js';
import { SANDBOX_SIGN_IN_PASSWORD } from '../oidc.js';

/**
 * Fidelity check of the sign-in flow with Microsoft's own library: @azure/msal-node builds the
 * authorize URL (PKCE S256), the sandbox's page signs a directory user in and redirects with
 * the code, and MSAL redeems it (acquireTokenByCode with the verifier), parsing the id_token.
 * As in entra-msal.test.ts, the authority stays login.microsoftonline.com and a network client
 * sends that host's requests to the sandbox.
 */
describe('Entra ID sign-in (authorization code + PKCE) with @azure/msal-node', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({});
  });
  afterAll(async () => sb.close());

  const rewrite = (url: string) => url.replace('https://login.microsoftonline.com', sb.urls.entra_login);
  const networkClient = (): INetworkModule => msalNetworkClient(sb);


  it('MSAL builds the authorize URL, the sandbox page issues a code, MSAL redeems it with the verifier', async () => {
    const cca = new ConfidentialClientApplication({
      auth: { clientId: sb.demo.microsoft.clientId, authority: `https://login.microsoftonline.com/${sb.demo.microsoft.tenantId}`, clientSecret: sb.demo.microsoft.clientSecret },
      system: { networkClient: networkClient() },
    });
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const redirectUri = 'http://localhost:3000/api/v1/auth/sso/microsoft/callback';
    const authUrl = new URL(rewrite(await cca.getAuthCodeUrl({ scopes: ['openid', 'profile', 'email'], redirectUri, codeChallenge: challenge, codeChallengeMethod: 'S256', state: 'st-1', nonce: 'n-1' })));
    expect(authUrl.pathname).toBe(`/${sb.demo.microsoft.tenantId}/oauth2/v2.0/authorize`);
    const form = new URLSearchParams(authUrl.searchParams);
    form.set('login', sb.demo.microsoft.signInUserEmail);
    form.set('passwd', SANDBOX_SIGN_IN_PASSWORD);
    const back = await fetch(authUrl, { method: 'POST', body: form, redirect: 'manual' });
    expect(back.status).toBe(302);
    const location = new URL(back.headers.get('location')!);
    expect(location.origin + location.pathname).toBe(redirectUri);
    expect(location.searchParams.get('state')).toBe('st-1');
    const code = location.searchParams.get('code')!;
    // MSAL checks the id_token's nonce against the one the authorize request carried.
    const result = await cca.acquireTokenByCode({ code, redirectUri, scopes: ['openid', 'profile', 'email'], codeVerifier: verifier, nonce: 'n-1', state: 'st-1' }, { code, state: location.searchParams.get('state')! });
    expect(result.idTokenClaims).toMatchObject({ tid: sb.demo.microsoft.tenantId, preferred_username: sb.demo.microsoft.signInUserEmail, nonce: 'n-1', aud: sb.demo.microsoft.clientId });
    expect(result.account?.username).toBe(sb.demo.microsoft.signInUserEmail);

    // The same code again: Entra's AADSTS54005, surfaced by MSAL.
    const again = await cca.acquireTokenByCode({ code, redirectUri, scopes: ['openid'], codeVerifier: verifier, nonce: 'n-1' }).then(() => 'no error', (e: { errorMessage?: string }) => String(e.errorMessage));
    expect(again).toContain('AADSTS54005: OAuth2 Authorization code was already redeemed');
  });
});
