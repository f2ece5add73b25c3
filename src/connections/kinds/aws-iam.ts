import { STREAMS as AWS_DIRECTORY_STREAMS } from '../../connectors/aws/directory.js';
import { z } from 'zod';
import { outboundUrl } from '../../model/url-policy.js';
import { AppError } from '../../errors/index.js';
import { awsConnector, isAwsThrottle, READ_ACTIONS, WRITE_ACTIONS } from '../../connectors/aws/index.js';
import type { CheckResult } from '../../connectors/sdk/index.js';
import { addDays, expiryFinding, failFinding } from '../expiry.js';
import { directoryConfigFields } from './directory-config.js';
import { type ConnectorParts, type CredentialMeta, type CredentialMethodSpec, type KindSpec, type LearnedCredential } from './types.js';

/**
 * AWS IAM: the directory of one AWS account (users, groups, policies, access keys), with an
 * access key, or by assuming a role with an external id (the key then only calls
 * sts:AssumeRole). Access keys do not expire: the expiry inventory counts down to a key-age
 * policy (90 days unless set), from the key's creation date as IAM reports it.
 */
const DEFAULT_KEY_MAX_AGE_DAYS = 90;
const dateInput = z.iso.date().or(z.iso.datetime({ offset: true }));
const ACCESS_KEY_ID = /^(AKIA|ASIA)[A-Z2-7]{16}$/;

