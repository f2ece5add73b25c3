import type { Selectable } from 'kysely';
import type { Runtime } from '../runtime/context.js';
import type { CampaignItemsTable, CampaignsTable } from '../store/schema.js';
import { AppError } from '../errors/index.js';
import { recordAudit, type AuditInput } from '../audit/audit.js';
import { newId, nowIso } from '../model/ids.js';

export type CampaignRow = Selectable<CampaignsTable>;
export type ItemRow = Selectable<CampaignItemsTable>;

/** A campaign by id, or by name (like connections); not found → request.not_found. */
export async function requireCampaign(rt: Runtime, tenantId: string, key: string): Promise<CampaignRow> {
  const db = rt.store.db;
  const byId = await db.selectFrom('campaigns').selectAll().where('tenant_id', '=', tenantId).where('id', '=', key).executeTakeFirst();
  if (byId) return byId;
  const byName = await db.selectFrom('campaigns').selectAll().where('tenant_id', '=', tenantId).where('name', '=', key).orderBy('created_at', 'desc').executeTakeFirst();
  if (byName) return byName;
  throw new AppError('request.not_found', { entity: 'campaign', id: key });
}

export async function requireItem(rt: Runtime, tenantId: string, id: string, campaignId?: string): Promise<ItemRow> {
  let q = rt.store.db.selectFrom('campaign_items').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id);
  if (campaignId) q = q.where('campaign_id', '=', campaignId);
  const row = await q.executeTakeFirst();
  if (!row) throw new AppError('request.not_found', { entity: 'review item', id });
  return row;
}

export function audit(rt: Runtime, tenantId: string, input: AuditInput): Promise<unknown> {
  return recordAudit(rt.store.db, rt.store.dialect, tenantId, input, rt.now());
}

export async function addHistory(rt: Runtime, tenantId: string, rows: { campaignId: string; itemId: string | null; actor: string; action: 'decided' | 'reassigned' | 'reminded' | 'escalated'; detail: string; userId?: string | null }[]): Promise<void> {
  if (rows.length === 0) return;
  const at = nowIso(rt.now());
  for (let i = 0; i < rows.length; i += 500) {
    await rt.store.db.insertInto('campaign_history').values(rows.slice(i, i + 500).map((r) => ({
      tenant_id: tenantId, id: newId('chh', rt.now()), campaign_id: r.campaignId, item_id: r.itemId, at, actor: r.actor, action: r.action, detail: r.detail, user_id: r.userId ?? null,
    }))).execute();
  }
}

/** A state the operation needs, or campaigns.invalid_state naming what it is. */
export function expectStatus(c: CampaignRow, allowed: readonly string[], action: string): void {
  if (!allowed.includes(c.status)) throw new AppError('campaigns.invalid_state', { name: c.name, status: c.status, action, allowed: allowed.join(' or ') });
}
