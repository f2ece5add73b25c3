import { z } from 'zod';
import type { Runtime } from '../../runtime/context.js';
import type { RouteSpec } from '../route.js';
import { createConnectionSchema, updateConnectionSchema } from '../../connections/inputs.js';
import { createConnection, editConnection, listConnectionViews, removeConnection, requireConnection, testConnection, viewConnection } from '../../connections/service.js';

const idParams = z.object({ id: z.string().min(1) });

export function connectionRoutes(rt: Runtime): RouteSpec[] {
  return [
    { method: 'GET', url: '/connections', tag: 'Connections', summary: 'List connections', handler: async ({ tenantId }) => ({ connections: await listConnectionViews(rt, tenantId) }) },
    { method: 'POST', url: '/connections', tag: 'Connections', summary: 'Create a connection', body: createConnectionSchema, status: 201, handler: ({ tenantId, body }) => createConnection(rt, tenantId, body) },
    { method: 'GET', url: '/connections/:id', tag: 'Connections', summary: 'Get a connection', params: idParams, handler: async ({ tenantId, params }) => viewConnection(await requireConnection(rt, tenantId, params['id']!)) },
    { method: 'PATCH', url: '/connections/:id', tag: 'Connections', summary: 'Edit a connection (a credential replaces the stored one)', params: idParams, body: updateConnectionSchema, handler: ({ tenantId, params, body }) => editConnection(rt, tenantId, params['id']!, body) },
    { method: 'DELETE', url: '/connections/:id', tag: 'Connections', summary: 'Delete a connection', params: idParams, status: 204, handler: async ({ tenantId, params }) => { await removeConnection(rt, tenantId, params['id']!); } },
    { method: 'POST', url: '/connections/:id/test', tag: 'Connections', summary: 'Test connection: one finding per prerequisite', params: idParams, handler: ({ tenantId, params }) => testConnection(rt, tenantId, params['id']!) },
  ];
}
