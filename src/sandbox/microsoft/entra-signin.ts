import { createHash, createPrivateKey, randomUUID, type KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SignJWT } from 'jose';
import { readBody } from '../http.js';
import { newRsaKeyPair } from '../keys.js';
import type { SandboxContext } from '../types.js';
import { CodeStore, SANDBOX_SIGN_IN_PASSWORD, pkceMatches, redirectAllowed, redirectWithCode, redirectWithError, sendErrorPage, sendSignInPage, tamperClaims } from '../oidc.js';
import { AADSTS, aadErrorBody } from './entra-errors.js';
import type { EntraTenant, EntraUser, MicrosoftWorld } from './world.js';

/**
 * Entra ID's sign-in for people (OpenID Connect authorization code with PKCE), next to the
 * client-credentials grant of entra.ts: `GET|POST /{tenant}/oauth2/v2.0/authorize` shows a
 * sign-in page for the directory's users and sends the browser back to the redirect URI with
 * `code` and `state`; the token endpoint redeems the code (grant_type=authorization_code,
 * client secret, PKCE verifier) for an id_token signed RS256 with the tenant's signing key
 * (kid `sandbox-entra`, published at /discovery/v2.0/keys) as
 * `https://login.microsoftonline.com/{tid}/v2.0`.
 * https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow
 * https://learn.microsoft.com/entra/identity-platform/id-token-claims-reference
 *
 * The app registration (`Syncwarden Continuity`) is also the sign-in client; its registered
 * sign-in redirect URIs are Syncwarden's callback on loopback (any port, as Entra ignores the
 * port of a loopback redirect URI) and whatever `registerRedirectUri` adds.
 */
export const ENTRA_SIGN_IN_REDIRECT_URIS = ['http://localhost/api/v1/auth/sso/microsoft/callback', 'http://127.0.0.1/api/v1/auth/sso/microsoft/callback'];

type Failure = { status: number; error: string; code: number; message: string };

interface Subject {
  readonly tenantId: string;
  readonly user: EntraUser;
}

export interface EntraSignIn {
  authorize(req: IncomingMessage, res: ServerResponse, tenant: EntraTenant, url: URL): Promise<void>;
  redeem(form: URLSearchParams, tenant: EntraTenant, clientId: string, clientSecret: string | null): Promise<Failure | Record<string, unknown>>;
  readonly redirectUris: string[];
}

/** Each world's sign-in (the admin API registers redirect URIs through it). */
export const entraSignInOf = new WeakMap<MicrosoftWorld, EntraSignIn>();

