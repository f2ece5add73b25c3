import type { Runtime } from '../runtime/context.js';
import { AppError, type StoredError } from '../errors/index.js';
import { newId, nowIso } from '../model/ids.js';
import { deleteConnection as deleteRow, getConnection, insertConnection, listConnections, updateConnection, type ConnectionRow } from '../store/connections-repo.js';
import { credentialInState, deleteCredentialsOf, updateCredential, type CredentialRow } from '../store/credentials-repo.js';
import { deleteIncidentsOf } from '../store/incidents-repo.js';
import { recordAudit } from '../audit/audit.js';
import { cancelJobsOfConnection, enqueue } from '../engine/jobs.js';
import { forgetConnectionInventory } from '../directory/forget.js';
import { fromJson, toJson } from '../store/json.js';
import type { ConnectorContext, DirectoryScope, DirectorySource, HttpClientOptions, MailDestination, MailSource } from '../connectors/sdk/index.js';
import { runConnectionTest, type TestTrigger } from '../diagnostics/connection-test.js';
import { openOrUpdateIncident } from '../diagnostics/incidents.js';
import { createConnectionSchema, updateConnectionSchema, writeBackSchema } from './inputs.js';
import { httpOptionsFor, kindSpec, roleSpec } from './kinds/index.js';
import type { ConnectionRole } from './kinds/types.js';
import { connectorParts, currentCredential, invalidInput, openSecret, prepareCredential, storeCredential, type FindingView } from './credentials.js';
import { viewConnection, type ConnectionView } from './views.js';
import { SYSTEM_CONFIG_KEYS } from './kinds/directory-config.js';
import { directoryScopeSchema, leftOut, scopeExclusionsSchema, scopeOf } from './kinds/scope.js';
import { retryOnConflict } from '../store/retry.js';

export { invalidInput } from './credentials.js';
export { viewConnection, type ConnectionView, type ConnectionStatus } from './views.js';
export type { FindingView } from './credentials.js';

/** The job that runs the doctor outside a request (on save, daily, while an incident is open). */
export const DOCTOR_JOB = 'connection.doctor';

export interface ViewOptions {
  /** The installation's address as the admin's browser sees it (admin-consent redirect). */
  readonly baseUrl?: string | undefined;
  /** Signs the admin-consent `state` for a connection, bound to the caller (api/security.ts). */
  readonly consentState?: ((connectionId: string) => string) | undefined;
}

export async function listConnectionViews(rt: Runtime, tenantId: string, opts: ViewOptions = {}): Promise<ConnectionView[]> {
  const out: ConnectionView[] = [];
  for (const row of await listConnections(rt.store.db, tenantId)) out.push(await viewConnection(rt, tenantId, row, opts));
  return out;
}

export async function requireConnection(rt: Runtime, tenantId: string, id: string): Promise<ConnectionRow> {
  const row = await getConnection(rt.store.db, tenantId, id);
  if (!row) throw new AppError('connection.not_found', { id });
  return row;
}

export async function getConnectionView(rt: Runtime, tenantId: string, id: string, opts: ViewOptions = {}): Promise<ConnectionView> {
  return viewConnection(rt, tenantId, await requireConnection(rt, tenantId, id), opts);
}

/**
 * Queues the doctor for a connection (deduplicated: one live run per connection). After a save
 * an admin is waiting for the result, so the job goes ahead of the work already queued (jobs
 * run in run_at order): a backlog of syncs does not delay "Connection test successful".
 */
export async function queueDoctor(rt: Runtime, tenantId: string, connectionId: string, trigger: TestTrigger): Promise<boolean> {
  const ahead = trigger === 'save' || trigger === 'manual' ? { runAt: new Date(Date.now() - AHEAD_OF_QUEUE_MS) } : {};
  return enqueue(rt.store.db, tenantId, { kind: DOCTOR_JOB, dedupeKey: `doctor:${connectionId}`, payload: { connectionId, trigger }, ...ahead }, rt.now());
}

