import { beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/server.js';
import { sandboxAdmin } from '../../../test/support/sandbox-admin.js';
import { useSandbox, failure } from '../../../test/support/connector.js';
import { createHttpClient, type DirectoryRecord, type DirectorySource, type RateCost, type RateGate } from '../sdk/index.js';
import { awsConnector, isAwsThrottle } from './index.js';

/** The AWS IAM directory connector against the sandbox over real HTTP. */
const sandbox = useSandbox({ reset: async (s) => void (await sandboxAdmin(s, 'POST', '/aws/throttle', { enabled: false })) });
let sb: Sandbox;
beforeEach(() => void (sb = sandbox()));
const admin = (method: string, path: string, body?: unknown): Promise<any> => sandboxAdmin(sb, method, path, body);

/** A gate that records which budgets were spent (an implementation of RateGate, not a mock). */
function recordingGate(): RateGate & { keys: Set<string> } {
  const keys = new Set<string>();
  return { keys, async acquire(costs: readonly RateCost[]) { costs.forEach((c) => keys.add(c.key)); }, penalize() {} };
}

function connector(method: 'access_key' | 'assume_role', over: { writeBack?: boolean; pageSize?: number; maxRetries?: number; gate?: RateGate } = {}) {
  const d = sb.demo.aws;
  const http = createHttpClient({ provider: 'AWS IAM', isThrottle: isAwsThrottle, sleep: async () => {}, maxRetries: over.maxRetries ?? 4, ...(over.gate ? { gate: over.gate } : {}) });
  const auth = method === 'access_key'
    ? { type: 'access_key' as const, accessKeyId: d.accessKeyId, secretAccessKey: d.secretAccessKey }
    : { type: 'assume_role' as const, accessKeyId: d.accessKeyId, secretAccessKey: d.secretAccessKey, roleArn: d.roleArn, externalId: d.externalId };
  const source = awsConnector.create({ http, now: () => new Date() }, { endpoints: { iam: sb.urls.aws_iam, sts: sb.urls.aws_sts }, auth, writeBack: over.writeBack ?? false, ...(over.pageSize ? { pageSize: over.pageSize } : {}) });
  return { source, http };
}

async function readAll(source: DirectorySource, stream: string): Promise<{ items: DirectoryRecord[]; pages: number }> {
  const items: DirectoryRecord[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await source.read(stream, cursor);
    items.push(...page.items);
    expect(page.deltaCursor).toBeNull();
    cursor = page.next;
    pages++;
    expect(pages).toBeLessThan(10_000);
  } while (cursor);
  return { items, pages };
}

const of = <T extends DirectoryRecord['type']>(items: DirectoryRecord[], type: T) => items.filter((r): r is Extract<DirectoryRecord, { type: T }> => r.type === type);

async function expectedWorld() {
  const users: any[] = (await admin('GET', '/aws/users')).items;
  const groups: any[] = (await admin('GET', '/aws/groups')).items;
  const { policies } = await admin('GET', '/aws/policies');
  const groupArn = new Map(groups.map((g) => [g.groupName, g.arn]));
  const userArn = new Map(users.map((u) => [u.userName, u.arn]));
  return {
    users,
    groups,
    policies: policies as { arn: string; policyName: string; awsManaged: boolean }[],
    memberships: users.flatMap((u) => u.groups.map((g: string) => `${groupArn.get(g)} ${u.arn}`)).sort(),
    grants: [
      ...users.flatMap((u) => [...u.attachedPolicies.map((p: string) => `${p} ${u.arn}`), ...u.inlinePolicies.map((p: string) => `${u.arn}#${p} ${u.arn}`)]),
      ...groups.flatMap((g) => [...g.attachedPolicies.map((p: string) => `${p} ${g.arn}`), ...g.inlinePolicies.map((p: string) => `${g.arn}#${p} ${g.arn}`)]),
    ].sort(),
    keys: users.flatMap((u) => u.accessKeys.map((k: any) => ({ ...k, userArn: userArn.get(u.userName) }))),
  };
}

describe('AWS IAM directory: reading', () => {
  it('offers the authorization and access_keys streams, none incremental', () => {
    const { source } = connector('access_key');
    expect(source.streams.map((s) => [s.name, s.incremental])).toEqual([['authorization', false], ['access_keys', false]]);
    expect(source.revoke).toBeUndefined();
  });

  it('a full read of the demo account matches the sandbox world, record by record', async () => {
    const gate = recordingGate();
    const { source } = connector('access_key', { gate });
    const want = await expectedWorld();
    const { items } = await readAll(source, 'authorization');

    const accounts = of(items, 'account');
    expect(accounts.map((a) => a.externalId).sort()).toEqual(want.users.map((u) => u.arn).sort());
    const ada = accounts.find((a) => a.userName === want.users[0].userName)!;
    // Workloads under a /service-accounts/ path are service accounts; people are users.
    expect(accounts.filter((a) => a.accountType === 'service').map((a) => a.userName).sort()).toEqual(want.users.filter((u: { path: string }) => u.path === '/service-accounts/').map((u: { userName: string }) => u.userName).sort());
    expect(accounts.filter((a) => a.accountType === 'service').length).toBeGreaterThanOrEqual(2);
    expect(ada).toMatchObject({ accountType: 'user', enabled: true, external: false, displayName: want.users[0].userName, createdAt: want.users[0].createDate, attributes: { userId: want.users[0].userId, path: want.users[0].path } });
    expect(of(items, 'group').map((g) => [g.displayName, g.externalId, g.attributes['groupId']]).sort()).toEqual(want.groups.map((g) => [g.groupName, g.arn, g.groupId]).sort());
    expect(of(items, 'membership').map((m) => `${m.groupId} ${m.memberId}`).sort()).toEqual(want.memberships);
    expect(of(items, 'grant').map((g) => `${g.entitlementId} ${g.principalId}`).sort()).toEqual(want.grants);

    const entitlements = of(items, 'entitlement');
    const managed = entitlements.filter((e) => e.entitlementType === 'policy');
    const used = new Set(want.grants.map((g) => g.split(' ')[0]));
    expect(managed.map((e) => e.externalId).sort()).toEqual(want.policies.filter((p) => !p.awsManaged || used.has(p.arn)).map((p) => p.arn).sort());
    const privileged = (name: string) => entitlements.find((e) => e.displayName === name)?.privileged;
    expect([privileged('AdministratorAccess'), privileged('IAMFullAccess'), privileged('LegacyFullAccess'), privileged('ReadOnlyAccess'), privileged('PowerUserAccess')]).toEqual([true, true, true, false, false]);
    const inline = entitlements.filter((e) => e.entitlementType === 'inline_policy');
    expect(inline.map((e) => e.externalId).sort()).toEqual(want.grants.filter((g) => g.includes('#')).map((g) => g.split(' ')[0]).sort());
    expect(inline.find((e) => e.attributes['policyName'] === 'emergency-access')?.privileged).toBe(true);
    expect(inline.find((e) => e.attributes['policyName'] === 's3-scratch')?.privileged).toBe(false);
    // Every grant points at an entitlement of the same pass.
    const ids = new Set(entitlements.map((e) => e.externalId));
    for (const g of of(items, 'grant')) expect(ids.has(g.entitlementId), g.entitlementId).toBe(true);

    const keys = of((await readAll(source, 'access_keys')).items, 'credential');
    expect(keys.map((k) => k.externalId).sort()).toEqual(want.keys.map((k: any) => k.accessKeyId).sort());
    for (const k of keys) {
      const w = want.keys.find((x: any) => x.accessKeyId === k.externalId)!;
      expect(k).toMatchObject({ accountId: w.userArn, credentialType: 'access_key', status: w.status === 'Active' ? 'active' : 'inactive', createdAt: w.createDate });
      if (k.externalId !== sb.demo.aws.accessKeyId) expect(k.lastUsedAt).toBe(w.lastUsed?.date ?? null);
    }
    const never = keys.find((k) => k.attributes['userName'] === 'backup-agent')!;
    expect(never).toMatchObject({ lastUsedAt: null, attributes: { lastUsedService: null, lastUsedRegion: null } });
    expect([...gate.keys].sort()).toEqual([`aws:iam:${sb.demo.aws.accountId}`, `aws:sts:key:${sb.demo.aws.accessKeyId}`]);
  });

  it('key and password last use come from the credential report (no call per key); without its permission, key by key', async () => {
    const want = await expectedWorld();
    await admin('DELETE', '/aws/stats');
    const { source } = connector('access_key');
    const accounts = of((await readAll(source, 'authorization')).items, 'account');
    // The accounts' last sign-in is the report's password last use (GetAccountAuthorizationDetails has none).
    for (const a of accounts) expect(a.lastSignInAt, a.userName).toBe(want.users.find((u) => u.arn === a.externalId).passwordLastUsed);
    expect(accounts.filter((a) => a.lastSignInAt !== null).length).toBeGreaterThan(0);
    const keys = of((await readAll(source, 'access_keys')).items, 'credential');
    expect(keys.length).toBe(want.keys.length);
    const stats = (await admin('GET', '/aws/stats')).stats as { requests: Record<string, number> };
    expect(stats.requests['GetAccessKeyLastUsed'] ?? 0).toBe(0);
    expect(stats.requests['GetCredentialReport']).toBe(1);

    // A policy without iam:GenerateCredentialReport: the same figures, read key by key.
    sb.faults.set(sb.demo.aws.accountId, 'aws.action_denied', { action: 'iam:GenerateCredentialReport' });
    await admin('DELETE', '/aws/stats');
    const slow = of((await readAll(connector('access_key').source, 'access_keys')).items, 'credential');
    const figures = (ks: typeof keys) => ks.filter((k) => k.externalId !== sb.demo.aws.accessKeyId).map((k) => `${k.externalId} ${k.lastUsedAt} ${k.attributes['lastUsedService']}`).sort();
    expect(figures(slow)).toEqual(figures(keys));
    const perKey = (await admin('GET', '/aws/stats')).stats as { requests: Record<string, number> };
    expect(perKey.requests['GetAccessKeyLastUsed']).toBe(want.keys.length);
  });

  it('pages through truncated (and short) pages to the same records', async () => {
    const whole = await readAll(connector('access_key').source, 'authorization');
    const paged = await readAll(connector('access_key', { pageSize: 3 }).source, 'authorization');
    expect(paged.pages).toBeGreaterThan(20);
    const key = (r: DirectoryRecord) => JSON.stringify(r);
    expect(paged.items.map(key).sort()).toEqual(whole.items.map(key).sort());
    const keysWhole = await readAll(connector('access_key').source, 'access_keys');
    const keysPaged = await readAll(connector('access_key', { pageSize: 4 }).source, 'access_keys');
    expect(keysPaged.pages).toBeGreaterThan(keysWhole.pages);
    expect(keysPaged.items.map((r) => (r as { externalId: string }).externalId).sort()).toEqual(keysWhole.items.map((r) => (r as { externalId: string }).externalId).sort());
  });

  it('resumes from a cursor in a new instance (group names resolved again)', async () => {
    const first = connector('access_key', { pageSize: 5 }).source;
    let cursor: string | null = null;
    do cursor = (await first.read('authorization', cursor)).next;
    while (cursor && !JSON.parse(Buffer.from(cursor.slice(5), 'base64url').toString()).phase.startsWith('users'));
    const fresh = connector('access_key', { pageSize: 5 }).source;
    const page = await fresh.read('authorization', cursor);
    expect(of([...page.items], 'membership').length).toBeGreaterThan(0);
    await expect(fresh.read('authorization', 'aws9.garbage')).rejects.toMatchObject({ code: 'request.invalid' });
  });

  it('assume-role: reads with the role’s temporary credentials, budgets keyed by the role’s account', async () => {
    const gate = recordingGate();
    const { source } = connector('assume_role', { gate });
    const want = await expectedWorld();
    const { items } = await readAll(source, 'authorization');
    expect(of(items, 'account').length).toBe(want.users.length);
    expect([...gate.keys].sort()).toEqual([`aws:iam:${sb.demo.aws.accountId}`, `aws:sts:${sb.demo.aws.accountId}`]);
    const { stats } = await admin('GET', '/aws/stats');
    expect(stats.requests['AssumeRole']).toBeGreaterThanOrEqual(1);
  });

  it('a throttle is backed off and recovered', async () => {
    sb.faults.set(sb.demo.aws.accountId, 'aws.throttle', { everyNth: 3 });
    const { source, http } = connector('access_key');
    const { items } = await readAll(source, 'authorization');
    expect(of(items, 'account').length).toBe((await expectedWorld()).users.length);
    expect(http.stats.throttled).toBeGreaterThan(0);
    // A throttle that does not let up surfaces as aws.throttled; once it lifts, reads work again.
    sb.faults.set(sb.demo.aws.accountId, 'aws.throttle', {});
    const stuck = connector('access_key', { maxRetries: 2 }).source;
    expect((await failure(stuck.read('authorization', null))).code).toBe('aws.throttled');
    sb.faults.clear();
    expect((await stuck.read('authorization', null)).items.length).toBeGreaterThan(0);
  });

  it('the sandbox’s own quota throttles a burst, and the client paces through it', async () => {
    // ~9 requests against a bucket of 3 refilled at 2/s: some must be throttled, however slow the machine.
    await admin('POST', '/aws/throttle', { enabled: true, ratePerSecond: 2, burst: 3 });
    // A real sleep: the client's full-jitter backoff waits for the bucket to refill.
    const http2 = createHttpClient({ provider: 'AWS IAM', isThrottle: isAwsThrottle, maxRetries: 10, random: () => 0.5 });
    const paced = awsConnector.create({ http: http2, now: () => new Date() }, { endpoints: { iam: sb.urls.aws_iam, sts: sb.urls.aws_sts }, auth: { type: 'access_key', accessKeyId: sb.demo.aws.accessKeyId, secretAccessKey: sb.demo.aws.secretAccessKey }, pageSize: 10 });
    const { items } = await readAll(paced, 'authorization');
    expect(of(items, 'account').length).toBe((await expectedWorld()).users.length);
    expect(http2.stats.throttled).toBeGreaterThan(0);
  });

  it.each(['truncated', 'wrong_root', 'huge', 'not_xml'])('a hostile body (%s) is provider.bad_response', async (kind) => {
    sb.faults.set(sb.demo.aws.accountId, 'aws.bad_response', { kind });
    const { source } = connector('access_key');
    const e = await failure(source.read('authorization', null));
    expect(e.code).toBe('provider.bad_response');
  });
});

describe('AWS IAM directory: write-back', () => {
  it('revokes a membership, managed policies and inline policies, then reports already_gone', async () => {
    const { source } = connector('assume_role', { writeBack: true });
    const want = await expectedWorld();
    const member = want.users.find((u) => u.groups.includes('Developers'))!;
    const developers = want.groups.find((g) => g.groupName === 'Developers')!;
    const withPolicy = want.users.find((u) => u.attachedPolicies.length > 0 && u.userName !== sb.demo.aws.integrationUserName)!;
    const withInline = want.users.find((u) => u.inlinePolicies.includes('emergency-access'))!;
    const targets = [
      { type: 'membership' as const, groupId: developers.arn, memberId: member.arn, memberType: 'account' as const },
      { type: 'grant' as const, entitlementId: withPolicy.attachedPolicies[0], principalId: withPolicy.arn, principalType: 'account' as const },
      { type: 'grant' as const, entitlementId: developers.attachedPolicies[0], principalId: developers.arn, principalType: 'group' as const },
      { type: 'grant' as const, entitlementId: `${withInline.arn}#emergency-access`, principalId: withInline.arn, principalType: 'account' as const },
    ];
    try {
      for (const t of targets) expect(await source.revoke!(t)).toBe('revoked');
      const user = await admin('GET', `/aws/users/${member.userName}`);
      expect(user.groups).not.toContain('Developers');
      expect((await admin('GET', `/aws/users/${withPolicy.userName}`)).attachedPolicies).not.toContain(withPolicy.attachedPolicies[0]);
      expect((await admin('GET', '/aws/groups/Developers')).attachedPolicies).not.toContain(developers.attachedPolicies[0]);
      expect((await admin('GET', `/aws/users/${withInline.userName}`)).inlinePolicies).not.toContain('emergency-access');
      for (const t of targets) expect(await source.revoke!(t)).toBe('already_gone');
    } finally {
      await admin('POST', '/aws/memberships', { groupName: 'Developers', userName: member.userName });
      await admin('POST', '/aws/attachments', { kind: 'user', name: withPolicy.userName, policyArn: withPolicy.attachedPolicies[0] });
      await admin('POST', '/aws/attachments', { kind: 'group', name: 'Developers', policyArn: developers.attachedPolicies[0] });
      await admin('POST', '/aws/inline-policies', { kind: 'user', name: withInline.userName, policyName: 'emergency-access', document: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}' });
    }
  });

  it('a refused write is aws.action_denied naming the action', async () => {
    const { source } = connector('access_key', { writeBack: true });
    const want = await expectedWorld();
    const member = want.users.find((u) => u.groups.includes('ReadOnly'))!;
    const e = await failure(source.revoke!({ type: 'membership', groupId: want.groups.find((g) => g.groupName === 'ReadOnly')!.arn, memberId: member.arn, memberType: 'account' }));
    expect(e.code).toBe('aws.action_denied');
    expect(e.params).toMatchObject({ action: 'iam:RemoveUserFromGroup', principal: sb.demo.aws.integrationUserArn, principalPath: `Users > ${sb.demo.aws.integrationUserName}` });
  });
});

describe('AWS IAM directory: lenient where IAM is (issue 10, finding 6)', () => {
  it('policies without PolicyName / PolicyId are read, named from their ARN, by the sync and the doctor alike', async () => {
    const want = await expectedWorld();
    sb.faults.set(sb.demo.aws.accountId, 'aws.gaad_sparse');
    try {
      const { source } = connector('access_key');
      const { items } = await readAll(source, 'authorization');
      const managed = of(items, 'entitlement').filter((e) => e.entitlementType === 'policy');
      expect(managed.length).toBeGreaterThan(3);
      for (const e of managed) expect(e.displayName).toBe(want.policies.find((p) => p.arn === e.externalId)!.policyName);
      expect(managed.every((e) => e.attributes['policyId'] === null)).toBe(true);
      const checks = await source.checks();
      expect(checks.find((c) => c.id === 'action:iam:GetAccountAuthorizationDetails')?.status).toBe('pass');
    } finally {
      sb.faults.clear();
    }
  });
});
