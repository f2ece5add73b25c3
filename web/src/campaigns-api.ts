// Typed client of the certification routes (issue 13; contract /work/briefs/campaigns-api.md):
// campaigns (admins and staff) and My reviews (any signed-in reviewer, their own items only).
import { call } from './api.js';

export type CampaignStatus = 'draft' | 'running' | 'closing' | 'closed' | 'applying' | 'held' | 'applied' | 'verified' | 'cancelled';
export type AccessKind = 'group_membership' | 'directory_role' | 'app_role' | 'aws_group_membership'
  | 'aws_policy' | 'aws_access_key' | 'google_admin_role' | 'scim_group_membership';
export type Remediation = 'none' | 'open' | 'applying' | 'success' | 'error' | 'manual';
export type Verification = null | 'pending' | 'verified' | 'did_not_stick';
export type ReviewerMode = 'manager' | 'owner' | 'named';
export type Decision = 'approve' | 'revoke';

export interface CampaignInput {
  name: string; description?: string; ownerUserId?: string;
  connectionIds: string[];
  kinds: AccessKind[];
  filters?: { guestsOnly?: boolean; privilegedOnly?: boolean; inactiveDays?: number; memberOfGroup?: { connectionId: string; groupId: string } };
  reviewers: { mode: ReviewerMode; userIds?: string[]; fallbackUserId: string };
  secondStage?: { mode: ReviewerMode; userIds?: string[] } | null;
  durationDays: number;
  recurrence?: { every: 'none' | 'monthly' | 'quarterly' | 'half_yearly' | 'yearly'; until?: string; times?: number };
  noResponse: 'keep' | 'revoke' | 'recommendation';
  justification: 'on_revoke' | 'always';
  reminderDays?: number[];
  escalation?: { afterDays: number; to: 'manager' | 'fallback'; mode: 'add' | 'replace' } | null;
  breaker?: { maxShareOfResource: number; maxPerConnection: number };
  /** When the deadline closes the campaign, start the apply (the circuit breaker still holds a large one). */
  applyOnClose?: boolean;
}

export interface Person { userId: string; email: string; displayName: string }

export interface HeldReason { resource: string; connectionName: string; revoking: number; of: number; reason: string }

export interface Campaign extends CampaignInput {
  id: string; status: CampaignStatus; stage: 1 | 2; stages: 1 | 2;
  owner: Person; createdAt: string; startedAt: string | null; deadline: string | null; closedAt: string | null;
  occurrence: number; nextStartAt: string | null;
  totals: { items: number; decided: number; approved: number; revoked: number; open: number; removedElsewhere: number };
  remediation: { open: number; applying: number; success: number; error: number; manual: number };
  verification: { pending: number; verified: number; didNotStick: number };
  held: { reasons: HeldReason[] } | null;
}

export interface ReviewItem {
  id: string; campaignId: string; campaignName: string; stage: 1 | 2; deadline: string | null;
  identity: { id: string | null; displayName: string; email: string | null;
    accounts: { connectionId: string; connectionName: string; userName: string; enabled: boolean }[] };
  account: { connectionId: string; connectionName: string; externalId: string; userName: string; displayName: string;
    enabled: boolean; guest: boolean; lastActivityAt: string | null; department: string | null };
  access: { kind: AccessKind; resourceId: string; resourceName: string; privileged: boolean;
    via: 'direct' | 'group'; chain: string[]; since: string | null };
  recommendation: { decision: Decision; reasons: string[] };
  reviewer: Person;
  decision: Decision | null; justification: string | null; decidedAt: string | null; decidedBy: Person | null;
  firstStageDecision?: { decision: Decision; by: Person; justification: string | null } | null;
  closedReason: null | 'removed_elsewhere' | 'no_response';
  remediation: Remediation; remediationError: { code: string; title: string; message: string; resolution: string } | null;
  manualSteps: string | null; verification: Verification;
  /** Whether a decision needs a justification (the campaign's rule), so the page asks before it submits. */
  justificationRequired: { approve: boolean; revoke: boolean };
}

export interface ScopePreview {
  items: number; byKind: Partial<Record<AccessKind, number>>;
  reviewers: { reviewer: Person; items: number }[];
  unassigned: number; unassignedSample: { account: string; access: string; why: string }[];
  /** Items the fallback reviewer gets (nobody the mode names could review them). */
  fallback: number; fallbackSample: { account: string; access: string; why: string }[];
}

