import type { Runtime } from '../runtime/context.js';
import { AppError, definitionOf, renderError, toAppError, isErrorCode } from '../errors/index.js';
import { enqueue } from '../engine/jobs.js';
import { newId, nowIso } from '../model/ids.js';
import { fromJson } from '../store/json.js';
import { openDirectorySource, requireConnection } from '../connections/service.js';
import { viewConnection } from '../connections/views.js';
import { directoryGate } from '../directory/sync/budgets.js';
import type { DirectorySource } from '../connectors/sdk/directory.js';
import { withDefaults } from './input.js';
import { addHistory, audit, expectStatus, requireCampaign, requireItem, type CampaignRow, type ItemRow } from './store.js';
import { campaignInput, currentHold, viewCampaign, viewItems, type CampaignView, type HeldReason, type ReviewItemView } from './views.js';
import { manualStepsFor, planItem, type Plan } from './remediation-plan.js';

export const APPLY_JOB = 'campaign.apply';
const MEMBERSHIP_KINDS = new Set(['group_membership', 'aws_group_membership', 'scim_group_membership']);
/** An apply job works this long, then yields (the worker's queue stays fair). */
const SLICE_MS = 20_000;
/** Revocations in flight at once per connection job. */
const APPLY_CONCURRENCY = 16;

interface ConnInfo {
  id: string;
  name: string;
  kind: string;
  writeBack: boolean;
  ruleBased: Set<string>;
  groupName: (id: string) => string;
}

async function connectionInfo(rt: Runtime, tenantId: string, connectionId: string, groupIds: string[]): Promise<ConnInfo> {
  const row = await requireConnection(rt, tenantId, connectionId);
  const names = new Map<string, string>();
  const ruleBased = new Set<string>();
  const ids = [...new Set(groupIds)];
  for (let i = 0; i < ids.length; i += 1000) {
    for (const g of await rt.store.db.selectFrom('dir_groups').select(['external_id', 'display_name', 'attributes_json']).where('tenant_id', '=', tenantId).where('connection_id', '=', connectionId).where('external_id', 'in', ids.slice(i, i + 1000)).execute()) {
      names.set(g.external_id, g.display_name);
      const a = fromJson<Record<string, unknown>>(g.attributes_json, {});
      const types = a['groupTypes'];
      if (a['membershipRule'] || a['dynamic'] === true || (Array.isArray(types) && types.includes('DynamicMembership')) || (typeof types === 'string' && types.includes('DynamicMembership'))) ruleBased.add(g.external_id);
    }
  }
  return { id: row.id, name: row.name, kind: row.kind, writeBack: Number(row.write_back) === 1, ruleBased, groupName: (id) => names.get(id) ?? id };
}

type PlannedItem = { item: ItemRow; plan: Plan; conn: ConnInfo };

async function planOpenItems(rt: Runtime, tenantId: string, campaignId: string, states: string[] = ['open']): Promise<PlannedItem[]> {
  const items = await rt.store.db.selectFrom('campaign_items').selectAll().where('tenant_id', '=', tenantId).where('campaign_id', '=', campaignId).where('remediation', 'in', states).orderBy('id').execute();
  const byConn = new Map<string, ItemRow[]>();
  for (const i of items) byConn.set(i.connection_id, [...(byConn.get(i.connection_id) ?? []), i]);
  const out: PlannedItem[] = [];
  for (const [connectionId, list] of byConn) {
    const conn = await connectionInfo(rt, tenantId, connectionId, list.flatMap((i) => [i.resource_id, ...(i.via_group_id ? [i.via_group_id] : [])]));
    for (const item of list) out.push({ item, conn, plan: planItem(item, conn) });
  }
  return out;
}

const MANUAL_WHY: Record<string, string> = {
  no_consent: 'no write-back consent on the connection',
  via_group: 'held through a group: the membership to revoke is named in the steps',
  rule_based: 'a rule-based group, whose members cannot be removed one by one',
  unsupported: 'the connector cannot remove this kind of access',
};

export interface ApplyPreview {
  total: number;
  writeBack: number;
  manual: number;
  byConnection: { connectionId: string; connectionName: string; resources: { resourceName: string; kind: string; revoking: number; writeBack: boolean; manualReason: string | null }[] }[];
  wouldHold: { reasons: HeldReason[] } | null;
}

