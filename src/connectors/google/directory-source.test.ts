import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/server.js';
import { sandboxAdmin } from '../../../test/support/sandbox-admin.js';
import { failure, useSandbox } from '../../../test/support/connector.js';
import { createHttpClient, type DirectoryRecord, type RateCost, type RateGate } from '../sdk/index.js';
import { directoryBudgetKey, DIRECTORY_WRITE_SCOPES, googleDirectoryConnector, isGoogleThrottle } from './index.js';

/** The Google Workspace directory source against the sandbox over real HTTP, driven as the inventory engine drives it. */
let sb: Sandbox;
let offsetMs = 0;
const clock = (): number => Date.now() + offsetMs;

const admin = (method: string, path: string, body?: unknown): Promise<any> => sandboxAdmin(sb, method, path, body);
const sandbox = useSandbox({ now: clock, reset: () => void (offsetMs = 0) });
beforeEach(() => void (sb = sandbox()));

interface Options {
  readonly method?: 'impersonation' | 'service_account_key';
  readonly domain?: string;
  readonly writeBack?: boolean;
  readonly gate?: RateGate;
  readonly apis?: string;
  /** The HTTP client's back-off sleeps move the shared clock (a throttled minute can pass). */
  readonly sleepMovesClock?: boolean;
}

function source(o: Options = {}) {
  const g = sb.demo.google;
  const domain = o.domain ?? g.domain;
  const http = createHttpClient({
    provider: 'Google Workspace',
    isThrottle: isGoogleThrottle,
    ...(o.gate ? { gate: o.gate } : {}),
    sleep: async (ms) => {
      if (o.sleepMovesClock) offsetMs += ms;
    },
    random: () => 1,
  });
  return googleDirectoryConnector.create(
    { http, now: () => new Date(clock()) },
    {
      serviceAccountEmail: g.serviceAccountEmail,
      adminEmail: `admin@${domain}`,
      domain,
      auth: (o.method ?? 'impersonation') === 'impersonation' ? { type: 'impersonation', tokenProviderKeyJson: g.tokenProviderKeyJson } : { type: 'service_account_key', keyJson: g.serviceAccountKeyJson },
      endpoints: { oauth: sb.urls.google_oauth, iam: sb.urls.google_iam, apis: o.apis ?? sb.urls.google_apis },
      writeBack: o.writeBack ?? false,
      domains: [],
    },
  );
}

type Source = ReturnType<typeof source>;

/** Reads a stream to its end, one page per call, as the engine does. */
async function readAll(s: Source, stream: string, parent?: string): Promise<{ records: DirectoryRecord[]; pages: number }> {
  const records: DirectoryRecord[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await s.read(stream, cursor, parent);
    expect(page.deltaCursor).toBeNull();
    records.push(...page.items);
    cursor = page.next;
    pages++;
  } while (cursor);
  return { records, pages };
}

async function fullSync(s: Source): Promise<{ users: DirectoryRecord[]; groups: DirectoryRecord[]; members: DirectoryRecord[]; roles: DirectoryRecord[] }> {
  const users = (await readAll(s, 'users')).records;
  const groups = (await readAll(s, 'groups')).records;
  const members: DirectoryRecord[] = [];
  for (const g of groups) if (g.type === 'group') members.push(...(await readAll(s, 'group_members', g.externalId)).records);
  const roles = (await readAll(s, 'admin_roles')).records;
  return { users, groups, members, roles };
}

