import { z } from 'zod';
import type { Runtime } from '../../runtime/context.js';
import type { RouteSpec } from '../route.js';
import { createPolicy, createPolicySchema, editPolicy, listPolicyViews, runPolicyNow, setPolicyEnabled, updatePolicySchema } from '../../continuity/policies.js';
import { dashboard, listSyncUsers, syncStatuses, syncUserDetail } from '../../continuity/views.js';

const idParams = z.object({ id: z.string().min(1) });
const syncQuery = z.object({
  status: z.enum(syncStatuses).optional(),
  policyId: z.string().optional(),
  q: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
  offset: z.coerce.number().int().min(0).default(0),
});

export function continuityRoutes(rt: Runtime): RouteSpec[] {
  return [
    { method: 'GET', url: '/policies', tag: 'Policies', summary: 'List policies', handler: async ({ tenantId }) => ({ policies: await listPolicyViews(rt, tenantId) }) },
    { method: 'POST', url: '/policies', tag: 'Policies', summary: 'Create a policy', body: createPolicySchema, status: 201, handler: ({ tenantId, body }) => createPolicy(rt, tenantId, body) },
    { method: 'PATCH', url: '/policies/:id', tag: 'Policies', summary: 'Edit a policy', params: idParams, body: updatePolicySchema, handler: ({ tenantId, params, body }) => editPolicy(rt, tenantId, params['id']!, body) },
    { method: 'POST', url: '/policies/:id/enable', tag: 'Policies', summary: 'Enable a policy', params: idParams, handler: ({ tenantId, params }) => setPolicyEnabled(rt, tenantId, params['id']!, true) },
    { method: 'POST', url: '/policies/:id/disable', tag: 'Policies', summary: 'Disable a policy', params: idParams, handler: ({ tenantId, params }) => setPolicyEnabled(rt, tenantId, params['id']!, false) },
    { method: 'POST', url: '/policies/:id/run', tag: 'Policies', summary: 'Run a sync cycle now', params: idParams, status: 202, handler: async ({ tenantId, params }) => ({ queued: (await runPolicyNow(rt, tenantId, params['id']!)).queued ? 1 : 0 }) },
    { method: 'GET', url: '/sync/users', tag: 'Sync status', summary: 'Per-user sync status, filterable', query: syncQuery, handler: ({ tenantId, query }) => listSyncUsers(rt, tenantId, query as z.infer<typeof syncQuery>) },
    { method: 'GET', url: '/sync/users/:id', tag: 'Sync status', summary: 'One user: status, error, counts, folders and failed items', params: idParams, handler: ({ tenantId, params }) => syncUserDetail(rt, tenantId, params['id']!) },
    { method: 'GET', url: '/dashboard', tag: 'Sync status', summary: 'Counts for the dashboard', handler: ({ tenantId }) => dashboard(rt, tenantId) },
  ];
}
