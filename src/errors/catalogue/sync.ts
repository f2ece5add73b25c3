import type { ErrorDefinition } from '../definition.js';

/** Mailbox sync errors (continuity-sync-issues).   */
export const syncErrors = {
  'sync.auth_token_expired': {
    title: 'Authentication token expired',
    cause: 'The {side} connection credentials expired or were revoked, so a token could not be obtained.',
    resolution: 'Go to Connections and check the connection status. If it shows an error, update the credentials and use Test connection from the three-dot menu.',
    cliResolution: 'Run `syncwarden connections list` and `syncwarden connections test <connection>`; if it names a credential problem, replace the credential with `syncwarden connections edit <connection>`.',
    scope: 'connection', kind: 'credential', retry: 'never', http: 422,
    source: 'continuity-sync-issues',
  },
  'sync.user_not_found_in_source': {
    title: 'User not found in source',
    cause: 'The Microsoft 365 user {email} was deleted, disabled or renamed.',
    resolution: 'Verify the user still exists in your Microsoft 365 tenant. If the user was removed intentionally, they are excluded from the policy automatically on the next sync cycle.',
    scope: 'user', kind: 'not_found', retry: 'next_cycle', http: 404,
    source: 'continuity-sync-issues',
  },
  'sync.rate_limited': {
    title: 'API rate limit exceeded',
    cause: 'Too many API calls to {provider} in a short period.',
    resolution: 'No action needed: Syncwarden backs off and resumes by itself. Contact support only if this persists across several cycles.',
    scope: 'user', kind: 'throttle', retry: 'retry_after', http: 429,
    source: 'continuity-sync-issues',
  },
  'sync.throttled': {
    title: 'Throttled',
    cause: 'Syncwarden is pacing this user\'s requests to stay within {budget}, so the sync is paused until the budget allows more.',
    resolution: 'No action needed: the sync resumes by itself at the time shown. To go faster, raise the quota at the provider, then raise the matching rate budget (Policies > Rate budgets).',
    scope: 'user', kind: 'throttle', retry: 'retry_after', http: 429,
  },
  'sync.mass_removal_held': {
    title: 'Cycle held for approval',
    cause: 'This cycle would remove {count} of {total} users ({percent}%) from the policy {policy}, more than its limit of {threshold}%.',
    resolution: 'Go to Policies and review the users the held cycle would remove. Approve the cycle if that is intended; otherwise correct the selection rules or the source directory, and the next cycle runs normally.',
    scope: 'user', kind: 'configuration', retry: 'never', http: 409,
  },
  'sync.folder_not_found': {
    title: 'Folder no longer exists',
    cause: 'The folder {folder} was deleted or moved at the source while Syncwarden was reading it.',
    resolution: 'No action needed: Syncwarden reads the folder list again and carries on with the folders that exist.',
    scope: 'user', kind: 'not_found', retry: 'backoff', http: 404,
  },
  'sync.delta_expired': {
    title: 'Change tracking restarted',
    cause: 'The provider expired the change-tracking token for {what}; Syncwarden re-reads it and skips what it already has.',
    resolution: 'No action needed.',
    scope: 'user', kind: 'transient', retry: 'backoff', http: 409,
  },
  'sync.policy_disabled': {
    title: 'Policy is disabled',
    cause: 'The policy {policy} is disabled, so its users are not synced.',
    resolution: 'Go to Policies and enable the policy. Syncs resume on the next scheduled cycle.',
    scope: 'user', kind: 'configuration', retry: 'never', http: 409,
    source: 'continuity-sync-issues',
  },
} as const satisfies Record<string, ErrorDefinition>;
