import { defineConnector } from '../sdk/index.js';
import { parseConfig, type GoogleConnectorConfig } from './config.js';
import { createGoogleDestination, type GoogleWorkspace } from './destination.js';

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

export { isGoogleThrottle } from './errors.js';
export { REQUIRED_SCOPES, ADMIN_DIRECTORY_USER, GMAIL_MODIFY } from './config.js';
export { MAX_IMPORT_BYTES } from './gmail.js';
export type { GoogleWorkspace } from './destination.js';
export type { GoogleConnectorConfig };
