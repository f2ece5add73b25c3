import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootApp, type BootedApp } from './support/app.js';
import { PERMISSIONS, ROLES, roleHas, type Permission, type Role } from '../src/auth/permissions.js';
import type { ApiFn } from './support/auth.js';

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
    const viewerWrites = (Object.keys(PERMISSIONS) as Permission[]).filter((p) => roleHas('viewer', p) && !/\.(read|export)$/.test(p) && p !== 'public' && p !== 'session');
    expect(viewerWrites).toEqual([]);
    const reviewer = (Object.keys(PERMISSIONS) as Permission[]).filter((p) => roleHas('reviewer', p));
    expect(reviewer).toEqual(['public', 'session']);
  });
});