export async function applyPreview(rt: Runtime, tenantId: string, key: string): Promise<ApplyPreview> {
  const c = await requireCampaign(rt, tenantId, key);
  const planned = await planOpenItems(rt, tenantId, c.id, c.status === 'running' ? ['none'] : ['open']);
  // A running campaign previews what its decisions so far would revoke.
  const list = c.status === 'running' ? planned.filter((p) => p.item.decision === 'revoke') : planned;
  const byConnection = new Map<string, ApplyPreview['byConnection'][number]>();
  for (const p of list) {
    let conn = byConnection.get(p.conn.id);
    if (!conn) byConnection.set(p.conn.id, (conn = { connectionId: p.conn.id, connectionName: p.conn.name, resources: [] }));
    const manualReason = p.plan.writeBack ? null : MANUAL_WHY[p.plan.reason]!;
    let r = conn.resources.find((x) => x.resourceName === p.item.resource_name && x.kind === p.item.kind && x.writeBack === p.plan.writeBack && x.manualReason === manualReason);
    if (!r) conn.resources.push((r = { resourceName: p.item.resource_name, kind: p.item.kind, revoking: 0, writeBack: p.plan.writeBack, manualReason }));
    r.revoking++;
  }
  const reasons = await breakerReasons(rt, tenantId, c, list);
  const writeBack = list.filter((p) => p.plan.writeBack).length;
  return { total: list.length, writeBack, manual: list.length - writeBack, byConnection: [...byConnection.values()], wouldHold: reasons.length > 0 ? { reasons } : null };
}

/**
 * The circuit breaker: an apply that would remove more than `maxShareOfResource` of one group's
 * or role's direct holders, or more than `maxPerConnection` grants on one connection, waits for
 * an admin. Counts only what would be written back (manual steps are a person's own act).
 */
export async function breakerReasons(rt: Runtime, tenantId: string, c: CampaignRow, planned: PlannedItem[]): Promise<HeldReason[]> {
  const { breaker } = withDefaults(campaignInput(c));
  const db = rt.store.db;
  const reasons: HeldReason[] = [];
  const perResource = new Map<string, { conn: ConnInfo; item: ItemRow; n: number }>();
  const perConn = new Map<string, { conn: ConnInfo; n: number }>();
  for (const p of planned) {
    if (!p.plan.writeBack) continue;
    const k = `${p.conn.id}\u0001${p.item.kind}\u0001${p.item.resource_id}`;
    const r = perResource.get(k) ?? { conn: p.conn, item: p.item, n: 0 };
    r.n++;
    perResource.set(k, r);
    const pc = perConn.get(p.conn.id) ?? { conn: p.conn, n: 0 };
    pc.n++;
    perConn.set(p.conn.id, pc);
  }
  for (const { conn, item, n } of perResource.values()) {
    if (item.kind === 'aws_access_key') continue;
    const of = MEMBERSHIP_KINDS.has(item.kind)
      ? Number((await db.selectFrom('dir_memberships').select((eb) => eb.fn.countAll<number>().as('n')).where('tenant_id', '=', tenantId).where('connection_id', '=', conn.id).where('group_id', '=', item.resource_id).where('member_type', '=', 'account').executeTakeFirst())?.n ?? 0)
      : Number((await db.selectFrom('dir_grants').select((eb) => eb.fn.countAll<number>().as('n')).where('tenant_id', '=', tenantId).where('connection_id', '=', conn.id).where('entitlement_id', '=', item.resource_id).where('principal_type', '=', 'account').executeTakeFirst())?.n ?? 0);
    const total = Math.max(of, n);
    if (n / total > breaker.maxShareOfResource) {
      reasons.push({ resource: item.resource_name, connectionName: conn.name, revoking: n, of: total, reason: `would remove ${n} of ${total} (${Math.round((100 * n) / total)}%) of its holders, more than the ${Math.round(breaker.maxShareOfResource * 100)}% allowed without approval` });
    }
  }
  for (const { conn, n } of perConn.values()) {
    if (n > breaker.maxPerConnection) reasons.push({ resource: '(all resources)', connectionName: conn.name, revoking: n, of: n, reason: `would remove ${n} grants on one connection, more than the ${breaker.maxPerConnection} allowed without approval` });
  }
  return reasons;
}

