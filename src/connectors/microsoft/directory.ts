import { z } from 'zod';
import { AppError } from '../../errors/index.js';
import { checkCursorAdvances, type ConnectorContext, type DirectoryRecord, type DirectorySource, type DirectoryStream, type Page, type RateCost, type RevokeOutcome, type RevokeTarget } from '../sdk/index.js';
import { DEFAULT_LOGIN, microsoftConnectorConfig } from './config.js';
import { adminConsentUrl, isGranted } from './consent.js';
import { directoryChecks } from './directory-checks.js';
import { createGraphClient, type GraphClient } from './graph-client.js';
import { createTokenSource } from './token.js';

/**
 * Entra ID as an identity-inventory source, over Microsoft Graph:
 * - `users`: /users/delta with $select (incremental; guests from userType, external from
 *   `#EXT#` UPNs or externalUserState; deletions as `removed` records); `manager` in the
 *   $select makes Graph add `manager@delta` to each user, stored as the `managerId` attribute;
 * - `groups`: /groups/delta?$select=displayName,description,mail,members → groups and their
 *   direct memberships, `members@delta` removals as `removed` memberships; a large group
 *   repeats across pages and is merged within a page (incremental);
 * - `directory_roles`: activated directory roles (entitlement 'role', admin roles
 *   privileged) and their members as grants;
 * - `app_roles`: service principals' app roles assignable to users/groups (entitlement
 *   'app_role') and their assignments as grants.
 * Every request is charged to the identity & access budget of this app + tenant (shared by
 * every connection to the same tenant with the same app). Cursors are opaque and versioned.
 * https://learn.microsoft.com/graph/delta-query-users · …/delta-query-groups
 */
export const microsoftDirectoryConfig = microsoftConnectorConfig.extend({
  /** Write-back consent: revocations may be written to Entra ID (needs GroupMember.ReadWrite.All, RoleManagement.ReadWrite.Directory, AppRoleAssignment.ReadWrite.All). */
  writeBack: z.boolean().default(false),
  /** Where the admin consent link in failing permission findings sends the admin back to. */
  consentRedirectUri: z.string().url().default('https://localhost/admin-consent'),
  /** Delta page size asked with Prefer: odata.maxpagesize (Graph may send fewer). */
  pageSize: z.number().int().min(1).max(999).default(999),
});
export type MicrosoftDirectoryConfig = z.infer<typeof microsoftDirectoryConfig>;
export type MicrosoftDirectoryConfigInput = z.input<typeof microsoftDirectoryConfig>;

// `manager` in $select makes delta report each user's manager as `manager@delta` (as `members`
// does for groups); it costs no extra request, unlike /users/{id}/manager per user.
export const USER_SELECT = 'id,userPrincipalName,mail,displayName,givenName,surname,accountEnabled,userType,employeeId,createdDateTime,onPremisesImmutableId,externalUserState,department,jobTitle,manager';
export const GROUP_SELECT = 'displayName,description,mail,members';

/** Admin roles whose holders can take over the tenant or its data (role template ids). */
export const PRIVILEGED_ROLE_TEMPLATES: ReadonlySet<string> = new Set([
  '62e90394-69f5-4237-9190-012177145e10', // Global Administrator
  'e8611ab8-c189-46e8-94e1-60213ab1f814', // Privileged Role Administrator
  '7be44c8a-adaf-4e2a-84d6-ab2649e08a13', // Privileged Authentication Administrator
  '194ae4cb-b126-40b2-bd5b-6091b380977d', // Security Administrator
  'fe930be7-5e62-47db-91af-98c3a49a38b1', // User Administrator
  '9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3', // Application Administrator
  '158c047a-c907-4556-b7ef-446551a6b5f7', // Cloud Application Administrator
  '29232cdf-9323-42fd-ade2-1d097af3e4de', // Exchange Administrator
  'f28a1f50-f6e7-4571-818b-6a12f2af6b6c', // SharePoint Administrator
  'b1be1c3e-b65d-4f19-8427-f6fa0d97feb9', // Conditional Access Administrator
  'c4e39bd9-1100-46d3-8c65-fb160da0071f', // Authentication Administrator
  '729827e3-9c14-49f7-bb1b-9608f156bbb8', // Helpdesk Administrator
  '3a2c62db-5318-420d-8d74-23affee5d9d5', // Intune Administrator
  '8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2', // Hybrid Identity Administrator
  'fdd7a751-b60b-444a-984c-02652fe8fa1c', // Groups Administrator
]);

