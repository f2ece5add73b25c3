import { createPrivateKey, createPublicKey, randomBytes, createHash, type KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SignJWT, exportJWK } from 'jose';
import { readBody, sendJson } from '../http.js';
import { newRsaKeyPair, persisted, selfSignedCertificate, type KeyPairPem } from '../keys.js';
import { DEMO } from '../demo.js';
import { clientCredentials, CodeStore, SANDBOX_SIGN_IN_PASSWORD, pkceMatches, redirectAllowed, redirectWithCode, redirectWithError, sendErrorPage, sendSignInPage, tamperClaims } from '../oidc.js';
import type { GoogleSim } from './sim.js';
import { lookupUser } from './world.js';
import type { UserRecord } from './directory-model.js';

/**
 * "Sign in with Google" (OpenID Connect authorization code with PKCE) on the sandbox's
 * `google_oauth` origin, which stands for accounts.google.com as well here:
 * `/o/oauth2/v2/auth` (a sign-in page for the Workspace customers' users), `POST /token` with
 * grant_type=authorization_code, `/.well-known/openid-configuration`, `/oauth2/v3/certs` (JWK) and `/oauth2/v1/certs` (PEM).
 * id_tokens are signed RS256 (kid from the key) as `https://accounts.google.com`, with `hd`
 * (the customer's primary domain) and `email_verified`.
 * https://developers.google.com/identity/openid-connect/openid-connect
 *
 * One OAuth client is registered (`signInClient`): a web client whose redirect URIs are
 * Syncwarden's callback on loopback (any port) and whatever `redirectUris` gains.
 */
export const GOOGLE_SIGN_IN_REDIRECT_URIS = ['http://localhost/api/v1/auth/sso/google/callback', 'http://127.0.0.1/api/v1/auth/sso/google/callback'];

interface SignInClientState {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly signingKey: KeyPairPem;
  readonly kid: string;
}

export interface GoogleSignIn {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUris: string[];
  /** Answers the sign-in paths (not the token endpoint); false for any other path. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
  /** The token endpoint's authorization_code grant (oauth.ts hands it the parsed form). */
  token(req: IncomingMessage, res: ServerResponse, form: URLSearchParams): Promise<void>;
}

function oauthError(res: ServerResponse, status: number, error: string, description: string): void {
  sendJson(res, status, { error, error_description: description }, { 'cache-control': 'no-cache, no-store, max-age=0, must-revalidate', pragma: 'no-cache' });
}

