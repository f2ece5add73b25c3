import { randomUUID, createPublicKey, createPrivateKey, type KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SignJWT, decodeProtectedHeader, decodeJwt, exportJWK, jwtVerify, errors as joseErrors } from 'jose';
import { readBody, requestUrl, sendJson } from '../http.js';
import { clientCredentials } from '../oidc.js';
import type { SandboxContext } from '../types.js';
import { adminConsent } from './entra-consent.js';
import { createEntraSignIn } from './entra-signin.js';
import { aadError, AADSTS } from './entra-errors.js';
import { GRAPH_APP_ROLES, type EntraTenant, type MicrosoftWorld, type RegisteredCertificate } from './world.js';

export { aadError } from './entra-errors.js';

/**
 * Entra ID's v2.0 token endpoint for the client-credentials grant (providers.md §1), for every
 * tenant the sandbox hosts, with the real error bodies (entra-errors.ts).
 * https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow
 * https://learn.microsoft.com/entra/identity-platform/certificate-credentials
 */
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Entra tolerates a few minutes of clock skew on assertion nbf/exp. */
const SKEW_S = 300;

type Failure = { status: number; error: string; code: number; message: string };

export function createEntraListener(ctx: SandboxContext, world: MicrosoftWorld) {
  const signingKey = createPrivateKey(world.credentials.signingKey.privateKeyPem);
  const signIn = createEntraSignIn(ctx, world, signingKey);

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = requestUrl(req);
    const m = /^\/([^/]+)\/(oauth2\/v2\.0\/token|oauth2\/v2\.0\/authorize|v2\.0\/\.well-known\/openid-configuration|discovery\/v2\.0\/keys|adminconsent|v2\.0\/adminconsent)$/.exec(url.pathname);
    if (!m) return sendJson(res, 404, { error: 'not_found' });
    const tenantKey = decodeURIComponent(m[1]!);
    const what = m[2]!;
    const multi = tenantKey === 'common' || tenantKey === 'organizations';
    if (!multi && !GUID.test(tenantKey) && !/^[a-z0-9.-]+\.[a-z]{2,}$/i.test(tenantKey)) {
      return aadError(res, 400, 'invalid_request', AADSTS.malformedTenant, `Specified tenant identifier '${tenantKey}' is neither a valid DNS name, nor a valid external domain.`);
    }
    // 'common' at the consent endpoints means "the admin's own tenant": the sandbox's admin is the home tenant's.
    const tenant = multi && what.endsWith('adminconsent') ? world.home : world.tenantByKey(tenantKey);
    if (!tenant) {
      const error = what.includes('openid') ? 'invalid_tenant' : 'invalid_request';
      return aadError(res, 400, error, AADSTS.tenantNotFound, `Tenant '${tenantKey}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`);
    }
    if (what.endsWith('openid-configuration')) {
      const base = `${ctx.urls.entra_login}/${tenant.tenantId}`;
      return sendJson(res, 200, {
        token_endpoint: `${base}/oauth2/v2.0/token`,
        issuer: `https://login.microsoftonline.com/${tenant.tenantId}/v2.0`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        jwks_uri: `${base}/discovery/v2.0/keys`,
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        code_challenge_methods_supported: ['plain', 'S256'],
        claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'nonce', 'oid', 'tid', 'preferred_username', 'email', 'name', 'ver'],
        tenant_region_scope: 'EU',
      });
    }
    if (what.endsWith('keys')) {
      const jwk = await exportJWK(createPublicKey(world.credentials.signingKey.publicKeyPem));
      return sendJson(res, 200, { keys: [{ ...jwk, kid: 'sandbox-entra', use: 'sig', alg: 'RS256' }] });
    }
    if (what.endsWith('authorize')) return signIn.authorize(req, res, tenant, url);
    if (what.endsWith('adminconsent')) return adminConsent(ctx, world, tenant, url, res, what.startsWith('v2.0'));
    if (req.method !== 'POST') return aadError(res, 400, 'invalid_request', AADSTS.missingParam, "The request body must contain the following parameter: 'grant_type'.");
    const form = new URLSearchParams((await readBody(req, 1 << 20)).toString('utf8'));
    const out = await token(req, form, tenant, tenantKey);
    // The Date header tells the sandbox's (injectable) time, so clients can measure clock skew.
    res.setHeader('date', new Date(ctx.now()).toUTCString());
    if (!out.ok) return aadError(res, out.failure.status, out.failure.error, out.failure.code, out.failure.message);
    sendJson(res, 200, out.body, { 'cache-control': 'no-store, no-cache', pragma: 'no-cache' });
  };

  async function token(req: IncomingMessage, form: URLSearchParams, tenant: EntraTenant, tenantKey: string): Promise<{ ok: true; body: Record<string, unknown> } | { ok: false; failure: Failure }> {
    const r = await issue(req, form, tenant, tenantKey);
    return 'access_token' in r ? { ok: true, body: r } : { ok: false, failure: r as Failure };
  }

  async function issue(req: IncomingMessage, form: URLSearchParams, tenant: EntraTenant, tenantKey: string): Promise<Failure | Record<string, unknown>> {
    // Unknown params (MSAL telemetry: x-client-SKU, x-client-VER, client-request-id, …) are ignored, as Entra does.
    const { clientId, clientSecret } = clientCredentials(req, form);
    const missing = (p: string): Failure => ({ status: 400, error: 'invalid_request', code: AADSTS.missingParam, message: `The request body must contain the following parameter: '${p}'.` });
    if (!form.get('grant_type')) return missing('grant_type');
    if (form.get('grant_type') === 'authorization_code') {
      if (!clientId) return missing('client_id');
      return signIn.redeem(form, tenant, clientId, clientSecret);
    }
    if (form.get('grant_type') !== 'client_credentials') {
      return { status: 400, error: 'unsupported_grant_type', code: 70003, message: 'The app requested an unsupported grant type.' };
    }
    if (!clientId) return missing('client_id');
    if (!form.get('scope')) return missing('scope');
    const scope = form.get('scope')!.trim();
    if (!/\/\.default$/.test(scope) || scope.split(/\s+/).length > 1) {
      return { status: 400, error: 'invalid_scope', code: AADSTS.scopeNotDefault, message: `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).` };
    }
    const app = world.app;
    if (clientId.toLowerCase() !== app.appId || app.deleted || !tenant.consent || ctx.faults.fires(tenant.tenantId, 'm365.app_deleted')) {
      return {
        status: 400, error: 'unauthorized_client', code: AADSTS.appNotFound,
        message: `Application with identifier '${clientId}' was not found in the directory '${tenant.directory.displayName}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
      };
    }
    let acr: '1' | '2';
    const assertion = form.get('client_assertion');
    if (assertion) {
      if (form.get('client_assertion_type') !== ASSERTION_TYPE) return missing('client_assertion_type');
      const failure = await verifyAssertion(assertion, app.appId, tenant, tenantKey);
      if (failure) return failure;
      acr = '2';
    } else if (clientSecret) {
      // The secret *ID* pasted as the value matches no value: the same 7000215 as any wrong value.
      const secret = app.secrets.find((s) => s.value === clientSecret);
      if (!secret) {
        return { status: 401, error: 'invalid_client', code: AADSTS.invalidSecret, message: `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.appId}'.` };
      }
      if (Date.parse(secret.endDateTime) <= ctx.now() || ctx.faults.fires(tenant.tenantId, 'm365.secret_expired')) {
        return { status: 401, error: 'invalid_client', code: AADSTS.secretExpired, message: `The provided client secret keys for app '${app.appId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.` };
      }
      acr = '1';
    } else {
      return { status: 401, error: 'invalid_client', code: AADSTS.noCredential, message: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'." };
    }
    const decidedMs = ctx.now();
    const nowS = Math.floor(decidedMs / 1000);
    const uti = randomUUID().replace(/-/g, '');
    if (world.tokenDecidedMs.size > 100_000) world.tokenDecidedMs.clear();
    world.tokenDecidedMs.set(uti, decidedMs);
    const claims: Record<string, unknown> = {
      aud: 'https://graph.microsoft.com',
      iss: `https://sts.windows.net/${tenant.tenantId}/`,
      iat: nowS,
      nbf: nowS,
      exp: nowS + 3599,
      aio: randomUUID().replace(/-/g, ''),
      app_displayname: app.displayName,
      appid: app.appId,
      appidacr: acr,
      idp: `https://sts.windows.net/${tenant.tenantId}/`,
      idtyp: 'app',
      oid: tenant.consent.servicePrincipalId,
      sub: tenant.consent.servicePrincipalId,
      tid: tenant.tenantId,
      uti,
      ver: '1.0',
    };
    // Roles are fixed when the token is issued: a later grant or revocation shows up only in
    // tokens issued after it. No roles claim at all when nothing is granted (providers.md §1.5).
    const roles = grantedRoles(tenant);
    if (roles.length > 0) claims['roles'] = roles;
    const jwt = await new SignJWT(claims).setProtectedHeader({ typ: 'JWT', alg: 'RS256', kid: 'sandbox-entra' }).sign(signingKey);
    return { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: jwt };
  }

  function grantedRoles(tenant: EntraTenant): string[] {
    if (!tenant.consent || ctx.faults.get(tenant.tenantId, 'm365.consent_revoked')) return [];
    const removed = ctx.faults.get(tenant.tenantId, 'm365.permission_removed');
    return [...tenant.consent.granted].filter((r) => r in GRAPH_APP_ROLES && !(removed && (removed.params['permission'] === undefined || removed.params['permission'] === r)));
  }

  async function verifyAssertion(assertion: string, clientId: string, tenant: EntraTenant, tenantKey: string): Promise<Failure | null> {
    const invalid = (code: number, message: string): Failure => ({ status: 401, error: 'invalid_client', code, message });
    let header;
    try {
      header = decodeProtectedHeader(assertion);
      decodeJwt(assertion);
    } catch {
      return { status: 400, error: 'invalid_request', code: 50027, message: 'JWT token is invalid or malformed.' };
    }
    const x5t = typeof header.x5t === 'string' ? header.x5t : undefined;
    const x5t256 = typeof header['x5t#S256'] === 'string' ? (header['x5t#S256'] as string) : undefined;
    const thumbB64 = x5t256 ?? x5t ?? '';
    const hex = Buffer.from(thumbB64, 'base64url').toString('hex').toUpperCase();
    const cert = world.app.certificates.find((c) => (x5t !== undefined && c.sha1B64u === x5t) || (x5t256 !== undefined && c.sha256B64u === x5t256));
    if (!cert || ctx.faults.fires(tenant.tenantId, 'm365.wrong_certificate') || ctx.faults.fires(tenant.tenantId, 'm365.certificate_not_uploaded')) {
      // https://github.com/AzureAD/microsoft-authentication-library-for-js/issues/8339 (wire text)
      return invalid(AADSTS.certNotRegistered, `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${hex}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${clientId}'. Review the documentation at https://docs.microsoft.com/en-us/graph/deployments to determine the corresponding service endpoint and https://docs.microsoft.com/en-us/graph/api/application-get?view=graph-rest-1.0&tabs=http to build a query request URL, such as 'https://graph.microsoft.com/beta/applications/${clientId}']`);
    }
    if (Date.parse(cert.notAfter) <= ctx.now() || ctx.faults.fires(tenant.tenantId, 'm365.certificate_expired')) {
      // An expired certificate credential is still 700027, with "The key used is expired" as
      // the reason (wire text quoted in Microsoft's own troubleshooting articles and in
      // AzureAD/passport-azure-ad#453).
      return invalid(AADSTS.certNotRegistered, `Client assertion contains an invalid signature. [Reason - The key used is expired., Thumbprint of key used by client: '${hex}', Found key 'Start=${aadDate(cert.notBefore)}, End=${aadDate(cert.notAfter)}']`);
    }
    const alg = String(header.alg ?? '');
    if (alg !== 'RS256' && alg !== 'PS256') {
      return invalid(AADSTS.certNotRegistered, `Client assertion failed signature validation. [Reason - The provided signature value did not match the expected signature value., Thumbprint of key used by client: '${hex}']`);
    }
    // The audience must be this tenant's token endpoint, named the way the request named the tenant.
    const audiences = [...new Set([tenant.tenantId, tenant.domain, tenantKey.toLowerCase()])].flatMap((t) => [
      `https://login.microsoftonline.com/${t}/oauth2/v2.0/token`,
      `${ctx.urls.entra_login}/${t}/oauth2/v2.0/token`,
    ]);
    try {
      const { payload } = await jwtVerify(assertion, publicKeyOf(cert), {
        algorithms: [alg],
        clockTolerance: SKEW_S,
        currentDate: new Date(ctx.now()),
      });
      const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
      if (!aud.some((a) => typeof a === 'string' && audiences.includes(a))) {
        return invalid(700212, `No matching federated identity record found for presented assertion audience '${aud.join(',')}'. Please note that the matching is done using a case-sensitive comparison. Check your federated identity credential Subject, Audience and Issuer against the presented assertion.`);
      }
      if (payload.iss !== clientId || payload.sub !== clientId) {
        return invalid(AADSTS.subjectMismatch, `The client assertion's 'sub' and 'iss' claims must both be the client id: Subject '${String(payload.sub)}' mismatches Issuer '${String(payload.iss)}'.`);
      }
      if (payload.exp === undefined) return invalid(AADSTS.assertionTime, 'Client assertion is missing the exp claim.');
      return null;
    } catch (e) {
      if (e instanceof joseErrors.JWTExpired || (e instanceof joseErrors.JWTClaimValidationFailed && (e.claim === 'nbf' || e.claim === 'exp' || e.claim === 'iat'))) {
        const p = decodeJwt(assertion);
        const iso = (s: unknown) => (typeof s === 'number' ? new Date(s * 1000).toISOString() : 'unknown');
        return invalid(AADSTS.assertionTime, `Client assertion is not within its valid time range. Current time: ${new Date(ctx.now()).toISOString()}, assertion valid from ${iso(p.nbf)}, expiry time of assertion ${iso(p.exp)}. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .`);
      }
      return invalid(AADSTS.certNotRegistered, `Client assertion failed signature validation. [Reason - The provided signature value did not match the expected signature value., Thumbprint of key used by client: '${hex}', Found key 'Start=${aadDate(cert.notBefore)}, End=${aadDate(cert.notAfter)}']`);
    }
  }
}

