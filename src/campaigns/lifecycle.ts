import { sql } from 'kysely';
import type { Runtime } from '../runtime/context.js';
import { AppError } from '../errors/index.js';
import { newId, nowIso } from '../model/ids.js';
import { campaignInputSchema, CAMPAIGN_STATUSES, type CampaignInput } from './input.js';
import { writeSnapshot, type SnapshotTotals } from './snapshot-sql.js';
import { loadPeople, personOf, type Person } from './people.js';
import { audit, expectStatus, requireCampaign, type CampaignRow } from './store.js';
import { campaignInput, viewCampaign, type CampaignView } from './views.js';
import { requireConnection } from '../connections/service.js';
import { nextOccurrenceAt, seriesStartMs } from './recurrence.js';

const DAY = 86_400_000;

async function validate(rt: Runtime, tenantId: string, input: CampaignInput): Promise<void> {
  for (const id of input.connectionIds) {
    const row = await requireConnection(rt, tenantId, id);
    if (row.role !== 'directory') throw new AppError('directory.not_directory', { name: row.name, role: row.role.replace(/_/g, ' ') });
  }
  const people = await loadPeople(rt, tenantId);
  const users = [input.reviewers.fallbackUserId, ...(input.reviewers.userIds ?? []), ...(input.secondStage?.userIds ?? []), ...(input.ownerUserId ? [input.ownerUserId] : [])];
  for (const u of users) if (!people.byId.has(u)) throw new AppError('campaigns.no_reviewer', { user: u, detail: 'no user of this tenant has this id' });
}

/** A new campaign in draft: its settings checked (connections are directories, reviewers are users). */
export async function createCampaign(rt: Runtime, tenantId: string, body: unknown, by: { userId: string | null; actor: string }): Promise<CampaignView> {
  const input = campaignInputSchema.parse(body);
  await validate(rt, tenantId, input);
  const now = rt.now();
  const id = newId('camp', now);
  const owner = input.ownerUserId ?? by.userId ?? input.reviewers.fallbackUserId;
  await rt.store.db.insertInto('campaigns').values({
    tenant_id: tenantId, id, name: input.name, owner_user_id: owner, status: 'draft', stage: 1, stages: input.secondStage ? 2 : 1,
    input_json: JSON.stringify({ ...input, ownerUserId: owner }), series_id: id, occurrence: 1, next_start_at: null, created_by: by.actor, created_at: nowIso(now),
    started_at: null, stage_started_at: null, deadline: null, closed_at: null, applied_at: null, verified_at: null, apply_on_close: 0, reminders_sent_json: '[]', escalated_at: null, updated_at: nowIso(now),
  }).execute();
  await audit(rt, tenantId, { severity: 'info', action: 'campaign.created', actor: by.actor, target: { type: 'campaign', id, name: input.name }, message: `Campaign "${input.name}" created (draft) over ${input.connectionIds.length} connection(s), kinds ${input.kinds.join(', ')}` });
  return viewCampaign(rt, tenantId, await requireCampaign(rt, tenantId, id));
}

export async function listCampaigns(rt: Runtime, tenantId: string, status?: string): Promise<{ campaigns: CampaignView[] }> {
  let q = rt.store.db.selectFrom('campaigns').selectAll().where('tenant_id', '=', tenantId);
  if (status) {
    const wanted = status.split(',').filter((s) => (CAMPAIGN_STATUSES as readonly string[]).includes(s));
    if (wanted.length > 0) q = q.where('status', 'in', wanted);
  }
  const rows = await q.orderBy('created_at', 'desc').limit(500).execute();
  const people = await loadPeople(rt, tenantId);
  const out: CampaignView[] = [];
  for (const r of rows) out.push(await viewCampaign(rt, tenantId, r, people));
  return { campaigns: out };
}

export interface ReviewerProgress { reviewer: Person; total: number; decided: number; open: number }

export async function reviewerProgress(rt: Runtime, tenantId: string, campaignId: string): Promise<ReviewerProgress[]> {
  const rows = await sql<{ reviewer_id: string | null; total: number; decided: number; open: number }>`
    SELECT reviewer_id, COUNT(*) AS total,
      SUM(CASE WHEN decision IS NOT NULL THEN 1 ELSE 0 END) AS decided,
      SUM(CASE WHEN decision IS NULL AND closed_reason IS NULL THEN 1 ELSE 0 END) AS open
    FROM campaign_items WHERE tenant_id = ${tenantId} AND campaign_id = ${campaignId} GROUP BY reviewer_id`.execute(rt.store.db);
  const people = await loadPeople(rt, tenantId);
  return rows.rows
    .map((r) => ({ reviewer: personOf(people, r.reviewer_id) ?? { userId: '', email: '', displayName: '(no reviewer)' }, total: Number(r.total), decided: Number(r.decided ?? 0), open: Number(r.open ?? 0) }))
    .sort((a, b) => b.open - a.open || a.reviewer.email.localeCompare(b.reviewer.email));
}

