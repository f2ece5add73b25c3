import { z } from 'zod';
import type { Runtime } from '../../runtime/context.js';
import type { RouteSpec } from '../route.js';
import { getOwners, listOwners, ownersBodySchema, setOwners } from '../../campaigns/owners.js';

const idParams = z.object({ id: z.string().min(1) });
const resourceParams = z.object({ id: z.string().min(1), resourceId: z.string().min(1) });
const tag = 'Campaigns';

/**
 * Owners set in Syncwarden for a directory connection's groups and roles (campaigns' owner
 * reviewer mode). Reading is for whoever reads campaigns; setting is for who manages them.
 */
export function ownerRoutes(rt: Runtime): RouteSpec[] {
  return [
    { method: 'GET', url: '/connections/:id/owners', permission: 'campaigns.read', tag, summary: 'Groups and roles of a directory connection with owners set in Syncwarden', params: idParams, handler: ({ tenantId, params }) => listOwners(rt, tenantId, params['id']!) },
    { method: 'GET', url: '/connections/:id/resources/:resourceId/owners', permission: 'campaigns.read', tag, summary: 'A group\'s or role\'s owners: set in Syncwarden, and as the provider reports them', params: resourceParams, handler: ({ tenantId, params }) => getOwners(rt, tenantId, params['id']!, params['resourceId']!) },
    {
      method: 'PUT', url: '/connections/:id/resources/:resourceId/owners', permission: 'campaigns.manage', tag, summary: 'Replace the owners set in Syncwarden for a group or role (users of this tenant; an empty list clears them); audited with before and after',
      params: resourceParams, body: ownersBodySchema, handler: ({ tenantId, params, body, actor }) => setOwners(rt, tenantId, params['id']!, params['resourceId']!, body, actor),
    },
    { method: 'DELETE', url: '/connections/:id/resources/:resourceId/owners', permission: 'campaigns.manage', tag, summary: 'Clear the owners set in Syncwarden for a group or role (the provider\'s owners stay); audited', params: resourceParams, handler: ({ tenantId, params, actor }) => setOwners(rt, tenantId, params['id']!, params['resourceId']!, { userIds: [] }, actor) },
  ];
}
