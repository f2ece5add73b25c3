import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { Fastify } from './fastify.js';
import type { FastifyInstance, FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { Runtime } from '../runtime/context.js';
import { AppError, catalogue, renderError, toAppError } from '../errors/index.js';
import { ZodError } from 'zod';
import { invalidRequest, openApiDocument, registerRoutes, type RouteSpec } from './route.js';
import { connectionRoutes } from './routes/connections.js';
import { continuityRoutes } from './routes/continuity.js';
import { failoverRoutes } from './routes/failover.js';
import { metaRoutes } from './routes/meta.js';
import { diagnosticsRoutes } from './routes/diagnostics.js';
import { directoryRoutes } from './routes/directory.js';
import { auditRoutes } from './routes/audit.js';
import { keyRoutes } from './routes/keys.js';
import { registerOps } from '../ops/routes.js';
import { authRoutes } from './routes/auth.js';
import { tenantRoutes } from './routes/tenants.js';
import { ssoRoutes } from './routes/sso.js';
import { campaignRoutes } from './routes/campaigns.js';
import { ownerRoutes } from './routes/owners.js';
import { reviewRoutes } from './routes/reviews.js';
import { createGuard, installSecurityHeaders, type SecuritySettings } from './security.js';
import { DEFAULT_SESSION_SETTINGS } from '../auth/sessions.js';

export const API_PREFIX = '/api/v1';
/** PFX uploads arrive base64 in JSON; 10 MB is far above any real certificate. */
const BODY_LIMIT = 10 * 1024 * 1024;

export interface ApiOptions {
  readonly version: string;
  /** Directory of the built web UI; served at / when it exists. */
  readonly webDir?: string;
  /** Bearer token /metrics asks for (SYNCWARDEN_METRICS_TOKEN); unset = open, as Prometheus scrapes usually are. */
  readonly metricsToken?: string | undefined;
  /** Public URL, TLS, proxy trust and session timeouts (runtime/start.ts reads them from the environment). */
  readonly security?: Partial<SecuritySettings>;
  /** TLS_CERT/TLS_KEY contents: this process serves HTTPS itself. */
  readonly https?: { readonly cert: string | Buffer; readonly key: string | Buffer } | undefined;
}

export async function buildApi(rt: Runtime, opts: ApiOptions): Promise<FastifyInstance> {
  // PFX uploads arrive base64 in JSON; 10 MB is far above any real certificate.
  const security: SecuritySettings = {
    publicUrl: opts.security?.publicUrl ? opts.security.publicUrl.replace(/\/+$/, '') : null,
    tls: opts.https !== undefined,
    trustProxy: opts.security?.trustProxy ?? false,
    sessions: opts.security?.sessions ?? DEFAULT_SESSION_SETTINGS,
  };
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT,
    // Behind a proxy that says so, X-Forwarded-For/-Proto give the client's address and scheme
    // (so cookies get Secure and HSTS is sent); otherwise those headers are not believed.
    trustProxy: security.trustProxy,
    ...(opts.https ? { https: { cert: opts.https.cert, key: opts.https.key } } : {}),
    // A request id on every log line and answer; a proxy's id is kept when it looks like one.
    requestIdHeader: false,
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[A-Za-z0-9._:-]{1,64}$/.test(given) ? given : randomUUID();
    },
    // Fastify answers a too-long path parameter (over 100 characters) or a malformed URL on
    // its own, in its own shape; these go through the catalogue like every other error.
    frameworkErrors: (error: Error, _request: unknown, reply: FastifyReply) => {
      const code = (error as { code?: string }).code;
      const err = code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? new AppError('request.uri_too_long', { detail: 'a path parameter is over 100 characters' })
        : new AppError('request.invalid', { detail: 'the address is not a valid URL' });
      void reply.code(catalogue[err.code].http).send({ error: renderError(err.code, err.params) });
    },
  } as Parameters<typeof Fastify>[0]) as unknown as FastifyInstance;
  app.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    // JSON log line per request: the path without its query (queries may carry search terms).
    // Debug level: the UI polls, and a line per poll would drown the console at the default level.
    const line = { reqId: request.id, method: request.method, path: request.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) };
    if (reply.statusCode >= 500) rt.log.warn(line, 'request failed');
    else rt.log.debug(line, 'request');
  });
  installSecurityHeaders(app, security);
  const specs: RouteSpec[] = [...authRoutes(rt, security), ...ssoRoutes(rt, security), ...metaRoutes(rt, opts.version), ...connectionRoutes(rt, opts.version, security), ...diagnosticsRoutes(rt), ...continuityRoutes(rt), ...failoverRoutes(rt), ...directoryRoutes(rt), ...auditRoutes(rt), ...keyRoutes(rt), ...tenantRoutes(rt), ...campaignRoutes(rt), ...ownerRoutes(rt), ...reviewRoutes(rt)];

  app.setErrorHandler((error, request, reply) => {
    let err: AppError;
    const fastifyStatus = (error as { statusCode?: number }).statusCode;
    if (error instanceof AppError) err = error;
    else if (error instanceof ZodError) err = invalidRequest(error, 'request');
    else if (fastifyStatus === 413) {
      const size = Number(request.headers['content-length']);
      err = new AppError('request.too_large', { size: Number.isFinite(size) ? size : 'more than the limit of', limit: BODY_LIMIT });
    } else if (fastifyStatus === 414) err = new AppError('request.uri_too_long', { detail: 'the address is too long' });
    else if (fastifyStatus !== undefined && fastifyStatus >= 400 && fastifyStatus < 500) {
      err = new AppError('request.invalid', { detail: (error as Error).message });
    } else err = toAppError(error);
    if (err.code === 'internal.unexpected') rt.log.error({ err: error, reqId: request.id, path: request.url.split('?')[0] }, 'unexpected error answering a request');
    void reply.code(catalogue[err.code].http).send({ error: renderError(err.code, err.params) });
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: renderError('request.not_found', { entity: 'route', id: `${request.method} ${request.url.split('?')[0]}` }) });
  });

  registerRoutes(app, API_PREFIX, specs, createGuard(rt, security));
  registerOps(app, rt, { metricsToken: opts.metricsToken });
  const doc = openApiDocument(API_PREFIX, specs, opts.version);
  // The document is public: it describes routes, every one of which checks its permission.
  app.get(`${API_PREFIX}/openapi.json`, async () => doc);

  if (opts.webDir && existsSync(opts.webDir)) {
    // Source maps are not served: the build makes none, and a stray one stays private.
    await app.register(fastifyStatic, { root: opts.webDir, prefix: '/', index: ['index.html'], wildcard: false, allowedPath: (path) => !path.endsWith('.map') });
  }
  return app;
}
