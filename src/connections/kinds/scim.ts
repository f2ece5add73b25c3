import { z } from 'zod';
import { AppError } from '../../errors/index.js';
import { expiryFinding, failFinding } from '../expiry.js';
import { PREFLIGHT, type CredentialMethodSpec, type KindSpec } from './types.js';

/**
 * SCIM 2.0: directory role, base URL + bearer token (RFC 7644 §2, RFC 6750). The connector is
 * wired in after branch `scim` is merged, by setting `roles.directory.build`.
 */
const dateInput = z.iso.date().or(z.iso.datetime({ offset: true }));

export const scimConfigSchema = z.object({
  /** e.g. https://app.example.com/scim/v2 — without /Users. */
  baseUrl: z.url().refine((u) => /^https:\/\//i.test(u) || /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/i.test(u), 'must be an https:// URL'),
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
    return [{ id: PREFLIGHT.credential, label, status: 'pass' }, expiryFinding(bearerToken.expiry(parts.meta), ctx.expiresAt, ctx.now.getTime(), new AppError('credential.expired', { what: 'SCIM bearer token', expiresAt: (ctx.expiresAt ?? '').slice(0, 10) }))];
  },
};

export const scimKind: KindSpec = {
  kind: 'scim',
  displayName: 'SCIM 2.0',
  defaultRole: 'directory',
  roles: {
    directory: { build: null, readPermissions: ['GET /Users', 'GET /Groups'], writeBackPermissions: ['PATCH /Groups'] },
  },
  configSchema: scimConfigSchema,
  methods: { bearer_token: bearerToken },
  http: { provider: 'SCIM' },
  supersededChecks: [],
  propagating: [],
  errorPrefixes: ['scim.'],
  providerNames: ['SCIM'],
  summaryFields: [{ key: 'baseUrl', label: 'Base URL' }],
};
