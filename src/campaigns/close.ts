import { sql } from 'kysely';
import type { Runtime } from '../runtime/context.js';
import { nowIso } from '../model/ids.js';
import { withDefaults } from './input.js';
import { audit, expectStatus, requireCampaign, type CampaignRow } from './store.js';
import { campaignInput, viewCampaign, type CampaignView } from './views.js';
import { stillInInventory } from './inventory-check.js';
import { applyCampaign } from './apply.js';

const DAY = 86_400_000;

/**
 * Ends the current stage now (an admin, or the deadline). A first stage of two hands every item
 * to its second-stage reviewer with the first decision shown. The last stage closes the
 * campaign: access already gone from the inventory closes as Removed elsewhere, undecided items
 * take the no-response default (keep, revoke, or the recommendation), and revoke decisions
 * become remediations to apply. With `apply`, the apply starts at once (or is held).
 */
export async function closeCampaign(rt: Runtime, tenantId: string, key: string, opts: { apply: boolean }, actor: string): Promise<CampaignView> {
  const c = await requireCampaign(rt, tenantId, key);
  expectStatus(c, ['running'], 'close');
  const input = withDefaults(campaignInput(c));
  const db = rt.store.db;
  const nowMs = rt.now();
  const now = nowIso(nowMs);
  if (Number(c.stages) === 2 && Number(c.stage) === 1) {
    // One transaction: the compare-and-set on the stage (two closes — deadline task and admin —
    // move it once) and the items' hand-over commit together, so a crash never leaves a stage-2
    // campaign whose items are still the first stage's. Set-based: the first decision is kept as
    // JSON built by the database, one statement however many items.
    const deadline = nowIso(nowMs + input.durationDays * DAY);
    const stage1Json = rt.store.dialect === 'postgres'
      ? sql<string>`json_build_object('decision', decision, 'by', decided_by, 'justification', justification)::text`
      : sql<string>`json_object('decision', decision, 'by', decided_by, 'justification', justification)`;
    const decided = await db.transaction().execute(async (trx) => {
      const moved = await trx.updateTable('campaigns').set({ stage: 2, stage_started_at: now, deadline, reminders_sent_json: '[]', escalated_at: null, updated_at: now })
        .where('tenant_id', '=', tenantId).where('id', '=', c.id).where('stage', '=', 1).where('status', '=', 'running').executeTakeFirst();
      if (Number(moved.numUpdatedRows) !== 1) return null;
      const r = await trx.updateTable('campaign_items').set({ stage1_json: stage1Json })
        .where('tenant_id', '=', tenantId).where('campaign_id', '=', c.id).where('decision', 'is not', null).executeTakeFirst();
      await trx.updateTable('campaign_items')
        // An escalation belongs to its stage: the second stage's reviewers start afresh (and can be escalated anew).
        .set((eb) => ({ reviewer_id: eb.fn.coalesce('stage2_reviewer_id', 'stage1_reviewer_id'), escalated_to: null, decision: null, justification: null, decided_at: null, decided_by: null, review_state: 'pending', updated_at: now }))
        .where('tenant_id', '=', tenantId).where('campaign_id', '=', c.id).execute();
      return Number(r.numUpdatedRows);
    });
    if (decided !== null) {
      await audit(rt, tenantId, { severity: 'info', action: 'campaign.stage_closed', actor, target: { type: 'campaign', id: c.id, name: c.name }, message: `Campaign "${c.name}": stage 1 closed with ${decided} decision(s); stage 2 reviewers see them until ${deadline}` });
    }
    return viewCampaign(rt, tenantId, await requireCampaign(rt, tenantId, c.id));
  }
  // `closing` while the items are finalized (paged, with inventory reads: too long for one
  // transaction); `closed` only once they all are. A process that dies in between leaves
  // `closing`, which the deadline task finishes (finishClosing), so no campaign is closed with
  // items still open.
  const claimed = await db.updateTable('campaigns').set({ status: 'closing', closed_at: now, apply_on_close: opts.apply ? 1 : 0, updated_at: now })
    .where('tenant_id', '=', tenantId).where('id', '=', c.id).where('status', '=', 'running').executeTakeFirst();
  if (Number(claimed.numUpdatedRows) !== 1) return viewCampaign(rt, tenantId, await requireCampaign(rt, tenantId, c.id));
  await finishClosing(rt, tenantId, c.id, actor);
  if (opts.apply) return applyCampaign(rt, tenantId, c.id, actor);
  return viewCampaign(rt, tenantId, await requireCampaign(rt, tenantId, c.id));
}

