import type { Runtime } from '../runtime/context.js';
import { AppError, renderStored, toAppError, parseStoredError, type RenderedError, type StoredError } from '../errors/index.js';
import { newId, nowIso } from '../model/ids.js';
import { deleteConnection as deleteRow, getConnection, insertConnection, listConnections, updateConnection, type ConnectionRow } from '../store/connections-repo.js';
import { recordAudit, auditError } from '../audit/audit.js';
import { fromJson, toJson } from '../store/json.js';
import type { CheckResult, ConnectorContext, MailDestination, MailSource } from '../connectors/sdk/index.js';
import { createConnectionSchema, updateConnectionSchema, type ConnectionKind, type ConnectionRole } from './inputs.js';
import { buildMailDestination, buildMailSource, kindSpecs, type StoredParts } from './kinds.js';
import { getPlatformSecret } from './platform-secrets.js';
import { httpOptionsFor } from './http-options.js';
import { ZodError } from 'zod';

export type ConnectionStatus = 'active' | 'error' | 'not_tested';

/** A connection as the API shows it: never a secret. */
export interface ConnectionView {
  id: string;
  name: string;
  kind: ConnectionKind;
  role: ConnectionRole;
  status: ConnectionStatus;
  lastTestedAt: string | null;
  lastError: RenderedError | null;
  config: Record<string, unknown>;
  credential: { type: string; hasSecret: boolean } & Record<string, unknown>;
  findings: FindingView[] | null;
  createdAt: string;
  updatedAt: string;
}

export interface FindingView {
  check: string;
  label: string;
  status: CheckResult['status'];
  error: RenderedError | null;
  detail: string | null;
}

export function viewConnection(row: ConnectionRow): ConnectionView {
  const meta = fromJson<Record<string, string>>(row.credential_meta_json, {});
  const credential: ConnectionView['credential'] = { type: row.credential_type, hasSecret: row.secret_ciphertext !== null };
  if (row.credential_type === 'certificate') {
    credential['certificate'] = { subject: meta['subject'] ?? '', thumbprint: meta['thumbprint'] ?? '', notAfter: meta['notAfter'] ?? '' };
  }
  if (meta['tokenProvider']) credential['tokenProvider'] = meta['tokenProvider'];
  if (meta['keyServiceAccount']) credential['keyServiceAccount'] = meta['keyServiceAccount'];
  const findings = fromJson<CheckResult[] | null>(row.last_findings_json, null);
  return {
    id: row.id,
    name: row.name,
    kind: row.kind as ConnectionKind,
    role: row.role as ConnectionRole,
    status: row.status as ConnectionStatus,
    lastTestedAt: row.last_tested_at,
    lastError: renderStored(parseStoredError(row.last_error_json)),
    config: fromJson<Record<string, unknown>>(row.config_json, {}),
    credential,
    findings: findings ? findings.map(viewFinding) : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function viewFinding(f: CheckResult): FindingView {
  return { check: f.id, label: f.label, status: f.status, error: renderStored(f.error ?? null), detail: f.detail ?? null };
}

/** Turns zod failures into the catalogue's request.invalid, naming the fields. */
export function invalidInput(e: unknown): never {
  if (e instanceof ZodError) {
    const detail = e.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
    throw new AppError('request.invalid', { detail });
  }
  throw e;
}

export async function listConnectionViews(rt: Runtime, tenantId: string): Promise<ConnectionView[]> {
  return (await listConnections(rt.store.db, tenantId)).map(viewConnection);
}

export async function requireConnection(rt: Runtime, tenantId: string, id: string): Promise<ConnectionRow> {
  const row = await getConnection(rt.store.db, tenantId, id);
  if (!row) throw new AppError('connection.not_found', { id });
  return row;
}

export async function createConnection(rt: Runtime, tenantId: string, body: unknown, actor = 'admin'): Promise<ConnectionView> {
  let input;
  try {
    input = createConnectionSchema.parse(body);
  } catch (e) {
    invalidInput(e);
  }
  const spec = kindSpecs[input.kind];
  const tokenProvider = await getPlatformSecret(rt, tenantId, 'google_token_provider_key');
  let prepared;
  try {
    prepared = spec.prepareCredential(input.credential, tokenProvider);
  } catch (e) {
    invalidInput(e);
  }
  const id = newId('conn', rt.now());
  const now = nowIso(rt.now());
  await insertConnection(rt.store.db, tenantId, {
    id,
    name: input.name,
    kind: input.kind,
    role: input.role,
    config_json: toJson(input.config),
    credential_type: prepared.type,
    credential_meta_json: toJson(prepared.meta),
    secret_ciphertext: prepared.secret ? rt.secrets.seal(JSON.stringify(prepared.secret), aadFor(tenantId, id)) : null,
    status: 'not_tested',
    last_tested_at: null,
    last_error_json: null,
    last_findings_json: null,
    created_at: now,
    updated_at: now,
  });
  await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
    severity: 'info',
    action: 'connection.created',
    actor,
    target: { type: 'connection', id, name: input.name },
    message: `${spec.displayName} connection "${input.name}" created (${prepared.type})`,
  });
  return viewConnection((await getConnection(rt.store.db, tenantId, id))!);
}

