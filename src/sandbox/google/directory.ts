import { randomInt } from 'node:crypto';
import type { ApiCall, ApiRoute } from './apis.js';
import type { Customer } from './customer.js';
import type { UserRecord } from './directory-model.js';
import { decodePageToken, encodePageToken, etagOf, FORBIDDEN, isOwnEmail, jsonBody, maxResults, notFound, ownCustomer, ownDomain, sendNoContent, sendResource } from './directory-http.js';
import { sendGoogleError } from './errors.js';
import type { GoogleSim } from './sim.js';
import { parseUserQuery } from './users-query.js';
import { addUser, domainOf, SCOPES } from './world.js';

/**
 * Admin SDK Directory API v1, users: list, get, insert, delete.
 * https://developers.google.com/admin-sdk/directory/reference/rest/v1/users
 */
const BASE = '/admin/directory/v1';
// Scopes per method from the discovery document (users.list also accepts cloud-platform).
const READ = [SCOPES.directoryUser, SCOPES.directoryUserReadonly];
const MAX_RESULTS = 500;
const NEVER = '1970-01-01T00:00:00.000Z';

export const directoryRoutes: readonly ApiRoute[] = [
  { api: 'admin', httpMethod: 'GET', pattern: new RegExp(`^${BASE}/users$`), id: 'directory.users.list', units: 1, scopes: [...READ, SCOPES.cloudPlatform], area: 'users', handle: listUsers },
  { api: 'admin', httpMethod: 'POST', pattern: new RegExp(`^${BASE}/users$`), id: 'directory.users.insert', units: 1, scopes: [SCOPES.directoryUser], area: 'users', handle: insertUser },
  { api: 'admin', httpMethod: 'GET', pattern: new RegExp(`^${BASE}/users/([^/]+)$`), id: 'directory.users.get', units: 1, scopes: READ, area: 'users', handle: getUser },
  { api: 'admin', httpMethod: 'DELETE', pattern: new RegExp(`^${BASE}/users/([^/]+)$`), id: 'directory.users.delete', units: 1, scopes: [SCOPES.directoryUser], area: 'users', handle: deleteUser },
];

export function userResource(sim: GoogleSim, customer: Customer, u: UserRecord, opts: { deletionTime?: number; full?: boolean } = {}): Record<string, unknown> {
  const isAdmin = sim.isAdmin(customer, u);
  const isDelegatedAdmin = sim.isDelegatedAdmin(customer, u);
  const mailboxReady = sim.now() >= u.creationTime + sim.world.quotas.newUserMailDelayMs;
  return {
    kind: 'admin#directory#user',
    id: u.id,
    etag: etagOf(u.id, u.primaryEmail, u.givenName, u.familyName, u.suspended, u.archived, isAdmin, isDelegatedAdmin, u.orgUnitPath, u.lastLoginTime, JSON.stringify(u.relations)),
    primaryEmail: u.primaryEmail,
    name: { givenName: u.givenName, familyName: u.familyName, fullName: `${u.givenName} ${u.familyName}` },
    isAdmin,
    isDelegatedAdmin,
    lastLoginTime: u.lastLoginTime === null ? NEVER : new Date(u.lastLoginTime).toISOString(),
    creationTime: new Date(u.creationTime).toISOString(),
    agreedToTerms: u.lastLoginTime !== null,
    suspended: u.suspended,
    ...(u.suspended ? { suspensionReason: 'ADMIN' } : {}),
    archived: u.archived,
    changePasswordAtNextLogin: u.changePasswordAtNextLogin,
    ipWhitelisted: false,
    emails: [{ address: u.primaryEmail, primary: true }, ...u.aliases.map((a) => ({ address: a }))],
    ...(u.aliases.length ? { aliases: u.aliases } : {}),
    ...(u.externalIds.length ? { externalIds: u.externalIds } : {}),
    ...(u.organizations.length ? { organizations: u.organizations } : {}),
    ...(u.relations.length ? { relations: u.relations } : {}),
    nonEditableAliases: [],
    customerId: customer.id,
    orgUnitPath: u.orgUnitPath,
    isMailboxSetup: mailboxReady,
    isEnrolledIn2Sv: u.isEnrolledIn2Sv,
    isEnforcedIn2Sv: false,
    includeInGlobalAddressList: true,
    // projection=full adds the custom schema fields (none are defined in the sandbox).
    ...(opts.full ? { customSchemas: {} } : {}),
    ...(opts.deletionTime !== undefined ? { deletionTime: new Date(opts.deletionTime).toISOString() } : {}),
  };
}

function projectionFull(call: ApiCall): boolean | null {
  const p = call.url.searchParams.get('projection') ?? 'basic';
  if (p === 'basic') return false;
  if (p === 'full' || p === 'custom') return true;
  sendGoogleError(call.res, 400, `Invalid value '${p}'. Values must be one of: basic, custom, full`, { reason: 'invalidParameter', location: 'projection', locationType: 'parameter' });
  return null;
}

function getUser(call: ApiCall): void {
  const { sim, res } = call;
  const customer = call.customer!;
  const key = call.params[0] ?? '';
  const full = projectionFull(call);
  if (full === null) return;
  const user = customer.users.get(key);
  if (user) return sendResource(call, 200, userResource(sim, customer, user, { full }));
  // Another customer's address is not ours to read; an unknown one of ours is not found.
  if (!isOwnEmail(customer, key)) return sendGoogleError(res, 403, FORBIDDEN, { reason: 'forbidden' });
  notFound(call, 'userKey');
}

