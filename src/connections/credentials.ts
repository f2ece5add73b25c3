import { ZodError } from 'zod';
import type { Runtime } from '../runtime/context.js';
import { AppError, parseStoredError, rememberSecrets, renderStored, type RenderedError } from '../errors/index.js';
import type { CheckResult } from '../connectors/sdk/index.js';
import { newId, nowIso } from '../model/ids.js';
import { fromJson, toJson } from '../store/json.js';
import type { ConnectionRow } from '../store/connections-repo.js';
import { credentialInState, credentialsOf, insertCredential, type CredentialRow, type CredentialState } from '../store/credentials-repo.js';
import { kindSpec, methodSpec } from './kinds/index.js';
import type { ConnectorParts, CredentialMeta, ExpiryFacts, PreparedCredential } from './kinds/types.js';
import { getPlatformSecret } from './platform-secrets.js';
import { DEFAULT_TENANT } from '../api/route.js';
import { daysLeft, EXPIRING_SOON_DAYS } from './expiry.js';
import { scopeOf } from './kinds/scope.js';

/**
 * A connection's credentials: several per connection so a rotation can overlap (pending →
 * current → previous → retired). Each secret is sealed with AES-256-GCM bound to its tenant,
 * connection and credential id; non-secret facts (expiry, thumbprint, key id) stay in clear.
 */
export function aadFor(tenantId: string, row: Pick<CredentialRow, 'connection_id' | 'id' | 'aad_scheme'>): string {
  // Scheme 0: sealed before credentials had their own rows (migration 0004 could not re-seal).
  return Number(row.aad_scheme) === 0 ? `${tenantId}/connection/${row.connection_id}` : `${tenantId}/connection/${row.connection_id}/credential/${row.id}`;
}

