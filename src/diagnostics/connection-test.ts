import type { Runtime } from '../runtime/context.js';
import { renderStored, type StoredError } from '../errors/index.js';
import { nowIso } from '../model/ids.js';
import { getConnection, updateConnection, type ConnectionRow } from '../store/connections-repo.js';
import { updateCredential, type CredentialRow } from '../store/credentials-repo.js';
import { recordAudit, auditError } from '../audit/audit.js';
import type { CheckResult } from '../connectors/sdk/index.js';
import { currentCredential, viewFinding, type FindingView } from '../connections/credentials.js';
import { runDoctor, type DoctorResult } from './doctor.js';
import { inService, openOrUpdateIncident, resolveIncident, RECHECK_MS } from './incidents.js';

/**
 * Test connection: the doctor on the credential in use. The connection becomes Active or
 * Error (with the first failure as its error), the result lands in the audit log, and an
 * incident opens on a failing connection that is in service, or resolves on a healthy one —
 * which queues the work the failure blocked at once.
 */
export type TestTrigger = 'manual' | 'save' | 'daily' | 'recheck' | 'rotation';

/** The scheduled doctor runs once a day on a healthy connection. */
export const DAILY_MS = 24 * 60 * 60_000;

export interface ConnectionTestOutcome {
  readonly ok: boolean;
  readonly findings: FindingView[];
  readonly raw: CheckResult[];
  readonly error: StoredError | null;
  readonly incident: { readonly id: string; readonly opened: boolean } | null;
  readonly resolvedIncident: string | null;
  readonly requeuedUsers: number;
}

const TRIGGER_WORDS: Record<TestTrigger, string> = {
  manual: 'Test connection',
  save: 'test on save',
  daily: 'daily test',
  recheck: 'incident re-check',
  rotation: 'test after switching credentials',
};

export async function runConnectionTest(rt: Runtime, tenantId: string, connection: ConnectionRow, actor: string, trigger: TestTrigger): Promise<ConnectionTestOutcome> {
  const credential = await currentCredential(rt, tenantId, connection.id);
  const result = await runDoctor(rt, tenantId, connection, credential);
  const now = nowIso(rt.now());
  const wasInService = await inService(rt, tenantId, connection);
  await recordCredentialTest(rt, tenantId, credential, result);
  await updateConnection(rt.store.db, tenantId, connection.id, {
    status: result.ok ? 'active' : 'error',
    last_tested_at: now,
    last_error_json: result.error ? JSON.stringify(result.error) : null,
    last_findings_json: JSON.stringify(result.findings),
    ...(result.ok ? { last_ok_at: now } : {}),
    next_doctor_at: nowIso(rt.now() + (result.ok ? DAILY_MS : RECHECK_MS)),
    updated_at: now,
  });
  const target = { type: 'connection', id: connection.id, name: connection.name };
  const warnings = result.findings.filter((f) => f.status === 'warning' && f.error).map((f) => f.error!.code);
  const how = TRIGGER_WORDS[trigger];
  await recordAudit(
    rt.store.db,
    rt.store.dialect,
    tenantId,
    result.error
      ? {
          ...auditError(result.error.code, result.error.params, 'connection.tested', target),
          actor,
          message: `Connection test failed for "${connection.name}" (${how}): ${renderStored(result.error)!.title}; failing checks: ${failingSummary(result.findings)}`,
        }
      : {
          severity: warnings.length > 0 ? 'warning' : 'info',
          action: 'connection.tested',
          actor,
          target,
          message: `Connection test successful for "${connection.name}" (${how})${warnings.length ? `, with warnings: ${[...new Set(warnings)].join(', ')}` : ''}`,
          ...(warnings.length ? { code: warnings[0] as StoredError['code'] } : {}),
        },
  );
  let incident: ConnectionTestOutcome['incident'] = null;
  let resolvedIncident: string | null = null;
  let requeuedUsers = 0;
  const fresh = (await getConnection(rt.store.db, tenantId, connection.id))!;
  if (result.error && wasInService) {
    const r = await openOrUpdateIncident(rt, tenantId, fresh, result.error, 'test');
    incident = { id: r.incident.id, opened: r.opened };
  } else if (!result.error) {
    const r = await resolveIncident(rt, tenantId, fresh, actor);
    resolvedIncident = r.resolved?.id ?? null;
    requeuedUsers = r.requeuedUsers;
  }
  rt.log.info({ connection: connection.id, trigger, ok: result.ok, code: result.error?.code ?? null, ms: result.durationMs }, 'connection tested');
  return { ok: result.ok, findings: result.findings.map(viewFinding), raw: result.findings, error: result.error, incident, resolvedIncident, requeuedUsers };
}

/**
 * Stores the credential's test result, and the dates the provider told about it (an AWS access
 * key's or a Google key's creation): from then on the expiry inventory, the card's countdown
 * and the reminders count from them.
 */
export async function recordCredentialTest(rt: Runtime, tenantId: string, credential: CredentialRow, result: DoctorResult): Promise<void> {
  const learned = result.learned;
  await updateCredential(rt.store.db, tenantId, credential.id, {
    last_tested_at: nowIso(rt.now()),
    last_test_ok: result.ok ? 1 : 0,
    last_findings_json: JSON.stringify(result.findings),
    ...(learned ? { meta_json: JSON.stringify(learned.meta), expires_at: learned.expiresAt, issued_at: learned.issuedAt } : {}),
    updated_at: nowIso(rt.now()),
  });
  if (learned) rt.log.info({ credential: credential.id, expiresAt: learned.expiresAt, issuedAt: learned.issuedAt }, 'credential dates learnt from the provider');
}

function failingSummary(findings: readonly CheckResult[]): string {
  return findings
    .filter((f) => f.status === 'fail')
    .map((f) => `${f.id}${f.error ? ` (${f.error.code})` : ''}`)
    .join(', ');
}
