import type { ErrorDefinition } from '../definition.js';

const GOOGLE_EDIT = 'three-dot menu > Edit on the Destination Connection';

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
} as const satisfies Record<string, ErrorDefinition>;
