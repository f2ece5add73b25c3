import { Readable } from 'node:stream';
import type { z } from 'zod';
import type { Runtime } from '../../runtime/context.js';
import type { RouteSpec } from '../route.js';
import { recordAudit } from '../../audit/audit.js';
import { checkAudit } from '../../audit/jobs.js';
import { exportAudit, exportContentType, exportFileName, exportQuerySchema } from '../../audit/export.js';
import { auditSettingsSchema, auditSettingsView, setAuditSettings } from '../../audit/settings.js';

/**
 * The audit log's integrity, export and retention (issue 12, point 8). The listing stays in
 * routes/meta.ts (GET /audit).
 */
export function auditRoutes(rt: Runtime): RouteSpec[] {
  return [
    {
      method: 'GET', url: '/audit/verify', permission: 'audit.read', tag: 'Audit logs', summary: 'Verify the audit log now: hash chain, signatures, checkpoints and the anchor file; names the first broken entry',
      handler: ({ actor, tenantId }) => checkAudit(rt, tenantId, 'manual', actor),
    },
    {
      method: 'GET', url: '/audit/export', permission: 'audit.export', tag: 'Audit logs', summary: 'The audit log as CSV or JSON Lines (every column, hashes and signatures included), oldest first', query: exportQuerySchema,
      handler: async ({ actor, tenantId, query, reply }) => {
        const q = query as z.infer<typeof exportQuerySchema>;
        const filters = Object.entries({ from: q.from, to: q.to, severity: q.severity, action: q.action }).filter(([, v]) => v).map(([k, v]) => `${k} ${v}`);
        await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
          severity: 'info', action: 'audit.exported', actor, target: { type: 'audit_log', id: tenantId, name: 'Audit log' },
          message: `Audit log exported as ${q.format === 'csv' ? 'CSV' : 'JSON Lines'}${filters.length ? ` (${filters.join(', ')})` : ''}`,
        }, rt.now());
        void reply.header('content-type', exportContentType(q.format)).header('content-disposition', `attachment; filename="${exportFileName(tenantId, q.format, rt.now())}"`);
        return Readable.from(exportAudit(rt.store.db, tenantId, q));
      },
    },
    {
      method: 'GET', url: '/audit/settings', permission: 'audit.read', tag: 'Audit logs', summary: 'Retention and the outcome of the last integrity check',
      handler: ({ tenantId }) => auditSettingsView(rt.store.db, tenantId),
    },
    {
      method: 'PUT', url: '/audit/settings', permission: 'audit.manage', tag: 'Audit logs', summary: 'Set retention in days (null keeps everything); the chain stays verifiable through a signed checkpoint', body: auditSettingsSchema,
      handler: ({ actor, tenantId, body }) => setAuditSettings(rt, tenantId, body, actor),
    },
  ];
}
