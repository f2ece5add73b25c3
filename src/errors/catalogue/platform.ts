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
  'provider.response_too_large': {
    title: 'Provider response too large',
    cause: '{provider} sent a response larger than {limit} for {what}; Syncwarden stopped reading it there, so nothing from it was used.',
    resolution: 'A page of a listing is never this large from a healthy provider: check the endpoint (a wrong URL or a proxy can stream anything), then report it to the provider if it persists.',
    scope: 'connection', kind: 'transient', retry: 'next_cycle', http: 502,
  },
  'provider.time_budget_exceeded': {
    title: 'Provider did not answer in time',
    cause: '{provider} did not complete {what} within {seconds} seconds, retries included. Syncwarden gives up then so the worker is free for other work.',
    resolution: 'No action needed if it clears on the next cycle. If the provider is always this slow, check its service health and the network path from Syncwarden to it.',
    scope: 'connection', kind: 'transient', retry: 'next_cycle', http: 504,
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
    scope: 'request', kind: 'not_found', retry: 'never', http: 404,
  },
  'connection.deleted': {
    title: 'Connection deleted',
    cause: 'The connection "{name}" was deleted by {actor} while this work was queued or running, so it was cancelled and its provider is no longer called.',
    resolution: 'Nothing to do. To read this directory again, add the connection again under Connections.',
    scope: 'connection', kind: 'configuration', retry: 'never', http: 409,
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
    scope: 'request', kind: 'invalid_input', retry: 'never', http: 400,
  },
  'connection.secret_required': {
    title: 'Enter the secret again',
    cause: 'The change to {field} decides where the connection\'s {secret} is sent. A stored secret stays bound to the destination it was entered for, so it is not sent to the new one unless it is entered again.',
    resolution: 'Edit the connection again with the new {field} and enter the {secret} in the same change (three-dot menu > Edit > credential), or leave {field} as it was.',
    scope: 'request', kind: 'invalid_input', retry: 'never', http: 400,
  },
  'request.too_large': {
    title: 'Request too large',
    cause: 'The request body is {size} bytes; Syncwarden accepts at most {limit} bytes in one request.',
    resolution: 'Send less in one request: split a list into several calls (for example at most 10,000 ids at a time), or upload a smaller file.',
    scope: 'request', kind: 'invalid_input', retry: 'never', http: 413,
  },
  'request.uri_too_long': {
    title: 'Address too long',
    cause: 'A part of the request address is longer than Syncwarden accepts ({detail}).',
    resolution: 'Check the id in the address: Syncwarden\'s ids are at most 100 characters. Copy the id again from the list it appears in.',
    scope: 'request', kind: 'invalid_input', retry: 'never', http: 414,
  },
  'request.not_found': {
    title: 'Not found',
    cause: 'No {entity} with id {id} exists in this tenant.',
    resolution: 'Reload the page; it may have been deleted.',
    scope: 'request', kind: 'not_found', retry: 'never', http: 404,
  },
  'internal.unexpected': {
    title: 'Unexpected internal error',
    cause: 'Syncwarden hit an error it does not know how to classify: {detail}.',
    resolution: 'Syncwarden retries on the next cycle. If it persists, download a support bundle and contact support.',
    scope: 'user', kind: 'internal', retry: 'next_cycle', http: 500,
  },
} as const satisfies Record<string, ErrorDefinition>;