/**
 * Apply: manual items get their steps; the breaker may hold the rest for an admin; otherwise the
 * campaign is `applying` and one job per connection writes the revocations back.
 */
export async function applyCampaign(rt: Runtime, tenantId: string, key: string, actor: string, opts: { approved?: boolean } = {}): Promise<CampaignView> {
  const c = await requireCampaign(rt, tenantId, key);
  expectStatus(c, opts.approved ? ['held'] : ['closed'], opts.approved ? 'approve the apply of' : 'apply');
  const db = rt.store.db;
  const now = nowIso(rt.now());
  const planned = await planOpenItems(rt, tenantId, c.id);
  const manual = planned.filter((p) => !p.plan.writeBack);
  for (const p of manual) {
    if (p.plan.writeBack) continue;
    const err = p.plan.reason === 'no_consent' ? renderError('campaigns.write_back_missing', { connection: p.conn.name, access: `${p.item.user_name}'s access to ${p.item.resource_name}` }) : null;
    await db.updateTable('campaign_items').set({ remediation: 'manual', manual_steps: p.plan.steps, remediation_error_json: err ? JSON.stringify({ code: err.code, title: err.title, message: err.message, resolution: err.resolution }) : null, updated_at: now })
      .where('tenant_id', '=', tenantId).where('id', '=', p.item.id).where('remediation', '=', 'open').execute();
  }
  const writeBack = planned.filter((p) => p.plan.writeBack);
  if (!opts.approved) {
    const reasons = await breakerReasons(rt, tenantId, c, writeBack);
    if (reasons.length > 0) {
      const held = await db.updateTable('campaigns').set({ status: 'held', updated_at: now }).where('tenant_id', '=', tenantId).where('id', '=', c.id).where('status', '=', 'closed').executeTakeFirst();
      if (Number(held.numUpdatedRows) === 1) {
        await db.insertInto('campaign_holds').values({ tenant_id: tenantId, id: newId('hold', rt.now()), campaign_id: c.id, reasons_json: JSON.stringify(reasons), created_at: now, approved_by: null, approved_at: null, note: null }).execute();
        await audit(rt, tenantId, { severity: 'warning', action: 'campaign.apply_held', actor, target: { type: 'campaign', id: c.id, name: c.name }, message: `Apply of "${c.name}" held by the circuit breaker for an admin's approval: ${reasons.map((r) => `${r.resource} on ${r.connectionName} ${r.reason}`).join('; ')}` });
      }
      return viewCampaign(rt, tenantId, await requireCampaign(rt, tenantId, c.id));
    }
  }
  await db.updateTable('campaigns').set({ status: 'applying', updated_at: now }).where('tenant_id', '=', tenantId).where('id', '=', c.id).where('status', 'in', ['closed', 'held']).execute();
  for (const connectionId of new Set(writeBack.map((p) => p.conn.id))) await queueApply(rt, tenantId, c.id, connectionId);
  await audit(rt, tenantId, { severity: 'warning', action: 'campaign.apply_started', actor, target: { type: 'campaign', id: c.id, name: c.name }, message: `Apply of "${c.name}" started: ${writeBack.length} revocation(s) written back, ${manual.length} manual` });
  await settleCampaign(rt, tenantId, c.id);
  return viewCampaign(rt, tenantId, await requireCampaign(rt, tenantId, c.id));
}

