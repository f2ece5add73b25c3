import { GOOGLE_DIRECTORY_STREAMS } from '../../connectors/google/directory-source.js';
import { z } from 'zod';
import { outboundUrl } from '../../model/url-policy.js';
import { AppError, toAppError } from '../../errors/index.js';
import { googleConnector, googleDirectoryConnector, isGoogleThrottle, DIRECTORY_READ_SCOPES, DIRECTORY_WRITE_SCOPES, REQUIRED_SCOPES, type GoogleDirectorySource } from '../../connectors/google/index.js';
import { parseKeyJson } from '../../connectors/google/config.js';
import type { CheckResult, DirectorySource } from '../../connectors/sdk/index.js';
import { addDays, expiryFinding, failFinding } from '../expiry.js';
import { directoryConfigFields } from './directory-config.js';
import { PREFLIGHT, type ConnectorParts, type CredentialMeta, type CredentialMethodSpec, type KindSpec, type LearnedCredential } from './types.js';

/**
 * Google Workspace: the continuity destination (users, Gmail import) and the directory (users,
 * groups, members, admin roles), signing in keylessly through Syncwarden's token provider or
 * with a service-account key; both through domain-wide delegation as the admin. The directory
 * reads with the read-only Directory scopes; write-back adds the group-member and
 * role-management scopes.
 */
const DEFAULT_KEY_MAX_AGE_DAYS = 90;
const dateInput = z.iso.date().or(z.iso.datetime({ offset: true }));

export const googleConfigSchema = z.object({
  serviceAccountEmail: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[^@\s]+@[a-z0-9-]+\.iam\.gserviceaccount\.com$/, 'must be a service-account email ending in .iam.gserviceaccount.com'),
  adminEmail: z.email().trim().toLowerCase(),
  domain: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[a-z0-9.-]+\.[a-z]{2,}$/, 'must be a domain like example.com'),
  endpoints: z.object({ oauth: outboundUrl().optional(), iam: outboundUrl().optional(), apis: outboundUrl().optional() }).optional(),
  /** The customer's other verified domains (directory): group members there are its own users, not outsiders. */
  domains: z.array(z.string().trim().toLowerCase().regex(/^[a-z0-9.-]+\.[a-z]{2,}$/, 'must be a domain like example.com')).max(600).optional(),
  ...directoryConfigFields,
});

export const googleImpersonationInput = z.object({ type: z.literal('impersonation') });
export const googleKeyInput = z.object({
  type: z.literal('service_account_key'),
  keyJson: z.string().min(2, 'paste the key JSON'),
  /** When the key was created (Cloud console > Keys); defaults to when it is added here. */
  createdAt: dateInput.optional(),
  /** Your rotation policy for keys, in days (Google keys do not expire unless an org policy says so). */
  maxAgeDays: z.number().int().min(1).max(3650).default(DEFAULT_KEY_MAX_AGE_DAYS),
});
export const googleCredentialInput = z.discriminatedUnion('type', [googleImpersonationInput, googleKeyInput]);

function readKey(json: string, what: string) {
  try {
    return parseKeyJson(json, what);
  } catch (e) {
    const err = toAppError(e);
    throw new AppError('credential.key_file_invalid', { what, detail: String(err.params['detail'] ?? err.message) });
  }
}

const impersonation: CredentialMethodSpec = {
  label: 'Keyless (Token Creator role)',
  keyless: true,
  input: googleImpersonationInput,
  prepare(input, ctx) {
    googleImpersonationInput.parse(input);
    const tp = ctx.platform.googleTokenProviderKeyJson;
    let tokenProvider = 'not configured';
    if (tp) {
      try {
        tokenProvider = readKey(tp, 'token provider key').client_email;
      } catch {
        tokenProvider = 'unreadable';
      }
    }
    return { method: 'impersonation', meta: { tokenProvider }, secret: null, expiresAt: null, issuedAt: null };
  },
  expiry: () => ({ what: 'keyless sign-in (nothing to expire)', basis: 'credential', maxAgeDays: null }),
  preflight(parts): CheckResult[] {
    const label = 'Syncwarden\'s token provider identity is configured';
    const tp = parts.platform.googleTokenProviderKeyJson;
    if (!tp) return [failFinding(PREFLIGHT.platform, label, 'connection.platform_not_configured')];
    try {
      const key = readKey(tp, 'token provider key');
      return [{ id: PREFLIGHT.platform, label, status: 'pass', detail: key.client_email }];
    } catch (e) {
      return [{ id: PREFLIGHT.platform, label, status: 'fail', error: toAppError(e).toJSON() }];
    }
  },
};

