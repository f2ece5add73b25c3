import type { Runtime } from '../runtime/context.js';
import type { CampaignItemsTable } from '../store/schema.js';
import { nowIso } from '../model/ids.js';
import { campaignInputSchema, ACCESS_KINDS, type AccessKind, type CampaignInput } from './input.js';
import { membersOfGroup, scopeConnection, type ConnectionScope, type ScopeItem } from './scope.js';
import { loadDirectory, resolveReviewer } from './assign.js';
import { loadPeople, type People, type Person } from './people.js';
import { previewSnapshot, type PreviewSampleRow } from './snapshot-sql.js';

/** One snapshot row with its reviewers, before insertion. */
export interface AssignedItem {
  item: ScopeItem;
  scope: ConnectionScope;
  stage1: string | null;
  stage2: string | null;
  why: string | null;
  /** The first stage's reviewer is the fallback (nobody the mode names could review it). */
  viaFallback: boolean;
}

/** The scope of a campaign, every item assigned its reviewer(s). */
export async function computeScope(rt: Runtime, tenantId: string, input: CampaignInput, people?: People): Promise<{ items: AssignedItem[]; people: People }> {
  const ppl = people ?? (await loadPeople(rt, tenantId));
  const memberOf = input.filters?.memberOfGroup ? await membersOfGroup(rt, tenantId, input.filters.memberOfGroup.connectionId, input.filters.memberOfGroup.groupId) : null;
  const dir = await loadDirectory(rt, tenantId, input.connectionIds);
  const out: AssignedItem[] = [];
  for (const connectionId of [...new Set(input.connectionIds)]) {
    const scope = await scopeConnection(rt, tenantId, connectionId, input, memberOf);
    for (const item of scope.items) {
      const first = resolveReviewer(dir, ppl, scope, item, input.reviewers, input.reviewers.fallbackUserId);
      const second = input.secondStage ? resolveReviewer(dir, ppl, scope, item, input.secondStage, input.reviewers.fallbackUserId) : null;
      out.push({ item, scope, stage1: first.userId, stage2: second?.userId ?? null, why: first.why, viaFallback: first.via === 'fallback' });
    }
  }
  return { items: out, people: ppl };
}

export interface PreviewAnswer {
  items: number;
  byKind: Record<AccessKind, number>;
  reviewers: { reviewer: Person; items: number }[];
  unassigned: number;
  unassignedSample: { account: string; access: string; why: string }[];
  /** Items that go to the fallback reviewer (no manager, no owner, or only the person themself), with a sample and why. */
  fallback: number;
  fallbackSample: { account: string; access: string; why: string }[];
}

/**
 * Counts only: how many items and reviewers the scope yields, and which items have no reviewer.
 * Writes nothing. Set-based (snapshot-sql.ts), so a million-membership scope is counted inside
 * the database, not held item by item.
 */
export async function previewCampaign(rt: Runtime, tenantId: string, body: unknown): Promise<PreviewAnswer> {
  const input = campaignInputSchema.parse(body);
  // The people the reviewers are named from: loaded once, for the counts and the answer.
  const people = await loadPeople(rt, tenantId);
  const [counts, conns] = await Promise.all([
    previewSnapshot(rt, tenantId, input, people),
    rt.store.db.selectFrom('connections').select(['id', 'name']).where('tenant_id', '=', tenantId).where('id', 'in', [...new Set(input.connectionIds)]).execute(),
  ]);
  const connectionName = new Map(conns.map((c) => [c.id, c.name]));
  const byKind = Object.fromEntries(ACCESS_KINDS.map((k) => [k, counts.byKind.get(k) ?? 0])) as Record<AccessKind, number>;
  const line = (r: PreviewSampleRow, none: string) => ({ account: `${r.displayName} (${r.userName})`, access: `${r.resourceName} on ${connectionName.get(r.connectionId) ?? r.connectionId}`, why: r.why || none });
  return {
    items: counts.items, byKind, reviewers: ranked(counts.perReviewer, people), unassigned: counts.unassigned, unassignedSample: counts.unassignedSample.map((r) => line(r, 'no reviewer')),
    fallback: counts.fallback, fallbackSample: counts.fallbackSample.map((r) => line(r, 'no reviewer found by the campaign\'s mode')),
  };
}

