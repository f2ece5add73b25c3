import { z } from 'zod';
import { AppError } from '../../errors/index.js';
import { checkCursorAdvances, checkPageSize, type HttpResponse, type RateCost } from '../sdk/index.js';
import type { GoogleDirectoryConfig, GoogleEndpoints } from './config.js';
import { DIRECTORY_READ_SCOPES, DIRECTORY_WRITE_SCOPES } from './config.js';
import type { ConnectorContext } from '../sdk/index.js';
import { badResponse, commonError, describe, directoryLimitOf, isGoogleThrottle, parseGoogleError, PROVIDER } from './errors.js';
import { UnknownSubjectError, type TokenSource } from './token.js';

/**
 * The Admin SDK Directory calls the identity inventory makes, as the configured admin
 * (domain-wide delegation, one token per scope), each spending one query of the shared
 * Directory budget. Every response body is checked with zod: a malformed one becomes
 * provider.bad_response, never a crash.
 * https://developers.google.com/admin-sdk/directory/reference/rest
 */
export interface DirectoryApiDeps {
  readonly ctx: ConnectorContext;
  readonly config: GoogleDirectoryConfig;
  readonly endpoints: GoogleEndpoints;
  readonly tokens: TokenSource;
  /** The project whose Directory quota the calls spend (the service account's). */
  readonly project: string;
}

/** Google counts Directory queries per minute per (impersonated) user per project. */
export const DIRECTORY_BUDGET_PREFIX = 'google-directory:';
/** The default of that quota (developers.google.com/admin-sdk/directory/v1/limits). */
export const DIRECTORY_QUERIES_PER_MINUTE = 2_400;

/**
 * The rate-budget key of a connection's Directory calls: connections to the same customer
 * (its admin) through the same project share it, as Google's quota does.
 */
export function directoryBudgetKey(project: string, adminEmail: string): string {
  return `${DIRECTORY_BUDGET_PREFIX}${project}:${adminEmail.toLowerCase()}`;
}

const ALL_SCOPES = [...DIRECTORY_READ_SCOPES, ...DIRECTORY_WRITE_SCOPES].join(', ');

export const userSchema = z.object({
  id: z.string().min(1),
  primaryEmail: z.string().min(3),
  name: z.object({ givenName: z.string().optional(), familyName: z.string().optional(), fullName: z.string().optional() }).optional(),
  suspended: z.boolean().optional(),
  archived: z.boolean().optional(),
  isAdmin: z.boolean().optional(),
  isDelegatedAdmin: z.boolean().optional(),
  externalIds: z.array(z.object({ value: z.string(), type: z.string().optional(), customType: z.string().optional() })).optional(),
  organizations: z.array(z.object({ title: z.string().optional(), department: z.string().optional(), primary: z.boolean().optional() })).optional(),
  // Employee details > Manager: `{ type: 'manager', value: <the manager's address> }`.
  relations: z.array(z.object({ value: z.string(), type: z.string().optional(), customType: z.string().optional() })).optional(),
  creationTime: z.string().optional(),
  lastLoginTime: z.string().optional(),
  orgUnitPath: z.string().optional(),
  isEnrolledIn2Sv: z.boolean().optional(),
});
export type ApiUser = z.infer<typeof userSchema>;

export const groupSchema = z.object({
  id: z.string().min(1),
  email: z.string().min(3),
  name: z.string().optional(),
  description: z.string().optional(),
  // int64 travels as a string.
  directMembersCount: z.union([z.string(), z.number()]).optional(),
  adminCreated: z.boolean().optional(),
});
export type ApiGroup = z.infer<typeof groupSchema>;

export const memberSchema = z.object({
  id: z.string().optional(),
  email: z.string().optional(),
  role: z.string().optional(),
  type: z.string().optional(),
  status: z.string().optional(),
});
export type ApiMember = z.infer<typeof memberSchema>;

export const roleSchema = z.object({
  roleId: z.union([z.string(), z.number()]).transform(String),
  roleName: z.string(),
  roleDescription: z.string().optional(),
  rolePrivileges: z.array(z.object({ privilegeName: z.string(), serviceId: z.string().optional() })).optional(),
  isSystemRole: z.boolean().optional(),
  isSuperAdminRole: z.boolean().optional(),
});
export type ApiRole = z.infer<typeof roleSchema>;

export const assignmentSchema = z.object({
  roleAssignmentId: z.union([z.string(), z.number()]).transform(String),
  roleId: z.union([z.string(), z.number()]).transform(String),
  assignedTo: z.string(),
  assigneeType: z.string().optional(),
  scopeType: z.string().optional(),
  orgUnitId: z.string().optional(),
});
export type ApiAssignment = z.infer<typeof assignmentSchema>;

