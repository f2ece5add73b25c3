// Typed client of the continuity routes (docs/api.md): sync status, one user, policies, budgets.
import { call, type RenderedError } from './api.js';

export const SYNC_STATUSES = ['pending', 'initial_sync', 'synced', 'throttled', 'blocked', 'failed', 'quarantined', 'excluded'] as const;
export type SyncStatusName = (typeof SYNC_STATUSES)[number];

export interface SyncUserRow {
  id: string; policyId: string; policyName: string; email: string; displayName: string; destinationEmail: string;
  status: SyncStatusName; throttledBy: 'source' | 'destination' | null; resumesAt: string | null;
  exported: number; imported: number; failedItems: number; importedBytes: number;
  progress: { done: number; total: number } | null;
  lastError: RenderedError | null; lastSyncAt: string | null; nextSyncAt: string | null; consecutiveFailures: number;
  exclusion: { reason: string | null; at: string | null; deleteAfter: string | null; destinationDeletedAt: string | null } | null;
}

export interface Gap { class: string; count: number; examples: { sourceItemId?: string; destinationId?: string; subject?: string | null; code?: string }[] }
export interface Reconciliation { windowFrom: string; source: number; destination: number; matched: number; outsideWindow: number; gaps: Gap[] }
export interface FolderRow { id: string; name: string; label: string | null; phase: string; windowTotal: number | null; imported: number; failed: number; pending: number; trashed: number; gone: boolean; reconciliation: Reconciliation | null; reconciledAt: string | null }
export interface SyncUserDetail extends SyncUserRow { folders: FolderRow[]; failedItemCount: number; retryQueued: number }
export interface ItemRow { sourceItemId: string; folder: string; subject: string | null; size: number | null; receivedAt: string | null; state: string; error: RenderedError | null; at: string }
export interface ExplainStep { step: string; title: string; status: 'pass' | 'fail' | 'warning' | 'info'; detail: string; error: RenderedError | null }
export interface Explanation { verdict: string; steps: ExplainStep[] }

export interface AttributeRule { attribute: string; operator: 'equals' | 'notEquals' | 'startsWith' | 'contains'; value: string }
export interface SelectionRule { mode: 'all' | 'rules' | 'list'; include: string[]; exclude: string[]; groups: string[]; excludeGroups: string[]; attributes: AttributeRule[] }
export interface HeldCycle { at: string; percent: number; threshold: number; activeCount: number; removals: { syncUserId: string; email: string; reason: string }[] }
export interface PolicyFull {
  id: string; name: string; sourceConnectionId: string; destinationConnectionId: string; selection: SelectionRule;
  scheduleMinutes: number; initialWindowDays: number; deletionDelayDays: number | null; massDeletionPercent: number;
  enabled: boolean; heldCycle: HeldCycle | null; lastCycleAt: string | null; nextCycleAt: string | null;
}
export interface PolicyPreview {
  selected: number; current: number;
  added: { email: string; displayName: string; destinationEmail: string; createsAccount: boolean }[];
  removed: { email: string; reason: string; deleteAfter: string | null }[];
  returning: { email: string }[];
  accountsToCreate: number; accountsToDelete: { email: string; at: string }[];
  held: { percent: number; threshold: number } | null;
}
export interface Budgets { sourceMailbox: { requests: number; windowMinutes: number; concurrent: number }; destinationUser: { unitsPerMinute: number }; destinationProject: { unitsPerMinute: number } }
export interface ContinuityDashboard {
  users: Record<SyncStatusName, number>; usersSynced: number; failedUsers: number; itemsImported: number; dataSyncedBytes: number;
  changes24h: { imported: number; changed: number; deleted: number; total: number }; oldestSuccessfulSync: string | null; neverSynced: number;
  connections: { active: number; error: number; not_tested: number }; policies: { enabled: number; total: number; held: number };
}

const enc = encodeURIComponent;

export const continuity = {
  /** One keyset page (200 by default) of the filtered users, in name order. */
  users: (q: { status?: string; q?: string; policyId?: string; cursor?: string; limit?: number }) => {
    const p = new URLSearchParams({ limit: String(q.limit ?? 200) });
    for (const [k, v] of Object.entries(q)) if (v && k !== 'limit') p.set(k, String(v));
    return call<{ users: SyncUserRow[]; total: number; totalExact: boolean; nextCursor: string | null; counts: Record<SyncStatusName, number> }>('GET', `/sync/users?${p}`);
  },
  /** Every user the filter matches, page after page (the CSV export). */
  allUsers: async (q: { status?: string; q?: string; policyId?: string }) => {
    const all: SyncUserRow[] = [];
    let cursor: string | undefined;
    do {
      const r = await continuity.users({ ...q, limit: 1000, ...(cursor ? { cursor } : {}) });
      all.push(...r.users);
      cursor = r.nextCursor ?? undefined;
    } while (cursor);
    return all;
  },
  user: (id: string) => call<SyncUserDetail>('GET', `/sync/users/${enc(id)}`),
  items: (id: string) => call<{ items: ItemRow[]; total: number }>('GET', `/sync/users/${enc(id)}/items?state=failed`),
  retryFailed: (id: string) => call<{ queued: number }>('POST', `/sync/users/${enc(id)}/retry-failed`, {}),
  retryNow: (id: string) => call<{ queued: boolean }>('POST', `/sync/users/${enc(id)}/retry`),
  explain: (id: string) => call<Explanation>('GET', `/sync/users/${enc(id)}/explain`),
  reconcile: (id: string) => call<{ folders: { name: string; reconciliation: Reconciliation }[] }>('POST', `/sync/users/${enc(id)}/reconcile`),
  policies: () => call<{ policies: PolicyFull[] }>('GET', '/policies'),
  createPolicy: (body: unknown) => call<PolicyFull>('POST', '/policies', body),
  editPolicy: (id: string, body: unknown) => call<PolicyFull>('PATCH', `/policies/${enc(id)}`, body),
  preview: (body: unknown) => call<PolicyPreview>('POST', '/policies/preview', body),
  approveHeld: (id: string) => call<PolicyFull>('POST', `/policies/${enc(id)}/held-cycle/approve`),
  rejectHeld: (id: string) => call<PolicyFull>('POST', `/policies/${enc(id)}/held-cycle/reject`),
  budgets: () => call<Budgets>('GET', '/continuity/budgets'),
  saveBudgets: (body: unknown) => call<Budgets>('PATCH', '/continuity/budgets', body),
  dashboard: () => call<ContinuityDashboard>('GET', '/dashboard'),
};

export const GAP_LABELS: Record<string, string> = {
  failed_item: 'Cannot sync (see Items)',
  awaiting_sync: 'New since the last cycle',
  in_doubt: 'Being settled',
  missing_in_destination: 'Missing in Google',
  changed_since_last_cycle: 'Moved or deleted since the last cycle',
  extra_in_destination: 'Only in Google',
};
