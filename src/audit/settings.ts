import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../store/schema.js';
import type { Runtime } from '../runtime/context.js';
import { nowIso } from '../model/ids.js';
import { invalidInput } from '../connections/credentials.js';
import { recordAudit } from './audit.js';
import type { AuditVerifyReport } from './verify.js';

/**
 * Per-tenant audit settings: retention (days; none by default — keep everything) and the
 * outcome of the last integrity check, which the Audit logs page shows.
 */
export const RETENTION_MIN_DAYS = 30;
export const RETENTION_MAX_DAYS = 36_500;

export const auditSettingsSchema = z.object({
  /** Delete entries older than this many days; null keeps everything. */
  retentionDays: z.number().int().min(RETENTION_MIN_DAYS, `keep at least ${RETENTION_MIN_DAYS} days`).max(RETENTION_MAX_DAYS).nullable(),
});

export interface AuditSettingsView {
  retentionDays: number | null;
  updatedAt: string | null;
  updatedBy: string | null;
  nextVerifyAt: string | null;
  lastVerifiedAt: string | null;
  lastVerifyOk: boolean | null;
  lastVerify: AuditVerifyReport | null;
}

export async function auditSettingsView(db: Kysely<Database>, tenantId: string): Promise<AuditSettingsView> {
  const row = await db.selectFrom('audit_settings').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst();
  return {
    retentionDays: row?.retention_days === null || row?.retention_days === undefined ? null : Number(row.retention_days),
    updatedAt: row?.updated_at ?? null,
    updatedBy: row?.updated_by ?? null,
    nextVerifyAt: row?.next_verify_at ?? null,
    lastVerifiedAt: row?.last_verified_at ?? null,
    lastVerifyOk: row?.last_verify_ok === null || row?.last_verify_ok === undefined ? null : Number(row.last_verify_ok) === 1,
    lastVerify: row?.last_verify_json ? (JSON.parse(row.last_verify_json) as AuditVerifyReport) : null,
  };
}

/** The settings row, created on first use (first verification due now). */
export async function ensureAuditSettings(db: Kysely<Database>, tenantId: string, nowMs: number): Promise<void> {
  await db
    .insertInto('audit_settings')
    .values({ tenant_id: tenantId, retention_days: null, updated_at: nowIso(nowMs), updated_by: 'system', next_verify_at: nowIso(nowMs), last_verified_at: null, last_verify_ok: null, last_verify_json: null })
    .onConflict((oc) => oc.column('tenant_id').doNothing())
    .execute();
}

export async function saveVerifyResult(db: Kysely<Database>, tenantId: string, report: AuditVerifyReport, nowMs: number): Promise<void> {
  await ensureAuditSettings(db, tenantId, nowMs);
  await db
    .updateTable('audit_settings')
    .set({ last_verified_at: report.checkedAt, last_verify_ok: report.ok ? 1 : 0, last_verify_json: JSON.stringify(report) })
    .where('tenant_id', '=', tenantId)
    .execute();
}

/** Sets retention; audited with the old and the new value. */
export async function setAuditSettings(rt: Runtime, tenantId: string, body: unknown, actor = 'admin'): Promise<AuditSettingsView> {
  let input: z.infer<typeof auditSettingsSchema>;
  try {
    input = auditSettingsSchema.parse(body);
  } catch (e) {
    invalidInput(e);
  }
  const before = await auditSettingsView(rt.store.db, tenantId);
  await ensureAuditSettings(rt.store.db, tenantId, rt.now());
  await rt.store.db.updateTable('audit_settings').set({ retention_days: input.retentionDays, updated_at: nowIso(rt.now()), updated_by: actor }).where('tenant_id', '=', tenantId).execute();
  if (before.retentionDays !== input.retentionDays) {
    const say = (d: number | null) => (d === null ? 'keep everything' : `${d} days`);
    await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
      severity: 'info',
      action: 'audit.retention_changed',
      actor,
      target: { type: 'audit_log', id: tenantId, name: 'Audit log' },
      message: `Audit log retention changed from ${say(before.retentionDays)} to ${say(input.retentionDays)}`,
      params: { from: before.retentionDays, to: input.retentionDays },
    }, rt.now());
  }
  return auditSettingsView(rt.store.db, tenantId);
}