const AHEAD_OF_QUEUE_MS = 60 * 60_000;

export async function createConnection(rt: Runtime, tenantId: string, body: unknown, actor = 'admin', opts: ViewOptions = {}): Promise<ConnectionView> {
  let input;
  try {
    input = createConnectionSchema.parse(body);
  } catch (e) {
    invalidInput(e);
  }
  const spec = kindSpec(input.kind);
  const role: ConnectionRole = input.role ?? spec.defaultRole;
  roleSpec(spec, role);
  const config = withScope(adminConfig(input.config), role);
  const prepared = await prepareCredential(rt, tenantId, input.kind, input.credential);
  const id = newId('conn', rt.now());
  const now = nowIso(rt.now());
  await rt.store.db.transaction().execute(async (trx) => {
    await insertConnection(trx, tenantId, {
      id,
      name: input.name,
      kind: input.kind,
      role,
      config_json: toJson(config),
      status: 'not_tested',
      last_tested_at: null,
      last_error_json: null,
      last_findings_json: null,
      last_ok_at: null,
      write_back: 0,
      write_back_at: null,
      write_back_by: null,
      // The doctor runs on save (queued below); the daily run starts a day later.
      next_doctor_at: nowIso(rt.now() + 24 * 60 * 60_000),
      created_at: now,
      updated_at: now,
    });
    await storeCredential(rt, tenantId, id, prepared, 'current', actor, trx);
  });
  await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
    severity: 'info',
    action: 'connection.created',
    actor,
    target: { type: 'connection', id, name: input.name },
    message: `${spec.displayName} connection "${input.name}" created as ${role.replace(/_/g, ' ')}, read-only, signing in with ${spec.methods[prepared.method]?.label ?? prepared.method}${role === 'directory' ? `; scope: ${describeScope(scopeOf(config))}` : ''}`,
  });
  await queueDoctor(rt, tenantId, id, 'save');
  return viewConnection(rt, tenantId, (await getConnection(rt.store.db, tenantId, id))!, opts);
}

export async function editConnection(rt: Runtime, tenantId: string, id: string, body: unknown, actor = 'admin', opts: ViewOptions = {}): Promise<ConnectionView> {
  const row = await requireConnection(rt, tenantId, id);
  let input;
  try {
    input = updateConnectionSchema.parse(body);
  } catch (e) {
    invalidInput(e);
  }
  const spec = kindSpec(row.kind);
  const patch: Parameters<typeof updateConnection>[3] = { updated_at: nowIso(rt.now()) };
  const changed: string[] = [];
  if (input.name !== undefined && input.name !== row.name) {
    patch.name = input.name;
    changed.push('name');
  }
  if (input.config) {
    const stored = fromJson<Record<string, unknown>>(row.config_json, {});
    const merged = withScope(mergeConfig(stored, adminConfig(input.config)), row.role as ConnectionRole);
    let parsed: Record<string, unknown> = {};
    try {
      parsed = spec.configSchema.parse(merged);
    } catch (e) {
      invalidInput(e, 'config.');
    }
    patch.config_json = toJson(parsed);
    // The scope is what is read, not how: it changes no prerequisite, so it is audited on its own.
    const { scope: before, ...restBefore } = stored;
    const { scope: after, ...restAfter } = parsed;
    if (toJson(before ?? null) !== toJson(after ?? null)) changed.push(`scope: ${describeScope(scopeOf(parsed))}`);
    if (toJson(restBefore) !== toJson(restAfter)) changed.push('settings');
  }
  if (patch.config_json !== undefined) {
    await requireSecretForBoundChange(rt, tenantId, id, spec, fromJson<Record<string, unknown>>(row.config_json, {}), fromJson<Record<string, unknown>>(patch.config_json, {}), input.credential);
  }
  let prepared = null;
  if (input.credential && Object.keys(input.credential).length > 0) {
    const current = await credentialInState(rt.store.db, tenantId, id, 'current');
    const type = typeof input.credential['type'] === 'string' ? input.credential['type'] : current?.method;
    // Same method: what is not given is kept (change the role ARN without pasting the secret again).
    const kept = current && type === current.method ? keptInput(rt, tenantId, current) : {};
    prepared = await prepareCredential(rt, tenantId, row.kind, { ...kept, ...input.credential, type });
    changed.push('credential');
  }
  const retest = changed.some((c) => c === 'settings' || c === 'credential');
  if (retest) {
    // A changed setting or credential has not been tested yet.
    patch.status = 'not_tested';
    patch.last_error_json = null;
  }
  await rt.store.db.transaction().execute(async (trx) => {
    await updateConnection(trx, tenantId, id, patch);
    if (prepared) {
      // Replacing in place keeps the old credential as "previous", so a mistake can be rolled back.
      await retireState(rt, trx, tenantId, id, 'previous');
      const current = await credentialInState(trx, tenantId, id, 'current');
      if (current) await updateCredential(trx, tenantId, current.id, { state: 'previous', updated_at: nowIso(rt.now()) });
      await storeCredential(rt, tenantId, id, prepared, 'current', actor, trx);
    }
  });
  await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
    severity: 'info',
    action: 'connection.edited',
    actor,
    target: { type: 'connection', id, name: patch.name ?? row.name },
    message: `Connection "${patch.name ?? row.name}" edited (${changed.join(', ') || 'no changes'})`,
  });
  // A scope change re-runs the doctor too, so its scope finding says what is now read.
  if (changed.some((c) => c !== 'name')) await queueDoctor(rt, tenantId, id, 'save');
  return viewConnection(rt, tenantId, (await getConnection(rt.store.db, tenantId, id))!, opts);
}

