import type { Runtime } from '../runtime/context.js';
import type { JobHandler } from '../engine/worker.js';
import { enqueue } from '../engine/jobs.js';
import { nowIso } from '../model/ids.js';
import { toAppError, type ErrorCode } from '../errors/index.js';
import { queueAlert } from '../notify/outbox.js';
import { recordAudit } from './audit.js';
import { applyRetention } from './retention.js';
import { ensureAuditSettings, saveVerifyResult } from './settings.js';
import { auditTenants, verifyAudit, type AuditVerifyReport } from './verify.js';

/**
 * The daily integrity check: every tenant's log is verified once a day (the scheduler claims each
 * tenant's slot by compare-and-set on `audit_settings.next_verify_at`, so one process runs it),
 * a broken log raises an alert through the outbox — once per distinct break — and a log that
 * verifies has its retention applied.
 */
export const VERIFY_JOB = 'audit.verify';
const DAY_MS = 86_400_000;

export type CheckTrigger = 'daily' | 'manual';

/** Verifies, stores the outcome for the Audit logs page, and alerts and audits a break. */
export async function checkAudit(rt: Runtime, tenantId: string, trigger: CheckTrigger, actor = 'system'): Promise<AuditVerifyReport> {
  const report = await verifyAudit(rt.store.db, rt.auditSealer, tenantId, rt.now());
  await saveVerifyResult(rt.store.db, tenantId, report, rt.now());
  const target = { type: 'audit_log', id: tenantId, name: 'Audit log' };
  if (report.firstBroken) {
    const b = report.firstBroken;
    await queueAlert(rt, tenantId, `audit.chain_broken:${b.seq}:${b.error.code}`, { type: 'audit_log', id: tenantId, name: 'Audit log' }, {
      event: 'audit.chain_broken',
      severity: 'critical',
      title: 'Audit log integrity check failed',
      summary: `The audit log does not verify from entry #${b.seq} on (${report.problemCount} problem${report.problemCount === 1 ? '' : 's'}): ${b.error.message}`,
      error: { code: b.error.code, title: b.error.title, message: b.error.message, resolution: b.error.resolution },
      link: '#/audit',
    });
    await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
      severity: 'error', action: 'audit.verify_failed', actor, target,
      message: `Audit log integrity check (${trigger}) failed at entry #${b.seq}: ${b.error.title}. ${b.error.message}`,
      code: b.error.code as ErrorCode, params: { seq: b.seq, problems: report.problemCount },
    }, rt.now());
  } else if (trigger === 'manual') {
    await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
      severity: 'info', action: 'audit.verified', actor, target,
      message: `Audit log verified: ${report.entries} entries${report.lastSeq !== null ? ` up to #${report.lastSeq}` : ''}, chain intact`,
    }, rt.now());
  }
  return report;
}

export function auditHandlers(rt: Runtime): Record<string, JobHandler> {
  return {
    [VERIFY_JOB]: async (ctx) => {
      const report = await checkAudit(rt, ctx.tenantId, 'daily');
      if (report.ok) {
        try {
          await applyRetention(rt, ctx.tenantId);
        } catch (e) {
          const err = toAppError(e);
          rt.log.warn({ tenant: ctx.tenantId, code: err.code }, 'audit retention not applied');
        }
      }
      return { type: 'done' };
    },
  };
}

/** Queues the check for every tenant whose daily slot is due. */
export async function queueDueVerifications(rt: Runtime): Promise<number> {
  const db = rt.store.db;
  const nowMs = rt.now();
  for (const tenantId of await auditTenants(db, rt.auditSealer)) await ensureAuditSettings(db, tenantId, nowMs);
  const due = await db.selectFrom('audit_settings').select(['tenant_id', 'next_verify_at']).where((eb) => eb.or([eb('next_verify_at', 'is', null), eb('next_verify_at', '<=', nowIso(nowMs))])).execute();
  let queued = 0;
  for (const t of due) {
    let claim = db.updateTable('audit_settings').set({ next_verify_at: nowIso(nowMs + DAY_MS) }).where('tenant_id', '=', t.tenant_id);
    claim = t.next_verify_at === null ? claim.where('next_verify_at', 'is', null) : claim.where('next_verify_at', '=', t.next_verify_at);
    if (Number((await claim.executeTakeFirst()).numUpdatedRows) !== 1) continue;
    if (await enqueue(db, t.tenant_id, { kind: VERIFY_JOB, dedupeKey: 'audit.verify', payload: {} }, nowMs)) queued += 1;
  }
  return queued;
}

/** The scheduler tasks of this area (runtime/start.ts); at most once a minute, on the wall clock. */
export function auditTasks(rt: Runtime, everyMs = 60_000): (() => Promise<unknown>)[] {
  let last = -Infinity;
  return [
    async () => {
      if (Date.now() - last < everyMs) return undefined;
      last = Date.now();
      return queueDueVerifications(rt);
    },
  ];
}
