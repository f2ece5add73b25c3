import type { ErrorDefinition } from '../definition.js';

// Role-neutral: the same errors come from the continuity source and the directory connection.
const M365_EDIT = 'three-dot menu > Edit on the Microsoft 365 connection';

/** Microsoft 365 / Entra ID connection errors. (Microsoft 365 source connection (continuity-connection-issues, Microsoft table)) */
export const m365Errors = {
  'm365.certificate_expired': {
    title: 'Certificate expired',
    cause: 'The PFX certificate uploaded to Syncwarden passed its expiry date ({notAfter}).',
    resolution: `Generate a new certificate, upload its public part (.cer) to the app registration in Entra ID (Certificates & secrets > Certificates), then update the PFX file and password in Syncwarden via the ${M365_EDIT}.`,
    scope: 'connection', kind: 'credential', retry: 'never', http: 422,
    source: 'continuity-connection-issues',
  },
  'm365.certificate_refused_as_expired': {
    title: 'Entra ID refuses the certificate as expired',
    cause: 'Entra ID refuses the certificate as expired (the key it found on the app registration ends {providerEnd}), while the PFX file uploaded to Syncwarden (thumbprint {thumbprint}) is valid until {fileNotAfter}. The likely cause is a different certificate registered on the app registration than the one in this PFX file, or an old copy of it with an earlier end date.',
    resolution: `In Entra ID open the app registration > Certificates & secrets > Certificates and compare thumbprints and end dates with {thumbprint}. Upload the public certificate (.cer) of this PFX file there (and remove the expired one), or upload the PFX whose certificate is registered via the ${M365_EDIT}. Then use Test connection.`,
    cliResolution: 'In Entra ID open the app registration > Certificates & secrets > Certificates and compare thumbprints and end dates with {thumbprint}. Upload the public certificate (.cer) of this PFX file there (and remove the expired one), or give the PFX whose certificate is registered with `syncwarden connections edit <connection> --pfx FILE --pfx-password-env VAR`. Then run `syncwarden connections test <connection>`.',
    scope: 'connection', kind: 'credential', retry: 'never', http: 422,
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
    // The detail says which (not a PFX, damaged, wrong password, no key or certificate): one generic
    // sentence listing every possibility would blame the password for a damaged file.
    cause: 'The uploaded PFX file cannot be used: {detail}.',
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
    cliResolution: `Copy the Directory (tenant) ID from the app registration's Overview page in Entra ID and correct it with \`syncwarden connections edit <connection> --set tenantId=<id>\` (with the credential again: it is bound to the tenant). Test the connection after updating.`,
    scope: 'connection', kind: 'configuration', retry: 'never', http: 422,
    source: 'continuity-connection-issues',
  },
  'm365.app_not_found': {
    title: 'App registration not found',
    cause: 'No application with client ID {clientId} exists in tenant {tenant}: the Client ID is wrong, or the app registration was deleted.',
    resolution: `Check the Application (client) ID on the app registration's Overview page and correct it via the ${M365_EDIT}. If the app registration was deleted, create a new one as in "Connecting Microsoft 365" and update the connection.`,
    cliResolution: `Check the Application (client) ID on the app registration's Overview page and correct it with \`syncwarden connections edit <connection> --set clientId=<id>\`. If the app registration was deleted, create a new one as in "Connecting Microsoft 365" and update the connection.`,
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
  'm365.admin_consent_denied': {
    title: 'Admin consent was not granted',
    cause: 'The Entra ID consent page returned "{error}" instead of granting the permissions: the administrator cancelled, or the account that signed in is not a Global Administrator or Privileged Role Administrator of tenant {tenant}.',
    resolution: 'Use "Grant admin consent" again while signed in as a Global Administrator or Privileged Role Administrator of the tenant, and approve every requested permission (partial consent leaves some object types unreadable).',
    scope: 'connection', kind: 'permission', retry: 'never', http: 422,
    source: 'certification-center-directory-connections',
  },
  'm365.clock_skew': {
    title: 'Server clock is off',
    cause: "This server's clock differs from Entra ID's by {skewSeconds} seconds; signed sign-in requests are only accepted within a few minutes of Entra ID's time.",
    resolution: 'Synchronise the clock of the machine running Syncwarden with an NTP server (for example `timedatectl set-ntp true` on Linux), then use Test connection.',
    scope: 'connection', kind: 'configuration', retry: 'never', http: 422,
  },
  'm365.write_back_denied': {
    title: 'Removal refused by Entra ID',
    cause: 'Microsoft Graph refused to change {what} (403 Authorization_RequestDenied): the app lacks the application permission {permission}, or its admin consent was revoked (a role-assignable group also needs RoleManagement.ReadWrite.Directory).',
    resolution: 'In Entra ID open the app registration > API permissions, add the Microsoft Graph application permission {permission} (and RoleManagement.ReadWrite.Directory for role-assignable groups), then grant admin consent ({consentUrl}), and retry the remediation.',
    scope: 'item', kind: 'permission', retry: 'never', http: 422,
    source: 'certification-center-directory-connections',
  },
} as const satisfies Record<string, ErrorDefinition>;
