import { createHash, randomInt } from 'node:crypto';
import { readBody, sendJson } from '../http.js';
import type { ApiCall, ApiRoute } from './apis.js';
import { sendGoogleError } from './errors.js';
import type { GoogleSim } from './sim.js';
import { addUser, domainOf, findUser, SCOPES, type User } from './world.js';

/**
 * Admin SDK Directory API v1, users: get, list, insert.
 * https://developers.google.com/admin-sdk/directory/reference/rest/v1/users
 */
const BASE = '/admin/directory/v1';
const READ = [SCOPES.directoryUser, SCOPES.directoryUserReadonly];
const MAX_RESULTS = 500;
const FORBIDDEN = 'Not Authorized to access this resource/api';

export const directoryRoutes: readonly ApiRoute[] = [
  { api: 'admin', httpMethod: 'GET', pattern: new RegExp(`^${BASE}/users$`), id: 'directory.users.list', units: 1, scopes: READ, handle: listUsers },
  { api: 'admin', httpMethod: 'POST', pattern: new RegExp(`^${BASE}/users$`), id: 'directory.users.insert', units: 1, scopes: [SCOPES.directoryUser], handle: insertUser },
  { api: 'admin', httpMethod: 'GET', pattern: new RegExp(`^${BASE}/users/([^/]+)$`), id: 'directory.users.get', units: 1, scopes: READ, handle: getUser },
];

export function userResource(sim: GoogleSim, u: User): Record<string, unknown> {
  const created = new Date(u.creationTime).toISOString();
  const mailboxReady = sim.now() >= u.creationTime + sim.world.quotas.newUserMailDelayMs;
  return {
    kind: 'admin#directory#user',
    id: u.id,
    etag: `"${createHash('sha1').update(`${u.id}:${u.primaryEmail}:${u.givenName}:${u.familyName}:${u.suspended}:${sim.isAdmin(u)}`).digest('base64url')}"`,
    primaryEmail: u.primaryEmail,
    name: { givenName: u.givenName, familyName: u.familyName, fullName: `${u.givenName} ${u.familyName}` },
    isAdmin: sim.isAdmin(u),
    isDelegatedAdmin: false,
    lastLoginTime: '1970-01-01T00:00:00.000Z',
    creationTime: created,
    agreedToTerms: false,
    suspended: u.suspended,
    archived: false,
    changePasswordAtNextLogin: u.changePasswordAtNextLogin,
    ipWhitelisted: false,
    emails: [{ address: u.primaryEmail, primary: true }, ...u.aliases.map((a) => ({ address: a }))],
    ...(u.aliases.length ? { aliases: u.aliases } : {}),
    nonEditableAliases: [],
    customerId: sim.world.customerId,
    orgUnitPath: u.orgUnitPath,
    isMailboxSetup: mailboxReady,
    isEnrolledIn2Sv: false,
    isEnforcedIn2Sv: false,
    includeInGlobalAddressList: true,
  };
}

function getUser(call: ApiCall): void {
  const user = findUser(call.sim.world, call.params[0] ?? '');
  if (!user) return sendGoogleError(call.res, 404, 'Resource Not Found: userKey', { reason: 'notFound' });
  sendJson(call.res, 200, userResource(call.sim, user));
}