// One schema per list, built once: a full read parses thousands of pages.
const USERS_PAGE = z.object({ nextPageToken: z.string().optional(), users: z.array(userSchema).optional() });
const GROUPS_PAGE = z.object({ nextPageToken: z.string().optional(), groups: z.array(groupSchema).optional() });
const MEMBERS_PAGE = z.object({ nextPageToken: z.string().optional(), members: z.array(memberSchema).optional() });
const ROLES_PAGE = z.object({ nextPageToken: z.string().optional(), items: z.array(roleSchema).optional() });
const ASSIGNMENTS_PAGE = z.object({ nextPageToken: z.string().optional(), items: z.array(assignmentSchema).optional() });

export interface DirectoryPage<T> {
  readonly items: T[];
  readonly nextPageToken: string | null;
}

interface Call {
  readonly method: 'GET' | 'DELETE';
  readonly path: string;
  readonly query?: Record<string, string>;
  readonly scope: string;
}

/** One Directory call as the admin with a token for exactly `scope`; retried once with a fresh token on 401. */
async function call(deps: DirectoryApiDeps, c: Call, retried = false): Promise<HttpResponse> {
  const { tokens, config } = deps;
  let token: string;
  try {
    token = await tokens.forUser(config.adminEmail, [c.scope]);
  } catch (e) {
    // The admin is not a live user of the Workspace: delegation cannot act as them.
    if (e instanceof UnknownSubjectError) throw new AppError('google.admin_not_authorized', { adminEmail: config.adminEmail, domain: config.domain }, { cause: e });
    throw e;
  }
  const q = c.query ? `?${new URLSearchParams(c.query).toString()}` : '';
  const budgets: RateCost[] = [{ key: directoryBudgetKey(deps.project, config.adminEmail), cost: 1 }];
  const res = await deps.ctx.http.request({ method: c.method, url: `${deps.endpoints.admin}/admin/directory/v1${c.path}${q}`, headers: { authorization: `Bearer ${token}` }, budgets });
  if (res.status === 401 && !retried) {
    tokens.invalidate(config.adminEmail, [c.scope]);
    return call(deps, c, true);
  }
  return res;
}

/** Failures every Directory method shares; null when the method's own rule must decide. */
export function directoryError(deps: DirectoryApiDeps, res: HttpResponse, scope: string): AppError | null {
  if (isGoogleThrottle(res)) {
    const limit = directoryLimitOf(res);
    // No Retry-After: the per-minute window frees within a minute, a concurrency slot within seconds.
    return new AppError('google.directory_rate_limited', { adminEmail: deps.config.adminEmail, project: deps.project, limit: `the Directory limit on ${limit} was reached` }, { retryAfterMs: limit === 'concurrent requests' ? 5_000 : 60_000 });
  }
  const common = commonError(res, 'Admin SDK API', deps.ctx.now().getTime());
  if (common) return common;
  const e = parseGoogleError(res);
  if (res.status === 403 && e?.reasons.includes('insufficientPermissions')) {
    return new AppError('google.delegation_missing', { clientId: `of ${deps.tokens.serviceAccountEmail}`, scope, requiredScopes: ALL_SCOPES });
  }
  if (res.status === 403) return new AppError('google.admin_not_authorized', { adminEmail: deps.config.adminEmail, domain: deps.config.domain });
  return null;
}

function parsed<T extends z.ZodType>(res: HttpResponse, schema: T, what: string): z.infer<T> {
  const r = schema.safeParse(res.json());
  if (!r.success) throw badResponse(`${what} answered a body Syncwarden cannot read (${r.error.issues[0]?.path.join('.') || 'body'}: ${r.error.issues[0]?.message ?? 'invalid'})`);
  return r.data;
}

async function list<T>(deps: DirectoryApiDeps, what: string, c: Call, schema: z.ZodType, key: string, notFoundIsEmpty = false): Promise<DirectoryPage<T>> {
  const res = await call(deps, c);
  if (res.status === 404 && notFoundIsEmpty) return { items: [], nextPageToken: null };
  if (res.status !== 200) throw directoryError(deps, res, c.scope) ?? badResponse(`${what} answered ${describe(parseGoogleError(res), res)}`);
  const body = parsed(res, schema, what) as { nextPageToken?: string } & Record<string, unknown>;
  const items = (body[key] as T[] | undefined) ?? [];
  // Checked as read (sdk/paging.ts): no more than maxResults, and a token that moves on.
  const page = `${what}${c.query?.['pageToken'] ? ' (a page after the first)' : ' (first page)'}`;
  checkPageSize(PROVIDER, page, items.length, c.query?.['maxResults'] ? Number(c.query['maxResults']) : null);
  checkCursorAdvances(PROVIDER, page, c.query?.['pageToken'], body.nextPageToken);
  return { items, nextPageToken: body.nextPageToken ?? null };
}

const withToken = (q: Record<string, string>, pageToken: string | null): Record<string, string> => (pageToken ? { ...q, pageToken } : q);

