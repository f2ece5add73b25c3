import type { SandboxContext } from '../types.js';
import type { DirGroup, DirServicePrincipal, DirUser, Directory, MemberRef } from './directory-model.js';
import { GRAPH_RESOURCE_APP_ID } from './directory-populations.js';
import { GRAPH_APP_ROLES, type EntraTenant } from './world.js';

/**
 * Graph JSON for directory objects: users, groups, service principals, directory roles,
 * app role assignments, and `directoryObject` collections (members, memberOf) that carry
 * `@odata.type`. `$select` is honoured; an unknown property is Graph's 400.
 * https://learn.microsoft.com/graph/api/resources/user
 */

/** Properties returned without $select (providers.md §2.1). */
const USER_DEFAULT = ['businessPhones', 'displayName', 'givenName', 'jobTitle', 'mail', 'mobilePhone', 'officeLocation', 'preferredLanguage', 'surname', 'userPrincipalName', 'id'] as const;
const USER_ALL = new Set<string>([...USER_DEFAULT, 'accountEnabled', 'userType', 'employeeId', 'createdDateTime', 'onPremisesImmutableId', 'externalUserState', 'department', 'deletedDateTime', 'mailNickname', 'usageLocation', 'otherMails', 'onPremisesSyncEnabled', 'companyName', 'country', 'city', 'employeeType']);
const GROUP_ALL = new Set<string>(['id', 'deletedDateTime', 'classification', 'createdDateTime', 'description', 'displayName', 'groupTypes', 'isAssignableToRole', 'mail', 'mailEnabled', 'mailNickname', 'membershipRule', 'membershipRuleProcessingState', 'securityEnabled', 'visibility', 'members', 'proxyAddresses', 'renewedDateTime', 'securityIdentifier', 'onPremisesSyncEnabled']);

export class SelectError extends Error {
  constructor(readonly property: string, readonly type: string) {
    super(`Could not find a property named '${property}' on type 'microsoft.graph.${type}'.`);
  }
}

/** Parses $select for a type; throws SelectError for a property the type does not have. */
export function parseSelect(select: string | null, type: 'user' | 'group'): string[] | null {
  if (!select) return null;
  const fields = select.split(',').map((s) => s.trim()).filter(Boolean);
  const known = type === 'user' ? USER_ALL : GROUP_ALL;
  for (const f of fields) if (!known.has(f)) throw new SelectError(f, type);
  return fields;
}

/** The tenant-wide user faults of the mail side (by UPN), applied to directory reads too. */
export function userFaults(ctx: SandboxContext, tenantId: string) {
  const deleted = ctx.faults.get(tenantId, 'm365.user_deleted')?.params['user'];
  const disabled = ctx.faults.get(tenantId, 'm365.user_disabled')?.params['user'];
  const renamed = ctx.faults.get(tenantId, 'm365.user_renamed');
  return {
    hidden: (u: DirUser) => deleted !== undefined && deleted === u.userPrincipalName,
    apply(u: DirUser): DirUser {
      let out = u;
      if (disabled !== undefined && disabled === u.userPrincipalName) out = { ...out, accountEnabled: false };
      if (renamed && renamed.params['user'] === u.userPrincipalName) out = { ...out, userPrincipalName: String(renamed.params['to']), mail: String(renamed.params['to']) };
      return out;
    },
  };
}

export function userJson(u: DirUser, fields: readonly string[] | null): Record<string, unknown> {
  const all = (k: string): unknown => {
    switch (k) {
      case 'businessPhones': return [];
      case 'mobilePhone': case 'officeLocation': case 'deletedDateTime': case 'usageLocation': return null;
      case 'preferredLanguage': return u.userType === 'Guest' ? null : 'en-US';
      case 'mailNickname': return u.userPrincipalName.split('@')[0]!.replace('#EXT#', '');
      case 'otherMails': return u.userType === 'Guest' && u.mail ? [u.mail] : [];
      case 'onPremisesSyncEnabled': return u.onPremisesImmutableId ? true : null;
      default: return (u as unknown as Record<string, unknown>)[k] ?? null;
    }
  };
  const out: Record<string, unknown> = {};
  if (!fields) {
    for (const k of USER_DEFAULT) out[k] = all(k);
    return out;
  }
  // Graph always returns id, even when $select leaves it out.
  out['id'] = u.id;
  for (const k of fields) if (k !== 'id') out[k] = all(k);
  return out;
}

