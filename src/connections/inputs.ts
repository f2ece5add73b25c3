import { z } from 'zod';
import { nameText } from '../model/text.js';
import { microsoftConfigSchema, microsoftCredentialInput } from './kinds/microsoft365.js';
import { googleConfigSchema, googleCredentialInput } from './kinds/google-workspace.js';
import { awsConfigSchema, awsCredentialInput } from './kinds/aws-iam.js';
import { scimConfigSchema, scimCredentialInput } from './kinds/scim.js';
import { connectionRoles } from './kinds/types.js';

/**
 * What an admin sends to create or edit a connection (API, UI and CLI share these schemas).
 * Secrets arrive here and nowhere else: they are sealed before storage and never returned.
 * The per-kind schemas come from the kind registry's files; this union exists so the OpenAPI
 * document shows every kind's body.
 */
const name = nameText(120);
const role = z.enum(connectionRoles);

export const createConnectionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('microsoft365'), name, role: role.optional(), config: microsoftConfigSchema, credential: microsoftCredentialInput }),
  z.object({ kind: z.literal('google_workspace'), name, role: role.optional(), config: googleConfigSchema, credential: googleCredentialInput }),
  z.object({ kind: z.literal('aws_iam'), name, role: role.optional(), config: awsConfigSchema, credential: awsCredentialInput }),
  z.object({ kind: z.literal('scim'), name, role: role.optional(), config: scimConfigSchema, credential: scimCredentialInput }),
]);
export type CreateConnectionInput = z.infer<typeof createConnectionSchema>;

/**
 * Edit: any subset; config fields merge into the stored config. A credential here replaces the
 * one in use at once (the old one is kept as "previous" for rollback); the overlap rotation
 * (add → test → switch → retire) goes through /connections/:id/credentials.
 */
export const updateConnectionSchema = z.object({
  name: name.optional(),
  config: z.record(z.string(), z.unknown()).optional(),
  credential: z.record(z.string(), z.unknown()).optional(),
});
export type UpdateConnectionInput = z.infer<typeof updateConnectionSchema>;

/** A new credential for overlap rotation: the kind's credential input. */
export const addCredentialSchema = z.record(z.string(), z.unknown());

export const writeBackSchema = z.object({
  enabled: z.boolean(),
});

export const switchCredentialSchema = z.object({
  /** Switch even though the credential has not passed its own test. */
  force: z.boolean().default(false),
  /** Retire the credential switched away from at once (otherwise it is kept for rollback). */
  retirePrevious: z.boolean().default(false),
});

export { connectionKinds, connectionRoles, type ConnectionKind, type ConnectionRole } from './kinds/types.js';
