import { AppError, toAppError } from '../../errors/index.js';
import type { CheckResult } from '../sdk/index.js';
import { failure, looksHtml, notScim, parseBody, parseScimError, scimCall, type ScimDeps } from './http.js';
import { listResponse, serviceProviderConfig, SERVICE_PROVIDER_CONFIG } from './wire.js';

/**
 * The connection doctor for a SCIM app, in the order an admin would look: the endpoint
 * answers and is SCIM, the token is accepted, users and groups can be listed, PATCH is
 * supported (write-back only), the token's recorded expiry, and clock agreement. A check
 * whose prerequisite failed is 'skipped', so exactly the broken link shows.
 */
export const EXPIRY_WARNING_DAYS = 30;
export const CLOCK_SKEW_WARNING_MS = 5 * 60_000;
const DAY = 86_400_000;

export async function runChecks(deps: ScimDeps): Promise<CheckResult[]> {
  const { config } = deps;
  const baseUrl = config.baseUrl;
  const out: CheckResult[] = [];
  const pass = (id: string, label: string, detail?: string): void => void out.push({ id, label, status: 'pass', ...(detail ? { detail } : {}) });
  const fail = (id: string, label: string, e: unknown): void => void out.push({ id, label, status: 'fail', error: toAppError(e).toJSON() });
  const warn = (id: string, label: string, e: AppError, detail: string): void => void out.push({ id, label, status: 'warning', error: e.toJSON(), detail });
  const skip = (id: string, label: string, detail: string): void => void out.push({ id, label, status: 'skipped', detail });
  const L = {
    endpoint: `SCIM endpoint answers at ${baseUrl}`,
    token: 'The app accepts the bearer token',
    users: 'Users can be listed (GET /Users)',
    groups: 'Groups can be listed (GET /Groups)',
    patch: 'The app supports PATCH (needed to write revocations back)',
    expiry: 'The bearer token is not about to expire',
    clock: "The app's clock agrees with Syncwarden's",
  };
  const now = deps.ctx.now().getTime();

  // The token's recorded expiry needs no request.
  const expiry = (): void => {
    if (!config.tokenExpiresAt) return skip('token_expiry', L.expiry, 'No expiry date is recorded on the connection; the app does not tell clients when a token expires.');
    const at = Date.parse(config.tokenExpiresAt);
    const date = config.tokenExpiresAt.slice(0, 10);
    if (at <= now) return fail('token_expiry', L.expiry, new AppError('scim.token_expired', { baseUrl, expiredAt: ` on ${date}` }));
    const days = Math.floor((at - now) / DAY);
    if (days < EXPIRY_WARNING_DAYS) return warn('token_expiry', L.expiry, new AppError('scim.token_expiring', { baseUrl, expiresAt: date, days }), `expires on ${date}`);
    pass('token_expiry', L.expiry, `expires on ${date} (in ${days} days)`);
  };

  // 1. The endpoint, through the document every SCIM server has (RFC 7644 §4).
  let patchSupported: boolean | null = null;
  let spcRead = false;
  let date: string | null = null;
  try {
    const res = await scimCall(deps, 'GET', '/ServiceProviderConfig');
    date = res.headers.get('date');
    if (looksHtml(res)) throw notScim(deps, res, 'GET /ServiceProviderConfig');
    if (res.status === 200) {
      const spc = parseBody(deps, res, serviceProviderConfig, 'GET /ServiceProviderConfig');
      if (!spc.patch && !spc.schemas?.includes(SERVICE_PROVIDER_CONFIG)) throw notScim(deps, res, 'GET /ServiceProviderConfig');
      patchSupported = spc.patch ? spc.patch.supported : null;
      spcRead = true;
      pass('endpoint', L.endpoint);
    } else if ((res.status === 401 || res.status === 403) && parseScimError(res)) {
      // A SCIM error body: this is a SCIM server, which wants the token even for discovery.
      pass('endpoint', L.endpoint, 'answers SCIM errors; its discovery documents need an accepted token');
    } else throw failure(deps, res, 'its configuration', 'GET /ServiceProviderConfig');
  } catch (e) {
    fail('endpoint', L.endpoint, e);
    const why = 'needs the SCIM endpoint to answer';
    skip('token', L.token, why);
    skip('list:users', L.users, why);
    skip('list:groups', L.groups, why);
    skip('patch', L.patch, config.writeBack ? why : 'write-back is off for this connection');
    expiry();
    skip('clock_skew', L.clock, why);
    return out;
  }

  // 2. The token and listing users: one GET /Users with count=1 answers both.
  let tokenOk = false;
  try {
    const res = await scimCall(deps, 'GET', '/Users', { query: { startIndex: 1, count: 1, excludedAttributes: 'groups' } });
    if (res.status !== 200) throw failure(deps, res, 'users', 'GET /Users');
    const list = parseBody(deps, res, listResponse, 'GET /Users');
    pass('token', L.token);
    pass('list:users', L.users, `${list.totalResults} users`);
    tokenOk = true;
  } catch (e) {
    const err = toAppError(e);
    if (err.code === 'scim.token_invalid' || err.code === 'scim.token_expired') {
      fail('token', L.token, err);
      skip('list:users', L.users, 'needs an accepted token');
    } else {
      pass('token', L.token);
      fail('list:users', L.users, err);
      tokenOk = true;
    }
  }

  // 3. Listing groups (without members: only the permission is in question).
  if (!tokenOk) skip('list:groups', L.groups, 'needs an accepted token');
  else {
    try {
      const res = await scimCall(deps, 'GET', '/Groups', { query: { startIndex: 1, count: 1, excludedAttributes: 'members' } });
      if (res.status !== 200) throw failure(deps, res, 'groups', 'GET /Groups');
      const list = parseBody(deps, res, listResponse, 'GET /Groups');
      pass('list:groups', L.groups, `${list.totalResults} groups`);
    } catch (e) {
      fail('list:groups', L.groups, e);
    }
  }

  // 4. PATCH, as the app advertises it.
  if (!config.writeBack) skip('patch', L.patch, 'write-back is off for this connection');
  else if (!spcRead) skip('patch', L.patch, tokenOk ? 'the app did not show its ServiceProviderConfig' : 'needs an accepted token to read the ServiceProviderConfig');
  else if (patchSupported === false) fail('patch', L.patch, new AppError('scim.patch_unsupported', { baseUrl }));
  else if (patchSupported === null) out.push({ id: 'patch', label: L.patch, status: 'warning', detail: 'the ServiceProviderConfig does not say whether PATCH is supported; the first revocation will tell' });
  else pass('patch', L.patch);

  // 5. Token expiry, 6. clock.
  expiry();
  const theirs = date ? Date.parse(date) : Number.NaN;
  if (Number.isNaN(theirs)) skip('clock_skew', L.clock, 'the app sent no Date header');
  else {
    const skew = Math.abs(theirs - now);
    // HTTP dates have whole seconds; only minutes matter here.
    if (skew > CLOCK_SKEW_WARNING_MS) {
      const minutes = Math.round(skew / 60_000);
      warn('clock_skew', L.clock, new AppError('scim.clock_skew', { minutes }), `differs by ${minutes} minutes`);
    } else pass('clock_skew', L.clock);
  }
  return out;
}
