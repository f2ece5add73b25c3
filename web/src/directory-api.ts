import { formatTime } from './format.js';
// Typed client of the identity inventory routes (docs/api.md): identities, explain, directory sync.
import { call, type RenderedError } from './api.js';
import type { Kind, Scope } from './api-connections.js';

export type RunStatus = 'running' | 'throttled' | 'held' | 'succeeded' | 'warning' | 'failed';
export type DirectoryState = 'never_synced' | 'queued' | RunStatus;
export type SyncMode = 'auto' | 'full' | 'delta';

export interface DirCounts { accounts: number; groups: number; memberships: number; entitlements: number; grants: number; credentials: number }
export interface DirExcludedCounts { guests: number; external: number; disabled: number }

export interface DirRunView {
  id: string; connectionId: string; mode: 'full' | 'delta'; trigger: string; status: RunStatus;
  startedAt: string; finishedAt: string | null; durationMs: number | null;
  objectsRead: number; pagesRead: number; pagesUnchanged: number;
  added: number; changed: number; removed: number;
  counts: DirCounts | null;
  excluded: DirExcludedCounts | null;
  checks: { danglingMemberships: number; danglingGrants: number; samples: string[] } | null;
  error: RenderedError | null;
  resumeAt: string | null;
  progress: { stream: string; streamIndex: number; streams: number; page: number } | null;
  /** Removals the mass-removal guard held (status 'held'), with the numbers and a sample. */
  held: HeldRemovals | null;
}

export interface HeldRemovals {
  threshold: number;
  kinds: { kind: 'accounts' | 'groups' | 'memberships'; before: number; removed: number; percent: number }[];
  sample: string[];
  heldAt: string;
  approved: { by: string; at: string } | null;
}

export interface DirectoryStatusView {
  connectionId: string; connectionName: string; kind: string;
  state: DirectoryState;
  message: string;
  throttledUntil: string | null; lastRun: DirRunView | null; activeRun: DirRunView | null;
  lastSuccessAt: string | null; nextFullAt: string | null; nextDeltaAt: string | null;
  counts: DirCounts | null; excluded: DirExcludedCounts | null;
  scope: Scope;
}

export type IdentityType = 'person' | 'guest' | 'service';
export type IdentityStatus = 'active' | 'disabled';
export const IDENTITY_TYPES: readonly IdentityType[] = ['person', 'guest', 'service'];
export const IDENTITY_STATUSES: readonly IdentityStatus[] = ['active', 'disabled'];

export interface IdentityRow {
  id: string; displayName: string; email: string | null; employeeId: string | null;
  type: IdentityType; status: IdentityStatus; accounts: number;
  connections: { id: string; name: string; kind: string }[];
  updatedAt: string;
}

export interface AccountView {
  connectionId: string; connectionName: string; kind: string; externalId: string;
  userName: string; email: string | null; displayName: string; accountType: string;
  enabled: boolean; external: boolean; employeeId: string | null; lastSignInAt: string | null;
  matchedBy: { rule: string; value: string } | null;
}
export interface GroupView {
  connectionId: string; connectionName: string; externalId: string; displayName: string; email: string | null;
  via: 'direct' | 'nested'; path: string[]; role: string | null;
}
export interface EntitlementView {
  connectionId: string; connectionName: string; externalId: string; displayName: string; entitlementType: string;
  privileged: boolean; via: 'direct' | 'group'; viaGroup: string | null;
}
export interface CredentialView { connectionId: string; externalId: string; credentialType: string; status: string; createdAt: string | null; lastUsedAt: string | null }
export interface IdentityTypeRule {
  type: IdentityType;
  decidedBy: 'override' | 'evidence';
  explanation: string;
  override: { type: IdentityType; reason: string | null; setBy: string; setAt: string } | null;
}
export interface IdentityDetail { identity: IdentityRow; accounts: AccountView[]; groups: GroupView[]; entitlements: EntitlementView[]; credentials: CredentialView[]; typeRule: IdentityTypeRule }

export type Verdict = 'found' | 'missing' | 'duplicated';
export interface ExplainConnection {
  id: string; name: string; kind: string; accounts: AccountView[];
  excluded: { reason: string; userName: string; email: string | null; displayName: string }[];
  lastSyncAt: string | null; scope: Scope | null;
}
export interface Explain {
  query: string; found: IdentityRow[]; verdict: Verdict;
  connections: ExplainConnection[];
  rules: { rule: string; enabled: boolean; matched: boolean; detail: string }[];
  explanation: string[];
}

