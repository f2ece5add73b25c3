import { z } from 'zod';
import type { Runtime } from '../../runtime/context.js';
import type { RouteSpec } from '../route.js';
import { declareOutage, dismissFailover, failoverHistory, openFailoverViews, startRecovery, viewFailover, latestFailover, requireFailover, probeSource, openFailover } from '../../continuity/failover/failover.js';
import { loadFailoverSettings, saveFailoverSettings, failoverSettingsSchema } from '../../continuity/failover/settings.js';
import { recoveryItems, recoveryReport, recoveryReportCsv } from '../../continuity/failover/report.js';
import { requirePolicy } from '../../continuity/policies.js';
import { AppError } from '../../errors/index.js';

const idParams = z.object({ id: z.string().min(1) });
const userParams = z.object({ id: z.string().min(1), recoveryUserId: z.string().min(1) });
const declareBody = z.object({ since: z.iso.datetime({ offset: true }).optional(), reason: z.string().trim().max(500).optional() });
const reportQuery = z.object({ failoverId: z.string().optional(), status: z.enum(['pending', 'recovering', 'throttled', 'recovered', 'failed']).optional(), q: z.string().max(200).optional() });
const itemsQuery = z.object({ state: z.enum(['found', 'pending', 'written', 'skipped', 'failed']).optional(), limit: z.coerce.number().int().min(1).max(1000).default(200), offset: z.coerce.number().int().min(0).default(0) });
const csvQuery = z.object({ failoverId: z.string().optional() });

/** Failover and reverse recovery over HTTP (docs/api.md, "Failover and recovery"). */
export function failoverRoutes(rt: Runtime): RouteSpec[] {
  return [
    { method: 'GET', url: '/failovers', permission: 'sync.read', tag: 'Failover', summary: 'Open failovers (outages declared or proposed, recoveries running) with their banners', handler: async ({ tenantId }) => ({ failovers: await openFailoverViews(rt, tenantId) }) },
    {
      method: 'GET', url: '/policies/:id/failover', permission: 'sync.read', tag: 'Failover', summary: "The policy's failover: the current (or last) one, its history and settings", params: idParams,
      handler: async ({ tenantId, params }) => {
        const policy = await requirePolicy(rt, tenantId, params['id']!);
        const last = await latestFailover(rt, tenantId, policy.id);
        return { current: last ? await viewFailover(rt, tenantId, last) : null, history: await failoverHistory(rt, tenantId, policy.id), settings: await loadFailoverSettings(rt, tenantId, policy.id) };
      },
    },
    {
      method: 'PATCH', url: '/policies/:id/failover/settings', permission: 'policies.manage', tag: 'Failover', summary: 'Failover settings: propose after N minutes of outage; start recovery by itself after N minutes healthy', params: idParams, body: failoverSettingsSchema.partial(),
      handler: async ({ actor, tenantId, params, body }) => {
        const policy = await requirePolicy(rt, tenantId, params['id']!);
        return saveFailoverSettings(rt, tenantId, policy.id, policy.name, body, actor);
      },
    },
    {
      method: 'POST', url: '/policies/:id/failover/declare', permission: 'policies.manage', tag: 'Failover', summary: 'Declare a Microsoft 365 outage (or confirm a proposal): users work in Google Workspace; the change markers for recovery are recorded', params: idParams, body: declareBody, status: 201,
      handler: async ({ actor, tenantId, params, body }) => {
        const b = declareBody.parse(body);
        return viewFailover(rt, tenantId, await declareOutage(rt, tenantId, params['id']!, { since: b.since, reason: b.reason }, actor));
      },
    },
    { method: 'POST', url: '/policies/:id/failover/end', permission: 'policies.manage', tag: 'Failover', summary: 'Dismiss a proposal, or end an outage without recovery (the mail of the outage stays in Google Workspace only)', params: idParams, handler: async ({ actor, tenantId, params }) => viewFailover(rt, tenantId, await dismissFailover(rt, tenantId, params['id']!, actor)) },
    {
      method: 'POST', url: '/policies/:id/failover/probe', permission: 'sync.run', tag: 'Failover', summary: 'Probe Microsoft 365 now (one cheap mail request)', params: idParams,
      handler: async ({ tenantId, params }) => {
        const policy = await requirePolicy(rt, tenantId, params['id']!);
        const fo = await openFailover(rt, tenantId, policy.id);
        if (!fo || fo.state !== 'active') throw new AppError('failover.not_active', { policy: policy.name, action: 'probe' });
        await probeSource(rt, tenantId, fo);
        return viewFailover(rt, tenantId, await requireFailover(rt, tenantId, fo.id));
      },
    },
    { method: 'POST', url: '/policies/:id/failover/recover', permission: 'policies.manage', tag: 'Failover', summary: "Start recovery: write the outage's mail back to Microsoft 365 (needs the source healthy and write-back consented)", params: idParams, status: 202, handler: async ({ actor, tenantId, params }) => viewFailover(rt, tenantId, await startRecovery(rt, tenantId, params['id']!, actor)) },
    { method: 'GET', url: '/policies/:id/recovery', permission: 'sync.read', tag: 'Failover', summary: 'The recovery report: totals and each user (Recovering with progress, Recovered, Failed with its code)', params: idParams, query: reportQuery, handler: ({ tenantId, params, query }) => recoveryReport(rt, tenantId, params['id']!, query as z.infer<typeof reportQuery>) },
    {
      method: 'GET', url: '/policies/:id/recovery.csv', permission: 'sync.read', tag: 'Failover', summary: 'The recovery report as CSV: one line per message (written back, skipped and why, failed and the code)', params: idParams, query: csvQuery,
      handler: async ({ tenantId, params, query, reply }) => {
        const csv = await recoveryReportCsv(rt, tenantId, params['id']!, (query as z.infer<typeof csvQuery>).failoverId);
        void reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="recovery-report.csv"');
        return csv;
      },
    },
    { method: 'GET', url: '/policies/:id/recovery/users/:recoveryUserId/items', permission: 'sync.read', tag: 'Failover', summary: "One user's recovered messages, filterable by outcome", params: userParams, query: itemsQuery, handler: ({ tenantId, params, query }) => recoveryItems(rt, tenantId, params['id']!, params['recoveryUserId']!, query as z.infer<typeof itemsQuery>) },
  ];
}