/**
 * Credentials stay bound to where they were given: a change to a field that decides where the
 * secret goes (endpoint, base URL, tenant, account) must come with the secret entered again
 * in the same edit. Otherwise anyone allowed to edit settings could send the stored secret to
 * a host of their choosing without ever having seen it. Keyless methods hold no secret.
 */
async function requireSecretForBoundChange(
  rt: Runtime,
  tenantId: string,
  id: string,
  spec: ReturnType<typeof kindSpec>,
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  credential: Record<string, unknown> | undefined,
): Promise<void> {
  const changed = spec.boundFields.filter((path) => toJson(valueAt(before, path) ?? null) !== toJson(valueAt(after, path) ?? null));
  if (changed.length === 0) return;
  const current = await credentialInState(rt.store.db, tenantId, id, 'current');
  if (!current) return;
  const type = typeof credential?.['type'] === 'string' ? credential['type'] : current.method;
  // Another sign-in method is prepared from what is given only (nothing is carried over).
  if (type !== current.method) return;
  const secret = openSecret(rt, tenantId, current);
  if (!secret) return;
  const missing = Object.entries(secret)
    .filter(([k, v]) => v !== '' && !(typeof credential?.[k] === 'string' && (credential[k] as string).trim() !== ''))
    .map(([k]) => `credential.${k}`);
  if (missing.length === 0) return;
  throw new AppError('connection.secret_required', { field: changed.map((f) => `config.${f}`).join(', '), secret: missing.join(', ') });
}

function valueAt(config: Record<string, unknown>, path: string): unknown {
  let v: unknown = config;
  for (const part of path.split('.')) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[part] : undefined;
  return v;
}

/**
 * The credential in use as input again: its sealed secret and the facts an admin entered (key
 * id, role ARN, external id, expiry, key age policy). A creation date Syncwarden assumed ("added
 * today") is not carried over as if the admin had entered it.
 */
function keptInput(rt: Runtime, tenantId: string, current: CredentialRow): Record<string, unknown> {
  const meta = fromJson<Record<string, unknown>>(current.meta_json, {});
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(meta)) if (v !== null && v !== undefined) out[k] = v;
  if (meta['createdAtKnown'] !== true) delete out['createdAt'];
  return { ...out, ...(openSecret(rt, tenantId, current) ?? {}) };
}

