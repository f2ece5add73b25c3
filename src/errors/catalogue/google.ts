import type { ErrorDefinition } from '../definition.js';

// Role-neutral: the same errors come from the continuity destination and the directory connection.
const GOOGLE_EDIT = 'three-dot menu > Edit on the Google Workspace connection';

/** Google Workspace connection and provisioning errors. (Google Workspace destination connection (continuity-connection-issues, Google table)) */
export const googleErrors = {
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
    resolution: `Check the service account email in the Google Cloud console and correct it via the ${GOOGLE_EDIT}. If it was deleted, create a new service account as in "Connecting Google Workspace" and update the connection.`,
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
  'google.service_account_disabled': {
    title: 'Service account disabled',
    cause: 'The service account {serviceAccount} is disabled in its Google Cloud project, so Google refuses to sign in as it ("Robot is disabled.").',
    resolution: 'In the Google Cloud console open IAM & Admin > Service Accounts, select {serviceAccount}, and choose Enable service account from its three-dot menu. Then use Test connection.',
    scope: 'connection', kind: 'configuration', retry: 'never', http: 422,
    source: 'certification-center-directory-connections',
  },
  'google.clock_skew': {
    title: 'Server clock out of sync',
    cause: "Google refused the sign-in token because its issue time does not match Google's clock: {detail}.",
    resolution: 'Synchronise the clock of the machine running Syncwarden (turn on NTP time synchronisation, for example `timedatectl set-ntp true` on Linux), then use Test connection.',
    scope: 'connection', kind: 'configuration', retry: 'next_cycle', http: 422,
  },
  'google.delegation_propagating': {
    title: 'Domain-wide delegation still propagating',
    cause: 'Google granted the scope {scope} to client ID {clientId} on some attempts and refused it on others: a recent change under Domain-wide delegation has not reached all of Google yet.',
    resolution: 'If you changed domain-wide delegation recently, wait and use Test connection again later: Google says changes can take up to 24 hours. If it persists, check in the Google Admin console under Security > API controls > Domain-wide delegation that client ID {clientId} lists exactly these OAuth scopes: {requiredScopes}.',
    scope: 'connection', kind: 'permission', retry: 'next_cycle', http: 422,
    source: 'certification-center-directory-connections',
  },
  'google.directory_rate_limited': {
    title: 'Google Directory API quota exceeded',
    cause: 'Google refused Directory API calls made for {adminEmail} from Google Cloud project {project}: {limit}. Every sync of the same Google Workspace through the same project shares this quota.',
    resolution: "No action needed: Syncwarden backs off and resumes by itself. If every sync is throttled, stagger the syncs of connections to this Google Workspace, or raise the Admin SDK API's 'Queries per minute per user' quota in the Google Cloud console under IAM & Admin > Quotas.",
    scope: 'connection', kind: 'throttle', retry: 'retry_after', http: 429,
    source: 'certification-center-directory-connections',
  },
} as const satisfies Record<string, ErrorDefinition>;
