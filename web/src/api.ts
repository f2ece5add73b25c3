// Typed client of the REST API (docs/api.md). Every error answers {error:{code,title,message,resolution}}.
export interface RenderedError { code: string; title: string; message: string; resolution: string; scope?: string; retry?: string }

export class ApiError extends Error {
  constructor(readonly status: number, readonly error: RenderedError) {
    super(error.title);
  }
}

export type ConnectionStatus = 'active' | 'error' | 'not_tested';
export interface Finding { check: string; label: string; status: 'pass' | 'fail' | 'warning' | 'skipped'; error: RenderedError | null; detail: string | null }
export interface Connection {
  id: string; name: string; kind: 'microsoft365' | 'google_workspace'; role: 'continuity_source' | 'continuity_destination';
  status: ConnectionStatus; lastTestedAt: string | null; lastError: RenderedError | null;
  config: { tenantId?: string; clientId?: string; serviceAccountEmail?: string; adminEmail?: string; domain?: string; endpoints?: Record<string, string> };
  credential: { type: string; hasSecret: boolean; certificate?: { subject: string; thumbprint: string; notAfter: string }; tokenProvider?: string; keyServiceAccount?: string };
  findings: Finding[] | null; createdAt: string; updatedAt: string;
}
export interface Selection { mode: 'all' | 'list'; include: string[]; exclude: string[] }
export interface Policy {
  id: string; name: string; sourceConnectionId: string; destinationConnectionId: string; selection: Selection;
  scheduleMinutes: number; initialWindowDays: number; enabled: boolean; lastCycleAt: string | null; nextCycleAt: string | null;
}
export type SyncStatus = 'pending' | 'initial_sync' | 'synced' | 'throttled' | 'blocked' | 'failed' | 'quarantined' | 'excluded';
export interface SyncUser {
  id: string; policyId: string; policyName: string; email: string; displayName: string; destinationEmail: string; status: SyncStatus;
  exported: number; imported: number; failedItems: number; lastError: RenderedError | null; lastSyncAt: string | null; nextSyncAt: string | null;
}
export interface SyncUserDetail extends SyncUser {
  folders: { name: string; phase: string; exported: number; imported: number }[];
  failures: { sourceItemId: string; folder: string; subject: string | null; size: number | null; error: RenderedError | null; at: string }[];
}
export interface AuditEvent { id: string; at: string; severity: 'info' | 'warning' | 'error'; action: string; actor: string; targetType: string | null; targetName: string | null; message: string; code: string | null }
export interface Dashboard { users: Record<SyncStatus, number>; itemsImported: number; connections: Record<ConnectionStatus, number>; policies: { enabled: number; total: number } }

/** The session's anti-forgery token: the server set it in a cookie this page can read; another site cannot. */
export function csrfToken(): string {
  const m = /(?:^|;\s*)sw_csrf=([^;]+)/.exec(document.cookie);
  return m ? decodeURIComponent(m[1]!) : '';
}

/** Called when an answer says the session is gone (401): the app shows the sign-in page. */
let onSignedOut: () => void = () => {};
export function whenSignedOut(fn: () => void): void {
  onSignedOut = fn;
}

export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken();
  const res = await fetch(`/api/v1${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 401 && !path.startsWith('/auth/')) onSignedOut();
  if (res.status === 204) return undefined as T;
  const json = (await res.json().catch(() => null)) as { error?: RenderedError } | null;
  if (!res.ok) throw new ApiError(res.status, json?.error ?? { code: 'internal.unexpected', title: `HTTP ${res.status}`, message: 'The server answered without details.', resolution: 'Try again.' });
  return json as T;
}

export const api = {
  connections: () => call<{ connections: Connection[] }>('GET', '/connections'),
  createConnection: (body: unknown) => call<Connection>('POST', '/connections', body),
  editConnection: (id: string, body: unknown) => call<Connection>('PATCH', `/connections/${id}`, body),
  deleteConnection: (id: string) => call<void>('DELETE', `/connections/${id}`),
  testConnection: (id: string) => call<{ ok: boolean; connection: Connection; findings: Finding[] }>('POST', `/connections/${id}/test`),
  policies: () => call<{ policies: Policy[] }>('GET', '/policies'),
  createPolicy: (body: unknown) => call<Policy>('POST', '/policies', body),
  setPolicyEnabled: (id: string, enabled: boolean) => call<Policy>('POST', `/policies/${id}/${enabled ? 'enable' : 'disable'}`),
  runPolicy: (id: string) => call<{ queued: number }>('POST', `/policies/${id}/run`),
  syncUsers: (q: { status?: string; q?: string; policyId?: string }) => {
    const p = new URLSearchParams({ limit: '1000' });
    for (const [k, v] of Object.entries(q)) if (v) p.set(k, v);
    return call<{ users: SyncUser[]; total: number; counts: Record<SyncStatus, number> }>('GET', `/sync/users?${p}`);
  },
  syncUser: (id: string) => call<SyncUserDetail>('GET', `/sync/users/${id}`),
  audit: (q: { severity?: string; action?: string; cursor?: string }) => {
    const p = new URLSearchParams({ limit: '100' });
    for (const [k, v] of Object.entries(q)) if (v) p.set(k, v);
    return call<{ events: AuditEvent[]; nextCursor: string | null }>('GET', `/audit?${p}`);
  },
  dashboard: () => call<Dashboard>('GET', '/dashboard'),
};
