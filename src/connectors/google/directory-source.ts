import { AppError } from '../../errors/index.js';
import type { ConnectorContext, DirectoryAccount, DirectoryEntitlement, DirectoryGrant, DirectoryGroup, DirectoryMembership, DirectoryRecord, DirectorySource, DirectoryStream, Page, RevokeOutcome, RevokeTarget } from '../sdk/index.js';
import { DIRECTORY_GROUP_MEMBER, DIRECTORY_GROUP_READONLY, DIRECTORY_READ_SCOPES, DIRECTORY_ROLES, DIRECTORY_ROLES_READONLY, DIRECTORY_USER_READONLY, DIRECTORY_WRITE_SCOPES, projectOfServiceAccount, resolveEndpoints, type GoogleDirectoryConfig } from './config.js';
import { runDirectoryChecks } from './directory-checks.js';
import { keyCertificate, type KeyCertificate } from './key-age.js';
import { isDirectMember, listAssignments, listGroups, listMembers, listRoles, listUsers, remove, type ApiAssignment, type ApiGroup, type ApiMember, type ApiRole, type ApiUser, type DirectoryApiDeps } from './directory-api.js';
import { createTokenSource } from './token.js';

/**
 * Google Workspace as an identity-inventory source (Admin SDK Directory): users, groups,
 * direct memberships per group, and admin roles with their assignments. The Directory has
 * no delta API (only push notifications), so every sync is a full pass — made cheap by
 * partial responses and the largest pages Google allows (users 500, groups and members 200).
 * Write-back (with consent) removes a membership or an admin-role assignment.
 */
export interface GoogleDirectorySource extends DirectorySource {
  /** The key-file key's public certificate (key method): when it was created and when it expires. */
  credentialInfo(): Promise<KeyCertificate | null>;
}

export const GOOGLE_DIRECTORY_STREAMS: readonly DirectoryStream[] = [
  { name: 'users', yields: ['account'], incremental: false },
  { name: 'groups', yields: ['group'], incremental: false },
  // Outsiders and the customer-wide member appear only here, so the page carries their records
  // too (one outsider in several groups is listed once per group: repeats are by design).
  { name: 'group_members', yields: ['membership', 'account', 'group'], perGroup: true, incremental: false, repeatsAcrossPages: true },
  { name: 'admin_roles', yields: ['entitlement', 'grant'], incremental: false },
];

/** Cursors are ours and persisted by the engine, so they carry a version: 'g1:' + base64url JSON. */
interface Cursor {
  readonly phase?: 'roles' | 'assignments';
  readonly t: string | null;
}

function encodeCursor(c: Cursor): string {
  return `g1:${Buffer.from(JSON.stringify(c)).toString('base64url')}`;
}

function decodeCursor(cursor: string | null): Cursor {
  if (cursor === null) return { t: null };
  if (!cursor.startsWith('g1:')) throw new AppError('request.invalid', { detail: `a Google Directory cursor of an unknown version (${cursor.slice(0, 8)}…); start the stream again` });
  try {
    const v = JSON.parse(Buffer.from(cursor.slice(3), 'base64url').toString('utf8')) as Cursor;
    if (typeof v !== 'object' || v === null || (v.t !== null && typeof v.t !== 'string')) throw new Error('shape');
    return v;
  } catch {
    throw new AppError('request.invalid', { detail: 'an unreadable Google Directory cursor; start the stream again' });
  }
}

const NEVER_SIGNED_IN = '1970-01-01T00:00:00.000Z';