describe.each(['impersonation', 'service_account_key'] as const)('full read of the demo domain (%s)', (method) => {
  it('yields exactly what the sandbox world holds', async () => {
    const s = source({ method });
    expect(s.streams.map((x) => x.name)).toEqual(['users', 'groups', 'group_members', 'admin_roles']);
    expect(s.streams.every((x) => x.incremental === false)).toBe(true);
    expect(s.revoke).toBeUndefined();
    const { users, groups, members, roles } = await fullSync(s);
    const world = (await admin('GET', '/google/users')).users as any[];

    expect(users.map((u) => u.type === 'account' && u.externalId).sort()).toEqual(world.map((u) => u.id).sort());
    for (const w of world) {
      const a = users.find((u) => u.type === 'account' && u.externalId === w.id);
      expect(a).toMatchObject({ userName: w.primaryEmail, email: w.primaryEmail, givenName: w.name.givenName, familyName: w.name.familyName, enabled: !w.suspended, external: false, createdAt: w.creationTime, lastSignInAt: null, employeeId: w.externalIds?.[0]?.value ?? null });
      expect(a!.type === 'account' && a!.attributes['isAdmin']).toBe(w.isAdmin);
    }

    const worldGroups = (await admin('GET', '/google/groups')).groups as any[];
    expect(groups.map((g) => g.type === 'group' && g.email).sort()).toEqual(worldGroups.map((g) => g.email).sort());
    const memberships = members.filter((m) => m.type === 'membership');
    expect(memberships).toHaveLength(worldGroups.reduce((n, g) => n + Number(g.directMembersCount), 0));
    const byEmail = (e: string) => worldGroups.find((g) => g.email === `${e}@${sb.demo.google.domain}`).id;
    const projects = memberships.filter((m) => m.type === 'membership' && m.groupId === byEmail('projects'));
    expect(projects.map((m) => m.type === 'membership' && [m.memberType, m.role])).toEqual([['group', 'MEMBER'], ['account', 'OWNER'], ['account', 'MEMBER'], ['account', 'MEMBER']]);
    const outsiders = members.filter((m) => m.type === 'account');
    expect(outsiders.map((a) => a.type === 'account' && [a.email, a.external]).sort()).toEqual([['auditor@fabrikam.test', true], ['partner@contoso.test', true]]);
    // The CUSTOMER member of everyone@ becomes a group of its own.
    const everyone = members.filter((m) => m.type === 'group');
    expect(everyone).toEqual([expect.objectContaining({ externalId: sb.demo.google.customerId, attributes: { kind: 'customer' } })]);

    const entitlements = roles.filter((r) => r.type === 'entitlement');
    const grants = roles.filter((r) => r.type === 'grant');
    const privileged = Object.fromEntries(entitlements.map((e) => [e.type === 'entitlement' && e.attributes['roleName'], e.type === 'entitlement' && e.privileged]));
    expect(privileged).toMatchObject({ _SEED_ADMIN_ROLE: true, _GROUPS_ADMIN_ROLE: true, _GROUPS_READER_ROLE: false, 'Audit Reader': false });
    expect(entitlements.find((e) => e.type === 'entitlement' && e.attributes['roleName'] === '_SEED_ADMIN_ROLE')).toMatchObject({ displayName: 'Super Admin', entitlementType: 'role' });
    expect(grants.map((g) => g.type === 'grant' && g.principalType).sort()).toEqual(['account', 'account', 'group']);
    const adminId = world.find((u) => u.isAdmin).id;
    const superAdmin = entitlements.find((e) => e.type === 'entitlement' && e.privileged && e.attributes['isSuperAdminRole'])!;
    expect(grants).toContainEqual(expect.objectContaining({ principalId: adminId, entitlementId: superAdmin.type === 'entitlement' && superAdmin.externalId }));
  });
});

