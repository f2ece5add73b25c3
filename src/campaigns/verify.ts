import type { Runtime } from '../runtime/context.js';
import { nowIso } from '../model/ids.js';
import { renderError } from '../errors/index.js';
import { queueAlert } from '../notify/outbox.js';
import { audit } from './store.js';
import { stillInInventory } from './inventory-check.js';
import { settleCampaign } from './apply.js';

/**
 * Verification after the next sync: items revoked (`verification = pending`) on a connection
 * whose last successful directory sync started after the revocation are checked against the inventory. Gone → verified;
 * still there or back (an on-premises sync or a provisioning rule re-added it) → Did not
 * stick: the item reopens as Error, an alert goes out, the audit log says so. Compare-and-set
 * on `pending`, so any number of processes can run it.
 */
export async function verifyAfterSync(rt: Runtime): Promise<number> {
  const db = rt.store.db;
  const pending = await db.selectFrom('campaign_items')
    .innerJoin('dir_state', (j) => j.onRef('dir_state.tenant_id', '=', 'campaign_items.tenant_id').onRef('dir_state.connection_id', '=', 'campaign_items.connection_id'))
    .innerJoin('dir_runs', (j) => j.onRef('dir_runs.tenant_id', '=', 'dir_state.tenant_id').onRef('dir_runs.id', '=', 'dir_state.last_run_id'))
    .select(['campaign_items.tenant_id', 'campaign_items.id', 'campaign_items.campaign_id', 'campaign_items.connection_id', 'campaign_items.kind', 'campaign_items.resource_id', 'campaign_items.resource_name', 'campaign_items.account_id', 'campaign_items.user_name', 'campaign_items.via', 'campaign_items.via_group_id', 'campaign_items.remediated_at'])
    .where('campaign_items.verification', '=', 'pending')
    .whereRef('dir_state.last_success_at', '>', 'campaign_items.remediated_at')
    // The sync must have *started* after the revocation: one that was already reading when the
    // revocation landed may have read the access before it went, and finishing afterwards made
    // it look like the access came back (a false Did not stick, found by campaign-crash).
    .whereRef('dir_runs.started_at', '>', 'campaign_items.remediated_at')
    .limit(2_000).execute();
  if (pending.length === 0) return 0;
  const byTenant = new Map<string, typeof pending>();
  for (const p of pending) byTenant.set(p.tenant_id, [...(byTenant.get(p.tenant_id) ?? []), p]);
  let done = 0;
  for (const [tenantId, items] of byTenant) {
    const present = await stillInInventory(rt, tenantId, items);
    const now = nowIso(rt.now());
    const verified = items.filter((i) => !present.has(i.id)).map((i) => i.id);
    for (let k = 0; k < verified.length; k += 1000) {
      const r = await db.updateTable('campaign_items').set({ verification: 'verified', verified_at: now, updated_at: now }).where('tenant_id', '=', tenantId).where('id', 'in', verified.slice(k, k + 1000)).where('verification', '=', 'pending').executeTakeFirst();
      done += Number(r.numUpdatedRows);
    }
    const names = new Map((await db.selectFrom('connections').select(['id', 'name', 'kind', 'role']).where('tenant_id', '=', tenantId).execute()).map((c) => [c.id, c]));
    for (const i of items.filter((x) => present.has(x.id))) {
      const conn = names.get(i.connection_id);
      const err = renderError('campaigns.did_not_stick', { account: i.user_name, resource: i.resource_name, connection: conn?.name ?? i.connection_id, revokedAt: i.remediated_at ?? '', when: 'after the next sync' });
      const r = await db.updateTable('campaign_items').set({ verification: 'did_not_stick', remediation: 'error', remediation_error_json: JSON.stringify({ code: err.code, title: err.title, message: err.message, resolution: err.resolution }), verified_at: now, updated_at: now })
        .where('tenant_id', '=', tenantId).where('id', '=', i.id).where('verification', '=', 'pending').executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) continue;
      done++;
      const c = await db.selectFrom('campaigns').select(['id', 'name']).where('tenant_id', '=', tenantId).where('id', '=', i.campaign_id).executeTakeFirst();
      await audit(rt, tenantId, { severity: 'error', action: 'campaign.did_not_stick', actor: 'system', target: { type: 'campaign', id: i.campaign_id, name: c?.name ?? null }, message: `${err.title}: ${err.message}`, code: 'campaigns.did_not_stick' });
      await queueAlert(rt, tenantId, `campaign-dns:${i.id}:${now}`, { type: 'campaign', id: i.campaign_id, name: c?.name ?? '' }, {
        event: 'campaign.did_not_stick', severity: 'warning', title: `Revocation did not stick: ${i.user_name} → ${i.resource_name}`,
        summary: `In the campaign "${c?.name ?? ''}", the revoked access of ${i.user_name} to ${i.resource_name} is there again after the next sync. The item is reopened as Error.`,
        ...(conn ? { connection: { id: conn.id, name: conn.name, kind: conn.kind, role: conn.role } } : {}),
        error: { code: err.code, title: err.title, message: err.message, resolution: err.resolution },
        link: `/certifications/campaigns/${i.campaign_id}`,
      });
    }
    // Campaigns whose last removal was just verified become Verified.
    for (const campaignId of new Set(items.map((i) => i.campaign_id))) await settleCampaign(rt, tenantId, campaignId);
  }
  return done;
}
