import { writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { startSandbox, type Sandbox } from '../src/sandbox/server.js';
import type { Dialect } from '../src/store/db.js';
import { DEFAULT_TENANT } from '../src/api/route.js';
import { findUserByEmail } from '../src/auth/users.js';
import { runActing } from '../src/auth/context.js';
import { runDirectorySync } from '../src/directory/sync/run.js';
import { correlateIdentities } from '../src/directory/correlation/correlate.js';
import { runPolicyCycle } from '../src/continuity/cycle.js';
import { bootApp, type BootedApp } from './support/app.js';
import { apiClient, sessionFor, type ApiFn } from './support/auth.js';
import { googleBody, m365Body, m365SecretCredential, scimBody } from './support/connections.js';

/**
 * The look-alike world of test/tenants.suite.ts and test/permissions.test.ts: two organisations
 * with the same connection, policy and channel names and the same people, each made through the
 * API by its own owner against the sandbox (tenant A is the default tenant, B is `beta`), and
 * every id of A by what the routes call them.
 */
export const PASSWORD = 'Lantern-quarry-violet-73';
const SETUP = { actor: 'system:test-setup', address: null, userAgent: null };

export interface Tenant {
  id: string;
  api: ApiFn;
  token: string;
  conns: { m365: string; google: string; scim: string; broken: string };
  policy: string;
  channel: string;
  onlyUser: string;
  tokenId: string;
  /** A running campaign and a few of its items, reviewed by `onlyUser`. */
  campaign: string;
  reviewItems: string[];
}

/** Valid bodies for the changes, so a refusal is about the id and not the body. */
export function bodyFor(method: string, path: string, sandbox: Sandbox): unknown {
  if (method === 'GET' || method === 'DELETE') return undefined;
  const table: [RegExp, unknown][] = [
    [/^\/connections\/\{id\}$/, { name: 'Renamed by B' }],
    [/^\/connections\/\{id\}\/credentials$/, { type: 'client_secret', clientSecret: sandbox.demo.microsoft.clientSecret }],
    [/\/write-back$/, { enabled: true }],
    [/\/directory\/sync$/, { mode: 'full' }],
    [/^\/policies\/\{id\}$/, { name: 'Renamed by B' }],
    [/\/failover\/settings$/, { proposeAfterMinutes: 30 }],
    [/\/retry-failed$/, {}],
    [/^\/identities\/\{id\}\/type$/, { type: 'service', reason: 'B says so' }],
    [/^\/alerts\/channels\/\{id\}$/, { name: 'Renamed by B' }],
    [/^\/users\/\{id\}$/, { role: 'viewer' }],
    [/^\/users\/\{id\}\/reset-password$/, { password: 'Another-lantern-quarry-11' }],
    [/^\/tenants\/\{id\}$/, { name: 'Renamed by B' }],
  ];
  return table.find(([re]) => re.test(path))?.[1] ?? {};
}

/** What must not change in A: everything but last-use stamps and freshly signed consent links. */
export function stable(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v ?? null, (k, x) => (/^(lastUsed|lastSeen|daysLeft|age|now|adminConsentUrl|generatedAt)/i.test(k) ? undefined : x)));
}


export interface TenantsWorld {
  sandbox: Sandbox;
  app: BootedApp;
  url: string;
  a: Tenant;
  b: Tenant;
  /** Every id of A, by kind (connections, credentials, policies, identities, runs, …). */
  idsOfA: Record<string, string[]>;
  /** Every route of the OpenAPI document (paths without /api/v1). */
  routes: { method: string; path: string; permission: string }[];
  /** A's ids for a route's parameters (each combination), or null when the route takes no id. */
  fill(path: string): { url: string; label: string }[] | null;
  close(): Promise<void>;
}

