import { defineConnector, type DirectorySource, type MailSource } from '../sdk/index.js';
import { microsoftConnectorConfig, type MicrosoftConnectorConfig } from './config.js';
import { createMicrosoftDirectory, type MicrosoftDirectoryConfigInput } from './directory.js';
import { createMicrosoftSource } from './source.js';

export { CONTINUITY_PERMISSIONS } from './config.js';
export { adminConsentUrl, parseAdminConsentRedirect, directoryPermissions, isGranted, MICROSOFT_PERMISSIONS, type AdminConsentLink, type MicrosoftFeature } from './consent.js';
export { GRAPH_IDENTITY_WRITES, identityBudgetKey, identityCost, identityWritesBudgetKey, microsoftDirectoryConfig, MICROSOFT_DIRECTORY_STREAMS, PRIVILEGED_ROLE_TEMPLATES, type MicrosoftDirectoryConfig, type MicrosoftDirectoryConfigInput } from './directory.js';

export const microsoftConnector = defineConnector<MicrosoftConnectorConfig, MailSource>({
  id: 'microsoft365',
  displayName: 'Microsoft 365',
  authMethods: ['certificate', 'client_secret'],
  capabilities: ['mail_source'],
  create: (ctx, config) => createMicrosoftSource(ctx, microsoftConnectorConfig.parse(config)),
});

/**
 * Entra ID as an identity-inventory source (a separate definition from the mail source: the
 * same app registration and credential, different permissions and capabilities).
 */
export const microsoftDirectoryConnector = defineConnector<MicrosoftDirectoryConfigInput, DirectorySource>({
  id: 'entra_id',
  displayName: 'Microsoft Entra ID',
  authMethods: ['certificate', 'client_secret'],
  capabilities: ['directory', 'write_back'],
  create: (ctx, config) => createMicrosoftDirectory(ctx, config),
});
