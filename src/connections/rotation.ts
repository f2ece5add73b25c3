import type { Runtime } from '../runtime/context.js';
import { AppError } from '../errors/index.js';
import { nowIso } from '../model/ids.js';
import { recordAudit } from '../audit/audit.js';
import { credentialInState, deleteCredential, getCredential, updateCredential, type CredentialRow } from '../store/credentials-repo.js';
import { getConnection } from '../store/connections-repo.js';
import { fromJson } from '../store/json.js';
import { runDoctor } from '../diagnostics/doctor.js';
import { recordCredentialTest, runConnectionTest } from '../diagnostics/connection-test.js';
import { kindSpec } from './kinds/index.js';
import { invalidInput, prepareCredential, storeCredential, viewCredential, viewFinding, type CredentialView, type FindingView } from './credentials.js';
import { switchCredentialSchema } from './inputs.js';
import { requireConnection, retireState, viewConnection, type ConnectionView } from './service.js';

/**
 * Rotation with overlap: add the new credential (pending) → test it alone → switch (it becomes
 * current, the old one previous) → retire the old one (secret wiped). Each step is audited.
 * Switching re-tests the connection, which resolves its incident and queues at once what the
 * old credential blocked.
 */
export interface CredentialTest {
  ok: boolean;
  findings: FindingView[];
}

async function requireCredential(rt: Runtime, tenantId: string, connectionId: string, id: string): Promise<CredentialRow> {
  const row = await getCredential(rt.store.db, tenantId, connectionId, id);
  if (!row) throw new AppError('request.not_found', { entity: 'credential', id });
  return row;
}

function describe(kind: string, row: CredentialRow): string {
  const v = viewCredential(kind, row, Date.now());
  return `${v.label} (${v.expiry.what})`;
}

/** Step 1: add the new credential beside the one in use, and test it on its own. */
/**
 * Facts that stay when a credential of the same method is rotated (the role and its external id,
 * the key-age policy): the new key is new, the role it assumes is not.
 */
const KEPT_ON_ROTATION = ['roleArn', 'externalId', 'maxAgeDays'] as const;

export async function addCredential(rt: Runtime, tenantId: string, connectionId: string, body: unknown, actor = 'admin'): Promise<{ credential: CredentialView; test: CredentialTest }> {
  const connection = await requireConnection(rt, tenantId, connectionId);
  const current = await credentialInState(rt.store.db, tenantId, connectionId, 'current');
  const input = typeof body === 'object' && body !== null ? { ...(body as Record<string, unknown>) } : {};
  input['type'] ??= current?.method;
  if (current && input['type'] === current.method) {
    const meta = fromJson<Record<string, unknown>>(current.meta_json, {});
    for (const k of KEPT_ON_ROTATION) if (input[k] === undefined && meta[k] !== undefined && meta[k] !== null) input[k] = meta[k];
  }
  const prepared = await prepareCredential(rt, tenantId, connection.kind, input);
  const replaced = await credentialInState(rt.store.db, tenantId, connectionId, 'pending');
  const row = await rt.store.db.transaction().execute(async (trx) => {
    // One rotation at a time: a newer pending credential replaces an older one.
    if (replaced) await deleteCredential(trx, tenantId, replaced.id);
    return storeCredential(rt, tenantId, connectionId, prepared, 'pending', actor, trx);
  });
  await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
    severity: 'info',
    action: 'credential.added',
    actor,
    target: { type: 'connection', id: connectionId, name: connection.name },
    message: `New credential added to "${connection.name}" for rotation: ${describe(connection.kind, row)}${replaced ? '; it replaces a pending credential that was never switched to' : ''}`,
  });
  const test = await testCredential(rt, tenantId, connectionId, row.id, actor);
  const fresh = await requireCredential(rt, tenantId, connectionId, row.id);
  return { credential: viewCredential(connection.kind, fresh, rt.now()), test };
}

/** Step 2: the doctor with this credential alone; the connection's own state is untouched (unless it is the one in use). */
export async function testCredential(rt: Runtime, tenantId: string, connectionId: string, credentialId: string, actor = 'admin'): Promise<CredentialTest> {
  const connection = await requireConnection(rt, tenantId, connectionId);
  const credential = await requireCredential(rt, tenantId, connectionId, credentialId);
  if (credential.state === 'retired') throw new AppError('credential.invalid_state', { credentialId, state: 'retired', detail: 'its secret was wiped when it was retired' });
  if (credential.state === 'current') {
    const r = await runConnectionTest(rt, tenantId, connection, actor, 'manual');
    return { ok: r.ok, findings: r.findings };
  }
  const result = await runDoctor(rt, tenantId, connection, credential);
  await recordCredentialTest(rt, tenantId, credential, result);
  await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
    severity: result.ok ? 'info' : 'warning',
    action: 'credential.tested',
    actor,
    target: { type: 'connection', id: connectionId, name: connection.name },
    message: result.ok
      ? `New credential for "${connection.name}" tested on its own: all checks passed (${describe(connection.kind, credential)})`
      : `New credential for "${connection.name}" failed its test: ${result.findings.filter((f) => f.status === 'fail').map((f) => f.error?.code ?? f.id).join(', ')}`,
    ...(result.error ? { code: result.error.code, params: result.error.params } : {}),
  });
  return { ok: result.ok, findings: result.findings.map(viewFinding) };
}