/** A campaign the signed-in reviewer has items in, with their own progress (GET /reviews/campaigns). */
export interface MyCampaign {
  id: string; name: string; description: string | null; status: CampaignStatus; stage: 1 | 2; stages: 1 | 2; deadline: string | null;
  progress: { open: number; decided: number; closed: number; total: number };
}

export interface ReviewerProgress { reviewer: Person; total: number; decided: number; open: number }

export interface ApplyPreview {
  total: number; writeBack: number; manual: number;
  byConnection: { connectionId: string; connectionName: string; resources: { resourceName: string; kind: AccessKind; revoking: number; writeBack: boolean; manualReason: string | null }[] }[];
  wouldHold: Campaign['held'];
}

export interface ItemFilters { q?: string; reviewer?: string; decision?: string; remediation?: string; verification?: string; kind?: string }
export interface ReviewFilters { campaign?: string; status?: 'open' | 'decided' | 'all'; q?: string; kind?: string; recommendation?: string; groupBy?: 'person' | 'resource' }
export interface HistoryEntry { at: string; actor: string; action: 'decided' | 'reassigned' | 'reminded' | 'escalated'; detail: string }

/** The query string of the values that are set (empty ones are left out). */
export function params(values: Record<string, string | number | undefined | null>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v !== undefined && v !== null && String(v).trim() !== '') p.set(k, String(v).trim());
  const s = p.toString();
  return s ? `?${s}` : '';
}

const enc = encodeURIComponent;

export const campaignsApi = {
  list: (status?: string) => call<{ campaigns: Campaign[] }>('GET', `/campaigns${params({ status })}`),
  preview: (input: CampaignInput) => call<ScopePreview>('POST', '/campaigns/preview', input),
  create: (input: CampaignInput) => call<{ campaign: Campaign }>('POST', '/campaigns', input),
  get: (id: string) => call<{ campaign: Campaign; reviewers: ReviewerProgress[] }>('GET', `/campaigns/${enc(id)}`),
  start: (id: string) => call<{ campaign: Campaign }>('POST', `/campaigns/${enc(id)}/start`, {}),
  close: (id: string, apply: boolean) => call<{ campaign: Campaign }>('POST', `/campaigns/${enc(id)}/close`, { apply }),
  cancel: (id: string) => call<{ campaign: Campaign }>('POST', `/campaigns/${enc(id)}/cancel`, {}),
  items: (id: string, f: ItemFilters, cursor: string | null, limit = 50) =>
    call<{ items: ReviewItem[]; nextCursor: string | null }>('GET', `/campaigns/${enc(id)}/items${params({ ...f, limit, cursor })}`),
  applyPreview: (id: string) => call<ApplyPreview>('GET', `/campaigns/${enc(id)}/apply-preview`),
  apply: (id: string) => call<{ campaign: Campaign }>('POST', `/campaigns/${enc(id)}/apply`, {}),
  approveApply: (id: string, note: string) => call<{ campaign: Campaign }>('POST', `/campaigns/${enc(id)}/approve-apply`, { note }),
  retry: (id: string, itemId: string) => call<{ item: ReviewItem }>('POST', `/campaigns/${enc(id)}/items/${enc(itemId)}/retry`, {}),
  manualDone: (id: string, itemId: string, note: string) => call<{ item: ReviewItem }>('POST', `/campaigns/${enc(id)}/items/${enc(itemId)}/manual-done`, { note }),
  report: (id: string) => call<{ campaign: Campaign; items: ReviewItem[] }>('GET', `/campaigns/${enc(id)}/report`),
  reportCsvUrl: (id: string) => `/api/v1/campaigns/${enc(id)}/report.csv`,
};

