/**
 * The error catalogue: every failure an admin can see, as a code `area.reason` with a title,
 * cause and resolution written for an admin. The first entries are the rows of the
 * troubleshooting tables in the product's help articles (../shared/seeds/).
 *
 * We store code + params and render late (see render.ts), so wording can improve without
 * rewriting history. Retry, log level, run status and HTTP status are exhaustive switches
 * on `kind` and `retry` (see policy.ts) — never on message text.
 */

/** What a failure blocks: one item, one user's sync, or everything behind a connection. */
export type ErrorScope = 'item' | 'user' | 'connection' | 'request';

/**
 * When the engine may try again:
 * - `never`: a person must change something first (wrong secret, missing permission).
 * - `next_cycle`: do not retry now; the next scheduled cycle tries again.
 * - `backoff`: retry soon with exponential backoff (transient provider trouble).
 * - `retry_after`: retry after the provider's Retry-After (throttling).
 */
export type RetryRule = 'never' | 'next_cycle' | 'backoff' | 'retry_after';

/** The family of a failure; drives log level and run status. */
export type ErrorKind =
  | 'credential'
  | 'permission'
  | 'configuration'
  | 'throttle'
  | 'transient'
  | 'not_found'
  | 'item'
  | 'invalid_input'
  | 'internal';

export interface ErrorDefinition {
  readonly title: string;
  /** Why it happens, for an admin. May contain {param} placeholders. */
  readonly cause: string;
  /** What to do, for an admin. May contain {param} placeholders. */
  readonly resolution: string;
  readonly scope: ErrorScope;
  readonly kind: ErrorKind;
  readonly retry: RetryRule;
  /** HTTP status when this error answers an API request. */
  readonly http: number;
  /** The help article the entry comes from, when it comes from one. */
  readonly source?: 'continuity-connection-issues' | 'continuity-sync-issues' | 'certification-center-directory-connections';
}

const M365_EDIT = 'three-dot menu > Edit on the Source Connection';
const GOOGLE_EDIT = 'three-dot menu > Edit on the Destination Connection';

