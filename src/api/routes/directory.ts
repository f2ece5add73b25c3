import { z } from 'zod';
import type { Runtime } from '../../runtime/context.js';
import type { RouteSpec } from '../route.js';
import { identityFiltersSchema, identityListSchema, identitiesCsv, listIdentities } from '../../directory/identities/queries.js';
import { identityDetail } from '../../directory/identities/detail.js';
import { setIdentityType, typeOverrideSchema } from '../../directory/identities/type-override.js';
import { explainIdentity } from '../../directory/correlation/explain.js';
import { correlationPending, loadCorrelationSettings, saveCorrelationRules, updateRulesSchema } from '../../directory/correlation/rules.js';
import { directoryStatus, getRun, listDirectoryStatuses, listRuns } from '../../directory/views.js';
import { queueDirectorySync } from '../../directory/jobs.js';
import { approveHeldRemovals, rejectHeldRemovals } from '../../directory/sync/guard.js';
import { invalidInput } from '../../connections/credentials.js';

const idParams = z.object({ id: z.string().min(1) });
const runParams = z.object({ runId: z.string().min(1) });
const explainQuery = z.object({ q: z.string().trim().min(1).max(200) });
const runsQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) });
const syncBody = z.object({ mode: z.enum(['auto', 'full', 'delta']).default('auto') });

/** The identity inventory over HTTP: identities (list, CSV, detail, explain), correlation rules, directory sync status, runs. */
export function directoryRoutes(rt: Runtime): RouteSpec[] {
  return [
    { method: 'GET', url: '/identities', permission: 'directory.read', tag: 'Identities', summary: 'Correlated identities: search, filter by connection, status and type; paged with a total', query: identityListSchema, handler: ({ tenantId, query }) => listIdentities(rt, tenantId, query as z.infer<typeof identityListSchema>) },
    {
      method: 'GET', url: '/identities.csv', permission: 'directory.read', tag: 'Identities', summary: 'Every identity matching the filters, as CSV', query: identityFiltersSchema,
      handler: async ({ tenantId, query, reply }) => {
        const csv = await identitiesCsv(rt, tenantId, query as z.infer<typeof identityFiltersSchema>);
        void reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="identities.csv"');
        return csv;
      },
    },
    { method: 'GET', url: '/identities/explain', permission: 'directory.read', tag: 'Identities', summary: 'Why is an identity missing or duplicated? Accounts per connection, scope exclusions, sync state, and which correlation rule matched or not', query: explainQuery, handler: ({ tenantId, query }) => explainIdentity(rt, tenantId, String(query['q'])) },
    { method: 'GET', url: '/identities/:id', permission: 'directory.read', tag: 'Identities', summary: 'One identity (by id or email): accounts, groups direct and nested, entitlements direct and through groups, credentials', params: idParams, handler: ({ tenantId, params }) => identityDetail(rt, tenantId, params['id']!) },
    { method: 'PUT', url: '/identities/:id/type', permission: 'policies.manage', tag: 'Identities', summary: 'Override what an identity is (person, guest, service) where the providers\' evidence classified it otherwise, or "auto" to follow the evidence again; audited', params: idParams, body: typeOverrideSchema, handler: ({ tenantId, params, body }) => setIdentityType(rt, tenantId, params['id']!, body) },
    { method: 'GET', url: '/directory/correlation', permission: 'directory.read', tag: 'Identities', summary: 'Correlation rules (in precedence order), when identities were last correlated, and whether a correlation is queued or running', handler: async ({ tenantId }) => ({ ...(await loadCorrelationSettings(rt, tenantId)), pending: await correlationPending(rt, tenantId) }) },
    { method: 'PUT', url: '/directory/correlation', permission: 'policies.manage', tag: 'Identities', summary: 'Replace the correlation rules (audited); identities are recomputed by a queued job', body: updateRulesSchema, handler: async ({ tenantId, body, actor }) => ({ ...(await saveCorrelationRules(rt, tenantId, body, actor)), pending: await correlationPending(rt, tenantId) }) },
    { method: 'GET', url: '/directory/connections', permission: 'directory.read', tag: 'Directory', summary: 'Directory sync status of every directory connection', handler: ({ tenantId }) => listDirectoryStatuses(rt, tenantId) },
    { method: 'GET', url: '/connections/:id/directory', permission: 'directory.read', tag: 'Directory', summary: 'Directory sync status of one connection', params: idParams, handler: ({ tenantId, params }) => directoryStatus(rt, tenantId, params['id']!) },
    {
      method: 'POST', url: '/connections/:id/directory/sync', permission: 'sync.run', tag: 'Directory', summary: 'Sync this directory connection now (auto, full or delta)', params: idParams, body: syncBody, status: 202,
      handler: async ({ tenantId, params, body }) => {
        let mode;
        try {
          mode = syncBody.parse(body).mode;
        } catch (e) {
          invalidInput(e);
        }
        await directoryStatus(rt, tenantId, params['id']!); // not found / not a directory connection → its error
        const queued = await queueDirectorySync(rt, tenantId, params['id']!, mode, 'manual');
        return { queued, status: await directoryStatus(rt, tenantId, params['id']!) };
      },
    },
    {
      method: 'POST', url: '/connections/:id/directory/held-removals/approve', permission: 'connections.manage', tag: 'Directory', summary: 'Approve the removals the mass-removal guard held (the held run finishes and removes them; audited)', params: idParams,
      handler: async ({ tenantId, params }) => {
        await approveHeldRemovals(rt, tenantId, params['id']!);
        return directoryStatus(rt, tenantId, params['id']!);
      },
    },
    {
      method: 'POST', url: '/connections/:id/directory/held-removals/reject', permission: 'connections.manage', tag: 'Directory', summary: 'Reject the held removals (the held run ends removing nothing; audited)', params: idParams,
      handler: async ({ tenantId, params }) => {
        await rejectHeldRemovals(rt, tenantId, params['id']!);
        return directoryStatus(rt, tenantId, params['id']!);
      },
    },
    { method: 'GET', url: '/connections/:id/directory/runs', permission: 'directory.read', tag: 'Directory', summary: 'Sync history of a directory connection, newest first', params: idParams, query: runsQuery, handler: async ({ tenantId, params, query }) => ({ items: await listRuns(rt, tenantId, params['id']!, { limit: Number(query['limit']) }) }) },
    { method: 'GET', url: '/directory/runs/:runId', permission: 'directory.read', tag: 'Directory', summary: 'One directory sync run: counts, checks, error, progress', params: runParams, handler: ({ tenantId, params }) => getRun(rt, tenantId, params['runId']!) },
  ];
}