export function groupJson(g: DirGroup, fields: readonly string[] | null): Record<string, unknown> {
  const full: Record<string, unknown> = {
    id: g.id, deletedDateTime: null, classification: null, createdDateTime: g.createdDateTime, description: g.description, displayName: g.displayName,
    groupTypes: g.groupTypes, isAssignableToRole: g.isAssignableToRole, mail: g.mail, mailEnabled: g.mailEnabled,
    mailNickname: g.displayName.toLowerCase().replace(/[^a-z0-9]/g, ''), membershipRule: g.membershipRule ?? null, membershipRuleProcessingState: g.membershipRule ? 'On' : null, securityEnabled: g.securityEnabled,
    visibility: g.groupTypes.includes('Unified') ? 'Private' : null, proxyAddresses: g.mail ? [`SMTP:${g.mail}`] : [],
    renewedDateTime: g.createdDateTime, securityIdentifier: `S-1-12-1-${parseInt(g.id.slice(0, 8), 16)}`, onPremisesSyncEnabled: null,
  };
  if (!fields) return full;
  const out: Record<string, unknown> = { id: g.id };
  for (const k of fields) if (k !== 'id' && k !== 'members') out[k] = full[k];
  return out;
}

export function servicePrincipalJson(tenant: EntraTenant, sp: DirServicePrincipal): Record<string, unknown> {
  const graph = sp.appId === GRAPH_RESOURCE_APP_ID;
  const roles = graph
    ? Object.entries(GRAPH_APP_ROLES).map(([value, id]) => ({ id, value, displayName: value, description: `Microsoft Graph application permission ${value}` }))
    : sp.appRoles;
  return {
    id: sp.id, appId: sp.appId, displayName: sp.displayName, accountEnabled: true, servicePrincipalType: sp.servicePrincipalType,
    appOwnerOrganizationId: graph ? 'f8cdef31-a31e-4b4a-93e4-5f571e91255a' : tenant.tenantId,
    appRoles: roles.map((r) => ({ allowedMemberTypes: graph ? ['Application'] : ['User'], description: r.description, displayName: r.displayName, id: r.id, isEnabled: true, origin: 'Application', value: r.value })),
    tags: [],
  };
}

/** App role assignments of a service principal; Microsoft Graph's are the consented permissions. */
export function appRoleAssignments(tenant: EntraTenant, sp: DirServicePrincipal): Record<string, unknown>[] {
  const dir = tenant.directory;
  if (sp.appId === GRAPH_RESOURCE_APP_ID) {
    const consent = tenant.consent;
    if (!consent) return [];
    const own = dir.population.servicePrincipals.find((s) => s.id === consent.servicePrincipalId);
    return [...consent.granted].filter((p) => p in GRAPH_APP_ROLES).map((p) => ({
      id: Buffer.from(`${consent.servicePrincipalId}/${p}`).toString('base64url').slice(0, 43), deletedDateTime: null, appRoleId: GRAPH_APP_ROLES[p],
      createdDateTime: '2024-03-04T09:15:00Z', principalDisplayName: own?.displayName ?? 'Syncwarden', principalId: consent.servicePrincipalId,
      principalType: 'ServicePrincipal', resourceDisplayName: sp.displayName, resourceId: sp.id,
    }));
  }
  return sp.assignments.map((a) => ({
    id: a.id, deletedDateTime: null, appRoleId: a.appRoleId, createdDateTime: a.createdDateTime,
    principalDisplayName: displayNameOf(dir, a.principalId), principalId: a.principalId, principalType: a.principalType,
    resourceDisplayName: sp.displayName, resourceId: sp.id,
  }));
}

function displayNameOf(dir: Directory, id: string): string | null {
  const i = dir.userIndex(id);
  if (i !== undefined) return dir.userAt(i)?.displayName ?? null;
  const j = dir.groupIndex(id);
  if (j !== undefined) return dir.groupAt(j)?.displayName ?? null;
  return null;
}

/** A member as a directoryObject: `@odata.type` plus the type's properties. */
export function directoryObjectJson(tenant: EntraTenant, ref: MemberRef, userFields: readonly string[] | null, apply: (u: DirUser) => DirUser): Record<string, unknown> | null {
  const dir = tenant.directory;
  switch (ref.kind) {
    case 'user': {
      const i = dir.userIndex(ref.id);
      const u = i === undefined ? undefined : dir.userAt(i);
      return u ? { '@odata.type': '#microsoft.graph.user', ...userJson(apply(u), userFields) } : null;
    }
    case 'group': {
      const j = dir.groupIndex(ref.id);
      const g = j === undefined ? undefined : dir.groupAt(j);
      return g ? { '@odata.type': '#microsoft.graph.group', ...groupJson(g, null) } : null;
    }
    case 'servicePrincipal': {
      const sp = dir.population.servicePrincipals.find((s) => s.id === ref.id);
      return sp ? { '@odata.type': '#microsoft.graph.servicePrincipal', id: sp.id, appId: sp.appId, displayName: sp.displayName, servicePrincipalType: sp.servicePrincipalType } : null;
    }
  }
}