/** An admin's config without the keys only Syncwarden writes. */
function adminConfig(config: Record<string, unknown>): Record<string, unknown> {
  const out = { ...config };
  for (const k of SYSTEM_CONFIG_KEYS) delete out[k];
  return out;
}

/** Stored config + an admin's changes; nested objects (endpoints, scope) merge one level deep. */
function mergeConfig(stored: Record<string, unknown>, change: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...stored };
  const plain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  for (const [k, v] of Object.entries(change)) out[k] = plain(v) && plain(stored[k]) ? { ...stored[k], ...v } : v;
  return out;
}

/** A directory connection always stores its scope (read-only defaults: members only); other roles have none. */
function withScope(config: Record<string, unknown>, role: ConnectionRole): Record<string, unknown> {
  const { scope, scopeExcluded, ...rest } = config;
  if (role !== 'directory') return rest;
  let parsed: DirectoryScope;
  try {
    parsed = directoryScopeSchema.parse(scope ?? {});
  } catch (e) {
    invalidInput(e, 'config.scope.');
  }
  return { ...rest, scope: parsed, ...(scopeExcluded !== undefined ? { scopeExcluded } : {}) };
}

function describeScope(scope: DirectoryScope): string {
  const out = leftOut(scope);
  return out ? `members only, ${out} left out` : 'every account';
}

/** The scope switches of a directory connection (what the inventory reads). */
export function directoryScopeOf(row: ConnectionRow): DirectoryScope {
  return scopeOf(fromJson<Record<string, unknown>>(row.config_json, {}));
}

/**
 * For the identity inventory: what a complete read left out because of the scope (accounts it
 * saw and did not keep). Stored on the connection, so the card and the doctor can say "the scope
 * leaves out 4 guests" — the seed's "no identities appear" answer.
 */
export async function recordScopeExclusions(rt: Runtime, tenantId: string, connectionId: string, counts: { guests: number; external: number; disabled: number }): Promise<void> {
  const row = await requireConnection(rt, tenantId, connectionId);
  let scopeExcluded;
  try {
    scopeExcluded = scopeExclusionsSchema.parse({ v: 1, ...counts, countedAt: nowIso(rt.now()) });
  } catch (e) {
    invalidInput(e, 'counts.');
  }
  const config = { ...fromJson<Record<string, unknown>>(row.config_json, {}), scopeExcluded };
  await updateConnection(rt.store.db, tenantId, connectionId, { config_json: toJson(config), updated_at: nowIso(rt.now()) });
}

/** Retires every credential of the connection in `state`, wiping its secret. */
export async function retireState(rt: Runtime, db: Parameters<typeof credentialInState>[0], tenantId: string, connectionId: string, state: 'previous' | 'pending'): Promise<void> {
  const now = nowIso(rt.now());
  await db
    .updateTable('connection_credentials')
    .set({ state: 'retired', secret_ciphertext: null, retired_at: now, updated_at: now })
    .where('tenant_id', '=', tenantId)
    .where('connection_id', '=', connectionId)
    .where('state', '=', state)
    .execute();
}

export interface RemoveOptions {
  /** Keep the connection's inventory as an archive (connection_archives) instead of removing it. */
  readonly archive?: boolean;
}

/**
 * Deletes a connection: its queued and running jobs are cancelled (a running sync stops before
 * its next page is written and calls the provider no more), its credentials and incidents go,
 * and its identity inventory is removed — or archived on request — with the identities left
 * with no account. One transaction, then one audit event with the numbers.
 */