export function createEntraSignIn(ctx: SandboxContext, world: MicrosoftWorld, signingKey: KeyObject): EntraSignIn {
  const codes = new CodeStore<Subject>();
  const redirectUris = entraSignInOf.get(world)?.redirectUris ?? [...ENTRA_SIGN_IN_REDIRECT_URIS];
  let rogueKey: KeyObject | undefined;

  const usersOf = (tenant: EntraTenant): EntraUser[] => (tenant.tenantId === world.home.tenantId ? world.users : []);
  const disabled = (tenant: EntraTenant, u: EntraUser): boolean => {
    const f = ctx.faults.get(tenant.tenantId, 'm365.user_disabled');
    return !u.accountEnabled || (f !== undefined && String(f.params['user'] ?? '').toLowerCase() === u.userPrincipalName.toLowerCase());
  };
  const aad = (code: number, message: string) => String(aadErrorBody('x', code, message, ctx.now())['error_description']);

  const signIn: EntraSignIn = {
    redirectUris,
    async authorize(req, res, tenant, url) {
      const params = req.method === 'POST' ? new URLSearchParams((await readBody(req, 1 << 16)).toString('utf8')) : url.searchParams;
      const clientId = params.get('client_id') ?? '';
      const redirectUri = params.get('redirect_uri') ?? '';
      const state = params.get('state');
      // Until the client and redirect URI are trusted, errors are shown, never redirected.
      if (!clientId) return sendErrorPage(res, 400, 'Sign in', aad(AADSTS.missingParam, "The request body must contain the following parameter: 'client_id'."));
      const app = world.app;
      if (clientId.toLowerCase() !== app.appId || app.deleted || !tenant.consent) {
        return sendErrorPage(res, 400, 'Sign in', aad(AADSTS.appNotFound, `Application with identifier '${clientId}' was not found in the directory '${tenant.directory.displayName}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`));
      }
      if (!redirectAllowed(redirectUris, redirectUri)) {
        return sendErrorPage(res, 400, 'Sign in', aad(AADSTS.redirectMismatch, `The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application '${app.appId}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.`));
      }
      if (params.get('response_type') !== 'code') {
        return redirectWithError(res, redirectUri, 'unsupported_response_type', aad(700054, `response_type '${params.get('response_type') ?? ''}' is not enabled for the application.`), state);
      }
      const scopes = (params.get('scope') ?? '').split(/\s+/).filter(Boolean);
      if (!scopes.includes('openid')) return redirectWithError(res, redirectUri, 'invalid_request', aad(AADSTS.missingParam, "The request body must contain the following parameter: 'scope' with 'openid'."), state);
      const method = params.get('code_challenge_method');
      if (params.get('code_challenge') && method && method !== 'S256' && method !== 'plain') {
        return redirectWithError(res, redirectUri, 'invalid_request', aad(501491, `Invalid code_challenge_method '${method}'.`), state);
      }
      const page = { brand: 'Microsoft', heading: `Sign in to ${tenant.directory.displayName}`, params, loginLabel: 'Email, phone, or Skype',
        users: usersOf(tenant).filter((u) => !u.deleted).slice(0, 8).map((u) => ({ login: u.userPrincipalName, name: u.displayName })) };
      if (req.method !== 'POST') return sendSignInPage(res, page);
      const login = (params.get('login') ?? '').trim().toLowerCase();
      const user = usersOf(tenant).find((u) => !u.deleted && u.userPrincipalName.toLowerCase() === login);
      if (!user) return sendSignInPage(res, { ...page, login, error: aad(50034, `The user account ${login || '(empty)'} does not exist in the ${tenant.tenantId} directory. To sign into this application, the account must be added to the directory.`) });
      if (params.get('passwd') !== SANDBOX_SIGN_IN_PASSWORD) return sendSignInPage(res, { ...page, login, error: aad(50126, 'Error validating credentials due to invalid username or password.') });
      if (disabled(tenant, user)) return sendSignInPage(res, { ...page, login, error: aad(50057, 'The user account is disabled.') });
      const code = codes.issue({
        clientId: app.appId, redirectUri, codeChallenge: params.get('code_challenge'), codeChallengeMethod: method, nonce: params.get('nonce'),
        scope: scopes.join(' '), subject: { tenantId: tenant.tenantId, user }, issuedAtMs: ctx.now(),
      });
      redirectWithCode(res, redirectUri, { code, ...(state !== null ? { state } : {}), session_state: randomUUID() });
    },

    async redeem(form, tenant, clientId, clientSecret) {
      const missing = (p: string): Failure => ({ status: 400, error: 'invalid_request', code: AADSTS.missingParam, message: `The request body must contain the following parameter: '${p}'.` });
      const app = world.app;
      if (!form.get('code')) return missing('code');
      if (!form.get('redirect_uri')) return missing('redirect_uri');
      if (clientId.toLowerCase() !== app.appId || app.deleted || !tenant.consent) {
        return { status: 400, error: 'unauthorized_client', code: AADSTS.appNotFound, message: `Application with identifier '${clientId}' was not found in the directory '${tenant.directory.displayName}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.` };
      }
      // A web app is a confidential client: the code is redeemed with its secret.
      if (!clientSecret) return { status: 401, error: 'invalid_client', code: AADSTS.noCredential, message: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'." };
      const secret = app.secrets.find((s) => s.value === clientSecret);
      if (!secret || Date.parse(secret.endDateTime) <= ctx.now()) {
        return { status: 401, error: 'invalid_client', code: AADSTS.invalidSecret, message: `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.appId}'.` };
      }
      const r = codes.redeem(form.get('code')!, ctx.now());
      if (!r.ok) {
        if (r.why === 'redeemed') return { status: 400, error: 'invalid_grant', code: 54005, message: 'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.' };
        if (r.why === 'expired') return { status: 400, error: 'invalid_grant', code: 70008, message: 'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.' };
        return { status: 400, error: 'invalid_grant', code: 9002313, message: 'Invalid request. Request is malformed or invalid.' };
      }
      const g = r.grant;
      if (g.clientId !== app.appId || g.subject.tenantId !== tenant.tenantId) return { status: 400, error: 'invalid_grant', code: 9002313, message: 'Invalid request. Request is malformed or invalid.' };
      if (g.redirectUri !== form.get('redirect_uri')) {
        return { status: 400, error: 'invalid_grant', code: AADSTS.redirectMismatch, message: `The reply URL specified in the request does not match the reply URLs configured for the application: '${app.appId}'.` };
      }
      if (!pkceMatches(form.get('code_verifier'), g.codeChallenge, g.codeChallengeMethod)) {
        return { status: 400, error: 'invalid_grant', code: 501481, message: 'The Code_Verifier does not match the code_challenge supplied in the authorization request.' };
      }
      const u = g.subject.user;
      const nowS = Math.floor(ctx.now() / 1000);
      const tid = tenant.tenantId;
      let claims: Record<string, unknown> = {
        aud: app.appId,
        iss: `https://login.microsoftonline.com/${tid}/v2.0`,
        iat: nowS, nbf: nowS, exp: nowS + 3600,
        aio: randomUUID().replace(/-/g, ''),
        name: u.displayName,
        ...(g.nonce !== null ? { nonce: g.nonce } : {}),
        oid: u.id,
        preferred_username: u.userPrincipalName,
        // With the optional claim xms_edov: the mail's domain is one the tenant verified.
        ...(g.scope.split(' ').includes('email') && u.mail ? { email: u.mail, xms_edov: u.mail.toLowerCase().endsWith(`@${tenant.domain}`) } : {}),
        rh: '0.sandbox.',
        // The subject is pairwise: the same person has another sub in another app.
        sub: createHash('sha256').update(`${u.id}/${app.appId}`).digest('base64url').slice(0, 43),
        tid,
        uti: randomUUID().replace(/-/g, '').slice(0, 22),
        ver: '2.0',
      };
      const tamper = ctx.faults.get(tid, 'm365.sso_id_token');
      if (tamper) tamper.hits++;
      claims = tamperClaims(claims, tamper ? String(tamper.params['tamper'] ?? '') : undefined, nowS);
      let key = signingKey;
      if (tamper?.params['tamper'] === 'signature') key = rogueKey ??= createPrivateKey(newRsaKeyPair().privateKeyPem);
      const idToken = await new SignJWT(claims).setProtectedHeader({ typ: 'JWT', alg: 'RS256', kid: 'sandbox-entra' }).sign(key);
      return { token_type: 'Bearer', scope: g.scope, expires_in: 3599, ext_expires_in: 3599, access_token: randomUUID(), id_token: idToken };
    },
  };
  entraSignInOf.set(world, signIn);
  return signIn;
}