export function createGoogleSignIn(sim: GoogleSim): GoogleSignIn {
  const ctx = sim.ctx;
  const state = persisted<SignInClientState>(ctx.stateDir, 'google-sign-in-client', () => ({
    clientId: `${DEMO.google.projectNumber}-${randomBytes(16).toString('hex').slice(0, 32)}.apps.googleusercontent.com`,
    clientSecret: `GOCSPX-${randomBytes(21).toString('base64url').slice(0, 28)}`,
    signingKey: newRsaKeyPair(),
    kid: randomBytes(20).toString('hex'),
  }));
  const privateKey = createPrivateKey(state.signingKey.privateKeyPem);
  let rogueKey: KeyObject | undefined;
  const codes = new CodeStore<{ email: string }>();
  const redirectUris = [...GOOGLE_SIGN_IN_REDIRECT_URIS];
  const base = ctx.urls.google_oauth;
  // The same key as an X.509 certificate, for clients that read the PEM list (google-auth-library).
  let pemCert: string | undefined;

  async function authorize(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const params = req.method === 'POST' ? new URLSearchParams((await readBody(req, 1 << 16)).toString('utf8')) : url.searchParams;
    const clientId = params.get('client_id') ?? '';
    const redirectUri = params.get('redirect_uri') ?? '';
    const st = params.get('state');
    // Google's error pages ("Error 400: …") until the client and redirect URI are trusted.
    if (clientId !== state.clientId) return sendErrorPage(res, 401, 'Access blocked: Authorization Error', 'Error 401: invalid_client. The OAuth client was not found.');
    if (!redirectAllowed(redirectUris, redirectUri)) {
      return sendErrorPage(res, 400, 'Access blocked: This app\'s request is invalid', `Error 400: redirect_uri_mismatch. You can't sign in to this app because it doesn't comply with Google's OAuth 2.0 policy. If you're the app developer, register the redirect URI in the Google Cloud Console. Request details: redirect_uri=${redirectUri}`);
    }
    if (params.get('response_type') !== 'code') return redirectWithError(res, redirectUri, 'unsupported_response_type', `Invalid response_type: ${params.get('response_type') ?? ''}`, st);
    const scopes = (params.get('scope') ?? '').split(/\s+/).filter(Boolean);
    if (!scopes.includes('openid')) return redirectWithError(res, redirectUri, 'invalid_scope', 'Some requested scopes were invalid. {invalid=[]} The openid scope is needed for an id_token.', st);
    const method = params.get('code_challenge_method');
    if (params.get('code_challenge') && method && method !== 'S256' && method !== 'plain') return redirectWithError(res, redirectUri, 'invalid_request', 'Invalid code_challenge_method value.', st);
    const demo = sim.world.customers.values().next().value;
    const listed: { login: string; name: string }[] = [];
    if (demo) for (const u of demo.users.scan(null)) { if (listed.length >= 8) break; listed.push({ login: u.primaryEmail, name: `${u.givenName} ${u.familyName}` }); }
    const page = { brand: 'Google', heading: 'Sign in with Google', params, loginLabel: 'Email or phone', users: listed };
    if (req.method !== 'POST') return sendSignInPage(res, page);
    const login = (params.get('login') ?? '').trim().toLowerCase();
    const hit = login ? lookupUser(sim.world, login) : undefined;
    if (!hit) return sendSignInPage(res, { ...page, login, error: 'Couldn\'t find your Google Account' });
    if (params.get('passwd') !== SANDBOX_SIGN_IN_PASSWORD) return sendSignInPage(res, { ...page, login, error: 'Wrong password. Try again or click Forgot password to reset it.' });
    if (hit.user.suspended) return sendSignInPage(res, { ...page, login, error: 'Account disabled: your account has been suspended by your administrator.' });
    const code = codes.issue({
      clientId, redirectUri, codeChallenge: params.get('code_challenge'), codeChallengeMethod: method, nonce: params.get('nonce'),
      scope: scopes.join(' '), subject: { email: hit.user.primaryEmail }, issuedAtMs: ctx.now(),
    });
    redirectWithCode(res, redirectUri, { code: `4/${code}`, ...(st !== null ? { state: st } : {}), scope: scopes.join(' '), authuser: '0', prompt: 'consent' });
  }

  async function token(req: IncomingMessage, res: ServerResponse, form: URLSearchParams): Promise<void> {
    const { clientId, clientSecret } = clientCredentials(req, form);
    if (!form.get('code')) return oauthError(res, 400, 'invalid_request', 'Missing required parameter: code');
    if (!form.get('redirect_uri')) return oauthError(res, 400, 'invalid_request', 'Missing parameter: redirect_uri');
    if (clientId !== state.clientId) return oauthError(res, 401, 'invalid_client', 'The OAuth client was not found.');
    if (clientSecret !== state.clientSecret) return oauthError(res, 401, 'invalid_client', 'Unauthorized');
    const raw = form.get('code')!.replace(/^4\//, '');
    const r = codes.redeem(raw, ctx.now());
    // Google says no more than this about a used, expired or unknown code.
    if (!r.ok) return oauthError(res, 400, 'invalid_grant', 'Bad Request');
    const g = r.grant;
    if (g.redirectUri !== form.get('redirect_uri')) return oauthError(res, 400, 'redirect_uri_mismatch', 'Bad Request');
    if (!pkceMatches(form.get('code_verifier'), g.codeChallenge, g.codeChallengeMethod)) {
      return oauthError(res, 400, 'invalid_grant', form.get('code_verifier') ? 'Invalid code verifier.' : 'Missing code verifier.');
    }
    const hit = lookupUser(sim.world, g.subject.email);
    if (!hit || hit.user.suspended) return oauthError(res, 400, 'invalid_grant', 'Bad Request');
    const u: UserRecord = hit.user;
    const accessToken = `ya29.${randomBytes(48).toString('base64url')}`;
    const nowS = Math.floor(ctx.now() / 1000);
    let claims: Record<string, unknown> = {
      iss: 'https://accounts.google.com',
      azp: state.clientId,
      aud: state.clientId,
      sub: u.id,
      hd: hit.customer.domains[0],
      email: u.primaryEmail,
      email_verified: true,
      at_hash: createHash('sha256').update(accessToken).digest().subarray(0, 16).toString('base64url'),
      ...(g.nonce !== null ? { nonce: g.nonce } : {}),
      name: `${u.givenName} ${u.familyName}`,
      given_name: u.givenName,
      family_name: u.familyName,
      iat: nowS,
      exp: nowS + 3599,
    };
    const tamper = sim.ctx.faults.get(hit.customer.domains[0]!, 'google.sso_id_token');
    claims = tamperClaims(claims, tamper ? String(tamper.params['tamper'] ?? '') : undefined, nowS);
    let key = privateKey;
    if (tamper?.params['tamper'] === 'signature') key = rogueKey ??= createPrivateKey(newRsaKeyPair().privateKeyPem);
    const idToken = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: state.kid, typ: 'JWT' }).sign(key);
    sendJson(res, 200, { access_token: accessToken, expires_in: 3599, scope: g.scope, token_type: 'Bearer', id_token: idToken }, { 'cache-control': 'no-cache, no-store, max-age=0, must-revalidate' });
  }

  return {
    clientId: state.clientId,
    clientSecret: state.clientSecret,
    redirectUris,
    token,
    async handle(req, res, url) {
      if (url.pathname === '/o/oauth2/v2/auth' || url.pathname === '/o/oauth2/auth') {
        await authorize(req, res, url);
        return true;
      }
      if (url.pathname === '/.well-known/openid-configuration') {
        sendJson(res, 200, {
          issuer: 'https://accounts.google.com',
          authorization_endpoint: `${base}/o/oauth2/v2/auth`,
          token_endpoint: `${base}/token`,
          userinfo_endpoint: `${base}/v1/userinfo`,
          jwks_uri: `${base}/oauth2/v3/certs`,
          response_types_supported: ['code', 'token', 'id_token', 'code token', 'code id_token', 'token id_token', 'code token id_token', 'none'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
          scopes_supported: ['openid', 'email', 'profile'],
          token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
          claims_supported: ['aud', 'email', 'email_verified', 'exp', 'family_name', 'given_name', 'iat', 'iss', 'name', 'picture', 'sub'],
          code_challenge_methods_supported: ['plain', 'S256'],
          grant_types_supported: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code', 'urn:ietf:params:oauth:grant-type:jwt-bearer'],
        });
        return true;
      }
      if (url.pathname === '/oauth2/v1/certs') {
        pemCert ??= selfSignedCertificate('accounts.google.com', new Date(ctx.now() - 86_400_000), new Date(ctx.now() + 14 * 86_400_000), state.signingKey).certificatePem;
        sendJson(res, 200, { [state.kid]: pemCert }, { 'cache-control': 'public, max-age=21600' });
        return true;
      }
      if (url.pathname === '/oauth2/v3/certs') {
        const jwk = await exportJWK(createPublicKey(state.signingKey.publicKeyPem));
        sendJson(res, 200, { keys: [{ ...jwk, kid: state.kid, use: 'sig', alg: 'RS256' }] }, { 'cache-control': 'public, max-age=21600' });
        return true;
      }
      return false;
    },
  };
}