function ranked(perReviewer: ReadonlyMap<string, number>, people: People): PreviewAnswer['reviewers'] {
  return [...perReviewer].map(([id, n]) => ({ reviewer: people.byId.get(id)!, items: n })).sort((a, b) => b.items - a.items || a.reviewer.email.localeCompare(b.reviewer.email));
}

/** The preview item by item, from computeScope: the reference the set-based preview is tested against (its samples are any 20 of their kind). */
export function previewOfScope(items: readonly AssignedItem[], people: People): PreviewAnswer {
  const byKind = Object.fromEntries(ACCESS_KINDS.map((k) => [k, 0])) as Record<AccessKind, number>;
  const perReviewer = new Map<string, number>();
  const sample: PreviewAnswer['unassignedSample'] = [];
  let unassigned = 0;
  const fallbackSample: PreviewAnswer['fallbackSample'] = [];
  let fallback = 0;
  for (const a of items) {
    byKind[a.item.kind]++;
    if (a.viaFallback) {
      fallback++;
      fallbackSample.push({ account: `${a.item.displayName} (${a.item.userName})`, access: `${a.item.resourceName} on ${a.item.connectionName}`, why: a.why || 'no reviewer found by the campaign\'s mode' });
    }
    if (a.stage1) perReviewer.set(a.stage1, (perReviewer.get(a.stage1) ?? 0) + 1);
    else {
      unassigned++;
      sample.push({ account: `${a.item.displayName} (${a.item.userName})`, access: `${a.item.resourceName} on ${a.item.connectionName}`, why: a.why || 'no reviewer' });
    }
  }
  return { items: items.length, byKind, reviewers: ranked(perReviewer, people), unassigned, unassignedSample: sample, fallback, fallbackSample };
}

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
function base32(n: number, width: number): string {
  let s = '';
  for (let i = 0; i < width; i++) {
    s = ALPHABET[n % 32] + s;
    n = Math.floor(n / 32);
  }
  return s;
}

/**
 * Item ids sort like the inbox reads: the campaign's prefix, then the position of the item
 * ordered by person and resource, so a reviewer's first page is a keyset range of one index.
 */
export function itemIdPrefix(campaignId: string): string {
  return `ci_${campaignId.slice(-12)}`;
}

/** The items as rows, item by item: the reference the set-based start (snapshot-sql.ts) is tested against. */
export function itemRows(tenantId: string, campaignId: string, assigned: AssignedItem[], nowMs: number): CampaignItemsTable[] {
  // Plain code-unit order (a collator is ~20x slower on a million items); the inbox only needs a stable person-then-resource order.
  const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  assigned.sort((a, b) => cmp(a.item.displayName, b.item.displayName) || cmp(a.item.accountId, b.item.accountId) || cmp(a.item.kind, b.item.kind) || cmp(a.item.resourceName, b.item.resourceName));
  const prefix = itemIdPrefix(campaignId);
  const now = nowIso(nowMs);
  return assigned.map((a, i) => {
    const it = a.item;
    return {
      tenant_id: tenantId, id: `${prefix}${base32(i, 7)}`, campaign_id: campaignId, connection_id: it.connectionId, account_id: it.accountId, identity_id: it.identityId,
      user_name: it.userName, display_name: it.displayName, email: it.email, enabled: it.enabled ? 1 : 0, guest: it.guest ? 1 : 0, department: it.department,
      last_activity_at: it.lastActivityAt, kind: it.kind, resource_id: it.resourceId, resource_name: it.resourceName, privileged: it.privileged ? 1 : 0, via: it.via,
      chain_json: JSON.stringify(it.chain), via_group_id: it.viaGroupId, since: it.since,
      search: `${it.displayName} ${it.userName} ${it.email ?? ''} ${it.resourceName}`.toLowerCase(),
      recommendation: it.recommendation.decision, reasons_json: JSON.stringify(it.recommendation.reasons),
      stage1_reviewer_id: a.stage1, stage2_reviewer_id: a.stage2, reviewer_id: a.stage1, review_state: 'pending',
      decision: null, justification: null, decided_at: null, decided_by: null, stage1_json: null, closed_reason: null,
      remediation: 'none', remediation_error_json: null, manual_steps: null, remediated_at: null, verification: null, verified_at: null, updated_at: now, escalated_to: null,
    };
  });
}
