import { createPrivateKey } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../../errors/index.js';

/**
 * The connector's configuration. Endpoints are overridable (the sandbox); the defaults are
 * the real hosts. Key files are checked when used, so the doctor can report a bad one as a
 * failed check rather than the connector refusing to exist.
 */

/** Scopes the service account's client id must be authorised for (domain-wide delegation). */
export const ADMIN_DIRECTORY_USER = 'https://www.googleapis.com/auth/admin.directory.user';
export const GMAIL_MODIFY = 'https://www.googleapis.com/auth/gmail.modify';
export const REQUIRED_SCOPES = [ADMIN_DIRECTORY_USER, GMAIL_MODIFY] as const;
/** Read-only Directory scopes the identity inventory reads with (one token per scope, so a missing one only stops its stream). */
export const DIRECTORY_USER_READONLY = 'https://www.googleapis.com/auth/admin.directory.user.readonly';
export const DIRECTORY_GROUP_READONLY = 'https://www.googleapis.com/auth/admin.directory.group.readonly';
export const DIRECTORY_ROLES_READONLY = 'https://www.googleapis.com/auth/admin.directory.rolemanagement.readonly';
export const DIRECTORY_READ_SCOPES = [DIRECTORY_USER_READONLY, DIRECTORY_GROUP_READONLY, DIRECTORY_ROLES_READONLY] as const;
/** Write-back (revocations): members.delete and roleAssignments.delete. */
export const DIRECTORY_GROUP_MEMBER = 'https://www.googleapis.com/auth/admin.directory.group.member';
export const DIRECTORY_ROLES = 'https://www.googleapis.com/auth/admin.directory.rolemanagement';
export const DIRECTORY_WRITE_SCOPES = [DIRECTORY_GROUP_MEMBER, DIRECTORY_ROLES] as const;
/** What the token provider asks for to call IAM Credentials as itself. */
export const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';

export const googleConnectorConfigSchema = z.object({
  serviceAccountEmail: z.string().trim().toLowerCase().min(3),
  adminEmail: z.string().trim().toLowerCase().min(3),
  domain: z.string().trim().toLowerCase().min(3),
  auth: z.discriminatedUnion('type', [
    z.object({ type: z.literal('impersonation'), tokenProviderKeyJson: z.string() }),
    z.object({ type: z.literal('service_account_key'), keyJson: z.string() }),
  ]),
  endpoints: z
    .object({ oauth: z.string().optional(), iam: z.string().optional(), apis: z.string().optional() })
    .optional(),
});
export type GoogleConnectorConfig = z.infer<typeof googleConnectorConfigSchema>;

/** A directory (identity inventory) connection: the same sign-in, plus write-back consent. */
export const googleDirectoryConfigSchema = googleConnectorConfigSchema.extend({
  /** Revocations may be written back (members.delete, roleAssignments.delete); consented separately. */
  writeBack: z.boolean().default(false),
  /** The customer's other verified domains: group members there are the customer's own users, not outsiders. */
  domains: z.array(z.string().trim().toLowerCase().min(3)).default([]),
});
export type GoogleDirectoryConfig = z.infer<typeof googleDirectoryConfigSchema>;

export interface GoogleEndpoints {
  readonly oauth: string;
  readonly iam: string;
  readonly gmail: string;
  readonly admin: string;
  /** www.googleapis.com: the public certificates of service-account keys. */
  readonly certs: string;
}

export function parseConfig(config: unknown): GoogleConnectorConfig {
  return parseWith(googleConnectorConfigSchema, config);
}

export function parseDirectoryConfig(config: unknown): GoogleDirectoryConfig {
  return parseWith(googleDirectoryConfigSchema, config);
}

function parseWith<T extends z.ZodType>(schema: T, config: unknown): z.infer<T> {
  const r = schema.safeParse(config);
  if (!r.success) {
    throw new AppError('request.invalid', { detail: r.error.issues.map((i) => `${i.path.join('.') || 'config'}: ${i.message}`).join('; ') });
  }
  return r.data;
}

/** One `apis` override serves both Gmail and Directory paths, as googleapis' rootUrl does. */
export function resolveEndpoints(config: GoogleConnectorConfig): GoogleEndpoints {
  const e = config.endpoints ?? {};
  const trim = (u: string): string => u.replace(/\/+$/, '');
  return {
    oauth: trim(e.oauth ?? 'https://oauth2.googleapis.com'),
    iam: trim(e.iam ?? 'https://iamcredentials.googleapis.com'),
    gmail: trim(e.apis ?? 'https://gmail.googleapis.com'),
    admin: trim(e.apis ?? 'https://admin.googleapis.com'),
    certs: trim(e.apis ?? 'https://www.googleapis.com'),
  };
}

/** A service-account key file as the Cloud console issues it (the fields we use). */
export const serviceAccountKeySchema = z.object({
  type: z.literal('service_account', { error: 'type must be "service_account"' }),
  project_id: z.string().optional(),
  private_key_id: z.string().optional(),
  private_key: z
    .string()
    .includes('PRIVATE KEY', { error: 'private_key must be a PEM private key' })
    // The PEM markers alone prove nothing: a damaged or edited key would be accepted here and
    // fail at every sign-in. Reading it as a private key refuses it at save instead.
    .refine((pem) => readablePrivateKey(pem), { error: 'private_key is not a readable PEM private key (the file is damaged or was edited; download a new key)' }),
  client_email: z.string().includes('@', { error: 'client_email must be the service account email' }),
  client_id: z.string().regex(/^\d+$/, { error: 'client_id must be the numeric client ID' }),
});
export type ServiceAccountKey = z.infer<typeof serviceAccountKeySchema>;

export function parseKeyJson(text: string, what: string): ServiceAccountKey {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new AppError('request.invalid', { detail: `the ${what} is not JSON; paste the whole key file downloaded from the Google Cloud console` });
  }
  const r = serviceAccountKeySchema.safeParse(raw);
  if (!r.success) {
    throw new AppError('request.invalid', { detail: `the ${what} is not a service-account key file (${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})` });
  }
  return r.data;
}

/** 'name@PROJECT.iam.gserviceaccount.com' → 'PROJECT' (the project whose quota Gmail calls spend). */
export function projectOfServiceAccount(email: string): string {
  const m = /@([^.]+)\.iam\.gserviceaccount\.com$/i.exec(email);
  return m ? m[1]!.toLowerCase() : email.toLowerCase();
}

function readablePrivateKey(pem: string): boolean {
  try {
    return createPrivateKey({ key: pem, format: 'pem' }).asymmetricKeyType === 'rsa';
  } catch {
    return false;
  }
}
