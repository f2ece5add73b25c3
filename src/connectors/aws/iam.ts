import { z } from 'zod';
import type { AwsSession } from './session.js';
import { xmlBool, xmlInt, xmlList, xmlOptStr, xmlStr } from './xml.js';

/**
 * The IAM actions the connector uses, with zod schemas of their results (botocore
 * iam/2010-05-08; providers.md §4.2). https://docs.aws.amazon.com/IAM/latest/APIReference/
 */
/**
 * Lenient where IAM's model is: in botocore every member of AttachedPolicy, UserDetail,
 * GroupDetail and ManagedPolicyDetail is optional, and implementations do leave some out.
 * What identifies a record (its ARN) stays required; what can be derived from the ARN (a
 * policy's name and path) is derived; the rest may be absent.
 */
const nameFromArn = (arn: string): string => arn.slice(arn.lastIndexOf('/') + 1) || arn;
const pathFromArn = (arn: string): string => {
  const m = /^arn:[^:]*:iam::[^:]*:[a-z-]+(\/.*\/)[^/]*$/.exec(arn);
  return m?.[1] ?? '/';
};
const attachedPolicy = z.object({ PolicyName: xmlOptStr, PolicyArn: xmlStr }).transform((p) => ({ PolicyArn: p.PolicyArn, PolicyName: p.PolicyName ?? nameFromArn(p.PolicyArn) }));
const inlinePolicy = z.object({ PolicyName: xmlStr, PolicyDocument: xmlStr });
const tag = z.object({ Key: xmlStr, Value: xmlStr.optional() });
const paging = { IsTruncated: xmlBool.default(false), Marker: xmlOptStr };

export const userDetailSchema = z.object({
  Path: xmlOptStr.transform((v) => v ?? '/'),
  UserName: xmlStr,
  UserId: xmlStr,
  Arn: xmlStr,
  CreateDate: xmlStr,
  UserPolicyList: xmlList(inlinePolicy),
  GroupList: xmlList(xmlStr),
  AttachedManagedPolicies: xmlList(attachedPolicy),
  Tags: xmlList(tag),
  PermissionsBoundary: z.object({ PermissionsBoundaryArn: xmlOptStr }).optional(),
});
export const groupDetailSchema = z.object({
  Path: xmlOptStr.transform((v) => v ?? '/'),
  GroupName: xmlStr,
  GroupId: xmlStr,
  Arn: xmlStr,
  CreateDate: xmlStr,
  GroupPolicyList: xmlList(inlinePolicy),
  AttachedManagedPolicies: xmlList(attachedPolicy),
});
export const policyDetailSchema = z
  .object({
    PolicyName: xmlOptStr,
    PolicyId: xmlOptStr,
    Arn: xmlStr,
    Path: xmlOptStr,
    DefaultVersionId: xmlOptStr,
    AttachmentCount: xmlInt.optional(),
    Description: xmlOptStr,
    PolicyVersionList: xmlList(z.object({ Document: xmlOptStr, VersionId: xmlStr, IsDefaultVersion: xmlBool.default(false) })),
  })
  .transform((p) => ({ ...p, PolicyName: p.PolicyName ?? nameFromArn(p.Arn), PolicyId: p.PolicyId ?? null, Path: p.Path ?? pathFromArn(p.Arn) }));
export type UserDetail = z.infer<typeof userDetailSchema>;
export type GroupDetail = z.infer<typeof groupDetailSchema>;
export type PolicyDetail = z.infer<typeof policyDetailSchema>;

const gaadSchema = z.object({
  UserDetailList: xmlList(userDetailSchema),
  GroupDetailList: xmlList(groupDetailSchema),
  Policies: xmlList(policyDetailSchema),
  ...paging,
});

export type GaadFilter = 'User' | 'Group' | 'LocalManagedPolicy' | 'AWSManagedPolicy' | 'Role';

/** The filters of the sync's GetAccountAuthorizationDetails phases; the doctor asks with the same ones. */
export const GAAD_PHASE_FILTERS: Readonly<Record<'groups' | 'policies' | 'users', readonly GaadFilter[]>> = {
  groups: ['Group'],
  policies: ['LocalManagedPolicy', 'AWSManagedPolicy'],
  users: ['User'],
};

export async function getAccountAuthorizationDetails(s: AwsSession, filter: readonly GaadFilter[], maxItems: number, marker: string | undefined) {
  return s.call('iam', 'GetAccountAuthorizationDetails', { Filter: filter, MaxItems: maxItems, Marker: marker }, gaadSchema);
}

const userSchema = z.object({ Path: xmlStr, UserName: xmlStr, UserId: xmlStr, Arn: xmlStr, CreateDate: xmlStr, PasswordLastUsed: xmlOptStr });
const groupSchema = z.object({ Path: xmlStr, GroupName: xmlStr, GroupId: xmlStr, Arn: xmlStr, CreateDate: xmlStr });

export async function listUsers(s: AwsSession, maxItems: number, marker: string | undefined) {
  return s.call('iam', 'ListUsers', { MaxItems: maxItems, Marker: marker }, z.object({ Users: xmlList(userSchema), ...paging }));
}