export const awsConfigSchema = z.object({
  /** The 12-digit account id (checked against GetCallerIdentity once the connector is wired). */
  accountId: z.string().trim().regex(/^\d{12}$/, 'must be the 12-digit AWS account ID').optional(),
  region: z.string().trim().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as us-east-1').default('us-east-1'),
  endpoints: z.object({ iam: outboundUrl().optional(), sts: outboundUrl().optional() }).optional(),
  ...directoryConfigFields,
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
  externalId: z.string().trim().regex(/^[\w+=,.@:/-]{2,1224}$/, 'must be 2–1224 characters of letters, digits and +=,.@:/-'),
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

/** Its own id: the connector's `credential` check is the sign-in with the key, a different prerequisite. */
const FORMAT_CHECK = 'credential:format';

function keyPreflight(accessKeyId: string, secret: string): CheckResult {
  const label = 'The access key ID and secret have the right shape';
  if (!ACCESS_KEY_ID.test(accessKeyId)) return failFinding(FORMAT_CHECK, label, 'credential.invalid_format', { what: 'access key ID', detail: 'it should be 20 characters starting with AKIA' });
  // A secret access key is 40 characters of base64; a pasted key ID or a truncated copy is not.
  if (!/^[A-Za-z0-9/+=]{40}$/.test(secret)) return failFinding(FORMAT_CHECK, label, 'credential.invalid_format', { what: 'secret access key', detail: 'it should be 40 characters' });
  return { id: FORMAT_CHECK, label, status: 'pass', detail: accessKeyId };
}

/** IAM's creation date of the key replaces the entered (or "added today") one. */
function learnKeyDate(meta: CredentialMeta, learned: LearnedCredential): { meta: CredentialMeta; expiresAt: string | null; issuedAt: string | null } | null {
  if (!learned.createdAt || Number.isNaN(Date.parse(learned.createdAt))) return null;
  const createdAt = new Date(learned.createdAt).toISOString();
  if (meta['createdAt'] === createdAt && meta['createdAtKnown'] === true) return null;
  return { meta: { ...meta, createdAt, createdAtKnown: true }, expiresAt: addDays(createdAt, Number(meta['maxAgeDays'] ?? DEFAULT_KEY_MAX_AGE_DAYS)), issuedAt: createdAt };
}

const accessKey: CredentialMethodSpec = {
  label: 'Access key',
  input: awsAccessKeyInput,
  prepare(input, ctx) {
    const p = prepareKeys(awsAccessKeyInput.parse(input), ctx.now);
    return { method: 'access_key', ...p };
  },
  expiry: (meta) => ({ what: `access key ${String(meta['accessKeyId'] ?? '')}`, basis: 'age_policy', maxAgeDays: Number(meta['maxAgeDays'] ?? DEFAULT_KEY_MAX_AGE_DAYS) }),
  learn: learnKeyDate,
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
  learn: learnKeyDate,
  preflight(parts, ctx) {
    return [keyPreflight(String(parts.meta['accessKeyId'] ?? ''), parts.secret?.['secretAccessKey'] ?? ''), expiryFinding(assumeRole.expiry(parts.meta), ctx.expiresAt, ctx.now.getTime())];
  },
};

function connectorConfig(parts: ConnectorParts) {
  const config = awsConfigSchema.parse(parts.config);
  const secretAccessKey = parts.secret?.['secretAccessKey'];
  if (secretAccessKey === undefined) throw new AppError('connection.secret_unreadable');
  const keys = { accessKeyId: String(parts.meta['accessKeyId'] ?? ''), secretAccessKey };
  const auth =
    parts.method === 'assume_role'
      ? { type: 'assume_role' as const, ...keys, roleArn: String(parts.meta['roleArn'] ?? ''), externalId: String(parts.meta['externalId'] ?? '') }
      : { type: 'access_key' as const, ...keys };
  return { region: config.region, ...(config.endpoints ? { endpoints: config.endpoints } : {}), auth, writeBack: parts.writeBack };
}

/**
 * The age the connector's checks report for the key (IAM ListAccessKeys CreateDate): from the
 * warning's parameters when the key is old, else from the passing finding's detail.
 */
function keyCreatedAt(findings: readonly CheckResult[]): string | null {
  const f = findings.find((x) => x.id === 'access_key_age');
  if (!f) return null;
  const fromError = f.error?.params['createdAt'];
  if (typeof fromError === 'string' && !Number.isNaN(Date.parse(fromError))) return fromError;
  const m = /^created (\S+) \(/.exec(f.detail ?? '');
  return m && !Number.isNaN(Date.parse(m[1]!)) ? m[1]! : null;
}

export const awsIamKind: KindSpec = {
  kind: 'aws_iam',
  displayName: 'AWS IAM',
  defaultRole: 'directory',
  roles: {
    directory: {
      streams: AWS_DIRECTORY_STREAMS,
      build: (ctx, parts) => awsConnector.create(ctx, connectorConfig(parts)),
      readPermissions: READ_ACTIONS,
      writeBackPermissions: WRITE_ACTIONS,
      writeBackHowTo: 'In the AWS console open IAM > Users (access key) or Roles (assume role) > the principal Syncwarden uses > Permissions > Add permissions, and allow these actions (for example a customer-managed SyncwardenWriteBack policy).',
      async learn(_instance, findings) {
        const createdAt = keyCreatedAt(findings);
        return createdAt ? { createdAt, expiresAt: null } : null;
      },
    },
  },
  configSchema: awsConfigSchema,
  boundFields: ['accountId', 'endpoints.iam', 'endpoints.sts'],
  methods: { access_key: accessKey, assume_role: assumeRole },
  // IAM and STS throttle with HTTP 400 Throttling ("Rate exceeded"), not 429.
  http: { provider: 'AWS IAM', isThrottle: isAwsThrottle },
  // SigV4 signatures are refused beyond 15 minutes of AWS's clock.
  clockFailSeconds: 900,
  clockChecks: ['clock'],
  // The key's age is the pre-flight's rotation check, fed the date the connector reports.
  supersededChecks: ['access_key_age'],
  propagating: [],
  errorPrefixes: ['aws.'],
  providerNames: ['AWS IAM', 'AWS STS', 'AWS'],
  summaryFields: [
    { key: 'accountId', label: 'Account' },
    { key: 'region', label: 'Region' },
  ],
};
