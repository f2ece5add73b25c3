import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialect } from '../src/store/db.js';
import { findUserByEmail } from '../src/auth/users.js';
import { apiClient, type ApiFn } from './support/auth.js';
import { cliRunner } from './support/cli.js';
import { bodyFor, PASSWORD, stable, tenantsWorld, type TenantsWorld } from './tenants-world.js';

/**
 * Two organisations with look-alike data (the same connection, policy and channel names, the
 * same people), each made through the API by its own owner against the sandbox. From tenant B,
 * every id of tenant A is tried through every route of the OpenAPI document that takes an id —
 * reads and changes — and must answer 404; A's data is unchanged afterwards. Then the same
 * through the CLI against the running server with B's token.
 */
export function tenantsSuite(dialect: Dialect): void {
  describe(`tenants: look-alike data, ids of one tried from the other (${dialect})`, () => {
    let w: TenantsWorld;
    let t: Pick<TenantsWorld, 'a' | 'b'>;
    let app: TenantsWorld['app'];
    let url: string;
    let idsOfA: TenantsWorld['idsOfA'];
    let routes: TenantsWorld['routes'];
    let fill: TenantsWorld['fill'];
    let sandbox: TenantsWorld['sandbox'];

    beforeAll(async () => {
      w = await tenantsWorld(dialect);
      ({ app, url, idsOfA, routes, fill, sandbox } = w);
      t = { a: w.a, b: w.b };
    }, 240_000);
    afterAll(async () => w?.close());

    async function snapshotA(): Promise<Record<string, unknown>> {
      const snap: Record<string, unknown> = {};
      for (const path of ['/connections', '/policies', '/alerts/channels', '/users', '/admin/tokens', '/tenants', '/identities?limit=1000', '/sync/users', '/incidents', '/directory/connections']) {
        snap[path] = stable((await app.api(path)).body);
      }
      // (Support bundles are left out: each download is itself audited, on purpose.)
      for (const r of routes.filter((x) => x.method === 'GET' && /\{\w+\}/.test(x.path) && !x.path.endsWith('/bundle'))) {
        for (const f of fill(r.path) ?? []) snap[f.url] = stable((await app.api(f.url)).body);
      }
      return snap;
    }

    it('has look-alike data: the same names and people in both, different ids', async () => {
      for (const path of ['/connections', '/policies']) {
        const key = path.slice(1);
        const names = async (api: ApiFn) => ((await api(path)).body[key] as { name: string }[]).map((x) => x.name).sort();
        expect(await names(t.b.api)).toEqual(await names(t.a.api));
      }
      expect(Object.values(t.b.conns).some((id) => Object.values(t.a.conns).includes(id))).toBe(false);
      expect(idsOfA['identities']!.length).toBeGreaterThan(0);
      expect(idsOfA['runs']!.length).toBeGreaterThan(0);
      expect(idsOfA['credentials']!.length).toBe(5);
      expect(idsOfA['incidents']!.length).toBeGreaterThan(0);
      // The shared people: one account, a role in each tenant; B sees only its own members.
      const bUsers = ((await t.b.api('/users')).body.users as { id: string; email: string }[]);
      expect(bUsers.map((u) => u.email).sort()).toEqual(['alice@beta.test', 'operator@northwind.test', 'owner-b@beta.test', 'owner@localhost', 'viewer@northwind.test']);
      expect(bUsers.some((u) => u.id === t.a.onlyUser)).toBe(false);
      // The tenants each owner belongs to.
      expect(((await t.b.api('/tenants')).body.tenants as { id: string }[]).map((x) => x.id)).toEqual(['beta']);
      expect(((await t.a.api('/tenants')).body)).toMatchObject({ current: 'default', tenants: [{ id: 'beta', role: 'owner' }, { id: 'default', role: 'owner' }] });
    });

    it('every route that takes an id answers 404 to B for every id of A, and A is unchanged', async () => {
      const before = await snapshotA();
      const auditBefore = (await app.api('/audit?limit=1')).body;
      const wrong: string[] = [];
      const untargeted: string[] = [];
      const tried = new Set<string>();
      let calls = 0;
      for (const r of routes) {
        const targets = fill(r.path);
        if (!targets) continue;
        tried.add(`${r.method} ${r.path}`);
        if (targets.length === 0) untargeted.push(`${r.method} ${r.path}`);
        for (const target of targets) {
          const body = bodyFor(r.method, r.path, sandbox);
          const res = await t.b.api(target.url, { method: r.method, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
          calls++;
          const code = (res.body as { error?: { code?: string } } | undefined)?.error?.code ?? '';
          if (res.status !== 404 || !/\.(not_found|no_match)$/.test(code)) wrong.push(`${r.method} ${target.url} (${target.label}): ${res.status} ${code}`);
        }
      }
      expect(wrong).toEqual([]);
      // Every route that takes an id was tried with at least one real id of A.
      expect(untargeted).toEqual([]);
      expect(tried.size).toBeGreaterThan(45);
      expect(calls).toBeGreaterThan(100);
      // Nothing B tried was written to A's audit log, and A's data reads the same.
      expect((await app.api('/audit?limit=1')).body).toEqual(auditBefore);
      expect(await snapshotA()).toEqual(before);
    }, 240_000);

    it('B\'s own ids work for B (the walk above is not refusing everything)', async () => {
      expect((await t.b.api(`/connections/${t.b.conns.scim}`)).status).toBe(200);
      // Each tenant's connections work against the sandbox — the keyless Google one too, which
      // signs with the installation's token-provider identity (not only the default tenant's).
      for (const tenant of [t.a, t.b]) {
        for (const id of [tenant.conns.m365, tenant.conns.google, tenant.conns.scim]) {
          const r = await tenant.api(`/connections/${id}/test`, { method: 'POST' });
          expect(`${tenant.id} ${id}: ${r.body.ok}`).toBe(`${tenant.id} ${id}: true`);
        }
      }
      expect((await t.b.api(`/policies/${t.b.policy}`)).status).toBe(200);
      expect((await t.b.api(`/alerts/channels/${t.b.channel}`)).status).toBe(200);
      expect((await t.b.api(`/users/${t.b.onlyUser}`, { method: 'PATCH', body: JSON.stringify({ role: 'operator' }) })).status).toBe(200);
      const ident = ((await t.b.api('/identities?limit=1')).body.items as { id: string }[])[0]!.id;
      expect((await t.b.api(`/identities/${ident}`)).status).toBe(200);
      // The same email names B's identity for B, A's for A.
      const email = 'frances.shannon@northwind.test';
      const inA = await t.a.api(`/identities/${encodeURIComponent(email)}`);
      const inB = await t.b.api(`/identities/${encodeURIComponent(email)}`);
      if (inA.status === 200) expect(inB.body.identity.id).not.toBe(inA.body.identity.id);
    });

    it('installation-wide things stay with the installation: the master keyring is not shown to another organisation\'s owner', async () => {
      expect((await t.a.api('/keys')).status).toBe(200);
      const r = await t.b.api('/keys');
      expect([r.status, r.body.error.code]).toEqual([404, 'request.not_found']);
    });

    it('a shared person\'s account is changed only on the server, never from one of their tenants', async () => {
      const viewer = (await findUserByEmail(app.rt, 'viewer@northwind.test'))!;
      for (const [method, path, body] of [['POST', `/users/${viewer.id}/reset-password`, {}], ['PATCH', `/users/${viewer.id}`, { disabled: true }]] as const) {
        const r = await t.b.api(path, { method, body: JSON.stringify(body) });
        expect([r.status, r.body.error.code]).toEqual([409, 'tenant.user_shared']);
      }
      // Their role in B is B's to change.
      expect((await t.b.api(`/users/${viewer.id}`, { method: 'PATCH', body: JSON.stringify({ role: 'operator' }) })).body.role).toBe('operator');
      expect(((await t.a.api('/users')).body.users as { id: string; role: string }[]).find((u) => u.id === viewer.id)!.role).toBe('viewer');
    });

    it('signs a person of several tenants in to the last one used, or the one asked for, and asks when it cannot tell', async () => {
      const signIn = (body: Record<string, string>) => fetch(`${url}/api/v1/auth/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      // viewer@northwind.test was made in A first, then joined B: last used is A (where the account was made).
      const me = async (res: Response) => {
        const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]!).join('; ');
        return (await apiClient(url, { cookie })('/auth/me')).body as { tenantId: string; role: string };
      };
      const first = await signIn({ email: 'viewer@northwind.test', password: PASSWORD });
      expect(first.status).toBe(200);
      expect(await me(first)).toMatchObject({ tenantId: 'default', role: 'viewer' });
      const asked = await signIn({ email: 'viewer@northwind.test', password: PASSWORD, tenant: 'beta' });
      expect(await me(asked)).toMatchObject({ tenantId: 'beta', role: 'operator' });
      // Now B is the last used.
      expect(await me(await signIn({ email: 'viewer@northwind.test', password: PASSWORD }))).toMatchObject({ tenantId: 'beta' });
      // A tenant they do not belong to is a failed sign-in, not a hint that it exists.
      const foreign = await signIn({ email: 'alice@beta.test', password: PASSWORD, tenant: 'default' });
      expect([foreign.status, ((await foreign.json()) as { error: { code: string } }).error.code]).toEqual([401, 'auth.invalid_credentials']);
      // With no last tenant known, the form asks for one — only once the password is right.
      await app.rt.store.db.updateTable('users').set({ last_tenant_id: null }).where('email', '=', 'viewer@northwind.test').execute();
      const wrong = await signIn({ email: 'viewer@northwind.test', password: 'Not-the-password-at-all-1' });
      expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe('auth.invalid_credentials');
      const ambiguous = await signIn({ email: 'viewer@northwind.test', password: PASSWORD });
      expect([ambiguous.status, ((await ambiguous.json()) as { error: { code: string } }).error.code]).toEqual([400, 'tenant.choose']);
      // Switching needs a role there (404 otherwise), and tokens stay in their tenant.
      const aliceB = await signIn({ email: 'alice@beta.test', password: PASSWORD });
      const cookies = aliceB.headers.getSetCookie().map((c) => c.split(';')[0]!);
      const csrf = cookies.find((c) => c.startsWith('sw_csrf='))!.slice('sw_csrf='.length);
      const switchTo = await apiClient(url, { cookie: cookies.join('; '), 'x-csrf-token': csrf })('/auth/tenant', { method: 'POST', body: JSON.stringify({ tenant: 'default' }) });
      expect([switchTo.status, switchTo.body.error.code]).toEqual([404, 'tenant.not_found']);
      const byToken = await t.b.api('/auth/tenant', { method: 'POST', body: JSON.stringify({ tenant: 'default' }) });
      expect(byToken.body.error.code).toBe('tenant.token_switch');
    });

    it('audits tenant creation and switches in both logs', async () => {
      const actions = async (api: ApiFn) => ((await api('/audit?limit=500')).body.events as { action: string }[]).map((e) => e.action);
      expect(await actions(t.b.api)).toEqual(expect.arrayContaining(['tenant.created', 'tenant.switched', 'user.added']));
      expect(await actions(t.a.api)).toEqual(expect.arrayContaining(['tenant.created', 'tenant.switched']));
    });

    it('the CLI with B\'s token: A\'s ids are not found, the shared names mean B\'s own', async () => {
      const cli = cliRunner(() => ({ SYNCWARDEN_URL: url, SYNCWARDEN_TOKEN: t.b.token, SYNCWARDEN_DATA: join(tmpdir(), 'sw-no-data-here') }));
      const codeOf = async (...args: string[]) => cli.run(...args).then(() => 'ok', (e: { code?: string }) => e.code ?? String(e));
      for (const id of Object.values(t.a.conns)) {
        for (const cmd of ['show', 'test', 'delete']) expect(`${cmd} ${id}: ${await codeOf('connections', cmd, id, '--json')}`).toBe(`${cmd} ${id}: request.no_match`);
      }
      for (const id of idsOfA['identities']!) expect(await codeOf('identities', 'show', id, '--json')).toMatch(/not_found$/);
      // The names both tenants use resolve to B's own.
      const shown = JSON.parse(await cli.run('connections', 'show', 'Northwind Expenses', '--json')) as { id: string };
      expect(shown.id).toBe(t.b.conns.scim);
      const policies = JSON.parse(await cli.run('policies', 'list', '--json')) as { id: string; name: string }[];
      expect(policies.map((p) => [p.id, p.name])).toEqual([[t.b.policy, 'All Northwind users']]);
      const listed = JSON.parse(await cli.run('connections', 'list', '--json')) as { id: string }[];
      expect(listed.map((c) => c.id).sort()).toEqual(Object.values(t.b.conns).sort());
      expect(await cli.run('tenants', 'list')).toContain('beta *');
      // A is still whole.
      for (const id of Object.values(t.a.conns)) expect((await app.api(`/connections/${id}`)).status).toBe(200);
    }, 120_000);
  });
}