export type RuleAttribute = 'email' | 'user_name' | 'employee_id';
export interface CorrelationRules { rules: { attribute: RuleAttribute; enabled: boolean }[]; correlatedAt: string | null; /** A correlation is queued or running. */ pending: boolean }

export interface IdentityFilters { q?: string; connection?: string; status?: string; type?: string }

/** The query string of the filters that are set (empty ones are left out). */
export function filterParams(f: IdentityFilters, extra: Record<string, string> = {}): URLSearchParams {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...f, ...extra })) if (v) p.set(k, v.trim());
  return p;
}

/** The CSV export of every identity matching the filters (no paging). */
export function identitiesCsvUrl(f: IdentityFilters): string {
  const p = filterParams(f).toString();
  return `/api/v1/identities.csv${p ? `?${p}` : ''}`;
}

const enc = encodeURIComponent;

export const directoryApi = {
  identities: (f: IdentityFilters, page: { limit: number; cursor?: string | undefined }) =>
    call<{ items: IdentityRow[]; total: number; totalExact: boolean; nextCursor: string | null }>('GET', `/identities?${filterParams(f, { limit: String(page.limit), ...(page.cursor ? { cursor: page.cursor } : {}) })}`),
  identity: (id: string) => call<IdentityDetail>('GET', `/identities/${enc(id)}`),
  setType: (id: string, type: IdentityType | 'auto', reason?: string) => call<IdentityTypeRule>('PUT', `/identities/${enc(id)}/type`, { type, ...(reason ? { reason } : {}) }),
  explain: (q: string) => call<Explain>('GET', `/identities/explain?${new URLSearchParams({ q })}`),
  correlation: () => call<CorrelationRules>('GET', '/directory/correlation'),
  saveCorrelation: (rules: CorrelationRules['rules']) => call<CorrelationRules>('PUT', '/directory/correlation', { rules }),
  statuses: () => call<DirectoryStatusView[]>('GET', '/directory/connections'),
  status: (connectionId: string) => call<DirectoryStatusView>('GET', `/connections/${enc(connectionId)}/directory`),
  sync: (connectionId: string, mode: SyncMode = 'auto') =>
    call<{ queued: boolean; status: DirectoryStatusView }>('POST', `/connections/${enc(connectionId)}/directory/sync`, { mode }),
  runs: (connectionId: string, limit = 50) => call<{ items: DirRunView[] }>('GET', `/connections/${enc(connectionId)}/directory/runs?limit=${limit}`),
  run: (runId: string) => call<DirRunView>('GET', `/directory/runs/${enc(runId)}`),
  approveRemovals: (connectionId: string) => call<DirectoryStatusView>('POST', `/connections/${enc(connectionId)}/directory/held-removals/approve`),
  rejectRemovals: (connectionId: string) => call<DirectoryStatusView>('POST', `/connections/${enc(connectionId)}/directory/held-removals/reject`),
};

export const TYPE_LABELS: Record<IdentityType, string> = { person: 'Person', guest: 'Guest', service: 'Service account' };
export const RULE_LABELS: Record<string, string> = { email: 'Email', user_name: 'User name', employee_id: 'Employee ID' };
export const STATE_LABELS: Record<DirectoryState, string> = {
  never_synced: 'Never synced', queued: 'Queued', running: 'Running', throttled: 'Throttled', held: 'Removals held',
  succeeded: 'Synced', warning: 'Synced with warnings', failed: 'Failed',
};
export const REASON_LABELS: Record<string, string> = { guest: 'guest', external: 'external identity', disabled: 'disabled account' };
/** The scope switch (as the connection form labels it) that would keep an account left out for `reason`. */
export const SCOPE_SWITCH: Record<string, string> = { guest: 'Include guests', external: 'Include external identities', disabled: 'Include disabled accounts' };

export function kindName(kind: string): string {
  const names: Record<Kind, string> = { microsoft365: 'Entra ID', google_workspace: 'Google Workspace', aws_iam: 'AWS IAM', scim: 'SCIM app' };
  return names[kind as Kind] ?? kind;
}

/** 83 400 ms → "1 min 23 s"; null → "—". */
export function formatDuration(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min${s % 60 ? ` ${s % 60} s` : ''}` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** "10:42 UTC" (with the date when it is not today, UTC): the product's one convention for moments. */
export function clockTime(iso: string, now: number = Date.now()): string {
  const full = formatTime(iso);
  return full.slice(0, 10) === new Date(now).toISOString().slice(0, 10) ? full.slice(11) : full;
}
