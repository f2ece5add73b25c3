// The audit log's integrity, export and retention (docs/api.md, "Audit log integrity").
import { call, type RenderedError } from './api.js';

export interface AuditProblem { seq: number; entryId: string | null; at: string | null; error: RenderedError }
export interface AuditVerifyReport {
  schema: 'syncwarden.audit-verify/v1'; tenantId: string; ok: boolean; checkedAt: string;
  entries: number; firstSeq: number | null; lastSeq: number | null; signed: number; legacy: number; keyIds: string[];
  retention: { seq: number; at: string; deleted: number | null } | null;
  anchors: { file: string | null; checked: number; latestSeq: number | null; unreadable: number };
  firstBroken: AuditProblem | null; problems: AuditProblem[]; problemCount: number;
}
export interface AuditSettings {
  retentionDays: number | null; updatedAt: string | null; updatedBy: string | null; nextVerifyAt: string | null;
  lastVerifiedAt: string | null; lastVerifyOk: boolean | null; lastVerify: AuditVerifyReport | null;
}
export type ExportFormat = 'csv' | 'jsonl';

export const auditApi = {
  verify: () => call<AuditVerifyReport>('GET', '/audit/verify'),
  settings: () => call<AuditSettings>('GET', '/audit/settings'),
  setRetention: (retentionDays: number | null) => call<AuditSettings>('PUT', '/audit/settings', { retentionDays }),
};

/** The export as a download link (the browser streams it; filters as on the page). */
export function auditExportUrl(format: ExportFormat, f: { severity?: string; action?: string }): string {
  const p = new URLSearchParams({ format });
  if (f.severity) p.set('severity', f.severity);
  if (f.action) p.set('action', f.action);
  return `/api/v1/audit/export?${p}`;
}
