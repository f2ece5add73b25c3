import { AppError } from '../../errors/index.js';
import type { ConnectorContext, DirectorySource, DirectoryStream } from '../sdk/index.js';
import { runChecks } from './checks.js';
import type { ScimConfig } from './config.js';
import { readGroups } from './groups.js';
import { scimDeps } from './http.js';
import { revoke, stillHeld } from './revoke.js';
import { readUsers } from './users.js';

/**
 * A SCIM 2.0 app as a directory source. SCIM has no change tracking, so every sync is a
 * full pass (`incremental` false); deletions are what a complete pass no longer lists.
 */
export const SCIM_STREAMS: readonly DirectoryStream[] = [
  { name: 'users', yields: ['account'] },
  { name: 'groups', yields: ['group', 'membership'] },
];

export function createScimSource(ctx: ConnectorContext, config: ScimConfig): DirectorySource {
  const deps = scimDeps(ctx, config);
  return {
    streams: SCIM_STREAMS,
    checks: () => runChecks(deps),
    async read(stream, cursor) {
      switch (stream) {
        case 'users':
          return readUsers(deps, cursor);
        case 'groups':
          return readGroups(deps, cursor);
        default:
          throw new AppError('request.invalid', { detail: `a SCIM app has no stream ${JSON.stringify(stream)}; its streams are users and groups` });
      }
    },
    // Present only with write-back consent (DirectorySource contract).
    ...(config.writeBack ? { revoke: (target) => revoke(deps, target), stillHeld: (target) => stillHeld(deps, target) } : {}),
  };
}
