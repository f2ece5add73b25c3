import { randomInt } from 'node:crypto';
import type { ApiCall, ApiRoute } from './apis.js';
import type { Customer } from './customer.js';
import type { GroupRecord, MemberRecord, MemberRole, MemberType } from './directory-model.js';
import { decodePageToken, encodePageToken, etagOf, FORBIDDEN, isOwnEmail, jsonBody, maxResults, notFound, ownCustomer, ownDomain, sendNoContent, sendResource } from './directory-http.js';
import { sendGoogleError } from './errors.js';
import { domainOf, SCOPES } from './world.js';

/**
 * Admin SDK Directory API v1, groups (list, get) and members (list, get, hasMember,
 * insert, delete). Scopes per method from the discovery document; maxResults caps 200.
 * https://developers.google.com/admin-sdk/directory/reference/rest/v1/groups
 * https://developers.google.com/admin-sdk/directory/reference/rest/v1/members
 */
const BASE = '/admin/directory/v1/groups';
const GROUP_READ = [SCOPES.directoryGroup, SCOPES.directoryGroupReadonly];
const MEMBER_READ = [SCOPES.directoryGroup, SCOPES.directoryGroupMember, SCOPES.directoryGroupMemberReadonly, SCOPES.directoryGroupReadonly];
const MEMBER_WRITE = [SCOPES.directoryGroup, SCOPES.directoryGroupMember];
const MAX_GROUPS = 200;
const MAX_MEMBERS = 200;
const ROLES: readonly MemberRole[] = ['OWNER', 'MANAGER', 'MEMBER'];

export const groupRoutes: readonly ApiRoute[] = [
  { api: 'admin', httpMethod: 'GET', pattern: new RegExp(`^${BASE}$`), id: 'directory.groups.list', units: 1, scopes: GROUP_READ, area: 'groups', handle: listGroups },
  { api: 'admin', httpMethod: 'GET', pattern: new RegExp(`^${BASE}/([^/]+)$`), id: 'directory.groups.get', units: 1, scopes: GROUP_READ, area: 'groups', handle: getGroup },
  { api: 'admin', httpMethod: 'GET', pattern: new RegExp(`^${BASE}/([^/]+)/members$`), id: 'directory.members.list', units: 1, scopes: MEMBER_READ, area: 'groups', handle: listMembers },
  { api: 'admin', httpMethod: 'POST', pattern: new RegExp(`^${BASE}/([^/]+)/members$`), id: 'directory.members.insert', units: 1, scopes: MEMBER_WRITE, area: 'groups', handle: insertMember },
  { api: 'admin', httpMethod: 'GET', pattern: new RegExp(`^${BASE}/([^/]+)/members/([^/]+)$`), id: 'directory.members.get', units: 1, scopes: MEMBER_READ, area: 'groups', handle: getMember },
  { api: 'admin', httpMethod: 'DELETE', pattern: new RegExp(`^${BASE}/([^/]+)/members/([^/]+)$`), id: 'directory.members.delete', units: 1, scopes: MEMBER_WRITE, area: 'groups', handle: deleteMember },
  { api: 'admin', httpMethod: 'GET', pattern: new RegExp(`^${BASE}/([^/]+)/hasMember/([^/]+)$`), id: 'directory.members.hasMember', units: 1, scopes: MEMBER_READ, area: 'groups', handle: hasMember },
];

export function groupResource(customer: Customer, g: GroupRecord): Record<string, unknown> {
  const count = customer.groups.memberCount(g.id);
  return {
    kind: 'admin#directory#group',
    id: g.id,
    etag: etagOf(g.id, g.email, g.name, g.description, count),
    email: g.email,
    name: g.name,
    // int64 fields travel as strings in Google's JSON.
    directMembersCount: String(count),
    description: g.description,
    adminCreated: g.adminCreated,
    ...(g.aliases.length ? { aliases: g.aliases } : {}),
    nonEditableAliases: [],
  };
}

