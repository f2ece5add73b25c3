import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../sandbox/server.js';
import { createHttpClient, type DirectoryRecord, type DirectorySource, type RateCost, type RateGate, type RevokeTarget } from '../sdk/index.js';
import { failure, readAll } from '../../../test/support/connector.js';
import { identityBudgetKey, identityWritesBudgetKey, microsoftDirectoryConnector, MICROSOFT_PERMISSIONS } from './index.js';
import { DIRECTORY_LIMITS } from '../../directory/sync/budgets.js';

/**
 * Entra ID write-back over HTTP against the sandbox (issue 13 point 5): each revocation kind
 * is removed and a later read and `stillHeld` agree; a second revoke is already_gone; a
 * missing permission is m365.write_back_denied naming it with the consent link; 429 is
 * retried; a dynamic group is directory.group_rule_based; access re-added is seen again.
 */
describe('Entra ID write-back', () => {
  let sb: Sandbox;
  let t: string;
  const ALL = [...MICROSOFT_PERMISSIONS.directoryRead, ...MICROSOFT_PERMISSIONS.directoryWriteBack];
  beforeAll(async () => {
    sb = await startSandbox();
    t = sb.demo.microsoft.directoryTenantId;
  });
  afterAll(async () => sb.close());
  afterEach(async () => {
    sb.faults.clear();
    await admin('POST', `/tenants/${t}/consent`, { permissions: ALL });
  });
  const admin = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${sb.urls.admin}/microsoft${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    return (await r.json()) as Record<string, any>;
  };
  const make = (sleeps: number[] = [], gate?: RateGate): DirectorySource => {
    const ms = sb.demo.microsoft;
    return microsoftDirectoryConnector.create(
      { http: createHttpClient({ provider: 'Microsoft Graph', sleep: async (n) => void sleeps.push(n), ...(gate ? { gate } : {}) }), now: () => new Date() },
      { tenantId: t, clientId: ms.clientId, auth: { type: 'client_secret', clientSecret: ms.clientSecret }, endpoints: { login: sb.urls.entra_login, graph: sb.urls.graph }, writeBack: true },
    );
  };
  const error = failure;
  const groups = async () => (await admin('GET', `/tenants/${t}/groups`))['groups'] as { id: string; displayName: string; members: { id: string; kind: string }[] }[];
  const roles = async () => (await admin('GET', `/tenants/${t}/roles`))['roles'] as { id: string; displayName: string; members: { id: string; kind: string }[] }[];
  const sps = async () => (await admin('GET', `/tenants/${t}/servicePrincipals`))['servicePrincipals'] as { id: string; displayName: string; appRoles: { id: string; value: string }[]; assignments: { id: string; principalId: string; principalType: string; appRoleId: string }[] }[];
  const grantKey = (r: DirectoryRecord) => (r.type === 'grant' ? `${r.entitlementId}|${r.principalId}` : r.type === 'membership' ? `${r.groupId}|${r.memberId}` : '');

  it('group membership: removed (a later read and stillHeld agree), then already_gone; re-added is held again', async () => {
    await admin('POST', `/tenants/${t}/consent`, { permissions: ALL });
    const g = (await groups()).find((x) => x.displayName === 'Research')!;
    const member = g.members.find((m) => m.kind === 'user')!;
    const target: RevokeTarget = { type: 'membership', groupId: g.id, memberId: member.id, memberType: 'account' };
    const src = make();
    expect(await src.stillHeld!(target)).toBe(true);
    expect(await src.revoke!(target)).toBe('revoked');
    expect(await src.stillHeld!(target)).toBe(false);
    expect((await readAll(src, 'groups')).map(grantKey)).not.toContain(`${g.id}|${member.id}`);
    expect(await src.revoke!(target)).toBe('already_gone');
    // An on-premises sync or a provisioning rule puts it back: verification sees it.
    await admin('POST', `/tenants/${t}/groups/${g.id}/members`, { id: member.id });
    expect(await src.stillHeld!(target)).toBe(true);
    // A nested group's membership too.
    const nested = g.members.find((m) => m.kind === 'group')!;
    const groupTarget: RevokeTarget = { type: 'membership', groupId: g.id, memberId: nested.id, memberType: 'group' };
    expect(await src.revoke!(groupTarget)).toBe('revoked');
    expect(await src.stillHeld!(groupTarget)).toBe(false);
  });

  it('a removal spends 1 resource unit and one of the 3,000 writes per 150 s of the app + tenant; its verification read spends units only', async () => {
    const g = (await groups()).find((x) => x.displayName !== 'Research' && x.members.some((m) => m.kind === 'user'))!;
    const member = g.members.find((m) => m.kind === 'user')!;
    const target: RevokeTarget = { type: 'membership', groupId: g.id, memberId: member.id, memberType: 'account' };
    const spent: RateCost[][] = [];
    const src = make([], { async acquire(costs) { spent.push([...costs]); }, penalize() {} });
    const ms = sb.demo.microsoft;
    const units = identityBudgetKey(t, ms.clientId);
    const writes = identityWritesBudgetKey(t, ms.clientId);
    expect(await src.revoke!(target)).toBe('revoked');
    // What Graph charges a write (providers.md §2.6): 1 resource unit, and 1 write.
    expect(spent.at(-1)).toEqual([{ key: units, cost: 1 }, { key: writes, cost: 1 }]);
    expect(await src.stillHeld!(target)).toBe(false);
    expect(spent.at(-1)).toEqual([{ key: units, cost: 1 }]);
    expect(DIRECTORY_LIMITS['m365:identity-writes:']).toEqual({ amount: 3_000, windowMs: 150_000 });
    await admin('POST', `/tenants/${t}/groups/${g.id}/members`, { id: member.id });
  });

  it('directory role: removed from the role, a later read shows no grant, then already_gone; re-added is held again', async () => {
    const role = (await roles()).find((r) => r.displayName === 'Helpdesk Administrator')!;
    const holder = role.members[0]!.id;
    const target: RevokeTarget = { type: 'grant', entitlementId: role.id, principalId: holder, principalType: 'account' };
    const src = make();
    expect((await readAll(src, 'directory_roles')).map(grantKey)).toContain(`${role.id}|${holder}`);
    expect(await src.stillHeld!(target)).toBe(true);
    expect(await src.revoke!(target)).toBe('revoked');
    expect(await src.stillHeld!(target)).toBe(false);
    expect((await readAll(src, 'directory_roles')).map(grantKey)).not.toContain(`${role.id}|${holder}`);
    expect(await src.revoke!(target)).toBe('already_gone');
    await admin('POST', `/tenants/${t}/roles/${role.id}/members`, { id: holder });
    expect(await src.stillHeld!(target)).toBe(true);
  });

  it('app role assignment: found and deleted, a later read shows no grant, then already_gone; re-assigned is held again', async () => {
    const sp = (await sps()).find((s) => s.displayName === 'Fabrikam Lab Portal')!;
    const a = sp.assignments.find((x) => x.principalType === 'User')!;
    const target: RevokeTarget = { type: 'grant', entitlementId: `${sp.id}/${a.appRoleId}`, principalId: a.principalId, principalType: 'account' };
    const src = make();
    expect((await readAll(src, 'app_roles')).map(grantKey)).toContain(`${sp.id}/${a.appRoleId}|${a.principalId}`);
    expect(await src.stillHeld!(target)).toBe(true);
    expect(await src.revoke!(target)).toBe('revoked');
    expect(await src.stillHeld!(target)).toBe(false);
    expect((await readAll(src, 'app_roles')).map(grantKey)).not.toContain(`${sp.id}/${a.appRoleId}|${a.principalId}`);
    expect(await src.revoke!(target)).toBe('already_gone');
    await admin('POST', `/tenants/${t}/servicePrincipals/${sp.id}/assignments`, { principalId: a.principalId, appRoleId: a.appRoleId });
    expect(await src.stillHeld!(target)).toBe(true);
  });

  it.each([
    ['membership', 'GroupMember.ReadWrite.All'],
    ['role', 'RoleManagement.ReadWrite.Directory'],
    ['appRole', 'AppRoleAssignment.ReadWrite.All'],
  ] as const)('without its write permission a %s revoke is m365.write_back_denied naming %s with the consent link; nothing changes', async (kind, permission) => {
    const g = (await groups()).find((x) => x.displayName === 'Lab Leads')!;
    const role = (await roles()).find((r) => r.displayName === 'Groups Administrator')!;
    const sp = (await sps()).find((s) => s.displayName === 'Fabrikam Lab Portal')!;
    const a = sp.assignments[0]!;
    const target: RevokeTarget = kind === 'membership' ? { type: 'membership', groupId: g.id, memberId: g.members[0]!.id, memberType: 'account' }
      : kind === 'role' ? { type: 'grant', entitlementId: role.id, principalId: role.members[0]!.id, principalType: 'account' }
      : { type: 'grant', entitlementId: `${sp.id}/${a.appRoleId}`, principalId: a.principalId, principalType: a.principalType === 'User' ? 'account' : 'group' };
    await admin('POST', `/tenants/${t}/consent`, { permissions: ALL.filter((p) => p !== permission) });
    const src = make();
    const e = await error(src.revoke!(target));
    expect(e.code).toBe('m365.write_back_denied');
    expect(e.params['permission']).toBe(permission);
    expect(String(e.params['consentUrl'])).toContain(`${sb.urls.entra_login}/${t}/adminconsent?client_id=`);
    expect(await src.stillHeld!(target)).toBe(true);
  });

  it('a role-assignable group refuses with only GroupMember.ReadWrite.All: the missing RoleManagement.ReadWrite.Directory is named', async () => {
    const g = (await groups()).find((x) => x.displayName === 'Privileged Operators')!;
    const target: RevokeTarget = { type: 'membership', groupId: g.id, memberId: g.members.find((m) => m.kind === 'user')!.id, memberType: 'account' };
    await admin('POST', `/tenants/${t}/consent`, { permissions: ALL.filter((p) => p !== 'RoleManagement.ReadWrite.Directory') });
    const e = await error(make().revoke!(target));
    expect(e.code).toBe('m365.write_back_denied');
    expect(e.params['permission']).toBe('RoleManagement.ReadWrite.Directory');
    await admin('POST', `/tenants/${t}/consent`, { permissions: ALL });
    expect(await make().revoke!(target)).toBe('revoked');
  });

  it('a dynamic group refuses member removal: directory.group_rule_based names the group and its rule', async () => {
    const g = (await groups()).find((x) => x.displayName === 'Research Department (dynamic)')!;
    const target: RevokeTarget = { type: 'membership', groupId: g.id, memberId: g.members[0]!.id, memberType: 'account' };
    const e = await error(make().revoke!(target));
    expect(e.code).toBe('directory.group_rule_based');
    expect(e.params['group']).toBe('Research Department (dynamic)');
    expect(String(e.params['rule'])).toContain('user.department');
    expect(await make().stillHeld!(target)).toBe(true);
  });

  it('429 on writes (WriteLimitExceeded) is retried after Retry-After and the removal succeeds', async () => {
    const g = (await groups()).find((x) => x.displayName === 'Service Accounts')!;
    const [first, second] = g.members.map((m): RevokeTarget => ({ type: 'membership', groupId: g.id, memberId: m.id, memberType: 'account' }));
    // Every second write is refused: the first removal passes, the second is throttled once, then passes.
    sb.faults.set(t, 'graph.write_throttle', { retryAfterSeconds: 3, everyNth: 2 });
    const sleeps: number[] = [];
    const src = make(sleeps);
    expect(await src.revoke!(first!)).toBe('revoked');
    expect(sleeps).toEqual([]);
    expect(await src.revoke!(second!)).toBe('revoked');
    expect(sleeps).toContain(3_000);
    const target = second!;
    expect(await src.stillHeld!(target)).toBe(false);
  });
});