const removedMark = z.object({ reason: z.string() });
const userEntry = z.object({
  id: z.string(),
  '@removed': removedMark.optional(),
  userPrincipalName: z.string().nullish(),
  mail: z.string().nullish(),
  displayName: z.string().nullish(),
  givenName: z.string().nullish(),
  surname: z.string().nullish(),
  accountEnabled: z.boolean().nullish(),
  userType: z.string().nullish(),
  employeeId: z.string().nullish(),
  createdDateTime: z.string().nullish(),
  onPremisesImmutableId: z.string().nullish(),
  externalUserState: z.string().nullish(),
  department: z.string().nullish(),
  jobTitle: z.string().nullish(),
  'manager@delta': z.array(z.object({ '@odata.type': z.string().optional(), id: z.string(), '@removed': removedMark.optional() })).optional(),
});
const memberEntry = z.object({ '@odata.type': z.string().optional(), id: z.string(), '@removed': removedMark.optional() });
const groupEntry = z.object({
  id: z.string(),
  '@removed': removedMark.optional(),
  displayName: z.string().nullish(),
  description: z.string().nullish(),
  mail: z.string().nullish(),
  'members@delta': z.array(memberEntry).optional(),
});
const links = { '@odata.nextLink': z.string().optional(), '@odata.deltaLink': z.string().optional() };
const userPage = z.object({ value: z.array(userEntry), ...links });
const groupPage = z.object({ value: z.array(groupEntry), ...links });
// Graph's model leaves every property but the id nullable: a role without a name or template is read, not refused.
const rolePage = z.object({ value: z.array(z.object({ id: z.string(), displayName: z.string().nullish(), description: z.string().nullish(), roleTemplateId: z.string().nullish() })), ...links });
const objectPage = z.object({ value: z.array(memberEntry), ...links });
const appRole = z.object({ id: z.string(), value: z.string().nullish(), displayName: z.string().nullish(), description: z.string().nullish(), allowedMemberTypes: z.array(z.string()).default([]), isEnabled: z.boolean().default(true) });
const spPage = z.object({ value: z.array(z.object({ id: z.string(), appId: z.string(), displayName: z.string().nullish(), appRoles: z.array(appRole).default([]) })), ...links });
const assignmentPage = z.object({ value: z.array(z.object({ id: z.string(), appRoleId: z.string(), principalId: z.string(), principalType: z.string().nullish(), resourceId: z.string() })), ...links });

/** Persisted cursor: `md1.` + base64url JSON. The version prefix lets the shape evolve. */
const CURSOR_V = 'md1.';
type Cursor =
  | { s: 'users' | 'groups'; l: string }
  | { s: 'directory_roles'; p: 'list'; l: string; ids: string[] }
  | { s: 'directory_roles'; p: 'members'; ids: string[]; i: number; l: string | null }
  | { s: 'app_roles'; p: 'list'; l: string; ids: string[] }
  | { s: 'app_roles'; p: 'assignments'; ids: string[]; i: number; l: string | null };

function encodeCursor(c: Cursor): string {
  return CURSOR_V + Buffer.from(JSON.stringify(c)).toString('base64url');
}