export function memberResource(m: MemberRecord): Record<string, unknown> {
  return {
    kind: 'admin#directory#member',
    etag: etagOf(m.id, m.role, m.type, m.status),
    id: m.id,
    ...(m.email !== null ? { email: m.email } : {}),
    role: m.role,
    type: m.type,
    ...(m.status !== null ? { status: m.status } : {}),
    delivery_settings: 'ALL_MAIL',
  };
}

/** The group of the path, or a 404 (another customer's group: 403). */
function theGroup(call: ApiCall): GroupRecord | undefined {
  const key = call.params[0] ?? '';
  const g = call.customer!.groups.get(key);
  if (!g) {
    if (isOwnEmail(call.customer!, key)) notFound(call, 'groupKey');
    else sendGoogleError(call.res, 403, FORBIDDEN, { reason: 'forbidden' });
  }
  return g;
}

/** A member key (email or id) as the id of a user, group or outsider of the customer's groups. */
export function resolveMemberId(customer: Customer, key: string): string | undefined {
  const k = key.trim().toLowerCase();
  const user = customer.users.get(k);
  if (user) return user.id;
  const group = customer.groups.get(key.trim());
  if (group) return group.id;
  const gen = customer.generated;
  if (gen) {
    const x = gen.externals.indexOfEmail(k);
    if (x >= 0) return gen.externals.at(x).id;
    if (gen.externals.indexOfId(k) >= 0) return k;
  }
  // An outsider someone added to a group: known by its address or id.
  return customer.groups.outsiderId(k);
}

function listGroups(call: ApiCall): void {
  const { url, res } = call;
  const customer = call.customer!;
  const customerParam = url.searchParams.get('customer');
  const domain = url.searchParams.get('domain')?.toLowerCase() ?? null;
  const userKey = url.searchParams.get('userKey');
  // userKey "cannot be used with the customer parameter" (discovery document).
  if (userKey && customerParam) return sendGoogleError(res, 400, 'Bad Request', { reason: 'badRequest' });
  if (!customerParam && !domain && !userKey) return sendGoogleError(res, 400, 'Bad Request', { reason: 'badRequest' });
  if (customerParam && !ownCustomer(call, customerParam)) return;
  if (domain && !ownDomain(call, domain)) return;
  const max = maxResults(call, MAX_GROUPS, MAX_GROUPS);
  if (max === null) return;
  const query = url.searchParams.get('query');
  const match = query ? parseGroupQuery(customer, query) : () => true;
  if (!match) return sendGoogleError(res, 400, 'Invalid Input', { reason: 'invalid' });
  const state = decodePageToken(call, 'groups');
  if (state === null) return;
  const inDomain = (g: GroupRecord): boolean => !domain || domainOf(g.email) === domain;
  const desc = url.searchParams.get('sortOrder') === 'DESCENDING';
  const body: Record<string, unknown> = { kind: 'admin#directory#groups', etag: etagOf(customer.id, customer.groups.count()) };
  const page: GroupRecord[] = [];

  if (userKey) {
    const memberId = resolveMemberId(customer, userKey);
    if (!memberId) return isOwnEmail(customer, userKey) ? notFound(call, 'userKey') : sendResource(call, 200, body);
    const all = customer.groups.groupsOf(memberId).filter((g) => inDomain(g) && match(g));
    if (desc) all.reverse();
    const offset = typeof state['o'] === 'number' ? state['o'] : 0;
    page.push(...all.slice(offset, offset + max));
    if (offset + max < all.length) body['nextPageToken'] = encodePageToken('groups', { o: offset + max });
  } else if (!desc) {
    const after = typeof state['a'] === 'string' ? state['a'] : null;
    let more = false;
    for (const g of customer.groups.scan(after)) {
      if (!inDomain(g) || !match(g)) continue;
      if (page.length === max) {
        more = true;
        break;
      }
      page.push(g);
    }
    if (more) body['nextPageToken'] = encodePageToken('groups', { a: page[page.length - 1]!.email });
  } else {
    const all = [...customer.groups.scan(null)].filter((g) => inDomain(g) && match(g)).reverse();
    const offset = typeof state['o'] === 'number' ? state['o'] : 0;
    page.push(...all.slice(offset, offset + max));
    if (offset + max < all.length) body['nextPageToken'] = encodePageToken('groups', { o: offset + max });
  }
  if (page.length) body['groups'] = page.map((g) => groupResource(customer, g));
  sendResource(call, 200, body);
}

