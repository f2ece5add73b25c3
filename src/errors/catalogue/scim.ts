import type { ErrorDefinition } from '../definition.js';

const SCIM_EDIT = 'three-dot menu > Edit on the SCIM connection';

/** SCIM 2.0 app connections (certification-center-directory-connections; RFC 7644 servers). */
export const scimErrors = {
  'scim.unreachable': {
    title: 'SCIM endpoint unreachable',
    cause: 'Syncwarden could not reach the SCIM endpoint {baseUrl}: {status}.',
    resolution: `Check the SCIM base URL via the ${SCIM_EDIT}: it must be the app's SCIM 2.0 base URL exactly as its admin console shows it (often labelled "SCIM connector base URL" or "Tenant URL", usually ending in /scim/v2). If the URL is right, check the app's status page; if the app restricts API access by IP address, allow Syncwarden's outbound addresses. Syncwarden retries with backoff meanwhile.`,
    cliResolution: `Check the SCIM base URL (\`syncwarden connections edit <connection> --set baseUrl=<url> --token-env <VAR>\`: the token is bound to the URL): it must be the app's SCIM 2.0 base URL exactly as its admin console shows it (often labelled "SCIM connector base URL" or "Tenant URL", usually ending in /scim/v2). If the URL is right, check the app's status page; if the app restricts API access by IP address, allow Syncwarden's outbound addresses. Syncwarden retries with backoff meanwhile.`,
    scope: 'connection', kind: 'transient', retry: 'backoff', http: 502,
  },
  'scim.not_scim': {
    title: 'Not a SCIM endpoint',
    cause: '{baseUrl} answered {what} instead of SCIM 2.0 JSON: the URL points at a web page, a login page or the wrong path.',
    resolution: `In the app's admin console, copy the SCIM base URL (the one you would give Entra ID as "Tenant URL", e.g. https://app.example.com/scim/v2) and enter it via the ${SCIM_EDIT}. Do not add /Users or /ServiceProviderConfig at the end, and do not use the app's sign-in address.`,
    scope: 'connection', kind: 'configuration', retry: 'never', http: 422,
  },
  'scim.token_invalid': {
    title: 'SCIM token rejected',
    cause: 'The app at {baseUrl} rejected the bearer token: it was mistyped, revoked, or belongs to another tenant of the app.',
    resolution: `In the app's admin console, generate a new SCIM (provisioning) API token, paste it via the ${SCIM_EDIT}, record its expiry date there, and use Test connection.`,
    scope: 'connection', kind: 'credential', retry: 'never', http: 422,
    source: 'certification-center-directory-connections',
  },
  'scim.token_expired': {
    title: 'SCIM token expired',
    cause: 'The bearer token for {baseUrl} has expired{expiredAt}.',
    resolution: `Generate a new SCIM API token in the app's admin console, paste it via the ${SCIM_EDIT} together with its new expiry date (Syncwarden then warns 30 days ahead), and use Test connection. Prefer the longest token lifetime your security policy allows.`,
    scope: 'connection', kind: 'credential', retry: 'never', http: 422,
    source: 'certification-center-directory-connections',
  },
  'scim.token_expiring': {
    title: 'SCIM token expires soon',
    cause: 'The bearer token for {baseUrl} expires on {expiresAt} (in {days} days).',
    resolution: `Before then, generate a new SCIM API token in the app's admin console and paste it, with its new expiry date, via the ${SCIM_EDIT}. Syncs keep working until the token expires.`,
    scope: 'connection', kind: 'credential', retry: 'never', http: 422,
    source: 'certification-center-directory-connections',
  },
  'scim.forbidden': {
    title: 'Token may not read users or groups',
    cause: 'The app at {baseUrl} accepted the token but refused to let it read {what} (HTTP 403).',
    resolution: "In the app's admin console, give the token (or the service account it belongs to) read access to users and groups — apps call this the SCIM, provisioning or user-management scope — then use Test connection. A token limited to other APIs cannot list identities.",
    scope: 'connection', kind: 'permission', retry: 'never', http: 422,
    source: 'certification-center-directory-connections',
  },
  'scim.write_forbidden': {
    title: 'Token may not change users or groups',
    cause: 'The app at {baseUrl} refused to let the token change {what} (HTTP 403): the token is read-only, or the object is managed elsewhere.',
    resolution: `Write-back needs a token with write access to users and groups. Create a read/write SCIM token in the app's admin console and paste it via the ${SCIM_EDIT}, or turn write-back off for this connection and remove the access in the app by hand.`,
    scope: 'connection', kind: 'permission', retry: 'never', http: 422,
  },
  'scim.patch_unsupported': {
    title: 'App does not support SCIM PATCH',
    cause: 'The SCIM app at {baseUrl} does not support PATCH, which write-back needs to remove a member from a group.',
    resolution: `Turn write-back off for this connection via the ${SCIM_EDIT} and remove access in the app's admin console instead, or ask the app vendor to enable SCIM PATCH (RFC 7644 §3.5.2).`,
    scope: 'connection', kind: 'configuration', retry: 'never', http: 422,
  },
  'scim.throttled': {
    title: 'SCIM app is throttling requests',
    cause: '{baseUrl} answered HTTP 429 Too Many Requests.',
    resolution: 'No action needed: Syncwarden waits as long as the app asks (Retry-After) and resumes. If it happens on every run, stagger full syncs of connections to the same app, or ask the app vendor to raise the API rate limit for your tenant.',
    scope: 'connection', kind: 'throttle', retry: 'retry_after', http: 429,
    source: 'certification-center-directory-connections',
  },
  'scim.revoke_rejected': {
    title: 'App refused the removal',
    cause: 'The SCIM app refused to remove {memberId} from group {groupId}: {detail}.',
    resolution: "Remove the member in the app's admin console, then re-run verification of the campaign. The app's audit log usually names the reason, for example a group that is managed by another provisioning source.",
    scope: 'item', kind: 'configuration', retry: 'never', http: 422,
  },
  'scim.deactivate_rejected': {
    title: 'App refused to deactivate the account',
    cause: 'The SCIM app refused to set active to false on user {userId}: {detail}.',
    resolution: "Deactivate the account in the app's admin console, then re-run verification of the campaign. Apps that provision accounts from another source (an identity provider) often refuse changes to them: deactivate it at that source instead.",
    scope: 'item', kind: 'configuration', retry: 'never', http: 422,
  },
  'scim.clock_skew': {
    title: 'Clock differs from the SCIM app',
    cause: "The app's clock and Syncwarden's differ by {minutes} minutes.",
    resolution: "Make sure the Syncwarden server's clock is synchronised (NTP). A large difference makes token-expiry warnings and change timestamps unreliable.",
    scope: 'connection', kind: 'configuration', retry: 'never', http: 422,
  },
} as const satisfies Record<string, ErrorDefinition>;
