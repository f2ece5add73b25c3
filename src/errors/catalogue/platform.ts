import type { ErrorDefinition } from '../definition.js';

/** Generic provider, connection-record, request and internal errors. (Generic provider and platform failures) */
export const platformErrors = {
  'provider.unavailable': {
    title: 'Provider temporarily unavailable',
    cause: '{provider} answered {status} or did not answer in time.',
    resolution: 'No action needed: Syncwarden retries with backoff. Check the provider\'s service health page if it persists.',
    scope: 'user', kind: 'transient', retry: 'backoff', http: 502,
  },
  'provider.bad_response': {
    title: 'Unexpected response from provider',
    cause: '{provider} sent a response Syncwarden could not understand: {detail}.',
    resolution: 'Syncwarden retries on the next cycle. If it persists, download a support bundle and contact support.',
    scope: 'user', kind: 'transient', retry: 'next_cycle', http: 502,
  },
  'provider.unauthenticated': {
    title: 'Access token rejected',
    cause: '{provider} rejected the access token Syncwarden presented.',
    resolution: 'Use Test connection on the connection; if it fails, update the credentials.',
    scope: 'connection', kind: 'credential', retry: 'backoff', http: 502,
  },
  'connection.not_found': {
    title: 'Connection not found',
    cause: 'No connection with id {id} exists in this tenant.',
    resolution: 'Reload the Connections page; the connection may have been deleted.',
    cliResolution: 'Run `syncwarden connections list` for the connections that exist, and give one\'s id, name or the start of its name.',
    scope: 'request', kind: 'not_found', retry: 'never', http: 404,
  },
  'connection.not_active': {
    title: 'Connection not active',
    cause: 'The connection {name} has status {status}: it has not passed Test connection.',
    resolution: 'Open Connections, fix the connection if needed and use Test connection from the three-dot menu.',
    scope: 'connection', kind: 'configuration', retry: 'never', http: 409,
    source: 'continuity-sync-issues',
  },
  'connection.platform_not_configured': {
    title: 'Token provider not configured',
    cause: 'Keyless Google sign-in needs Syncwarden\'s token provider identity, and none is configured on this installation.',
    resolution: 'Set SYNCWARDEN_GOOGLE_TOKEN_PROVIDER_KEY_FILE to the token provider\'s service-account key file and restart, or use the service-account key method on this connection.',
    scope: 'connection', kind: 'configuration', retry: 'never', http: 422,
  },
  'connection.secret_unreadable': {
    title: 'Stored credential cannot be decrypted',
    cause: 'The connection\'s credential was encrypted with another master key than the one this process has.',
    resolution: 'Make every Syncwarden process use the same SYNCWARDEN_MASTER_KEY (or the same data directory), or enter the credential again via three-dot menu > Edit.',
    scope: 'connection', kind: 'configuration', retry: 'never', http: 422,
  },
  'request.invalid': {
    title: 'Invalid request',
    cause: 'The request was rejected: {detail}.',
    resolution: 'Correct the highlighted fields and try again.',
    cliResolution: 'Correct the option or value named above and run the command again (`syncwarden help <command>` lists its options).',
    scope: 'request', kind: 'invalid_input', retry: 'never', http: 400,
  },
  'request.not_found': {
    title: 'Not found',
    cause: 'No {entity} with id {id} exists in this tenant.',
    resolution: 'Reload the page; it may have been deleted.',
    cliResolution: 'List what exists (`syncwarden connections list`, `policies list`, `status`, `identities list`) and give an id, a name, the start of a name, or an email address.',
    scope: 'request', kind: 'not_found', retry: 'never', http: 404,
  },
  'request.ambiguous': {
    title: 'More than one match',
    cause: '"{key}" matches more than one {entity}: {candidates}.',
    resolution: 'Give the id, the full name, or enough of the name to match only one.',
    scope: 'request', kind: 'invalid_input', retry: 'never', http: 400,
  },
  'request.no_match': {
    title: 'Nothing matches',
    cause: 'No {entity} has the id, name or name beginning "{key}"{known}.',
    resolution: 'Give the id, the full name or the start of the name of one of them.',
    scope: 'request', kind: 'not_found', retry: 'never', http: 404,
  },
  'cli.data_not_found': {
    title: 'No Syncwarden data here',
    cause: 'The command looked for Syncwarden\'s data folder in {looked} and found no database there{servers}.',
    resolution: 'Run the command in the folder where Syncwarden was started (its data folder is ./data there), or set SYNCWARDEN_DATA to the data folder of the installation (for `npm start`, the data folder of the repository). To start a new installation here, run `syncwarden start`.',
    scope: 'request', kind: 'configuration', retry: 'never', http: 400,
  },
  'alerts.no_channel': {
    title: 'No alert channel',
    cause: 'There is no alert channel to send a test alert to: {detail}.',
    resolution: 'Add an email or webhook channel on the Alerts page (or POST /api/v1/alert-channels), then send the test alert again.',
    cliResolution: 'Add an email or webhook channel on the Alerts page of the web UI (or POST /api/v1/alert-channels), then run `syncwarden alerts test` again.',
    scope: 'request', kind: 'not_found', retry: 'never', http: 404,
  },
  'internal.unexpected': {
    title: 'Unexpected internal error',
    cause: 'Syncwarden hit an error it does not know how to classify: {detail}.',
    resolution: 'Syncwarden retries on the next cycle. If it persists, download a support bundle and contact support.',
    scope: 'user', kind: 'internal', retry: 'next_cycle', http: 500,
  },
} as const satisfies Record<string, ErrorDefinition>;
