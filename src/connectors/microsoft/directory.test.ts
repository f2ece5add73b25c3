import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../errors/index.js';
import { startSandbox, type Sandbox } from '../../sandbox/server.js';
import { createHttpClient, type DirectoryRecord, type DirectorySource } from '../sdk/index.js';
import { adminConsentUrl, microsoftDirectoryConnector, parseAdminConsentRedirect, MICROSOFT_PERMISSIONS } from './index.js';

/** The Entra ID directory connector against the sandbox over real HTTP. */
describe('Entra ID directory connector', () => {
  let sb: Sandbox;
  let offsetMs = 0;
  beforeAll(async () => {
    sb = await startSandbox({ now: () => Date.now() + offsetMs });
    // The demo tenant grants continuity's permissions only; a directory connection needs its own.
    await admin('POST', `/tenants/${sb.demo.microsoft.tenantId}/consent`, { permissions: [...MICROSOFT_PERMISSIONS.continuitySource, ...MICROSOFT_PERMISSIONS.directoryRead] });
  });
  afterAll(async () => sb.close());
  afterEach(async () => {
    sb.faults.clear();
    offsetMs = 0;
    await admin('POST', '/throttle', { enabled: true, unitsPer10s: null });
    await admin('POST', `/tenants/${sb.demo.microsoft.directoryTenantId}/consent`, { permissions: [...MICROSOFT_PERMISSIONS.directoryRead] });
  });
  const admin = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${sb.urls.admin}/microsoft${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    return (await r.json()) as Record<string, any>;
  };
  const make = (tenantId: string, over: Record<string, unknown> = {}, sleeps: number[] = []): DirectorySource => {
    const ms = sb.demo.microsoft;
    return microsoftDirectoryConnector.create(
      { http: createHttpClient({ provider: 'Microsoft Graph', sleep: async (n) => void sleeps.push(n) }), now: () => new Date() },
      { tenantId, clientId: ms.clientId, auth: { type: 'client_secret', clientSecret: ms.clientSecret }, endpoints: { login: sb.urls.entra_login, graph: sb.urls.graph }, ...over },
    );
  };
  const readAll = async (src: DirectorySource, stream: string, cursor: string | null = null) => {
    const items: DirectoryRecord[] = [];
    let c = cursor;
    let deltaCursor: string | null = null;
    for (let pages = 0; pages < 10_000; pages++) {
      const page = await src.read(stream, c);
      items.push(...page.items);
      deltaCursor = page.deltaCursor ?? deltaCursor;
      if (!page.next) break;
      c = page.next;
    }
    return { items, deltaCursor };
  };
  const codeOf = async (p: Promise<unknown>) => {
    try {
      await p;
      return 'no error';
    } catch (e) {
      return e instanceof AppError ? e.code : String(e);
    }
  };
  const of = <T extends DirectoryRecord['type']>(items: DirectoryRecord[], type: T) => items.filter((r): r is Extract<DirectoryRecord, { type: T }> => r.type === type);

  it('reads the demo tenant in full through every stream, matching the sandbox world', async () => {
    const t = sb.demo.microsoft.tenantId;
    const src = make(t, { pageSize: 7 });
    expect(src.streams.map((s) => s.name)).toEqual(['users', 'groups', 'directory_roles', 'app_roles']);
    const world = await admin('GET', `/tenants/${t}/users`);
    const users = await readAll(src, 'users');
    const accounts = of(users.items, 'account');
    expect(accounts.map((a) => a.externalId)).toEqual(world['users'].map((u: { id: string }) => u.id));
    expect(users.deltaCursor).toMatch(/^md1\./);
    for (const [a, u] of accounts.map((a, i) => [a, world['users'][i]] as const)) {
      expect(a).toMatchObject({ userName: u.userPrincipalName, email: u.mail, displayName: u.displayName, enabled: u.accountEnabled, employeeId: u.employeeId, accountType: 'user', external: false, createdAt: u.createdDateTime });
    }
    const groupsWorld = (await admin('GET', `/tenants/${t}/groups`))['groups'] as { id: string; displayName: string; members: { kind: string; id: string }[] }[];
    const groups = await readAll(src, 'groups');
    // A group larger than a page repeats on the next page (an idempotent upsert).
    expect([...new Set(of(groups.items, 'group').map((g) => g.displayName))].sort()).toEqual(groupsWorld.map((g) => g.displayName).sort());
    expect(of(groups.items, 'group').length).toBeGreaterThan(groupsWorld.length);
    const memberships = of(groups.items, 'membership').map((m) => `${m.groupId}/${m.memberId}/${m.memberType}`).sort();
    expect(memberships).toEqual(groupsWorld.flatMap((g) => g.members.map((m) => `${g.id}/${m.id}/${m.kind === 'user' ? 'account' : 'group'}`)).sort());
    const roles = await readAll(src, 'directory_roles');
    const ents = of(roles.items, 'entitlement');
    const rolesWorld = (await admin('GET', `/tenants/${t}/roles`))['roles'] as { id: string; displayName: string; members: { kind: string; id: string }[] }[];
    expect(ents.map((e) => e.displayName).sort()).toEqual(rolesWorld.map((r) => r.displayName).sort());
    expect(ents.find((e) => e.displayName === 'Global Administrator')!.privileged).toBe(true);
    expect(ents.find((e) => e.displayName === 'Privileged Role Administrator')!.privileged).toBe(true);
    expect(ents.find((e) => e.displayName === 'Global Reader')!.privileged).toBe(false);
    // Grants to users and groups; the service principal holding Global Reader is not an inventory account.
    expect(of(roles.items, 'grant').map((g) => `${g.entitlementId}/${g.principalId}`).sort()).toEqual(
      rolesWorld.flatMap((r) => r.members.filter((m) => m.kind !== 'servicePrincipal').map((m) => `${r.id}/${m.id}`)).sort(),
    );
    const apps = await readAll(src, 'app_roles');
    const appEnts = of(apps.items, 'entitlement');
    expect(appEnts.map((e) => e.displayName).sort()).toEqual(['Contoso CRM: CRM Admin', 'Contoso CRM: CRM User', 'Northwind Payroll: Payroll Admin', 'Northwind Payroll: Payroll Viewer']);
    expect(appEnts.every((e) => e.entitlementType === 'app_role')).toBe(true);
    const appGrants = of(apps.items, 'grant');
    expect(appGrants.length).toBe(4);
    for (const g of appGrants) expect(appEnts.some((e) => e.externalId === g.entitlementId)).toBe(true);
    expect(new Set(appGrants.map((g) => g.principalType))).toEqual(new Set(['account', 'group']));
  });

  it('maps guests, external identities and disabled accounts of the directory tenant', async () => {
    const accounts = of((await readAll(make(sb.demo.microsoft.directoryTenantId), 'users')).items, 'account');
    const guests = accounts.filter((a) => a.accountType === 'guest');
    expect(guests.length).toBe(4);
    expect(guests.every((g) => g.external && g.userName.includes('#EXT#') && g.employeeId === null)).toBe(true);
    expect(accounts.filter((a) => !a.enabled).length).toBe(4);
    expect(accounts.filter((a) => a.external).length).toBe(4);
    expect(accounts.some((a) => a.attributes['onPremisesImmutableId'] !== null)).toBe(true);
  });

  it('incremental rounds report exactly the admin changes: user update/delete, membership add/remove, group delete', async () => {
    const t = sb.demo.microsoft.directoryTenantId;
    const src = make(t);
    const users0 = await readAll(src, 'users');
    const groups0 = await readAll(src, 'groups');
    const world = (await admin('GET', `/tenants/${t}/users`))['users'] as { id: string }[];
    const groupsWorld = (await admin('GET', `/tenants/${t}/groups`))['groups'] as { id: string; displayName: string; members: { id: string }[] }[];
    const research = groupsWorld.find((g) => g.displayName === 'Research')!;
    const collaborators = groupsWorld.find((g) => g.displayName === 'External Collaborators')!;
    const live = world.filter((u) => !groupsWorld.some((g) => g.id === u.id));
    await admin('PATCH', `/tenants/${t}/users/${live[8]!.id}`, { displayName: 'Updated Name' });
    await admin('DELETE', `/tenants/${t}/users/${live[9]!.id}`);
    const outsider = live.find((u) => !research.members.some((m) => m.id === u.id))!;
    await admin('POST', `/tenants/${t}/groups/${research.id}/members`, { id: outsider.id });
    await admin('DELETE', `/tenants/${t}/groups/${research.id}/members/${research.members[0]!.id}`);
    await admin('DELETE', `/tenants/${t}/groups/${collaborators.id}`);
    const users1 = await readAll(src, 'users', users0.deltaCursor);
    expect(users1.items).toEqual([
      expect.objectContaining({ type: 'account', externalId: live[8]!.id, displayName: 'Updated Name' }),
      { type: 'removed', objectType: 'account', externalId: live[9]!.id },
    ]);
    const groups1 = await readAll(src, 'groups', groups0.deltaCursor);
    expect(groups1.items).toEqual([
      expect.objectContaining({ type: 'group', externalId: research.id, displayName: 'Research' }),
      { type: 'membership', groupId: research.id, memberId: outsider.id, memberType: 'account', role: null },
      { type: 'removed', objectType: 'membership', groupId: research.id, memberId: research.members[0]!.id },
      { type: 'removed', objectType: 'group', externalId: collaborators.id },
    ]);
    // And nothing more the round after.
    expect((await readAll(src, 'users', users1.deltaCursor)).items).toEqual([]);
    expect((await readAll(src, 'groups', groups1.deltaCursor)).items).toEqual([]);
  });

  it('an expired or reset delta token is directory.delta_expired; a cursor of another version too', async () => {
    const src = make(sb.demo.microsoft.directoryTenantId);
    const { deltaCursor } = await readAll(src, 'users');
    sb.faults.set(sb.demo.microsoft.directoryTenantId, 'graph.directory_delta_expired');
    expect(await codeOf(src.read('users', deltaCursor))).toBe('directory.delta_expired');
    sb.faults.clear();
    expect(await codeOf(src.read('users', 'v0:https://graph.microsoft.com/v1.0/users/delta'))).toBe('directory.delta_expired');
    // Eight days later (sandbox time) the token has expired: 400 syncStateNotFound.
    offsetMs = 8 * 86_400_000;
    const later = make(sb.demo.microsoft.directoryTenantId);
    expect(await codeOf(later.read('users', deltaCursor))).toBe('directory.delta_expired');
  });

  it.each([
    ['User.Read.All', MICROSOFT_PERMISSIONS.directoryRead.filter((p) => p !== 'User.Read.All')],
    ['GroupMember.Read.All', MICROSOFT_PERMISSIONS.directoryRead.filter((p) => p !== 'GroupMember.Read.All')],
    ['RoleManagement.Read.Directory', MICROSOFT_PERMISSIONS.directoryRead.filter((p) => p !== 'RoleManagement.Read.Directory')],
    ['Application.Read.All', MICROSOFT_PERMISSIONS.directoryRead.filter((p) => p !== 'Application.Read.All')],
  ])('without %s exactly that check fails with m365.permission_missing and an admin consent link', async (missing, granted) => {
    await admin('POST', `/tenants/${sb.demo.microsoft.directoryTenantId}/consent`, { permissions: granted });
    const findings = await make(sb.demo.microsoft.directoryTenantId).checks();
    const failed = findings.filter((f) => f.status === 'fail');
    expect(failed.map((f) => [f.id, f.error?.code, f.error?.params['permission']])).toEqual([[`permission:${missing}`, 'm365.permission_missing', missing]]);
    expect(failed[0]!.detail).toContain(`${sb.urls.entra_login}/${sb.demo.microsoft.directoryTenantId}/adminconsent?client_id=`);
  });

  it('a broader permission satisfies a narrower one, checked by probing its endpoint; write-back adds its permission', async () => {
    await admin('POST', `/tenants/${sb.demo.microsoft.directoryTenantId}/consent`, { permissions: ['Directory.Read.All'] });
    const findings = await make(sb.demo.microsoft.directoryTenantId).checks();
    expect(findings.filter((f) => f.status !== 'pass' && f.status !== 'warning')).toEqual([]);
    expect(findings.map((f) => f.id)).toEqual(['credential', 'token', 'clock', 'permission:User.Read.All', 'permission:GroupMember.Read.All', 'permission:RoleManagement.Read.Directory', 'permission:Application.Read.All']);
    const wb = await make(sb.demo.microsoft.directoryTenantId, { writeBack: true }).checks();
    expect(wb.filter((f) => f.status === 'fail').map((f) => f.id)).toEqual(['permission:GroupMember.ReadWrite.All', 'permission:RoleManagement.ReadWrite.Directory', 'permission:AppRoleAssignment.ReadWrite.All']);
    await admin('POST', `/tenants/${sb.demo.microsoft.directoryTenantId}/consent`, { permissions: ['Directory.Read.All', ...MICROSOFT_PERMISSIONS.directoryWriteBack] });
    const granted = await make(sb.demo.microsoft.directoryTenantId, { writeBack: true }).checks();
    expect(granted.filter((f) => f.status === 'fail')).toEqual([]);
  });

  it.each([
    ['m365.secret_expired', 'm365.client_secret_expired'],
    ['m365.app_deleted', 'm365.app_not_found'],
  ] as const)('sign-in fault %s is named %s and the permission checks are skipped', async (fault, code) => {
    sb.faults.set(sb.demo.microsoft.directoryTenantId, fault);
    const findings = await make(sb.demo.microsoft.directoryTenantId).checks();
    expect(findings.find((f) => f.id === 'token')!.error!.code).toBe(code);
    expect(findings.filter((f) => f.id.startsWith('permission:')).every((f) => f.status === 'skipped')).toBe(true);
  });

  it('names a wrong secret, an unknown tenant and a clock off by ten minutes', async () => {
    const wrong = await make(sb.demo.microsoft.directoryTenantId, { auth: { type: 'client_secret', clientSecret: sb.demo.microsoft.clientSecretId } }).checks();
    expect(wrong.find((f) => f.id === 'token')!.error!.code).toBe('m365.client_secret_invalid');
    const tenant = await make('11111111-2222-4333-8444-555555555555').checks();
    expect(tenant.find((f) => f.id === 'token')!.error!.code).toBe('m365.tenant_not_found');
    offsetMs = 10 * 60_000;
    const skewed = await make(sb.demo.microsoft.directoryTenantId).checks();
    expect(skewed.find((f) => f.id === 'clock')!.error!.code).toBe('m365.clock_skew');
  });

  it('revokes a membership, then reports already_gone; without write-back there is no revoke; a refusal is m365.write_back_denied', async () => {
    const t = sb.demo.microsoft.directoryTenantId;
    expect(make(t).revoke).toBeUndefined();
    const g = ((await admin('GET', `/tenants/${t}/groups`))['groups'] as { id: string; displayName: string; members: { id: string }[] }[]).find((x) => x.displayName === 'Lab Leads')!;
    const target = { type: 'membership', groupId: g.id, memberId: g.members[0]!.id, memberType: 'account' } as const;
    const src = make(t, { writeBack: true });
    expect(await codeOf(src.revoke!(target))).toBe('m365.write_back_denied');
    await admin('POST', `/tenants/${t}/consent`, { permissions: [...MICROSOFT_PERMISSIONS.directoryRead, ...MICROSOFT_PERMISSIONS.directoryWriteBack] });
    const fresh = make(t, { writeBack: true });
    expect(await fresh.revoke!(target)).toBe('revoked');
    expect(await fresh.revoke!(target)).toBe('already_gone');
    expect(((await admin('GET', `/tenants/${t}/groups/${g.id}/members`))['members'] as { id: string }[]).some((m) => m.id === target.memberId)).toBe(false);
    expect(await codeOf(fresh.revoke!({ type: 'account', accountId: target.memberId }))).toBe('directory.revoke_unsupported');
  });

  it('identity throttling is backed off (Retry-After honoured) and recovered; a long Retry-After becomes directory.rate_limited', async () => {
    const sleeps: number[] = [];
    sb.faults.set(sb.demo.microsoft.directoryTenantId, 'graph.identity_throttle', { retryAfterSeconds: 2, everyNth: 2 });
    const src = make(sb.demo.microsoft.directoryTenantId, { pageSize: 5 }, sleeps);
    const users = await readAll(src, 'users');
    const live = (await admin('GET', `/tenants/${sb.demo.microsoft.directoryTenantId}/users`))['users'] as unknown[];
    expect(of(users.items, 'account').length).toBe(live.length);
    expect(sleeps.filter((s) => s === 2_000).length).toBeGreaterThan(0);
    sb.faults.clear();
    sb.faults.set(sb.demo.microsoft.directoryTenantId, 'graph.identity_throttle', { retryAfterSeconds: 120 });
    const err = await src.read('users', null).catch((e: unknown) => e);
    expect((err as AppError).code).toBe('directory.rate_limited');
    expect((err as AppError).retryAfterMs).toBe(120_000);
  });

  it('builds the admin consent link and reads the redirect back', () => {
    const url = adminConsentUrl({ tenantId: 't1', clientId: 'c1', redirectUri: 'https://sw.test/cb', state: 's' });
    expect(url).toBe('https://login.microsoftonline.com/t1/adminconsent?client_id=c1&redirect_uri=https%3A%2F%2Fsw.test%2Fcb&state=s');
    expect(parseAdminConsentRedirect('https://sw.test/cb?tenant=t1&state=s&admin_consent=True')).toEqual({ ok: true, tenant: 't1', state: 's' });
    expect(parseAdminConsentRedirect('https://sw.test/cb?error=permission_denied&error_description=The+admin+canceled+the+request&state=s')).toEqual({ ok: false, error: 'permission_denied', description: 'The admin canceled the request', state: 's' });
  });
});