const keyCache = new WeakMap<RegisteredCertificate, KeyObject>();
function publicKeyOf(cert: RegisteredCertificate): KeyObject {
  let k = keyCache.get(cert);
  if (!k) {
    k = createPublicKey(cert.certificatePem);
    keyCache.set(cert, k);
  }
  return k;
}

/** Entra prints key dates as M/D/YYYY HH:MM:SS (UTC). */
function aadDate(iso: string | undefined): string {
  if (!iso) return 'unknown';
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

export interface GraphClaims {
  readonly roles: string[];
  readonly appid: string;
  readonly tid: string;
  readonly exp: number;
  readonly iat: number;
  readonly uti: string;
}

/** Issued after the last "expire": by the moment Entra decided to issue it where known, else by `iat`. */
function issuedSinceExpiry(world: MicrosoftWorld, claims: GraphClaims): boolean {
  const decided = world.tokenDecidedMs.get(claims.uti);
  return decided !== undefined ? decided >= world.tokensValidFromMs : claims.iat * 1000 >= Math.floor(world.tokensValidFromMs / 1000) * 1000;
}

/**
 * Graph's verification of tokens the sandbox issued; returns the claims or null. Verified
 * tokens are remembered until they expire: a benchmark sends the same token a thousand
 * times, and RSA verification would otherwise dominate a page.
 */
const verifiedByWorld = new WeakMap<MicrosoftWorld, Map<string, GraphClaims>>();
export async function verifyGraphToken(world: MicrosoftWorld, token: string, nowMs: number): Promise<GraphClaims | null> {
  let verified = verifiedByWorld.get(world);
  if (!verified) {
    verified = new Map();
    verifiedByWorld.set(world, verified);
  }
  const hit = verified.get(token);
  if (hit) return hit.exp * 1000 > nowMs && issuedSinceExpiry(world, hit) ? hit : null;
  try {
    const { payload } = await jwtVerify(token, createPublicKey(world.credentials.signingKey.publicKeyPem), {
      audience: ['https://graph.microsoft.com', '00000003-0000-0000-c000-000000000000'],
      currentDate: new Date(nowMs),
    });
    const claims: GraphClaims = {
      roles: Array.isArray(payload['roles']) ? (payload['roles'] as string[]) : [],
      appid: String(payload['appid'] ?? ''),
      tid: String(payload['tid'] ?? ''),
      exp: payload.exp ?? 0,
      iat: payload.iat ?? 0,
      uti: String(payload['uti'] ?? ''),
    };
    if (!issuedSinceExpiry(world, claims)) return null;
    if (verified.size > 10_000) verified.clear();
    verified.set(token, claims);
    return claims;
  } catch {
    return null;
  }
}

export const KNOWN_ROLE_NAMES = Object.keys(GRAPH_APP_ROLES);
