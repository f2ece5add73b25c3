import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, requestUrl, sendJson } from '../http.js';
import { decodeJwt, verifiedByAny } from './jwt.js';
import type { GoogleSim } from './sim.js';
import type { GoogleSignIn } from './oauth-signin.js';
import { customerOfDomain, domainOf, lookupUser } from './world.js';

/**
 * The OAuth 2.0 token endpoint for service accounts: the JWT-bearer grant (RFC 7523) with
 * optional domain-wide delegation (`sub`). Error `error`/`error_description` pairs are the
 * ones Google is seen to send (providers.md §3.3).
 * https://developers.google.com/identity/protocols/oauth2/service-account#httprest
 */
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const MAX_LIFETIME_S = 3600;
/** Google tolerates a few minutes of clock skew on iat/exp. */
const SKEW_S = 300;

export const INVALID_SIGNATURE = 'Invalid JWT Signature.';
export const SHORT_LIVED =
  'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.';
export const ACCOUNT_NOT_FOUND = 'Invalid grant: account not found';
export const ROBOT_DISABLED = 'Robot is disabled.';
export const INVALID_SUBJECT = 'Invalid email or User ID';
export const UNAUTHORIZED_CLIENT =
  'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.';

export function oauthService(sim: GoogleSim, signIn?: GoogleSignIn) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = requestUrl(req);
    // Google's clock, which google.clock_skew moves; a client can read the skew from here.
    res.setHeader('date', new Date(sim.now()).toUTCString());
    if (req.method === 'POST' && (url.pathname === '/token' || url.pathname === '/oauth2/v4/token')) return token(sim, req, res, signIn);
    // "Sign in with Google" (oauth-signin.ts): the authorize page, discovery, the JWKS.
    if (signIn && (await signIn.handle(req, res, url))) return;
    if (url.pathname === '/tokeninfo' || url.pathname === '/oauth2/v3/tokeninfo') return tokenInfo(sim, req, res, url);
    sendJson(res, 404, { error: 'not_found', error_description: `No route ${req.method} ${url.pathname}` });
  };
}

function oauthError(res: ServerResponse, status: number, error: string, description: string): void {
  // The token endpoint answers RFC 6749 §5.2 bodies, not Google's API error shape.
  sendJson(res, status, { error, error_description: description }, { 'cache-control': 'no-cache, no-store, max-age=0, must-revalidate', pragma: 'no-cache' });
}