export const reviewsApi = {
  list: (f: ReviewFilters, cursor: string | null, limit = 50) =>
    call<{ items: ReviewItem[]; nextCursor: string | null; counts: { open: number; decided: number; total: number }; banner: string | null }>('GET', `/reviews${params({ ...f, limit, cursor })}`),
  get: (itemId: string) => call<{ item: ReviewItem; history: HistoryEntry[] }>('GET', `/reviews/${enc(itemId)}`),
  decide: (body: { itemIds?: string[]; filter?: { campaign?: string; q?: string; kind?: string; recommendation?: string }; decision: Decision | 'recommendation'; justification?: string; includeDecided?: boolean }) =>
    call<{ decided: number; keptDecided: number }>('POST', '/reviews/decide', body),
  campaigns: () => call<{ campaigns: MyCampaign[] }>('GET', '/reviews/campaigns'),
  reassign: (itemId: string, toUserId: string, note: string) => call<{ item: ReviewItem }>('POST', `/reviews/${enc(itemId)}/reassign`, { toUserId, note }),
  reviewers: () => call<{ people: Person[] }>('GET', '/reviews/reviewers'),
};

export const ACCESS_KINDS: readonly AccessKind[] = ['group_membership', 'directory_role', 'app_role', 'aws_group_membership', 'aws_policy', 'aws_access_key', 'google_admin_role', 'scim_group_membership'];
export const KIND_LABELS: Record<AccessKind, string> = {
  group_membership: 'Group memberships', directory_role: 'Directory roles', app_role: 'App role assignments',
  aws_group_membership: 'AWS group memberships', aws_policy: 'AWS policies', aws_access_key: 'AWS access keys',
  google_admin_role: 'Google admin roles', scim_group_membership: 'SCIM group memberships',
};
/** Which directory kind offers each access kind (the pickers offer only what the chosen connections hold). */
export const KIND_PROVIDER: Record<AccessKind, string[]> = {
  group_membership: ['microsoft365', 'google_workspace'], directory_role: ['microsoft365'], app_role: ['microsoft365'],
  aws_group_membership: ['aws_iam'], aws_policy: ['aws_iam'], aws_access_key: ['aws_iam'],
  google_admin_role: ['google_workspace'], scim_group_membership: ['scim'],
};
export const CAMPAIGN_STATUSES: readonly CampaignStatus[] = ['draft', 'running', 'closing', 'closed', 'applying', 'held', 'applied', 'verified', 'cancelled'];
export const CAMPAIGN_STATUS_LABELS: Record<CampaignStatus, string> = {
  draft: 'Draft', running: 'Running', closing: 'Closing', closed: 'Closed', applying: 'Applying', held: 'Apply held', applied: 'Applied', verified: 'Verified', cancelled: 'Cancelled',
};
export const REMEDIATION_LABELS: Record<Remediation, string> = { none: '—', open: 'Open', applying: 'Applying', success: 'Success', error: 'Error', manual: 'Manual' };
export const VERIFICATION_LABELS: Record<string, string> = { pending: 'Pending', verified: 'Verified', did_not_stick: 'Did not stick' };
export const MODE_LABELS: Record<ReviewerMode, string> = { manager: "The person's manager", owner: "The resource's owner", named: 'Named people' };
export const NO_RESPONSE_LABELS: Record<CampaignInput['noResponse'], string> = { keep: 'Keep the access', revoke: 'Revoke the access', recommendation: 'Take the recommendation' };

/** "Approved", "Revoked", "Open", "Removed elsewhere", "No response (kept)". */
export function decisionLabel(i: Pick<ReviewItem, 'decision' | 'closedReason'>): string {
  if (i.closedReason === 'removed_elsewhere') return 'Removed elsewhere';
  const d = i.decision === 'approve' ? 'Approved' : i.decision === 'revoke' ? 'Revoked' : 'Open';
  return i.closedReason === 'no_response' ? `No response (${i.decision === 'revoke' ? 'revoked' : 'kept'})` : d;
}

/** How the access is held: "Direct", or "Through Sales → All staff". */
export function viaLabel(a: ReviewItem['access']): string {
  return a.via === 'direct' || a.chain.length === 0 ? 'Direct' : `Through ${a.chain.join(' → ')}`;
}

/** decided / items as a whole percent (0 when there are no items). */
export function percent(done: number, total: number): number {
  return total > 0 ? Math.round((done / total) * 100) : 0;
}

/** Whether a campaign can still change state from the UI. */
export const IS_OPEN: Record<CampaignStatus, boolean> = { draft: true, running: true, closing: true, closed: true, applying: true, held: true, applied: false, verified: false, cancelled: false };