/** Step 3: switch to a tested credential (or back to the previous one: a rollback). */
export async function switchCredential(
  rt: Runtime,
  tenantId: string,
  connectionId: string,
  credentialId: string,
  body: unknown,
  actor = 'admin',
): Promise<{ connection: ConnectionView; test: CredentialTest; requeuedUsers: number; resolvedIncident: string | null }> {
  let opts;
  try {
    opts = switchCredentialSchema.parse(body ?? {});
  } catch (e) {
    invalidInput(e);
  }
  const connection = await requireConnection(rt, tenantId, connectionId);
  const target = await requireCredential(rt, tenantId, connectionId, credentialId);
  if (target.state !== 'pending' && target.state !== 'previous') {
    throw new AppError('credential.invalid_state', { credentialId, state: target.state, detail: target.state === 'current' ? 'it is already in use' : 'it was retired; add it again as a new credential' });
  }
  if (!opts.force && Number(target.last_test_ok) !== 1) {
    throw new AppError('credential.not_tested', { credentialId, lastResult: target.last_test_ok === null ? 'never tested' : 'its last test failed' });
  }
  const old = await credentialInState(rt.store.db, tenantId, connectionId, 'current');
  const now = nowIso(rt.now());
  await rt.store.db.transaction().execute(async (trx) => {
    // Keep exactly one previous credential for rollback.
    if (target.state !== 'previous') await retireState(rt, trx, tenantId, connectionId, 'previous');
    if (old) await updateCredential(trx, tenantId, old.id, { state: 'previous', updated_at: now });
    await updateCredential(trx, tenantId, target.id, { state: 'current', activated_at: now, updated_at: now });
  });
  await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
    severity: 'warning',
    action: 'credential.switched',
    actor,
    target: { type: 'connection', id: connectionId, name: connection.name },
    message: `"${connection.name}" now signs in with ${describe(connection.kind, target)}${old ? `; the old ${describe(connection.kind, old)} is kept as previous until retired` : ''}${opts.force && Number(target.last_test_ok) !== 1 ? ' (switched without a passing test)' : ''}`,
  });
  if (opts.retirePrevious && old) await retireCredential(rt, tenantId, connectionId, old.id, actor);
  // Test the connection as it now is: a healthy result resolves the incident and queues what the old credential blocked.
  const r = await runConnectionTest(rt, tenantId, (await getConnection(rt.store.db, tenantId, connectionId))!, actor, 'rotation');
  return {
    connection: await viewConnection(rt, tenantId, (await getConnection(rt.store.db, tenantId, connectionId))!),
    test: { ok: r.ok, findings: r.findings },
    requeuedUsers: r.requeuedUsers,
    resolvedIncident: r.resolvedIncident,
  };
}

/** Step 4: retire the old credential: its secret is wiped; delete it with the provider too. */
export async function retireCredential(rt: Runtime, tenantId: string, connectionId: string, credentialId: string, actor = 'admin'): Promise<CredentialView> {
  const connection = await requireConnection(rt, tenantId, connectionId);
  const cred = await requireCredential(rt, tenantId, connectionId, credentialId);
  if (cred.state === 'current') throw new AppError('credential.invalid_state', { credentialId, state: 'current', detail: 'switch to another credential before retiring this one' });
  if (cred.state === 'retired') return viewCredential(connection.kind, cred, rt.now());
  const now = nowIso(rt.now());
  await updateCredential(rt.store.db, tenantId, cred.id, { state: 'retired', secret_ciphertext: null, retired_at: now, updated_at: now });
  await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
    severity: 'info',
    action: 'credential.retired',
    actor,
    target: { type: 'connection', id: connectionId, name: connection.name },
    message: `Old credential of "${connection.name}" retired and its secret wiped: ${describe(connection.kind, cred)}. Delete it with ${kindSpec(connection.kind).displayName} too.`,
  });
  return viewCredential(connection.kind, (await requireCredential(rt, tenantId, connectionId, cred.id)), rt.now());
}

/** Drops a pending credential that will not be switched to. */
export async function discardCredential(rt: Runtime, tenantId: string, connectionId: string, credentialId: string, actor = 'admin'): Promise<void> {
  const connection = await requireConnection(rt, tenantId, connectionId);
  const cred = await requireCredential(rt, tenantId, connectionId, credentialId);
  if (cred.state !== 'pending') throw new AppError('credential.invalid_state', { credentialId, state: cred.state, detail: 'only a pending credential can be discarded; retire the others' });
  await deleteCredential(rt.store.db, tenantId, cred.id);
  await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
    severity: 'info',
    action: 'credential.discarded',
    actor,
    target: { type: 'connection', id: connectionId, name: connection.name },
    message: `Pending credential of "${connection.name}" discarded: ${describe(connection.kind, cred)}`,
  });
}
