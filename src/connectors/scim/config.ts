import { z } from 'zod';
import { AppError } from '../../errors/index.js';

/**
 * A SCIM app connection: the app's SCIM 2.0 base URL and a long-lived bearer token issued
 * in its admin console (RFC 7644 §2, RFC 6750). Apps do not tell a client when a token
 * expires, so the admin records the date for the expiry warning.
 */
export const scimConfigSchema = z.object({
  baseUrl: z
    .string()
    .trim()
    .url({ error: 'baseUrl must be an http(s) URL, e.g. https://app.example.com/scim/v2' })
    .refine((u) => /^https?:\/\//i.test(u), { error: 'baseUrl must start with https:// (or http:// for a local test server)' })
    // Admins paste the URL of an endpoint or with a trailing slash; the base is what precedes /Users.
    .transform((u) => u.replace(/\/+$/, '').replace(/\/(Users|Groups|ServiceProviderConfig)$/i, '')),
  token: z.string().trim().min(1, { error: 'token is required' }),
  tokenExpiresAt: z.iso.datetime({ offset: true, error: 'tokenExpiresAt must be an ISO 8601 date-time' }).optional(),
  pageSize: z.number().int().min(1).max(1000).default(100),
  writeBack: z.boolean().default(false),
});
export type ScimConfigInput = z.input<typeof scimConfigSchema>;
export type ScimConfig = z.output<typeof scimConfigSchema>;

export function parseScimConfig(config: unknown): ScimConfig {
  const r = scimConfigSchema.safeParse(config);
  if (!r.success) {
    throw new AppError('request.invalid', { detail: r.error.issues.map((i) => `${i.path.join('.') || 'config'}: ${i.message}`).join('; ') });
  }
  return r.data;
}
