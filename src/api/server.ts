import { existsSync } from 'node:fs';
import { Fastify } from './fastify.js';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { Runtime } from '../runtime/context.js';
import { AppError, catalogue, renderError, toAppError } from '../errors/index.js';
import { openApiDocument, registerRoutes, type RouteSpec } from './route.js';
import { connectionRoutes } from './routes/connections.js';
import { continuityRoutes } from './routes/continuity.js';
import { failoverRoutes } from './routes/failover.js';
import { metaRoutes } from './routes/meta.js';
import { diagnosticsRoutes } from './routes/diagnostics.js';
import { directoryRoutes } from './routes/directory.js';
import { auditRoutes } from './routes/audit.js';
import { keyRoutes } from './routes/keys.js';
import { authRoutes } from './routes/auth.js';
import { createGuard, installSecurityHeaders, type SecuritySettings } from './security.js';
import { DEFAULT_SESSION_SETTINGS } from '../auth/sessions.js';

export const API_PREFIX = '/api/v1';

export interface ApiOptions {
  readonly version: string;
  /** Directory of the built web UI; served at / when it exists. */
  readonly webDir?: string;
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
    bodyLimit: 10 * 1024 * 1024,
    // Behind a proxy that says so, X-Forwarded-For/-Proto give the client's address and scheme
    // (so cookies get Secure and HSTS is sent); otherwise those headers are not believed.
    trustProxy: security.trustProxy,
    ...(opts.https ? { https: { cert: opts.https.cert, key: opts.https.key } } : {}),
  } as Parameters<typeof Fastify>[0]) as unknown as FastifyInstance;
  installSecurityHeaders(app, security);
  const specs: RouteSpec[] = [...authRoutes(rt, security), ...metaRoutes(rt, opts.version), ...connectionRoutes(rt, opts.version, security), ...diagnosticsRoutes(rt), ...continuityRoutes(rt), ...failoverRoutes(rt), ...directoryRoutes(rt), ...auditRoutes(rt), ...keyRoutes(rt)];

  app.setErrorHandler((error, request, reply) => {
    let err: AppError;
    const fastifyStatus = (error as { statusCode?: number }).statusCode;
    if (error instanceof AppError) err = error;
    else if (fastifyStatus !== undefined && fastifyStatus >= 400 && fastifyStatus < 500) {
      err = new AppError('request.invalid', { detail: (error as Error).message });
    } else err = toAppError(error);
    if (err.code === 'internal.unexpected') rt.log.error({ err: error, url: request.url }, 'unexpected error answering a request');
    void reply.code(catalogue[err.code].http).send({ error: renderError(err.code, err.params) });
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: renderError('request.not_found', { entity: 'route', id: `${request.method} ${request.url.split('?')[0]}` }) });
  });

  registerRoutes(app, API_PREFIX, specs, createGuard(rt, security));
  const doc = openApiDocument(API_PREFIX, specs, opts.version);
  // The document is public: it describes routes, every one of which checks its permission.
  app.get(`${API_PREFIX}/openapi.json`, async () => doc);

  if (opts.webDir && existsSync(opts.webDir)) {
    // Source maps are not served: the build makes none, and a stray one stays private.
    await app.register(fastifyStatic, { root: opts.webDir, prefix: '/', index: ['index.html'], wildcard: false, allowedPath: (path) => !path.endsWith('.map') });
  }
  return app;
}