/** groups.list `query`: email:, name: (contains; trailing * = prefix), memberKey= . */
function parseGroupQuery(customer: Customer, query: string): ((g: GroupRecord) => boolean) | null {
  const preds: ((g: GroupRecord) => boolean)[] = [];
  for (const raw of query.match(/(?:[^\s']+|'[^']*')+/g) ?? []) {
    const m = /^([A-Za-z]+)([:=])(.*)$/.exec(raw);
    if (!m) return null;
    const field = m[1]!.toLowerCase();
    const value = m[3]!.replace(/^'(.*)'$/, '$1').toLowerCase();
    if (field === 'memberkey') {
      const id = resolveMemberId(customer, value);
      const holding = new Set(id ? customer.groups.groupsOf(id).map((g) => g.id) : []);
      preds.push((g) => holding.has(g.id));
      continue;
    }
    if (field !== 'email' && field !== 'name') return null;
    const get = (g: GroupRecord): string => (field === 'email' ? g.email : g.name).toLowerCase();
    if (m[2] === '=') preds.push((g) => get(g) === value);
    else if (value.endsWith('*')) preds.push((g) => get(g).startsWith(value.slice(0, -1)));
    else preds.push((g) => get(g).includes(value));
  }
  return (g) => preds.every((p) => p(g));
}

function getGroup(call: ApiCall): void {
  const g = theGroup(call);
  if (g) sendResource(call, 200, groupResource(call.customer!, g));
}

function listMembers(call: ApiCall): void {
  const { url, res } = call;
  const customer = call.customer!;
  const group = theGroup(call);
  if (!group) return;
  const max = maxResults(call, MAX_MEMBERS, MAX_MEMBERS);
  if (max === null) return;
  const rolesParam = url.searchParams.get('roles');
  const roles = rolesParam ? rolesParam.split(',').map((r) => r.trim().toUpperCase()) : null;
  if (roles && !roles.every((r) => (ROLES as readonly string[]).includes(r))) {
    return sendGoogleError(res, 400, 'Invalid Input: roles', { reason: 'invalid' });
  }
  const derived = url.searchParams.get('includeDerivedMembership') === 'true';
  const state = decodePageToken(call, derived ? 'derivedMembers' : 'members');
  if (state === null) return;
  const body: Record<string, unknown> = { kind: 'admin#directory#members', etag: etagOf(group.id, customer.groups.memberCount(group.id)) };
  const keep = (m: MemberRecord): boolean => !roles || roles.includes(m.role);
  const page: MemberRecord[] = [];

  if (derived) {
    // Direct members, then the members of nested groups (recursively, each once).
    const all = derivedMembers(customer, group.id).filter(keep);
    const offset = typeof state['o'] === 'number' ? state['o'] : 0;
    page.push(...all.slice(offset, offset + max));
    if (offset + max < all.length) body['nextPageToken'] = encodePageToken('derivedMembers', { o: offset + max });
  } else {
    let from = typeof state['p'] === 'number' ? state['p'] : 0;
    let more = false;
    for (const { next, member } of customer.groups.members(group.id, from)) {
      if (!keep(member)) {
        from = next;
        continue;
      }
      if (page.length === max) {
        more = true;
        break;
      }
      page.push(member);
      from = next;
    }
    if (more) body['nextPageToken'] = encodePageToken('members', { p: from });
  }
  if (page.length) body['members'] = page.map(memberResource);
  sendResource(call, 200, body);
}

function derivedMembers(customer: Customer, groupId: string): MemberRecord[] {
  const out: MemberRecord[] = [];
  const seen = new Set<string>();
  const visited = new Set<string>([groupId]);
  const queue = [groupId];
  while (queue.length) {
    const gid = queue.shift()!;
    for (const { member } of customer.groups.members(gid, 0)) {
      if (member.type === 'GROUP' && !visited.has(member.id)) {
        visited.add(member.id);
        queue.push(member.id);
      }
      if (seen.has(member.id)) continue;
      seen.add(member.id);
      out.push(gid === groupId ? member : { ...member, role: 'MEMBER' });
    }
  }
  return out;
}

function getMember(call: ApiCall): void {
  const group = theGroup(call);
  if (!group) return;
  const customer = call.customer!;
  const id = resolveMemberId(customer, call.params[1] ?? '');
  const m = id ? customer.groups.findMember(group.id, id) : undefined;
  if (!m) return notFound(call, 'memberKey');
  sendResource(call, 200, memberResource(m));
}

function hasMember(call: ApiCall): void {
  const group = theGroup(call);
  if (!group) return;
  const customer = call.customer!;
  const key = call.params[1] ?? '';
  const id = resolveMemberId(customer, key);
  // hasMember only answers for the customer's own users and groups.
  if (!id && isOwnEmail(customer, key)) return notFound(call, 'memberKey');
  sendResource(call, 200, { isMember: !!id && derivedMembers(customer, group.id).some((m) => m.id === id) });
}

async function insertMember(call: ApiCall): Promise<void> {
  const { res } = call;
  const customer = call.customer!;
  const group = theGroup(call);
  if (!group) return;
  const body = await jsonBody(call);
  if (!body) return;
  const role = typeof body['role'] === 'string' ? body['role'].toUpperCase() : 'MEMBER';
  if (!(ROLES as readonly string[]).includes(role)) return sendGoogleError(res, 400, 'Invalid Input: role', { reason: 'invalid' });
  const email = typeof body['email'] === 'string' ? body['email'].trim().toLowerCase() : '';
  const idKey = typeof body['id'] === 'string' ? body['id'].trim() : '';
  const key = email || idKey;
  if (!key) return sendGoogleError(res, 400, 'Missing required field: memberKey', { reason: 'required' });
  let member: { id: string; email: string | null; type: MemberType } | undefined;
  const user = customer.users.get(key);
  const asGroup = user ? undefined : customer.groups.get(key);
  if (user) member = { id: user.id, email: user.primaryEmail, type: 'USER' };
  else if (asGroup) member = { id: asGroup.id, email: asGroup.email, type: 'GROUP' };
  else if (email && !isOwnEmail(customer, email)) {
    // Someone outside the customer: kept with a fresh id (or the one it already has in a group).
    const known = resolveMemberId(customer, email);
    member = { id: known ?? `1${Array.from({ length: 20 }, () => randomInt(10)).join('')}`, email, type: body['type'] === 'USER' ? 'USER' : 'EXTERNAL' };
  }
  if (!member) return notFound(call, 'memberKey');
  if (member.id === group.id) return sendGoogleError(res, 400, 'Invalid Input: memberKey', { reason: 'invalid' });
  if (customer.groups.findMember(group.id, member.id)) return sendGoogleError(res, 409, 'Member already exists.', { reason: 'duplicate' });
  customer.groups.addMember(group.id, { ...member, role: role as MemberRole });
  sendResource(call, 200, memberResource(customer.groups.findMember(group.id, member.id)!));
}

function deleteMember(call: ApiCall): void {
  const group = theGroup(call);
  if (!group) return;
  const customer = call.customer!;
  const id = resolveMemberId(customer, call.params[1] ?? '');
  if (!id || !customer.groups.removeMember(group.id, id)) return notFound(call, 'memberKey');
  sendNoContent(call);
}