function listUsers(call: ApiCall): void {
  const { sim, url, res } = call;
  const customer = url.searchParams.get('customer');
  const domain = url.searchParams.get('domain')?.toLowerCase();
  if (!customer && !domain) return sendGoogleError(res, 400, 'Bad Request', { reason: 'badRequest' });
  if (customer && customer !== 'my_customer' && customer !== sim.world.customerId) return sendGoogleError(res, 403, FORBIDDEN, { reason: 'forbidden' });
  if (domain && !sim.world.domains.includes(domain)) return sendGoogleError(res, 403, FORBIDDEN, { reason: 'forbidden' });
  const maxRaw = url.searchParams.get('maxResults');
  const max = maxRaw === null ? 100 : Number(maxRaw);
  if (!Number.isInteger(max) || max < 1 || max > MAX_RESULTS) {
    return sendGoogleError(res, 400, `Invalid value '${maxRaw}'. Values must be within the range: [1, ${MAX_RESULTS}]`, { reason: 'invalidParameter', location: 'maxResults', locationType: 'parameter' });
  }
  const offset = decodePageToken(url.searchParams.get('pageToken'));
  if (offset === null) return sendGoogleError(res, 400, 'Invalid Input: pageToken', { reason: 'invalid' });
  const orderBy = url.searchParams.get('orderBy') ?? 'email';
  const desc = url.searchParams.get('sortOrder') === 'DESCENDING';
  const key = (u: User): string => (orderBy === 'givenName' ? u.givenName : orderBy === 'familyName' ? u.familyName : u.primaryEmail).toLowerCase();
  const all = [...sim.world.users.values()]
    .filter((u) => !domain || domainOf(u.primaryEmail) === domain)
    .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.primaryEmail < b.primaryEmail ? -1 : 1) * (desc ? -1 : 1));
  const page = all.slice(offset, offset + max);
  const body: Record<string, unknown> = { kind: 'admin#directory#users', etag: `"${createHash('sha1').update(String(all.length)).digest('base64url')}"` };
  if (page.length) body['users'] = page.map((u) => userResource(sim, u));
  if (offset + max < all.length) body['nextPageToken'] = encodePageToken(offset + max);
  sendJson(res, 200, body);
}

async function insertUser(call: ApiCall): Promise<void> {
  const { sim, res } = call;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse((await readBody(call.req, 1 << 20)).toString('utf8') || '{}') as Record<string, unknown>;
  } catch {
    return sendGoogleError(res, 400, 'Invalid JSON payload received.', { reason: 'parseError' });
  }
  const primaryEmail = typeof body['primaryEmail'] === 'string' ? body['primaryEmail'].trim().toLowerCase() : '';
  const name = (typeof body['name'] === 'object' && body['name'] !== null ? body['name'] : {}) as Record<string, unknown>;
  const givenName = typeof name['givenName'] === 'string' ? name['givenName'].trim() : '';
  const familyName = typeof name['familyName'] === 'string' ? name['familyName'].trim() : '';
  const password = typeof body['password'] === 'string' ? body['password'] : '';
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(primaryEmail)) return sendGoogleError(res, 400, 'Invalid Input: primary_user_email', { reason: 'invalid' });
  if (!givenName) return sendGoogleError(res, 400, 'Invalid Given/Family Name: GivenName', { reason: 'invalid' });
  if (!familyName) return sendGoogleError(res, 400, 'Invalid Given/Family Name: FamilyName', { reason: 'invalid' });
  // Passwords must be 8–100 characters (https://support.google.com/a/answer/139399).
  if (password.length < 8 || password.length > 100) return sendGoogleError(res, 400, 'Invalid Password', { reason: 'invalid' });
  // A domain the customer does not own is refused as not authorised (R: SCRT-HQ/PSGSuite#191).
  if (!sim.world.domains.includes(domainOf(primaryEmail))) return sendGoogleError(res, 403, FORBIDDEN, { reason: 'forbidden' });
  if (findUser(sim.world, primaryEmail)) return sendGoogleError(res, 409, 'Entity already exists.', { reason: 'duplicate' });
  if (sim.fault('google.user_create_failing')) {
    // The licence ceiling, as GAM and others report it: 412 "Domain user limit reached." (limitExceeded).
    return sendGoogleError(res, 412, 'Domain user limit reached.', { reason: 'limitExceeded', status: 'FAILED_PRECONDITION' });
  }
  let id = '';
  do id = `1${Array.from({ length: 20 }, () => randomInt(10)).join('')}`;
  while (sim.world.users.has(id));
  const user = addUser(sim.world, {
    id,
    primaryEmail,
    givenName,
    familyName,
    isAdmin: false,
    creationTime: sim.now(),
    changePasswordAtNextLogin: body['changePasswordAtNextLogin'] === true,
  });
  sendJson(res, 200, userResource(sim, user));
}

function encodePageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ v: 1, o: offset })).toString('base64url');
}

function decodePageToken(token: string | null): number | null {
  if (!token) return 0;
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { v?: unknown; o?: unknown };
    return v.v === 1 && typeof v.o === 'number' && Number.isInteger(v.o) && v.o >= 0 ? v.o : null;
  } catch {
    return null;
  }
}
