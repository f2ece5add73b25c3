import type { Runtime } from '../../runtime/context.js';
import { DEFAULT_TENANT, type RouteSpec } from '../route.js';
import { AppError } from '../../errors/index.js';
import { keyStatus } from '../../keys/status.js';

/**
 * The master keyring's state (issue 12, point 7): key ids, what each seals, processes and the
 * rotations — never a key. Rotation itself is `syncwarden keys rotate` (it writes the keyring
 * file). Owner only: the keyring is installation-wide (every tenant's secrets), so only from the
 * installation's own (default) tenant — an organisation served by it does not see it (404).
 */
export function keyRoutes(rt: Runtime): RouteSpec[] {
  return [
    {
      method: 'GET', url: '/keys', permission: 'keys.manage', tag: 'Master keys', summary: 'Master keys: ids, secrets sealed with each, processes holding them, rotations, and what to do next',
      handler: ({ tenantId }) => {
        if (tenantId !== DEFAULT_TENANT) throw new AppError('request.not_found', { entity: 'route', id: 'GET /api/v1/keys' });
        return keyStatus(rt);
      },
    },
  ];
}
