import { sql } from 'kysely';
import type { Runtime } from '../runtime/context.js';
import { fromJson } from '../store/json.js';
import { connectionRefs } from '../directory/identities/queries.js';
import { withDefaults, type AccessKind, type CampaignInput, type CampaignStatus, type Remediation, type Verification } from './input.js';
import type { CampaignView, HeldReason, ReviewItemView } from './wire.js';
import { loadPeople, personOf, type People } from './people.js';
import type { CampaignRow, ItemRow } from './store.js';

export type { CampaignView, HeldReason, ReviewItemView } from './wire.js';

export function campaignInput(c: CampaignRow): CampaignInput {
  return fromJson<CampaignInput>(c.input_json, {} as CampaignInput);
}

const n = (v: unknown) => Number(v ?? 0);

export async function campaignTotals(rt: Runtime, tenantId: string, campaignId: string) {
  const r = await sql<Record<string, number | string | null>>`
    SELECT COUNT(*) AS items,
      SUM(CASE WHEN decision IS NOT NULL THEN 1 ELSE 0 END) AS decided,
      SUM(CASE WHEN decision = 'approve' THEN 1 ELSE 0 END) AS approved,
      SUM(CASE WHEN decision = 'revoke' THEN 1 ELSE 0 END) AS revoked,
      SUM(CASE WHEN decision IS NULL AND closed_reason IS NULL THEN 1 ELSE 0 END) AS open,
      SUM(CASE WHEN closed_reason = 'removed_elsewhere' THEN 1 ELSE 0 END) AS removed_elsewhere,
      SUM(CASE WHEN remediation = 'open' THEN 1 ELSE 0 END) AS r_open,
      SUM(CASE WHEN remediation = 'applying' THEN 1 ELSE 0 END) AS r_applying,
      SUM(CASE WHEN remediation = 'success' THEN 1 ELSE 0 END) AS r_success,
      SUM(CASE WHEN remediation = 'error' THEN 1 ELSE 0 END) AS r_error,
      SUM(CASE WHEN remediation = 'manual' THEN 1 ELSE 0 END) AS r_manual,
      SUM(CASE WHEN verification = 'pending' THEN 1 ELSE 0 END) AS v_pending,
      SUM(CASE WHEN verification = 'verified' THEN 1 ELSE 0 END) AS v_verified,
      SUM(CASE WHEN verification = 'did_not_stick' THEN 1 ELSE 0 END) AS v_dns
    FROM campaign_items WHERE tenant_id = ${tenantId} AND campaign_id = ${campaignId}`.execute(rt.store.db);
  const t = r.rows[0] ?? {};
  return {
    totals: { items: n(t['items']), decided: n(t['decided']), approved: n(t['approved']), revoked: n(t['revoked']), open: n(t['open']), removedElsewhere: n(t['removed_elsewhere']) },
    remediation: { open: n(t['r_open']), applying: n(t['r_applying']), success: n(t['r_success']), error: n(t['r_error']), manual: n(t['r_manual']) },
    verification: { pending: n(t['v_pending']), verified: n(t['v_verified']), didNotStick: n(t['v_dns']) },
  };
}

export async function viewCampaign(rt: Runtime, tenantId: string, c: CampaignRow, people?: People): Promise<CampaignView> {
  const ppl = people ?? (await loadPeople(rt, tenantId));
  const input = withDefaults(campaignInput(c));
  const held = c.status === 'held' ? await currentHold(rt, tenantId, c.id) : null;
  return {
    ...input,
    // The row's name, not the settings': a recurring campaign's occurrences are "<name> #N".
    name: c.name,
    ownerUserId: c.owner_user_id,
    id: c.id, status: c.status as CampaignStatus, stage: (Number(c.stage) === 2 ? 2 : 1), stages: (Number(c.stages) === 2 ? 2 : 1),
    owner: personOf(ppl, c.owner_user_id)!, createdAt: c.created_at, startedAt: c.started_at, deadline: c.deadline, closedAt: c.closed_at,
    occurrence: Number(c.occurrence), nextStartAt: c.next_start_at,
    ...(await campaignTotals(rt, tenantId, c.id)),
    held: held ? { reasons: held } : null,
    appliedAt: c.applied_at, verifiedAt: c.verified_at,
  };
}

export async function currentHold(rt: Runtime, tenantId: string, campaignId: string): Promise<HeldReason[] | null> {
  const h = await rt.store.db.selectFrom('campaign_holds').select('reasons_json').where('tenant_id', '=', tenantId).where('campaign_id', '=', campaignId).where('approved_at', 'is', null).orderBy('created_at', 'desc').executeTakeFirst();
  return h ? fromJson<HeldReason[]>(h.reasons_json, []) : null;
}

