import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { bearerToken, BodyTooLargeError, readBody, requestUrl, sendText } from '../http.js';
import type { FaultName } from '../faults.js';
import type { SandboxContext } from '../types.js';
import { resourceTypeByName, resourceType, resourceTypes, schemaList, schemaResource, serviceProviderConfig } from './discovery.js';
import { bad, notFound, ScimError, sendError, sendScim } from './errors.js';
import { deleteResource, saveResource } from './mutations.js';
import { applyPatch } from './patch.js';
import { output, queryFromSearch, queryFromUrl, runList } from './query.js';
import { sendList } from './paging-faults.js';
import { etagOf, render, type RenderContext } from './render.js';
import type { Json, Stored } from './store.js';
import { findToken, takeToken, takeWriteToken, type ScimToken, type Tenant } from './tenant.js';
import type { ResourceType } from './urns.js';
import { normalizeBody, validateResource } from './write.js';

/**
 * The `scim` origin: one SCIM 2.0 service provider per tenant at
 * `/apps/{tenant}/scim/v2/…` (RFC 7644). Per request, in the order a real deployment
 * applies them: the tenant's faults, its rate limit, bearer-token authentication (RFC 6750),
 * token rights, then the endpoint.
 */
export interface ScimSim {
  readonly ctx: SandboxContext;
  readonly tenants: Map<string, Tenant>;
}

export const basePath = (tenant: string): string => `/apps/${encodeURIComponent(tenant)}/scim/v2`;
export const baseUrlOf = (ctx: SandboxContext, tenant: string): string => `${ctx.urls.scim}${basePath(tenant)}`;

const PATH = /^\/apps\/([^/]+)\/scim\/v2(\/.*)?$/;

function html(res: ServerResponse, status: number, title: string, body: string): void {
  sendText(res, status, `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><main><h1>${title}</h1>${body}</main></body></html>\n`, 'text/html; charset=utf-8');
}

