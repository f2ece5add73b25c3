import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z, ZodError, type ZodType } from 'zod';
import { AppError } from '../errors/index.js';
import type { Permission } from '../auth/permissions.js';
import type { Principal } from './security.js';
import { runActing, type ActingContext } from '../auth/context.js';

/**
 * One route = one spec: zod schemas validate params and query here, bodies are validated by
 * the area service with the same schema (one place), and the OpenAPI document is generated
 * from these specs — so validation, types and docs cannot drift apart.
 */
export interface RouteSpec {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly url: string;
  readonly summary: string;
  readonly tag: string;
  readonly params?: ZodType;
  readonly query?: ZodType;
  readonly body?: ZodType;
  readonly status?: number;
  /**
   * What the caller must hold (src/auth/permissions.ts, the one permission table). Required:
   * a route without one does not compile, and the route × role test walks them all.
   */
  readonly permission: Permission;
  readonly handler: (input: RouteInput) => Promise<unknown>;
}

export interface RouteInput {
  /** The signed-in caller's tenant (the default tenant for a public route without a caller). */
  readonly tenantId: string;
  /** Who calls: null only on `public` routes answered without sign-in. */
  readonly principal: Principal | null;
  /** How the audit log names the caller ('user:…', 'token:… (…)', 'anonymous'): for `*_by` columns. */
  readonly actor: string;
  readonly params: Record<string, string>;
  readonly query: Record<string, unknown>;
  readonly body: unknown;
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
}

/** The tenant every installation starts with (and the only one until tenants arrive). */
export const DEFAULT_TENANT = 'default';

/** Authenticates a request and checks the route's permission (api/security.ts); throws a catalogue error. */
export type Guard = (request: FastifyRequest, spec: RouteSpec) => Promise<{ principal: Principal | null; acting: ActingContext }>;

export function registerRoutes(app: FastifyInstance, prefix: string, specs: readonly RouteSpec[], guard: Guard): void {
  for (const spec of specs) {
    app.route({
      method: spec.method,
      url: prefix + spec.url,
      handler: async (request, reply) => {
        // Before anything else, the permission: a denied caller learns nothing from validation.
        const { principal, acting } = await guard(request, spec);
        const params = parse(spec.params, request.params, 'path') as Record<string, string>;
        const query = parse(spec.query, request.query, 'query') as Record<string, unknown>;
        // The caller is the actor of everything recorded while answering (auth/context.ts).
        let result: unknown;
        try {
          result = await runActing(acting, () => spec.handler({ tenantId: principal?.tenantId ?? DEFAULT_TENANT, principal, actor: acting.actor, params, query, body: request.body ?? {}, request, reply }));
        } catch (e) {
          // A handler that parses its body with zod itself (retryBody.parse(body)) must not let
          // the ZodError escape as a 500: it is the caller's input that is wrong.
          if (e instanceof ZodError) throw invalidRequest(e, 'body');
          throw e;
        }
        if (reply.sent) return reply;
        if (result === undefined) return reply.code(spec.status ?? 204).send();
        return reply.code(spec.status ?? 200).send(result);
      },
    });
  }
}

function parse(schema: ZodType | undefined, value: unknown, where: string): unknown {
  if (!schema) return value ?? {};
  try {
    return schema.parse(value ?? {});
  } catch (e) {
    if (e instanceof ZodError) throw invalidRequest(e, where);
    throw e;
  }
}

/** A zod failure as the catalogue's request.invalid, naming where and which fields (at most 5). */
export function invalidRequest(e: ZodError, where: string): AppError {
  const issues = e.issues.slice(0, 5).map((i) => `${where} ${i.path.join('.') || '(whole)'}: ${i.message}`);
  if (e.issues.length > 5) issues.push(`and ${e.issues.length - 5} more`);
  return new AppError('request.invalid', { detail: issues.join('; ') });
}

export function openApiDocument(prefix: string, specs: readonly RouteSpec[], version: string): unknown {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const spec of specs) {
    const path = (prefix + spec.url).replace(/:(\w+)/g, '{$1}');
    const parameters: unknown[] = [];
    for (const [where, schema] of [['path', spec.params], ['query', spec.query]] as const) {
      if (!schema) continue;
      const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, s] of Object.entries(json.properties ?? {})) {
        parameters.push({ name, in: where, required: where === 'path' || (json.required ?? []).includes(name), schema: s });
      }
    }
    const op: Record<string, unknown> = {
      summary: spec.summary,
      tags: [spec.tag],
      // The permission the route needs (src/auth/permissions.ts); `public` needs no sign-in.
      'x-permission': spec.permission,
      security: spec.permission === 'public' ? [] : [{ bearer: [] }, { session: [] }],
      parameters,
      responses: {
        [String(spec.status ?? 200)]: { description: 'Success' },
        default: { description: 'A catalogue error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      },
    };
    if (spec.body) {
      op['requestBody'] = { required: true, content: { 'application/json': { schema: z.toJSONSchema(spec.body, { io: 'input', unrepresentable: 'any' }) } } };
    }
    (paths[path] ??= {})[spec.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Syncwarden API', version },
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API token (`swt_…`), made on the API tokens page or with `syncwarden tokens create`' },
        session: { type: 'apiKey', in: 'cookie', name: 'sw_session', description: 'The browser session; changes also need the X-CSRF-Token header (the sw_csrf cookie\'s value)' },
      },
      schemas: {
        Error: {
          type: 'object',
          properties: {
            error: {
              type: 'object',
              properties: { code: { type: 'string' }, title: { type: 'string' }, message: { type: 'string' }, resolution: { type: 'string' } },
              required: ['code', 'title', 'message', 'resolution'],
            },
          },
        },
      },
    },
  };
}