async function token(sim: GoogleSim, req: IncomingMessage, res: ServerResponse, signIn: GoogleSignIn | undefined): Promise<void> {
  const form = new URLSearchParams((await readBody(req, 1 << 20)).toString('utf8'));
  const grantType = form.get('grant_type');
  if (grantType === 'authorization_code' && signIn) return signIn.token(req, res, form);
  if (grantType !== JWT_BEARER) return oauthError(res, 400, 'unsupported_grant_type', `Invalid grant_type: ${grantType ?? ''}`);
  const assertion = form.get('assertion');
  const jwt = assertion ? decodeJwt(assertion) : null;
  if (!jwt) return oauthError(res, 400, 'invalid_grant', 'Bad Request');
  const c = jwt.claims;
  const iss = typeof c['iss'] === 'string' ? c['iss'] : '';
  if (!/^[^@\s]+@[^@\s]+$/.test(iss)) return oauthError(res, 400, 'invalid_grant', 'Not a valid email.');
  const wantsSub = c['sub'] !== undefined && c['sub'] !== iss;
  const account = sim.serviceAccountState(iss);
  if (!account) return oauthError(res, 400, 'invalid_grant', ACCOUNT_NOT_FOUND);
  if (account.state === 'deleted') {
    // A deleted account's client id is gone too: delegation requests (which name the client)
    // are told so (R: GAM reports "deleted_client: The OAuth client was deleted.").
    return wantsSub ? oauthError(res, 401, 'deleted_client', 'The OAuth client was deleted.') : oauthError(res, 400, 'invalid_grant', ACCOUNT_NOT_FOUND);
  }
  if (account.state === 'disabled') return oauthError(res, 400, 'invalid_grant', ROBOT_DISABLED);
  const sa = account.sa;
  // A deleted or rotated user-managed key no longer verifies (the kid, when sent, picks the key).
  if (!verifiedByAny(jwt, [...sim.userManagedKeys(sa), sa.googleManagedKey])) return oauthError(res, 400, 'invalid_grant', INVALID_SIGNATURE);

  const nowS = Math.floor(sim.now() / 1000);
  const iat = typeof c['iat'] === 'number' ? c['iat'] : NaN;
  const exp = typeof c['exp'] === 'number' ? c['exp'] : NaN;
  if (!(exp - iat <= MAX_LIFETIME_S && exp > iat && iat <= nowS + SKEW_S && exp >= nowS - SKEW_S)) {
    return oauthError(res, 400, 'invalid_grant', SHORT_LIVED);
  }
  const audOk = [
    'https://oauth2.googleapis.com/token',
    'https://www.googleapis.com/oauth2/v4/token',
    `${sim.ctx.urls.google_oauth}/token`,
  ].includes(String(c['aud']));
  if (!audOk) return oauthError(res, 400, 'invalid_grant', 'Invalid JWT: Failed audience check. The expected audience is https://oauth2.googleapis.com/token.');
  const scopes = typeof c['scope'] === 'string' ? c['scope'].split(/\s+/).filter(Boolean) : [];
  if (scopes.length === 0) return oauthError(res, 400, 'invalid_scope', 'Invalid OAuth scope or ID token audience provided.');

  let sub: string | null = null;
  if (wantsSub) {
    const key = String(c['sub']).trim().toLowerCase();
    const hit = lookupUser(sim.world, key);
    const customer = hit?.customer ?? (key.includes('@') ? customerOfDomain(sim.world, domainOf(key)) : undefined);
    if (!customer) return oauthError(res, 400, 'invalid_grant', key.includes('@') ? INVALID_SUBJECT : 'Not a valid email.');
    // Domain-wide delegation: the client id must be authorised in the user's customer for
    // every requested scope (exact strings), https://support.google.com/a/answer/162106.
    // Every scope is asked (no short-circuit): each request counts toward propagation.
    const allowed = scopes.map((s) => sim.delegationAllows(customer, sa.uniqueId, s));
    if (!allowed.every(Boolean)) return oauthError(res, 401, 'unauthorized_client', UNAUTHORIZED_CLIENT);
    if (!hit) {
      // A user deleted in the last 20 days is still known as deleted (R: GAM-team/GAM#1171).
      return oauthError(res, 400, 'invalid_grant', customer.users.getDeleted(key) ? 'Account has been deleted' : INVALID_SUBJECT);
    }
    if (hit.user.suspended) return oauthError(res, 400, 'invalid_grant', INVALID_SUBJECT);
    sub = hit.user.primaryEmail;
  }
  const issued = sim.tokens.issue({ serviceAccount: sa.email, sub, scopes, projectId: sa.projectId, expiresAtMs: sim.now() + 3599_000 });
  sim.stats.requests['oauth2.token'] = (sim.stats.requests['oauth2.token'] ?? 0) + 1;
  sendJson(res, 200, { access_token: issued.token, expires_in: 3599, token_type: 'Bearer' }, { 'cache-control': 'no-cache, no-store, max-age=0, must-revalidate' });
}

/**
 * tokeninfo tells the numeric client id (`azp`) behind a service account's token — the id
 * an admin authorises for domain-wide delegation.
 * https://developers.google.com/identity/sign-in/web/backend-auth#calling-the-tokeninfo-endpoint
 */
async function tokenInfo(sim: GoogleSim, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  let accessToken = url.searchParams.get('access_token');
  if (!accessToken && req.method === 'POST') accessToken = new URLSearchParams((await readBody(req, 1 << 16)).toString('utf8')).get('access_token');
  const t = accessToken ? sim.tokens.lookup(accessToken, sim.now()) : null;
  if (!t) return oauthError(res, 400, 'invalid_token', 'Invalid Value');
  const sa = sim.serviceAccount(t.serviceAccount);
  const expiresIn = Math.max(0, Math.floor((t.expiresAtMs - sim.now()) / 1000));
  sendJson(res, 200, {
    azp: sa?.uniqueId ?? '',
    aud: sa?.uniqueId ?? '',
    ...(t.sub ? { sub: t.sub } : {}),
    scope: t.scopes.join(' '),
    exp: String(Math.floor(t.expiresAtMs / 1000)),
    expires_in: String(expiresIn),
    access_type: 'online',
  });
}