export async function editConnection(rt: Runtime, tenantId: string, id: string, body: unknown, actor = 'admin'): Promise<ConnectionView> {
  const row = await requireConnection(rt, tenantId, id);
  let input;
  try {
    input = updateConnectionSchema.parse(body);
  } catch (e) {
    invalidInput(e);
  }
  const spec = kindSpecs[row.kind as ConnectionKind];
  const patch: Parameters<typeof updateConnection>[3] = { updated_at: nowIso(rt.now()) };
  const changed: string[] = [];
  if (input.name !== undefined && input.name !== row.name) {
    patch.name = input.name;
    changed.push('name');
  }
  if (input.config) {
    const merged = { ...fromJson<Record<string, unknown>>(row.config_json, {}), ...input.config };
    try {
      patch.config_json = toJson(spec.parseConfig(merged));
    } catch (e) {
      invalidInput(e);
    }
    changed.push('settings');
  }
  if (input.credential && Object.keys(input.credential).length > 0) {
    const tokenProvider = await getPlatformSecret(rt, tenantId, 'google_token_provider_key');
    let prepared;
    try {
      prepared = spec.prepareCredential({ type: row.credential_type, ...input.credential }, tokenProvider);
    } catch (e) {
      invalidInput(e);
    }
    patch.credential_type = prepared.type;
    patch.credential_meta_json = toJson(prepared.meta);
    patch.secret_ciphertext = prepared.secret ? rt.secrets.seal(JSON.stringify(prepared.secret), aadFor(tenantId, id)) : null;
    changed.push('credential');
  }
  if (changed.some((c) => c !== 'name')) {
    // A changed setting or credential has not been tested yet.
    patch.status = 'not_tested';
    patch.last_error_json = null;
  }
  await updateConnection(rt.store.db, tenantId, id, patch);
  await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
    severity: 'info',
    action: 'connection.edited',
    actor,
    target: { type: 'connection', id, name: patch.name ?? row.name },
    message: `Connection "${patch.name ?? row.name}" edited (${changed.join(', ') || 'no changes'})`,
  });
  return viewConnection((await getConnection(rt.store.db, tenantId, id))!);
}

export async function removeConnection(rt: Runtime, tenantId: string, id: string, actor = 'admin'): Promise<void> {
  const row = await requireConnection(rt, tenantId, id);
  const inUse = await rt.store.db
    .selectFrom('policies')
    .select('name')
    .where('tenant_id', '=', tenantId)
    .where((eb) => eb.or([eb('source_connection_id', '=', id), eb('destination_connection_id', '=', id)]))
    .execute();
  if (inUse.length > 0) {
    throw new AppError('request.invalid', { detail: `the connection is used by the policy ${inUse.map((p) => `"${p.name}"`).join(', ')}; delete or change the policy first` });
  }
  await deleteRow(rt.store.db, tenantId, id);
  await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
    severity: 'warning',
    action: 'connection.deleted',
    actor,
    target: { type: 'connection', id, name: row.name },
    message: `Connection "${row.name}" deleted`,
  });
}