const serviceAccountKey: CredentialMethodSpec = {
  label: 'Service-account key (JSON)',
  input: googleKeyInput,
  prepare(input, ctx) {
    const cred = googleKeyInput.parse(input);
    const key = readKey(cred.keyJson, 'service-account key');
    const createdAt = cred.createdAt ? new Date(cred.createdAt).toISOString() : null;
    const from = createdAt ?? ctx.now.toISOString();
    return {
      method: 'service_account_key',
      meta: { serviceAccount: key.client_email, keyId: key.private_key_id ?? null, projectId: key.project_id ?? null, createdAt: from, createdAtKnown: createdAt !== null, maxAgeDays: cred.maxAgeDays },
      secret: { keyJson: cred.keyJson },
      expiresAt: addDays(from, cred.maxAgeDays),
      issuedAt: createdAt,
    };
  },
  expiry: (meta) => {
    const what = `service-account key ${String(meta['keyId'] ?? '').slice(0, 8)}`.trim();
    const maxAgeDays = Number(meta['maxAgeDays'] ?? DEFAULT_KEY_MAX_AGE_DAYS);
    // A key under an expiry policy (constraints/iam.serviceAccountKeyExpiryHours) stops working
    // on its own date; when that comes before the rotation policy, it is the date that matters.
    return keyExpiresFirst(meta) ? { what, basis: 'credential', maxAgeDays: null } : { what, basis: 'age_policy', maxAgeDays };
  },
  learn: learnKeyDates,
  preflight(parts, ctx): CheckResult[] {
    const label = 'The service-account key file is valid';
    let key;
    try {
      key = readKey(parts.secret?.['keyJson'] ?? '', 'service-account key');
    } catch (e) {
      return [{ id: PREFLIGHT.credential, label, status: 'fail', error: toAppError(e).toJSON() }];
    }
    const config = googleConfigSchema.safeParse(parts.config);
    const configured = config.success ? config.data.serviceAccountEmail : '';
    const out: CheckResult[] = [];
    if (configured && key.client_email.toLowerCase() !== configured) {
      out.push({ id: PREFLIGHT.credential, label, status: 'warning', detail: `the key belongs to ${key.client_email}, not ${configured}; Syncwarden signs in as ${key.client_email}` });
    } else out.push({ id: PREFLIGHT.credential, label, status: 'pass', detail: `${key.client_email}, key ${key.private_key_id ?? 'without id'}` });
    out.push(expiryFinding(serviceAccountKey.expiry(parts.meta), ctx.expiresAt, ctx.now.getTime()));
    return out;
  },
};

function keyExpiresFirst(meta: CredentialMeta): boolean {
  const keyExpiresAt = meta['keyExpiresAt'];
  if (typeof keyExpiresAt !== 'string') return false;
  const due = addDays(String(meta['createdAt'] ?? new Date(0).toISOString()), Number(meta['maxAgeDays'] ?? DEFAULT_KEY_MAX_AGE_DAYS));
  return Date.parse(keyExpiresAt) <= Date.parse(due);
}

/** The key's creation (and expiry, under a policy) as Google publishes them replace the entered or assumed date. */
function learnKeyDates(meta: CredentialMeta, learned: LearnedCredential): { meta: CredentialMeta; expiresAt: string | null; issuedAt: string | null } | null {
  if (!learned.createdAt) return null;
  const createdAt = new Date(learned.createdAt).toISOString();
  const keyExpiresAt = learned.expiresAt ? new Date(learned.expiresAt).toISOString() : null;
  if (meta['createdAt'] === createdAt && meta['createdAtKnown'] === true && (meta['keyExpiresAt'] ?? null) === keyExpiresAt) return null;
  const next: CredentialMeta = { ...meta, createdAt, createdAtKnown: true, keyExpiresAt };
  const due = addDays(createdAt, Number(meta['maxAgeDays'] ?? DEFAULT_KEY_MAX_AGE_DAYS));
  return { meta: next, expiresAt: keyExpiresFirst(next) ? keyExpiresAt : due, issuedAt: createdAt };
}

