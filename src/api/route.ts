import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z, ZodError, type ZodType } from 'zod';
import { AppError } from '../errors/index.js';

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
  readonly handler: (input: RouteInput) => Promise<unknown>;
}

export interface RouteInput {
  readonly tenantId: string;
  readonly params: Record<string, string>;
  readonly query: Record<string, unknown>;
  readonly body: unknown;
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
}

/** Single-tenant for now: every request acts on the default tenant. */
export const DEFAULT_TENANT = 'default';

export function registerRoutes(app: FastifyInstance, prefix: string, specs: readonly RouteSpec[]): void {
  for (const spec of specs) {
    app.route({
      method: spec.method,
      url: prefix + spec.url,
      handler: async (request, reply) => {
        const params = parse(spec.params, request.params, 'path') as Record<string, string>;
        const query = parse(spec.query, request.query, 'query') as Record<string, unknown>;
        let result: unknown;
        try {
          result = await spec.handler({ tenantId: DEFAULT_TENANT, params, query, body: request.body ?? {}, request, reply });
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
