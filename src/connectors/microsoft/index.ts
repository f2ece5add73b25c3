import { defineConnector, type MailSource } from '../sdk/index.js';
import { microsoftConnectorConfig, type MicrosoftConnectorConfig } from './config.js';
import { createMicrosoftSource } from './source.js';

export { CONTINUITY_PERMISSIONS } from './config.js';

export const microsoftConnector = defineConnector<MicrosoftConnectorConfig, MailSource>({
  id: 'microsoft365',
  displayName: 'Microsoft 365',
  authMethods: ['certificate', 'client_secret'],
  capabilities: ['mail_source'],
  create: (ctx, config) => createMicrosoftSource(ctx, microsoftConnectorConfig.parse(config)),
});
