import { beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/server.js';
import type { DirectorySource } from '../sdk/index.js';
import { sandboxAdmin } from '../../../test/support/sandbox-admin.js';
import { useSandbox } from '../../../test/support/connector.js';
import { scimApp, scimPatches, scimWriteSource, type ScimApp } from '../../../test/support/scim-app.js';

/**
 * Write-back against the sandbox: the RFC's filter-path PATCH, Entra ID's value-array form
 * on servers that refuse filter paths, and 'already_gone' when there is nothing to remove.
 */
type J = Record<string, any>;
const sandbox = useSandbox();
let sb: Sandbox;
beforeEach(() => void (sb = sandbox()));
const admin = (method: string, path: string, body?: unknown): Promise<J> => sandboxAdmin(sb, method, path, body);
const app = (options: J = {}): Promise<ScimApp> => scimApp(sb, options);
const source = (a: ScimApp, over: J = {}): DirectorySource => scimWriteSource(a, [], over);

const isMember = async (a: ScimApp, groupId: string, memberId: string): Promise<boolean> =>
  (await admin('GET', `/scim/tenants/${a.id}/groups/${groupId}/members/${memberId}`))['member'] as boolean;
const patches = (a: ScimApp): Promise<number> => scimPatches(sb, a, 'PATCH /Groups/{id}');

function pick(a: ScimApp, name: string, type: 'User' | 'Group' = 'User'): { groupId: string; memberId: string } {
  const g = a.groups.find((x) => x['displayName'] === name)!;
  const m = (g['members'] as J[]).find((x) => x['type'] === type)!;
  return { groupId: g['id'], memberId: m['value'] };
}

describe('revoke', () => {
  it('is absent without write-back consent', async () => {
    const a = await app();
    expect(source(a, { writeBack: false }).revoke).toBeUndefined();
  });

  it('RFC server: removes with a filter path, then reports already_gone', async () => {
    const a = await app();
    const { groupId, memberId } = pick(a, 'Finance');
    const src = source(a);
    expect(await src.revoke!({ type: 'membership', groupId, memberId, memberType: 'account' })).toBe('revoked');
    expect(await isMember(a, groupId, memberId)).toBe(false);
    expect(await patches(a)).toBe(1);
    expect(await src.revoke!({ type: 'membership', groupId, memberId, memberType: 'account' })).toBe('already_gone');
    // The second attempt changed nothing: its PATCH answered noTarget.
    expect(await patches(a)).toBe(2);
  });

  it("a server that refuses filter paths: falls back to Entra ID's value-array form, then already_gone", async () => {
    const a = await app({ filterPathRemove: false });
    const { groupId, memberId } = pick(a, 'Engineering');
    const src = source(a);
    expect(await src.revoke!({ type: 'membership', groupId, memberId, memberType: 'account' })).toBe('revoked');
    expect(await isMember(a, groupId, memberId)).toBe(false);
    expect(await patches(a)).toBe(2);
    expect(await src.revoke!({ type: 'membership', groupId, memberId, memberType: 'account' })).toBe('already_gone');
    // The first form was refused and the members showed there was nothing left to remove.
    expect(await patches(a)).toBe(3);
  });

  it('a server that reads the value-array form as "remove all members": the others are added back', async () => {
    const a = await app({ filterPathRemove: false, removeIgnoresValue: true });
    const { groupId, memberId } = pick(a, 'All Staff');
    const others = (a.groups.find((g) => g['id'] === groupId)!['members'] as J[]).map((m) => m['value'] as string).filter((v) => v !== memberId);
    expect(others.length).toBeGreaterThan(10);
    expect(await source(a).revoke!({ type: 'membership', groupId, memberId, memberType: 'account' })).toBe('revoked');
    const after = ((await admin('GET', `/scim/tenants/${a.id}/groups/${groupId}`))['members'] as J[]).map((m) => m['value'] as string);
    expect(after.sort()).toEqual([...others].sort());
  });

  it('removes a nested group from its parent', async () => {
    const a = await app();
    const { groupId, memberId } = pick(a, 'Expense Approvers', 'Group');
    expect(await source(a).revoke!({ type: 'membership', groupId, memberId, memberType: 'group' })).toBe('revoked');
    expect(await isMember(a, groupId, memberId)).toBe(false);
  });

  it('a group that no longer exists is already_gone', async () => {
    const a = await app();
    const { groupId, memberId } = pick(a, 'Sales');
    await admin('DELETE', `/scim/tenants/${a.id}/groups/${groupId}`);
    expect(await source(a).revoke!({ type: 'membership', groupId, memberId, memberType: 'account' })).toBe('already_gone');
  });

  it('a read-only token → scim.write_forbidden; PATCH not supported → scim.patch_unsupported', async () => {
    const a = await app();
    const { groupId, memberId } = pick(a, 'Support');
    const ro = await admin('POST', `/scim/tenants/${a.id}/tokens`, { rights: 'read' });
    await expect(source(a, { token: ro['token'] }).revoke!({ type: 'membership', groupId, memberId, memberType: 'account' })).rejects.toMatchObject({ code: 'scim.write_forbidden' });
    sb.faults.set(a.id, 'scim.patch_unsupported');
    try {
      await expect(source(a).revoke!({ type: 'membership', groupId, memberId, memberType: 'account' })).rejects.toMatchObject({ code: 'scim.patch_unsupported' });
    } finally {
      sb.faults.clear(a.id);
    }
    expect(await isMember(a, groupId, memberId)).toBe(true);
  });

  it('an expired token → scim.token_expired', async () => {
    const a = await app();
    const { groupId, memberId } = pick(a, 'Marketing');
    sb.faults.set(a.id, 'scim.token_expired');
    try {
      await expect(source(a).revoke!({ type: 'membership', groupId, memberId, memberType: 'account' })).rejects.toMatchObject({ code: 'scim.token_expired' });
    } finally {
      sb.faults.clear(a.id);
    }
  });

  it('has no grants to revoke', async () => {
    const a = await app();
    await expect(source(a).revoke!({ type: 'grant', entitlementId: 'e', principalId: 'p', principalType: 'account' })).rejects.toMatchObject({ code: 'directory.revoke_unsupported' });
  });
});
