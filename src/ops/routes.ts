import { timingSafeEqual, createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../runtime/context.js';
import { pendingMigrations } from '../store/db.js';
import { createMetrics } from './metrics.js';

export interface OpsOptions {
  /** When set, /metrics answers only `Authorization: Bearer <token>` (SYNCWARDEN_METRICS_TOKEN). */
  readonly metricsToken?: string | undefined;
  /** Bounds the readiness probe's database round trip; a hung database is "not ready", not a hung probe. */
  readonly readyTimeoutMs?: number;
}

/**
 * Operators' endpoints, outside /api/v1 (orchestrators and Prometheus call them, not admins):
 * - /healthz: the process is alive (no dependency checked: a liveness probe that fails when
 *   the database blips would restart every process at once);
 * - /readyz: the database answers and every migration this code knows has run;
 * - /metrics: the Prometheus text format.
 */
export function registerOps(app: FastifyInstance, rt: Runtime, opts: OpsOptions = {}): void {
  const registry = createMetrics(rt);
  const timeoutMs = opts.readyTimeoutMs ?? 2_000;

  app.get('/healthz', async (_req, reply) => reply.header('cache-control', 'no-store').send({ status: 'ok' }));

  app.get('/readyz', async (_req, reply) => {
    const checks: { name: string; ok: boolean; detail?: string }[] = [];
    try {
      await withTimeout(sql`SELECT 1`.execute(rt.store.db), timeoutMs);
      checks.push({ name: 'database', ok: true });
      const pending = await withTimeout(pendingMigrations(rt.store), timeoutMs);
      checks.push(pending.length === 0 ? { name: 'migrations', ok: true } : { name: 'migrations', ok: false, detail: `not yet run: ${pending.join(', ')}` });
    } catch (e) {
      checks.push({ name: 'database', ok: false, detail: e instanceof Error && e.message === 'timeout' ? `no answer within ${timeoutMs} ms` : 'unreachable' });
    }
    const ready = checks.every((c) => c.ok);
    return reply.code(ready ? 200 : 503).header('cache-control', 'no-store').send({ status: ready ? 'ready' : 'not_ready', checks });
  });

  app.get('/metrics', async (req, reply) => {
    if (opts.metricsToken && !bearerMatches(req.headers.authorization, opts.metricsToken)) {
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: { code: 'auth.required', title: 'Metrics need the metrics token', message: 'Send Authorization: Bearer <SYNCWARDEN_METRICS_TOKEN>.' } });
    }
    const body = await registry.metrics();
    return reply.header('content-type', registry.contentType).header('cache-control', 'no-store').send(body);
  });
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const given = /^Bearer\s+(.+)$/i.exec(header ?? '')?.[1] ?? '';
  // Compare digests: equal length, constant time, whatever was sent.
  return timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(token).digest());
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), ms)))]).finally(() => clearTimeout(timer));
}
