import { importPKCS8, SignJWT } from 'jose';
import { AppError } from '../../errors/index.js';
import type { ConnectorContext, HttpResponse } from '../sdk/index.js';
import { CLOUD_PLATFORM, REQUIRED_SCOPES, parseKeyJson, type GoogleConnectorConfig, type GoogleEndpoints, type ServiceAccountKey } from './config.js';
import { apiDisabledError, badResponse, parseGoogleError, PROVIDER } from './errors.js';

/**
 * Access tokens for the customer's service account acting as a Workspace user
 * (domain-wide delegation), by one of two methods:
 * - impersonation (keyless): Syncwarden's token provider signs in with its own key, asks IAM
 *   Credentials to `signJwt` the delegation claims as the customer's service account, and
 *   exchanges that JWT at the token endpoint;
 * - service_account_key: the same JWT signed locally with the customer's key file.
 * https://developers.google.com/identity/protocols/oauth2/service-account#httprest
 * https://cloud.google.com/iam/docs/reference/credentials/rest/v1/projects.serviceAccounts/signJwt
 */

/** Google's token endpoint, the audience of every assertion sent to Google itself. */
export const TOKEN_AUDIENCE = 'https://oauth2.googleapis.com/token';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const REFRESH_MARGIN_MS = 5 * 60_000;

/** The user to impersonate is not a (live) Workspace user. The caller decides what that means. */
export class UnknownSubjectError extends Error {
  override readonly name = 'UnknownSubjectError';
  constructor(readonly email: string) {
    super(`Google does not know the user ${email} (invalid_grant: Invalid email or User ID)`);
  }
}

export interface TokenSource {
  /** A token acting as `email` (delegation) with exactly these scopes. */
  forUser(email: string, scopes: readonly string[]): Promise<string>;
  /** Like forUser, but always asks Google (the doctor probes delegation, which may be propagating). */
  mintForUser(email: string, scopes: readonly string[]): Promise<string>;
  /** The numeric client id an admin authorises for delegation (or a description when unknown). */
  delegationClientId(): Promise<string>;
  /** Forget a cached token that an API rejected. */
  invalidate(email: string, scopes: readonly string[]): void;
  /** Impersonation only: the token provider's own token (cloud-platform). */
  tokenProvider(): Promise<string>;
  /** Key method: the service account as itself (cloud-platform), which proves the key and the account. */
  serviceAccountSelf(): Promise<string>;
  /** Impersonation: sign a JWT as the customer's service account (proves role + account). */
  signAsServiceAccount(claims: Record<string, unknown>): Promise<string>;
  readonly serviceAccountEmail: string;
  /**
   * The audience of the assertions: the token endpoint actually called. An assertion made for
   * an overridden endpoint is not one Google's own endpoint would accept, so whoever runs that
   * endpoint cannot replay it at Google.
   */
  readonly audience: string;
}

interface Cached {
  readonly token: string;
  readonly expiresAtMs: number;
}

export interface TokenSourceOptions {
  /** The scopes an admin must authorise, named in google.delegation_missing (continuity's by default). */
  readonly requiredScopes?: readonly string[];
}

