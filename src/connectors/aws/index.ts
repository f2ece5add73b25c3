import { defineConnector, type DirectorySource } from '../sdk/index.js';
import { runChecks } from './checks.js';
import { parseConfig, resolveEndpoints, type AwsConnectorConfig } from './config.js';
import { createDirectory, STREAMS } from './directory.js';
import { createSession } from './session.js';

/**
 * AWS IAM connector: the identity inventory of one AWS account (users, groups, managed and
 * inline policies, access keys) over IAM's query API, signed with our own SigV4; with an
 * access key, or by assuming a role with an external id. Write-back (removing memberships,
 * detaching or deleting policies) only with the connection's write-back consent.
 */
export const awsConnector = defineConnector<AwsConnectorConfig, DirectorySource>({
  id: 'aws_iam',
  displayName: 'AWS IAM',
  authMethods: ['access_key', 'assume_role'],
  capabilities: ['directory', 'write_back'],
  create(ctx, raw) {
    const config = parseConfig(raw);
    const session = createSession(ctx, config, resolveEndpoints(config));
    const directory = createDirectory(session);
    return {
      checks: () => runChecks(session),
      streams: STREAMS,
      read: (stream, cursor) => directory.read(stream, cursor),
      ...(config.writeBack ? { revoke: (target) => directory.revoke(target), stillHeld: (target) => directory.stillHeld(target) } : {}),
    };
  },
});

export { isAwsThrottle } from './errors.js';
export { awsConnectorConfigSchema, type AwsConnectorConfig } from './config.js';
export { CHECK_IDS, READ_ACTIONS, WRITE_ACTIONS } from './checks.js';

/**
 * Suggested rate budget for keys 'aws:iam:<account>' and 'aws:sts:<account>': IAM's limits
 * are unpublished and per account; 15 requests per second with a burst of 15 stays under
 * what accounts usually get and leaves room for other tools.
 */
export const AWS_BUDGET = { amount: 15, windowMs: 1000, burst: 15 } as const;
