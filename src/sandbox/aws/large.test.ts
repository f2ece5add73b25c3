import { GetGroupCommand, IAMClient, ListGroupsForUserCommand, ListUsersCommand, paginateGetGroup } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../connectors/sdk/index.js';
import { awsConnector, isAwsThrottle } from '../../connectors/aws/index.js';
import { startSandbox, type Sandbox } from '../server.js';

/** The large account, chosen through the admin API, as the SDK and the connector see it. */
let sb: Sandbox;
beforeAll(async () => {
  sb = await startSandbox({});
  await admin('POST', '/aws/throttle', { enabled: false });
  await admin('POST', '/aws/size', { size: 'large' });
});
afterAll(async () => {
  await sb?.close();
});

async function admin(method: string, path: string, body?: unknown): Promise<any> {
  const r = await fetch(`${sb.urls.admin}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
  return r.json();
}

const iam = (): IAMClient => new IAMClient({ region: 'us-east-1', endpoint: sb.urls.aws_iam, credentials: { accessKeyId: sb.demo.aws.accessKeyId, secretAccessKey: sb.demo.aws.secretAccessKey }, maxAttempts: 1 });

describe('the large AWS account', () => {
  it('has 100,000 generated users (plus the service identities) and keeps the demo credentials', async () => {
    const info = await admin('GET', '/aws');
    expect(info.size).toEqual({ size: 'large', users: 100_000, groups: 10_000, memberships: 1_000_000 });
    expect(info.positions).toEqual({ users: 100_004, groups: 10_000 });
    const page = await iam().send(new ListUsersCommand({ MaxItems: 1000 }));
    expect(page.Users).toHaveLength(1000);
    expect(page.IsTruncated).toBe(true);
  });

  it('a group has its formula members (paged), a user its ten groups', async () => {
    const users: string[] = [];
    for await (const p of paginateGetGroup({ client: iam() }, { GroupName: 'group-00001', MaxItems: 30 })) users.push(...p.Users!.map((u) => u.UserName!));
    expect(users).toHaveLength(100);
    expect(new Set(users).size).toBe(100);
    const groups = await iam().send(new ListGroupsForUserCommand({ UserName: users[0]! }));
    expect(groups.Groups).toHaveLength(10);
    expect(groups.Groups!.map((g) => g.GroupName)).toContain('group-00001');
    const one = await iam().send(new GetGroupCommand({ GroupName: 'group-00002', MaxItems: 1000 }));
    expect(one.Users).toHaveLength(100);
  });

  it('the connector reads full pages of the authorization stream', async () => {
    const http = createHttpClient({ provider: 'AWS IAM', isThrottle: isAwsThrottle });
    const src = awsConnector.create({ http, now: () => new Date() }, { endpoints: { iam: sb.urls.aws_iam, sts: sb.urls.aws_sts }, auth: { type: 'access_key', accessKeyId: sb.demo.aws.accessKeyId, secretAccessKey: sb.demo.aws.secretAccessKey } });
    const first = await src.read('authorization', null);
    expect(first.items.filter((r) => r.type === 'group')).toHaveLength(1000);
    expect(first.next).not.toBeNull();
    const keys = await src.read('access_keys', null);
    expect(keys.items.length).toBeGreaterThan(0);
  });
});
