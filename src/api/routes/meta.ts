import { z } from 'zod';
import type { Runtime } from '../../runtime/context.js';
import type { RouteSpec } from '../route.js';
import { queryAudit } from '../../audit/audit.js';
import { cursorField, decodeCursor, page } from '../../store/keyset.js';
import { catalogue, errorCodes, renderError } from '../../errors/index.js';

const auditQuery = z.object({
  severity: z.enum(['info', 'warning', 'error']).optional(),
  action: z.string().max(100).optional(),
  /** Entries before this time (a filter). */
  before: z.string().max(40).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  /** Keyset: the `nextCursor` of the previous page. */
  cursor: cursorField,
});

export function metaRoutes(rt: Runtime, version: string): RouteSpec[] {
  return [
    { method: 'GET', url: '/health', permission: 'public', tag: 'Meta', summary: 'Liveness and version', handler: async () => ({ ok: true, version }) },
    {
      method: 'GET', url: '/audit', permission: 'audit.read', tag: 'Audit logs', summary: 'Audit events, newest first', query: auditQuery,
      handler: async ({ tenantId, query }) => {
        const q = query as z.infer<typeof auditQuery>;
        const fetched = await queryAudit(rt.store.db, tenantId, { ...q, limit: q.limit + 1, beforeSeq: q.cursor ? Number(decodeCursor(q.cursor, 1)[0]) : undefined });
        const { rows, nextCursor } = page(fetched, q.limit, (r) => [Number(r.seq)]);
        return {
          nextCursor,
          events: rows.map((r) => ({
            id: r.id, seq: Number(r.seq), at: r.at, severity: r.severity, action: r.action, actor: r.actor,
            targetType: r.target_type, targetId: r.target_id, targetName: r.target_name, message: r.message, code: r.code,
          })),
        };
      },
    },
    {
      method: 'GET', url: '/errors', permission: 'overview.read', tag: 'Meta', summary: 'The error catalogue',
      handler: async () => ({ errors: errorCodes.map((code) => ({ ...renderError(code), kind: catalogue[code].kind, http: catalogue[code].http })) }),
    },
  ];
}
