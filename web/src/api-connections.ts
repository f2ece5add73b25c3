// Typed client of the connections, credentials, incidents and alerts routes (docs/api.md).
import { call, type RenderedError } from './api.js';

export type Kind = 'microsoft365' | 'google_workspace' | 'aws_iam' | 'scim';
export type Role = 'continuity_source' | 'continuity_destination' | 'directory';
export type ConnStatus = 'active' | 'error' | 'not_tested' | 'expiring';
export type FindingStatus = 'pass' | 'fail' | 'warning' | 'skipped';

export interface Finding { check: string; label: string; status: FindingStatus; error: RenderedError | null; detail: string | null }

export interface Credential {
  id: string; connectionId: string; state: 'pending' | 'current' | 'previous' | 'retired'; type: string; label: string; hasSecret: boolean;
  meta: Record<string, string | number | boolean | null>;
  expiry: { what: string; basis: 'credential' | 'entered' | 'age_policy'; maxAgeDays: number | null };
  expiresAt: string | null; daysLeft: number | null; expiringSoon: boolean; issuedAt: string | null;
  createdAt: string; createdBy: string; activatedAt: string | null; retiredAt: string | null;
  lastTestedAt: string | null; lastTestOk: boolean | null; findings: Finding[] | null;
}

export interface ConnectionV {
  id: string; name: string; kind: Kind; kindName: string; role: Role; status: ConnStatus;
  lastTestedAt: string | null; lastOkAt: string | null; lastError: RenderedError | null;
  config: Record<string, unknown>; summary: { label: string; value: string }[];
  credential: Credential | null; credentials: Credential[];
  expiresAt: string | null; daysLeft: number | null;
  incident: { id: string; since: string; title: string; code: string } | null;
  writeBack: { enabled: boolean; consentedAt: string | null; consentedBy: string | null; available: boolean; permissions: string[]; howTo: string | null; adminConsentUrl: string | null };
  permissions: { read: string[]; writeBack: string[] };
  adminConsentUrl: string | null;
  scope: Scope | null;
  scopeExcluded: { guests: number; external: number; disabled: number; countedAt: string } | null;
  findings: Finding[] | null; createdAt: string; updatedAt: string;
}

export interface Scope { includeGuests: boolean; includeExternal: boolean; includeDisabled: boolean }

export interface KindDescription {
  kind: Kind; displayName: string; defaultRole: Role;
  roles: { role: Role; available: boolean; readPermissions: string[]; writeBackPermissions: string[]; writeBackHowTo: string | null; hasConsentLink: boolean }[];
  methods: { method: string; label: string; keyless: boolean }[];
}

export interface InventoryEntry extends Credential { connectionName: string; connectionKind: Kind; kindName: string; role: Role; status: 'expired' | 'expiring' | 'ok' | 'unknown' }

export interface Incident {
  id: string; connectionId: string; connectionName: string; connectionKind: string; kindName: string; state: 'open' | 'resolved';
  trigger: 'test' | 'sync' | 'user_failures'; detail: string | null; since: string; lastSeenAt: string; resolvedAt: string | null; resolvedBy: string | null;
  occurrences: number; affectedUsers: number; error: RenderedError | null;
}

export interface Channel { id: string; type: 'email' | 'webhook'; name: string; enabled: boolean; config: Record<string, unknown>; hasSecret: boolean; createdAt: string; updatedAt: string }
export interface AlertRow { id: string; event: string; status: string; subject: { type: string; id: string; name: string }; title: string; attempts: number; deliveries: Record<string, string>; lastError: RenderedError | null; createdAt: string; sentAt: string | null }

export interface CredentialTest { ok: boolean; findings: Finding[] }