function decodeCursor(stream: string, cursor: string): Cursor {
  if (!cursor.startsWith(CURSOR_V)) throw new AppError('directory.delta_expired', { what: `the ${stream} of Entra ID` });
  try {
    const c = JSON.parse(Buffer.from(cursor.slice(CURSOR_V.length), 'base64url').toString('utf8')) as Cursor;
    if (c.s !== stream) throw new Error('stream mismatch');
    return c;
  } catch {
    throw new AppError('directory.delta_expired', { what: `the ${stream} of Entra ID` });
  }
}

export const MICROSOFT_DIRECTORY_STREAMS: readonly DirectoryStream[] = [
  { name: 'users', yields: ['account', 'removed'], incremental: true },
  { name: 'groups', yields: ['group', 'membership', 'removed'], incremental: true, repeatsAcrossPages: true },
  { name: 'directory_roles', yields: ['entitlement', 'grant'] },
  { name: 'app_roles', yields: ['entitlement', 'grant'] },
];

/** The identity & access budget key: one per app + tenant, whichever connection spends it. */
export function identityBudgetKey(tenantId: string, clientId: string): string {
  return `m365:identity:${clientId.toLowerCase()}:${tenantId.toLowerCase()}`;
}

/**
 * Graph's write limit for identity & access, per app + tenant: 3,000 writes per 2 min 30 s
 * (providers.md §2.6; learn.microsoft.com/graph/throttling-limits). Writes also cost resource
 * units; this limit is the one that binds a long apply (20 writes per second), so it has its own budget.
 */
export const GRAPH_IDENTITY_WRITES = { amount: 3_000, windowMs: 150_000 } as const;

/** The identity & access write budget key (one per app + tenant, like the resource units'). */
export function identityWritesBudgetKey(tenantId: string, clientId: string): string {
  return `m365:identity-writes:${clientId.toLowerCase()}:${tenantId.toLowerCase()}`;
}

/**
 * Resource units Graph charges for a request (providers.md §2.6), so the shared budget matches
 * Graph's: a write costs 1 (and one write of GRAPH_IDENTITY_WRITES), a GET by what it reads.
 */
export function identityCost(path: string, method = 'GET'): number {
  if (method !== 'GET') return 1;
  const u = new URL(path, 'https://graph.microsoft.com/v1.0/');
  const seg = u.pathname.replace(/^\/v1\.0/, '').split('/');
  let cost = 1;
  if (seg[1] === 'users' && seg.length === 2) cost = 2;
  else if (seg[1] === 'groups' && seg[3] === 'members') cost = 3;
  else if (seg[1] === 'groups' && seg[3] === 'transitiveMembers') cost = 5;
  if (u.searchParams.has('$select')) cost -= 1;
  if (u.searchParams.has('$top') && Number(u.searchParams.get('$top')) < 20) cost -= 1;
  return Math.max(1, cost);
}

/**
 * The manager a delta entry names: the reference without `@removed` (one at most; the last
 * wins should Graph send a removal and an addition together); only a removal is no manager.
 * No `manager@delta` at all is no manager on a full pass, and "unchanged" on a later round
 * (the record says so with `notCarried`).
 */
export function managerOf(refs: readonly { id: string; '@removed'?: unknown }[] | undefined): string | null {
  const alive = (refs ?? []).filter((r) => r['@removed'] === undefined);
  return alive.length > 0 ? alive[alive.length - 1]!.id : null;
}

