import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../store/schema.js';
import { csvCell } from '../directory/identities/csv.js';
import type { AuditRow } from './audit.js';

/**
 * The audit log as a file: CSV for people and spreadsheets, JSON Lines for tools (one entry per
 * line, every column as stored — hashes and MACs included, so a copy can be checked against the
 * chain later). Oldest first, streamed a page at a time, so a year of entries never sits in memory.
 */
const when = z
  .string()
  .trim()
  .max(40)
  .refine((v) => !Number.isNaN(Date.parse(v)), 'a date (YYYY-MM-DD) or an ISO 8601 time')
  .transform((v) => new Date(v).toISOString());

export const exportQuerySchema = z.object({
  format: z.enum(['csv', 'jsonl']).default('csv'),
  /** Entries at or after this time. */
  from: when.optional(),
  /** Entries before this time. */
  to: when.optional(),
  severity: z.enum(['info', 'warning', 'error']).optional(),
  /** Action prefix, as on the Audit logs page. */
  action: z.string().max(100).optional(),
});
export type ExportQuery = z.infer<typeof exportQuerySchema>;

/** Columns in the order people read them; columns added later follow, by name. */
const CSV_ORDER = ['seq', 'at', 'severity', 'action', 'actor', 'target_type', 'target_id', 'target_name', 'message', 'code', 'params_json', 'id', 'tenant_id', 'prev_hash', 'hash', 'hash_version', 'mac_kid', 'mac'];
const PAGE = 1_000;

export function exportFileName(tenantId: string, format: ExportQuery['format'], nowMs: number): string {
  return `audit-log-${tenantId.replace(/[^A-Za-z0-9_-]/g, '_')}-${new Date(nowMs).toISOString().slice(0, 10)}.${format === 'csv' ? 'csv' : 'jsonl'}`;
}

export function exportContentType(format: ExportQuery['format']): string {
  return format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8';
}

export async function* exportAudit(db: Kysely<Database>, tenantId: string, q: ExportQuery): AsyncGenerator<string> {
  let after = -1;
  let columns: string[] | null = null;
  for (;;) {
    let query = db.selectFrom('audit_events').selectAll().where('tenant_id', '=', tenantId).where('seq', '>', after);
    if (q.from) query = query.where('at', '>=', q.from);
    if (q.to) query = query.where('at', '<', q.to);
    if (q.severity) query = query.where('severity', '=', q.severity);
    if (q.action) query = query.where(sql<boolean>`action LIKE ${`${q.action.replace(/[\\%_]/g, (c) => `\\${c}`)}%`} ESCAPE '\\'`);
    const rows: AuditRow[] = await query.orderBy('seq').limit(PAGE).execute();
    if (q.format === 'csv' && columns === null) {
      const present = rows[0] ? Object.keys(rows[0]) : CSV_ORDER;
      columns = [...CSV_ORDER.filter((c) => present.includes(c)), ...present.filter((c) => !CSV_ORDER.includes(c)).sort()];
      yield columns.map(csvCell).join(',') + '\r\n';
    }
    if (rows.length === 0) return;
    let chunk = '';
    for (const row of rows) {
      const r = row as unknown as Record<string, unknown>;
      if (q.format === 'csv') chunk += columns!.map((c) => csvCell(r[c])).join(',') + '\r\n';
      else chunk += JSON.stringify({ ...r, seq: Number(row.seq) }) + '\n';
    }
    yield chunk;
    after = Number(rows.at(-1)!.seq);
    if (rows.length < PAGE) return;
  }
}