export async function tenantsWorld(dialect: Dialect): Promise<TenantsWorld> {
  let sandbox: Sandbox;
  let app: BootedApp;
  let keyFile: string;
  let url: string;
  const t: Record<'a' | 'b', Tenant> = {} as never;
  const idsOfA: Record<string, string[]> = {};
  let routes: { method: string; path: string; permission: string }[] = [];

  async function ok(api: ApiFn, method: string, path: string, body?: unknown, status = [200, 201, 202, 204]) {
    const r = await api(path, { method, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    if (!status.includes(r.status)) throw new Error(`${method} ${path}: ${r.status} ${r.text}`);
    return r.body;
  }

  /** The same organisation, made through the API by its owner. */
  async function populate(id: string, api: ApiFn, token: string, only: string): Promise<Tenant> {
    const conns: Tenant['conns'] = {
      broken: '',
      m365: (await ok(api, 'POST', '/connections', m365Body(sandbox))).id as string,
      google: (await ok(api, 'POST', '/connections', googleBody(sandbox))).id as string,
      scim: (await ok(api, 'POST', '/connections', scimBody(sandbox))).id as string,
    };
    // One that worked, then lost its secret: an open incident.
    const broken = (await ok(api, 'POST', '/connections', m365Body(sandbox, { name: 'Broken M365', credential: m365SecretCredential(sandbox) }))).id as string;
    expect((await ok(api, 'POST', `/connections/${broken}/test`)).ok).toBe(true);
    await ok(api, 'PATCH', `/connections/${broken}`, { credential: m365SecretCredential(sandbox, { clientSecret: 'not-the-secret-of-this-app' }) });
    expect((await ok(api, 'POST', `/connections/${broken}/test`)).incident).toMatchObject({ opened: true });
    conns.broken = broken;
    const policy = (await ok(api, 'POST', '/policies', { name: 'All Northwind users', sourceConnectionId: conns.m365, destinationConnectionId: conns.google, enabled: true })).id as string;
    const channel = (await ok(api, 'POST', '/alerts/channels', { type: 'webhook', name: 'Ops webhook', config: { url: 'https://hooks.example.test/ops' }, secret: 'a-signing-secret-of-some-length' })).id as string;
    // The same people in both (one account each, a role in each tenant) and one of its own.
    await ok(api, 'POST', '/users', { email: 'viewer@northwind.test', role: 'viewer', password: PASSWORD });
    await ok(api, 'POST', '/users', { email: 'operator@northwind.test', role: 'operator' });
    const onlyUser = (await ok(api, 'POST', '/users', { email: only, role: 'admin', password: PASSWORD })).user.id as string;
    const tokenId = (await ok(api, 'POST', '/tokens', { name: 'ci', role: 'viewer' })).id as string;
    // What the scheduler and workers would do, in this tenant: a directory sync, correlation, a policy cycle.
    await runActing(SETUP, async () => {
      const run = await runDirectorySync(app.rt, id, conns.scim, { mode: 'full' });
      if (run.status !== 'succeeded') throw new Error(`directory sync in ${id}: ${run.status}`);
      await correlateIdentities(app.rt, id);
      await runPolicyCycle(app.rt, id, policy);
    });
    // A running certification campaign over the SCIM app, reviewed by the tenant's own admin.
    const campaign = (await ok(api, 'POST', '/campaigns', {
      name: 'Expenses review', connectionIds: [conns.scim], kinds: ['scim_group_membership'], reviewers: { mode: 'named', userIds: [onlyUser], fallbackUserId: onlyUser },
      durationDays: 14, noResponse: 'keep', justification: 'on_revoke',
    })).campaign.id as string;
    await ok(api, 'POST', `/campaigns/${campaign}/start`, {});
    const reviewItems = ((await ok(api, 'GET', `/campaigns/${campaign}/items?limit=3`)).items as { id: string }[]).map((i) => i.id);
    return { id, api, token, conns, policy, channel, onlyUser, tokenId, campaign, reviewItems };
  }

    sandbox = await startSandbox({});
    keyFile = join(tmpdir(), `sw-tp-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(keyFile, sandbox.demo.google.tokenProviderKeyJson, { mode: 0o600 });
    app = await bootApp({ dialect, env: { SYNCWARDEN_GOOGLE_TOKEN_PROVIDER_KEY_FILE: keyFile } });
    url = app.url!;

    // The first owner makes tenant B through the API and becomes its owner…
    const created = await ok(app.api, 'POST', '/tenants', { id: 'beta', name: 'Northwind (beta)' });
    expect(created).toMatchObject({ id: 'beta', name: 'Northwind (beta)', role: 'owner' });
    // …switches a browser session there (CSRF like every change) and adds B's own owner.
    const owner = (await findUserByEmail(app.rt, 'owner@localhost'))!;
    const s = await sessionFor(app.rt, owner.id);
    const browser = apiClient(url, { cookie: `sw_session=${s.token}`, 'x-csrf-token': s.csrf });
    expect((await apiClient(url, { cookie: `sw_session=${s.token}` })('/auth/tenant', { method: 'POST', body: JSON.stringify({ tenant: 'beta' }) })).body.error.code).toBe('auth.csrf');
    await ok(browser, 'POST', '/auth/tenant', { tenant: 'beta' });
    expect((await browser('/auth/me')).body).toMatchObject({ tenantId: 'beta', role: 'owner' });
    await ok(browser, 'POST', '/users', { email: 'owner-b@beta.test', role: 'owner', password: PASSWORD });
    // B's owner signs in (they belong to B only, so that is where they land) and makes a token.
    const signIn = await fetch(`${url}/api/v1/auth/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'owner-b@beta.test', password: PASSWORD }) });
    expect(signIn.status).toBe(200);
    const cookies = signIn.headers.getSetCookie().map((c) => c.split(';')[0]!);
    const csrf = cookies.find((c) => c.startsWith('sw_csrf='))!.slice('sw_csrf='.length);
    const bSession = apiClient(url, { cookie: cookies.join('; '), 'x-csrf-token': csrf });
    expect((await bSession('/auth/me')).body).toMatchObject({ tenantId: 'beta', role: 'owner', user: { email: 'owner-b@beta.test' } });
    const bToken = (await ok(bSession, 'POST', '/tokens', { name: 'b-owner', role: 'owner' })).token as string;
    const bApi = apiClient(url, { authorization: `Bearer ${bToken}` });

    t.a = await populate(DEFAULT_TENANT, app.api, app.ownerToken, 'alice@alpha.test');
    t.b = await populate('beta', bApi, bToken, 'alice@beta.test');

    // Every id of A, by what the routes call them.
    const a = app.api;
    const list = async (path: string, key: string) => ((await ok(a, 'GET', path))[key] as { id: string }[]).map((x) => x.id);
    idsOfA['connections'] = Object.values(t.a.conns);
    idsOfA['credentials'] = (await Promise.all(idsOfA['connections'].map((c) => list(`/connections/${c}/credentials`, 'credentials')))).flat();
    idsOfA['policies'] = [t.a.policy];
    idsOfA['channels'] = [t.a.channel];
    idsOfA['users'] = [t.a.onlyUser];
    idsOfA['tokens'] = [t.a.tokenId];
    idsOfA['tenants'] = [DEFAULT_TENANT];
    idsOfA['identities'] = ((await ok(a, 'GET', '/identities?limit=5')).items as { id: string }[]).map((x) => x.id);
    idsOfA['runs'] = await list(`/connections/${t.a.conns.scim}/directory/runs`, 'items');
    idsOfA['syncUsers'] = ((await ok(a, 'GET', '/sync/users')).users as { id: string }[] ?? []).slice(0, 3).map((x) => x.id);
    idsOfA['incidents'] = await list('/incidents', 'incidents');
    idsOfA['campaigns'] = [t.a.campaign];
    idsOfA['reviewItems'] = t.a.reviewItems;
    // Groups of A's SCIM app (owners set in Syncwarden are per connection and group).
    idsOfA['resources'] = (await app.rt.store.db.selectFrom('dir_groups').select('external_id').where('tenant_id', '=', DEFAULT_TENANT).where('connection_id', '=', t.a.conns.scim).limit(2).execute()).map((g) => g.external_id);

    const doc = (await ok(a, 'GET', '/openapi.json')) as { paths: Record<string, Record<string, unknown>> };
    routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([m, op]) => ({ method: m.toUpperCase(), path: path.replace(/^\/api\/v1/, ''), permission: (op as { 'x-permission': string })['x-permission'] })));
  /** A's ids for a route's parameters (each combination), or null when the route takes no id. */
  function fill(path: string): { url: string; label: string }[] | null {
    const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
    // A provider's name (microsoft, google) is not an id of anyone's.
    if (params.length === 0 || params.includes('provider')) return null;
    const first = path.startsWith('/connections/') ? 'connections' : path.startsWith('/policies/') ? 'policies' : path.startsWith('/sync/users/') ? 'syncUsers'
      : path.startsWith('/identities/') ? 'identities' : path.startsWith('/incidents/') ? 'incidents' : path.startsWith('/alerts/channels/') ? 'channels'
        : path.startsWith('/users/') ? 'users' : path.startsWith('/tokens/') || path.startsWith('/admin/tokens/') ? 'tokens' : path.startsWith('/tenants/') ? 'tenants'
          : path.startsWith('/directory/runs/') ? 'runs' : path.startsWith('/campaigns/') ? 'campaigns' : path.startsWith('/reviews/') ? 'reviewItems' : null;
    if (!first) throw new Error(`no ids of A known for ${path}`);
    const out: { url: string; label: string }[] = [];
    for (const id of idsOfA[first] ?? []) {
      let u = path.replace(`{${params[0]}}`, id);
      if (params[1] === 'credentialId') {
        // A's credentials under A's connection, and under B's connection of the same name.
        for (const cred of idsOfA['credentials']!) {
          out.push({ url: u.replace('{credentialId}', cred), label: `A ${id} / A ${cred}` });
        }
        continue;
      }
      if (params[1] === 'resourceId') {
        for (const r of idsOfA['resources']!) out.push({ url: u.replace('{resourceId}', encodeURIComponent(r)), label: `A ${id} / A resource ${r}` });
        continue;
      }
      if (params[1] === 'itemId') {
        for (const item of idsOfA['reviewItems']!) out.push({ url: u.replace('{itemId}', item), label: `A ${id} / A item ${item}` });
        continue;
      }
      if (params[1]) u = u.replace(`{${params[1]}}`, 'rcu_none');
      out.push({ url: u, label: `A ${id}` });
    }
    if (params[1] === 'credentialId') for (const cred of idsOfA['credentials']!) out.push({ url: path.replace('{id}', t.b.conns.m365).replace('{credentialId}', cred), label: `B's connection / A ${cred}` });
    return out;
  }

  return {
    sandbox, app, url, a: t.a, b: t.b, idsOfA, routes, fill,
    async close() {
      await app.stop();
      await sandbox.close();
      rmSync(keyFile, { force: true });
    },
  };
}