/** Review items as the API shows them; one read of the identities' accounts for the page. */
export async function viewItems(rt: Runtime, tenantId: string, rows: ItemRow[], people?: People): Promise<ReviewItemView[]> {
  if (rows.length === 0) return [];
  const ppl = people ?? (await loadPeople(rt, tenantId));
  const refs = await connectionRefs(rt, tenantId);
  const db = rt.store.db;
  const campaignIds = [...new Set(rows.map((r) => r.campaign_id))];
  const campaigns = new Map((await db.selectFrom('campaigns').select(['id', 'name', 'stage', 'deadline', 'input_json']).where('tenant_id', '=', tenantId).where('id', 'in', campaignIds).execute())
    .map((c) => [c.id, { ...c, always: fromJson<Partial<CampaignInput>>(c.input_json, {}).justification === 'always' }]));
  const identityIds = [...new Set(rows.map((r) => r.identity_id).filter((x): x is string => Boolean(x)))];
  const accounts = new Map<string, { connectionId: string; connectionName: string; userName: string; enabled: boolean }[]>();
  const identities = new Map<string, { display_name: string; email: string | null }>();
  for (let i = 0; i < identityIds.length; i += 500) {
    const part = identityIds.slice(i, i + 500);
    for (const a of await db.selectFrom('dir_accounts').select(['identity_id', 'connection_id', 'user_name', 'enabled']).where('tenant_id', '=', tenantId).where('identity_id', 'in', part).execute()) {
      const list = accounts.get(a.identity_id!) ?? [];
      list.push({ connectionId: a.connection_id, connectionName: refs.get(a.connection_id)?.name ?? '(deleted connection)', userName: a.user_name, enabled: Number(a.enabled) === 1 });
      accounts.set(a.identity_id!, list);
    }
    for (const idn of await db.selectFrom('identities').select(['id', 'display_name', 'email']).where('tenant_id', '=', tenantId).where('id', 'in', part).execute()) identities.set(idn.id, idn);
  }
  return rows.map((r) => {
    const c = campaigns.get(r.campaign_id);
    const connectionName = refs.get(r.connection_id)?.name ?? '(deleted connection)';
    const idn = r.identity_id ? identities.get(r.identity_id) : undefined;
    const stage1 = fromJson<{ decision: 'approve' | 'revoke'; by: string; justification: string | null } | null>(r.stage1_json, null);
    const err = fromJson<ReviewItemView['remediationError']>(r.remediation_error_json, null);
    return {
      id: r.id, campaignId: r.campaign_id, campaignName: c?.name ?? '', stage: Number(c?.stage) === 2 ? 2 : 1, deadline: c?.deadline ?? null,
      identity: {
        id: r.identity_id, displayName: idn?.display_name ?? r.display_name, email: idn?.email ?? r.email,
        accounts: (r.identity_id ? accounts.get(r.identity_id) : undefined) ?? [{ connectionId: r.connection_id, connectionName, userName: r.user_name, enabled: Number(r.enabled) === 1 }],
      },
      account: { connectionId: r.connection_id, connectionName, externalId: r.account_id, userName: r.user_name, displayName: r.display_name, enabled: Number(r.enabled) === 1, guest: Number(r.guest) === 1, lastActivityAt: r.last_activity_at, department: r.department },
      access: { kind: r.kind as AccessKind, resourceId: r.resource_id, resourceName: r.resource_name, privileged: Number(r.privileged) === 1, via: r.via === 'group' ? 'group' : 'direct', chain: fromJson<string[]>(r.chain_json, []), since: r.since },
      recommendation: { decision: r.recommendation === 'revoke' ? 'revoke' : 'approve', reasons: fromJson<string[]>(r.reasons_json, []) },
      reviewer: personOf(ppl, r.reviewer_id),
      decision: (r.decision as 'approve' | 'revoke' | null) ?? null, justification: r.justification, decidedAt: r.decided_at, decidedBy: personOf(ppl, r.decided_by),
      firstStageDecision: stage1 ? { decision: stage1.decision, by: personOf(ppl, stage1.by)!, justification: stage1.justification } : null,
      closedReason: (r.closed_reason as ReviewItemView['closedReason']) ?? null,
      remediation: r.remediation as Remediation, remediationError: err, manualSteps: r.manual_steps, verification: (r.verification as Verification) ?? null,
      justificationRequired: { approve: c?.always ?? false, revoke: true },
    };
  });
}
