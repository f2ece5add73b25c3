import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { readBody, requestUrl, sendJson } from '../http.js';
import { deleteResource, saveResource, setMember } from './mutations.js';
import { render, type RenderContext } from './render.js';
import { LARGE_DEFAULT, type SizeSpec } from './seed.js';
import { baseUrlOf, type ScimSim } from './service.js';
import type { Json, Stored } from './store.js';
import { addToken, createTenant, newStats, reseed, tokenView, type Tenant } from './tenant.js';
import { URN, type ResourceType } from './urns.js';
import { canonical, validateResource } from './write.js';
import { ScimError } from './errors.js';

/**
 * The SCIM part of the sandbox admin API (under /scim/ on the admin origin): tenants and
 * their tokens, data size, rate limit, server behaviour, and direct changes to users,
 * groups and memberships (what an app admin would do in the app's console), for
 * incremental tests. These bypass faults, rate limits and authentication.
 */
const sizeSchema = z.union([
  z.object({ size: z.enum(['empty', 'demo']) }),
  z.object({
    size: z.literal('large'),
    users: z.number().int().min(0).max(5_000_000).optional(),
    groups: z.number().int().min(1).max(1_000_000).optional(),
    membershipsPerUser: z.number().int().min(0).max(1000).optional(),
  }),
]);
const newTenantSchema = z.object({ id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/), displayName: z.string().min(1).optional() }).and(sizeSchema.or(z.object({})));
const tokenSchema = z.object({
  label: z.string().min(1).default('SCIM token'),
  rights: z.enum(['read', 'read_write']).default('read_write'),
  expiresAt: z.iso.datetime({ offset: true }).optional(),
  expiresInSeconds: z.number().int().optional(),
});
const rateSchema = z.object({ enabled: z.boolean(), requestsPerSecond: z.number().positive(), burst: z.number().int().min(1), writesPerSecond: z.number().positive(), writeBurst: z.number().int().min(1) }).partial();
const optionsSchema = z
  .object({
    maxPageSize: z.number().int().min(1).max(100_000),
    ignoreCount: z.boolean(),
    membersInList: z.union([z.literal('all'), z.literal('omit'), z.number().int().min(0)]),
    filterPathRemove: z.boolean(),
    removeIgnoresValue: z.boolean(),
    stringBooleans: z.boolean(),
    replacePath: z.boolean(),
    maxFilterResults: z.number().int().min(1),
  })
  .partial();
const userSchema = z.object({
  userName: z.string().min(1),
  displayName: z.string().optional(),
  givenName: z.string().optional(),
  familyName: z.string().optional(),
  email: z.string().optional(),
  active: z.boolean().optional(),
  userType: z.string().optional(),
  title: z.string().optional(),
  externalId: z.string().optional(),
  employeeNumber: z.string().optional(),
  department: z.string().optional(),
});
const groupSchema = z.object({ displayName: z.string().min(1), externalId: z.string().optional(), members: z.array(z.string()).optional() });

function sizeSpecOf(b: z.infer<typeof sizeSchema>): SizeSpec {
  if (b.size !== 'large') return { kind: b.size };
  return { kind: 'large', users: b.users ?? LARGE_DEFAULT.users, groups: b.groups ?? LARGE_DEFAULT.groups, membershipsPerUser: b.membershipsPerUser ?? LARGE_DEFAULT.membershipsPerUser };
}

export function tenantView(sim: ScimSim, t: Tenant): Json {
  return {
    id: t.id,
    displayName: t.displayName,
    baseUrl: baseUrlOf(sim.ctx, t.id),
    size: t.size,
    users: t.directory.users.count(),
    groups: t.directory.groups.count(),
    options: t.options,
    rateLimit: t.rateLimit,
  };
}

class AdminError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (!r.success) throw new AdminError(400, r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  return r.data;
}