export const catalogue = {
  // ── Microsoft 365 source connection (continuity-connection-issues, Microsoft table) ──
  'm365.certificate_expired': {
    title: 'Certificate expired',
    cause: 'The PFX certificate uploaded to Syncwarden passed its expiry date ({notAfter}).',
    resolution: `Generate a new certificate, upload its public part (.cer) to the app registration in Entra ID (Certificates & secrets > Certificates), then update the PFX file and password in Syncwarden via the ${M365_EDIT}.`,
    scope: 'connection', kind: 'credential', retry: 'never', http: 422,
    source: 'continuity-connection-issues',
  },
  'm365.certificate_not_registered': {
    title: 'Certificate not registered on the app',
    cause: 'Entra ID does not know the certificate that signed the request (thumbprint {thumbprint}): either the wrong PFX file was uploaded, or its public certificate (.cer) was never added to the app registration.',
    resolution: `In Entra ID open the app registration > Certificates & secrets > Certificates and compare thumbprints. Upload the public certificate that matches the PFX there, or upload the matching PFX file in Syncwarden via the ${M365_EDIT}.`,
    scope: 'connection', kind: 'credential', retry: 'never', http: 422,
    source: 'continuity-connection-issues',
  },
  'm365.pfx_unreadable': {
    title: 'PFX file could not be opened',
    cause: 'The uploaded file is not a PKCS#12 (PFX) file, the password is wrong, or it holds no private key and certificate: {detail}.',
    resolution: `Export the certificate again as a .pfx including the private key, and upload it with its password via the ${M365_EDIT}.`,
    scope: 'connection', kind: 'invalid_input', retry: 'never', http: 400,
    source: 'continuity-connection-issues',
  },
  'm365.permission_missing': {
    title: 'Insufficient permissions',
    cause: 'The app registration lacks the application permission {permission}, or admin consent for it was revoked.',
    resolution: 'In Entra ID open the app registration > API permissions, add the Microsoft Graph application permission {permission} and click "Grant admin consent". Then use Test connection.',
    scope: 'connection', kind: 'permission', retry: 'never', http: 422,
    source: 'continuity-connection-issues',
  },
  'm365.tenant_not_found': {
    title: 'Incorrect Tenant ID',
    cause: 'Entra ID has no tenant "{tenant}".',
    resolution: `Copy the Directory (tenant) ID from the app registration's Overview page in Entra ID and correct it via the ${M365_EDIT}. Test the connection after updating.`,
    scope: 'connection', kind: 'configuration', retry: 'never', http: 422,
    source: 'continuity-connection-issues',
  },
  'm365.app_not_found': {
    title: 'App registration not found',
    cause: 'No application with client ID {clientId} exists in tenant {tenant}: the Client ID is wrong, or the app registration was deleted.',
    resolution: `Check the Application (client) ID on the app registration's Overview page and correct it via the ${M365_EDIT}. If the app registration was deleted, create a new one as in "Connecting Microsoft 365" and update the Source Connection.`,
    scope: 'connection', kind: 'configuration', retry: 'never', http: 422,
    source: 'continuity-connection-issues',
  },
  'm365.client_secret_expired': {
    title: 'Client secret expired',
    cause: 'The client secret on the app registration reached its expiry date.',
    resolution: `Create a new client secret on the app registration (Certificates & secrets > Client secrets), then paste its Value via the ${M365_EDIT}.`,
    scope: 'connection', kind: 'credential', retry: 'never', http: 422,
    source: 'certification-center-directory-connections',
  },
  'm365.client_secret_invalid': {
    title: 'Invalid client secret',
    cause: 'Entra ID rejected the client secret. A common mistake is pasting the secret ID instead of the secret Value.',
    resolution: `In Entra ID, Certificates & secrets > Client secrets, copy the Value column (shown only when the secret is created; create a new one if needed) and paste it via the ${M365_EDIT}.`,
    scope: 'connection', kind: 'credential', retry: 'never', http: 422,
    source: 'certification-center-directory-connections',
  },
  'm365.mailbox_not_enabled': {
    title: 'Mailbox not available',
    cause: 'The user has no Exchange Online mailbox reachable through Microsoft Graph (no licence, soft-deleted, or hosted on-premises).',
    resolution: 'Assign an Exchange Online licence to the user in Microsoft 365, or exclude the user from the policy.',
    scope: 'user', kind: 'not_found', retry: 'next_cycle', http: 422,
  },

  // ── Google Workspace destination connection (continuity-connection-issues, Google table) ──
  'google.token_creator_missing': {
    title: 'Token Creator role not granted',
    cause: 'The Syncwarden token provider ({tokenProvider}) does not have the Service Account Token Creator role on the service account {serviceAccount}.',
    resolution: "In the Google Cloud console open IAM & Admin > Service Accounts > {serviceAccount} > Permissions, and grant the role 'Service Account Token Creator' to {tokenProvider}.",
    scope: 'connection', kind: 'permission', retry: 'never', http: 422,
    source: 'continuity-connection-issues',
  },
  'google.service_account_not_found': {
    title: 'Service account not found',
    cause: 'Google has no service account {serviceAccount}: the email was mistyped, or the service account was deleted from the GCP project.',
    resolution: `Check the service account email in the Google Cloud console and correct it via the ${GOOGLE_EDIT}. If it was deleted, create a new service account as in "Connecting Google Workspace" and update the Destination Connection.`,
    scope: 'connection', kind: 'configuration', retry: 'never', http: 422,
    source: 'continuity-connection-issues',
  },
  'google.delegation_missing': {
    title: 'Domain-wide delegation scopes wrong or missing',
    cause: 'The service account (client ID {clientId}) is not authorised for domain-wide delegation of the scope {scope}, or its delegation was revoked.',
    resolution: "In the Google Admin console go to Security > API controls > Domain-wide delegation. Make sure client ID {clientId} is listed with exactly these OAuth scopes: {requiredScopes}. Changes can take a few minutes (rarely up to 24 hours) to apply.",
    scope: 'connection', kind: 'permission', retry: 'never', http: 422,
    source: 'continuity-connection-issues',
  },
  'google.api_disabled': {
    title: 'API not enabled',
    cause: 'The {api} is disabled in Google Cloud project {project}.',
    resolution: 'In the Google Cloud console go to APIs & Services > Library, search for "{api}" and click Enable. It can take a few minutes to apply.',
    scope: 'connection', kind: 'configuration', retry: 'never', http: 422,
    source: 'continuity-connection-issues',
  },
  'google.admin_not_authorized': {
    title: 'Admin account not authorised',
    cause: 'The admin email {adminEmail} is not a Google Workspace administrator allowed to manage users in {domain}.',
    resolution: `Enter the email of a Super Admin of the Google Workspace domain via the ${GOOGLE_EDIT}.`,
    scope: 'connection', kind: 'permission', retry: 'never', http: 422,
  },
  'google.key_rejected': {
    title: 'Service-account credential rejected',
    cause: 'Google rejected the signed token for {serviceAccount}: the key was deleted or rotated, or does not belong to this service account.',
    resolution: `Generate a new key (or re-grant the Token Creator role for keyless sign-in) and update the connection via the ${GOOGLE_EDIT}.`,
    scope: 'connection', kind: 'credential', retry: 'never', http: 422,
    source: 'certification-center-directory-connections',
  },
  'google.user_create_failed': {
    title: 'User creation failed in Google',
    cause: 'Google Workspace refused to create the account {email}: {detail}.',
    resolution: 'Check the audit log entry for the provisioning error. Common causes are no free licences, an email already used by a group or alias, or a domain that is not verified in the Google Admin console.',
    scope: 'user', kind: 'configuration', retry: 'next_cycle', http: 422,
    source: 'continuity-sync-issues',
  },
  'google.user_not_ready': {
    title: 'Google account not ready yet',
    cause: 'The Google account {email} was just created and does not accept mail yet.',
    resolution: 'No action needed. Syncwarden waits and retries; new accounts usually accept mail within minutes.',
    scope: 'user', kind: 'transient', retry: 'backoff', http: 503,
  },

  // ── Sync (continuity-sync-issues) ──
  'sync.auth_token_expired': {
    title: 'Authentication token expired',
    cause: 'The {side} connection credentials expired or were revoked, so a token could not be obtained.',
    resolution: 'Go to Connections and check the connection status. If it shows an error, update the credentials and use Test connection from the three-dot menu.',
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

  // ── Items (continuity-sync-issues, "Data discrepancies") ──
  'item.too_large': {
    title: 'Item too large',
    cause: 'The message is {size} bytes; Google Workspace accepts at most {limit} bytes per imported message.',
    resolution: 'No action needed for the rest of the mailbox. The item is listed in the user\'s items view; move it manually if it matters.',
    scope: 'item', kind: 'item', retry: 'never', http: 413,
    source: 'continuity-sync-issues',
  },
  'item.encrypted': {
    title: 'Encrypted item',
    cause: 'The message is encrypted (S/MIME or Microsoft Purview) and cannot be read for import.',
    resolution: 'No action needed for the rest of the mailbox. The user can open it in Outlook with their key.',
    scope: 'item', kind: 'item', retry: 'never', http: 422,
    source: 'continuity-sync-issues',
  },
  'item.unsupported_type': {
    title: 'Unsupported item type',
    cause: 'The item is a {type}, which Gmail cannot store as a message.',
    resolution: 'No action needed for the rest of the mailbox.',
    scope: 'item', kind: 'item', retry: 'never', http: 422,
    source: 'continuity-sync-issues',
  },
  'item.rejected': {
    title: 'Item rejected by Google',
    cause: 'Google Workspace refused to import the message: {detail}.',
    resolution: 'Use "Retry failed items" on the user; if it fails again, check the audit log entry for the item.',
    scope: 'item', kind: 'item', retry: 'next_cycle', http: 422,
    source: 'continuity-sync-issues',
  },

  // ── Generic provider and platform failures ──
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
    scope: 'request', kind: 'invalid_input', retry: 'never', http: 400,
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

export type ErrorCode = keyof typeof catalogue;

export const errorCodes = Object.keys(catalogue) as ErrorCode[];

export function isErrorCode(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(catalogue, code);
}

export function definitionOf(code: ErrorCode): ErrorDefinition {
  return catalogue[code];
}
