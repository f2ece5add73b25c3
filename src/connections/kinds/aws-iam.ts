import { z } from 'zod';
import type { CheckResult } from '../../connectors/sdk/index.js';
import { addDays, expiryFinding, failFinding } from '../expiry.js';
import { PREFLIGHT, type CredentialMethodSpec, type KindSpec } from './types.js';

/**
 * AWS IAM: directory role. The data model, credential methods and pre-flight are here; the
 * connector (IAM + STS reads, role trust, each read action) is wired in after branch `aws`
 * is merged, by setting `roles.directory.build`.
 */
const DEFAULT_KEY_MAX_AGE_DAYS = 90;
const dateInput = z.iso.date().or(z.iso.datetime({ offset: true }));
const ACCESS_KEY_ID = /^(AKIA|ASIA)[A-Z2-7]{16}$/;

export const awsConfigSchema = z.object({
  /** The 12-digit account id (checked against GetCallerIdentity once the connector is wired). */
  accountId: z.string().trim().regex(/^\d{12}$/, 'must be the 12-digit AWS account ID').optional(),
  region: z.string().trim().default('us-east-1'),
  endpoints: z.object({ iam: z.url().optional(), sts: z.url().optional() }).optional(),
});

const keyFields = {
  accessKeyId: z.string().trim().min(1, 'paste the access key ID'),
  secretAccessKey: z.string().trim().min(1, 'paste the secret access key'),
  /** When the access key was created (IAM > Users > Security credentials); defaults to now. */
  createdAt: dateInput.optional(),
  maxAgeDays: z.number().int().min(1).max(3650).default(DEFAULT_KEY_MAX_AGE_DAYS),
};
export const awsAccessKeyInput = z.object({ type: z.literal('access_key'), ...keyFields });
export const awsAssumeRoleInput = z.object({
  type: z.literal('assume_role'),
  ...keyFields,
  roleArn: z.string().trim().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'must be a role ARN like arn:aws:iam::123456789012:role/SyncwardenReader'),
  /** Not a secret (AWS says so), but it must match the role's trust policy exactly. */
  externalId: z.string().trim().min(2).max(1224),
});
export const awsCredentialInput = z.discriminatedUnion('type', [awsAccessKeyInput, awsAssumeRoleInput]);

function prepareKeys(input: z.infer<typeof awsAccessKeyInput> | z.infer<typeof awsAssumeRoleInput>, now: Date) {
  const createdAt = input.createdAt ? new Date(input.createdAt).toISOString() : null;
  const from = createdAt ?? now.toISOString();
  return {
    meta: { accessKeyId: input.accessKeyId, createdAt: from, createdAtKnown: createdAt !== null, maxAgeDays: input.maxAgeDays },
    secret: { secretAccessKey: input.secretAccessKey },
    expiresAt: addDays(from, input.maxAgeDays),
    issuedAt: createdAt,
  };
}

function keyPreflight(accessKeyId: string, secret: string): CheckResult {
  const label = 'The access key ID and secret have the right shape';
  if (!ACCESS_KEY_ID.test(accessKeyId)) return failFinding(PREFLIGHT.credential, label, 'credential.invalid_format', { what: 'access key ID', detail: 'it should be 20 characters starting with AKIA' });
  // A secret access key is 40 characters of base64; a pasted key ID or a truncated copy is not.
  if (!/^[A-Za-z0-9/+=]{40}$/.test(secret)) return failFinding(PREFLIGHT.credential, label, 'credential.invalid_format', { what: 'secret access key', detail: 'it should be 40 characters' });
  return { id: PREFLIGHT.credential, label, status: 'pass', detail: accessKeyId };
}

const accessKey: CredentialMethodSpec = {
  label: 'Access key',
  input: awsAccessKeyInput,
  prepare(input, ctx) {
    const p = prepareKeys(awsAccessKeyInput.parse(input), ctx.now);
    return { method: 'access_key', ...p };
  },
  expiry: (meta) => ({ what: `access key ${String(meta['accessKeyId'] ?? '')}`, basis: 'age_policy', maxAgeDays: Number(meta['maxAgeDays'] ?? DEFAULT_KEY_MAX_AGE_DAYS) }),
  preflight(parts, ctx) {
    return [keyPreflight(String(parts.meta['accessKeyId'] ?? ''), parts.secret?.['secretAccessKey'] ?? ''), expiryFinding(accessKey.expiry(parts.meta), ctx.expiresAt, ctx.now.getTime())];
  },
};

const assumeRole: CredentialMethodSpec = {
  label: 'Assume role with external ID',
  input: awsAssumeRoleInput,
  prepare(input, ctx) {
    const cred = awsAssumeRoleInput.parse(input);
    const p = prepareKeys(cred, ctx.now);
    return { method: 'assume_role', ...p, meta: { ...p.meta, roleArn: cred.roleArn, externalId: cred.externalId } };
  },
  expiry: (meta) => ({ what: `access key ${String(meta['accessKeyId'] ?? '')} (assumes ${String(meta['roleArn'] ?? '')})`, basis: 'age_policy', maxAgeDays: Number(meta['maxAgeDays'] ?? DEFAULT_KEY_MAX_AGE_DAYS) }),
  preflight(parts, ctx) {
    return [keyPreflight(String(parts.meta['accessKeyId'] ?? ''), parts.secret?.['secretAccessKey'] ?? ''), expiryFinding(assumeRole.expiry(parts.meta), ctx.expiresAt, ctx.now.getTime())];
  },
};

export const awsIamKind: KindSpec = {
  kind: 'aws_iam',
  displayName: 'AWS IAM',
  defaultRole: 'directory',
  roles: {
    directory: {
      build: null,
      readPermissions: ['iam:GetAccountAuthorizationDetails', 'iam:ListUsers', 'iam:ListGroups', 'iam:ListGroupsForUser', 'iam:ListAttachedUserPolicies', 'iam:ListUserPolicies', 'iam:ListAccessKeys', 'iam:GetAccessKeyLastUsed'],
      writeBackPermissions: ['iam:RemoveUserFromGroup', 'iam:DetachUserPolicy'],
    },
  },
  configSchema: awsConfigSchema,
  methods: { access_key: accessKey, assume_role: assumeRole },
  http: { provider: 'AWS IAM' },
  supersededChecks: [],
  propagating: [],
  errorPrefixes: ['aws.'],
  providerNames: ['AWS IAM', 'AWS STS', 'AWS'],
  summaryFields: [
    { key: 'accountId', label: 'Account' },
    { key: 'region', label: 'Region' },
  ],
};