function aadFor(tenantId: string, connectionId: string): string {
  return `${tenantId}/connection/${connectionId}`;
}

export async function storedParts(rt: Runtime, tenantId: string, row: ConnectionRow): Promise<StoredParts> {
  let secret: Record<string, string> | null = null;
  if (row.secret_ciphertext) {
    try {
      secret = JSON.parse(rt.secrets.open(row.secret_ciphertext, aadFor(tenantId, row.id))) as Record<string, string>;
    } catch (e) {
      throw new AppError('connection.secret_unreadable', {}, { cause: e });
    }
  }
  const tokenProviderKeyJson = row.credential_type === 'impersonation' ? await getPlatformSecret(rt, tenantId, 'google_token_provider_key') : null;
  return { config: fromJson(row.config_json, {}), credentialType: row.credential_type, secret, tokenProviderKeyJson };
}

function connectorContext(rt: Runtime, kind: string): ConnectorContext {
  return { http: rt.http(httpOptionsFor(kind)), now: () => new Date(rt.now()) };
}

export async function openMailSource(rt: Runtime, tenantId: string, row: ConnectionRow, ctx?: ConnectorContext): Promise<MailSource> {
  return buildMailSource(ctx ?? connectorContext(rt, row.kind), row.kind, await storedParts(rt, tenantId, row));
}

export async function openMailDestination(rt: Runtime, tenantId: string, row: ConnectionRow, ctx?: ConnectorContext): Promise<MailDestination> {
  return buildMailDestination(ctx ?? connectorContext(rt, row.kind), row.kind, await storedParts(rt, tenantId, row));
}

export interface TestResult {
  ok: boolean;
  connection: ConnectionView;
  findings: FindingView[];
}

/**
 * Test connection: one finding per prerequisite from the connector's doctor. The connection
 * is Active when none fails; otherwise Error with the first failure as its error. Every test
 * lands in the audit log (the seed: "connection test results … appear in the audit log").
 */
export async function testConnection(rt: Runtime, tenantId: string, id: string, actor = 'admin'): Promise<TestResult> {
  const row = await requireConnection(rt, tenantId, id);
  let findings: CheckResult[];
  try {
    const connector = row.role === 'continuity_source' ? await openMailSource(rt, tenantId, row) : await openMailDestination(rt, tenantId, row);
    findings = await connector.checks();
  } catch (e) {
    const err = toAppError(e);
    findings = [{ id: 'setup', label: 'Prepare the connection', status: 'fail', error: err.toJSON() }];
  }
  const failure = findings.find((f) => f.status === 'fail');
  const error: StoredError | null = failure ? (failure.error ?? { code: 'internal.unexpected', params: { detail: `check ${failure.id} failed without an error` } }) : null;
  const now = nowIso(rt.now());
  await updateConnection(rt.store.db, tenantId, id, {
    status: error ? 'error' : 'active',
    last_tested_at: now,
    last_error_json: error ? JSON.stringify(error) : null,
    last_findings_json: JSON.stringify(findings),
    updated_at: now,
  });
  const target = { type: 'connection', id, name: row.name };
  await recordAudit(
    rt.store.db,
    rt.store.dialect,
    tenantId,
    error
      ? { ...auditError(error.code, error.params, 'connection.tested', target), actor, message: `Connection test failed for "${row.name}": ${renderStored(error)!.title}` }
      : { severity: 'info', action: 'connection.tested', actor, target, message: `Connection test successful for "${row.name}"` },
  );
  const connection = viewConnection((await getConnection(rt.store.db, tenantId, id))!);
  return { ok: !error, connection, findings: findings.map(viewFinding) };
}

/** Records that a connection failed during sync, so its card shows Error without a manual test. */
export async function markConnectionFailed(rt: Runtime, tenantId: string, id: string, error: StoredError): Promise<void> {
  await updateConnection(rt.store.db, tenantId, id, { status: 'error', last_error_json: JSON.stringify(error), updated_at: nowIso(rt.now()) });
}
