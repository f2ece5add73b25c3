import { z } from 'zod';
import { AppError } from '../../errors/index.js';

/**
 * The AWS IAM connection's configuration. Endpoints default to the real global hosts
 * (IAM is global and signs as us-east-1; STS's global endpoint too); the sandbox overrides them.
 * https://docs.aws.amazon.com/general/latest/gr/iam-service.html
 */
const accessKeyId = z.string().trim().regex(/^[A-Z0-9]{16,128}$/, { error: 'must be an AWS access key ID (20 characters, starting AKIA)' });
const secretAccessKey = z.string().trim().min(16, { error: 'must be the secret access key shown when the key was created' });
export const ROLE_ARN_RE = /^arn:aws[\w-]*:iam::(\d{12}):role\/(?:[\u0021-\u007E]*\/)?([\w+=,.@-]{1,64})$/;

export const awsConnectorConfigSchema = z.object({
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: 'must be an AWS region such as us-east-1' }).default('us-east-1'),
  endpoints: z.object({ iam: z.url().optional(), sts: z.url().optional() }).optional(),
  auth: z.discriminatedUnion('type', [
    z.object({ type: z.literal('access_key'), accessKeyId, secretAccessKey }),
    z.object({
      type: z.literal('assume_role'),
      accessKeyId,
      secretAccessKey,
      roleArn: z.string().trim().regex(ROLE_ARN_RE, { error: 'must be a role ARN such as arn:aws:iam::123456789012:role/SyncwardenAudit' }),
      externalId: z.string().trim().regex(/^[\w+=,.@:/-]{2,1224}$/, { error: 'must be 2–1224 characters of letters, digits and +=,.@:/-' }).optional(),
      sessionName: z.string().regex(/^[\w+=,.@-]{2,64}$/).default('syncwarden'),
    }),
  ]),
  /** Consent to write revocations back (RemoveUserFromGroup, Detach*Policy, Delete*Policy). */
  writeBack: z.boolean().default(false),
  /** MaxItems asked of IAM (1–1000). IAM may answer fewer; the connector follows IsTruncated. */
  pageSize: z.number().int().min(1).max(1000).default(1000),
});
export type AwsConnectorConfig = z.input<typeof awsConnectorConfigSchema>;
export type AwsConfig = z.output<typeof awsConnectorConfigSchema>;

export interface AwsEndpoints {
  readonly iam: string;
  readonly sts: string;
}

export function parseConfig(config: unknown): AwsConfig {
  const r = awsConnectorConfigSchema.safeParse(config);
  if (!r.success) throw new AppError('request.invalid', { detail: r.error.issues.map((i) => `${i.path.join('.') || 'config'}: ${i.message}`).join('; ') });
  return r.data;
}

export function resolveEndpoints(c: AwsConfig): AwsEndpoints {
  const trim = (u: string): string => u.replace(/\/+$/, '');
  return { iam: trim(c.endpoints?.iam ?? 'https://iam.amazonaws.com'), sts: trim(c.endpoints?.sts ?? 'https://sts.amazonaws.com') };
}

/** 'arn:aws:iam::123:user/path/name' → 'name' (IAM names cannot contain '/'). */
export const nameOfArn = (arn: string): string => arn.slice(arn.lastIndexOf('/') + 1);
export const accountOfArn = (arn: string): string | null => /^arn:aws[\w-]*:(?:iam|sts)::(\d{12}):/.exec(arn)?.[1] ?? null;
