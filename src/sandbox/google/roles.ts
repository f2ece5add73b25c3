import type { ApiCall, ApiRoute } from './apis.js';
import type { RoleAssignmentRecord, RoleRecord } from './directory-model.js';
import { decodePageToken, encodePageToken, etagOf, jsonBody, maxResults, notFound, ownCustomer, sendNoContent, sendResource } from './directory-http.js';
import { sendGoogleError } from './errors.js';
import { resolveMemberId } from './groups.js';
import { SCOPES } from './world.js';

/**
 * Admin SDK Directory API v1, roles (list, get) and roleAssignments (list, get, insert,
 * delete) under /customer/{customer}/. Only Super Admins may call them.
 * https://developers.google.com/admin-sdk/directory/reference/rest/v1/roles
 * https://developers.google.com/admin-sdk/directory/reference/rest/v1/roleAssignments
 */
const BASE = '/admin/directory/v1/customer/([^/]+)';
const READ = [SCOPES.directoryRoleManagement, SCOPES.directoryRoleManagementReadonly];
const WRITE = [SCOPES.directoryRoleManagement];
const MAX_ROLES = 100;
const MAX_ASSIGNMENTS = 200;

export const roleRoutes: readonly ApiRoute[] = [
  { api: 'admin', httpMethod: 'GET', pattern: new RegExp(`^${BASE}/roles$`), id: 'directory.roles.list', units: 1, scopes: READ, area: 'roles', handle: listRoles },
  { api: 'admin', httpMethod: 'GET', pattern: new RegExp(`^${BASE}/roles/([^/]+)$`), id: 'directory.roles.get', units: 1, scopes: READ, area: 'roles', handle: getRole },
  { api: 'admin', httpMethod: 'GET', pattern: new RegExp(`^${BASE}/roleassignments$`), id: 'directory.roleAssignments.list', units: 1, scopes: READ, area: 'roles', handle: listAssignments },
  { api: 'admin', httpMethod: 'POST', pattern: new RegExp(`^${BASE}/roleassignments$`), id: 'directory.roleAssignments.insert', units: 1, scopes: WRITE, area: 'roles', handle: insertAssignment },
  { api: 'admin', httpMethod: 'GET', pattern: new RegExp(`^${BASE}/roleassignments/([^/]+)$`), id: 'directory.roleAssignments.get', units: 1, scopes: READ, area: 'roles', handle: getAssignment },
  { api: 'admin', httpMethod: 'DELETE', pattern: new RegExp(`^${BASE}/roleassignments/([^/]+)$`), id: 'directory.roleAssignments.delete', units: 1, scopes: WRITE, area: 'roles', handle: deleteAssignment },
];

export function roleResource(r: RoleRecord): Record<string, unknown> {
  return {
    kind: 'admin#directory#role',
    etag: etagOf(r.roleId, r.roleName, r.rolePrivileges.length),
    roleId: r.roleId,
    roleName: r.roleName,
    roleDescription: r.roleDescription,
    rolePrivileges: r.rolePrivileges,
    isSystemRole: r.isSystemRole,
    isSuperAdminRole: r.isSuperAdminRole,
  };
}

export function assignmentResource(a: RoleAssignmentRecord): Record<string, unknown> {
  return {
    kind: 'admin#directory#roleAssignment',
    etag: etagOf(a.roleAssignmentId, a.roleId, a.assignedTo),
    roleAssignmentId: a.roleAssignmentId,
    roleId: a.roleId,
    assignedTo: a.assignedTo,
    assigneeType: a.assigneeType,
    scopeType: a.scopeType,
    ...(a.orgUnitId ? { orgUnitId: a.orgUnitId } : {}),
  };
}

/** Offset paging over a small, ordered list (roles and role assignments). */
function pageOf<T>(call: ApiCall, kind: string, all: readonly T[], max: number): { items: T[]; next: string | null } | null {
  const state = decodePageToken(call, kind);
  if (state === null) return null;
  const offset = typeof state['o'] === 'number' ? state['o'] : 0;
  return { items: all.slice(offset, offset + max), next: offset + max < all.length ? encodePageToken(kind, { o: offset + max }) : null };
}

function listRoles(call: ApiCall): void {
  if (!ownCustomer(call, call.params[0] ?? null)) return;
  const max = maxResults(call, MAX_ROLES, MAX_ROLES);
  if (max === null) return;
  const roles = call.customer!.roles.roles();
  const page = pageOf(call, 'roles', roles, max);
  if (!page) return;
  sendResource(call, 200, { kind: 'admin#directory#roles', etag: etagOf(call.customer!.id, roles.length), items: page.items.map(roleResource), ...(page.next ? { nextPageToken: page.next } : {}) });
}

