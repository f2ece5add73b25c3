import { z } from 'zod';

/**
 * What an admin sends to create or edit a connection (API, UI, CLI share these schemas).
 * Secrets arrive here and nowhere else: they are sealed before storage and never returned.
 */
const endpoints = z.record(z.string(), z.url()).optional();
const guid = z.string().trim().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be a GUID like 00000000-0000-0000-0000-000000000000');
const tenantRef = z.string().trim().min(1).refine((v) => guid.safeParse(v).success || /^[a-z0-9.-]+\.[a-z]{2,}$/i.test(v), 'must be the Directory (tenant) ID GUID or a verified domain');

export const microsoftConfigSchema = z.object({
  tenantId: tenantRef,
  clientId: guid,
  endpoints,
});

export const microsoftCredentialSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('certificate'), pfxBase64: z.string().min(1, 'upload the PFX file'), pfxPassword: z.string().default('') }),
  z.object({ type: z.literal('client_secret'), clientSecret: z.string().trim().min(1, 'paste the client secret value') }),
]);

export const googleConfigSchema = z.object({
  serviceAccountEmail: z.string().trim().toLowerCase().regex(/^[^@\s]+@[a-z0-9-]+\.iam\.gserviceaccount\.com$/, 'must be a service-account email ending in .iam.gserviceaccount.com'),
  adminEmail: z.email().trim().toLowerCase(),
  domain: z.string().trim().toLowerCase().regex(/^[a-z0-9.-]+\.[a-z]{2,}$/, 'must be a domain like example.com'),
  endpoints,
});

export const googleCredentialSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('impersonation') }),
  z.object({ type: z.literal('service_account_key'), keyJson: z.string().min(2, 'paste the key JSON') }),
]);

export const connectionKinds = ['microsoft365', 'google_workspace'] as const;
export type ConnectionKind = (typeof connectionKinds)[number];
export const connectionRoles = ['continuity_source', 'continuity_destination'] as const;
export type ConnectionRole = (typeof connectionRoles)[number];

export const createConnectionSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('microsoft365'),
    name: z.string().trim().min(1).max(120),
    role: z.literal('continuity_source').default('continuity_source'),
    config: microsoftConfigSchema,
    credential: microsoftCredentialSchema,
  }),
  z.object({
    kind: z.literal('google_workspace'),
    name: z.string().trim().min(1).max(120),
    role: z.literal('continuity_destination').default('continuity_destination'),
    config: googleConfigSchema,
    credential: googleCredentialSchema,
  }),
]);
export type CreateConnectionInput = z.infer<typeof createConnectionSchema>;

/** Edit: any subset; config fields merge into the stored config; a credential replaces the stored one. */
export const updateConnectionSchema = z.object({
  name: z.string().trim().min(1).max(120).optional(),
  config: z.record(z.string(), z.unknown()).optional(),
  credential: z.record(z.string(), z.unknown()).optional(),
});
export type UpdateConnectionInput = z.infer<typeof updateConnectionSchema>;
