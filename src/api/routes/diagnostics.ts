import { z } from 'zod';
import type { Runtime } from '../../runtime/context.js';
import type { RouteSpec } from '../route.js';
import { credentialInventory, inventoryQuery } from '../../connections/inventory.js';
import { listIncidentViews, requireIncident } from '../../diagnostics/incidents.js';
import { createChannel, createChannelSchema, editChannel, listChannelViews, removeChannel, requireChannel, updateChannelSchema, viewChannel } from '../../notify/channels.js';
import { listAlertViews, sendTestAlert } from '../../notify/outbox.js';

/** The credential expiry inventory, incidents, and alert channels (issue 4). */
const idParams = z.object({ id: z.string().min(1) });
const incidentQuery = z.object({
  state: z.enum(['open', 'resolved']).optional(),
  connectionId: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});
const alertsQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) });

export function diagnosticsRoutes(rt: Runtime): RouteSpec[] {
  return [
    {
      method: 'GET', url: '/credentials', permission: 'credentials.read', tag: 'Credentials', summary: 'Expiry inventory: every credential in use or pending, soonest expiry first', query: inventoryQuery,
      handler: async ({ tenantId, query }) => ({ credentials: await credentialInventory(rt, tenantId, query as z.infer<typeof inventoryQuery>) }),
    },
    {
      method: 'GET', url: '/incidents', permission: 'sync.read', tag: 'Incidents', summary: 'Connection incidents, newest first (open and resolved)', query: incidentQuery,
      handler: async ({ tenantId, query }) => ({ incidents: await listIncidentViews(rt, tenantId, query as z.infer<typeof incidentQuery>) }),
    },
    {
      method: 'GET', url: '/incidents/:id', permission: 'sync.read', tag: 'Incidents', summary: 'One incident: since when, what is affected, the fix', params: idParams,
      handler: ({ tenantId, params }) => requireIncident(rt, tenantId, params['id']!),
    },
    {
      method: 'GET', url: '/alerts/channels', permission: 'alerts.read', tag: 'Alerts', summary: 'Alert channels (email, webhook); secrets are never returned',
      handler: async ({ tenantId }) => ({ channels: await listChannelViews(rt, tenantId) }),
    },
    {
      method: 'POST', url: '/alerts/channels', permission: 'alerts.manage', tag: 'Alerts', summary: 'Add an alert channel', body: createChannelSchema, status: 201,
      handler: ({ tenantId, body }) => createChannel(rt, tenantId, body),
    },
    {
      method: 'GET', url: '/alerts/channels/:id', permission: 'alerts.read', tag: 'Alerts', summary: 'One alert channel', params: idParams,
      handler: async ({ tenantId, params }) => viewChannel(await requireChannel(rt, tenantId, params['id']!)),
    },
    {
      method: 'PATCH', url: '/alerts/channels/:id', permission: 'alerts.manage', tag: 'Alerts', summary: 'Edit an alert channel (a blank password or secret keeps the stored one)', params: idParams, body: updateChannelSchema,
      handler: ({ tenantId, params, body }) => editChannel(rt, tenantId, params['id']!, body),
    },
    {
      method: 'DELETE', url: '/alerts/channels/:id', permission: 'alerts.manage', tag: 'Alerts', summary: 'Delete an alert channel', params: idParams, status: 204,
      handler: async ({ tenantId, params }) => {
        await removeChannel(rt, tenantId, params['id']!);
      },
    },
    {
      method: 'POST', url: '/alerts/channels/:id/test', permission: 'alerts.manage', tag: 'Alerts', summary: 'Send test alert', params: idParams,
      handler: ({ tenantId, params }) => sendTestAlert(rt, tenantId, params['id']!),
    },
    {
      method: 'GET', url: '/alerts', permission: 'alerts.read', tag: 'Alerts', summary: 'Alerts sent or queued, newest first', query: alertsQuery,
      handler: async ({ tenantId, query }) => ({ alerts: await listAlertViews(rt, tenantId, (query as z.infer<typeof alertsQuery>).limit) }),
    },
  ];
}
