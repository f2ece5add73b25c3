import type { ErrorDefinition } from '../definition.js';

/** Failover and reverse recovery sync (continuity/failover): the outage, and mail written back to Microsoft 365. */
export const failoverErrors = {
  'failover.already_active': {
    title: 'Outage already declared',
    cause: 'The policy {policy} is already in failover (Microsoft 365 outage since {since}).',
    resolution: 'No action needed. When Microsoft 365 is healthy again, start recovery from Continuity > Failover.',
    scope: 'request', kind: 'invalid_input', retry: 'never', http: 409,
  },
  'failover.not_active': {
    title: 'No outage declared',
    cause: 'The policy {policy} is not in failover, so there is nothing to {action}.',
    resolution: 'Declare an outage first (Continuity > Failover > Declare outage), or check that you chose the right policy.',
    scope: 'request', kind: 'invalid_input', retry: 'never', http: 409,
  },
  'failover.source_unhealthy': {
    title: 'Microsoft 365 is not healthy yet',
    cause: 'Recovery writes mail back to Microsoft 365, and the last probe of the source connection {connection} failed: {detail}.',
    resolution: 'Wait until Microsoft 365 answers again (the Failover page shows the last probe), then start recovery. Use Test connection on the source connection to check now.',
    cliResolution: 'Wait until Microsoft 365 answers again (`syncwarden failover status` shows the last probe), then start recovery. `syncwarden connections test <source connection>` checks now.',
    scope: 'request', kind: 'transient', retry: 'never', http: 409,
  },
  'failover.recovery_not_consented': {
    title: 'Recovery is not switched on for the source connection',
    cause: 'Recovery writes mail into Microsoft 365 mailboxes, which needs write-back consent on the source connection {connection} and the Mail.ReadWrite application permission.',
    resolution: 'Go to Connections, open {connection}, switch on "Recovery (write-back to Microsoft 365)", add Mail.ReadWrite to the app registration and grant admin consent with the link shown; then start recovery again.',
    cliResolution: 'Consent to recovery\'s write-back with `syncwarden connections write-back <connection> on`, add Mail.ReadWrite to the app registration and grant admin consent (`syncwarden connections show <connection>` prints the link); then start recovery again.',
    scope: 'connection', kind: 'permission', retry: 'never', http: 409,
  },
  'recovery.history_expired': {
    title: 'Gmail change history expired',
    cause: 'Gmail no longer keeps the change history from the start of the outage for {email}.',
    resolution: 'No action needed: Syncwarden lists the mailbox by date from the start of the outage instead, and skips what it already wrote back.',
    scope: 'user', kind: 'transient', retry: 'backoff', http: 409,
  },
  'recovery.created_as_draft': {
    title: 'Microsoft 365 stored a recovered message as a draft',
    cause: 'Microsoft 365 answered that the message {subject} it stored for {email} is a draft, so it would show in Drafts as unsent.',
    resolution: 'Contact support with the support bundle: Syncwarden writes recovered mail with its message flags set at creation so that it is stored as received or sent mail, and Microsoft 365 did not honour them.',
    scope: 'item', kind: 'item', retry: 'never', http: 502,
  },
  'recovery.folder_unavailable': {
    title: 'Folder could not be created in Microsoft 365',
    cause: 'Microsoft 365 refused to create or find the folder {folder} for {email}: {detail}.',
    resolution: 'Check that the mailbox is not over its folder limit and that no folder with that name is hidden; rename the Gmail label if its name is not allowed in Outlook, then retry the recovery.',
    scope: 'item', kind: 'item', retry: 'never', http: 502,
  },
} as const satisfies Record<string, ErrorDefinition>;