export function createScimListener(sim: ScimSim): RequestListener {
  const { ctx } = sim;
  return (req, res) => {
    void handle(req, res).catch((e: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (e instanceof ScimError) return sendError(res, e);
      if (e instanceof BodyTooLargeError) return sendError(res, new ScimError(413, undefined, 'The request body is too large'));
      sendError(res, new ScimError(500, undefined, `internal error: ${String(e)}`));
    });
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const now = ctx.now();
    res.setHeader('date', new Date(now).toUTCString());
    const url = requestUrl(req);
    const m = PATH.exec(url.pathname);
    const tenant = m ? sim.tenants.get(decodeURIComponent(m[1]!)) : undefined;
    if (!m || !tenant) return html(res, 404, 'Page not found', '<p>The page you requested does not exist.</p>');
    const fires = (name: FaultName): boolean => ctx.faults.fires(tenant.id, name);
    // A wrong base URL lands on the app's web front end, which answers a sign-in page.
    if (fires('scim.not_scim')) return html(res, 200, `Sign in · ${tenant.displayName}`, '<form method="post" action="/login"><label>Email <input name="email"></label><label>Password <input name="password" type="password"></label><button>Sign in</button></form>');
    const rest = m[2] ?? '/';
    const method = req.method ?? 'GET';
    tenant.stats.requests += 1;
    const route = `${method} ${rest.replace(/^\/(Users|Groups|ResourceTypes|Schemas)\/(?!\.search$).+$/i, (_, c: string) => `/${c}/{id}`)}`;
    tenant.stats.byRoute[route] = (tenant.stats.byRoute[route] ?? 0) + 1;

    if (fires('scim.echo_authorization')) {
      // Seen in the wild: proxies and debug builds that quote the request back in the error.
      const auth = String(req.headers.authorization ?? '');
      throw new ScimError(500, undefined, `token ${auth.replace(/^bearer\s+/i, '')} refused upstream; request headers: Authorization: ${auth}`);
    }
    if (fires('scim.unavailable')) throw new ScimError(503, undefined, 'The service is temporarily unavailable. Try again later.');
    const wait = takeToken(tenant, now);
    if (wait > 0) {
      tenant.stats.throttled += 1;
      throw new ScimError(429, undefined, 'Too many requests', { 'retry-after': String(wait) });
    }
    if (fires('scim.throttle')) {
      tenant.stats.throttled += 1;
      const f = ctx.faults.get(tenant.id, 'scim.throttle');
      throw new ScimError(429, undefined, 'Too many requests', { 'retry-after': String(f?.params['retryAfterSeconds'] ?? 1) });
    }
    const token = authenticate(req, tenant, now, fires);

    const rc: RenderContext = { tenant, base: `${ctx.urls.scim}${basePath(tenant.id)}` };
    const segs = rest.split('/').filter(Boolean).map(decodeURIComponent);
    const top = (segs[0] ?? '').toLowerCase();
    const patchSupported = !ctx.faults.get(tenant.id, 'scim.patch_unsupported');

    if (top === 'serviceproviderconfig' || top === 'resourcetypes' || top === 'schemas') {
      if (method !== 'GET') throw new ScimError(405, undefined, `${method} is not allowed on /${segs[0]}`, { allow: 'GET' });
      // Discovery endpoints ignore query parameters; a filter gets 403 (RFC 7644 §4).
      if (url.searchParams.has('filter')) throw new ScimError(403, undefined, 'filtering is not supported on discovery endpoints');
      if (top === 'serviceproviderconfig') return sendScim(res, 200, serviceProviderConfig({ base: rc.base, patchSupported, maxResults: tenant.options.maxPageSize }));
      if (top === 'resourcetypes') {
        if (!segs[1]) return sendScim(res, 200, resourceTypes(rc.base));
        const rt = resourceTypeByName(segs[1]);
        if (!rt) throw notFound(`no resource type ${segs[1]}`);
        return sendScim(res, 200, resourceType(rc.base, rt));
      }
      if (!segs[1]) return sendScim(res, 200, schemaList(rc.base));
      const s = schemaResource(rc.base, segs.slice(1).join('/'));
      if (!s) throw notFound(`no schema ${segs[1]}`);
      return sendScim(res, 200, s);
    }
    if (top === 'me') throw new ScimError(501, undefined, '/Me is not supported by this service provider');
    if (top === 'bulk') throw new ScimError(501, undefined, 'Bulk operations are not supported (see /ServiceProviderConfig)');
    const rt: ResourceType | undefined = top === 'users' ? 'User' : top === 'groups' ? 'Group' : undefined;
    if (!rt || segs.length > 2) throw notFound(`no endpoint ${rest}`);

    if (fires('scim.forbidden')) throw new ScimError(403, undefined, 'The token is not authorized to access this resource');
    const write = method !== 'GET' && !(segs[1] === '.search' && method === 'POST');
    if (write && (token.rights === 'read' || fires('scim.write_forbidden'))) throw new ScimError(403, undefined, 'The token is read-only and cannot change resources');
    if (write) {
      const wait = fires('scim.write_throttle') ? Number(ctx.faults.get(tenant.id, 'scim.write_throttle')?.params['retryAfterSeconds'] ?? 1) : takeWriteToken(tenant, now);
      if (wait > 0) {
        tenant.stats.throttled += 1;
        throw new ScimError(429, undefined, 'Too many requests', { 'retry-after': String(wait) });
      }
    }

    const dir = tenant.directory;
    const coll = rt === 'User' ? dir.users : dir.groups;
    const q = queryFromUrl(url.searchParams);
    const id = segs[1];

    if (id === undefined) {
      if (method === 'GET') return sendList(ctx, rc, rt, q, res, (body) => sendScim(res, 200, body));
      if (method === 'POST') {
        const data = normalizeBody(rt, await jsonBody(req));
        validateResource(dir, rt, null, data);
        const s: Stored = { id: randomUUID(), data, created: now, lastModified: now, version: 1 };
        saveResource(dir, rt, s);
        const full = render(rc, rt, s);
        return sendScim(res, 201, output(rc, rt, full, q), { location: String((full['meta'] as Json)['location']), etag: etagOf(s) });
      }
      throw new ScimError(405, undefined, `${method} is not allowed on /${rt}s`, { allow: 'GET, POST' });
    }
    if (id === '.search') {
      if (method !== 'POST') throw new ScimError(405, undefined, '.search takes POST', { allow: 'POST' });
      return sendScim(res, 200, runList(rc, rt, queryFromSearch(await jsonBody(req))));
    }

    const existing = coll.get(id);
    if (!existing) throw notFound(`Resource ${id} not found`);
    const ifMatch = req.headers['if-match'];
    if (ifMatch && ifMatch.trim() !== '*' && !ifMatch.split(',').map((x) => x.trim()).includes(etagOf(existing))) {
      throw new ScimError(412, undefined, 'Failed to update. Resource changed on the server.');
    }
    switch (method) {
      case 'GET': {
        if (url.searchParams.has('filter')) throw bad('invalidFilter', 'filter is not allowed when retrieving a single resource');
        if (req.headers['if-none-match'] === etagOf(existing)) {
          res.writeHead(304, { etag: etagOf(existing) });
          return void res.end();
        }
        return sendScim(res, 200, output(rc, rt, render(rc, rt, existing), q), { etag: etagOf(existing) });
      }
      case 'PUT': {
        const data = normalizeBody(rt, await jsonBody(req));
        validateResource(dir, rt, existing.id, data);
        const s: Stored = { ...existing, data, lastModified: now, version: existing.version + 1 };
        saveResource(dir, rt, s);
        return sendScim(res, 200, output(rc, rt, render(rc, rt, s), q), { etag: etagOf(s) });
      }
      case 'PATCH': {
        if (!patchSupported) throw new ScimError(501, undefined, 'PATCH is not supported by this service provider');
        const data = applyPatch(rt, existing.data, await jsonBody(req), { filterPathRemove: tenant.options.filterPathRemove, removeIgnoresValue: tenant.options.removeIgnoresValue, replacePath: tenant.options.replacePath });
        validateResource(dir, rt, existing.id, data);
        const changed = JSON.stringify(data) !== JSON.stringify(existing.data);
        const s: Stored = changed ? { ...existing, data, lastModified: now, version: existing.version + 1 } : existing;
        if (changed) saveResource(dir, rt, s);
        // Groups answer 204 unless attributes were asked for (what Entra ID expects); users answer the resource.
        if (rt === 'Group' && q.attributes === null && q.excludedAttributes === null) {
          res.writeHead(204, { etag: etagOf(s) });
          return void res.end();
        }
        return sendScim(res, 200, output(rc, rt, render(rc, rt, s), q), { etag: etagOf(s) });
      }
      case 'DELETE': {
        deleteResource(dir, rt, existing.id, now);
        res.writeHead(204);
        return void res.end();
      }
      default:
        throw new ScimError(405, undefined, `${method} is not allowed on /${rt}s/{id}`, { allow: 'GET, PUT, PATCH, DELETE' });
    }
  }
}

function authenticate(req: IncomingMessage, tenant: Tenant, now: number, fires: (n: FaultName) => boolean): ScimToken {
  const challenge = (error?: string, description?: string): Record<string, string> => ({
    'www-authenticate': `Bearer realm="${tenant.id}"${error ? `, error="${error}", error_description="${description}"` : ''}`,
  });
  const secret = bearerToken(req);
  if (!secret) throw new ScimError(401, undefined, 'Authentication required: send Authorization: Bearer <token>', challenge());
  const token = findToken(tenant, secret);
  if (!token || fires('scim.token_invalid')) throw new ScimError(401, undefined, 'The access token is invalid', challenge('invalid_token', 'The access token is invalid'));
  if ((token.expiresAt !== null && token.expiresAt <= now) || fires('scim.token_expired')) {
    throw new ScimError(401, undefined, 'The access token expired', challenge('invalid_token', 'The access token expired'));
  }
  return token;
}

async function jsonBody(req: IncomingMessage): Promise<unknown> {
  const text = (await readBody(req, 2 * 1024 * 1024)).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw bad('invalidSyntax', 'the request body is not valid JSON');
  }
}