function userData(b: z.infer<typeof userSchema>, base: Json = {}): Json {
  const data: Json = { ...base };
  const set = (k: string, v: unknown): void => void (v !== undefined && (data[k] = v));
  set('userName', b.userName);
  set('externalId', b.externalId);
  set('displayName', b.displayName ?? (b.givenName || b.familyName ? `${b.givenName ?? ''} ${b.familyName ?? ''}`.trim() : undefined));
  if (b.givenName !== undefined || b.familyName !== undefined) data['name'] = { ...((base['name'] as Json | undefined) ?? {}), ...(b.givenName !== undefined ? { givenName: b.givenName } : {}), ...(b.familyName !== undefined ? { familyName: b.familyName } : {}) };
  set('title', b.title);
  set('userType', b.userType);
  set('active', b.active);
  if (b.email !== undefined) data['emails'] = [{ value: b.email, type: 'work', primary: true }];
  if (b.employeeNumber !== undefined || b.department !== undefined) {
    data[URN.enterprise] = { ...((base[URN.enterprise] as Json | undefined) ?? {}), ...(b.employeeNumber !== undefined ? { employeeNumber: b.employeeNumber } : {}), ...(b.department !== undefined ? { department: b.department } : {}) };
  }
  return canonical('User', data);
}

export function scimAdmin(sim: ScimSim) {
  const { ctx } = sim;
  return async (req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> => {
    if (path !== '/scim' && !path.startsWith('/scim/')) return false;
    try {
      const r = await route(req, path);
      if (r === undefined) return false;
      sendJson(res, r.status, r.body);
    } catch (e) {
      if (e instanceof AdminError) sendJson(res, e.status, { error: e.message });
      else if (e instanceof ScimError) sendJson(res, e.status, { error: e.detail, scimType: e.scimType ?? null });
      else throw e;
    }
    return true;
  };

  async function route(req: IncomingMessage, path: string): Promise<{ status: number; body: unknown } | undefined> {
    const method = req.method ?? 'GET';
    const url = requestUrl(req);
    const parts = path.split('/').slice(2).map(decodeURIComponent); // after '/scim'
    const now = ctx.now();
    const body = async (): Promise<unknown> => {
      const text = (await readBody(req, 1 << 20)).toString('utf8');
      try {
        return text ? JSON.parse(text) : {};
      } catch {
        throw new AdminError(400, 'body is not JSON');
      }
    };
    if (parts[0] !== 'tenants') return undefined;
    if (parts.length === 1) {
      if (method === 'GET') return { status: 200, body: { tenants: [...sim.tenants.values()].map((t) => tenantView(sim, t)) } };
      if (method === 'POST') {
        const b = parse(newTenantSchema, await body());
        if (sim.tenants.has(b.id)) throw new AdminError(409, `tenant ${b.id} exists`);
        const size = 'size' in b ? sizeSpecOf(b as z.infer<typeof sizeSchema>) : ({ kind: 'empty' } as const);
        const t = createTenant(b.id, b.displayName ?? b.id, ctx.seed, size, now);
        sim.tenants.set(t.id, t);
        const tok = addToken(t, { label: 'Initial token', rights: 'read_write', expiresAt: null, now });
        return { status: 201, body: { ...tenantView(sim, t), token: { ...tokenView(tok), token: tok.secret } } };
      }
      return undefined;
    }
    const t = sim.tenants.get(parts[1]!);
    if (!t) throw new AdminError(404, `no SCIM tenant ${parts[1]}`);
    const rc: RenderContext = { tenant: t, base: baseUrlOf(ctx, t.id) };
    const dir = (): Tenant['directory'] => t.directory;
    const sub = parts[2];
    if (sub === undefined && method === 'GET') return { status: 200, body: tenantView(sim, t) };
    if (sub === undefined && method === 'DELETE') {
      sim.tenants.delete(t.id);
      return { status: 200, body: { deleted: t.id } };
    }
    switch (sub) {
      case 'tokens': {
        if (parts.length === 3 && method === 'GET') return { status: 200, body: { tokens: [...t.tokens.values()].map(tokenView) } };
        if (parts.length === 3 && method === 'POST') {
          const b = parse(tokenSchema, await body());
          const expiresAt = b.expiresAt !== undefined ? Date.parse(b.expiresAt) : b.expiresInSeconds !== undefined ? now + b.expiresInSeconds * 1000 : null;
          const tok = addToken(t, { label: b.label, rights: b.rights, expiresAt, now });
          return { status: 201, body: { ...tokenView(tok), token: tok.secret } };
        }
        if (parts.length === 4 && method === 'DELETE') {
          if (!t.tokens.delete(parts[3]!)) throw new AdminError(404, `no token ${parts[3]}`);
          return { status: 200, body: { deleted: parts[3] } };
        }
        return undefined;
      }
      case 'size':
        if (method !== 'POST') return undefined;
        reseed(t, ctx.seed, sizeSpecOf(parse(sizeSchema, await body())));
        return { status: 200, body: tenantView(sim, t) };
      case 'rate-limit':
        if (method === 'POST') Object.assign(t.rateLimit, parse(rateSchema, await body()));
        t.bucket = { tokens: t.rateLimit.burst, at: now };
        t.writeBucket = { tokens: t.rateLimit.writeBurst, at: now };
        return { status: 200, body: { rateLimit: t.rateLimit } };
      case 'options':
        if (method === 'POST') Object.assign(t.options, parse(optionsSchema, await body()));
        return { status: 200, body: { options: t.options } };
      case 'stats':
        if (method === 'DELETE') t.stats = newStats();
        return { status: 200, body: t.stats };
      case 'users':
      case 'groups':
        return resources(sub === 'users' ? 'User' : 'Group');
      default:
        return undefined;
    }

    async function resources(rt: ResourceType): Promise<{ status: number; body: unknown } | undefined> {
      const coll = rt === 'User' ? dir().users : dir().groups;
      const id = parts[3];
      if (id === undefined) {
        if (method === 'GET') {
          const offset = Number(url.searchParams.get('offset') ?? 0);
          const limit = Math.min(Number(url.searchParams.get('limit') ?? 1000), 10_000);
          const out: Json[] = [];
          for (let p = offset; p < coll.count() && out.length < limit; p++) {
            const s = coll.at(p);
            if (s) out.push(render(rc, rt, s));
          }
          return { status: 200, body: { totalResults: coll.count(), resources: out } };
        }
        if (method === 'POST') {
          let data: Json;
          if (rt === 'User') data = userData(parse(userSchema, await body()));
          else {
            const b = parse(groupSchema, await body());
            data = canonical('Group', { displayName: b.displayName, externalId: b.externalId, ...(b.members?.length ? { members: b.members.map((value) => ({ value })) } : {}) });
          }
          validateResource(dir(), rt, null, data);
          const s: Stored = { id: randomUUID(), data, created: now, lastModified: now, version: 1 };
          saveResource(dir(), rt, s);
          return { status: 201, body: render(rc, rt, s) };
        }
        return undefined;
      }
      const existing = coll.get(id);
      if (!existing) throw new AdminError(404, `no ${rt} ${id}`);
      if (parts.length === 4) {
        if (method === 'GET') return { status: 200, body: render(rc, rt, existing) };
        if (method === 'DELETE') {
          deleteResource(dir(), rt, id, now);
          return { status: 200, body: { deleted: id } };
        }
        if (method === 'PATCH') {
          let data: Json;
          if (rt === 'User') data = userData(parse(userSchema.partial(), await body()) as z.infer<typeof userSchema>, existing.data);
          else {
            const b = parse(groupSchema.partial(), await body());
            data = canonical('Group', { ...existing.data, ...(b.displayName !== undefined ? { displayName: b.displayName } : {}), ...(b.externalId !== undefined ? { externalId: b.externalId } : {}) });
          }
          validateResource(dir(), rt, id, data);
          const s: Stored = { ...existing, data, lastModified: now, version: existing.version + 1 };
          saveResource(dir(), rt, s);
          return { status: 200, body: render(rc, rt, s) };
        }
        return undefined;
      }
      // /groups/{gid}/members/{memberId}
      if (rt !== 'Group' || parts[4] !== 'members' || parts.length !== 6) return undefined;
      const memberId = parts[5]!;
      const type = dir().users.get(memberId) ? 'User' : dir().groups.get(memberId) ? 'Group' : null;
      const members = Array.isArray(existing.data['members']) ? (existing.data['members'] as Json[]) : [];
      if (method === 'GET') return { status: 200, body: { member: members.some((m) => m['value'] === memberId) } };
      if (method === 'PUT') {
        if (!type) throw new AdminError(404, `no user or group ${memberId}`);
        return { status: 200, body: { changed: setMember(dir(), id, memberId, type, now) } };
      }
      if (method === 'DELETE') return { status: 200, body: { changed: setMember(dir(), id, memberId, null, now) } };
      return undefined;
    }
  }
}
