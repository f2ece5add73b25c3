import { createHash } from 'node:crypto';

/**
 * IAM policy documents and the part of the evaluation logic the simulator needs: an
 * identity-based request is allowed when some Allow statement matches the action and the
 * resource and no Deny statement does (docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
 * Conditions are not evaluated on identity policies (the seeded ones have none); trust
 * policies are evaluated in sts.ts, where the only condition that matters is sts:ExternalId.
 */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly Principal?: unknown;
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly PolicyStatement[];
}

export type EvalDecision = 'allowed' | 'explicitDeny' | 'implicitDeny';

const asList = (v: string | readonly string[] | undefined): readonly string[] => (v === undefined ? [] : typeof v === 'string' ? [v] : v);

/** IAM wildcards: `*` any run, `?` one character; actions compare case-insensitively. */
export function wildcardMatch(pattern: string, value: string, caseInsensitive = false): boolean {
  const re = new RegExp(`^${pattern.split('').map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('')}$`, caseInsensitive ? 'is' : 's');
  return re.test(value);
}

function statementMatches(s: PolicyStatement, action: string, resource: string): boolean {
  const actionOk = s.Action !== undefined ? asList(s.Action).some((p) => wildcardMatch(p, action, true)) : s.NotAction !== undefined ? !asList(s.NotAction).some((p) => wildcardMatch(p, action, true)) : false;
  if (!actionOk) return false;
  const resources = asList(s.Resource ?? '*');
  return resources.some((p) => wildcardMatch(p, resource));
}

/** The decision of a set of identity policies for one action on one resource. */
export function evaluate(documents: readonly PolicyDocument[], action: string, resource: string): EvalDecision {
  let allowed = false;
  for (const d of documents) {
    for (const s of d.Statement) {
      if (!statementMatches(s, action, resource)) continue;
      if (s.Effect === 'Deny') return 'explicitDeny';
      allowed = true;
    }
  }
  return allowed ? 'allowed' : 'implicitDeny';
}

export function parsePolicy(json: string): PolicyDocument {
  const raw = JSON.parse(json) as { Version?: string; Statement?: PolicyStatement | PolicyStatement[] };
  const st = raw.Statement === undefined ? [] : Array.isArray(raw.Statement) ? raw.Statement : [raw.Statement];
  return { Version: '2012-10-17', Statement: st };
}

export function allow(actions: string | readonly string[], resource: string | readonly string[] = '*', extra: Partial<PolicyStatement> = {}): PolicyStatement {
  return { Effect: 'Allow', Action: actions, Resource: resource, ...extra };
}

export function doc(...statements: PolicyStatement[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

/** A managed policy (AWS-managed or customer-managed). */
export interface ManagedPolicy {
  readonly policyName: string;
  readonly policyId: string;
  readonly arn: string;
  readonly path: string;
  readonly description: string;
  readonly document: string;
  readonly awsManaged: boolean;
  readonly createDateMs: number;
  readonly updateDateMs: number;
}

/** A stable IAM-style unique id: prefix (AIDA user, AGPA group, ANPA policy, AROA role) + 17 chars. */
export function uniqueId(prefix: string, ...parts: (string | number)[]): string {
  const h = createHash('sha256').update(parts.join('\u0000')).digest();
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let s = '';
  for (let i = 0; i < 17; i++) s += alphabet[h[i]! % 32];
  return `${prefix}${s}`;
}

const DAY = 86_400_000;

/**
 * The AWS-managed policies the seeded account uses. Documents are shortened from the real
 * ones (ReadOnlyAccess has hundreds of actions) but keep their shape and their effect on IAM.
 */
export function awsManagedPolicies(): ManagedPolicy[] {
  const base = Date.UTC(2015, 1, 6, 18, 39, 46);
  const p = (name: string, path: string, description: string, document: string, updatedDaysAfter: number): ManagedPolicy => ({
    policyName: name,
    policyId: uniqueId('ANPA', 'aws', name),
    arn: `arn:aws:iam::aws:policy${path}${name}`,
    path,
    description,
    document,
    awsManaged: true,
    createDateMs: base,
    updateDateMs: base + updatedDaysAfter * DAY,
  });
  return [
    p('AdministratorAccess', '/', 'Provides full access to AWS services and resources.', doc(allow('*')), 0),
    p('ReadOnlyAccess', '/', 'Provides read-only access to AWS services and resources.', doc(allow(['iam:Get*', 'iam:List*', 'iam:GenerateCredentialReport', 'iam:GenerateServiceLastAccessedDetails', 'iam:SimulateCustomPolicy', 'iam:SimulatePrincipalPolicy', 's3:Get*', 's3:List*', 'ec2:Describe*', 'cloudtrail:Describe*', 'cloudtrail:Get*', 'cloudtrail:LookupEvents', 'sts:GetCallerIdentity'])), 3500),
    p('IAMFullAccess', '/', 'Provides full access to IAM via the AWS Management Console.', doc(allow(['iam:*', 'organizations:DescribeAccount', 'organizations:DescribeOrganization', 'organizations:DescribeOrganizationalUnit', 'organizations:DescribePolicy', 'organizations:ListChildren', 'organizations:ListParents', 'organizations:ListPoliciesForTarget', 'organizations:ListRoots', 'organizations:ListPolicies', 'organizations:ListTargetsForPolicy'])), 2400),
    p('PowerUserAccess', '/', 'Provides full access to AWS services and resources, but does not allow management of Users and groups.', doc({ Effect: 'Allow', NotAction: ['iam:*', 'organizations:*', 'account:*'], Resource: '*' }, allow(['iam:CreateServiceLinkedRole', 'iam:DeleteServiceLinkedRole', 'iam:ListRoles', 'organizations:DescribeOrganization', 'account:ListRegions', 'account:GetAccountInformation'])), 2500),
    p('SecurityAudit', '/', 'The security audit template grants access to read security configuration metadata.', doc(allow(['iam:GenerateCredentialReport', 'iam:Get*', 'iam:List*', 'iam:SimulateCustomPolicy', 'iam:SimulatePrincipalPolicy', 'cloudtrail:Describe*', 'cloudtrail:Get*', 'config:Describe*', 'ec2:Describe*', 's3:GetBucketPolicy', 's3:ListAllMyBuckets'])), 3000),
    p('Billing', '/job-function/', 'Grants permissions for billing and cost management.', doc(allow(['aws-portal:*Billing', 'awsbillingconsole:*', 'budgets:ViewBudget', 'budgets:ModifyBudget', 'cur:*'])), 2000),
  ];
}

/** What Syncwarden's integration identities may do (the "allow-list"). */
export const DIRECTORY_READ_ACTIONS = [
  'iam:ListUsers', 'iam:GetUser', 'iam:ListGroups', 'iam:GetGroup', 'iam:ListGroupsForUser',
  'iam:ListAttachedUserPolicies', 'iam:ListUserPolicies', 'iam:GetUserPolicy', 'iam:ListAttachedGroupPolicies',
  'iam:ListGroupPolicies', 'iam:ListPolicies', 'iam:ListAccessKeys', 'iam:GetAccessKeyLastUsed', 'iam:GenerateCredentialReport', 'iam:GetCredentialReport',
  'iam:GetAccountAuthorizationDetails', 'iam:SimulatePrincipalPolicy', 'iam:GetRole',
] as const;
export const WRITE_BACK_ACTIONS = ['iam:RemoveUserFromGroup', 'iam:DetachUserPolicy', 'iam:DetachGroupPolicy', 'iam:DeleteUserPolicy', 'iam:DeleteGroupPolicy', 'iam:UpdateAccessKey'] as const;