/** Finalizes a `closing` campaign's items (idempotent) and marks it `closed`, audited once. */
export async function finishClosing(rt: Runtime, tenantId: string, campaignId: string, actor: string): Promise<void> {
  const c = await requireCampaign(rt, tenantId, campaignId);
  if (c.status !== 'closing') return;
  const input = withDefaults(campaignInput(c));
  const now = c.closed_at ?? nowIso(rt.now());
  await finalizeItems(rt, tenantId, c, input.noResponse, now);
  const done = await rt.store.db.updateTable('campaigns').set({ status: 'closed', updated_at: nowIso(rt.now()) }).where('tenant_id', '=', tenantId).where('id', '=', c.id).where('status', '=', 'closing').executeTakeFirst();
  if (Number(done.numUpdatedRows) !== 1) return;
  const applying = Number(c.apply_on_close) === 1;
  await audit(rt, tenantId, { severity: 'info', action: 'campaign.closed', actor, target: { type: 'campaign', id: c.id, name: c.name }, message: `Campaign "${c.name}" closed${applying ? ' and applying' : ''}; items without a decision took the default "${input.noResponse}"` });
}

async function finalizeItems(rt: Runtime, tenantId: string, c: CampaignRow, noResponse: 'keep' | 'revoke' | 'recommendation', now: string): Promise<void> {
  const db = rt.store.db;
  // The snapshot rule: access gone from the inventory meanwhile closes as Removed elsewhere.
  let after = '';
  for (;;) {
    const page = await db.selectFrom('campaign_items').select(['id', 'connection_id', 'kind', 'resource_id', 'account_id', 'via', 'via_group_id'])
      .where('tenant_id', '=', tenantId).where('campaign_id', '=', c.id).where('id', '>', after).orderBy('id').limit(5_000).execute();
    if (page.length === 0) break;
    after = page[page.length - 1]!.id;
    const present = await stillInInventory(rt, tenantId, page);
    const gone = page.filter((i) => !present.has(i.id)).map((i) => i.id);
    for (let k = 0; k < gone.length; k += 1000) {
      await db.updateTable('campaign_items').set({ closed_reason: 'removed_elsewhere', review_state: 'closed', remediation: 'none', updated_at: now })
        .where('tenant_id', '=', tenantId).where('id', 'in', gone.slice(k, k + 1000)).execute();
    }
  }
  const justification = `No response by the deadline: the campaign's default (${noResponse === 'keep' ? 'keep the access' : noResponse === 'revoke' ? 'revoke the access' : 'take the recommendation'}).`;
  await db.updateTable('campaign_items')
    .set((eb) => ({ decision: noResponse === 'keep' ? 'approve' : noResponse === 'revoke' ? 'revoke' : eb.ref('recommendation'), justification, decided_at: now, decided_by: null, closed_reason: 'no_response', updated_at: now }))
    .where('tenant_id', '=', tenantId).where('campaign_id', '=', c.id).where('decision', 'is', null).where('closed_reason', 'is', null).execute();
  await db.updateTable('campaign_items').set({ remediation: 'open', updated_at: now })
    .where('tenant_id', '=', tenantId).where('campaign_id', '=', c.id).where('decision', '=', 'revoke').where((eb) => eb.or([eb('closed_reason', 'is', null), eb('closed_reason', '!=', 'removed_elsewhere')])).where('remediation', '=', 'none').execute();
  await db.updateTable('campaign_items').set({ review_state: 'closed', updated_at: now }).where('tenant_id', '=', tenantId).where('campaign_id', '=', c.id).where('review_state', '!=', 'closed').execute();
}