function connectorConfig(parts: ConnectorParts) {
  const config = googleConfigSchema.parse(parts.config);
  let auth: { type: 'impersonation'; tokenProviderKeyJson: string } | { type: 'service_account_key'; keyJson: string };
  if (parts.method === 'impersonation') {
    if (!parts.platform.googleTokenProviderKeyJson) throw new AppError('connection.platform_not_configured');
    auth = { type: 'impersonation', tokenProviderKeyJson: parts.platform.googleTokenProviderKeyJson };
  } else {
    const keyJson = parts.secret?.['keyJson'];
    if (keyJson === undefined) throw new AppError('connection.secret_unreadable');
    auth = { type: 'service_account_key', keyJson };
  }
  return { serviceAccountEmail: config.serviceAccountEmail, adminEmail: config.adminEmail, domain: config.domain, auth, endpoints: config.endpoints };
}

export const googleWorkspaceKind: KindSpec = {
  kind: 'google_workspace',
  displayName: 'Google Workspace',
  defaultRole: 'continuity_destination',
  roles: {
    continuity_destination: {
      build: (ctx, parts) => googleConnector.create(ctx, connectorConfig(parts)),
      readPermissions: REQUIRED_SCOPES,
      writeBackPermissions: [],
    },
    directory: {
      streams: GOOGLE_DIRECTORY_STREAMS,
      build: (ctx, parts) => {
        const domains = googleConfigSchema.parse(parts.config).domains ?? [];
        return googleDirectoryConnector.create(ctx, { ...connectorConfig(parts), domains, writeBack: parts.writeBack });
      },
      readPermissions: DIRECTORY_READ_SCOPES,
      writeBackPermissions: DIRECTORY_WRITE_SCOPES,
      writeBackHowTo: 'In the Google Admin console open Security > Access and data control > API controls > Manage Domain Wide Delegation, edit the client ID of the service account and add these scopes to its OAuth scopes.',
      // The directory checks probe each delegated scope several times and name a change still
      // propagating themselves (google.delegation_propagating): no re-runs of the whole doctor.
      propagating: [],
      // The key's age, from the public certificate Google publishes for it (key method only).
      async learn(instance: DirectorySource) {
        if (!isGoogleDirectory(instance)) return null;
        const info = await instance.credentialInfo();
        return info ? { createdAt: info.createdAt, expiresAt: info.expiresAt } : null;
      },
    },
  },
  configSchema: googleConfigSchema,
  boundFields: ['endpoints.oauth', 'endpoints.iam', 'endpoints.apis'],
  methods: { impersonation, service_account_key: serviceAccountKey },
  // 429, and the 403s userRateLimitExceeded / quotaExceeded / rateLimitExceeded the Directory and Gmail throttle with.
  http: { provider: 'Google Workspace', isThrottle: isGoogleThrottle },
  // Google accepts JWT assertions within a few minutes of its clock.
  clockFailSeconds: 300,
  clockChecks: ['clock'],
  supersededChecks: ['credential'],
  // Domain-wide delegation changes take minutes, rarely up to 24 hours, to reach every server.
  propagating: ['google.delegation_missing'],
  errorPrefixes: ['google.', 'gmail.'],
  providerNames: ['Google Workspace'],
  summaryFields: [
    { key: 'serviceAccountEmail', label: 'Service account' },
    { key: 'adminEmail', label: 'Admin' },
    { key: 'domain', label: 'Domain' },
  ],
};

function isGoogleDirectory(s: DirectorySource): s is GoogleDirectorySource {
  return typeof (s as Partial<GoogleDirectorySource>).credentialInfo === 'function';
}
