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
  'directory.group_rule_based': {
    title: 'Members of a rule-based group cannot be removed',
    cause: '{provider} computes the members of group {group} from a rule ({rule}), so it refuses to remove a member by hand: the member would come back at the next evaluation.',
    resolution: 'Manual: change the rule of group {group} (or the attribute of the person that makes the rule include them) in the provider\'s admin console, or remove the access the group grants instead. Then re-run verification of the campaign.',
    scope: 'item', kind: 'configuration', retry: 'never', http: 422,
  },
  'directory.paging_inconsistent': {
    title: 'The provider listed its objects inconsistently',
    cause: '{provider} answered {page} in a way that cannot be part of one complete listing: {problem}. A pass that is not provably complete could remove objects that still exist, so this sync removed nothing and kept the inventory as it was.',
    resolution: 'No action needed if it clears on the next sync (objects changing during the read can cause it). If it persists, the provider\'s paging is broken: report it to the provider with the page named here, and test the connection (the doctor reads past the first page and shows the same problem).',
    scope: 'connection', kind: 'transient', retry: 'next_cycle', http: 502,
  },
  'directory.pass_too_long': {
    title: 'The listing exceeded its bound',
    cause: '{provider} kept listing {stream} past {limit} ({detail}). Syncwarden stops a listing that goes beyond what the provider declared or beyond a sane ceiling, writing nothing past the bound and removing nothing.',
    resolution: 'If the directory really is this large, raise the connection\'s bound (contact support); otherwise the provider is paging without end: report it to the provider.',
    scope: 'connection', kind: 'transient', retry: 'next_cycle', http: 502,
  },
  'directory.removals_held': {
    title: 'Removals held for approval',
    cause: 'The sync would remove {detail}, more than the {threshold}% this connection allows in one run (for example {sample}). A mass removal is more often a provider or scope problem than real departures, so the removals wait for an admin.',
    resolution: 'Open the connection\'s Directory page and check the numbers and the sample: approve to apply the removals, or reject to keep the inventory as it is (the next sync asks again if the objects are still missing). The threshold is a setting of the connection.',
    cliResolution: 'Check the numbers and the sample (`syncwarden directory status`), then `syncwarden directory approve-removals <connection>` to apply the removals, or `reject-removals` to keep the inventory as it is (the next sync asks again if the objects are still missing). The threshold is the connection\'s `massRemovalPercent` setting (`connections edit --set`).',
    scope: 'connection', kind: 'configuration', retry: 'never', http: 409,
  },
  'directory.no_held_removals': {
    title: 'No removals are waiting',
    cause: 'The connection {name} has no sync run whose removals wait for approval.',
    resolution: 'Refresh the connection\'s Directory page: another admin may have approved or rejected them, or a later sync superseded them.',
    cliResolution: 'Run `syncwarden directory status`: another admin may have approved or rejected them, or a later sync superseded them.',
    scope: 'request', kind: 'not_found', retry: 'never', http: 409,
  },
} as const satisfies Record<string, ErrorDefinition>;