export function createTokenSource(ctx: ConnectorContext, config: GoogleConnectorConfig, endpoints: GoogleEndpoints, opts: TokenSourceOptions = {}): TokenSource {
  const auth = config.auth;
  const audience = `${endpoints.oauth}/token`;
  const requiredScopes = opts.requiredScopes ?? REQUIRED_SCOPES;
  const cache = new Map<string, Cached>();
  const inFlight = new Map<string, Promise<string>>();
  let customerKey: ServiceAccountKey | undefined;
  let tpKey: ServiceAccountKey | undefined;
  let clientIdMemo: string | undefined;

  const keyForCustomer = (): ServiceAccountKey => {
    if (auth.type !== 'service_account_key') throw new Error('no key for the impersonation method');
    customerKey ??= parseKeyJson(auth.keyJson, 'service account key');
    return customerKey;
  };
  const keyForTokenProvider = (): ServiceAccountKey => {
    if (auth.type !== 'impersonation') throw new Error('no token provider for the key method');
    tpKey ??= parseKeyJson(auth.tokenProviderKeyJson, 'token provider key');
    return tpKey;
  };
  // With a key file, the key's own account signs (as google-auth-library does).
  const serviceAccountEmail = auth.type === 'service_account_key' ? safeKeyEmail(auth.keyJson) ?? config.serviceAccountEmail : config.serviceAccountEmail;

  function cached(key: string, mint: () => Promise<{ token: string; expiresInS: number }>): Promise<string> {
    const hit = cache.get(key);
    if (hit && hit.expiresAtMs - REFRESH_MARGIN_MS > ctx.now().getTime()) return Promise.resolve(hit.token);
    const pending = inFlight.get(key);
    if (pending) return pending;
    const p = mint()
      .then(({ token, expiresInS }) => {
        cache.set(key, { token, expiresAtMs: ctx.now().getTime() + expiresInS * 1000 });
        return token;
      })
      .finally(() => inFlight.delete(key));
    inFlight.set(key, p);
    return p;
  }

  function claims(iss: string, sub: string | null, scopes: readonly string[]): Record<string, unknown> {
    const iat = Math.floor(ctx.now().getTime() / 1000);
    return { iss, ...(sub ? { sub } : {}), scope: scopes.join(' '), aud: audience, iat, exp: iat + 3600 };
  }

  async function signLocally(key: ServiceAccountKey, c: Record<string, unknown>): Promise<string> {
    let pk;
    try {
      pk = await importPKCS8(key.private_key, 'RS256');
    } catch (e) {
      throw new AppError('request.invalid', { detail: 'the private_key in the key file cannot be read as an RSA key' }, { cause: e });
    }
    return new SignJWT(c).setProtectedHeader({ alg: 'RS256', typ: 'JWT', ...(key.private_key_id ? { kid: key.private_key_id } : {}) }).sign(pk);
  }

  /** The JWT-bearer exchange; classifies the token endpoint's RFC 6749 error bodies (providers.md §3.3). */
  async function exchange(assertion: string, iss: string, sub: string | null, scopes: readonly string[]): Promise<{ token: string; expiresInS: number }> {
    const res = await ctx.http.request({
      method: 'POST',
      url: `${endpoints.oauth}/token`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: JWT_BEARER, assertion }).toString(),
      // Minting a token twice is harmless.
      idempotent: true,
    });
    if (res.status === 200) {
      const b = res.json() as { access_token?: unknown; expires_in?: unknown } | undefined;
      if (typeof b?.access_token !== 'string') throw badResponse('the token endpoint answered 200 without an access_token');
      return { token: b.access_token, expiresInS: typeof b.expires_in === 'number' ? b.expires_in : 3599 };
    }
    throw await tokenEndpointError(res, iss, sub, scopes);
  }

  async function tokenEndpointError(res: HttpResponse, iss: string, sub: string | null, scopes: readonly string[]): Promise<Error> {
    if (res.status >= 500) return new AppError('provider.unavailable', { provider: PROVIDER, status: `HTTP ${res.status}` });
    const b = res.json() as { error?: unknown; error_description?: unknown } | undefined;
    const error = typeof b?.error === 'string' ? b.error : '';
    const description = typeof b?.error_description === 'string' ? b.error_description : '';
    if (!error) return badResponse(`the token endpoint answered HTTP ${res.status} without an OAuth error`);
    switch (error) {
      case 'unauthorized_client':
        return new AppError('google.delegation_missing', { clientId: await clientId(), scope: scopes.join(' '), requiredScopes: requiredScopes.join(', ') });
      case 'deleted_client':
        return new AppError('google.service_account_not_found', { serviceAccount: iss });
      case 'invalid_grant':
        // Google tells these apart only by description; match the known ones, fall back to key_rejected.
        if (/robot is disabled|account has been disabled/i.test(description)) return new AppError('google.service_account_disabled', { serviceAccount: iss });
        if (/account not found/i.test(description) && !/user/i.test(description)) {
          return new AppError('google.service_account_not_found', { serviceAccount: iss });
        }
        // iat/exp outside Google's window: the clock here is off (or the lifetime too long, which we never send).
        if (/short-lived token|reasonable timeframe/i.test(description)) {
          return new AppError('google.clock_skew', { detail: `Google answered "${description}"` });
        }
        if (sub && /invalid email or user id|account has been deleted|not a valid email/i.test(description)) return new UnknownSubjectError(sub);
        return new AppError('google.key_rejected', { serviceAccount: iss });
      default:
        return badResponse(`the token endpoint refused the request: ${error}${description ? ` (${description})` : ''}`);
    }
  }

  /** The numeric client id an admin authorises for delegation (tokeninfo `azp` of the account's own token). */
  async function clientId(): Promise<string> {
    if (clientIdMemo) return clientIdMemo;
    if (auth.type === 'service_account_key') {
      clientIdMemo = keyForCustomer().client_id;
      return clientIdMemo;
    }
    try {
      const res = await ctx.http.request({
        method: 'POST',
        url: `${endpoints.iam}/v1/projects/-/serviceAccounts/${encodeURIComponent(config.serviceAccountEmail)}:generateAccessToken`,
        headers: { authorization: `Bearer ${await tokenProviderToken()}`, 'content-type': 'application/json' },
        body: JSON.stringify({ scope: [CLOUD_PLATFORM], lifetime: '300s' }),
        idempotent: true,
      });
      const at = (res.json() as { accessToken?: unknown } | undefined)?.accessToken;
      if (res.status === 200 && typeof at === 'string') {
        const info = await ctx.http.request({ method: 'GET', url: `${endpoints.oauth}/tokeninfo?access_token=${encodeURIComponent(at)}` });
        const azp = (info.json() as { azp?: unknown } | undefined)?.azp;
        if (info.status === 200 && typeof azp === 'string' && azp) clientIdMemo = azp;
      }
    } catch {
      // Best effort: the error stays useful without the number.
    }
    return clientIdMemo ?? `of ${config.serviceAccountEmail}`;
  }

  function tokenProviderToken(): Promise<string> {
    return cached('tp', async () => {
      const key = keyForTokenProvider();
      return exchange(await signLocally(key, claims(key.client_email, null, [CLOUD_PLATFORM])), key.client_email, null, [CLOUD_PLATFORM]);
    });
  }

  async function signJwt(c: Record<string, unknown>, retried = false): Promise<string> {
    const tp = await tokenProviderToken();
    const res = await ctx.http.request({
      method: 'POST',
      url: `${endpoints.iam}/v1/projects/-/serviceAccounts/${encodeURIComponent(config.serviceAccountEmail)}:signJwt`,
      headers: { authorization: `Bearer ${tp}`, 'content-type': 'application/json' },
      body: JSON.stringify({ payload: JSON.stringify(c) }),
      idempotent: true,
    });
    if (res.status === 200) {
      const b = res.json() as { signedJwt?: unknown } | undefined;
      if (typeof b?.signedJwt !== 'string') throw badResponse('IAM signJwt answered 200 without a signedJwt');
      return b.signedJwt;
    }
    if (res.status === 401 && !retried) {
      cache.delete('tp');
      return signJwt(c, true);
    }
    throw iamError(res);
  }

  function iamError(res: HttpResponse): AppError {
    if (res.status >= 500 || res.status === 429) return new AppError('provider.unavailable', { provider: PROVIDER, status: `HTTP ${res.status}` });
    const e = parseGoogleError(res);
    if (!e) return badResponse(`IAM Credentials answered HTTP ${res.status} with a body that is not a Google error`);
    const disabled = apiDisabledError(e, 'IAM Service Account Credentials API');
    if (disabled) return disabled;
    const tokenProvider = auth.type === 'impersonation' ? safeKeyEmail(auth.tokenProviderKeyJson) ?? 'the Syncwarden token provider' : '';
    // IAM_PERMISSION_DENIED (ErrorInfo) or the generic "caller does not have permission": the role is missing.
    if (res.status === 403) return new AppError('google.token_creator_missing', { tokenProvider, serviceAccount: config.serviceAccountEmail });
    if (res.status === 404) return new AppError('google.service_account_not_found', { serviceAccount: config.serviceAccountEmail });
    if (res.status === 401) return new AppError('provider.unauthenticated', { provider: PROVIDER });
    // The target account exists and the role is there, but it cannot sign: it is disabled.
    if (res.status === 400 && e.status === 'FAILED_PRECONDITION') return new AppError('google.service_account_disabled', { serviceAccount: config.serviceAccountEmail });
    return badResponse(`IAM Credentials answered HTTP ${res.status}: ${e.message}`);
  }

  async function signAsServiceAccount(c: Record<string, unknown>): Promise<string> {
    if (auth.type === 'impersonation') return signJwt(c);
    return signLocally(keyForCustomer(), c);
  }

  return {
    serviceAccountEmail,
    audience,
    forUser(email, scopes) {
      const sub = email.toLowerCase();
      return cached(`${sub}|${[...scopes].sort().join(' ')}`, async () => {
        const c = claims(serviceAccountEmail, sub, scopes);
        return exchange(await signAsServiceAccount(c), serviceAccountEmail, sub, scopes);
      });
    },
    async mintForUser(email, scopes) {
      const sub = email.toLowerCase();
      const { token, expiresInS } = await exchange(await signAsServiceAccount(claims(serviceAccountEmail, sub, scopes)), serviceAccountEmail, sub, scopes);
      // Remembered like forUser's: a later call can use the token a probe obtained.
      cache.set(`${sub}|${[...scopes].sort().join(' ')}`, { token, expiresAtMs: ctx.now().getTime() + expiresInS * 1000 });
      return token;
    },
    delegationClientId: clientId,
    invalidate(email, scopes) {
      cache.delete(`${email.toLowerCase()}|${[...scopes].sort().join(' ')}`);
    },
    tokenProvider: tokenProviderToken,
    serviceAccountSelf() {
      return cached('self', async () => {
        const key = keyForCustomer();
        return exchange(await signLocally(key, claims(key.client_email, null, [CLOUD_PLATFORM])), key.client_email, null, [CLOUD_PLATFORM]);
      });
    },
    signAsServiceAccount,
  };
}

function safeKeyEmail(json: string): string | null {
  try {
    const v = JSON.parse(json) as { client_email?: unknown };
    return typeof v.client_email === 'string' ? v.client_email.toLowerCase() : null;
  } catch {
    return null;
  }
}
