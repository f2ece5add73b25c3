import { z } from 'zod';

/** Graph application permissions continuity needs (least privilege: read users and mail). */
export const CONTINUITY_PERMISSIONS = ['User.Read.All', 'Mail.Read'] as const;
/** What reverse recovery adds: writing the outage's mail back into the mailboxes. */
export const RECOVERY_PERMISSIONS = ['Mail.ReadWrite'] as const;

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
  /** Write-back consented on the connection (reverse recovery): the doctor also checks RECOVERY_PERMISSIONS. */
  writeBack: z.boolean().optional(),
  /** Recovery switched on for a policy, write-back not yet consented: RECOVERY_PERMISSIONS are checked as a warning only. */
  recoveryPlanned: z.boolean().optional(),
});
export type MicrosoftConnectorConfig = z.infer<typeof microsoftConnectorConfig>;

export const DEFAULT_LOGIN = 'https://login.microsoftonline.com';
export const DEFAULT_GRAPH = 'https://graph.microsoft.com';
