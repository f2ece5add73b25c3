// Typed client of the certification routes (issue 13; contract /work/briefs/campaigns-api.md):
// campaigns (admins and staff) and My reviews (any signed-in reviewer, their own items only).
import { call } from './api.js';

// The answers' shapes are the server's own (src/campaigns/wire.ts, types only), so a field the
// server changes is a type error here instead of a blank cell.
export type { AccessKind, CampaignInput, CampaignStatus, Remediation, Verification } from '../../src/campaigns/input.js';
export type { HeldReason, Person } from '../../src/campaigns/wire.js';
import type { AccessKind, CampaignInput, CampaignStatus, Remediation } from '../../src/campaigns/input.js';
import type { CampaignView, Person, ReviewItemView } from '../../src/campaigns/wire.js';
export type ReviewerMode = CampaignInput['reviewers']['mode'];
export type Decision = NonNullable<ReviewItemView['decision']>;
export type Campaign = CampaignView;
export type ReviewItem = ReviewItemView;

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
