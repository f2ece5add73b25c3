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
  'directory.revoke_unsupported': {
    title: 'This access cannot be removed automatically',
    cause: 'Write-back does not support removing {what} on this connection.',
    resolution: 'Remove the access in the provider\'s admin console, then mark the decision as remediated manually.',
    scope: 'item', kind: 'configuration', retry: 'never', http: 422,
  },
} as const satisfies Record<string, ErrorDefinition>;
