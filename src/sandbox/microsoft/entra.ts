import { randomUUID, createPublicKey, createPrivateKey } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SignJWT, decodeProtectedHeader, jwtVerify, errors as joseErrors } from 'jose';
import { readBody, requestUrl, sendJson } from '../http.js';
import type { SandboxContext } from '../types.js';
import { GRAPH_APP_ROLES, type MicrosoftWorld } from './world.js';

/**
 * Entra ID's v2.0 token endpoint for the client-credentials grant (providers.md §1), with the
 * real error bodies: `error`, `error_description` (AADSTS prefix + trace lines joined by \r\n),
 * `error_codes`, `timestamp`, `trace_id`, `correlation_id`, `error_uri`.
 * https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow
 */
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export function aadError(res: ServerResponse, status: number, error: string, code: number, message: string): void {
  const now = new Date();
  const timestamp = now.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  const trace = randomUUID();
  const correlation = randomUUID();
  sendJson(res, status, {
    error,
    error_description: `AADSTS${code}: ${message}\r\nTrace ID: ${trace}\r\nCorrelation ID: ${correlation}\r\nTimestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: trace,
    correlation_id: correlation,
    error_uri: `https://login.microsoftonline.com/error?code=${code}`,
  });
}

export function createEntraListener(ctx: SandboxContext, world: MicrosoftWorld) {
  const signingKey = createPrivateKey(world.credentials.signingKey.privateKeyPem);

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = requestUrl(req);
    const m = /^\/([^/]+)\/(oauth2\/v2\.0\/token|v2\.0\/\.well-known\/openid-configuration|adminconsent|v2\.0\/adminconsent)$/.exec(url.pathname);
    if (!m) return sendJson(res, 404, { error: 'not_found' });
    const tenant = decodeURIComponent(m[1]!);
    const what = m[2]!;
    if (!GUID.test(tenant) && !/^[a-z0-9.-]+\.[a-z]{2,}$/i.test(tenant) && tenant !== 'common' && tenant !== 'organizations') {
      return aadError(res, 400, 'invalid_request', 900023, `Specified tenant identifier '${tenant}' is neither a valid DNS name, nor a valid external domain.`);
    }
    const known = tenant.toLowerCase() === world.tenantId || tenant.toLowerCase() === world.domain;
    if (!known) {
      const status = what.includes('openid') ? 'invalid_tenant' : 'invalid_request';
      return aadError(res, 400, status, 90002, `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`);
    }
    if (what.endsWith('openid-configuration')) {
      const base = `${ctx.urls.entra_login}/${world.tenantId}`;
      return sendJson(res, 200, {
        token_endpoint: `${base}/oauth2/v2.0/token`,
        issuer: `https://login.microsoftonline.com/${world.tenantId}/v2.0`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        jwks_uri: `${ctx.urls.entra_login}/${world.tenantId}/discovery/v2.0/keys`,
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      });
    }
    if (what.endsWith('adminconsent')) return adminConsent(url, res);
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'invalid_request' });
    const form = new URLSearchParams((await readBody(req, 1 << 20)).toString('utf8'));
    return token(req, res, form);
  };

  function adminConsent(url: URL, res: ServerResponse): void {
    const clientId = url.searchParams.get('client_id');
    const redirect = url.searchParams.get('redirect_uri');
    const state = url.searchParams.get('state') ?? '';
    if (!redirect) return aadError(res, 400, 'invalid_request', 900144, "The request body must contain the following parameter: 'redirect_uri'.");
    const target = new URL(redirect);
    if (clientId !== world.app.appId || ctx.faults.fires(world.tenantId, 'm365.app_deleted')) {
      target.searchParams.set('error', 'unauthorized_client');
      target.searchParams.set('error_description', `AADSTS700016: Application with identifier '${clientId}' was not found in the directory '${world.tenantId}'.`);
    } else {
      // The sandbox's admin approves: every configured application permission is granted.
      for (const p of world.app.requiredPermissions) world.app.granted.add(p);
      target.searchParams.set('tenant', world.tenantId);
      target.searchParams.set('admin_consent', 'True');
    }
    target.searchParams.set('state', state);
    res.writeHead(302, { location: target.toString() });
    res.end();
  }

  async function token(req: IncomingMessage, res: ServerResponse, form: URLSearchParams): Promise<void> {
    // Unknown params (MSAL telemetry such as x-client-SKU) are ignored, as Entra does.
    let clientId = form.get('client_id');
    let clientSecret = form.get('client_secret');
    const basic = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? '');
    if (basic) {
      const [id, secret] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':');
      clientId ??= decodeURIComponent(id ?? '');
      clientSecret ??= decodeURIComponent(secret ?? '');
    }
    for (const p of ['grant_type', 'scope'] as const) {
      if (!form.get(p)) return aadError(res, 400, 'invalid_request', 900144, `The request body must contain the following parameter: '${p}'.`);
    }
    if (!clientId) return aadError(res, 400, 'invalid_request', 900144, "The request body must contain the following parameter: 'client_id'.");
    if (form.get('grant_type') !== 'client_credentials') {
      return aadError(res, 400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.');
    }
    const scope = form.get('scope')!;
    if (!/\/\.default$/.test(scope.trim())) {
      return aadError(res, 400, 'invalid_scope', 1002012, `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`);
    }
    const app = world.app;
    if (clientId !== app.appId || ctx.faults.fires(world.tenantId, 'm365.app_deleted')) {
      return aadError(res, 400, 'unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory '${world.tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`);
    }
    let acr: '1' | '2';
    const assertion = form.get('client_assertion');
    if (assertion) {
      if (form.get('client_assertion_type') !== ASSERTION_TYPE) {
        return aadError(res, 400, 'invalid_request', 900144, "The request body must contain the following parameter: 'client_assertion_type'.");
      }
      const failure = await verifyAssertion(assertion, clientId);
      if (failure) return aadError(res, 401, 'invalid_client', failure.code, failure.message);
      acr = '2';
    } else if (clientSecret) {
      const secret = app.secrets.find((s) => s.value === clientSecret);
      if (!secret) {
        return aadError(res, 401, 'invalid_client', 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.appId}'.`);
      }
      if (Date.parse(secret.endDateTime) <= ctx.now() || ctx.faults.fires(world.tenantId, 'm365.secret_expired')) {
        return aadError(res, 401, 'invalid_client', 7000222, `The provided client secret keys for app '${app.appId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`);
      }
      acr = '1';
    } else {
      return aadError(res, 401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
    }
    const roles = ctx.faults.get(world.tenantId, 'm365.consent_revoked')
      ? []
      : [...app.granted].filter((r) => {
          const removed = ctx.faults.get(world.tenantId, 'm365.permission_removed');
          return !(removed && (removed.params['permission'] === undefined || removed.params['permission'] === r));
        });
    const nowS = Math.floor(ctx.now() / 1000);
    const claims: Record<string, unknown> = {
      aud: 'https://graph.microsoft.com',
      iss: `https://sts.windows.net/${world.tenantId}/`,
      iat: nowS,
      nbf: nowS,
      exp: nowS + 3599,
      tid: world.tenantId,
      oid: app.servicePrincipalId,
      sub: app.servicePrincipalId,
      appid: app.appId,
      appidacr: acr,
      idtyp: 'app',
      ver: '1.0',
      uti: randomUUID().replace(/-/g, ''),
    };
    // No roles claim at all when nothing was granted, as Entra issues it (providers.md §1.5).
    if (roles.length > 0) claims['roles'] = roles;
    const jwt = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: 'sandbox-entra' }).sign(signingKey);
    sendJson(res, 200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: jwt });
  }

  async function verifyAssertion(assertion: string, clientId: string): Promise<{ code: number; message: string } | null> {
    let header;
    try {
      header = decodeProtectedHeader(assertion);
    } catch {
      return { code: 700025, message: 'Client assertion is not a valid JWT.' };
    }
    const x5t = typeof header.x5t === 'string' ? header.x5t : undefined;
    const x5t256 = typeof header['x5t#S256'] === 'string' ? (header['x5t#S256'] as string) : undefined;
    const thumb = x5t ?? x5t256 ?? '';
    const cert = world.app.certificates.find((c) => c.sha1B64u === x5t || c.sha256B64u === x5t256);
    const hex = Buffer.from(thumb, 'base64url').toString('hex').toUpperCase();
    const notRegistered = `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${hex}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${clientId}'. Review the documentation at https://docs.microsoft.com/en-us/graph/deployments to determine the corresponding service endpoint and https://docs.microsoft.com/en-us/graph/api/application-get?view=graph-rest-1.0&tabs=http to build a query request URL, such as 'https://graph.microsoft.com/beta/applications/${clientId}']`;
    if (!cert || ctx.faults.fires(world.tenantId, 'm365.wrong_certificate') || ctx.faults.fires(world.tenantId, 'm365.certificate_not_uploaded')) {
      return { code: 700027, message: notRegistered };
    }
    if (Date.parse(cert.notAfter) <= ctx.now() || ctx.faults.fires(world.tenantId, 'm365.certificate_expired')) {
      return { code: 700027, message: `Client assertion failed signature validation. [Reason - The key used is expired., Thumbprint of key used by client: '${hex}', Found key 'Start=…, End=${cert.notAfter}']` };
    }
    const audiences = [
      `https://login.microsoftonline.com/${world.tenantId}/oauth2/v2.0/token`,
      `https://login.microsoftonline.com/${world.domain}/oauth2/v2.0/token`,
      `${ctx.urls.entra_login}/${world.tenantId}/oauth2/v2.0/token`,
      `${ctx.urls.entra_login}/${world.domain}/oauth2/v2.0/token`,
    ];
    try {
      const { payload } = await jwtVerify(assertion, createPublicKey(cert.certificatePem), {
        algorithms: ['RS256', 'PS256'],
        audience: audiences,
        clockTolerance: 300,
        currentDate: new Date(ctx.now()),
      });
      if (payload.iss !== clientId || payload.sub !== clientId) {
        return { code: 50048, message: `Subject mismatches Issuer. Claim 'iss' and 'sub' of the client assertion must be the client id '${clientId}'.` };
      }
      if (!payload.jti) return { code: 700024, message: 'Client assertion is missing the jti claim.' };
      if (payload.exp === undefined) return { code: 700024, message: 'Client assertion is missing the exp claim.' };
      return null;
    } catch (e) {
      if (e instanceof joseErrors.JWTExpired) return { code: 700024, message: 'Client assertion is not within its valid time range.' };
      if (e instanceof joseErrors.JWTClaimValidationFailed && e.claim === 'aud') {
        return { code: 700212, message: `No matching federated identity record found for presented assertion audience '${String(e.payload.aud)}'.` };
      }
      return { code: 700027, message: 'Client assertion contains an invalid signature.' };
    }
  }
}

/** Graph's verification of tokens the sandbox issued; returns the claims or null. */
export async function verifyGraphToken(world: MicrosoftWorld, token: string, nowMs: number): Promise<{ roles: string[]; appid: string } | null> {
  try {
    const { payload } = await jwtVerify(token, createPublicKey(world.credentials.signingKey.publicKeyPem), {
      audience: ['https://graph.microsoft.com', '00000003-0000-0000-c000-000000000000'],
      currentDate: new Date(nowMs),
    });
    return { roles: Array.isArray(payload['roles']) ? (payload['roles'] as string[]) : [], appid: String(payload['appid'] ?? '') };
  } catch {
    return null;
  }
}

export const KNOWN_ROLE_NAMES = Object.keys(GRAPH_APP_ROLES);
