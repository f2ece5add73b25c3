import type { ErrorDefinition } from '../definition.js';

const AWS_EDIT = 'three-dot menu > Edit on the AWS IAM connection';
const CREDENTIALS = 'In the AWS console open IAM > Users > {userName} > Security credentials > Access keys';

/**
 * AWS IAM connection errors (certification-center-directory-connections: "AWS IAM: access key
 * for the integration user, or an assumed-role trust"). AWS's own codes are in providers.md §4.4.
 */
export const awsErrors = {
  'aws.access_key_invalid': {
    title: 'AWS access key rejected',
    cause: 'AWS does not accept the access key {accessKeyId}: it was deleted, deactivated (made Inactive), or mistyped. AWS answers the same for all three (InvalidClientTokenId).',
    resolution: `${CREDENTIALS} and check the key's status. If it is Inactive and should be used, choose Actions > Activate. Otherwise choose Create access key (use case "Third-party service"), copy the Access key ID and Secret access key, and paste both via the ${AWS_EDIT}; then deactivate and delete the old key.`,
    scope: 'connection', kind: 'credential', retry: 'never', http: 422,
    source: 'certification-center-directory-connections',
  },
  'aws.secret_key_wrong': {
    title: 'AWS secret access key wrong',
    cause: 'AWS knows the access key {accessKeyId} but the request was signed with another secret (SignatureDoesNotMatch): the secret was mistyped, truncated, or belongs to a different key.',
    resolution: `Paste the Secret access key that was shown together with {accessKeyId} when it was created, via the ${AWS_EDIT}. AWS shows a secret only once: if it is lost, ${CREDENTIALS.replace('In the AWS console open', 'open')}, create a new access key, paste it, and delete the old one.`,
    scope: 'connection', kind: 'credential', retry: 'never', http: 422,
    source: 'certification-center-directory-connections',
  },
  'aws.session_expired': {
    title: 'Temporary AWS credentials expired',
    cause: 'The temporary credentials from assuming {roleArn} are expired or were revoked (ExpiredToken), and assuming the role again did not give working ones.',
    resolution: 'Syncwarden assumes the role again automatically. If this persists, check the role\'s Maximum session duration (IAM > Roles > {roleArn} > Summary, at least 1 hour), and whether the role\'s sessions were revoked (Revoke sessions tab); then use Test connection.',
    scope: 'connection', kind: 'credential', retry: 'backoff', http: 422,
  },
  'aws.action_denied': {
    title: 'IAM permission missing',
    cause: '{principal} is not allowed to call {action}: no identity-based policy allows it, or one denies it.',
    resolution: 'In the AWS console open IAM > {principalPath} > Permissions > Add permissions > Create inline policy > JSON, and paste {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["{action}"],"Resource":"*"}]} (or attach the customer-managed policy holding every action Syncwarden needs, as in "Least-privilege permissions for each connector"). Check also for a Deny in a permissions boundary or an SCP. Then use Test connection.',
    scope: 'connection', kind: 'permission', retry: 'never', http: 422,
    source: 'certification-center-directory-connections',
  },
  'aws.role_trust_denied': {
    title: 'Role cannot be assumed',
    cause: 'AWS refused to let {principal} assume {roleArn} (AccessDenied on sts:AssumeRole): the role\'s trust policy does not name that principal, the role does not exist, or the principal has no permission for sts:AssumeRole. {detail}',
    resolution: 'In the AWS console open IAM > Roles > {roleName} > Trust relationships > Edit trust policy, and make it {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"{principal}"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"{externalId}"}}}]}. Make sure {principal} has a policy allowing "sts:AssumeRole" on {roleArn}. Then use Test connection.',
    scope: 'connection', kind: 'permission', retry: 'never', http: 422,
    source: 'certification-center-directory-connections',
  },
  'aws.external_id_mismatch': {
    title: 'External ID does not match the role',
    cause: 'The trust policy of {roleArn} requires another sts:ExternalId than the one configured on this connection ({externalId}).',
    // The trust policy's external id is the one the role's owner chose to tell confused deputies
    // apart: the fix is to enter it here, never to copy the connection's (wrong) value into it.
    resolution: `Enter the external ID the role's trust policy expects (IAM > Roles > {roleName} > Trust relationships, the value of the "sts:ExternalId" condition; ask the role's owner if you cannot see it) via the ${AWS_EDIT}. Then use Test connection.`,
    scope: 'connection', kind: 'configuration', retry: 'never', http: 422,
  },
  'aws.clock_skew': {
    title: 'Clock differs from AWS',
    cause: 'This server\'s clock and AWS\'s differ by more than AWS allows for signed requests (15 minutes), or by more than 5 minutes: {detail}.',
    resolution: 'Synchronise the clock of every machine running Syncwarden with NTP (for example `timedatectl set-ntp true` on Linux, or the Amazon Time Sync Service at 169.254.169.123 on EC2), then use Test connection.',
    scope: 'connection', kind: 'configuration', retry: 'never', http: 422,
  },
  'aws.throttled': {
    title: 'AWS rate limit exceeded',
    cause: 'AWS {service} throttled the requests of this account (Throttling: Rate exceeded). IAM\'s limits are per AWS account and shared by every tool that calls it.',
    resolution: 'No action needed: Syncwarden backs off and resumes by itself. If it happens on every run, stagger the syncs of connections to the same AWS account, and check for other tools polling IAM.',
    scope: 'connection', kind: 'throttle', retry: 'retry_after', http: 429,
    source: 'certification-center-directory-connections',
  },
  'aws.access_key_old': {
    title: 'Access key older than 90 days',
    cause: 'The access key {accessKeyId} was created {ageDays} days ago ({createdAt}). Keys older than 90 days are usually due for rotation, and a rotation that deletes this key stops the connection.',
    resolution: `Rotate it: ${CREDENTIALS} > Create access key, paste the new key via the ${AWS_EDIT}, use Test connection, then make the old key Inactive and delete it.`,
    scope: 'connection', kind: 'credential', retry: 'never', http: 422,
  },
  'aws.request_rejected': {
    title: 'AWS rejected a request',
    cause: 'AWS answered {action} with {awsCode}: {awsMessage}.',
    resolution: 'Syncwarden retries on the next cycle. If it persists, download a support bundle and contact support.',
    scope: 'connection', kind: 'internal', retry: 'next_cycle', http: 502,
  },
} as const satisfies Record<string, ErrorDefinition>;