export function createMicrosoftDirectory(ctx: ConnectorContext, input: MicrosoftDirectoryConfigInput): DirectorySource {
  const config = microsoftDirectoryConfig.parse(input);
  const tokens = createTokenSource(ctx.http, config, ctx.now);
  const graph = createGraphClient(ctx.http, config, tokens);
  const budgetKey = identityBudgetKey(config.tenantId, config.clientId);
  const writesKey = identityWritesBudgetKey(config.tenantId, config.clientId);
  const budgets = (path: string, method = 'GET'): RateCost[] => [{ key: budgetKey, cost: identityCost(path, method) }, ...(method === 'GET' ? [] : [{ key: writesKey, cost: 1 }])];
  const prefer = { prefer: `odata.maxpagesize=${config.pageSize}` };

  async function fetchPage<T>(path: string, permission: string, schema: z.ZodType<T>, headers?: Record<string, string>): Promise<T> {
    return (await graph.getJson({ path, permission, budgets: budgets(path), headers, area: 'directory' }, schema))!;
  }

  async function users(cursor: Cursor | null): Promise<Page<DirectoryRecord>> {
    const path = cursor && 'l' in cursor && cursor.l ? cursor.l : `/users/delta?$select=${USER_SELECT}`;
    const page = await fetchPage(path, 'User.Read.All', userPage, prefer);
    const items: DirectoryRecord[] = page.value.map((u): DirectoryRecord => {
      if (u['@removed']) return { type: 'removed', objectType: 'account', externalId: u.id };
      const upn = u.userPrincipalName ?? u.id;
      const guest = (u.userType ?? 'Member').toLowerCase() === 'guest';
      return {
        type: 'account',
        externalId: u.id,
        accountType: guest ? 'guest' : 'user',
        userName: upn,
        email: u.mail ?? null,
        displayName: u.displayName ?? upn,
        givenName: u.givenName ?? null,
        familyName: u.surname ?? null,
        employeeId: u.employeeId ?? null,
        enabled: u.accountEnabled ?? true,
        // B2B: invited users carry #EXT# in their UPN and an externalUserState.
        external: upn.includes('#EXT#') || (u.externalUserState ?? null) !== null,
        createdAt: u.createdDateTime ?? null,
        lastSignInAt: null,
        attributes: {
          userType: u.userType ?? null,
          externalUserState: u.externalUserState ?? null,
          onPremisesImmutableId: u.onPremisesImmutableId ?? null,
          department: u.department ?? null,
          jobTitle: u.jobTitle ?? null,
          // Where campaigns' manager mode looks (src/campaigns/assign.ts), as SCIM's enterprise manager.
          managerId: managerOf(u['manager@delta']),
        },
        // Graph sends `manager@delta` on a later delta round only when the manager changed: a
        // user returned for another change keeps the manager stored (src/directory/sync/pages.ts).
        ...(u['manager@delta'] === undefined ? { notCarried: ['managerId'] } : {}),
      };
    });
    return linksOf('users', page, items, path);
  }

  async function groups(cursor: Cursor | null): Promise<Page<DirectoryRecord>> {
    const path = cursor && 'l' in cursor && cursor.l ? cursor.l : `/groups/delta?$select=${GROUP_SELECT}`;
    const page = await fetchPage(path, 'GroupMember.Read.All', groupPage, prefer);
    const items: DirectoryRecord[] = [];
    const seenGroup = new Set<string>();
    for (const g of page.value) {
      if (g['@removed']) {
        items.push({ type: 'removed', objectType: 'group', externalId: g.id });
        continue;
      }
      // A large group repeats (here or on later pages) with the next slice of members: one
      // group record per page, every slice's memberships.
      if (!seenGroup.has(g.id) && typeof g.displayName === 'string') {
        seenGroup.add(g.id);
        items.push({ type: 'group', externalId: g.id, displayName: g.displayName, email: g.mail ?? null, description: g.description ?? null, attributes: {} });
      }
      for (const m of g['members@delta'] ?? []) {
        const kind = memberKind(m['@odata.type']);
        if (!kind) continue; // devices, contacts and service principals are not inventory accounts
        if (m['@removed']) items.push({ type: 'removed', objectType: 'membership', groupId: g.id, memberId: m.id });
        else items.push({ type: 'membership', groupId: g.id, memberId: m.id, memberType: kind, role: null });
      }
    }
    return linksOf('groups', page, items, path);
  }

  async function directoryRoles(cursor: Cursor | null): Promise<Page<DirectoryRecord>> {
    if (!cursor || (cursor.s === 'directory_roles' && cursor.p === 'list')) {
      const listCursor = cursor && cursor.s === 'directory_roles' && cursor.p === 'list' ? cursor : null;
      const path = listCursor?.l ?? '/directoryRoles';
      const prior = listCursor?.ids ?? [];
      const page = await fetchPage(path, 'RoleManagement.Read.Directory', rolePage);
      const items: DirectoryRecord[] = page.value.map((r) => ({
        type: 'entitlement', externalId: r.id, entitlementType: 'role', displayName: r.displayName ?? r.roleTemplateId ?? r.id, description: r.description ?? null,
        privileged: r.roleTemplateId ? PRIVILEGED_ROLE_TEMPLATES.has(r.roleTemplateId) : false, attributes: { roleTemplateId: r.roleTemplateId ?? null },
      }));
      const ids = [...prior, ...page.value.map((r) => r.id)];
      const nextLink = page['@odata.nextLink'];
      if (nextLink) return { items, next: encodeCursor({ s: 'directory_roles', p: 'list', l: nextLink, ids }), deltaCursor: null };
      return { items, next: ids.length ? encodeCursor({ s: 'directory_roles', p: 'members', ids, i: 0, l: null }) : null, deltaCursor: null };
    }
    if (cursor.s !== 'directory_roles' || cursor.p !== 'members') throw new AppError('directory.delta_expired', { what: 'the directory roles of Entra ID' });
    const roleId = cursor.ids[cursor.i]!;
    const page = await fetchPage(cursor.l ?? `/directoryRoles/${roleId}/members`, 'RoleManagement.Read.Directory', objectPage);
    const items: DirectoryRecord[] = [];
    for (const m of page.value) {
      const kind = memberKind(m['@odata.type']);
      if (kind) items.push({ type: 'grant', entitlementId: roleId, principalId: m.id, principalType: kind, attributes: {} });
    }
    const nextLink = page['@odata.nextLink'];
    const next = nextLink ? { ...cursor, l: nextLink } : cursor.i + 1 < cursor.ids.length ? { ...cursor, i: cursor.i + 1, l: null } : null;
    return { items, next: next ? encodeCursor(next) : null, deltaCursor: null };
  }

  async function appRoles(cursor: Cursor | null): Promise<Page<DirectoryRecord>> {
    if (!cursor || (cursor.s === 'app_roles' && cursor.p === 'list')) {
      const listCursor = cursor && cursor.s === 'app_roles' && cursor.p === 'list' ? cursor : null;
      const page = await fetchPage(listCursor?.l ?? '/servicePrincipals?$top=999&$select=id,appId,displayName,appRoles', 'Application.Read.All', spPage);
      const items: DirectoryRecord[] = [];
      const ids = [...(listCursor?.ids ?? [])];
      for (const sp of page.value) {
        // Only roles people and groups can hold; application permissions (Graph's own) are not reviewed here.
        const roles = sp.appRoles.filter((r) => r.isEnabled && r.allowedMemberTypes.includes('User'));
        if (!roles.length) continue;
        ids.push(sp.id);
        for (const r of roles) {
          items.push({
            type: 'entitlement', externalId: `${sp.id}/${r.id}`, entitlementType: 'app_role',
            displayName: `${sp.displayName ?? sp.appId}: ${r.displayName ?? r.value ?? r.id}`, description: r.description ?? null,
            privileged: /admin/i.test(r.value ?? ''), attributes: { appId: sp.appId, servicePrincipalId: sp.id, value: r.value ?? null },
          });
        }
      }
      const nextLink = page['@odata.nextLink'];
      if (nextLink) return { items, next: encodeCursor({ s: 'app_roles', p: 'list', l: nextLink, ids }), deltaCursor: null };
      return { items, next: ids.length ? encodeCursor({ s: 'app_roles', p: 'assignments', ids, i: 0, l: null }) : null, deltaCursor: null };
    }
    if (cursor.s !== 'app_roles' || cursor.p !== 'assignments') throw new AppError('directory.delta_expired', { what: 'the app roles of Entra ID' });
    const spId = cursor.ids[cursor.i]!;
    const page = await fetchPage(cursor.l ?? `/servicePrincipals/${spId}/appRoleAssignedTo?$top=999`, 'Application.Read.All', assignmentPage);
    const items: DirectoryRecord[] = [];
    for (const a of page.value) {
      const principalType = a.principalType === 'User' ? 'account' : a.principalType === 'Group' ? 'group' : null;
      if (principalType) items.push({ type: 'grant', entitlementId: `${a.resourceId}/${a.appRoleId}`, principalId: a.principalId, principalType, attributes: { assignmentId: a.id } });
    }
    const nextLink = page['@odata.nextLink'];
    const next = nextLink ? { ...cursor, l: nextLink } : cursor.i + 1 < cursor.ids.length ? { ...cursor, i: cursor.i + 1, l: null } : null;
    return { items, next: next ? encodeCursor(next) : null, deltaCursor: null };
  }

  function linksOf(stream: 'users' | 'groups', page: { '@odata.nextLink'?: string; '@odata.deltaLink'?: string }, items: DirectoryRecord[], used: string): Page<DirectoryRecord> {
    const next = page['@odata.nextLink'];
    const delta = page['@odata.deltaLink'];
    if (!next && !delta) throw new AppError('provider.bad_response', { provider: 'Microsoft Graph', detail: `a ${stream} delta page with neither nextLink nor deltaLink` });
    // Checked as read (sdk/paging.ts): a nextLink that is the link just followed never ends.
    checkCursorAdvances('Microsoft Graph', `${stream}/delta (a page after the first)`, used, next);
    return { items, next: next ? encodeCursor({ s: stream, l: next }) : null, deltaCursor: delta ? encodeCursor({ s: stream, l: delta }) : null };
  }

  const source: DirectorySource = {
    streams: MICROSOFT_DIRECTORY_STREAMS,
    checks: () => directoryChecks(config, tokens, graph, ctx, budgets),
    async read(stream, cursor) {
      const c = cursor === null ? null : decodeCursor(stream, cursor);
      switch (stream) {
        case 'users': return users(c);
        case 'groups': return groups(c);
        case 'directory_roles': return directoryRoles(c);
        case 'app_roles': return appRoles(c);
        default: throw new AppError('request.invalid', { detail: `the Entra ID connector has no stream ${stream}` });
      }
    },
  };
  if (config.writeBack) {
    const consentUrl = adminConsentUrl({ loginBase: config.endpoints?.login ?? DEFAULT_LOGIN, tenantId: config.tenantId, clientId: config.clientId, redirectUri: config.consentRedirectUri, state: 'syncwarden' });
    const writer = createWriter(graph, budgets, consentUrl, () => tokens.roles());
    source.revoke = (target) => writer.revoke(target);
    source.stillHeld = (target) => writer.stillHeld(target);
  }
  return source;
}

