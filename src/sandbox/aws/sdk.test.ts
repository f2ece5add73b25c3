import {
  GenerateCredentialReportCommand,
  GetCredentialReportCommand,
  CreateUserCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  ListAttachedRolePoliciesCommand,
  ListEntitiesForPolicyCommand,
  ListPoliciesCommand,
  ListRolesCommand,
  GetAccessKeyLastUsedCommand,
  GetGroupCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListUsersCommand,
  RemoveUserFromGroupCommand,
  UpdateAccessKeyCommand,
  ListAccessKeysCommand as ListKeysForWriteCommand,
  SimulatePrincipalPolicyCommand,
  paginateListUsers,
  paginateGetAccountAuthorizationDetails,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../server.js';
import { sandboxAdmin } from '../../../test/support/sandbox-admin.js';
import { useSandbox } from '../../../test/support/connector.js';

/**
 * Conformance: the official AWS SDK v3 clients, with only `endpoint` (+ region and
 * credentials) changed, against the IAM and STS simulators over loopback HTTP.
 */
let sb: Sandbox;
let offsetMs = 0;
const clock = (): number => Date.now() + offsetMs;

const sandbox = useSandbox({ now: clock, reset: async (s) => {
    offsetMs = 0;
    await sandboxAdmin(s, 'POST', '/aws/throttle', { enabled: false });
  } });
beforeEach(() => void (sb = sandbox()));
const admin = (method: string, path: string, body?: unknown): Promise<any> => sandboxAdmin(sb, method, path, body);

type Creds = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
const demoCreds = (): Creds => ({ accessKeyId: sb.demo.aws.accessKeyId, secretAccessKey: sb.demo.aws.secretAccessKey });
const iam = (credentials: Creds = demoCreds(), maxAttempts = 1, systemClockOffset = 0): IAMClient => new IAMClient({ region: 'us-east-1', endpoint: sb.urls.aws_iam, credentials, maxAttempts, systemClockOffset });
const sts = (credentials: Creds = demoCreds()): STSClient => new STSClient({ region: 'us-east-1', endpoint: sb.urls.aws_sts, credentials, maxAttempts: 1 });

async function failure(p: Promise<unknown>): Promise<{ name: string; status: number | undefined; message: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: err.name, status: err.$metadata?.httpStatusCode, message: err.message };
  }
  throw new Error('expected the call to fail');
}

