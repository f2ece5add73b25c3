import type { ErrorDefinition } from '../definition.js';

/**
 * Directory (identity inventory) errors that any provider's connector can raise. Provider
 * specifics (which permission, which console page) stay in the provider's own section.
 */
export const directoryErrors = {
  'directory.delta_expired': {
    title: 'Change tracking restarted',
    cause: 'The provider expired the change-tracking token for {what} (tokens for directory objects live about a week, and providers may reset them), so the changes since the last sync cannot be read.',
    resolution: 'No action needed: Syncwarden reads {what} in full once more and then tracks changes again. If this happens on every sync, make sure the connection syncs at least once a week.',
    scope: 'connection', kind: 'transient', retry: 'backoff', http: 409,
  },
  'directory.rate_limited': {
    title: 'Directory API rate limit exceeded',
    cause: '{provider} throttled the directory reads of this connection (too many requests for the tenant in a short period).',
    resolution: 'No action needed: Syncwarden backs off and resumes by itself. Avoid running several full syncs against the same tenant at the same moment; contact support if a connector throttles on every run.',
    scope: 'connection', kind: 'throttle', retry: 'retry_after', http: 429,
    source: 'certification-center-directory-connections',
  },
  'directory.throttled': {
    title: 'Throttled',
    cause: 'Syncwarden is pacing the directory reads of this connection to stay within {budget}, which it shares with every connection to the same tenant, so the sync is paused until the budget allows more.',
    resolution: 'No action needed: the sync resumes by itself at the time shown, from the page it reached. Connections that share a tenant share its budget; Syncwarden staggers their full syncs by itself.',
    scope: 'connection', kind: 'throttle', retry: 'retry_after', http: 429,
    source: 'certification-center-directory-connections',
  },
  'directory.dangling_reference': {
    title: 'References to objects that were not read',
    cause: 'The sync finished, but {count} memberships or grants name a group, account or role that the same complete read did not return (for example {sample}). The provider returned an inconsistent picture (objects changing during the read) or the connection cannot read every object it references.',
    resolution: 'No action needed if it clears on the next sync. If it persists, test the connection: a missing read permission on groups or roles (see the connection\'s checks) is the usual cause.',
    scope: 'connection', kind: 'transient', retry: 'next_cycle', http: 409,
  },
  'directory.sync_running': {
    title: 'A sync is already running',
    cause: 'Another worker started a sync of the connection {name} at the same moment.',
    resolution: 'No action needed: the running sync continues; its result appears in the sync history.',
    scope: 'connection', kind: 'transient', retry: 'backoff', http: 409,
  },
  'directory.not_directory': {
    title: 'Not a directory connection',
    cause: 'The connection {name} is used for {role}, not for the identity inventory.',
    resolution: 'Pick a connection whose role is Directory (Connections > Add connection > Directory).',
    scope: 'connection', kind: 'configuration', retry: 'never', http: 400,
  },
  'directory.revoke_unsupported': {
    title: 'This access cannot be removed automatically',
    cause: 'Write-back does not support removing {what} on this connection.',
    resolution: 'Remove the access in the provider\'s admin console, then mark the decision as remediated manually.',
    scope: 'item', kind: 'configuration', retry: 'never', http: 422,
  },
} as const satisfies Record<string, ErrorDefinition>;
