import { defineConnector } from '../sdk/index.js';
import { parseConfig, parseDirectoryConfig, type GoogleConnectorConfig, type GoogleDirectoryConfig } from './config.js';
import { createGoogleDestination, type GoogleWorkspace } from './destination.js';
import { createGoogleDirectorySource, type GoogleDirectorySource } from './directory-source.js';

/**
 * Google Workspace connector: the continuity destination (accounts in the Admin SDK
 * Directory, mail imported into Gmail), signing in keylessly through Syncwarden's token
 * provider or with the customer's service-account key.
 */
export const googleConnector = defineConnector<GoogleConnectorConfig, GoogleWorkspace>({
  id: 'google_workspace',
  displayName: 'Google Workspace',
  authMethods: ['impersonation', 'service_account_key'],
  capabilities: ['mail_destination', 'directory'],
  create: (ctx, config) => createGoogleDestination(ctx, parseConfig(config)),
});

/**
 * Google Workspace as a directory for the identity inventory (Admin SDK Directory: users,
 * groups, members, admin roles), with the same two sign-in methods; write-back (member and
 * admin-role removal) only with `writeBack: true`.
 */
export const googleDirectoryConnector = defineConnector<GoogleDirectoryConfig, GoogleDirectorySource>({
  id: 'google_workspace_directory',
  displayName: 'Google Workspace directory',
  authMethods: ['impersonation', 'service_account_key'],
  capabilities: ['directory', 'write_back'],
  create: (ctx, config) => createGoogleDirectorySource(ctx, parseDirectoryConfig(config)),
});

export { isGoogleThrottle } from './errors.js';
export { DIRECTORY_READ_SCOPES, DIRECTORY_WRITE_SCOPES } from './config.js';
export { directoryBudgetKey, DIRECTORY_BUDGET_PREFIX, DIRECTORY_QUERIES_PER_MINUTE } from './directory-api.js';
export { GOOGLE_DIRECTORY_STREAMS } from './directory-source.js';
export type { GoogleDirectorySource } from './directory-source.js';
export type { KeyCertificate } from './key-age.js';
export type { GoogleDirectoryConfig } from './config.js';
export { REQUIRED_SCOPES, ADMIN_DIRECTORY_USER, GMAIL_MODIFY } from './config.js';
export { MAX_IMPORT_BYTES } from './gmail.js';
export type { GoogleWorkspace } from './destination.js';
export type { GoogleConnectorConfig };
