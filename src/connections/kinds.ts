import { AppError } from '../errors/index.js';
import type { ConnectorContext, MailDestination, MailSource } from '../connectors/sdk/index.js';
import { microsoftConnector } from '../connectors/microsoft/index.js';
import { openPfx } from '../connectors/microsoft/pfx.js';
import { googleConnector } from '../connectors/google/index.js';
import {
  googleConfigSchema,
  googleCredentialSchema,
  microsoftConfigSchema,
  microsoftCredentialSchema,
  type ConnectionKind,
} from './inputs.js';

/**
 * Per connection kind: how an admin's input splits into stored parts (non-secret config,
 * credential type, non-secret credential facts, the secret), and how stored parts become a
 * connector instance. The connectors themselves know nothing about storage.
 */
export interface PreparedCredential {
  readonly type: string;
  /** Non-secret facts shown in the UI (certificate subject, thumbprint, expiry, …). */
  readonly meta: Record<string, string>;
  /** The secret part, sealed before storage; null when the method has none. */
  readonly secret: Record<string, string> | null;
}

export interface StoredParts {
  readonly config: Record<string, unknown>;
  readonly credentialType: string;
  readonly secret: Record<string, string> | null;
  /** Installation-level secrets (the Google token provider key). */
  readonly tokenProviderKeyJson: string | null;
}

export interface KindSpec {
  readonly kind: ConnectionKind;
  readonly displayName: string;
  parseConfig(config: unknown): Record<string, unknown>;
  prepareCredential(credential: unknown, tokenProviderKeyJson: string | null): PreparedCredential;
}

export const kindSpecs: Readonly<Record<ConnectionKind, KindSpec>> = {
  microsoft365: {
    kind: 'microsoft365',
    displayName: 'Microsoft 365',
    parseConfig: (c) => microsoftConfigSchema.parse(c),
    prepareCredential(credential): PreparedCredential {
      const cred = microsoftCredentialSchema.parse(credential);
      switch (cred.type) {
        case 'certificate': {
          // Opening the PFX here rejects a wrong file or password at save time, and gives
          // the expiry date that the connection card counts down to.
          const pfx = openPfx(cred.pfxBase64, cred.pfxPassword);
          return {
            type: 'certificate',
            meta: { subject: pfx.subject, thumbprint: pfx.thumbprintSha1Hex, notAfter: pfx.notAfter.toISOString() },
            secret: { pfxBase64: cred.pfxBase64, pfxPassword: cred.pfxPassword },
          };
        }
        case 'client_secret':
          return { type: 'client_secret', meta: {}, secret: { clientSecret: cred.clientSecret } };
      }
    },
  },
  google_workspace: {
    kind: 'google_workspace',
    displayName: 'Google Workspace',
    parseConfig: (c) => googleConfigSchema.parse(c),
    prepareCredential(credential, tokenProviderKeyJson): PreparedCredential {
      const cred = googleCredentialSchema.parse(credential);
      switch (cred.type) {
        case 'impersonation':
          return { type: 'impersonation', meta: { tokenProvider: clientEmailOf(tokenProviderKeyJson) ?? 'not configured' }, secret: null };
        case 'service_account_key': {
          const email = clientEmailOf(cred.keyJson);
          if (!email) throw new AppError('request.invalid', { detail: 'the key JSON is not a service-account key (no client_email)' });
          return { type: 'service_account_key', meta: { keyServiceAccount: email }, secret: { keyJson: cred.keyJson } };
        }
      }
    },
  },
};

export function buildMailSource(ctx: ConnectorContext, kind: string, parts: StoredParts): MailSource {
  if (kind !== 'microsoft365') throw new AppError('request.invalid', { detail: `a ${kind} connection cannot be a mail source` });
  const config = microsoftConfigSchema.parse(parts.config);
  const auth =
    parts.credentialType === 'certificate'
      ? { type: 'certificate' as const, pfxBase64: need(parts.secret, 'pfxBase64'), pfxPassword: parts.secret?.['pfxPassword'] ?? '' }
      : { type: 'client_secret' as const, clientSecret: need(parts.secret, 'clientSecret') };
  return microsoftConnector.create(ctx, { tenantId: config.tenantId, clientId: config.clientId, auth, endpoints: config.endpoints });
}

export function buildMailDestination(ctx: ConnectorContext, kind: string, parts: StoredParts): MailDestination {
  if (kind !== 'google_workspace') throw new AppError('request.invalid', { detail: `a ${kind} connection cannot be a mail destination` });
  const config = googleConfigSchema.parse(parts.config);
  let auth: { type: 'impersonation'; tokenProviderKeyJson: string } | { type: 'service_account_key'; keyJson: string };
  if (parts.credentialType === 'impersonation') {
    if (!parts.tokenProviderKeyJson) throw new AppError('connection.platform_not_configured');
    auth = { type: 'impersonation', tokenProviderKeyJson: parts.tokenProviderKeyJson };
  } else {
    auth = { type: 'service_account_key', keyJson: need(parts.secret, 'keyJson') };
  }
  return googleConnector.create(ctx, {
    serviceAccountEmail: config.serviceAccountEmail,
    adminEmail: config.adminEmail,
    domain: config.domain,
    auth,
    endpoints: config.endpoints,
  });
}

function need(secret: Record<string, string> | null, key: string): string {
  const v = secret?.[key];
  if (v === undefined) throw new AppError('connection.secret_unreadable');
  return v;
}

function clientEmailOf(keyJson: string | null): string | null {
  if (!keyJson) return null;
  try {
    const parsed = JSON.parse(keyJson) as { client_email?: unknown };
    return typeof parsed.client_email === 'string' ? parsed.client_email : null;
  } catch {
    return null;
  }
}