/** The Graph write each kind of revocation takes, and the permission it needs. */
export const WRITE_PERMISSIONS = {
  membership: 'GroupMember.ReadWrite.All',
  role: 'RoleManagement.ReadWrite.Directory',
  appRole: 'AppRoleAssignment.ReadWrite.All',
} as const;

const groupRuleShape = z.object({ id: z.string(), displayName: z.string().nullish(), groupTypes: z.array(z.string()).nullish(), membershipRule: z.string().nullish() });
const idPage = z.object({ value: z.array(z.object({ id: z.string() })), ...links });

/**
 * Write-back and its verification (issue 13): a membership by `DELETE /groups/{id}/members/{id}/$ref`,
 * a directory role by `DELETE /directoryRoles/{id}/members/{id}/$ref` (the connector reads roles
 * through /directoryRoles, so their ids are the entitlement ids), an app role assignment by
 * `DELETE /servicePrincipals/{resourceId}/appRoleAssignedTo/{assignmentId}` after finding the
 * assignment (entitlement ids are `{resourceId}/{appRoleId}`). 404 is already gone; 403 names
 * the permission with the admin consent link; a dynamic group's 400 is directory.group_rule_based.
 * https://learn.microsoft.com/graph/api/group-delete-members · …/directoryrole-delete-member ·
 * …/serviceprincipal-delete-approleassignedto
 */
