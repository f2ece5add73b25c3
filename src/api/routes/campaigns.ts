import { z } from 'zod';
import type { Runtime } from '../../runtime/context.js';
import type { RouteSpec } from '../route.js';
import { campaignInputSchema } from '../../campaigns/input.js';
import { previewCampaign } from '../../campaigns/snapshot.js';
import { campaignDetail, cancelCampaign, createCampaign, listCampaigns, startCampaign } from '../../campaigns/lifecycle.js';
import { closeCampaign } from '../../campaigns/close.js';
import { applyCampaign, applyPreview, approveApply, manualDone, retryItem } from '../../campaigns/apply.js';
import { campaignItems, campaignReport, campaignReportCsv, itemsQuery } from '../../campaigns/report.js';
import { requireCampaign, requireItem } from '../../campaigns/store.js';

const idParams = z.object({ id: z.string().min(1) });
const itemParams = z.object({ id: z.string().min(1), itemId: z.string().min(1) });
const listQuery = z.object({ status: z.string().max(200).optional() });
const closeBody = z.object({ apply: z.boolean().default(false) });
const noteBody = z.object({ note: z.string().trim().min(1, 'a note is required').max(2000) });
/**
 * What the OpenAPI document shows; the note is required, but checked after the campaign and
 * item are found, so an id of another tenant answers 404 whatever the body (tenant walk).
 */
const noteBodyDoc = z.object({ note: z.string().max(2000).optional() });

/** Certification campaigns (issue 13; contract /work/briefs/campaigns-api.md). */
export function campaignRoutes(rt: Runtime): RouteSpec[] {
  const tag = 'Certifications';
  return [
    { method: 'GET', url: '/campaigns', permission: 'campaigns.read', tag, summary: 'Certification campaigns, newest first, with progress, remediation and verification totals', query: listQuery, handler: ({ tenantId, query }) => listCampaigns(rt, tenantId, query['status'] as string | undefined) },
    { method: 'POST', url: '/campaigns/preview', permission: 'campaigns.manage', tag, summary: 'What a campaign would review, before it exists: items by kind, reviewers and their load, items without a reviewer (writes nothing)', body: campaignInputSchema, handler: ({ tenantId, body }) => previewCampaign(rt, tenantId, body) },
    { method: 'POST', url: '/campaigns', permission: 'campaigns.manage', tag, summary: 'Create a campaign (draft); audited', body: campaignInputSchema, status: 201, handler: async ({ tenantId, body, principal, actor }) => ({ campaign: await createCampaign(rt, tenantId, body, { userId: principal?.userId ?? null, actor }) }) },
    { method: 'GET', url: '/campaigns/:id', permission: 'campaigns.read', tag, summary: 'One campaign (by id or name) with progress per reviewer', params: idParams, handler: ({ tenantId, params }) => campaignDetail(rt, tenantId, params['id']!) },
    { method: 'POST', url: '/campaigns/:id/start', permission: 'campaigns.manage', tag, summary: 'Start: take the snapshot of access and assign reviewers; audited', params: idParams, handler: async ({ tenantId, params, actor }) => ({ campaign: await startCampaign(rt, tenantId, params['id']!, actor) }) },
    { method: 'POST', url: '/campaigns/:id/close', permission: 'campaigns.manage', tag, summary: 'End the current stage now (the no-response default applies to undecided items); optionally apply at once', params: idParams, body: closeBody, handler: async ({ tenantId, params, body, actor }) => ({ campaign: await closeCampaign(rt, tenantId, params['id']!, closeBody.parse(body), actor) }) },
    { method: 'POST', url: '/campaigns/:id/cancel', permission: 'campaigns.manage', tag, summary: 'Cancel a campaign (nothing more is applied); audited', params: idParams, handler: async ({ tenantId, params, actor }) => ({ campaign: await cancelCampaign(rt, tenantId, params['id']!, actor) }) },
    { method: 'GET', url: '/campaigns/:id/items', permission: 'campaigns.read', tag, summary: 'A campaign\'s items (every reviewer\'s), filterable, keyset-paged', params: idParams, query: itemsQuery, handler: ({ tenantId, params, query }) => campaignItems(rt, tenantId, params['id']!, query as z.infer<typeof itemsQuery>) },
    { method: 'GET', url: '/campaigns/:id/apply-preview', permission: 'campaigns.manage', tag, summary: 'Every revocation the apply would make, per connection and resource: written back or manual, and whether the circuit breaker would hold it', params: idParams, handler: ({ tenantId, params }) => applyPreview(rt, tenantId, params['id']!) },
    { method: 'POST', url: '/campaigns/:id/apply', permission: 'campaigns.manage', tag, summary: 'Apply the revocations (jobs under the shared rate budgets), or hold them for approval when the circuit breaker trips; audited', params: idParams, handler: async ({ tenantId, params, actor }) => ({ campaign: await applyCampaign(rt, tenantId, params['id']!, actor) }) },
    {
      method: 'POST', url: '/campaigns/:id/approve-apply', permission: 'campaigns.manage', tag, summary: 'Approve an apply the circuit breaker held (an admin who reviews none of its items); audited', params: idParams, body: noteBodyDoc,
      handler: async ({ tenantId, params, body, principal, actor }) => {
        await requireCampaign(rt, tenantId, params['id']!);
        return { campaign: await approveApply(rt, tenantId, params['id']!, noteBody.parse(body).note, { userId: principal?.userId ?? '', actor }) };
      },
    },
    { method: 'POST', url: '/campaigns/:id/items/:itemId/retry', permission: 'campaigns.manage', tag, summary: 'Retry a revocation that failed', params: itemParams, handler: ({ tenantId, params, actor }) => retryItem(rt, tenantId, params['id']!, params['itemId']!, actor) },
    { method: 'POST', url: '/campaigns/:id/items/:itemId/manual-done', permission: 'campaigns.manage', tag, summary: 'Mark a manual revocation as done (verified by the next sync)', params: itemParams, body: noteBodyDoc,
      handler: async ({ tenantId, params, body, actor }) => {
        await requireItem(rt, tenantId, params['itemId']!, (await requireCampaign(rt, tenantId, params['id']!)).id);
        return manualDone(rt, tenantId, params['id']!, params['itemId']!, noteBody.parse(body).note, actor);
      },
    },
    { method: 'GET', url: '/campaigns/:id/report', permission: 'campaigns.read', tag, summary: 'The campaign report: every item with reviewer, decision, time, justification, recommendation, remediation and verification', params: idParams, handler: ({ tenantId, params }) => campaignReport(rt, tenantId, params['id']!) },
    {
      method: 'GET', url: '/campaigns/:id/report.csv', permission: 'campaigns.read', tag, summary: 'The campaign report as CSV', params: idParams,
      handler: async ({ tenantId, params, reply }) => {
        const { name, csv } = await campaignReportCsv(rt, tenantId, params['id']!);
        const file = `${name.replace(/[^\w.-]+/g, '-').slice(0, 80) || 'campaign'}-report.csv`;
        void reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${file}"`);
        return csv;
      },
    },
  ];
}
