import type { Runtime } from '../../runtime/context.js';
import type { RouteSpec } from '../route.js';
import { keyStatus } from '../../keys/status.js';

/**
 * The master keyring's state (issue 12, point 7): key ids, what each seals, processes and the
 * rotations — never a key. Rotation itself is `syncwarden keys rotate` (it writes the keyring
 * file). Permission, for the route table the lead adds at merge: GET /keys → keys.manage.
 */
export function keyRoutes(rt: Runtime): RouteSpec[] {
  return [
    {
      // Permission: keys.manage (installation-wide: every tenant's secrets)
      method: 'GET', url: '/keys', tag: 'Master keys', summary: 'Master keys: ids, secrets sealed with each, processes holding them, rotations, and what to do next',
      handler: () => keyStatus(rt),
    },
  ];
}