export function createGoogleDirectorySource(ctx: ConnectorContext, config: GoogleDirectoryConfig): GoogleDirectorySource {
  const endpoints = resolveEndpoints(config);
  const requiredScopes = [...DIRECTORY_READ_SCOPES, ...(config.writeBack ? DIRECTORY_WRITE_SCOPES : [])];
  const tokens = createTokenSource(ctx, config, endpoints, { requiredScopes });
  const deps: DirectoryApiDeps = { ctx, config, endpoints, tokens, project: projectOfServiceAccount(config.serviceAccountEmail) };
  const ownDomains = new Set([config.domain, ...config.domains]);

  const isOwn = (email: string | undefined): boolean => !!email && ownDomains.has(email.slice(email.lastIndexOf('@') + 1).toLowerCase());

  /** The manager relation's address (lower-cased); several: the first; none or blank: no manager. */
  function managerOf(relations: ApiUser['relations']): string | null {
    const v = relations?.find((r) => r.type === 'manager' && r.value.trim() !== '')?.value.trim().toLowerCase();
    return v ?? null;
  }

  function account(u: ApiUser): DirectoryAccount {
    const given = u.name?.givenName ?? null;
    const family = u.name?.familyName ?? null;
    const org = u.organizations?.find((o) => o.primary) ?? u.organizations?.[0];
    return {
      type: 'account',
      externalId: u.id,
      accountType: 'user',
      userName: u.primaryEmail,
      email: u.primaryEmail,
      displayName: u.name?.fullName || [given, family].filter(Boolean).join(' ') || u.primaryEmail,
      givenName: given,
      familyName: family,
      // Admin console "Employee ID" is the externalIds entry of type organization.
      employeeId: u.externalIds?.find((e) => e.type === 'organization')?.value ?? null,
      // An archived user keeps data but cannot sign in (https://support.google.com/a/answer/9048836).
      enabled: u.suspended !== true && u.archived !== true,
      external: false,
      createdAt: u.creationTime ?? null,
      lastSignInAt: !u.lastLoginTime || u.lastLoginTime === NEVER_SIGNED_IN ? null : u.lastLoginTime,
      attributes: {
        isAdmin: u.isAdmin ?? false,
        isDelegatedAdmin: u.isDelegatedAdmin ?? false,
        suspended: u.suspended ?? false,
        archived: u.archived ?? false,
        orgUnitPath: u.orgUnitPath ?? null,
        isEnrolledIn2Sv: u.isEnrolledIn2Sv ?? null,
        department: org?.department ?? null,
        title: org?.title ?? null,
        // Where campaigns' manager mode looks (src/campaigns/assign.ts resolves an address
        // through the inventory): Google names the manager by email, not by id.
        manager: managerOf(u.relations),
      },
    };
  }

  function group(g: ApiGroup): DirectoryGroup {
    return {
      type: 'group',
      externalId: g.id,
      displayName: g.name || g.email,
      email: g.email,
      description: g.description || null,
      attributes: { directMembersCount: g.directMembersCount === undefined ? null : Number(g.directMembersCount), adminCreated: g.adminCreated ?? null },
    };
  }

  /** A member as records: the membership, plus the account or group it points to when no other stream yields it. */
  function memberRecords(groupId: string, m: ApiMember): DirectoryRecord[] {
    const role = m.role ?? null;
    const type = (m.type ?? 'USER').toUpperCase();
    if (type === 'GROUP') {
      if (!m.id) return [];
      return [{ type: 'membership', groupId, memberId: m.id, memberType: 'group', role } satisfies DirectoryMembership];
    }
    if (type === 'CUSTOMER') {
      // "Everyone in the organisation": a group of its own, with no listed members.
      if (!m.id) return [];
      const everyone: DirectoryGroup = { type: 'group', externalId: m.id, displayName: `Everyone in ${config.domain}`, email: null, description: 'Every account of the Google Workspace customer (a CUSTOMER group member)', attributes: { kind: 'customer' } };
      return [everyone, { type: 'membership', groupId, memberId: m.id, memberType: 'group', role }];
    }
    if (type === 'USER' && isOwn(m.email)) {
      if (!m.id) return [];
      return [{ type: 'membership', groupId, memberId: m.id, memberType: 'account', role }];
    }
    // EXTERNAL, or a USER of a domain the customer does not own: an outsider, known only here.
    const email = m.email?.toLowerCase() ?? null;
    const id = m.id ?? (email ? `email:${email}` : null);
    if (!id) return [];
    const outsider: DirectoryAccount = {
      type: 'account',
      externalId: id,
      accountType: 'user',
      userName: email ?? id,
      email,
      displayName: email ?? id,
      givenName: null,
      familyName: null,
      employeeId: null,
      enabled: m.status !== 'SUSPENDED',
      external: true,
      createdAt: null,
      lastSignInAt: null,
      attributes: { memberType: type },
    };
    return [outsider, { type: 'membership', groupId, memberId: id, memberType: 'account', role }];
  }

  function entitlement(r: ApiRole): DirectoryEntitlement {
    const privileges = (r.rolePrivileges ?? []).map((p) => p.privilegeName);
    // Super Admin, or any role that can change something (not only read): admin-level access.
    const privileged = r.isSuperAdminRole === true || r.roleName === '_SEED_ADMIN_ROLE' || privileges.some((p) => !/(_RETRIEVE|_READ|_READONLY|_VIEW)$/.test(p));
    return {
      type: 'entitlement',
      externalId: r.roleId,
      entitlementType: 'role',
      // System roles have internal names (_GROUPS_ADMIN_ROLE); their description is what the console shows.
      displayName: r.isSystemRole && r.roleDescription ? r.roleDescription : r.roleName,
      description: r.roleDescription ?? null,
      privileged,
      attributes: { roleName: r.roleName, isSystemRole: r.isSystemRole ?? false, isSuperAdminRole: r.isSuperAdminRole ?? false, privileges: privileges.join(' ') },
    };
  }

  function grant(a: ApiAssignment): DirectoryGrant {
    return {
      type: 'grant',
      entitlementId: a.roleId,
      principalId: a.assignedTo,
      principalType: (a.assigneeType ?? 'USER').toUpperCase() === 'GROUP' ? 'group' : 'account',
      attributes: { roleAssignmentId: a.roleAssignmentId, scopeType: a.scopeType ?? null, orgUnitId: a.orgUnitId ?? null },
    };
  }

  const pageOf = (items: DirectoryRecord[], next: string | null): Page<DirectoryRecord> => ({ items, next, deltaCursor: null });

  async function read(stream: string, cursor: string | null, parent?: string): Promise<Page<DirectoryRecord>> {
    const c = decodeCursor(cursor);
    switch (stream) {
      case 'users': {
        const p = await listUsers(deps, DIRECTORY_USER_READONLY, c.t);
        return pageOf(p.items.map(account), p.nextPageToken ? encodeCursor({ t: p.nextPageToken }) : null);
      }
      case 'groups': {
        const p = await listGroups(deps, DIRECTORY_GROUP_READONLY, c.t);
        return pageOf(p.items.map(group), p.nextPageToken ? encodeCursor({ t: p.nextPageToken }) : null);
      }
      case 'group_members': {
        if (!parent) throw new AppError('request.invalid', { detail: 'group_members is read per group: pass the group id as parent' });
        const p = await listMembers(deps, DIRECTORY_GROUP_READONLY, parent, c.t);
        // The group was deleted since the groups stream listed it: it has no members to report.
        if (!p) return pageOf([], null);
        return pageOf(p.items.flatMap((m) => memberRecords(parent, m)), p.nextPageToken ? encodeCursor({ t: p.nextPageToken }) : null);
      }
      case 'admin_roles': {
        if (c.phase !== 'assignments') {
          const p = await listRoles(deps, DIRECTORY_ROLES_READONLY, c.t);
          return pageOf(p.items.map(entitlement), encodeCursor(p.nextPageToken ? { phase: 'roles', t: p.nextPageToken } : { phase: 'assignments', t: null }));
        }
        const p = await listAssignments(deps, DIRECTORY_ROLES_READONLY, c.t);
        return pageOf(p.items.map(grant), p.nextPageToken ? encodeCursor({ phase: 'assignments', t: p.nextPageToken }) : null);
      }
      default:
        throw new AppError('request.invalid', { detail: `Google Workspace has no directory stream "${stream}"` });
    }
  }

  async function revoke(target: RevokeTarget): Promise<RevokeOutcome> {
    if (target.type === 'membership') {
      // An outsider without a Google id was recorded by address.
      const memberKey = target.memberId.startsWith('email:') ? target.memberId.slice('email:'.length) : target.memberId;
      return remove(deps, DIRECTORY_GROUP_MEMBER, `/groups/${encodeURIComponent(target.groupId)}/members/${encodeURIComponent(memberKey)}`);
    }
    if (target.type !== 'grant') throw new AppError('directory.revoke_unsupported', { what: target.type === 'credential' ? 'deactivating a credential' : 'deactivating an account' });
    // A grant is every assignment of that role to that principal (whatever its scope).
    const ids: string[] = [];
    let pageToken: string | null = null;
    do {
      const p = await listAssignments(deps, DIRECTORY_ROLES, pageToken, target.principalId);
      ids.push(...p.items.filter((a) => a.roleId === target.entitlementId).map((a) => a.roleAssignmentId));
      pageToken = p.nextPageToken;
    } while (pageToken);
    let outcome: RevokeOutcome = 'already_gone';
    for (const id of ids) {
      if ((await remove(deps, DIRECTORY_ROLES, `/customer/my_customer/roleassignments/${encodeURIComponent(id)}`)) === 'revoked') outcome = 'revoked';
    }
    return outcome;
  }

  /** Re-reads the one membership (members.get, direct) or the principal's role assignments. */
  async function stillHeld(target: RevokeTarget): Promise<boolean> {
    if (target.type === 'membership') {
      const memberKey = target.memberId.startsWith('email:') ? target.memberId.slice('email:'.length) : target.memberId;
      return isDirectMember(deps, DIRECTORY_GROUP_READONLY, target.groupId, memberKey);
    }
    if (target.type !== 'grant') throw new AppError('directory.revoke_unsupported', { what: target.type === 'credential' ? 'deactivating a credential' : 'deactivating an account' });
    let pageToken: string | null = null;
    do {
      const p = await listAssignments(deps, DIRECTORY_ROLES_READONLY, pageToken, target.principalId);
      if (p.items.some((a) => a.roleId === target.entitlementId)) return true;
      pageToken = p.nextPageToken;
    } while (pageToken);
    return false;
  }

  return {
    streams: GOOGLE_DIRECTORY_STREAMS,
    checks: () => runDirectoryChecks(deps),
    read,
    ...(config.writeBack ? { revoke, stillHeld } : {}),
    credentialInfo: () => keyCertificate(ctx, config, endpoints),
  };
}
