import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import forge from 'node-forge';
import { prng } from '../demo.js';
import { sendJson } from '../http.js';
import { thumbprints } from '../keys.js';
import type { SandboxContext } from '../types.js';
import type { DirGroup, DirUser, Directory, MemberRef, RemovedReason } from './directory-model.js';
import { guidOf } from './directory-populations.js';
import { deltaSettings } from './graph-delta.js';
import type { IdentityThrottleConfig } from './graph-throttle.js';
import { GRAPH_APP_ROLES, guidFrom, type EntraTenant, type MicrosoftWorld } from './world.js';

/**
 * The Microsoft part of the sandbox admin API for the app registration, consent, the tenants'
 * directories (inspection and changes that delta rounds then report), the large tenant and
 * identity throttling. Paths are relative to `{admin}/microsoft`. Secret values are returned
 * only when a secret is created, as the Entra portal shows them once.
 */
type Body = Record<string, unknown>;
type Reply = (status: number, body: unknown) => true;

export function createDirectoryAdmin(ctx: SandboxContext, world: MicrosoftWorld, identity: IdentityThrottleConfig) {
  return function route(req: IncomingMessage, res: ServerResponse, url: URL, parts: string[], body: Body): boolean {
    const reply: Reply = (status, b) => {
      sendJson(res, status, b);
      return true;
    };
    const m = req.method ?? 'GET';
    const [a, b, c, d, e] = parts;
    if (a === 'app') return appRoute(m, b, c, body, reply);
    if (a === 'throttle' && m === 'POST') {
      if (typeof body['enabled'] === 'boolean') identity.enabled = body['enabled'];
      if (body['unitsPer10s'] === null || typeof body['unitsPer10s'] === 'number') identity.unitsPer10s = body['unitsPer10s'] as number | null;
      if (typeof body['writesPer150s'] === 'number') identity.writesPer150s = body['writesPer150s'];
      return reply(200, identity);
    }
    if (a === 'delta' && m === 'POST') {
      if (typeof body['memberSlice'] === 'number' && body['memberSlice'] >= 1) deltaSettings.memberSlice = Math.floor(body['memberSlice']);
      return reply(200, deltaSettings);
    }
    if (a !== 'tenants') return false;
    if (b === undefined && m === 'GET') return reply(200, { tenants: [...world.tenants.values()].map(summary) });
    if (b === 'large' && c === undefined && m === 'POST') {
      const size = { users: num(body['users']), groups: num(body['groups']), memberships: num(body['memberships']) };
      const t = world.createLargeTenant(Object.fromEntries(Object.entries(size).filter(([, v]) => v !== undefined)));
      return reply(201, summary(t));
    }
    const tenant = b ? world.tenantByKey(b) : undefined;
    if (!tenant) return reply(404, { error: `no tenant ${b}` });
    const dir = tenant.directory;
    if (c === undefined && m === 'GET') return reply(200, summary(tenant));
    if (c === 'consent') {
      if (m === 'POST') {
        const perms = Array.isArray(body['permissions']) ? (body['permissions'] as string[]) : [];
        const unknown = perms.filter((p) => !(p in GRAPH_APP_ROLES));
        if (unknown.length) return reply(400, { error: `unknown permissions ${unknown.join(', ')}` });
        tenant.consent ??= { servicePrincipalId: guidFrom(`sp-${world.app.appId}-${tenant.tenantId}`), granted: new Set() };
        tenant.consent.granted.clear();
        for (const p of perms) tenant.consent.granted.add(p);
        return reply(200, { granted: perms });
      }
      if (m === 'DELETE') {
        // Revoking admin consent removes the grants; ?servicePrincipal=delete removes the app from the tenant too.
        if (url.searchParams.get('servicePrincipal') === 'delete') tenant.consent = null;
        else tenant.consent?.granted.clear();
        return reply(200, summary(tenant));
      }
    }
    if (c === 'churn' && m === 'POST') return reply(200, churn(dir, Number(body['fraction'] ?? 0.01), Number(body['seed'] ?? 1)));
    if (c === 'users') return usersRoute(m, dir, d, url, body, reply);
    if (c === 'groups') return groupsRoute(m, dir, d, e, parts[5], url, body, reply);
    if (c === 'roles' && m === 'GET') return reply(200, { roles: dir.population.roles });
    if (c === 'roles' && d && e === 'members' && (m === 'POST' || m === 'DELETE')) {
      // Re-adding a role member as an admin (or a provisioning rule) would, behind Syncwarden's back.
      const role = dir.population.roles.find((r) => r.id === d);
      if (!role) return reply(404, { error: `no role ${d}` });
      const target = m === 'POST' ? String(body['id'] ?? '') : String(parts[5] ?? '');
      const at = role.members.findIndex((x) => x.id === target);
      if (m === 'DELETE') return at < 0 ? reply(404, { error: `${target} does not hold ${role.displayName}` }) : (role.members.splice(at, 1), reply(200, { members: role.members.length }));
      const kind = dir.kindOf(target);
      if (!kind) return reply(404, { error: `no directory object ${target}` });
      if (at >= 0) return reply(409, { members: role.members.length });
      role.members.push({ kind, id: target });
      return reply(200, { members: role.members.length });
    }
    if (c === 'servicePrincipals' && d && e === 'assignments' && m === 'POST') {
      const sp = dir.population.servicePrincipals.find((x) => x.id === d);
      if (!sp) return reply(404, { error: `no service principal ${d}` });
      const principalId = String(body['principalId'] ?? '');
      const appRoleId = String(body['appRoleId'] ?? '');
      const kind = dir.kindOf(principalId);
      if (!kind || kind === 'servicePrincipal' || !sp.appRoles.some((r) => r.id === appRoleId)) return reply(404, { error: 'unknown principal or app role' });
      if (sp.assignments.some((a) => a.principalId === principalId && a.appRoleId === appRoleId)) return reply(409, { error: 'already assigned' });
      const assignment = { id: randomBytes(32).toString('base64url').slice(0, 43), principalId, principalType: kind === 'user' ? 'User' as const : 'Group' as const, appRoleId, createdDateTime: new Date(ctx.now()).toISOString().replace(/\.\d{3}Z$/, 'Z') };
      sp.assignments.push(assignment);
      return reply(201, assignment);
    }
    if (c === 'servicePrincipals' && m === 'GET') return reply(200, { servicePrincipals: dir.population.servicePrincipals });
    return reply(404, { error: `no route ${m} /microsoft/${parts.join('/')}` });
  };

  function summary(t: EntraTenant) {
    return {
      tenantId: t.tenantId, domain: t.domain, displayName: t.directory.displayName, users: t.directory.userTotal, groups: t.directory.groupTotal,
      seq: t.directory.seq, consent: t.consent ? { servicePrincipalId: t.consent.servicePrincipalId, granted: [...t.consent.granted] } : null,
    };
  }

  function appRoute(m: string, b: string | undefined, c: string | undefined, body: Body, reply: Reply): true {
    const app = world.app;
    if (b === undefined && m === 'GET') {
      return reply(200, {
        appId: app.appId, displayName: app.displayName, deleted: app.deleted, requiredPermissions: app.requiredPermissions, redirectUris: app.redirectUris,
        certificates: app.certificates.map((x) => ({ keyId: x.keyId, thumbprint: x.sha1Hex, notBefore: x.notBefore, notAfter: x.notAfter })),
        secrets: app.secrets.map((s) => ({ keyId: s.keyId, displayName: s.displayName ?? null, hint: s.value.slice(0, 3), endDateTime: s.endDateTime })),
      });
    }
    if (b === undefined && m === 'DELETE') {
      app.deleted = true;
      return reply(200, { deleted: true });
    }
    if (b === 'restore' && m === 'POST') {
      app.deleted = false;
      return reply(200, { deleted: false });
    }
    if (b === 'permissions' && m === 'POST') {
      const add = strings(body['add']);
      const remove = strings(body['remove']);
      const unknown = [...add, ...remove].filter((p) => !(p in GRAPH_APP_ROLES));
      if (unknown.length) return reply(400, { error: `unknown permissions ${unknown.join(', ')}` });
      for (const p of add) if (!app.requiredPermissions.includes(p)) app.requiredPermissions.push(p);
      for (const p of remove) {
        const at = app.requiredPermissions.indexOf(p);
        if (at >= 0) app.requiredPermissions.splice(at, 1);
      }
      return reply(200, { requiredPermissions: app.requiredPermissions });
    }
    if (b === 'redirect-uris' && m === 'POST') {
      app.redirectUris = strings(body['uris']);
      return reply(200, { redirectUris: app.redirectUris });
    }
    if (b === 'certificates' && m === 'POST') {
      const pem = String(body['certificatePem'] ?? '');
      let cert: forge.pki.Certificate;
      try {
        cert = forge.pki.certificateFromPem(pem);
      } catch {
        return reply(400, { error: 'certificatePem is not a PEM certificate' });
      }
      const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');
      const tp = thumbprints(der);
      const keyId = guidFrom(`cert-${tp.sha1Hex}`);
      app.certificates = app.certificates.filter((x) => x.keyId !== keyId);
      app.certificates.push({
        keyId, certificatePem: pem, sha1B64u: tp.sha1B64u, sha256B64u: tp.sha256B64u, sha1Hex: tp.sha1Hex,
        notBefore: cert.validity.notBefore.toISOString(), notAfter: typeof body['notAfter'] === 'string' ? body['notAfter'] : cert.validity.notAfter.toISOString(),
      });
      return reply(201, { keyId, thumbprint: tp.sha1Hex });
    }
    if (b === 'certificates' && c && m === 'DELETE') {
      const before = app.certificates.length;
      app.certificates = app.certificates.filter((x) => x.keyId !== c && x.sha1Hex !== c.toUpperCase());
      return reply(before === app.certificates.length ? 404 : 200, { certificates: app.certificates.length });
    }
    if (b === 'secrets' && c === undefined && m === 'POST') {
      const value = typeof body['value'] === 'string' ? body['value'] : `${randomBytes(3).toString('base64url')}8Q~${randomBytes(27).toString('base64url').slice(0, 34)}`;
      const keyId = guidOf(`secret-${value}`);
      const endDateTime = typeof body['endDateTime'] === 'string' ? body['endDateTime'] : new Date(ctx.now() + 180 * 86_400_000).toISOString();
      app.secrets.push({ keyId, value, endDateTime, startDateTime: new Date(ctx.now()).toISOString(), displayName: typeof body['displayName'] === 'string' ? body['displayName'] : 'sandbox' });
      return reply(201, { keyId, value, endDateTime });
    }
    if (b === 'secrets' && c && m === 'POST') {
      const s = app.secrets.find((x) => x.keyId === c);
      if (!s || typeof body['endDateTime'] !== 'string') return reply(404, { error: 'no such secret (or no endDateTime)' });
      app.secrets = app.secrets.map((x) => (x.keyId === c ? { ...x, endDateTime: body['endDateTime'] as string } : x));
      return reply(200, { keyId: c, endDateTime: body['endDateTime'] });
    }
    if (b === 'secrets' && c && m === 'DELETE') {
      const before = app.secrets.length;
      app.secrets = app.secrets.filter((x) => x.keyId !== c);
      return reply(before === app.secrets.length ? 404 : 200, { secrets: app.secrets.length });
    }
    return reply(404, { error: `no route ${m} /microsoft/app/${b ?? ''}` });
  }

  function usersRoute(m: string, dir: Directory, id: string | undefined, url: URL, body: Body, reply: Reply): true {
    if (id === undefined && m === 'GET') {
      const offset = Number(url.searchParams.get('offset') ?? 0);
      const limit = Math.min(Number(url.searchParams.get('limit') ?? 1000), 10_000);
      const users: DirUser[] = [];
      for (let i = offset; i < dir.userTotal && users.length < limit; i++) {
        const u = dir.userAt(i);
        if (u) users.push(u);
      }
      return reply(200, { total: dir.userTotal, users });
    }
    if (id === undefined && m === 'POST') {
      const upn = String(body['userPrincipalName'] ?? `new.user${dir.userTotal}@${dir.domain}`);
      const u: DirUser = {
        id: guidOf(`admin-user-${dir.tenantId}-${upn}-${dir.seq}`), userPrincipalName: upn, displayName: String(body['displayName'] ?? upn.split('@')[0]),
        givenName: str(body['givenName']), surname: str(body['surname']), mail: str(body['mail']) ?? upn, jobTitle: null, department: str(body['department']), managerId: str(body['managerId']),
        accountEnabled: body['accountEnabled'] !== false, userType: body['userType'] === 'Guest' ? 'Guest' : 'Member', employeeId: str(body['employeeId']),
        createdDateTime: new Date(ctx.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'), onPremisesImmutableId: null, externalUserState: body['userType'] === 'Guest' ? 'PendingAcceptance' : null,
        managerSeq: dir.seq + 1,
      };
      dir.addUser(u);
      return reply(201, u);
    }
    const i = id === undefined ? undefined : dir.userIndex(id);
    if (i === undefined || !dir.userAt(i)) return reply(404, { error: `no user ${id}` });
    if (m === 'PATCH') {
      const allowed = ['displayName', 'givenName', 'surname', 'jobTitle', 'department', 'accountEnabled', 'employeeId', 'userPrincipalName', 'mail', 'userType', 'externalUserState', 'managerId'];
      const patch = Object.fromEntries(Object.entries(body).filter(([k]) => allowed.includes(k))) as Partial<DirUser>;
      // A manager taken away is remembered, so that the next delta round reports its removal.
      const former = 'managerId' in patch && !patch.managerId ? { formerManagerId: dir.userAt(i)!.managerId ?? null } : {};
      // updateUser logs the change at the next position: that is when the manager changed.
      const managerSeq = 'managerId' in patch ? { managerSeq: dir.seq + 1 } : {};
      dir.updateUser(i, { ...patch, ...former, ...managerSeq });
      return reply(200, dir.userAt(i));
    }
    if (m === 'DELETE') {
      dir.deleteUser(i, url.searchParams.get('permanent') === '1' ? 'deleted' : 'changed');
      return reply(200, { deleted: dir.userIdAt(i) });
    }
    if (m === 'GET') return reply(200, { ...dir.userAt(i), memberOf: dir.memberOf({ kind: 'user', id: dir.userIdAt(i) }).map((j) => dir.groupIdAt(j)) });
    return reply(404, { error: 'no such user route' });
  }

  function groupsRoute(m: string, dir: Directory, id: string | undefined, sub: string | undefined, memberId: string | undefined, url: URL, body: Body, reply: Reply): true {
    if (id === undefined && m === 'GET') {
      const offset = Number(url.searchParams.get('offset') ?? 0);
      const limit = Math.min(Number(url.searchParams.get('limit') ?? 1000), 10_000);
      const groups: (DirGroup & { members: MemberRef[] })[] = [];
      for (let j = offset; j < dir.groupTotal && groups.length < limit; j++) {
        const g = dir.groupAt(j);
        if (g) groups.push({ ...g, members: dir.members(j) });
      }
      return reply(200, { total: dir.groupTotal, groups });
    }
    if (id === undefined && m === 'POST') {
      const name = String(body['displayName'] ?? `New group ${dir.groupTotal}`);
      const g: DirGroup = {
        id: guidOf(`admin-group-${dir.tenantId}-${name}-${dir.seq}`), displayName: name, description: str(body['description']), mail: null, mailEnabled: false,
        securityEnabled: true, groupTypes: [], createdDateTime: new Date(ctx.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'), isAssignableToRole: body['isAssignableToRole'] === true,
      };
      dir.addGroup(g);
      return reply(201, g);
    }
    const j = id === undefined ? undefined : dir.groupIndex(id);
    if (j === undefined || !dir.groupAt(j)) return reply(404, { error: `no group ${id}` });
    if (sub === 'members') {
      if (m === 'POST') {
        const target = String(body['id'] ?? '');
        const kind = dir.kindOf(target);
        if (!kind) return reply(404, { error: `no directory object ${target}` });
        return reply(dir.addMember(j, { kind, id: target }) ? 200 : 409, { members: dir.members(j).length });
      }
      if (m === 'DELETE' && memberId) return reply(dir.removeMember(j, memberId) ? 200 : 404, { members: dir.members(j).length });
      if (m === 'GET') return reply(200, { members: dir.members(j) });
    }
    if (m === 'PATCH') {
      const allowed = ['displayName', 'description', 'mail'];
      dir.updateGroup(j, Object.fromEntries(Object.entries(body).filter(([k]) => allowed.includes(k))) as Partial<DirGroup>);
      return reply(200, dir.groupAt(j));
    }
    if (m === 'DELETE' && sub === undefined) {
      dir.deleteGroup(j, url.searchParams.get('permanent') === '1' ? 'deleted' : 'changed');
      return reply(200, { deleted: dir.groupIdAt(j) });
    }
    if (m === 'GET') return reply(200, { ...dir.groupAt(j), members: dir.members(j) });
    return reply(404, { error: 'no such group route' });
  }
}

/**
 * Changes `fraction` of the directory's objects, deterministically from `seed`: half of the
 * changes update users, a tenth delete users, a tenth update groups, and the rest split
 * between membership removals and additions. Returns what was done, for a benchmark to check.
 */
export function churn(dir: Directory, fraction: number, seed: number) {
  const rand = prng(seed * 7_919 + dir.seq);
  const k = Math.max(1, Math.round(Math.max(0, Math.min(1, fraction)) * (dir.userTotal + dir.groupTotal)));
  const done = { userUpdates: 0, userDeletes: 0, groupUpdates: 0, membershipRemoves: 0, membershipAdds: 0 };
  const pickUser = (): number | undefined => {
    for (let t = 0; t < 20; t++) {
      const i = Math.floor(rand() * dir.userTotal);
      if (dir.userAt(i)) return i;
    }
    return undefined;
  };
  const pickGroup = (): number | undefined => {
    for (let t = 0; t < 20; t++) {
      const j = Math.floor(rand() * dir.groupTotal);
      if (dir.groupAt(j)) return j;
    }
    return undefined;
  };
  const plan: [keyof typeof done, number][] = [
    ['userUpdates', Math.round(k * 0.5)], ['userDeletes', Math.round(k * 0.1)], ['groupUpdates', Math.round(k * 0.1)],
    ['membershipRemoves', Math.round(k * 0.15)], ['membershipAdds', k - Math.round(k * 0.5) - 2 * Math.round(k * 0.1) - Math.round(k * 0.15)],
  ];
  for (const [what, count] of plan) {
    for (let n = 0; n < count; n++) {
      switch (what) {
        case 'userUpdates': {
          const i = pickUser();
          if (i !== undefined && dir.updateUser(i, { jobTitle: `Title ${dir.seq}`, department: `Dept ${Math.floor(rand() * 20)}` })) done.userUpdates++;
          break;
        }
        case 'userDeletes': {
          const i = pickUser();
          const reason: RemovedReason = rand() < 0.5 ? 'changed' : 'deleted';
          if (i !== undefined && dir.deleteUser(i, reason)) done.userDeletes++;
          break;
        }
        case 'groupUpdates': {
          const j = pickGroup();
          if (j !== undefined && dir.updateGroup(j, { description: `Updated at seq ${dir.seq}` })) done.groupUpdates++;
          break;
        }
        case 'membershipRemoves': {
          const j = pickGroup();
          const members = j === undefined ? [] : dir.members(j);
          const victim = members[Math.floor(rand() * members.length)];
          if (j !== undefined && victim && dir.removeMember(j, victim.id)) done.membershipRemoves++;
          break;
        }
        case 'membershipAdds': {
          const j = pickGroup();
          const i = pickUser();
          if (j !== undefined && i !== undefined && dir.addMember(j, { kind: 'user', id: dir.userIdAt(i) })) done.membershipAdds++;
          break;
        }
      }
    }
  }
  return { ...done, seq: dir.seq };
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : undefined;
}
function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}
function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}