describe('AWS SDK v3 against the IAM/STS simulator', () => {
  it('serves the IAM reads beyond the inventory (roles, policies, versions, entities); a valid action is never InvalidAction', async () => {
    const client = iam();
    // The read-only integration user lacks iam:ListRoles: IAM's answer is AccessDenied, not InvalidAction.
    expect((await failure(client.send(new ListRolesCommand({})))).name).toBe('AccessDenied');
    const all = await client.send(new ListPoliciesCommand({ Scope: 'Local', MaxItems: 1000 }));
    const full = all.Policies!.find((p) => p.PolicyName === 'LegacyFullAccess')!;
    const grant = { kind: 'user', name: 'syncwarden-integration', policyArn: full.Arn };
    await admin('POST', '/aws/attachments', grant);
    try {
      const roles = await client.send(new ListRolesCommand({}));
      expect(roles.Roles!.length).toBeGreaterThan(0);
      const role = roles.Roles![0]!;
      expect(decodeURIComponent(role.AssumeRolePolicyDocument!)).toContain('Statement');
      const attached = await client.send(new ListAttachedRolePoliciesCommand({ RoleName: role.RoleName }));
      expect(Array.isArray(attached.AttachedPolicies ?? [])).toBe(true);
      const policy = all.Policies!.find((p) => (p.AttachmentCount ?? 0) > 0)!;
      const got = await client.send(new GetPolicyCommand({ PolicyArn: policy.Arn }));
      expect(got.Policy).toMatchObject({ Arn: policy.Arn, PolicyName: policy.PolicyName, DefaultVersionId: 'v1' });
      const version = await client.send(new GetPolicyVersionCommand({ PolicyArn: policy.Arn, VersionId: 'v1' }));
      expect(JSON.parse(decodeURIComponent(version.PolicyVersion!.Document!))).toHaveProperty('Statement');
      const entities = await client.send(new ListEntitiesForPolicyCommand({ PolicyArn: policy.Arn }));
      expect((entities.PolicyUsers?.length ?? 0) + (entities.PolicyGroups?.length ?? 0) + (entities.PolicyRoles?.length ?? 0)).toBe(policy.AttachmentCount);
      // A valid IAM action the sandbox does not simulate, allowed to this caller: 501 naming it, never InvalidAction.
      const write = await failure(client.send(new CreateUserCommand({ UserName: 'not-simulated' })));
      expect(write).toMatchObject({ name: 'NotImplemented', status: 501 });
    } finally {
      await admin('DELETE', '/aws/attachments', grant);
    }
  });

  it('GetCallerIdentity names the integration user', async () => {
    const me = await sts().send(new GetCallerIdentityCommand({}));
    expect(me).toMatchObject({ Account: sb.demo.aws.accountId, Arn: sb.demo.aws.integrationUserArn });
    expect(me.UserId).toMatch(/^AIDA[A-Z2-7]{17}$/);
  });

  it('paginateListUsers walks every page with MaxItems, including short truncated ones', async () => {
    const everyone = (await admin('GET', '/aws/users')).items.map((u: { userName: string }) => u.userName);
    expect(everyone.length).toBeGreaterThanOrEqual(40);
    const seen: string[] = [];
    const sizes: number[] = [];
    for await (const page of paginateListUsers({ client: iam() }, { MaxItems: 6 })) {
      sizes.push(page.Users!.length);
      seen.push(...page.Users!.map((u) => u.UserName!));
    }
    expect(seen).toEqual(everyone);
    expect(sizes.length).toBeGreaterThan(6);
    // IAM may return fewer than MaxItems while IsTruncated is true.
    expect(sizes.slice(0, -1).some((n) => n < 6)).toBe(true);
  });

  it('GetAccountAuthorizationDetails: users with groups, attached and URL-encoded inline policies; groups; policies', async () => {
    const users = [];
    const groups = [];
    const policies = [];
    for await (const page of paginateGetAccountAuthorizationDetails({ client: iam() }, { Filter: ['User', 'Group', 'LocalManagedPolicy', 'AWSManagedPolicy'], MaxItems: 10 })) {
      users.push(...(page.UserDetailList ?? []));
      groups.push(...(page.GroupDetailList ?? []));
      policies.push(...(page.Policies ?? []));
      expect(page.RoleDetailList ?? []).toEqual([]);
    }
    expect(groups.map((g) => g.GroupName).sort()).toEqual(['Admins', 'Billing', 'DataScience', 'Developers', 'IAMAdmins', 'ReadOnly', 'SecurityAuditors', 'Support']);
    const integration = users.find((u) => u.UserName === sb.demo.aws.integrationUserName)!;
    expect(integration.AttachedManagedPolicies).toEqual([{ PolicyName: 'SyncwardenDirectoryRead', PolicyArn: sb.demo.aws.readPolicyArn }]);
    const inline = integration.UserPolicyList![0]!;
    expect(inline.PolicyName).toBe('AssumeSyncwardenAudit');
    expect(inline.PolicyDocument).toMatch(/^%7B%22Version%22/);
    expect(JSON.parse(decodeURIComponent(inline.PolicyDocument!)).Statement[0]).toMatchObject({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: sb.demo.aws.roleArn });
    const admins = groups.find((g) => g.GroupName === 'Admins')!;
    expect(admins.AttachedManagedPolicies).toEqual([{ PolicyName: 'AdministratorAccess', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }]);
    const member = users.find((u) => u.GroupList?.includes('Admins'))!;
    expect(member.CreateDate).toBeInstanceOf(Date);
    const adminAccess = policies.find((p) => p.PolicyName === 'AdministratorAccess')!;
    expect(adminAccess.AttachmentCount).toBeGreaterThanOrEqual(2);
    expect(JSON.parse(decodeURIComponent(adminAccess.PolicyVersionList![0]!.Document!))).toEqual({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] });
    // Only AWS-managed policies in use are listed; every customer policy is.
    expect(policies.some((p) => p.Arn === 'arn:aws:iam::aws:policy/SecurityAudit')).toBe(true);
    expect(policies.filter((p) => !p.Arn!.startsWith('arn:aws:iam::aws:')).length).toBe(6);
  });

  it('ListAccessKeys + GetAccessKeyLastUsed: a never-used key reports N/A, a used one a date', async () => {
    const client = iam();
    const keys = await client.send(new ListAccessKeysCommand({ UserName: 'backup-agent' }));
    expect(keys.AccessKeyMetadata).toHaveLength(1);
    const never = await client.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: keys.AccessKeyMetadata![0]!.AccessKeyId! }));
    expect(never).toMatchObject({ UserName: 'backup-agent', AccessKeyLastUsed: { ServiceName: 'N/A', Region: 'N/A' } });
    expect(never.AccessKeyLastUsed!.LastUsedDate).toBeUndefined();
    // The integration key was just used (to sign these calls).
    const own = await client.send(new ListAccessKeysCommand({}));
    expect(own.AccessKeyMetadata!.map((k) => k.AccessKeyId)).toEqual([sb.demo.aws.accessKeyId]);
    const used = await client.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: sb.demo.aws.accessKeyId }));
    expect(used.AccessKeyLastUsed).toMatchObject({ ServiceName: 'iam', Region: 'us-east-1' });
    expect(used.AccessKeyLastUsed!.LastUsedDate).toBeInstanceOf(Date);
  });

  it('the credential report, as the official client reads it: generation states, then the CSV with every user and key slot', async () => {
    const client = iam();
    // Before any generation: 410 ReportNotPresent (the SDK's CredentialReportNotPresentException).
    await expect(client.send(new GetCredentialReportCommand({}))).rejects.toMatchObject({ name: 'CredentialReportNotPresentException', $metadata: { httpStatusCode: 410 } });
    expect((await client.send(new GenerateCredentialReportCommand({}))).State).toBe('STARTED');
    expect((await client.send(new GenerateCredentialReportCommand({}))).State).toBe('INPROGRESS');
    await expect(client.send(new GetCredentialReportCommand({}))).rejects.toMatchObject({ name: 'CredentialReportNotReadyException', $metadata: { httpStatusCode: 404 } });
    let state: string | undefined;
    for (let i = 0; i < 50 && state !== 'COMPLETE'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      state = (await client.send(new GenerateCredentialReportCommand({}))).State;
    }
    expect(state).toBe('COMPLETE');
    const report = await client.send(new GetCredentialReportCommand({}));
    expect(report.ReportFormat).toBe('text/csv');
    expect(report.GeneratedTime).toBeInstanceOf(Date);
    const rows = Buffer.from(report.Content!).toString('utf8').trim().split('\n').map((l) => l.split(','));
    expect(rows[0]!.slice(0, 4)).toEqual(['user', 'arn', 'user_creation_time', 'password_enabled']);
    expect(rows[0]).toContain('access_key_2_last_used_service');
    expect(rows[1]![0]).toBe('<root_account>');
    const users = await client.send(new ListUsersCommand({ MaxItems: 1000 }));
    expect(rows.length - 2).toBe(users.Users!.length);
    const col = (name: string) => rows[0]!.indexOf(name);
    const backup = rows.find((r) => r[0] === 'backup-agent')!;
    expect(backup[col('access_key_1_active')]).toBe('true');
    expect(backup[col('access_key_1_last_used_date')]).toBe('N/A');
    expect(backup[col('access_key_2_active')]).toBe('false');
  });

  it('AssumeRole with the external id, then IAM calls with the temporary credentials act as the role', async () => {
    const out = await sts().send(new AssumeRoleCommand({ RoleArn: sb.demo.aws.roleArn, RoleSessionName: 'syncwarden-test', ExternalId: sb.demo.aws.externalId, DurationSeconds: 900 }));
    const c = out.Credentials!;
    expect(c.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(c.Expiration!.getTime()).toBeGreaterThan(Date.now() + 800_000);
    const temp = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
    const me = await sts(temp).send(new GetCallerIdentityCommand({}));
    expect(me.Arn).toBe(`arn:aws:sts::${sb.demo.aws.accountId}:assumed-role/SyncwardenAudit/syncwarden-test`);
    const page = await iam(temp).send(new ListUsersCommand({ MaxItems: 5 }));
    expect(page.Users!.length).toBeGreaterThan(0);
    // The role may simulate its write-back permissions; the user's allow-list is read-only.
    const sim = await iam(temp).send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: sb.demo.aws.roleArn, ActionNames: ['iam:RemoveUserFromGroup', 'iam:CreateUser'] }));
    expect(sim.EvaluationResults!.map((r) => [r.EvalActionName, r.EvalDecision])).toEqual([['iam:RemoveUserFromGroup', 'allowed'], ['iam:CreateUser', 'implicitDeny']]);
  });

  it('AssumeRole without the external id, or under a broken trust, is AccessDenied', async () => {
    const noId = await failure(sts().send(new AssumeRoleCommand({ RoleArn: sb.demo.aws.roleArn, RoleSessionName: 's1' })));
    expect(noId).toMatchObject({ name: 'AccessDenied', status: 403, message: `User: ${sb.demo.aws.integrationUserArn} is not authorized to perform: sts:AssumeRole on resource: ${sb.demo.aws.roleArn}` });
    for (const fault of ['aws.trust_broken', 'aws.external_id_mismatch'] as const) {
      sb.faults.set(sb.demo.aws.accountId, fault);
      const e = await failure(sts().send(new AssumeRoleCommand({ RoleArn: sb.demo.aws.roleArn, RoleSessionName: 's1', ExternalId: sb.demo.aws.externalId })));
      expect(e).toMatchObject({ name: 'AccessDenied', status: 403 });
      sb.faults.clear();
    }
    const tooLong = await failure(sts().send(new AssumeRoleCommand({ RoleArn: sb.demo.aws.roleArn, RoleSessionName: 's1', ExternalId: sb.demo.aws.externalId, DurationSeconds: 7200 })));
    expect(tooLong).toMatchObject({ name: 'ValidationError', status: 400 });
  });

  it('surfaces each authentication failure as AWS does', async () => {
    const unknown = await failure(iam({ accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x'.repeat(40) }).send(new ListUsersCommand({})));
    expect(unknown).toMatchObject({ name: 'InvalidClientTokenId', status: 403, message: 'The security token included in the request is invalid.' });
    const wrongSecret = await failure(iam({ ...demoCreds(), secretAccessKey: 'y'.repeat(40) }).send(new ListUsersCommand({})));
    expect(wrongSecret).toMatchObject({ name: 'SignatureDoesNotMatch', status: 403 });
    expect(wrongSecret.message).toMatch(/^The request signature we calculated does not match/);
    sb.faults.set(sb.demo.aws.accountId, 'aws.access_key_inactive');
    expect(await failure(iam().send(new ListUsersCommand({})))).toMatchObject({ name: 'InvalidClientTokenId', status: 403 });
    sb.faults.clear();
    sb.faults.set(sb.demo.aws.accountId, 'aws.clock_skew', { seconds: 20 * 60 });
    const skew = await failure(iam().send(new ListUsersCommand({})));
    expect(skew).toMatchObject({ name: 'SignatureDoesNotMatch', status: 403 });
    expect(skew.message).toMatch(/^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)$/);
  });

  it('an expired session token is ExpiredToken', async () => {
    const out = await sts().send(new AssumeRoleCommand({ RoleArn: sb.demo.aws.roleArn, RoleSessionName: 'short', ExternalId: sb.demo.aws.externalId, DurationSeconds: 900 }));
    const temp = { accessKeyId: out.Credentials!.AccessKeyId!, secretAccessKey: out.Credentials!.SecretAccessKey!, sessionToken: out.Credentials!.SessionToken! };
    // Both clocks move on: the signature is fresh, the session is over.
    offsetMs = 901_000;
    const e = await failure(iam(temp, 1, offsetMs).send(new ListUsersCommand({})));
    expect(e).toMatchObject({ name: 'ExpiredToken', status: 403, message: 'The security token included in the request is expired' });
  });

  it('an action outside the allow-list is AccessDenied with IAM’s message', async () => {
    sb.faults.set(sb.demo.aws.accountId, 'aws.action_denied', { action: 'iam:ListUsers' });
    const e = await failure(iam().send(new ListUsersCommand({})));
    expect(e).toMatchObject({
      name: 'AccessDenied',
      status: 403,
      message: `User: ${sb.demo.aws.integrationUserArn} is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::${sb.demo.aws.accountId}:user/ because no identity-based policy allows the iam:ListUsers action`,
    });
    // The read-only user may not write.
    const w = await failure(iam().send(new RemoveUserFromGroupCommand({ GroupName: 'Admins', UserName: 'breakglass-admin' })));
    expect(w).toMatchObject({ name: 'AccessDenied', status: 403 });
  });

  it('Throttling: HTTP 400 "Rate exceeded" once the quota is spent (SDK retries off)', async () => {
    await admin('POST', '/aws/throttle', { enabled: true, ratePerSecond: 0.001, burst: 3 });
    const client = iam();
    for (let i = 0; i < 3; i++) await client.send(new ListUsersCommand({ MaxItems: 1 }));
    const e = await failure(client.send(new ListUsersCommand({ MaxItems: 1 })));
    expect(e).toMatchObject({ name: 'Throttling', status: 400, message: 'Rate exceeded' });
    const { stats } = await admin('GET', '/aws/effects');
    expect(stats.throttled).toBe(1);
  });

  it('Throttling every other request: the SDK’s own retries get through', async () => {
    sb.faults.set(sb.demo.aws.accountId, 'aws.throttle', { everyNth: 2 });
    const client = iam(demoCreds(), 3);
    for (let i = 0; i < 3; i++) {
      const page = await client.send(new ListUsersCommand({ MaxItems: 1 }));
      expect(page.Users).toHaveLength(1);
    }
  });

  it('RemoveUserFromGroup with write-back rights, then NoSuchEntity on the second try', async () => {
    await admin('POST', '/aws/attachments', { kind: 'user', name: sb.demo.aws.integrationUserName, policyArn: sb.demo.aws.writeBackPolicyArn });
    try {
      const client = iam();
      const before = await client.send(new GetGroupCommand({ GroupName: 'Admins' }));
      const victim = before.Users![0]!.UserName!;
      await client.send(new RemoveUserFromGroupCommand({ GroupName: 'Admins', UserName: victim }));
      const after = await client.send(new GetGroupCommand({ GroupName: 'Admins' }));
      expect(after.Users!.map((u) => u.UserName)).not.toContain(victim);
      const again = await failure(client.send(new RemoveUserFromGroupCommand({ GroupName: 'Admins', UserName: victim })));
      expect(again).toMatchObject({ name: 'NoSuchEntityException', status: 404 });
      const ghost = await failure(client.send(new RemoveUserFromGroupCommand({ GroupName: 'Admins', UserName: 'nobody' })));
      expect(ghost).toMatchObject({ name: 'NoSuchEntityException', status: 404, message: 'The user with name nobody cannot be found.' });
      await admin('POST', '/aws/memberships', { groupName: 'Admins', userName: victim });
    } finally {
      await admin('DELETE', '/aws/attachments', { kind: 'user', name: sb.demo.aws.integrationUserName, policyArn: sb.demo.aws.writeBackPolicyArn });
    }
  });

  it('UpdateAccessKey Status=Inactive through the SDK: the key reads Inactive; unknown key NoSuchEntity; without the right AccessDenied; write Throttling retried by the SDK', async () => {
    const users: any[] = (await admin('GET', '/aws/users')).items;
    const holder = users.find((u) => u.userName !== sb.demo.aws.integrationUserName && u.accessKeys.some((k: any) => k.status === 'Active'))!;
    const keyId = holder.accessKeys.find((k: any) => k.status === 'Active')!.accessKeyId as string;
    const denied = await failure(iam().send(new UpdateAccessKeyCommand({ UserName: holder.userName, AccessKeyId: keyId, Status: 'Inactive' })));
    expect(denied).toMatchObject({ name: 'AccessDenied', status: 403 });
    expect(denied.message).toContain('is not authorized to perform: iam:UpdateAccessKey on resource: ');
    await admin('POST', '/aws/attachments', { kind: 'user', name: sb.demo.aws.integrationUserName, policyArn: sb.demo.aws.writeBackPolicyArn });
    try {
      sb.faults.set(sb.demo.aws.accountId, 'aws.write_throttle', { everyNth: 2 });
      const client = iam(demoCreds(), 3);
      await client.send(new ListKeysForWriteCommand({ UserName: holder.userName })); // reads are not charged to the write fault
      await client.send(new UpdateAccessKeyCommand({ UserName: holder.userName, AccessKeyId: keyId, Status: 'Inactive' }));
      await client.send(new UpdateAccessKeyCommand({ UserName: holder.userName, AccessKeyId: keyId, Status: 'Inactive' })); // throttled once, retried by the SDK
      sb.faults.clear();
      const keys = await client.send(new ListKeysForWriteCommand({ UserName: holder.userName }));
      expect(keys.AccessKeyMetadata!.find((k) => k.AccessKeyId === keyId)!.Status).toBe('Inactive');
      expect((await admin('GET', '/aws/stats')).stats.throttled).toBeGreaterThan(0);
      const ghost = await failure(client.send(new UpdateAccessKeyCommand({ UserName: holder.userName, AccessKeyId: 'AKIAAAAAAAAAAAAAAAAA', Status: 'Inactive' })));
      expect(ghost).toMatchObject({ name: 'NoSuchEntityException', status: 404, message: 'The Access Key with id AKIAAAAAAAAAAAAAAAAA cannot be found' });
      await client.send(new UpdateAccessKeyCommand({ UserName: holder.userName, AccessKeyId: keyId, Status: 'Active' }));
    } finally {
      sb.faults.clear();
      await admin('DELETE', '/aws/attachments', { kind: 'user', name: sb.demo.aws.integrationUserName, policyArn: sb.demo.aws.writeBackPolicyArn });
    }
  });

  it('MaxItems out of range is a ValidationError', async () => {
    const e = await failure(iam().send(new ListUsersCommand({ MaxItems: 0 })));
    expect(e).toMatchObject({ name: 'ValidationError', status: 400 });
  });

  it('wire details: x-amzn-RequestId, text/xml, namespace (plain fetch of an unsigned call)', async () => {
    const r = await fetch(sb.urls.aws_iam, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=ListUsers&Version=2010-05-08' });
    expect(r.status).toBe(403);
    expect(r.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.headers.get('content-type')).toBe('text/xml');
    const text = await r.text();
    expect(text).toContain('<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">');
    expect(text).toContain('<Type>Sender</Type>');
    expect(text).toContain('<Code>MissingAuthenticationToken</Code>');
  });
});