/** Turns zod failures into the catalogue's request.invalid, naming the fields. */
export function invalidInput(e: unknown, prefix = ''): never {
  if (e instanceof ZodError) {
    const detail = e.issues.map((i) => `${prefix}${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
    throw new AppError('request.invalid', { detail });
  }
  throw e;
}

export async function platformFor(rt: Runtime, tenantId: string, method: string): Promise<ConnectorParts['platform']> {
  if (method !== 'impersonation') return { googleTokenProviderKeyJson: null };
  // The token provider is the installation's own Google identity (SYNCWARDEN_GOOGLE_TOKEN_PROVIDER_KEY_FILE,
  // stored under the default tenant at start): every tenant's keyless connections sign with it,
  // unless a tenant was given one of its own.
  const own = await getPlatformSecret(rt, tenantId, 'google_token_provider_key');
  return { googleTokenProviderKeyJson: own ?? (tenantId === DEFAULT_TENANT ? null : await getPlatformSecret(rt, DEFAULT_TENANT, 'google_token_provider_key')) };
}

/** Validates an admin's credential input for this kind and splits it into stored parts. */
export async function prepareCredential(rt: Runtime, tenantId: string, kind: string, input: unknown): Promise<PreparedCredential> {
  const spec = kindSpec(kind);
  const type = typeof input === 'object' && input !== null ? (input as { type?: unknown }).type : undefined;
  if (typeof type !== 'string') throw new AppError('request.invalid', { detail: `credential.type: one of ${Object.keys(spec.methods).join(', ')}` });
  const method = methodSpec(spec, type);
  try {
    const prepared = await method.prepare(method.input.parse(input), { now: new Date(rt.now()), platform: await platformFor(rt, tenantId, type) });
    rememberSecrets(prepared.secret);
    return prepared;
  } catch (e) {
    return invalidInput(e, 'credential.');
  }
}

export async function storeCredential(
  rt: Runtime,
  tenantId: string,
  connectionId: string,
  prepared: PreparedCredential,
  state: CredentialState,
  actor: string,
  db = rt.store.db,
): Promise<CredentialRow> {
  const id = newId('cred', rt.now());
  const now = nowIso(rt.now());
  const row: Omit<CredentialRow, 'tenant_id'> = {
    id,
    connection_id: connectionId,
    state,
    method: prepared.method,
    meta_json: toJson(prepared.meta),
    secret_ciphertext: null,
    aad_scheme: 1,
    expires_at: prepared.expiresAt,
    issued_at: prepared.issuedAt,
    created_at: now,
    created_by: actor,
    activated_at: state === 'current' ? now : null,
    retired_at: null,
    last_tested_at: null,
    last_test_ok: null,
    last_findings_json: null,
    updated_at: now,
  };
  row.secret_ciphertext = prepared.secret ? rt.secrets.seal(JSON.stringify(prepared.secret), aadFor(tenantId, row)) : null;
  await insertCredential(db, tenantId, row);
  return { ...row, tenant_id: tenantId };
}

export function openSecret(rt: Runtime, tenantId: string, row: CredentialRow): Record<string, string> | null {
  if (!row.secret_ciphertext) return null;
  let secret: Record<string, string>;
  try {
    secret = JSON.parse(rt.secrets.open(row.secret_ciphertext, aadFor(tenantId, row))) as Record<string, string>;
  } catch (e) {
    throw new AppError('connection.secret_unreadable', {}, { cause: e });
  }
  // From here on, provider text that echoes one of these values is scrubbed (errors/scrub.ts).
  rememberSecrets(secret);
  return secret;
}

export async function currentCredential(rt: Runtime, tenantId: string, connectionId: string): Promise<CredentialRow> {
  const row = await credentialInState(rt.store.db, tenantId, connectionId, 'current');
  if (!row) throw new AppError('connection.secret_unreadable');
  return row;
}

/** The connector's ingredients from a connection and one of its credentials. */
export async function connectorParts(rt: Runtime, tenantId: string, connection: ConnectionRow, credential: CredentialRow): Promise<ConnectorParts> {
  const config = fromJson<Record<string, unknown>>(connection.config_json, {});
  return {
    config,
    method: credential.method,
    meta: fromJson<CredentialMeta>(credential.meta_json, {}),
    secret: openSecret(rt, tenantId, credential),
    platform: await platformFor(rt, tenantId, credential.method),
    writeBack: Number(connection.write_back) === 1,
    recoveryOn: connection.role === 'continuity_source' && (await recoveryOnFor(rt, tenantId, connection.id)),
    scope: scopeOf(config),
  };
}

/**
 * Whether mail recovery is switched on for a policy reading from this source: its failover
 * settings start recovery by itself, or a failover is open. Read from the tables directly (the
 * continuity area depends on connections, not the reverse).
 */
async function recoveryOnFor(rt: Runtime, tenantId: string, connectionId: string): Promise<boolean> {
  const policies = await rt.store.db.selectFrom('policies').select('id').where('tenant_id', '=', tenantId).where('source_connection_id', '=', connectionId).execute();
  if (policies.length === 0) return false;
  const ids = policies.map((p) => p.id);
  const open = await rt.store.db.selectFrom('failovers').select('id').where('tenant_id', '=', tenantId).where('policy_id', 'in', ids).where('state', 'in', ['active', 'recovering']).executeTakeFirst();
  if (open) return true;
  const settings = await rt.store.db.selectFrom('failover_settings').select('settings_json').where('tenant_id', '=', tenantId).where('policy_id', 'in', ids).execute();
  return settings.some((r) => fromJson<{ autoRecover?: unknown }>(r.settings_json, {}).autoRecover === true);
}

export interface FindingView {
  check: string;
  label: string;
  status: CheckResult['status'];
  error: RenderedError | null;
  detail: string | null;
}

export function viewFinding(f: CheckResult): FindingView {
  return { check: f.id, label: f.label, status: f.status, error: renderStored(f.error ? parseStoredError(f.error) : null), detail: f.detail ?? null };
}

/** A credential as the API shows it: never its secret. */
export interface CredentialView {
  id: string;
  connectionId: string;
  state: CredentialState;
  type: string;
  label: string;
  hasSecret: boolean;
  meta: Record<string, string | number | boolean | null>;
  expiry: ExpiryFacts;
  expiresAt: string | null;
  daysLeft: number | null;
  expiringSoon: boolean;
  issuedAt: string | null;
  createdAt: string;
  createdBy: string;
  activatedAt: string | null;
  retiredAt: string | null;
  lastTestedAt: string | null;
  lastTestOk: boolean | null;
  findings: FindingView[] | null;
}

export function viewCredential(kind: string, row: CredentialRow, nowMs: number): CredentialView {
  const spec = kindSpec(kind);
  const method = spec.methods[row.method];
  const meta = fromJson<Record<string, string | number | boolean | null>>(row.meta_json, {});
  const days = row.expires_at ? daysLeft(row.expires_at, nowMs) : null;
  const findings = fromJson<CheckResult[] | null>(row.last_findings_json, null);
  return {
    id: row.id,
    connectionId: row.connection_id,
    state: row.state as CredentialState,
    type: row.method,
    label: method?.label ?? row.method,
    hasSecret: row.secret_ciphertext !== null,
    meta,
    expiry: method ? method.expiry(meta) : { what: row.method, basis: 'credential', maxAgeDays: null },
    expiresAt: row.expires_at,
    daysLeft: days,
    expiringSoon: days !== null && days <= EXPIRING_SOON_DAYS,
    issuedAt: row.issued_at,
    createdAt: row.created_at,
    createdBy: row.created_by,
    activatedAt: row.activated_at,
    retiredAt: row.retired_at,
    lastTestedAt: row.last_tested_at,
    lastTestOk: row.last_test_ok === null ? null : Number(row.last_test_ok) === 1,
    findings: findings ? findings.map(viewFinding) : null,
  };
}

export async function credentialViews(rt: Runtime, tenantId: string, connection: ConnectionRow): Promise<CredentialView[]> {
  return (await credentialsOf(rt.store.db, tenantId, connection.id)).map((r) => viewCredential(connection.kind, r, rt.now()));
}
