import { SCIM_STREAMS } from '../../connectors/scim/source.js';
import { z } from 'zod';
import { outboundUrl } from '../../model/url-policy.js';
import { AppError } from '../../errors/index.js';
import { scimConnector } from '../../connectors/scim/index.js';
import { expiryFinding, failFinding } from '../expiry.js';
import { directoryConfigFields } from './directory-config.js';
import { PREFLIGHT, type ConnectorParts, type CredentialMethodSpec, type KindSpec } from './types.js';

/**
 * SCIM 2.0 apps: directory role, base URL + bearer token (RFC 7644 §2, RFC 6750). Apps do not
 * tell a client when a token expires, so the admin enters the date when the app shows one.
 */
const dateInput = z.iso.date().or(z.iso.datetime({ offset: true }));

export const scimConfigSchema = z.object({
  /** e.g. https://app.example.com/scim/v2 — without /Users. */
  // Where the bearer token is sent: the one URL policy (https:, or http: on loopback only).
  baseUrl: outboundUrl(),
  ...directoryConfigFields,
});

export const scimTokenInput = z.object({
  type: z.literal('bearer_token'),
  token: z.string().trim().min(8, 'paste the bearer token'),
  /** When the app says the token expires, if it does. */
  expiresAt: dateInput.optional(),
});
export const scimCredentialInput = z.discriminatedUnion('type', [scimTokenInput]);

const bearerToken: CredentialMethodSpec = {
  label: 'Bearer token',
  input: scimTokenInput,
  prepare(input) {
    const cred = scimTokenInput.parse(input);
    const expiresAt = cred.expiresAt ? new Date(cred.expiresAt).toISOString() : null;
    return { method: 'bearer_token', meta: { expiresAt, length: cred.token.length }, secret: { token: cred.token }, expiresAt, issuedAt: null };
  },
  expiry: () => ({ what: 'SCIM bearer token', basis: 'entered', maxAgeDays: null }),
  preflight(parts, ctx) {
    const token = parts.secret?.['token'] ?? '';
    const label = 'The bearer token is a single token';
    // A pasted "Bearer xyz" header or a token with line breaks fails at the app with a bare 401.
    if (/^bearer\s/i.test(token) || /\s/.test(token)) {
      return [failFinding(PREFLIGHT.credential, label, 'credential.invalid_format', { what: 'bearer token', detail: 'paste the token alone, without "Bearer " or spaces' })];
    }
    const baseUrl = String(parts.config['baseUrl'] ?? 'the app');
    return [{ id: PREFLIGHT.credential, label, status: 'pass' }, expiryFinding(bearerToken.expiry(parts.meta), ctx.expiresAt, ctx.now.getTime(), new AppError('scim.token_expired', { baseUrl, expiredAt: ` on ${(ctx.expiresAt ?? '').slice(0, 10)}` }))];
  },
};

function connectorConfig(parts: ConnectorParts) {
  const config = scimConfigSchema.parse(parts.config);
  const token = parts.secret?.['token'];
  if (token === undefined) throw new AppError('connection.secret_unreadable');
  const expiresAt = parts.meta['expiresAt'];
  return { baseUrl: config.baseUrl, token, ...(typeof expiresAt === 'string' ? { tokenExpiresAt: expiresAt } : {}), writeBack: parts.writeBack };
}

export const scimKind: KindSpec = {
  kind: 'scim',
  displayName: 'SCIM 2.0',
  defaultRole: 'directory',
  roles: {
    directory: {
      streams: SCIM_STREAMS,
      build: (ctx, parts) => scimConnector.create(ctx, connectorConfig(parts)),
      readPermissions: ['GET /Users', 'GET /Groups'],
      writeBackPermissions: ['PATCH /Groups'],
      writeBackHowTo: "In the app's admin console create a SCIM token with write access to groups (read/write) and rotate to it; a read-only token cannot remove members.",
    },
  },
  configSchema: scimConfigSchema,
  boundFields: ['baseUrl'],
  methods: { bearer_token: bearerToken },
  http: { provider: 'SCIM' },
  // A bearer token is not signed with the clock: a difference only skews expiry warnings.
  clockFailSeconds: null,
  clockChecks: ['clock_skew'],
  // The token's entered expiry is the pre-flight's expiry check.
  supersededChecks: ['token_expiry'],
  propagating: [],
  errorPrefixes: ['scim.'],
  providerNames: ['SCIM', 'SCIM app'],
  summaryFields: [{ key: 'baseUrl', label: 'Base URL' }],
};
