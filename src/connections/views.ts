import type { Runtime } from '../runtime/context.js';
import { parseStoredError, renderError, renderStored, type RenderedError } from '../errors/index.js';
import type { CheckResult } from '../connectors/sdk/index.js';
import { fromJson } from '../store/json.js';
import type { ConnectionRow } from '../store/connections-repo.js';
import { openIncidentOf } from '../store/incidents-repo.js';
import { credentialsOf } from '../store/credentials-repo.js';
import { kindDisplayName, kindSpec } from './kinds/index.js';
import type { ConnectionKind, ConnectionRole } from './kinds/types.js';
import { viewCredential, viewFinding, type CredentialView, type FindingView } from './credentials.js';
import { EXPIRING_SOON_DAYS } from './expiry.js';
import { exclusionsOf, scopeOf, type ScopeExclusions } from './kinds/scope.js';
import type { DirectoryScope } from '../connectors/sdk/index.js';

/**
 * A connection as the API shows it: never a secret. Status is Active / Error / Not tested as
 * stored, and "Expiring soon" when an Active connection's credential in use expires (or is due
 * for rotation) within 30 days.
 */
export type ConnectionStatus = 'active' | 'error' | 'not_tested' | 'expiring';

export interface ConnectionView {
  id: string;
  name: string;
  kind: ConnectionKind;
  kindName: string;
  role: ConnectionRole;
  status: ConnectionStatus;
  lastTestedAt: string | null;
  lastOkAt: string | null;
  lastError: RenderedError | null;
  config: Record<string, unknown>;
  summary: { label: string; value: string }[];
  /** The credential in use (null only for a connection broken by hand in the database). */
  credential: CredentialView | null;
  /** Every credential not yet retired: current, pending (rotation in progress), previous (rollback). */
  credentials: CredentialView[];
  expiresAt: string | null;
  daysLeft: number | null;
  incident: { id: string; since: string; title: string; code: string } | null;
  /**
   * Write-back is its own consent: off (read-only) unless an admin turned it on. `permissions`
   * are what it adds, `howTo` where to grant them, `adminConsentUrl` the provider's consent
   * link for them (Entra ID), whether or not it is on yet.
   */
  writeBack: { enabled: boolean; consentedAt: string | null; consentedBy: string | null; available: boolean; permissions: readonly string[]; howTo: string | null; adminConsentUrl: string | null };
  permissions: { read: readonly string[]; writeBack: readonly string[] };
  /** The provider's admin-consent link for the permissions in use, when it has one. */
  adminConsentUrl: string | null;
  /** Directory connections: what is read (guests, external identities, disabled accounts); null for other roles. */
  scope: DirectoryScope | null;
  /** What the last full read left out because of the scope, once the inventory counted it. */
  scopeExcluded: ScopeExclusions | null;
  findings: FindingView[] | null;
  createdAt: string;
  updatedAt: string;
}

/** Where an admin's browser comes back after admin consent. */
export function consentRedirect(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/api/v1/connections/consent-callback`;
}

export async function viewConnection(rt: Runtime, tenantId: string, row: ConnectionRow, opts: { baseUrl?: string | undefined; consentState?: ((connectionId: string) => string) | undefined } = {}): Promise<ConnectionView> {
  const spec = kindSpec(row.kind);
  const nowMs = rt.now();
  const creds = (await credentialsOf(rt.store.db, tenantId, row.id)).map((c) => viewCredential(row.kind, c, nowMs));
  const current = creds.find((c) => c.state === 'current') ?? null;
  const incident = await openIncidentOf(rt.store.db, tenantId, row.id);
  const findings = fromJson<CheckResult[] | null>(row.last_findings_json, null);
  const config = fromJson<Record<string, unknown>>(row.config_json, {});
  const role = row.role as ConnectionRole;
  const roleSpec = spec.roles[role];
  const writeBack = Number(row.write_back) === 1;
  const permissions = { read: roleSpec?.readPermissions ?? [], writeBack: roleSpec?.writeBackPermissions ?? [] };
  const wanted = [...permissions.read, ...(writeBack ? permissions.writeBack : [])];
  const redirect = consentRedirect(opts.baseUrl ?? 'http://localhost:8080');
  // The state is signed and bound to whoever asked for the view, so the callback (a GET) can
  // tell a consent this caller started from a forged or replayed one.
  const state = opts.consentState ? opts.consentState(row.id) : row.id;
  const consentFor = (perms: readonly string[]) => (spec.consentUrl ? spec.consentUrl(config, perms, redirect, state) : null);
  let status: ConnectionStatus = row.status as ConnectionStatus;
  if (status === 'active' && current?.daysLeft !== null && current?.daysLeft !== undefined && current.daysLeft <= EXPIRING_SOON_DAYS) status = 'expiring';
  const incidentError = incident ? renderError(parseStoredError({ code: incident.code, params: {} })?.code ?? 'internal.unexpected', fromJson(incident.params_json, {})) : null;
  return {
    id: row.id,
    name: row.name,
    kind: row.kind as ConnectionKind,
    kindName: kindDisplayName(row.kind, row.role),
    role,
    status,
    lastTestedAt: row.last_tested_at,
    lastOkAt: row.last_ok_at,
    lastError: renderStored(parseStoredError(row.last_error_json)),
    config,
    summary: spec.summaryFields.filter((f) => config[f.key] !== undefined && config[f.key] !== '').map((f) => ({ label: f.label, value: String(config[f.key]) })),
    credential: current,
    credentials: creds.filter((c) => c.state !== 'retired'),
    expiresAt: current?.expiresAt ?? null,
    daysLeft: current?.daysLeft ?? null,
    incident: incident && incidentError ? { id: incident.id, since: incident.opened_at, title: incidentError.title, code: incidentError.code } : null,
    writeBack: {
      enabled: writeBack,
      consentedAt: row.write_back_at,
      consentedBy: row.write_back_by,
      available: permissions.writeBack.length > 0,
      permissions: permissions.writeBack,
      howTo: roleSpec?.writeBackHowTo ?? null,
      adminConsentUrl: permissions.writeBack.length > 0 ? consentFor([...permissions.read, ...permissions.writeBack]) : null,
    },
    permissions,
    adminConsentUrl: consentFor(wanted),
    scope: role === 'directory' ? scopeOf(config) : null,
    scopeExcluded: role === 'directory' ? exclusionsOf(config) : null,
    findings: findings ? findings.map(viewFinding) : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