describe('directory source behaviour', () => {
  it('marks suspended and archived users disabled, and reads sign-in times', async () => {
    const users = (await admin('GET', '/google/users')).users as any[];
    const [a, b] = users.filter((u) => !u.isAdmin);
    await admin('PATCH', `/google/users/${a.primaryEmail}`, { suspended: true, lastLoginTime: '2026-10-01T12:00:00.000Z' });
    await admin('PATCH', `/google/users/${b.primaryEmail}`, { archived: true });
    try {
      const read = (await readAll(source(), 'users')).records;
      expect(read.find((u) => u.type === 'account' && u.externalId === a.id)).toMatchObject({ enabled: false, lastSignInAt: '2026-10-01T12:00:00.000Z', attributes: expect.objectContaining({ suspended: true }) });
      expect(read.find((u) => u.type === 'account' && u.externalId === b.id)).toMatchObject({ enabled: false, attributes: expect.objectContaining({ archived: true }) });
    } finally {
      await admin('PATCH', `/google/users/${a.primaryEmail}`, { suspended: false, lastLoginTime: null });
      await admin('PATCH', `/google/users/${b.primaryEmail}`, { archived: false });
    }
  });

  it('pages over Google’s caps (users 500, groups and members 200) with versioned cursors, and spends one shared budget', async () => {
    await admin('POST', '/google/customers', { domain: 'paging.test', size: { users: 1_234, groups: 250, memberships: 6_000 } });
    try {
      const spent: string[] = [];
      const gate: RateGate = {
        async acquire(costs: readonly RateCost[]) {
          for (const c of costs) spent.push(c.key);
        },
        penalize() {},
      };
      const s = source({ domain: 'paging.test', gate });
      const users = await readAll(s, 'users');
      expect(users.pages).toBe(3);
      expect(users.records).toHaveLength(1_235);
      const groups = await readAll(s, 'groups');
      expect(groups.pages).toBe(2);
      expect(groups.records).toHaveLength(250);
      let memberships = 0;
      let multiPage = 0;
      for (const g of groups.records) {
        if (g.type !== 'group') continue;
        const m = await readAll(s, 'group_members', g.externalId);
        memberships += m.records.filter((r) => r.type === 'membership').length;
        if (m.pages > 1) multiPage++;
      }
      expect(memberships).toBe(6_000);
      expect(multiPage).toBeGreaterThan(0);
      const first = await s.read('users', null);
      expect(first.next).toMatch(/^g1:/);
      await expect(s.read('users', 'v0:whatever')).rejects.toMatchObject({ code: 'request.invalid' });
      expect(new Set(spent)).toEqual(new Set([directoryBudgetKey(sb.demo.google.projectId, 'admin@paging.test')]));
    } finally {
      await admin('DELETE', '/google/customers/paging.test');
    }
  });

  it('reports a group deleted between the groups and members reads as empty', async () => {
    const s = source();
    const made = await admin('POST', '/google/groups', { email: `short-lived@${sb.demo.google.domain}`, name: 'Short lived' });
    await admin('DELETE', `/google/groups/${made.email}`);
    expect(await s.read('group_members', null, made.id)).toEqual({ items: [], next: null, deltaCursor: null });
  });

  it('turns a malformed provider answer into provider.bad_response', async () => {
    const hostile: Server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ users: [{ id: 42, primaryEmail: null }] }));
    });
    await new Promise<void>((r) => hostile.listen(0, '127.0.0.1', () => r()));
    try {
      const s = source({ method: 'service_account_key', apis: `http://127.0.0.1:${(hostile.address() as AddressInfo).port}` });
      const e = await failure(s.read('users', null));
      expect(e.code).toBe('provider.bad_response');
    } finally {
      await new Promise<void>((r) => hostile.close(() => r()));
    }
  });
});