// Partial responses keep a full re-read cheap: only the fields the inventory stores travel.
const USER_FIELDS = 'nextPageToken,users(id,primaryEmail,name(givenName,familyName,fullName),suspended,archived,isAdmin,isDelegatedAdmin,externalIds,organizations(title,department,primary),relations(value,type),creationTime,lastLoginTime,orgUnitPath,isEnrolledIn2Sv)';
const GROUP_FIELDS = 'nextPageToken,groups(id,email,name,description,directMembersCount,adminCreated)';
const MEMBER_FIELDS = 'nextPageToken,members(id,email,role,type,status)';

export function listUsers(deps: DirectoryApiDeps, scope: string, pageToken: string | null): Promise<DirectoryPage<ApiUser>> {
  return list(deps, 'users.list', { method: 'GET', path: '/users', scope, query: withToken({ customer: 'my_customer', maxResults: '500', projection: 'full', orderBy: 'email', fields: USER_FIELDS }, pageToken) }, USERS_PAGE, 'users');
}

export function listGroups(deps: DirectoryApiDeps, scope: string, pageToken: string | null): Promise<DirectoryPage<ApiGroup>> {
  return list(deps, 'groups.list', { method: 'GET', path: '/groups', scope, query: withToken({ customer: 'my_customer', maxResults: '200', fields: GROUP_FIELDS }, pageToken) }, GROUPS_PAGE, 'groups');
}

/** A group's direct members; null when the group no longer exists (deleted since it was listed). */
export async function listMembers(deps: DirectoryApiDeps, scope: string, groupId: string, pageToken: string | null): Promise<DirectoryPage<ApiMember> | null> {
  const c: Call = { method: 'GET', path: `/groups/${encodeURIComponent(groupId)}/members`, scope, query: withToken({ maxResults: '200', fields: MEMBER_FIELDS }, pageToken) };
  const res = await call(deps, c);
  if (res.status === 404) return null;
  if (res.status !== 200) throw directoryError(deps, res, scope) ?? badResponse(`members.list answered ${describe(parseGoogleError(res), res)}`);
  const body = parsed(res, MEMBERS_PAGE, 'members.list') as { nextPageToken?: string; members?: ApiMember[] };
  return { items: body.members ?? [], nextPageToken: body.nextPageToken ?? null };
}

export function listRoles(deps: DirectoryApiDeps, scope: string, pageToken: string | null): Promise<DirectoryPage<ApiRole>> {
  return list(deps, 'roles.list', { method: 'GET', path: '/customer/my_customer/roles', scope, query: withToken({ maxResults: '100' }, pageToken) }, ROLES_PAGE, 'items');
}

export function listAssignments(deps: DirectoryApiDeps, scope: string, pageToken: string | null, userKey?: string): Promise<DirectoryPage<ApiAssignment>> {
  const q: Record<string, string> = { maxResults: '200', ...(userKey ? { userKey } : {}) };
  // A principal that no longer exists holds no assignments.
  return list(deps, 'roleAssignments.list', { method: 'GET', path: '/customer/my_customer/roleassignments', scope, query: withToken(q, pageToken) }, ASSIGNMENTS_PAGE, 'items', userKey !== undefined);
}

/** users.get of the admin: is the Admin SDK on, and is the admin one? */
export async function getUser(deps: DirectoryApiDeps, scope: string, userKey: string): Promise<ApiUser | null> {
  const res = await call(deps, { method: 'GET', path: `/users/${encodeURIComponent(userKey)}`, scope, query: { fields: 'id,primaryEmail,isAdmin,isDelegatedAdmin' } });
  if (res.status === 404) return null;
  if (res.status !== 200) throw directoryError(deps, res, scope) ?? badResponse(`users.get answered ${describe(parseGoogleError(res), res)}`);
  return parsed(res, userSchema, 'users.get');
}

/** members.get: is `memberKey` a direct member of the group? A group or member gone is false. */
export async function isDirectMember(deps: DirectoryApiDeps, scope: string, groupKey: string, memberKey: string): Promise<boolean> {
  const res = await call(deps, { method: 'GET', path: `/groups/${encodeURIComponent(groupKey)}/members/${encodeURIComponent(memberKey)}`, scope, query: { fields: 'id,email,role,type,status' } });
  if (res.status === 404) return false;
  if (res.status !== 200) throw directoryError(deps, res, scope) ?? badResponse(`members.get answered ${describe(parseGoogleError(res), res)}`);
  return true;
}

/** A DELETE that is idempotent: 204 = done, 404 = already gone. */
export async function remove(deps: DirectoryApiDeps, scope: string, path: string): Promise<'revoked' | 'already_gone'> {
  const res = await call(deps, { method: 'DELETE', path, scope });
  if (res.status === 204 || res.status === 200) return 'revoked';
  if (res.status === 404) return 'already_gone';
  throw directoryError(deps, res, scope) ?? new AppError('provider.bad_response', { provider: PROVIDER, detail: `DELETE ${path} answered ${describe(parseGoogleError(res), res)}` });
}
