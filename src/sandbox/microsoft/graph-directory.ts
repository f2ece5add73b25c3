import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, sendJson } from '../http.js';
import type { SandboxContext } from '../types.js';
import type { GraphClaims } from './entra.js';
import type { MemberRef } from './directory-model.js';
import { decodeToken, encodeToken, graphError } from './graph-common.js';
import { createGraphDelta } from './graph-delta.js';
import { appRoleAssignments, directoryObjectJson, groupJson, parseSelect, SelectError, servicePrincipalJson, userFaults, userJson } from './graph-objects.js';
import type { EntraTenant } from './world.js';
import { directoryQuery, type Keep, type Kind } from './graph-query.js';

/**
 * Graph's directory: users, groups and their (transitive) members and memberships, directory
 * roles, service principals and their app role assignments, role assignments, the users and
 * groups delta (graph-delta.ts) and membership write-back through `$ref`. Each endpoint
 * checks the token's `roles` against the application permissions Graph documents for it
 * and answers 403 Authorization_RequestDenied otherwise.
 * https://learn.microsoft.com/graph/api/resources/users · …/resources/groups-overview
 */
export const PERMISSIONS = {
  users: ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
  groups: ['GroupMember.Read.All', 'Group.Read.All', 'GroupMember.ReadWrite.All', 'Group.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
  roles: ['RoleManagement.Read.Directory', 'RoleManagement.Read.All', 'RoleManagement.ReadWrite.Directory', 'Directory.Read.All', 'Directory.ReadWrite.All'],
  apps: ['Application.Read.All', 'Application.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
  memberWrite: ['GroupMember.ReadWrite.All', 'Group.ReadWrite.All', 'Directory.ReadWrite.All'],
  roleAssignableWrite: ['RoleManagement.ReadWrite.Directory'],
  /** DELETE/POST /directoryRoles/{id}/members/…/$ref (https://learn.microsoft.com/graph/api/directoryrole-delete-member). */
  roleWrite: ['RoleManagement.ReadWrite.Directory'],
  /** DELETE /servicePrincipals/{id}/appRoleAssignedTo/{assignmentId} (https://learn.microsoft.com/graph/api/serviceprincipal-delete-approleassignedto). */
  appRoleWrite: ['AppRoleAssignment.ReadWrite.All', 'Application.ReadWrite.All', 'Directory.ReadWrite.All'],
} as const;

const DENIED = 'Insufficient privileges to complete the operation.';
/** Graph's answer to a member write on a group with dynamic membership (wording modelled; the code is Request_BadRequest). */
const DYNAMIC = 'Cannot add or remove members of a group with dynamic membership; change its membershipRule instead.';
const notFound = (id: string) => `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`;

interface ListState {
  o: number; // next index
  n: number; // page size
  s: string | null; // $select
  f?: string | null; // $filter, carried like Graph carries it in its tokens
  q?: string | null; // $search
}

export function createGraphDirectory(ctx: SandboxContext) {
  const base = () => `${ctx.urls.graph}/v1.0`;
  const delta = createGraphDelta(ctx);

  return async function directory(req: IncomingMessage, url: URL, res: ServerResponse, tenant: EntraTenant, claims: GraphClaims, seg: string[], headers: Record<string, string>): Promise<void> {
    const can = (set: readonly string[]) => set.some((r) => claims.roles.includes(r));
    const deny = () => graphError(res, 403, 'Authorization_RequestDenied', DENIED, headers);
    const send = (body: unknown) => sendJson(res, 200, body, headers);
    const dir = tenant.directory;
    const faults = userFaults(ctx, tenant.tenantId);
    const [, root, id, sub, subId, ref] = seg;
    try {
      if (req.method === 'DELETE' || req.method === 'POST') {
        if (root === 'groups' && id && sub === 'members') return await writeMembers(req, res, tenant, claims, id, subId, ref, headers);
        if (root === 'directoryRoles' && id && sub === 'members') return await writeRoleMembers(req, res, tenant, claims, id, subId, ref, headers);
        if (root === 'servicePrincipals' && id && sub === 'appRoleAssignedTo' && req.method === 'DELETE') return deleteAppRoleAssignment(res, tenant, claims, id, subId, headers);
        return graphError(res, 405, 'Request_BadRequest', `The HTTP method '${req.method}' is not allowed for this resource in the sandbox.`, headers);
      }
      if (req.method !== 'GET') return graphError(res, 405, 'Request_BadRequest', 'Method not allowed.', headers);
      switch (root) {
        case 'users': {
          if (!can(PERMISSIONS.users)) return deny();
          if (id === 'delta') return delta.users(url, res, tenant, headers, String(req.headers.prefer ?? ''));
          const fields = parseSelect(url.searchParams.get('$select'), 'user');
          if (id === undefined) {
            const q = listQuery(url, req, 'user');
            if ('code' in q) return graphError(res, 400, q.code, q.message, headers);
            return page(url, res, `${base()}/users`, `${base()}/$metadata#users`, dir.userTotal, (i) => {
              const u = dir.userAt(i);
              if (!u || faults.hidden(u)) return undefined;
              const shown = faults.apply(u);
              return !q.keep || q.keep(shown as unknown as Record<string, unknown>) ? userJson(shown, fieldsFrom(url, fields)) : undefined;
            }, headers, q.state);
          }
          const i = dir.userIndex(id);
          const u = i === undefined ? undefined : dir.userAt(i);
          if (!u || faults.hidden(u)) return graphError(res, 404, 'Request_ResourceNotFound', notFound(id), headers);
          if (sub === undefined) return send({ '@odata.context': `${base()}/$metadata#users/$entity`, ...userJson(faults.apply(u), fields) });
          if (sub === 'memberOf' || sub === 'transitiveMemberOf') {
            if (!can(PERMISSIONS.groups) && !can(['Directory.Read.All'])) return deny();
            const refObj: MemberRef = { kind: 'user', id: u.id };
            const groups = sub === 'memberOf' ? dir.memberOf(refObj) : dir.transitiveMemberOf(refObj);
            const items: Record<string, unknown>[] = groups.map((j) => ({ '@odata.type': '#microsoft.graph.group', ...groupJson(dir.groupAt(j)!, null) }));
            for (const r of dir.population.roles) if (r.members.some((m) => m.id === u.id)) items.push({ '@odata.type': '#microsoft.graph.directoryRole', ...roleJson(r) });
            return arrayPage(url, res, `${base()}/users/${u.id}/${sub}`, `${base()}/$metadata#directoryObjects`, items, headers);
          }
          return graphError(res, 400, 'BadRequest', `Resource not found for the segment '${sub}'.`, headers);
        }
        case 'groups': {
          if (!can(PERMISSIONS.groups)) return deny();
          if (id === 'delta') return delta.groups(url, res, tenant, headers, String(req.headers.prefer ?? ''));
          const fields = parseSelect(url.searchParams.get('$select'), 'group');
          if (id === undefined) {
            const q = listQuery(url, req, 'group');
            if ('code' in q) return graphError(res, 400, q.code, q.message, headers);
            return page(url, res, `${base()}/groups`, `${base()}/$metadata#groups`, dir.groupTotal, (j) => {
              const g = dir.groupAt(j);
              return g && (!q.keep || q.keep(g as unknown as Record<string, unknown>)) ? groupJson(g, fieldsFrom(url, fields)) : undefined;
            }, headers, q.state);
          }
          const j = dir.groupIndex(id);
          const g = j === undefined ? undefined : dir.groupAt(j);
          if (j === undefined || !g) return graphError(res, 404, 'Request_ResourceNotFound', notFound(id), headers);
          if (sub === undefined) return send({ '@odata.context': `${base()}/$metadata#groups/$entity`, ...groupJson(g, fields) });
          if (sub === 'members' || sub === 'transitiveMembers') {
            const userFields = parseSelect(url.searchParams.get('$select'), 'user');
            const refs = sub === 'members' ? dir.members(j) : dir.transitiveMembers(j);
            return page(url, res, `${base()}/groups/${g.id}/${sub}`, `${base()}/$metadata#directoryObjects`, refs.length, (k) => directoryObjectJson(tenant, refs[k]!, fieldsFrom(url, userFields), faults.apply) ?? undefined, headers);
          }
          if (sub === 'memberOf' || sub === 'transitiveMemberOf') {
            const refObj: MemberRef = { kind: 'group', id: g.id };
            const groups = sub === 'memberOf' ? dir.memberOf(refObj) : dir.transitiveMemberOf(refObj);
            return arrayPage(url, res, `${base()}/groups/${g.id}/${sub}`, `${base()}/$metadata#directoryObjects`, groups.map((p) => ({ '@odata.type': '#microsoft.graph.group', ...groupJson(dir.groupAt(p)!, null) })), headers);
          }
          return graphError(res, 400, 'BadRequest', `Resource not found for the segment '${sub}'.`, headers);
        }
        case 'directoryRoles': {
          if (!can(PERMISSIONS.roles)) return deny();
          const roles = dir.population.roles;
          if (id === undefined) return arrayPage(url, res, `${base()}/directoryRoles`, `${base()}/$metadata#directoryRoles`, roles.map(roleJson), headers);
          const r = roles.find((x) => x.id === id || (id.startsWith('roleTemplateId=') && id.slice('roleTemplateId='.length).replace(/'/g, '') === x.roleTemplateId));
          if (!r) return graphError(res, 404, 'Request_ResourceNotFound', notFound(id), headers);
          if (sub === undefined) return send({ '@odata.context': `${base()}/$metadata#directoryRoles/$entity`, ...roleJson(r) });
          if (sub === 'members') {
            const items = r.members.map((m) => directoryObjectJson(tenant, m, null, faults.apply)).filter((x): x is Record<string, unknown> => x !== null);
            return arrayPage(url, res, `${base()}/directoryRoles/${r.id}/members`, `${base()}/$metadata#directoryObjects`, items, headers);
          }
          return graphError(res, 400, 'BadRequest', `Resource not found for the segment '${sub}'.`, headers);
        }
        case 'roleManagement': {
          if (id !== 'directory' || sub !== 'roleAssignments') return graphError(res, 400, 'BadRequest', `Resource not found for the segment '${id ?? root}'.`, headers);
          if (!can(PERMISSIONS.roles)) return deny();
          const items = dir.population.roles.flatMap((r) => r.members.map((m) => ({
            id: Buffer.from(`${r.roleTemplateId}/${m.id}`).toString('base64url').slice(0, 43), principalId: m.id, roleDefinitionId: r.roleTemplateId, directoryScopeId: '/',
          })));
          return arrayPage(url, res, `${base()}/roleManagement/directory/roleAssignments`, `${base()}/$metadata#roleManagement/directory/roleAssignments`, items, headers);
        }
        case 'servicePrincipals': {
          if (!can(PERMISSIONS.apps)) return deny();
          const sps = dir.population.servicePrincipals;
          if (id === undefined) return arrayPage(url, res, `${base()}/servicePrincipals`, `${base()}/$metadata#servicePrincipals`, sps.map((s) => servicePrincipalJson(tenant, s)), headers);
          const sp = sps.find((s) => s.id === id || id === `appId='${s.appId}'` || id === `(appId='${s.appId}')`);
          if (!sp) return graphError(res, 404, 'Request_ResourceNotFound', notFound(id), headers);
          if (sub === undefined) return send({ '@odata.context': `${base()}/$metadata#servicePrincipals/$entity`, ...servicePrincipalJson(tenant, sp) });
          if (sub === 'appRoleAssignedTo') return arrayPage(url, res, `${base()}/servicePrincipals/${sp.id}/appRoleAssignedTo`, `${base()}/$metadata#servicePrincipals('${sp.id}')/appRoleAssignedTo`, appRoleAssignments(tenant, sp), headers);
          return graphError(res, 400, 'BadRequest', `Resource not found for the segment '${sub}'.`, headers);
        }
        default:
          return graphError(res, 400, 'BadRequest', `Resource not found for the segment '${root}'.`, headers);
      }
    } catch (e) {
      if (e instanceof SelectError) return graphError(res, 400, 'Request_BadRequest', e.message, headers);
      throw e;
    }
  };

  /**
   * `$filter` / `$search` / `$orderby` of a users or groups list (graph-query.ts): from the
   * first request, or carried in the $skiptoken; Graph's 400 for what the sandbox cannot serve.
   */
  function listQuery(url: URL, req: IncomingMessage, kind: Kind): { keep: Keep | null; state: Pick<ListState, 'f' | 'q'> } | { code: string; message: string } {
    const st = decodeToken<ListState>(url.searchParams.get('$skiptoken'));
    const filter = st ? st.f ?? null : url.searchParams.get('$filter');
    const search = st ? st.q ?? null : url.searchParams.get('$search');
    const orderby = st ? null : url.searchParams.get('$orderby');
    const consistency = st ? 'eventual' : (req.headers['consistencylevel'] as string | undefined);
    const r = directoryQuery(kind, { filter, search, orderby }, consistency);
    if ('code' in r) return r;
    return { keep: r.keep, state: { f: filter, q: search } };
  }

  /** $select from the first request, or the one carried in the $skiptoken. */
  function fieldsFrom(url: URL, fields: string[] | null): string[] | null {
    const st = decodeToken<ListState>(url.searchParams.get('$skiptoken'));
    return st ? (st.s ? st.s.split(',') : null) : fields;
  }

  /**
   * One page of an indexed collection, `$top` 1–999 (default 100), with an opaque absolute
   * nextLink carrying `$skiptoken`. `at(i)` is undefined for gaps (deleted objects).
   */
  function page(url: URL, res: ServerResponse, link: string, context: string, total: number, at: (i: number) => Record<string, unknown> | undefined, headers: Record<string, string>, query: Pick<ListState, 'f' | 'q'> = {}): void {
    const token = url.searchParams.get('$skiptoken');
    const st = decodeToken<ListState>(token);
    if (token !== null && !st) return graphError(res, 400, 'Request_BadRequest', 'The specified page token value has expired or is invalid.', headers);
    const topRaw = url.searchParams.get('$top');
    const top = st?.n ?? (topRaw === null ? 100 : Number(topRaw));
    if (!Number.isInteger(top) || top < 1 || top > 999) {
      return graphError(res, 400, 'Request_BadRequest', `Invalid page size specified: '${topRaw}'. Must be between 1 and 999 inclusive.`, headers);
    }
    const value: Record<string, unknown>[] = [];
    let i = st?.o ?? 0;
    for (; i < total && value.length < top; i++) {
      const v = at(i);
      if (v) value.push(v);
    }
    const body: Record<string, unknown> = { '@odata.context': context };
    if (i < total) {
      // Graph writes the OData names unescaped: …/users?$top=5&$skiptoken=…
      const carried = { ...(query.f ? { f: query.f } : {}), ...(query.q ? { q: query.q } : {}) };
      body['@odata.nextLink'] = `${link}?$top=${top}&$skiptoken=${encodeToken({ o: i, n: top, s: st?.s ?? url.searchParams.get('$select'), ...carried } satisfies ListState)}`;
    }
    body['value'] = value;
    sendJson(res, 200, body, headers);
  }

  function arrayPage(url: URL, res: ServerResponse, link: string, context: string, items: Record<string, unknown>[], headers: Record<string, string>): void {
    page(url, res, link, context, items.length, (i) => items[i], headers);
  }

  function writeRoleMembers(req: IncomingMessage, res: ServerResponse, tenant: EntraTenant, claims: GraphClaims, roleId: string, memberId: string | undefined, ref: string | undefined, headers: Record<string, string>): Promise<void> {
    return writeRoleMembersImpl(ctx, req, res, tenant, claims, roleId, memberId, ref, headers);
  }
  function deleteAppRoleAssignment(res: ServerResponse, tenant: EntraTenant, claims: GraphClaims, spId: string, assignmentId: string | undefined, headers: Record<string, string>): void {
    deleteAppRoleAssignmentImpl(ctx, res, tenant, claims, spId, assignmentId, headers);
  }

  /**
   * Membership write-back: `DELETE /groups/{id}/members/{memberId}/$ref` (204) and
   * `POST /groups/{id}/members/$ref` with `{"@odata.id": ".../directoryObjects/{id}"}` (204).
   * https://learn.microsoft.com/graph/api/group-delete-members · …/group-post-members
   */
  async function writeMembers(req: IncomingMessage, res: ServerResponse, tenant: EntraTenant, claims: GraphClaims, groupId: string, memberId: string | undefined, ref: string | undefined, headers: Record<string, string>): Promise<void> {
    const dir = tenant.directory;
    const can = (set: readonly string[]) => set.some((r) => claims.roles.includes(r));
    const j = dir.groupIndex(groupId);
    const g = j === undefined ? undefined : dir.groupAt(j);
    if (!can(PERMISSIONS.memberWrite) || ctx.faults.fires(tenant.tenantId, 'graph.membership_write_denied')) return graphError(res, 403, 'Authorization_RequestDenied', DENIED, headers);
    if (j === undefined || !g) return graphError(res, 404, 'Request_ResourceNotFound', notFound(groupId), headers);
    // Role-assignable groups additionally need RoleManagement.ReadWrite.Directory.
    if (g.isAssignableToRole && !can(PERMISSIONS.roleAssignableWrite)) return graphError(res, 403, 'Authorization_RequestDenied', DENIED, headers);
    // Entra computes a dynamic group's members from its rule: member writes are refused.
    if (g.membershipRule) return graphError(res, 400, 'Request_BadRequest', DYNAMIC, headers);
    if (req.method === 'DELETE') {
      if (!memberId || ref !== '$ref') return graphError(res, 400, 'Request_BadRequest', 'Write requests (excluding DELETE) must contain the Content-Type header declaration.', headers);
      if (!dir.removeMember(j, memberId)) return graphError(res, 404, 'Request_ResourceNotFound', notFound(memberId), headers);
      res.writeHead(204, headers);
      return void res.end();
    }
    const target = await refTarget(req, res, memberId, headers);
    if (!target) return;
    const kind = dir.kindOf(target);
    const alive = kind === 'user' ? dir.userAt(dir.userIndex(target)!) : kind === 'group' ? dir.groupAt(dir.groupIndex(target)!) : kind;
    if (!kind || !alive) return graphError(res, 404, 'Request_ResourceNotFound', notFound(target), headers);
    if (!dir.addMember(j, { kind, id: target })) {
      return graphError(res, 400, 'Request_BadRequest', "One or more added object references already exist for the following modified properties: 'members'.", headers);
    }
    res.writeHead(204, headers);
    res.end();
  }
}

/**
 * The object a `POST …/members/$ref` adds: the directoryObjects URL in the body's `@odata.id`,
 * answered as Graph answers a wrong segment, a body that is not JSON or one without the URL
 * (undefined once the error is sent).
 */
async function refTarget(req: IncomingMessage, res: ServerResponse, memberId: string | undefined, headers: Record<string, string>): Promise<string | undefined> {
  if (memberId !== '$ref') return void graphError(res, 400, 'Request_BadRequest', `Resource not found for the segment '${memberId ?? ''}'.`, headers);
  let body: unknown;
  try {
    body = JSON.parse((await readBody(req, 1 << 16)).toString('utf8'));
  } catch {
    return void graphError(res, 400, 'BadRequest', 'Invalid request body.', headers);
  }
  const odataId = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['@odata.id'] : undefined;
  const target = typeof odataId === 'string' ? /\/directoryObjects\/([^/?]+)$/.exec(odataId)?.[1] : undefined;
  if (!target) return void graphError(res, 400, 'BadRequest', "The request body must contain '@odata.id' with a directoryObjects URL.", headers);
  return target;
}

/** Directory role membership writes, checked like Graph checks them (RoleManagement.ReadWrite.Directory). */
async function writeRoleMembersImpl(ctx: SandboxContext, req: IncomingMessage, res: ServerResponse, tenant: EntraTenant, claims: GraphClaims, roleId: string, memberId: string | undefined, ref: string | undefined, headers: Record<string, string>): Promise<void> {
  const can = (set: readonly string[]) => set.some((r) => claims.roles.includes(r));
  const dir = tenant.directory;
  if (!can(PERMISSIONS.roleWrite) || ctx.faults.fires(tenant.tenantId, 'graph.role_write_denied')) return graphError(res, 403, 'Authorization_RequestDenied', DENIED, headers);
  const r = dir.population.roles.find((x) => x.id === roleId || (roleId.startsWith('roleTemplateId=') && roleId.slice('roleTemplateId='.length).replace(/'/g, '') === x.roleTemplateId));
  if (!r) return graphError(res, 404, 'Request_ResourceNotFound', notFound(roleId), headers);
  if (req.method === 'DELETE') {
    if (!memberId || ref !== '$ref') return graphError(res, 400, 'Request_BadRequest', 'Write requests (excluding DELETE) must contain the Content-Type header declaration.', headers);
    const at = r.members.findIndex((m) => m.id === memberId.toLowerCase() || m.id === memberId);
    if (at < 0) return graphError(res, 404, 'Request_ResourceNotFound', notFound(memberId), headers);
    r.members.splice(at, 1);
    res.writeHead(204, headers);
    return void res.end();
  }
  const target = await refTarget(req, res, memberId, headers);
  if (!target) return;
  const kind = dir.kindOf(target);
  if (!kind) return graphError(res, 404, 'Request_ResourceNotFound', notFound(target), headers);
  if (r.members.some((m) => m.id === target)) return graphError(res, 400, 'Request_BadRequest', "One or more added object references already exist for the following modified properties: 'members'.", headers);
  r.members.push({ kind, id: target });
  res.writeHead(204, headers);
  res.end();
}

/** `DELETE /servicePrincipals/{resourceId}/appRoleAssignedTo/{assignmentId}` → 204; unknown assignment 404. */
function deleteAppRoleAssignmentImpl(ctx: SandboxContext, res: ServerResponse, tenant: EntraTenant, claims: GraphClaims, spId: string, assignmentId: string | undefined, headers: Record<string, string>): void {
  const can = (set: readonly string[]) => set.some((r) => claims.roles.includes(r));
  if (!can(PERMISSIONS.appRoleWrite) || ctx.faults.fires(tenant.tenantId, 'graph.app_role_write_denied')) return graphError(res, 403, 'Authorization_RequestDenied', DENIED, headers);
  const sp = tenant.directory.population.servicePrincipals.find((s) => s.id === spId);
  if (!sp) return graphError(res, 404, 'Request_ResourceNotFound', notFound(spId), headers);
  const at = assignmentId === undefined ? -1 : sp.assignments.findIndex((a) => a.id === assignmentId);
  if (at < 0) return graphError(res, 404, 'Request_ResourceNotFound', notFound(assignmentId ?? ''), headers);
  sp.assignments.splice(at, 1);
  res.writeHead(204, headers);
  res.end();
}

function roleJson(r: { id: string; displayName: string; description: string; roleTemplateId: string }): Record<string, unknown> {
  return { id: r.id, deletedDateTime: null, description: r.description, displayName: r.displayName, roleTemplateId: r.roleTemplateId };
}

