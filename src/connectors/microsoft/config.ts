import { z } from 'zod';

/** Graph application permissions continuity needs (least privilege: read users and mail). */
export const CONTINUITY_PERMISSIONS = ['User.Read.All', 'Mail.Read'] as const;

export const microsoftConnectorConfig = z.object({
  tenantId: z.string().min(1),
  clientId: z.string().min(1),
  auth: z.discriminatedUnion('type', [
    z.object({ type: z.literal('certificate'), pfxBase64: z.string().min(1), pfxPassword: z.string() }),
    z.object({ type: z.literal('client_secret'), clientSecret: z.string().min(1) }),
  ]),
  endpoints: z
    .object({ login: z.string().url().optional(), graph: z.string().url().optional() })
    .catchall(z.string())
    .optional(),
});
export type MicrosoftConnectorConfig = z.infer<typeof microsoftConnectorConfig>;

export const DEFAULT_LOGIN = 'https://login.microsoftonline.com';
export const DEFAULT_GRAPH = 'https://graph.microsoft.com';