export const connApi = {
  kinds: () => call<{ kinds: KindDescription[] }>('GET', '/connection-kinds'),
  list: () => call<{ connections: ConnectionV[] }>('GET', '/connections'),
  get: (id: string) => call<ConnectionV>('GET', `/connections/${id}`),
  create: (body: unknown) => call<ConnectionV>('POST', '/connections', body),
  edit: (id: string, body: unknown) => call<ConnectionV>('PATCH', `/connections/${id}`, body),
  remove: (id: string) => call<void>('DELETE', `/connections/${id}`),
  test: (id: string) => call<{ ok: boolean; connection: ConnectionV; findings: Finding[]; resolvedIncident: string | null; requeuedUsers: number }>('POST', `/connections/${id}/test`),
  writeBack: (id: string, enabled: boolean) => call<ConnectionV>('POST', `/connections/${id}/write-back`, { enabled }),
  addCredential: (id: string, body: unknown) => call<{ credential: Credential; test: CredentialTest }>('POST', `/connections/${id}/credentials`, body),
  testCredential: (id: string, credId: string) => call<CredentialTest>('POST', `/connections/${id}/credentials/${credId}/test`),
  switchCredential: (id: string, credId: string, body: { force?: boolean; retirePrevious?: boolean } = {}) =>
    call<{ connection: ConnectionV; test: CredentialTest; requeuedUsers: number; resolvedIncident: string | null }>('POST', `/connections/${id}/credentials/${credId}/switch`, body),
  retireCredential: (id: string, credId: string) => call<Credential>('POST', `/connections/${id}/credentials/${credId}/retire`),
  discardCredential: (id: string, credId: string) => call<void>('DELETE', `/connections/${id}/credentials/${credId}`),
  bundleUrl: (id: string) => `/api/v1/connections/${id}/bundle`,
  inventory: () => call<{ credentials: InventoryEntry[] }>('GET', '/credentials'),
  incidents: (state?: string) => call<{ incidents: Incident[] }>('GET', `/incidents${state ? `?state=${state}` : ''}`),
  channels: () => call<{ channels: Channel[] }>('GET', '/alerts/channels'),
  createChannel: (body: unknown) => call<Channel>('POST', '/alerts/channels', body),
  editChannel: (id: string, body: unknown) => call<Channel>('PATCH', `/alerts/channels/${id}`, body),
  deleteChannel: (id: string) => call<void>('DELETE', `/alerts/channels/${id}`),
  testChannel: (id: string) => call<{ ok: boolean; error: RenderedError | null }>('POST', `/alerts/channels/${id}/test`),
  alerts: () => call<{ alerts: AlertRow[] }>('GET', '/alerts?limit=50'),
};

export const KIND_NAMES: Record<Kind, string> = { microsoft365: 'Microsoft 365', google_workspace: 'Google Workspace', aws_iam: 'AWS IAM', scim: 'SCIM 2.0' };
export const ROLE_NAMES: Record<Role, string> = { continuity_source: 'Continuity source', continuity_destination: 'Continuity destination', directory: 'Directory' };
export const CONN_STATUS: Record<ConnStatus, string> = { active: 'Active', error: 'Error', not_tested: 'Not tested', expiring: 'Expiring soon' };

/** "Members only — guests, external identities and disabled accounts left out", or "Every account". */
export function scopeText(s: Scope): string {
  const out = [!s.includeGuests && 'guests', !s.includeExternal && 'external identities', !s.includeDisabled && 'disabled accounts'].filter((x): x is string => typeof x === 'string');
  if (out.length === 0) return 'Every account (guests, external identities and disabled accounts included)';
  const list = out.length === 1 ? out[0]! : `${out.slice(0, -1).join(', ')} and ${out.at(-1)!}`;
  return `Members only — ${list} left out`;
}

/** Google scopes shown without their common prefix. */
export const shortPermission = (p: string) => p.replace('https://www.googleapis.com/auth/', '');

/** "Certificate expires in 23 days", "Client secret expired 3 days ago", "Key rotation due in 12 days". */
export function countdown(c: Credential | null): string | null {
  if (!c) return null;
  const noun = c.type === 'certificate' ? 'Certificate' : c.type === 'client_secret' ? 'Client secret' : c.type === 'service_account_key' ? 'Key' : c.type === 'bearer_token' ? 'Token' : c.type === 'impersonation' ? null : 'Access key';
  if (noun === null) return 'Keyless: nothing expires';
  if (c.daysLeft === null) return `${noun}: no expiry date known`;
  const d = Math.abs(c.daysLeft);
  const days = `${d} day${d === 1 ? '' : 's'}`;
  if (c.expiry.basis === 'age_policy') return c.daysLeft < 0 ? `${noun} rotation overdue by ${days}` : `${noun} rotation due in ${days}`;
  return c.daysLeft < 0 ? `${noun} expired ${days} ago` : `${noun} expires in ${days}`;
}