describe('write-back', () => {
  it('revokes a membership and an admin-role grant, then finds them already gone', async () => {
    await admin('POST', '/google/delegation/authorise', { scopes: [...DIRECTORY_WRITE_SCOPES], propagationMs: 0 });
    try {
      const s = source({ writeBack: true });
      const { groups, members, roles } = await fullSync(s);
      const engineering = groups.find((g): g is Extract<DirectoryRecord, { type: 'group' }> => g.type === 'group' && g.email?.startsWith('engineering@') === true)!;
      const target = members.find((m) => m.type === 'membership' && m.groupId === engineering.externalId && m.role === 'MEMBER')!;
      if (target.type !== 'membership') throw new Error('no membership');
      expect(await s.revoke!({ type: 'membership', groupId: target.groupId, memberId: target.memberId, memberType: 'account' })).toBe('revoked');
      expect(await s.revoke!({ type: 'membership', groupId: target.groupId, memberId: target.memberId, memberType: 'account' })).toBe('already_gone');
      const left = (await readAll(s, 'group_members', engineering.externalId)).records;
      expect(left.find((m) => m.type === 'membership' && m.memberId === target.memberId)).toBeUndefined();

      const helpDesk = roles.find((r) => r.type === 'entitlement' && r.attributes['roleName'] === '_HELP_DESK_ADMIN_ROLE')!;
      const grant = roles.find((r) => r.type === 'grant' && helpDesk.type === 'entitlement' && r.entitlementId === helpDesk.externalId)!;
      if (grant.type !== 'grant') throw new Error('no grant');
      expect(await s.revoke!({ type: 'grant', entitlementId: grant.entitlementId, principalId: grant.principalId, principalType: 'account' })).toBe('revoked');
      expect(await s.revoke!({ type: 'grant', entitlementId: grant.entitlementId, principalId: grant.principalId, principalType: 'account' })).toBe('already_gone');
      expect((await readAll(s, 'admin_roles')).records.filter((r) => r.type === 'grant' && r.entitlementId === grant.entitlementId)).toHaveLength(0);
      // An outsider recorded by address, and a group that is gone: already gone too.
      expect(await s.revoke!({ type: 'membership', groupId: '0nosuchgroup000', memberId: 'email:nobody@elsewhere.example', memberType: 'account' })).toBe('already_gone');
    } finally {
      await admin('POST', '/google/delegation/revoke', { scopes: [...DIRECTORY_WRITE_SCOPES], propagationMs: 0 });
    }
  });

  it('stillHeld follows a membership and an admin role through revoke and re-adding (issue 13 verification)', async () => {
    await admin('POST', '/google/delegation/authorise', { scopes: [...DIRECTORY_WRITE_SCOPES], propagationMs: 0 });
    try {
      const s = source({ writeBack: true });
      const { users, groups, members, roles } = await fullSync(s);
      const sales = groups.find((g) => g.type === 'group' && g.email?.startsWith('sales@'))
        ?? groups.find((g) => g.type === 'group' && members.some((m) => m.type === 'membership' && m.groupId === g.externalId && m.role === 'MEMBER'))!;
      if (sales.type !== 'group') throw new Error('no group');
      const m = members.find((x) => x.type === 'membership' && x.groupId === sales.externalId && x.role === 'MEMBER' && x.memberType === 'account')!;
      if (m.type !== 'membership') throw new Error('no membership');
      const membership = { type: 'membership' as const, groupId: m.groupId, memberId: m.memberId, memberType: 'account' as const };
      expect(await s.stillHeld!(membership)).toBe(true);
      expect(await s.revoke!(membership)).toBe('revoked');
      expect(await s.stillHeld!(membership)).toBe(false);
      const email = users.find((u) => u.type === 'account' && u.externalId === m.memberId)!;
      if (email.type !== 'account') throw new Error('no account');
      await admin('POST', `/google/groups/${sales.email}/members`, { email: email.userName, role: 'MEMBER' });
      expect(await s.stillHeld!(membership)).toBe(true);

      // An admin role granted to someone (the earlier test may have revoked the seeded ones).
      const helpDesk = roles.find((r) => r.type === 'entitlement' && r.attributes['roleName'] === '_HELP_DESK_ADMIN_ROLE')!;
      if (helpDesk.type !== 'entitlement') throw new Error('no role');
      const someone = users.find((u) => u.type === 'account' && !u.userName.startsWith('admin@') && u.externalId !== m.memberId)!;
      if (someone.type !== 'account') throw new Error('no user');
      if (!roles.some((r) => r.type === 'grant' && r.entitlementId === helpDesk.externalId && r.principalId === someone.externalId)) {
        await admin('POST', '/google/role-assignments', { role: helpDesk.externalId, assignee: someone.userName });
      }
      const g = { type: 'grant' as const, entitlementId: helpDesk.externalId, principalId: someone.externalId };
      const grant = { type: 'grant' as const, entitlementId: g.entitlementId, principalId: g.principalId, principalType: 'account' as const };
      expect(await s.stillHeld!(grant)).toBe(true);
      expect(await s.revoke!(grant)).toBe('revoked');
      expect(await s.stillHeld!(grant)).toBe(false);
      const holder = users.find((u) => u.type === 'account' && u.externalId === g.principalId)!;
      if (holder.type !== 'account') throw new Error('no holder');
      await admin('POST', '/google/role-assignments', { role: g.entitlementId, assignee: holder.userName });
      expect(await s.stillHeld!(grant)).toBe(true);
    } finally {
      await admin('POST', '/google/delegation/revoke', { scopes: [...DIRECTORY_WRITE_SCOPES], propagationMs: 0 });
    }
  });

  it('names admin.directory.rolemanagement when only the member scope is delegated; nothing changes', async () => {
    await admin('POST', '/google/delegation/authorise', { scopes: [DIRECTORY_WRITE_SCOPES[0]], propagationMs: 0 });
    try {
      const s = source({ writeBack: true });
      const { roles } = await fullSync(s);
      const g = roles.find((r) => r.type === 'grant' && r.principalType === 'account')!;
      if (g.type !== 'grant') throw new Error('no grant');
      const grant = { type: 'grant' as const, entitlementId: g.entitlementId, principalId: g.principalId, principalType: 'account' as const };
      const e = await failure(s.revoke!(grant));
      expect(e.code).toBe('google.delegation_missing');
      expect(e.params['scope']).toBe('https://www.googleapis.com/auth/admin.directory.rolemanagement');
      expect(await s.stillHeld!(grant)).toBe(true);
    } finally {
      await admin('POST', '/google/delegation/revoke', { scopes: [...DIRECTORY_WRITE_SCOPES], propagationMs: 0 });
    }
  });

  it('a throttled write (403 userRateLimitExceeded on members.delete) is backed off and succeeds', async () => {
    await admin('POST', '/google/delegation/authorise', { scopes: [...DIRECTORY_WRITE_SCOPES], propagationMs: 0 });
    try {
      const s = source({ writeBack: true });
      const { members } = await fullSync(s);
      const [a, b] = members.filter((m) => m.type === 'membership' && m.role === 'MEMBER' && m.memberType === 'account');
      if (a?.type !== 'membership' || b?.type !== 'membership') throw new Error('no memberships');
      sb.faults.set(sb.demo.google.domain, 'google.directory_write_throttle', { everyNth: 2 });
      const before = (await admin('GET', '/google/stats')).throttledByReason['directory_write_fault'] ?? 0;
      expect(await s.revoke!({ type: 'membership', groupId: a.groupId, memberId: a.memberId, memberType: 'account' })).toBe('revoked');
      expect(await s.revoke!({ type: 'membership', groupId: b.groupId, memberId: b.memberId, memberType: 'account' })).toBe('revoked');
      expect((await admin('GET', '/google/stats')).throttledByReason['directory_write_fault'] - before).toBe(1);
      sb.faults.clear();
      expect(await s.stillHeld!({ type: 'membership', groupId: b.groupId, memberId: b.memberId, memberType: 'account' })).toBe(false);
    } finally {
      await admin('POST', '/google/delegation/revoke', { scopes: [...DIRECTORY_WRITE_SCOPES], propagationMs: 0 });
    }
  });

  it('names the write scope when delegation does not grant it', async () => {
    const s = source({ writeBack: true });
    const e = await failure(s.revoke!({ type: 'membership', groupId: 'x', memberId: 'y', memberType: 'account' }));
    expect(e.code).toBe('google.delegation_missing');
    expect(e.params).toMatchObject({ scope: DIRECTORY_WRITE_SCOPES[0], clientId: sb.demo.google.serviceAccountClientId });
  });
});

