import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootApp, type BootedApp } from './support/app.js';
import { PERMISSIONS, ROLES, roleHas, type Permission, type Role } from '../src/auth/permissions.js';
import { apiClient, type ApiFn } from './support/auth.js';
import { runActing } from '../src/auth/context.js';
import { createUser } from '../src/auth/users.js';
import { createApiToken } from '../src/auth/tokens.js';
import { bodyFor, tenantsWorld, type TenantsWorld } from './tenants-world.js';

/**
 * Every route of the OpenAPI document × every role (and nobody signed in), against the one
 * permission table: a route that declares no permission fails, an allow the table does not
 * give fails (0 unexpected allows), and a deny the table does not ask for fails.
 *
 * Each route is called with placeholder ids and an empty body: what matters is whether the
 * answer is an authentication/authorisation refusal (401/403 from auth.*) or anything else.
 */
describe('route × role permissions', () => {
  let app: BootedApp;
  const callers = new Map<Role | 'anonymous', ApiFn>();
  let routes: { method: string; path: string; permission: Permission | undefined }[] = [];

  beforeAll(async () => {
    app = await bootApp();
    for (const role of ROLES) callers.set(role, await app.as(role));
    callers.set('anonymous', await app.as(null));
    const doc = (await app.api('/openapi.json')).body as { paths: Record<string, Record<string, { 'x-permission'?: Permission }>> };
    routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, permission: op['x-permission'] })));
  }, 60_000);
  afterAll(async () => app?.stop());

  it('every route declares a permission of the table', () => {
    expect(routes.length).toBeGreaterThan(80);
    const undeclared = routes.filter((r) => r.permission === undefined || !(r.permission in PERMISSIONS));
    expect(undeclared).toEqual([]);
  });

  it('allows exactly what the table gives, for every role and for nobody', async () => {
    const unexpected: string[] = [];
    let calls = 0;
    for (const r of routes) {
      // Sign-out would end nothing for a token, but keep the walk free of side effects on the callers.
      const url = r.path.replace(/^\/api\/v1/, '').replace(/\{(\w+)\}/g, 'zz_$1');
      for (const [who, api] of callers) {
        const init: RequestInit = { method: r.method, ...(['GET', 'DELETE'].includes(r.method) ? {} : { body: '{}' }) };
        const res = await api(url, init);
        calls++;
        const code = (res.body as { error?: { code?: string } } | undefined)?.error?.code ?? '';
        const refused = (res.status === 401 && code === 'auth.required') || (res.status === 403 && code === 'auth.forbidden');
        const expected = r.permission === 'public' ? true : who === 'anonymous' ? false : roleHas(who, r.permission!);
        if (expected && refused) unexpected.push(`DENIED ${who} ${r.method} ${r.path} (${r.permission}): ${res.status} ${code}`);
        if (!expected && !refused) unexpected.push(`ALLOWED ${who} ${r.method} ${r.path} (${r.permission}): ${res.status} ${code}`);
        if (!expected && who === 'anonymous') expect(res.status).toBe(401);
      }
    }
    expect(unexpected).toEqual([]);
    expect(calls).toBe(routes.length * (ROLES.length + 1));
  }, 120_000);

  it('the roles of the issue: an operator runs syncs but cannot touch credentials; a viewer reads the audit log and changes nothing; a reviewer gets nothing else', () => {
    expect(roleHas('operator', 'sync.run')).toBe(true);
    expect(roleHas('operator', 'credentials.read')).toBe(false);
    expect(roleHas('operator', 'credentials.manage')).toBe(false);
    expect(roleHas('viewer', 'audit.read')).toBe(true);
    const viewerWrites = (Object.keys(PERMISSIONS) as Permission[]).filter((p) => roleHas('viewer', p) && !/\.(read|export)$/.test(p) && p !== 'public' && p !== 'session' && p !== 'reviews.own');
    expect(viewerWrites).toEqual([]);
    const reviewer = (Object.keys(PERMISSIONS) as Permission[]).filter((p) => roleHas('reviewer', p));
    // Anyone can be asked to review (issue 13): their own review items, nothing else.
    expect(reviewer).toEqual(['public', 'session', 'reviews.own']);
  });
});

/**
 * The same walk from a second tenant (issue 12, point 3): a caller with each role in tenant B
 * calls every route of the OpenAPI document, the routes that take an id with tenant A's real
 * ids (the look-alike world of test/tenants-world.ts). The permission table decides allow or
 * deny as in tenant A; an allowed call with an id of A must answer 404 (`*.not_found`), never
 * 2xx, 400, 403 or 500 — 0 unexpected allows.
 */
describe('route × role × a second tenant', () => {
  let w: TenantsWorld;
  const callers = new Map<Role, ApiFn>();
  const SETUP = { actor: 'system:test-setup', address: null, userAgent: null };

  beforeAll(async () => {
    w = await tenantsWorld('sqlite');
    for (const role of ROLES) {
      const token = await runActing(SETUP, async () => {
        const user = await createUser(w.app.rt, w.b.id, { email: `${role}-walk@beta.test`, role, password: 'Tulip-stapler-orbit-42' }, null);
        return (await createApiToken(w.app.rt, w.b.id, user.id, { name: `b-${role}`, role, expiresInDays: 30 })).token;
      });
      callers.set(role, apiClient(w.url, { authorization: `Bearer ${token}` }));
    }
  }, 240_000);
  afterAll(async () => w?.close());

  it('covers every route of the OpenAPI document, with a real id of A wherever a route takes one', () => {
    expect(w.routes.length).toBeGreaterThan(80);
    // A provider's name (/auth/sso/{provider}/…) is not an id.
    const withIds = w.routes.filter((r) => /\{(?!provider\})\w+\}/.test(r.path));
    expect(withIds.filter((r) => (w.fill(r.path) ?? []).length === 0)).toEqual([]);
    expect(withIds.length).toBeGreaterThan(45);
  });

  it('never allows more than the table, and answers 404 for every id of A', async () => {
    const unexpected: string[] = [];
    let calls = 0;
    for (const r of w.routes) {
      const target = w.fill(r.path)?.[0];
      const url = target?.url ?? r.path.replace(/\{(\w+)\}/g, 'zz_$1');
      for (const [role, api] of callers) {
        const body = target ? bodyFor(r.method, r.path, w.sandbox) : ['GET', 'DELETE'].includes(r.method) ? undefined : {};
        const res = await api(url, { method: r.method, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
        calls++;
        const code = (res.body as { error?: { code?: string } } | undefined)?.error?.code ?? '';
        const refused = (res.status === 401 && code === 'auth.required') || (res.status === 403 && code === 'auth.forbidden');
        const expected = r.permission === 'public' || roleHas(role, r.permission as Permission);
        if (expected && refused) unexpected.push(`DENIED ${role}@B ${r.method} ${r.path} (${r.permission}): ${res.status} ${code}`);
        if (!expected && !refused) unexpected.push(`ALLOWED ${role}@B ${r.method} ${r.path} (${r.permission}): ${res.status} ${code}`);
        if (expected && target && !(res.status === 404 && /\.(not_found|no_match)$/.test(code))) unexpected.push(`A's id answered ${res.status} ${code} to ${role}@B: ${r.method} ${target.url}`);
      }
    }
    expect(unexpected).toEqual([]);
    expect(calls).toBe(w.routes.length * ROLES.length);
  }, 240_000);
});