export async function removeConnection(rt: Runtime, tenantId: string, id: string, actor = 'admin', opts: RemoveOptions = {}): Promise<void> {
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
  const archive = opts.archive === true;
  // A correlation job rewriting the same identities may deadlock with this on PostgreSQL: run again.
  const { jobs, forgotten } = await retryOnConflict(() => rt.store.db.transaction().execute(async (trx) => {
    const jobs = await cancelJobsOfConnection(trx, tenantId, id, { code: 'connection.deleted', params: { name: row.name, actor } }, rt.now());
    const forgotten = await forgetConnectionInventory(rt, trx, tenantId, id, { archive, actor, name: row.name, kind: row.kind });
    await deleteCredentialsOf(trx, tenantId, id);
    await deleteIncidentsOf(trx, tenantId, id);
    await deleteRow(trx, tenantId, id);
    return { jobs, forgotten };
  }));
  const n = (t: string): number => forgotten.counts[t] ?? 0;
  const inventory = `${n('dir_accounts')} accounts, ${n('dir_groups')} groups, ${n('dir_memberships')} memberships, ${n('dir_entitlements')} entitlements, ${n('dir_grants')} grants`;
  await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
    severity: 'warning',
    action: 'connection.deleted',
    actor,
    target: { type: 'connection', id, name: row.name },
    message:
      `Connection "${row.name}" deleted with its credentials; ${jobs} queued or running job(s) and ${forgotten.cancelledRuns} sync run(s) cancelled; ` +
      `inventory ${archive ? `archived (${forgotten.archiveId})` : 'removed'}: ${inventory}; ${forgotten.identitiesRemoved} identities left with no account removed`,
  });
}

/**
 * Write-back is its own consent: a flag with its own audit event and permission list. Turning
 * it on re-runs the doctor, so the extra permissions are checked (once the role checks them).
 */
export async function setWriteBack(rt: Runtime, tenantId: string, id: string, body: unknown, actor = 'admin', opts: ViewOptions = {}): Promise<ConnectionView> {
  const row = await requireConnection(rt, tenantId, id);
  let input;
  try {
    input = writeBackSchema.parse(body);
  } catch (e) {
    invalidInput(e);
  }
  const role = roleSpec(kindSpec(row.kind), row.role);
  if (input.enabled && role.writeBackPermissions.length === 0) {
    throw new AppError('request.invalid', { detail: `a ${row.role.replace(/_/g, ' ')} connection has no write-back; write-back applies to directory connections and to Microsoft 365 continuity sources (reverse recovery)` });
  }
  const now = nowIso(rt.now());
  await updateConnection(rt.store.db, tenantId, id, { write_back: input.enabled ? 1 : 0, write_back_at: input.enabled ? now : null, write_back_by: input.enabled ? actor : null, updated_at: now });
  await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
    severity: 'warning',
    action: input.enabled ? 'connection.write_back_consented' : 'connection.write_back_revoked',
    actor,
    target: { type: 'connection', id, name: row.name },
    message: input.enabled
      ? `Write-back consented on "${row.name}" by ${actor}: Syncwarden may now ${row.role === 'continuity_source' ? 'write recovered mail back into the mailboxes' : 'change the directory'}, with the additional permissions ${role.writeBackPermissions.join(', ')}`
      : `Write-back turned off on "${row.name}" by ${actor}: the connection is read-only again`,
  });
  await queueDoctor(rt, tenantId, id, 'save');
  return viewConnection(rt, tenantId, (await getConnection(rt.store.db, tenantId, id))!, opts);
}

/** Throws connection.write_back_not_consented unless the connection has write-back consent. */
export async function requireWriteBack(rt: Runtime, tenantId: string, id: string): Promise<void> {
  const row = await requireConnection(rt, tenantId, id);
  if (Number(row.write_back) !== 1) throw new AppError('connection.write_back_not_consented', { name: row.name });
}

function connectorContext(rt: Runtime, kind: string, http: Partial<HttpClientOptions> = {}): ConnectorContext {
  return { http: rt.http({ ...httpOptionsFor(kind), ...http }), now: () => new Date(rt.now()) };
}

async function openRole<T>(rt: Runtime, tenantId: string, row: ConnectionRow, role: ConnectionRole, ctx: ConnectorContext | undefined): Promise<T> {
  if (row.role !== role) throw new AppError('request.invalid', { detail: `the connection "${row.name}" is not a ${role.replace(/_/g, ' ')}` });
  const spec = kindSpec(row.kind);
  const build = roleSpec(spec, role).build;
  if (!build) throw new AppError('connection.connector_unavailable', { kind: spec.displayName, role });
  const parts = await connectorParts(rt, tenantId, row, await currentCredential(rt, tenantId, row.id));
  return build(ctx ?? connectorContext(rt, row.kind), parts) as T;
}