function createWriter(graph: GraphClient, budgets: (path: string, method?: string) => RateCost[], consentUrl: string, roles: () => Promise<string[]>) {
  const call = (path: string, method: 'GET' | 'DELETE', permission: string) =>
    graph.get({ path, method, permission, budgets: budgets(path, method), area: 'directory', accept: [400, 403, 404] }).then((r) => r!);
  const denied = (what: string, permission: string) => new AppError('m365.write_back_denied', { what, permission, consentUrl });
  const enc = encodeURIComponent;

  /** Every id of a listing, following nextLinks (a bounded number of pages). */
  async function ids(path: string, permission: string): Promise<Set<string> | null> {
    const out = new Set<string>();
    let next: string | undefined = path;
    for (let pages = 0; next && pages < 10_000; pages++) {
      const res = await call(next, 'GET', permission);
      if (res.status === 404) return null;
      if (res.status === 403) throw new AppError('m365.permission_missing', { permission, consentUrl });
      if (res.status === 400) throw new AppError('provider.bad_response', { provider: 'Microsoft Graph', detail: `HTTP 400 on ${path}` });
      const page = idPage.safeParse(res.json());
      if (!page.success) throw new AppError('provider.bad_response', { provider: 'Microsoft Graph', detail: `unexpected response shape on ${path}` });
      for (const v of page.data.value) out.add(v.id.toLowerCase());
      next = page.data['@odata.nextLink'];
    }
    return out;
  }

  /** The app role assignment a grant stands for, or null when there is none (any more). */
  async function findAssignment(target: Extract<RevokeTarget, { type: 'grant' }>): Promise<{ spId: string; id: string } | null> {
    const [spId, appRoleId] = target.entitlementId.split('/');
    let next: string | undefined = `/servicePrincipals/${enc(spId!)}/appRoleAssignedTo?$top=999`;
    for (let pages = 0; next && pages < 10_000; pages++) {
      const res = await call(next, 'GET', 'Application.Read.All');
      if (res.status === 404) return null;
      if (res.status !== 200) throw new AppError('m365.permission_missing', { permission: 'Application.Read.All', consentUrl });
      const page = assignmentPage.parse(res.json());
      const hit = page.value.find((a) => a.appRoleId === appRoleId && a.principalId.toLowerCase() === target.principalId.toLowerCase());
      if (hit) return { spId: spId!, id: hit.id };
      next = page['@odata.nextLink'];
    }
    return null;
  }

  const isAppRole = (t: Extract<RevokeTarget, { type: 'grant' }>) => t.entitlementId.includes('/');

  return {
    async revoke(target: RevokeTarget): Promise<RevokeOutcome> {
      if (target.type === 'membership') {
        const path = `/groups/${enc(target.groupId)}/members/${enc(target.memberId)}/$ref`;
        const res = await call(path, 'DELETE', WRITE_PERMISSIONS.membership);
        if (res.status === 404) return 'already_gone';
        if (res.status === 403) {
          // With the member permission granted, a refusal is a role-assignable group: it also needs RoleManagement.ReadWrite.Directory.
          const granted = await roles().catch(() => [] as string[]);
          const missing = isGranted(WRITE_PERMISSIONS.membership, granted) && !isGranted(WRITE_PERMISSIONS.role, granted) ? WRITE_PERMISSIONS.role : WRITE_PERMISSIONS.membership;
          throw denied(`the members of group ${target.groupId}`, missing);
        }
        if (res.status === 400) {
          // A dynamic group refuses member writes: read the group to tell (the answer's code is a generic Request_BadRequest).
          const g = await graph.getJson({ path: `/groups/${enc(target.groupId)}?$select=id,displayName,groupTypes,membershipRule`, permission: 'GroupMember.Read.All', budgets: budgets('/groups/x'), area: 'directory', notFoundIsNull: true }, groupRuleShape);
          if (g && (g.groupTypes?.includes('DynamicMembership') || g.membershipRule)) {
            throw new AppError('directory.group_rule_based', { provider: 'Entra ID', group: g.displayName ?? g.id, rule: g.membershipRule ?? 'a dynamic membership rule' });
          }
          if (!g) return 'already_gone';
          throw new AppError('provider.bad_response', { provider: 'Microsoft Graph', detail: `HTTP 400 removing a member of group ${target.groupId}` });
        }
        return 'revoked';
      }
      if (target.type === 'grant' && !isAppRole(target)) {
        const path = `/directoryRoles/${enc(target.entitlementId)}/members/${enc(target.principalId)}/$ref`;
        const res = await call(path, 'DELETE', WRITE_PERMISSIONS.role);
        if (res.status === 404) return 'already_gone';
        if (res.status === 403) throw denied(`the holders of directory role ${target.entitlementId}`, WRITE_PERMISSIONS.role);
        if (res.status === 400) throw new AppError('provider.bad_response', { provider: 'Microsoft Graph', detail: `HTTP 400 removing a member of directory role ${target.entitlementId}` });
        return 'revoked';
      }
      if (target.type === 'grant') {
        const found = await findAssignment(target);
        if (!found) return 'already_gone';
        const path = `/servicePrincipals/${enc(found.spId)}/appRoleAssignedTo/${enc(found.id)}`;
        const res = await call(path, 'DELETE', WRITE_PERMISSIONS.appRole);
        if (res.status === 404) return 'already_gone';
        if (res.status === 403) throw denied(`the app role assignments of ${target.entitlementId}`, WRITE_PERMISSIONS.appRole);
        if (res.status === 400) throw new AppError('provider.bad_response', { provider: 'Microsoft Graph', detail: `HTTP 400 removing app role assignment ${found.id}` });
        return 'revoked';
      }
      throw new AppError('directory.revoke_unsupported', { what: target.type === 'credential' ? 'a credential' : 'deactivating an account (Syncwarden never disables Entra ID accounts)' });
    },

    async stillHeld(target: RevokeTarget): Promise<boolean> {
      if (target.type === 'membership') {
        // The member's own (direct) memberships: one short list, whatever the group's size.
        const who = target.memberType === 'group' ? 'groups' : 'users';
        const held = await ids(`/${who}/${enc(target.memberId)}/memberOf?$select=id&$top=999`, 'GroupMember.Read.All');
        return !!held && held.has(target.groupId.toLowerCase());
      }
      if (target.type === 'grant' && !isAppRole(target)) {
        const held = await ids(`/directoryRoles/${enc(target.entitlementId)}/members?$select=id`, 'RoleManagement.Read.Directory');
        return !!held && held.has(target.principalId.toLowerCase());
      }
      if (target.type === 'grant') return (await findAssignment(target)) !== null;
      throw new AppError('directory.revoke_unsupported', { what: target.type === 'credential' ? 'a credential' : 'deactivating an account (Syncwarden never disables Entra ID accounts)' });
    },
  };
}

function memberKind(odataType: string | undefined): 'account' | 'group' | null {
  if (odataType === '#microsoft.graph.user') return 'account';
  if (odataType === '#microsoft.graph.group') return 'group';
  return null;
}