export async function listGroups(s: AwsSession, maxItems: number, marker: string | undefined) {
  return s.call('iam', 'ListGroups', { MaxItems: maxItems, Marker: marker }, z.object({ Groups: xmlList(groupSchema), ...paging }));
}

const keySchema = z.object({ UserName: xmlStr, AccessKeyId: xmlStr, Status: z.enum(['Active', 'Inactive', 'Expired']), CreateDate: xmlStr });

export async function listAccessKeys(s: AwsSession, userName: string | undefined, maxItems: number, marker: string | undefined, opts: { base?: boolean } = {}) {
  return s.call('iam', 'ListAccessKeys', { UserName: userName, MaxItems: maxItems, Marker: marker }, z.object({ AccessKeyMetadata: xmlList(keySchema), ...paging }), { pass: ['NoSuchEntity'], ...opts });
}

export async function getAccessKeyLastUsed(s: AwsSession, accessKeyId: string) {
  return s.call(
    'iam',
    'GetAccessKeyLastUsed',
    { AccessKeyId: accessKeyId },
    z.object({ UserName: xmlOptStr, AccessKeyLastUsed: z.object({ LastUsedDate: xmlOptStr, ServiceName: xmlStr, Region: xmlStr }) }),
    { pass: ['NoSuchEntity'] },
  );
}

/** Starts (or finds) the credential report: State STARTED, INPROGRESS or COMPLETE. */
export async function generateCredentialReport(s: AwsSession) {
  return s.call('iam', 'GenerateCredentialReport', {}, z.object({ State: xmlStr, Description: xmlOptStr }));
}

/** The report's CSV (base64); ReportNotPresent, ReportInProgress and ReportExpired come back as AwsCallError. */
export async function getCredentialReport(s: AwsSession) {
  return s.call('iam', 'GetCredentialReport', {}, z.object({ Content: xmlStr, ReportFormat: xmlOptStr, GeneratedTime: xmlOptStr }), { pass: ['ReportNotPresent', 'ReportInProgress', 'ReportExpired'] });
}

export async function simulatePrincipalPolicy(s: AwsSession, sourceArn: string, actions: readonly string[]) {
  return s.call(
    'iam',
    'SimulatePrincipalPolicy',
    { PolicySourceArn: sourceArn, ActionNames: actions },
    z.object({ EvaluationResults: xmlList(z.object({ EvalActionName: xmlStr, EvalDecision: xmlStr })), ...paging }),
  );
}

/** A write; NoSuchEntity comes back as AwsCallError so revoke can answer 'already_gone'. */
export async function write(s: AwsSession, action: 'RemoveUserFromGroup' | 'DetachUserPolicy' | 'DetachGroupPolicy' | 'DeleteUserPolicy' | 'DeleteGroupPolicy' | 'UpdateAccessKey', params: Record<string, string>) {
  // Each of these is idempotent at IAM (removing twice removes nothing more): safe to resend after a lost answer.
  return s.call('iam', action, params, z.unknown(), { pass: ['NoSuchEntity'], idempotent: true });
}

/** The groups a user is in (IAM caps a user at 10 groups, so one page is the norm). */
export async function listGroupsForUser(s: AwsSession, userName: string, marker: string | undefined) {
  return s.call('iam', 'ListGroupsForUser', { UserName: userName, MaxItems: 1000, Marker: marker }, z.object({ Groups: xmlList(groupSchema), ...paging }), { pass: ['NoSuchEntity'] });
}

const attachedSchema = z.object({ PolicyName: xmlStr, PolicyArn: xmlStr });

export async function listAttachedPolicies(s: AwsSession, kind: 'user' | 'group', name: string, marker: string | undefined) {
  const action = kind === 'user' ? 'ListAttachedUserPolicies' : 'ListAttachedGroupPolicies';
  return s.call('iam', action, { [kind === 'user' ? 'UserName' : 'GroupName']: name, MaxItems: 1000, Marker: marker }, z.object({ AttachedPolicies: xmlList(attachedSchema), ...paging }), { pass: ['NoSuchEntity'] });
}

/** GetUserPolicy / GetGroupPolicy: NoSuchEntity (policy or principal gone) comes back as AwsCallError. */
export async function getInlinePolicy(s: AwsSession, kind: 'user' | 'group', name: string, policyName: string) {
  const action = kind === 'user' ? 'GetUserPolicy' : 'GetGroupPolicy';
  return s.call('iam', action, { [kind === 'user' ? 'UserName' : 'GroupName']: name, PolicyName: policyName }, z.object({ PolicyName: xmlStr }), { pass: ['NoSuchEntity'] });
}

/** GetCallerIdentity with the reading credentials (the role session, when assuming a role). */
export async function getCallerIdentity(s: AwsSession) {
  return s.call('sts', 'GetCallerIdentity', {}, z.object({ Arn: xmlStr, UserId: xmlStr, Account: xmlStr }));
}