export async function approveApply(rt: Runtime, tenantId: string, key: string, note: string, who: { userId: string; actor: string }): Promise<CampaignView> {
  const c = await requireCampaign(rt, tenantId, key);
  expectStatus(c, ['held'], 'approve the apply of');
  const reviewer = await rt.store.db.selectFrom('campaign_items').select('id').where('tenant_id', '=', tenantId).where('campaign_id', '=', c.id)
    .where((eb) => eb.or([eb('reviewer_id', '=', who.userId), eb('stage1_reviewer_id', '=', who.userId), eb('stage2_reviewer_id', '=', who.userId), eb('decided_by', '=', who.userId)])).limit(1).executeTakeFirst();
  if (reviewer) throw new AppError('campaigns.reviewer_cannot_approve', { name: c.name });
  const reasons = await currentHold(rt, tenantId, c.id);
  await rt.store.db.updateTable('campaign_holds').set({ approved_by: who.userId, approved_at: nowIso(rt.now()), note }).where('tenant_id', '=', tenantId).where('campaign_id', '=', c.id).where('approved_at', 'is', null).execute();
  await audit(rt, tenantId, { severity: 'warning', action: 'campaign.apply_approved', actor: who.actor, target: { type: 'campaign', id: c.id, name: c.name }, message: `Held apply of "${c.name}" approved: ${note} (held because ${(reasons ?? []).map((r) => `${r.resource} ${r.reason}`).join('; ')})` });
  return applyCampaign(rt, tenantId, c.id, who.actor, { approved: true });
}

export async function queueApply(rt: Runtime, tenantId: string, campaignId: string, connectionId: string): Promise<boolean> {
  return enqueue(rt.store.db, tenantId, { kind: APPLY_JOB, dedupeKey: `campaign-apply:${campaignId}:${connectionId}`, payload: { campaignId, connectionId } }, rt.now());
}

function stored(code: string, params: Record<string, string | number>, extraResolution?: string): string {
  const r = isErrorCode(code) ? renderError(code, params) : { code, title: code, message: '', resolution: '' };
  return JSON.stringify({ code: r.code, title: r.title, message: r.message, resolution: extraResolution ? `${r.resolution} ${extraResolution}` : r.resolution });
}

/**
 * One connection's revocations (the `campaign.apply` job). Crash-safe: an item is marked
 * `applying` before its call and resolved after; a restarted job re-applies `applying` items,
 * which is safe because revoke is idempotent (already gone = Success). Under the directory's
 * shared rate budgets (the same gate as the syncs).
 */
