import { beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/server.js';
import { sandboxAdmin } from '../../../test/support/sandbox-admin.js';
import { useSandbox, failure, readAll } from '../../../test/support/connector.js';
import { createHttpClient, type DirectorySource, type RevokeTarget } from '../sdk/index.js';
import { awsConnector, isAwsThrottle } from './index.js';

/**
 * AWS IAM write-back over HTTP against the sandbox (issue 13 point 5): access key
 * deactivation (UpdateAccessKey Status=Inactive) and `stillHeld` for every kind — a later
 * read agrees, a second revoke is already_gone, access put back is seen again, AccessDenied
 * names the action, IAM's 400 Throttling on writes is retried.
 */
const sandbox = useSandbox({ reset: async (s) => void (await sandboxAdmin(s, 'POST', '/aws/throttle', { enabled: false })) });
let sb: Sandbox;
beforeEach(() => void (sb = sandbox()));
const admin = (method: string, path: string, body?: unknown): Promise<any> => sandboxAdmin(sb, method, path, body);

function connector(method: 'access_key' | 'assume_role', sleeps: number[] = []): DirectorySource {
  const d = sb.demo.aws;
  const http = createHttpClient({ provider: 'AWS IAM', isThrottle: isAwsThrottle, sleep: async (n) => void sleeps.push(n), maxRetries: 4 });
  const auth = method === 'access_key'
    ? { type: 'access_key' as const, accessKeyId: d.accessKeyId, secretAccessKey: d.secretAccessKey }
    : { type: 'assume_role' as const, accessKeyId: d.accessKeyId, secretAccessKey: d.secretAccessKey, roleArn: d.roleArn, externalId: d.externalId };
  return awsConnector.create({ http, now: () => new Date() }, { endpoints: { iam: sb.urls.aws_iam, sts: sb.urls.aws_sts }, auth, writeBack: true });
}

/** A user (not the integration user) with an active access key. */
async function keyHolder() {
  const users: any[] = (await admin('GET', '/aws/users')).items;
  const u = users.find((x) => x.userName !== sb.demo.aws.integrationUserName && x.accessKeys.some((k: any) => k.status === 'Active'))!;
  return { user: u, key: u.accessKeys.find((k: any) => k.status === 'Active')!.accessKeyId as string };
}

describe('AWS IAM write-back', () => {
  it('deactivates an access key: a later read shows it inactive, stillHeld false, then already_gone; reactivated is held again', async () => {
    const { user, key } = await keyHolder();
    const source = connector('assume_role');
    const target: RevokeTarget = { type: 'credential', credentialId: key, accountId: user.arn };
    const before = (await readAll(source, 'access_keys')).find((r) => r.type === 'credential' && r.externalId === key);
    expect(before).toMatchObject({ status: 'active', accountId: user.arn });
    expect(await source.stillHeld!(target)).toBe(true);
    expect(await source.revoke!(target)).toBe('revoked');
    expect(await source.stillHeld!(target)).toBe(false);
    expect((await admin('GET', `/aws/users/${user.userName}`)).accessKeys.find((k: any) => k.accessKeyId === key).status).toBe('Inactive');
    expect((await readAll(source, 'access_keys')).find((r) => r.type === 'credential' && r.externalId === key)).toMatchObject({ status: 'inactive' });
    expect(await source.revoke!(target)).toBe('already_gone');
    // Someone reactivates it: verification sees the access back.
    await admin('PATCH', `/aws/keys/${key}`, { status: 'Active' });
    expect(await source.stillHeld!(target)).toBe(true);
    // A key that does not exist (deleted meanwhile) is already gone.
    expect(await source.revoke!({ type: 'credential', credentialId: 'AKIAAAAAAAAAAAAAAAAA', accountId: user.arn })).toBe('already_gone');
  });

  it('stillHeld follows a membership, a managed policy and an inline policy through revoke and re-adding', async () => {
    const users: any[] = (await admin('GET', '/aws/users')).items;
    const groups: any[] = (await admin('GET', '/aws/groups')).items;
    const developers = groups.find((g) => g.groupName === 'Developers')!;
    const member = users.find((u) => u.groups.includes('Developers'))!;
    const withPolicy = users.find((u) => u.attachedPolicies.length > 0 && u.userName !== sb.demo.aws.integrationUserName)!;
    const withInline = users.find((u) => u.inlinePolicies.includes('emergency-access'))!;
    const source = connector('assume_role');
    const membership: RevokeTarget = { type: 'membership', groupId: developers.arn, memberId: member.arn, memberType: 'account' };
    const managed: RevokeTarget = { type: 'grant', entitlementId: withPolicy.attachedPolicies[0], principalId: withPolicy.arn, principalType: 'account' };
    const groupManaged: RevokeTarget = { type: 'grant', entitlementId: developers.attachedPolicies[0], principalId: developers.arn, principalType: 'group' };
    const inline: RevokeTarget = { type: 'grant', entitlementId: `${withInline.arn}#emergency-access`, principalId: withInline.arn, principalType: 'account' };
    for (const t of [membership, managed, groupManaged, inline]) {
      expect(await source.stillHeld!(t)).toBe(true);
      expect(await source.revoke!(t)).toBe('revoked');
      expect(await source.stillHeld!(t)).toBe(false);
    }
    // A fresh read agrees.
    const items = await readAll(source, 'authorization');
    expect(items.some((r) => r.type === 'membership' && r.groupId === developers.arn && r.memberId === member.arn)).toBe(false);
    expect(items.some((r) => r.type === 'grant' && r.entitlementId === withPolicy.attachedPolicies[0] && r.principalId === withPolicy.arn)).toBe(false);
    // Put back behind Syncwarden's back: seen again.
    await admin('POST', '/aws/memberships', { groupName: 'Developers', userName: member.userName });
    await admin('POST', '/aws/attachments', { kind: 'user', name: withPolicy.userName, policyArn: withPolicy.attachedPolicies[0] });
    await admin('POST', '/aws/attachments', { kind: 'group', name: 'Developers', policyArn: developers.attachedPolicies[0] });
    await admin('POST', '/aws/inline-policies', { kind: 'user', name: withInline.userName, policyName: 'emergency-access', document: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}' });
    for (const t of [membership, managed, groupManaged, inline]) expect(await source.stillHeld!(t)).toBe(true);
    // A principal that no longer exists holds nothing.
    expect(await source.stillHeld!({ type: 'membership', groupId: developers.arn, memberId: `${member.arn}-gone`, memberType: 'account' })).toBe(false);
  });

  it('without iam:UpdateAccessKey the deactivation is aws.action_denied naming the action; the key stays active', async () => {
    const { user, key } = await keyHolder();
    const source = connector('access_key'); // the integration user may read, not write
    const e = await failure(source.revoke!({ type: 'credential', credentialId: key, accountId: user.arn }));
    expect(e.code).toBe('aws.action_denied');
    expect(e.params).toMatchObject({ action: 'iam:UpdateAccessKey', principal: sb.demo.aws.integrationUserArn });
    expect(await source.stillHeld!({ type: 'credential', credentialId: key, accountId: user.arn })).toBe(true);
  });

  it('IAM write throttling (400 Throttling, the aws.write_throttle fault) is retried and the write succeeds', async () => {
    const { user, key } = await keyHolder();
    sb.faults.set(sb.demo.aws.accountId, 'aws.write_throttle', { everyNth: 2 });
    const sleeps: number[] = [];
    const source = connector('assume_role', sleeps);
    const groups: any[] = (await admin('GET', '/aws/groups')).items;
    const users: any[] = (await admin('GET', '/aws/users')).items;
    const member = users.find((u) => u.groups.includes('Developers'))!;
    const developers = groups.find((g) => g.groupName === 'Developers')!;
    expect(await source.revoke!({ type: 'membership', groupId: developers.arn, memberId: member.arn, memberType: 'account' })).toBe('revoked');
    expect(await source.revoke!({ type: 'credential', credentialId: key, accountId: user.arn })).toBe('revoked');
    expect(sleeps.length).toBeGreaterThan(0);
    expect((await admin('GET', '/aws/stats')).stats.throttled).toBeGreaterThan(0);
    expect(await source.stillHeld!({ type: 'credential', credentialId: key, accountId: user.arn })).toBe(false);
  });

  it('the sandbox write quota (writeRatePerSecond / writeBurst) refuses writes past its burst while reads still pass', async () => {
    await admin('POST', '/aws/throttle', { enabled: true, ratePerSecond: 1000, burst: 1000, writeRatePerSecond: 0.001, writeBurst: 1 });
    const { user, key } = await keyHolder();
    const source = connector('assume_role');
    const users: any[] = (await admin('GET', '/aws/users')).items;
    const withPolicy = users.find((u) => u.attachedPolicies.length > 0 && u.userName !== sb.demo.aws.integrationUserName)!;
    expect(await source.revoke!({ type: 'grant', entitlementId: withPolicy.attachedPolicies[0], principalId: withPolicy.arn, principalType: 'account' })).toBe('revoked');
    const e = await failure(source.revoke!({ type: 'credential', credentialId: key, accountId: user.arn }));
    expect(e.code).toBe('aws.throttled');
    expect(await source.stillHeld!({ type: 'credential', credentialId: key, accountId: user.arn })).toBe(true);
  });
});
