import { z } from 'zod';
import type { Runtime } from '../../runtime/context.js';
import type { RouteSpec } from '../route.js';
import { cursorField } from '../../store/keyset.js';
import { approveHeldCycle, createPolicy, createPolicySchema, editPolicy, listPolicyViews, rejectHeldCycle, requirePolicy, runPolicyNow, setPolicyEnabled, updatePolicySchema, viewPolicy } from '../../continuity/policies.js';
import { dashboard, listSyncUsers, listUserItems, syncStatuses, syncUserDetail } from '../../continuity/views.js';
import { previewPolicy, previewSchema } from '../../continuity/preview.js';
import { explainUser } from '../../continuity/explain.js';
import { reconcileUser } from '../../continuity/reconcile.js';
import { retryFailedItems, retryUserNow } from '../../continuity/actions.js';
import { loadBudgets, saveBudgets, updateBudgetsSchema } from '../../continuity/budgets.js';

const idParams = z.object({ id: z.string().min(1) });
const syncQuery = z.object({
  status: z.enum(syncStatuses).optional(),
  policyId: z.string().optional(),
  q: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
  cursor: cursorField,
});
const itemsQuery = z.object({
  state: z.enum(['failed', 'pending', 'imported']).default('failed'),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
  cursor: cursorField,
});
const retryBody = z.object({ sourceItemIds: z.array(z.string().min(1)).max(10_000).optional() });

export function continuityRoutes(rt: Runtime): RouteSpec[] {
  return [
    { method: 'GET', url: '/policies', permission: 'sync.read', tag: 'Policies', summary: 'List policies', handler: async ({ tenantId }) => ({ policies: await listPolicyViews(rt, tenantId) }) },
    { method: 'POST', url: '/policies', permission: 'policies.manage', tag: 'Policies', summary: 'Create a policy', body: createPolicySchema, status: 201, handler: ({ tenantId, body }) => createPolicy(rt, tenantId, body) },
    {
      method: 'POST', url: '/policies/preview', permission: 'policies.manage', tag: 'Policies', body: previewSchema,
      summary: 'Preview a policy (or a change to one) before saving: users added and removed, Google accounts to be created or scheduled for deletion',
      handler: ({ tenantId, body }) => previewPolicy(rt, tenantId, body),
    },
    { method: 'GET', url: '/policies/:id', permission: 'sync.read', tag: 'Policies', summary: 'Get a policy', params: idParams, handler: async ({ tenantId, params }) => viewPolicy(await requirePolicy(rt, tenantId, params['id']!)) },
    { method: 'PATCH', url: '/policies/:id', permission: 'policies.manage', tag: 'Policies', summary: 'Edit a policy', params: idParams, body: updatePolicySchema, handler: ({ tenantId, params, body }) => editPolicy(rt, tenantId, params['id']!, body) },
    { method: 'POST', url: '/policies/:id/enable', permission: 'policies.manage', tag: 'Policies', summary: 'Enable a policy', params: idParams, handler: ({ tenantId, params }) => setPolicyEnabled(rt, tenantId, params['id']!, true) },
    { method: 'POST', url: '/policies/:id/disable', permission: 'policies.manage', tag: 'Policies', summary: 'Disable a policy', params: idParams, handler: ({ tenantId, params }) => setPolicyEnabled(rt, tenantId, params['id']!, false) },
    { method: 'POST', url: '/policies/:id/run', permission: 'sync.run', tag: 'Policies', summary: 'Run a sync cycle now', params: idParams, status: 202, handler: async ({ tenantId, params }) => ({ queued: (await runPolicyNow(rt, tenantId, params['id']!)).queued ? 1 : 0 }) },
    { method: 'POST', url: '/policies/:id/held-cycle/approve', permission: 'policies.manage', tag: 'Policies', summary: 'Approve a cycle held by the mass-deletion guard (its removals are applied)', params: idParams, handler: ({ tenantId, params }) => approveHeldCycle(rt, tenantId, params['id']!) },
    { method: 'POST', url: '/policies/:id/held-cycle/reject', permission: 'policies.manage', tag: 'Policies', summary: 'Reject a held cycle (nothing is removed)', params: idParams, handler: ({ tenantId, params }) => rejectHeldCycle(rt, tenantId, params['id']!) },
    { method: 'GET', url: '/sync/users', permission: 'sync.read', tag: 'Sync status', summary: 'Per-user sync status, filterable', query: syncQuery, handler: ({ tenantId, query }) => listSyncUsers(rt, tenantId, query as z.infer<typeof syncQuery>) },
    { method: 'GET', url: '/sync/users/:id', permission: 'sync.read', tag: 'Sync status', summary: 'One user (by id or address): status, error, counts and folders with their last reconciliation', params: idParams, handler: ({ tenantId, params }) => syncUserDetail(rt, tenantId, params['id']!) },
    { method: 'GET', url: '/sync/users/:id/items', permission: 'sync.read', tag: 'Sync status', summary: 'The items view: failed (or pending, imported) items with their error codes', params: idParams, query: itemsQuery, handler: ({ tenantId, params, query }) => listUserItems(rt, tenantId, params['id']!, query as z.infer<typeof itemsQuery>) },
    { method: 'POST', url: '/sync/users/:id/retry-failed', permission: 'sync.run', tag: 'Sync status', summary: 'Retry failed items (all, or the ones named)', params: idParams, body: retryBody, status: 202, handler: ({ tenantId, params, body }) => retryFailedItems(rt, tenantId, params['id']!, retryBody.parse(body).sourceItemIds) },
    { method: 'POST', url: '/sync/users/:id/retry', permission: 'sync.run', tag: 'Sync status', summary: 'Sync this user now (also lifts the wait of a quarantined user)', params: idParams, status: 202, handler: ({ tenantId, params }) => retryUserNow(rt, tenantId, params['id']!) },
    { method: 'GET', url: '/sync/users/:id/explain', permission: 'sync.read', tag: 'Sync status', summary: "Why isn't this user syncing? Policy match, destination account, connections, last error", params: idParams, handler: ({ tenantId, params }) => explainUser(rt, tenantId, params['id']!) },
    { method: 'POST', url: '/sync/users/:id/reconcile', permission: 'sync.run', tag: 'Sync status', summary: 'Reconcile source and destination per folder, classifying every gap', params: idParams, handler: ({ tenantId, params }) => reconcileUser(rt, tenantId, params['id']!) },
    { method: 'GET', url: '/dashboard', permission: 'overview.read', tag: 'Sync status', summary: 'Dashboard figures: data and users synced, changes in 24 h, failed users, oldest successful sync', handler: ({ tenantId }) => dashboard(rt, tenantId) },
    { method: 'GET', url: '/continuity/budgets', permission: 'sync.read', tag: 'Policies', summary: 'Rate budgets (source mailbox, destination user and project)', handler: ({ tenantId }) => loadBudgets(rt, tenantId) },
    { method: 'PATCH', url: '/continuity/budgets', permission: 'policies.manage', tag: 'Policies', summary: 'Change rate budgets (to the provider quotas you have)', body: updateBudgetsSchema, handler: ({ tenantId, body }) => saveBudgets(rt, tenantId, body) },
  ];
}