export async function runApply(rt: Runtime, tenantId: string, campaignId: string, connectionId: string, signal?: AbortSignal): Promise<{ again: Date | null }> {
  const db = rt.store.db;
  const c = await db.selectFrom('campaigns').selectAll().where('tenant_id', '=', tenantId).where('id', '=', campaignId).executeTakeFirst();
  if (!c || c.status !== 'applying') return { again: null };
  const row = await requireConnection(rt, tenantId, connectionId);
  let source: DirectorySource | null = null;
  const started = rt.now();
  for (;;) {
    if (signal?.aborted) return { again: new Date(rt.now() + 1_000) };
    if (rt.now() - started > SLICE_MS) return { again: new Date(rt.now()) };
    const items = await db.selectFrom('campaign_items').selectAll().where('tenant_id', '=', tenantId).where('campaign_id', '=', campaignId).where('connection_id', '=', connectionId)
      .where('remediation', 'in', ['open', 'applying']).orderBy('id').limit(50).execute();
    if (items.length === 0) break;
    const conn = await connectionInfo(rt, tenantId, connectionId, items.flatMap((i) => [i.resource_id, ...(i.via_group_id ? [i.via_group_id] : [])]));
    source ??= await openDirectorySource(rt, tenantId, row, { http: { gate: directoryGate(rt).gate } });
    const src = source;
    const one = async (item: ItemRow): Promise<Date | null> => {
      const now = nowIso(rt.now());
      if (item.remediation === 'open') {
        const claimed = await db.updateTable('campaign_items').set({ remediation: 'applying', updated_at: now }).where('tenant_id', '=', tenantId).where('id', '=', item.id).where('remediation', '=', 'open').executeTakeFirst();
        if (Number(claimed.numUpdatedRows) !== 1) return null;
      }
      const plan = planItem(item, conn);
      if (!plan.writeBack || !src.revoke) {
        const steps = plan.writeBack ? manualStepsFor(item, conn.kind) : plan.steps;
        await db.updateTable('campaign_items').set({ remediation: 'manual', manual_steps: steps, remediation_error_json: plan.writeBack || plan.reason === 'no_consent' ? stored('campaigns.write_back_missing', { connection: conn.name, access: `${item.user_name}'s access to ${item.resource_name}` }) : null, updated_at: now })
          .where('tenant_id', '=', tenantId).where('id', '=', item.id).execute();
        return null;
      }
      try {
        await src.revoke(plan.target);
        const held = src.stillHeld ? await src.stillHeld(plan.target) : false;
        const at = nowIso(rt.now());
        if (held) {
          await db.updateTable('campaign_items').set({ remediation: 'error', verification: 'did_not_stick', remediated_at: at, remediation_error_json: stored('campaigns.did_not_stick', { account: item.user_name, resource: item.resource_name, connection: conn.name, revokedAt: at, when: 'right after' }), updated_at: at })
            .where('tenant_id', '=', tenantId).where('id', '=', item.id).execute();
        } else {
          await db.updateTable('campaign_items').set({ remediation: 'success', verification: 'pending', remediated_at: at, remediation_error_json: null, updated_at: at })
            .where('tenant_id', '=', tenantId).where('id', '=', item.id).execute();
        }
      } catch (e) {
        const err = toAppError(e);
        const kind = definitionOf(err.code).kind;
        if (kind === 'throttle') {
          // The item stays `applying`: the job comes back when the provider (or our budget) allows.
          return new Date(rt.now() + Math.max(1_000, err.retryAfterMs ?? 5_000));
        }
        if (err.code === 'directory.revoke_unsupported' || String(err.code).includes('rule_based')) {
          const steps = String(err.code).includes('rule_based') ? planItem(item, { ...conn, ruleBased: new Set([item.resource_id]) }) : null;
          await db.updateTable('campaign_items').set({ remediation: 'manual', manual_steps: steps && !steps.writeBack ? steps.steps : manualStepsFor(item, conn.kind), remediation_error_json: stored(err.code, err.params as Record<string, string>), updated_at: now })
            .where('tenant_id', '=', tenantId).where('id', '=', item.id).execute();
          return null;
        }
        let consent: string | undefined;
        if (kind === 'permission' || kind === 'credential') {
          const view = await viewConnection(rt, tenantId, row).catch(() => null);
          const link = view?.writeBack.adminConsentUrl ?? view?.adminConsentUrl ?? null;
          if (link) consent = `Consent link: ${link}`;
        }
        await db.updateTable('campaign_items').set({ remediation: 'error', remediation_error_json: stored(err.code, err.params as Record<string, string>, consent), updated_at: now })
          .where('tenant_id', '=', tenantId).where('id', '=', item.id).execute();
      }
      return null;
    };
    // A few revocations in flight at once (each spends the shared budget first), so the apply
    // runs at the pace the provider's quota allows rather than at one round trip at a time.
    for (let k = 0; k < items.length; k += APPLY_CONCURRENCY) {
      const waits = (await Promise.all(items.slice(k, k + APPLY_CONCURRENCY).map(one))).filter((d): d is Date => d !== null);
      if (waits.length > 0) return { again: new Date(Math.max(...waits.map((d) => d.getTime()))) };
    }
  }
  await settleCampaign(rt, tenantId, campaignId);
  return { again: null };
}