function listUsers(call: ApiCall): void {
  const { sim, url, res } = call;
  const customer = call.customer!;
  const customerParam = url.searchParams.get('customer');
  const domain = url.searchParams.get('domain')?.toLowerCase() ?? null;
  if (!customerParam && !domain) return sendGoogleError(res, 400, 'Bad Request', { reason: 'badRequest' });
  if (customerParam && !ownCustomer(call, customerParam)) return;
  if (domain && !ownDomain(call, domain)) return;
  const max = maxResults(call, 100, MAX_RESULTS);
  if (max === null) return;
  const full = projectionFull(call);
  if (full === null) return;
  const orderBy = url.searchParams.get('orderBy') ?? 'email';
  if (!['email', 'givenName', 'familyName'].includes(orderBy)) {
    return sendGoogleError(res, 400, `Invalid value '${orderBy}'. Values must be one of: email, familyName, givenName`, { reason: 'invalidParameter', location: 'orderBy', locationType: 'parameter' });
  }
  const desc = url.searchParams.get('sortOrder') === 'DESCENDING';
  const query = url.searchParams.get('query');
  const match = query ? parseUserQuery(query, { isAdmin: (u) => sim.isAdmin(customer, u), isDelegatedAdmin: (u) => sim.isDelegatedAdmin(customer, u) }) : () => true;
  if (!match) return sendGoogleError(res, 400, 'Invalid Input', { reason: 'invalid' });
  const inDomain = (u: UserRecord): boolean => !domain || domainOf(u.primaryEmail) === domain;
  const state = decodePageToken(call, 'users');
  if (state === null) return;

  const body: Record<string, unknown> = { kind: 'admin#directory#users', etag: etagOf(customer.id, customer.users.count()) };
  if (url.searchParams.get('showDeleted') === 'true') {
    // Deleted users (recoverable for 20 days) instead of live ones.
    const all = customer.users.deleted().filter((d) => inDomain(d.user) && match(d.user)).sort((a, b) => cmp(a.user.primaryEmail, b.user.primaryEmail));
    const offset = typeof state['o'] === 'number' ? state['o'] : 0;
    const page = all.slice(offset, offset + max);
    if (page.length) body['users'] = page.map((d) => userResource(sim, customer, d.user, { deletionTime: d.deletionTime, full }));
    if (offset + max < all.length) body['nextPageToken'] = encodePageToken('users', { o: offset + max });
    return sendResource(call, 200, body);
  }

  const page: UserRecord[] = [];
  let more = false;
  if (orderBy === 'email' && !desc) {
    // Keyset paging in email order: a page costs what it returns, even among 100,000 users.
    const after = typeof state['a'] === 'string' ? state['a'] : null;
    for (const u of customer.users.scan(after)) {
      if (!inDomain(u) || !match(u)) continue;
      if (page.length === max) {
        more = true;
        break;
      }
      page.push(u);
    }
    if (more) body['nextPageToken'] = encodePageToken('users', { a: page[page.length - 1]!.primaryEmail });
  } else {
    const key = (u: UserRecord): string => (orderBy === 'givenName' ? u.givenName : orderBy === 'familyName' ? u.familyName : u.primaryEmail).toLowerCase();
    const all = [...customer.users.scan(null)].filter((u) => inDomain(u) && match(u));
    all.sort((a, b) => (cmp(key(a), key(b)) || cmp(a.primaryEmail, b.primaryEmail)) * (desc ? -1 : 1));
    const offset = typeof state['o'] === 'number' ? state['o'] : 0;
    page.push(...all.slice(offset, offset + max));
    if (offset + max < all.length) body['nextPageToken'] = encodePageToken('users', { o: offset + max });
  }
  if (page.length) body['users'] = page.map((u) => userResource(sim, customer, u, { full }));
  sendResource(call, 200, body);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function insertUser(call: ApiCall): Promise<void> {
  const { sim, res } = call;
  const customer = call.customer!;
  const body = await jsonBody(call);
  if (!body) return;
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
  if (!customer.domains.includes(domainOf(primaryEmail))) return sendGoogleError(res, 403, FORBIDDEN, { reason: 'forbidden' });
  if (customer.users.get(primaryEmail) || customer.groups.get(primaryEmail)) return sendGoogleError(res, 409, 'Entity already exists.', { reason: 'duplicate' });
  if (sim.fault('google.user_create_failing', customer)) {
    // The licence ceiling, as GAM and others report it: 412 "Domain user limit reached." (limitExceeded).
    return sendGoogleError(res, 412, 'Domain user limit reached.', { reason: 'limitExceeded', status: 'FAILED_PRECONDITION' });
  }
  let id = '';
  do id = `1${Array.from({ length: 20 }, () => randomInt(10)).join('')}`;
  while (customer.users.get(id));
  const user = addUser(customer, { id, primaryEmail, givenName, familyName, creationTime: sim.now(), changePasswordAtNextLogin: body['changePasswordAtNextLogin'] === true });
  sendResource(call, 200, userResource(sim, customer, user));
}

function deleteUser(call: ApiCall): void {
  const customer = call.customer!;
  const key = call.params[0] ?? '';
  const user = customer.users.get(key);
  if (!user) return isOwnEmail(customer, key) ? notFound(call, 'userKey') : sendGoogleError(call.res, 403, FORBIDDEN, { reason: 'forbidden' });
  deleteUserEverywhere(customer, user.id, call.sim.now());
  sendNoContent(call);
}

/** Deleting a user also drops its memberships and admin roles, as Google does. */
export function deleteUserEverywhere(customer: Customer, userId: string, nowMs: number): void {
  for (const g of customer.groups.groupsOf(userId)) customer.groups.removeMember(g.id, userId);
  customer.roles.forget(userId);
  customer.users.delete(userId, nowMs);
}
