import type { Runtime } from '../runtime/context.js';
import { loadPeople } from './people.js';
import { requireCampaign } from './store.js';
import { viewCampaign, viewItems, type CampaignView, type ReviewItemView } from './views.js';
import { z } from 'zod';
import { ACCESS_KINDS } from './input.js';

export const itemsQuery = z.object({
  q: z.string().trim().max(200).optional(),
  reviewer: z.string().optional(),
  decision: z.enum(['approve', 'revoke', 'none']).optional(),
  remediation: z.enum(['none', 'open', 'applying', 'success', 'error', 'manual']).optional(),
  verification: z.enum(['pending', 'verified', 'did_not_stick']).optional(),
  kind: z.enum(ACCESS_KINDS).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional(),
});

/** A campaign's items for its owner and staff (every reviewer's), filterable, keyset-paged by id. */
export async function campaignItems(rt: Runtime, tenantId: string, key: string, query: z.infer<typeof itemsQuery>): Promise<{ items: ReviewItemView[]; nextCursor: string | null }> {
  const c = await requireCampaign(rt, tenantId, key);
  let q = rt.store.db.selectFrom('campaign_items').selectAll().where('tenant_id', '=', tenantId).where('campaign_id', '=', c.id);
  if (query.q) q = q.where('search', 'like', `%${query.q.toLowerCase()}%`);
  if (query.reviewer) q = q.where('reviewer_id', '=', query.reviewer);
  if (query.decision) q = query.decision === 'none' ? q.where('decision', 'is', null) : q.where('decision', '=', query.decision);
  if (query.remediation) q = q.where('remediation', '=', query.remediation);
  if (query.verification) q = q.where('verification', '=', query.verification);
  if (query.kind) q = q.where('kind', '=', query.kind);
  if (query.cursor) q = q.where('id', '>', query.cursor);
  const rows = await q.orderBy('id').limit(query.limit + 1).execute();
  const page = rows.slice(0, query.limit);
  return { items: await viewItems(rt, tenantId, page), nextCursor: rows.length > query.limit ? page[page.length - 1]!.id : null };
}

/** Every item, for the printable report. */
export async function campaignReport(rt: Runtime, tenantId: string, key: string): Promise<{ campaign: CampaignView; items: ReviewItemView[] }> {
  const c = await requireCampaign(rt, tenantId, key);
  const people = await loadPeople(rt, tenantId);
  const items: ReviewItemView[] = [];
  let after = '';
  for (;;) {
    const rows = await rt.store.db.selectFrom('campaign_items').selectAll().where('tenant_id', '=', tenantId).where('campaign_id', '=', c.id).where('id', '>', after).orderBy('id').limit(2_000).execute();
    if (rows.length === 0) break;
    after = rows[rows.length - 1]!.id;
    items.push(...(await viewItems(rt, tenantId, rows, people)));
  }
  return { campaign: await viewCampaign(rt, tenantId, c, people), items };
}

const COLUMNS = ['item', 'person', 'account', 'connection', 'access kind', 'resource', 'privileged', 'via', 'chain', 'recommendation', 'recommendation reasons', 'reviewer', 'decision', 'decided at', 'decided by', 'justification', 'first stage decision', 'closed reason', 'remediation', 'remediation error', 'manual steps', 'verification'];

function cell(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  // Formula injection: a cell starting with = + - @ is text to a spreadsheet.
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export async function campaignReportCsv(rt: Runtime, tenantId: string, key: string): Promise<{ name: string; csv: string }> {
  const { campaign, items } = await campaignReport(rt, tenantId, key);
  const lines = [COLUMNS.join(',')];
  for (const i of items) {
    lines.push([
      i.id, i.identity.displayName, i.account.userName, i.account.connectionName, i.access.kind, i.access.resourceName, i.access.privileged ? 'yes' : 'no', i.access.via, i.access.chain.join(' > '),
      i.recommendation.decision, i.recommendation.reasons.join(' '), i.reviewer?.email ?? '', i.decision ?? '', i.decidedAt ?? '', i.decidedBy?.email ?? (i.closedReason === 'no_response' ? '(default)' : ''), i.justification ?? '',
      i.firstStageDecision ? `${i.firstStageDecision.decision} by ${i.firstStageDecision.by.email}` : '', i.closedReason ?? '', i.remediation, i.remediationError ? `${i.remediationError.code}: ${i.remediationError.message}` : '', i.manualSteps ?? '', i.verification ?? '',
    ].map(cell).join(','));
  }
  return { name: campaign.name, csv: `${lines.join('\r\n')}\r\n` };
}