describe('Directory throttling', () => {
  it('backs off on 403 quotaExceeded / userRateLimitExceeded and recovers in-line', async () => {
    const s = source();
    sb.faults.set(sb.demo.google.domain, 'google.directory_throttle', { everyNth: 2 });
    const before = (await admin('GET', '/google/stats')).throttledByReason['directory_fault'] ?? 0;
    const { users, groups, members } = await fullSync(s);
    expect(users).toHaveLength(11);
    expect(groups).toHaveLength(5);
    expect(members.filter((m) => m.type === 'membership').length).toBeGreaterThan(0);
    expect((await admin('GET', '/google/stats')).throttledByReason['directory_fault'] - before).toBeGreaterThan(3);
  });

  it('surfaces a persisting quota as google.directory_rate_limited with a wait, and resumes from the cursor after it', async () => {
    await admin('POST', '/google/customers', { domain: 'quota.test', size: { users: 1_100, groups: 10, memberships: 100 } });
    await admin('POST', '/google/quotas', { domain: 'quota.test', directoryQueriesPerMinute: 2 });
    try {
      const s = source({ domain: 'quota.test', sleepMovesClock: true });
      const first = await s.read('users', null);
      const second = await s.read('users', first.next);
      // The third query in the same minute is refused; in-line back-off (15 s of it) does not outlast the minute.
      const e = await failure(s.read('users', second.next));
      expect(e.code).toBe('google.directory_rate_limited');
      expect(e.retryAfterMs).toBe(60_000);
      expect(String(e.params['limit'])).toContain('queries per minute per user');
      offsetMs += e.retryAfterMs!;
      const third = await s.read('users', second.next);
      expect(third.next).toBeNull();
      expect(first.items.length + second.items.length + third.items.length).toBe(1_101);
    } finally {
      await admin('DELETE', '/google/customers/quota.test');
    }
  });
});