/** The continuity source connector of a connection, signed in with its credential in use. */
export function openMailSource(rt: Runtime, tenantId: string, row: ConnectionRow, ctx?: ConnectorContext): Promise<MailSource> {
  return openRole<MailSource>(rt, tenantId, row, 'continuity_source', ctx);
}

/** The continuity destination connector of a connection, signed in with its credential in use. */
export function openMailDestination(rt: Runtime, tenantId: string, row: ConnectionRow, ctx?: ConnectorContext): Promise<MailDestination> {
  return openRole<MailDestination>(rt, tenantId, row, 'continuity_destination', ctx);
}

export interface OpenDirectoryOptions {
  /** A complete context (tests); otherwise one is made with the kind's provider name and throttle signals. */
  readonly ctx?: ConnectorContext;
  /** Added to the kind's HTTP options (a rate gate shared through the database, in-line wait limits). */
  readonly http?: Partial<HttpClientOptions>;
}

/**
 * The directory source of a stored connection, for the identity inventory: built through the
 * kind registry with the credential in use, the connection's config and its write-back
 * consent — `revoke` is present only when write-back was consented. The scope switches are the
 * reader's to apply (`directoryScopeOf`); connectors read everything.
 */
export function openDirectorySource(rt: Runtime, tenantId: string, row: ConnectionRow, opts: OpenDirectoryOptions = {}): Promise<DirectorySource> {
  return openRole<DirectorySource>(rt, tenantId, row, 'directory', opts.ctx ?? connectorContext(rt, row.kind, opts.http));
}

export interface TestResult {
  ok: boolean;
  connection: ConnectionView;
  findings: FindingView[];
  incident: { id: string; opened: boolean } | null;
  resolvedIncident: string | null;
  requeuedUsers: number;
}

/**
 * Test connection: one finding per prerequisite (see diagnostics/doctor.ts). Active when none
 * fails; otherwise Error with the first failure as its error. Audited; opens or resolves the
 * connection's incident.
 */
export async function testConnection(rt: Runtime, tenantId: string, id: string, actor = 'admin', trigger: TestTrigger = 'manual', opts: ViewOptions = {}): Promise<TestResult> {
  const row = await requireConnection(rt, tenantId, id);
  const r = await runConnectionTest(rt, tenantId, row, actor, trigger);
  const connection = await viewConnection(rt, tenantId, (await getConnection(rt.store.db, tenantId, id))!, opts);
  // A missing permission comes with the admin consent link (which grants every permission configured on the app).
  const consentUrl = connection.writeBack.adminConsentUrl ?? connection.adminConsentUrl;
  return {
    ok: r.ok,
    connection,
    findings: r.findings.map((f) => (consentUrl && (f.status === 'fail' || f.status === 'warning') && f.error?.code.endsWith('.permission_missing') && !f.detail ? { ...f, detail: `Grant admin consent: ${consentUrl}` } : f)),
    incident: r.incident,
    resolvedIncident: r.resolvedIncident,
    requeuedUsers: r.requeuedUsers,
  };
}

/**
 * A sync hit a connection-level failure (the continuity engine calls this): the connection
 * shows Error, its incident opens (or is updated), and its users show "Blocked by connection".
 */
export async function markConnectionFailed(rt: Runtime, tenantId: string, id: string, error: StoredError): Promise<void> {
  const row = await getConnection(rt.store.db, tenantId, id);
  if (!row) return;
  await updateConnection(rt.store.db, tenantId, id, { status: 'error', last_error_json: JSON.stringify(error), updated_at: nowIso(rt.now()) });
  await openOrUpdateIncident(rt, tenantId, { ...row, status: 'error' }, error, 'sync');
}