function getRole(call: ApiCall): void {
  if (!ownCustomer(call, call.params[0] ?? null)) return;
  const r = call.customer!.roles.role(call.params[1] ?? '');
  if (!r || r.roleId !== call.params[1]) return notFound(call, 'roleId');
  sendResource(call, 200, roleResource(r));
}

function listAssignments(call: ApiCall): void {
  const { url, res } = call;
  if (!ownCustomer(call, call.params[0] ?? null)) return;
  const customer = call.customer!;
  const max = maxResults(call, MAX_ASSIGNMENTS, MAX_ASSIGNMENTS);
  if (max === null) return;
  const userKey = url.searchParams.get('userKey');
  const roleId = url.searchParams.get('roleId');
  // The two filters are alternatives (M: client libraries offer them as separate parameter sets).
  if (userKey && roleId) return sendGoogleError(res, 400, 'Invalid Input', { reason: 'invalid' });
  let all: RoleAssignmentRecord[];
  if (userKey) {
    const principal = customer.users.get(userKey) ?? customer.groups.get(userKey);
    if (!principal) return notFound(call, 'userKey');
    all = customer.roles.assignmentsOf(principal.id);
    // Indirect assignments: roles held through the groups the user belongs to.
    if (url.searchParams.get('includeIndirectRoleAssignments') === 'true') {
      const memberId = resolveMemberId(customer, userKey);
      for (const g of memberId ? customer.groups.groupsOf(memberId) : []) all = [...all, ...customer.roles.assignmentsOf(g.id)];
    }
  } else if (roleId) {
    if (!customer.roles.role(roleId)) return sendGoogleError(res, 400, 'Invalid Input: roleId', { reason: 'invalid' });
    all = customer.roles.assignments().filter((a) => a.roleId === roleId);
  } else {
    all = customer.roles.assignments();
  }
  const page = pageOf(call, 'roleAssignments', all, max);
  if (!page) return;
  sendResource(call, 200, {
    kind: 'admin#directory#roleAssignments',
    etag: etagOf(customer.id, all.length),
    ...(page.items.length ? { items: page.items.map(assignmentResource) } : {}),
    ...(page.next ? { nextPageToken: page.next } : {}),
  });
}

function getAssignment(call: ApiCall): void {
  if (!ownCustomer(call, call.params[0] ?? null)) return;
  const a = call.customer!.roles.assignments().find((x) => x.roleAssignmentId === call.params[1]);
  if (!a) return notFound(call, 'roleAssignmentId');
  sendResource(call, 200, assignmentResource(a));
}

async function insertAssignment(call: ApiCall): Promise<void> {
  if (!ownCustomer(call, call.params[0] ?? null)) return;
  const customer = call.customer!;
  const body = await jsonBody(call);
  if (!body) return;
  const role = typeof body['roleId'] === 'string' ? customer.roles.role(body['roleId']) : undefined;
  if (!role) return sendGoogleError(call.res, 400, 'Invalid Input: roleId', { reason: 'invalid' });
  const to = typeof body['assignedTo'] === 'string' ? body['assignedTo'] : '';
  const user = customer.users.get(to);
  const group = user ? undefined : customer.groups.get(to);
  if (!user && !group) return sendGoogleError(call.res, 400, 'Invalid Input: assignedTo', { reason: 'invalid' });
  const scopeType = body['scopeType'] === 'ORG_UNIT' ? 'ORG_UNIT' : 'CUSTOMER';
  const orgUnitId = typeof body['orgUnitId'] === 'string' ? body['orgUnitId'] : undefined;
  const dup = customer.roles.assignmentsOf((user ?? group)!.id).find((a) => a.roleId === role.roleId && a.scopeType === scopeType && a.orgUnitId === orgUnitId);
  if (dup) return sendGoogleError(call.res, 409, 'Entity already exists.', { reason: 'duplicate' });
  const a = customer.roles.assign({ roleId: role.roleId, assignedTo: (user ?? group)!.id, assigneeType: user ? 'USER' : 'GROUP', scopeType, ...(orgUnitId ? { orgUnitId } : {}) });
  sendResource(call, 200, assignmentResource(a));
}

function deleteAssignment(call: ApiCall): void {
  if (!ownCustomer(call, call.params[0] ?? null)) return;
  if (!call.customer!.roles.unassign(call.params[1] ?? '')) return notFound(call, 'roleAssignmentId');
  sendNoContent(call);
}
