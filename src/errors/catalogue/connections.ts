import type { ErrorDefinition } from '../definition.js';

const ROTATE = 'three-dot menu > Rotate credential on the connection';

/**
 * Connections, credentials, the doctor, incidents and alerts (issue 4). The doctor's own
 * findings (clock, propagation, pre-flight credential checks) and what an admin can get
 * wrong while rotating a credential or configuring an alert channel.
 */
export const connectionErrors = {
  'credential.secret_id_pasted': {
    title: 'Secret ID pasted instead of the secret value',
    cause: 'The client secret entered is a GUID ({hint}): that is the Secret ID column of the app registration\'s client secret, not its Value.',
    resolution: `In Entra ID open App registrations > your app > Certificates & secrets > Client secrets and copy the Value column (it is shown only right after the secret is created; create a new secret if it is hidden). Paste it via the ${ROTATE}.`,
    scope: 'connection', kind: 'credential', retry: 'never', http: 400,
    source: 'certification-center-directory-connections',
  },
  'credential.expiring_soon': {
    title: 'Credential expires soon',
    cause: 'The {what} expires on {expiresAt} ({days} days left). When it expires every sync behind this connection stops.',
    resolution: `Create the new credential now and rotate with overlap: ${ROTATE} adds it, tests it alone, switches, then retires the old one.`,
    scope: 'connection', kind: 'credential', retry: 'never', http: 422,
    source: 'continuity-connection-issues',
  },
  'credential.expired': {
    title: 'Credential expired',
    cause: 'The {what} expired on {expiresAt}.',
    resolution: `Create a new credential with the provider and rotate to it via the ${ROTATE}.`,
    scope: 'connection', kind: 'credential', retry: 'never', http: 422,
    source: 'certification-center-directory-connections',
  },
  'credential.rotation_due': {
    title: 'Credential due for rotation',
    cause: 'The {what} is {ageDays} days old; your rotation policy for it is {maxAgeDays} days.',
    resolution: `Create a new key with the provider, rotate to it via the ${ROTATE}, then delete the old key with the provider.`,
    scope: 'connection', kind: 'credential', retry: 'never', http: 422,
    source: 'continuity-connection-issues',
  },
  'credential.key_file_invalid': {
    title: 'Key file is not valid',
    cause: 'The {what} cannot be used: {detail}.',
    resolution: `Download a new JSON key for the service account (Google Cloud console > IAM & Admin > Service Accounts > Keys > Add key > JSON) and paste the whole file via the ${ROTATE}.`,
    scope: 'connection', kind: 'invalid_input', retry: 'never', http: 400,
  },
  'credential.invalid_format': {
    title: 'Credential has the wrong format',
    cause: 'The {what} does not look right: {detail}.',
    resolution: `Copy the credential again from the provider's console and enter it via the ${ROTATE}.`,
    scope: 'connection', kind: 'invalid_input', retry: 'never', http: 400,
  },
  'credential.not_tested': {
    title: 'New credential has not passed its test',
    cause: 'The credential {credentialId} has not passed Test on its own ({lastResult}), so switching to it could break the connection.',
    resolution: 'Use Test on the new credential, fix what it reports, then switch. To switch anyway, repeat the request with force.',
    scope: 'request', kind: 'configuration', retry: 'never', http: 409,
  },
  'credential.invalid_state': {
    title: 'Not possible in the credential\'s current state',
    cause: 'The credential {credentialId} is {state}; {detail}.',
    resolution: 'Reload the connection\'s credentials and try the step that matches its state (add → test → switch → retire).',
    cliResolution: 'Run `syncwarden credentials list` for the credential\'s state, and take the step that matches it (add → test → switch → retire) with `syncwarden connections rotate` / `retire`.',
    scope: 'request', kind: 'configuration', retry: 'never', http: 409,
  },
  'doctor.clock_skew': {
    title: 'Server clock out of sync',
    cause: 'This server\'s clock differs from {provider}\'s by {seconds} seconds. Signed sign-in tokens are rejected when the clocks differ by more than about 5 minutes, so other sign-in results cannot be trusted.',
    resolution: 'Synchronise the clock of every machine running Syncwarden with NTP (for example `timedatectl set-ntp true` on Linux, or the Windows Time service), then use Test connection.',
    scope: 'connection', kind: 'configuration', retry: 'never', http: 422,
  },
  'doctor.change_propagating': {
    title: 'A recent change is still propagating',
    cause: '{check}: {provider} answered {failed} of {attempts} attempts with "{failure}" and accepted the others — the change you made is still propagating through the provider\'s servers.',
    resolution: 'Nothing to change. Wait a few minutes (Google: rarely up to 24 hours) and use Test connection again; syncs resume once every attempt succeeds.',
    scope: 'connection', kind: 'transient', retry: 'backoff', http: 503,
    source: 'continuity-connection-issues',
  },
  'connection.connector_unavailable': {
    title: 'Connector not available in this version',
    cause: 'Syncwarden stores {kind} connections with the role {role}, but this version cannot yet talk to the provider for that role.',
    resolution: 'Update Syncwarden to a version that includes the connector; the stored connection and its credentials are kept.',
    scope: 'connection', kind: 'configuration', retry: 'never', http: 422,
  },
  'connection.write_back_not_consented': {
    title: 'Write-back not consented',
    cause: 'The connection {name} is read-only: write-back (for example revoking access after a certification) was not consented.',
    resolution: 'Open the connection, turn on Write-back, grant the additional permissions it lists (admin consent), and use Test connection.',
    scope: 'connection', kind: 'permission', retry: 'never', http: 409,
    source: 'certification-center-directory-connections',
  },
  'connection.scope_excludes': {
    title: 'Scope leaves accounts out',
    cause: 'The connection reads members only: the last full read ({countedAt} UTC) left out {excluded}, so they are not in the identity inventory and not reviewed.',
    resolution: 'If you expected them, open the connection (three-dot menu > Edit) and under Scope turn on {switches}, then save: the next sync reads them. If leaving them out is intended, nothing to do.',
    cliResolution: 'If you expected them, turn them on with `syncwarden connections edit <connection> --set scope.<switch>=true` for {switches}: the next sync reads them. If leaving them out is intended, nothing to do.',
    scope: 'connection', kind: 'configuration', retry: 'never', http: 422,
    source: 'certification-center-directory-connections',
  },
  'alert.delivery_failed': {
    title: 'Alert could not be delivered',
    cause: 'The {channel} alert channel "{name}" failed: {detail}.',
    resolution: 'Check the channel\'s settings under Alerts (SMTP host, port, TLS, user and password; or the webhook URL and that the receiver answers 2xx) and use Send test alert.',
    scope: 'request', kind: 'transient', retry: 'backoff', http: 502,
  },
} as const satisfies Record<string, ErrorDefinition>;