/** applying → applied once nothing is left to write; applied → verified once every removal is verified. */
export async function settleCampaign(rt: Runtime, tenantId: string, campaignId: string): Promise<void> {
  const db = rt.store.db;
  const c = await db.selectFrom('campaigns').selectAll().where('tenant_id', '=', tenantId).where('id', '=', campaignId).executeTakeFirst();
  if (!c) return;
  const now = nowIso(rt.now());
  if (c.status === 'applying') {
    const left = await db.selectFrom('campaign_items').select('id').where('tenant_id', '=', tenantId).where('campaign_id', '=', campaignId).where('remediation', 'in', ['open', 'applying']).limit(1).executeTakeFirst();
    if (left) return;
    const r = await db.updateTable('campaigns').set({ status: 'applied', applied_at: now, updated_at: now }).where('tenant_id', '=', tenantId).where('id', '=', campaignId).where('status', '=', 'applying').executeTakeFirst();
    if (Number(r.numUpdatedRows) === 1) await audit(rt, tenantId, { severity: 'info', action: 'campaign.applied', actor: 'system', target: { type: 'campaign', id: c.id, name: c.name }, message: `Campaign "${c.name}": every revocation was applied or handed over as manual steps` });
  }
  const now2 = await db.selectFrom('campaigns').select('status').where('tenant_id', '=', tenantId).where('id', '=', campaignId).executeTakeFirst();
  if (now2?.status !== 'applied') return;
  const unsettled = await db.selectFrom('campaign_items').select('id').where('tenant_id', '=', tenantId).where('campaign_id', '=', campaignId)
    .where((eb) => eb.or([eb('remediation', 'in', ['open', 'applying', 'error', 'manual']), eb('verification', 'in', ['pending', 'did_not_stick'])])).limit(1).executeTakeFirst();
  if (unsettled) return;
  const r = await db.updateTable('campaigns').set({ status: 'verified', verified_at: now, updated_at: now }).where('tenant_id', '=', tenantId).where('id', '=', campaignId).where('status', '=', 'applied').executeTakeFirst();
  if (Number(r.numUpdatedRows) === 1) await audit(rt, tenantId, { severity: 'info', action: 'campaign.verified', actor: 'system', target: { type: 'campaign', id: c.id, name: c.name }, message: `Campaign "${c.name}" verified: every revocation is confirmed gone by a later sync` });
}

export async function retryItem(rt: Runtime, tenantId: string, campaignKey: string, itemId: string, actor: string): Promise<{ item: ReviewItemView }> {
  const c = await requireCampaign(rt, tenantId, campaignKey);
  const item = await requireItem(rt, tenantId, itemId, c.id);
  if (item.remediation !== 'error') throw new AppError('campaigns.invalid_state', { name: `${c.name} / ${item.user_name} → ${item.resource_name}`, status: `remediation ${item.remediation}`, action: 'retry', allowed: 'remediation error' });
  const now = nowIso(rt.now());
  await rt.store.db.updateTable('campaign_items').set({ remediation: 'open', remediation_error_json: null, verification: null, updated_at: now }).where('tenant_id', '=', tenantId).where('id', '=', item.id).execute();
  await rt.store.db.updateTable('campaigns').set({ status: 'applying', updated_at: now }).where('tenant_id', '=', tenantId).where('id', '=', c.id).where('status', 'in', ['applied', 'verified', 'applying']).execute();
  await queueApply(rt, tenantId, c.id, item.connection_id);
  await audit(rt, tenantId, { severity: 'info', action: 'campaign.item_retried', actor, target: { type: 'campaign', id: c.id, name: c.name }, message: `Retrying the revocation of ${item.user_name}'s access to ${item.resource_name}` });
  return { item: (await viewItems(rt, tenantId, [await requireItem(rt, tenantId, item.id)]))[0]! };
}

export async function manualDone(rt: Runtime, tenantId: string, campaignKey: string, itemId: string, note: string, actor: string): Promise<{ item: ReviewItemView }> {
  const c = await requireCampaign(rt, tenantId, campaignKey);
  const item = await requireItem(rt, tenantId, itemId, c.id);
  if (item.remediation !== 'manual' && item.remediation !== 'error') throw new AppError('campaigns.invalid_state', { name: `${c.name} / ${item.user_name} → ${item.resource_name}`, status: `remediation ${item.remediation}`, action: 'mark done', allowed: 'remediation manual or error' });
  const now = nowIso(rt.now());
  await rt.store.db.updateTable('campaign_items').set({ remediation: 'success', verification: 'pending', remediated_at: now, updated_at: now }).where('tenant_id', '=', tenantId).where('id', '=', item.id).execute();
  await addHistory(rt, tenantId, [{ campaignId: c.id, itemId: item.id, actor, action: 'decided', detail: `Removed by hand: ${note}` }]);
  await audit(rt, tenantId, { severity: 'info', action: 'campaign.item_manual_done', actor, target: { type: 'campaign', id: c.id, name: c.name }, message: `${item.user_name}'s access to ${item.resource_name} removed by hand: ${note} (verified by the next sync)` });
  if (c.status === 'applied' || c.status === 'verified') await settleCampaign(rt, tenantId, c.id);
  return { item: (await viewItems(rt, tenantId, [await requireItem(rt, tenantId, item.id)]))[0]! };
}
