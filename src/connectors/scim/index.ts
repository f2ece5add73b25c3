import { defineConnector, type DirectorySource } from '../sdk/index.js';
import { parseScimConfig, type ScimConfigInput } from './config.js';
import { createScimSource } from './source.js';

/**
 * SCIM 2.0 apps (RFC 7643 / 7644) as directory sources: users, groups and memberships read
 * with a bearer token; with write-back, revoked memberships are removed with PATCH in the
 * RFC's form or, where the server wants it, Entra ID's.
 */
export const scimConnector = defineConnector<ScimConfigInput, DirectorySource>({
  id: 'scim',
  displayName: 'SCIM 2.0 app',
  authMethods: ['bearer_token'],
  capabilities: ['directory', 'write_back'],
  create: (ctx, config) => createScimSource(ctx, parseScimConfig(config)),
});

export { scimConfigSchema, parseScimConfig, type ScimConfig, type ScimConfigInput } from './config.js';
export { SCIM_STREAMS } from './source.js';
export { EXPIRY_WARNING_DAYS, CLOCK_SKEW_WARNING_MS } from './checks.js';