export async function campaignDetail(rt: Runtime, tenantId: string, key: string): Promise<{ campaign: CampaignView; reviewers: ReviewerProgress[] }> {
  const c = await requireCampaign(rt, tenantId, key);
  return { campaign: await viewCampaign(rt, tenantId, c), reviewers: await reviewerProgress(rt, tenantId, c.id) };
}

/**
 * Start: the snapshot. The scope is read now and written as items (access granted later waits
 * for the next campaign); the deadline is now + durationDays; a recurring campaign learns when
 * its next occurrence starts. Compare-and-set on the draft status, so two starts make one snapshot.
 */
export async function startCampaign(rt: Runtime, tenantId: string, key: string, actor: string): Promise<CampaignView> {
  const c = await requireCampaign(rt, tenantId, key);
  expectStatus(c, ['draft'], 'start');
  const input = campaignInput(c);
  const nowMs = rt.now();
  const now = nowIso(nowMs);
  const claimed = await rt.store.db.updateTable('campaigns').set({ status: 'starting', updated_at: now }).where('tenant_id', '=', tenantId).where('id', '=', c.id).where('status', '=', 'draft').executeTakeFirst();
  if (Number(claimed.numUpdatedRows) !== 1) throw new AppError('campaigns.invalid_state', { name: c.name, status: 'starting', action: 'start', allowed: 'draft' });
  let totals: SnapshotTotals;
  const undo = async () => {
    await rt.store.db.deleteFrom('campaign_items').where('tenant_id', '=', tenantId).where('campaign_id', '=', c.id).execute();
    await rt.store.db.updateTable('campaigns').set({ status: 'draft' }).where('tenant_id', '=', tenantId).where('id', '=', c.id).execute();
  };
  try {
    const t0 = performance.now();
    totals = await writeSnapshot(rt, tenantId, c.id, input, nowMs);
    rt.log.debug({ ms: Math.round(performance.now() - t0), items: totals.items }, 'campaign snapshot written');
  } catch (e) {
    await undo();
    throw e;
  }
  // An empty scope is refused (nothing was written); the campaign stays a draft to be edited.
  if (totals.items === 0) {
    await undo();
    throw new AppError('campaigns.no_scope', { name: c.name, detail: '' });
  }
  const deadline = nowIso(nowMs + input.durationDays * DAY);
  const next = nextOccurrenceAt(input, await seriesStartMs(rt, tenantId, c.series_id, c.id, nowMs), Number(c.occurrence), nowMs);
  await rt.store.db.updateTable('campaigns').set({ status: 'running', started_at: now, stage_started_at: now, deadline, next_start_at: next ? nowIso(next) : null, reminders_sent_json: '[]', updated_at: now })
    .where('tenant_id', '=', tenantId).where('id', '=', c.id).execute();
  await audit(rt, tenantId, { severity: 'info', action: 'campaign.started', actor, target: { type: 'campaign', id: c.id, name: c.name }, message: `Campaign "${c.name}" started: snapshot of ${totals.items} item(s), ${totals.assigned} assigned to reviewers, deadline ${deadline}` });
  return viewCampaign(rt, tenantId, await requireCampaign(rt, tenantId, c.id));
}

export async function cancelCampaign(rt: Runtime, tenantId: string, key: string, actor: string): Promise<CampaignView> {
  const c = await requireCampaign(rt, tenantId, key);
  expectStatus(c, ['draft', 'running', 'closed', 'held'], 'cancel');
  const now = nowIso(rt.now());
  await rt.store.db.updateTable('campaigns').set({ status: 'cancelled', closed_at: c.closed_at ?? now, next_start_at: null, updated_at: now }).where('tenant_id', '=', tenantId).where('id', '=', c.id).execute();
  await rt.store.db.updateTable('campaign_items').set({ review_state: 'closed', updated_at: now }).where('tenant_id', '=', tenantId).where('campaign_id', '=', c.id).where('review_state', '!=', 'closed').execute();
  await rt.store.db.updateTable('campaign_items').set({ remediation: 'none', updated_at: now }).where('tenant_id', '=', tenantId).where('campaign_id', '=', c.id).where('remediation', '=', 'open').execute();
  await audit(rt, tenantId, { severity: 'warning', action: 'campaign.cancelled', actor, target: { type: 'campaign', id: c.id, name: c.name }, message: `Campaign "${c.name}" cancelled (was ${c.status}); nothing more is applied` });
  return viewCampaign(rt, tenantId, await requireCampaign(rt, tenantId, c.id));
}

export type { CampaignRow };
