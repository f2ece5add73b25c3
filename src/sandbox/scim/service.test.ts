import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../server.js';
import { URN } from './urns.js';

/**
 * The SCIM simulator as a service: bearer tokens (RFC 6750) with expiry and rights, the
 * tenant's faults and rate limit (429 + Retry-After), tenants as separate base URLs, the
 * admin API, and the large size.
 */
type J = Record<string, any>;
let sb: Sandbox;
let base: string;
let token: string;
let tenant: string;

async function admin(method: string, path: string, body?: unknown): Promise<J> {
  const res = await fetch(`${sb.urls.admin}${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = (await res.json()) as J;
  expect(res.ok, `${method} ${path}: ${JSON.stringify(json)}`).toBe(true);
  return json;
}

async function call(path: string, opts: { auth?: string | null; method?: string; body?: unknown; base?: string } = {}): Promise<{ status: number; headers: Headers; json: J; text: string }> {
  const auth = opts.auth === undefined ? token : opts.auth;
  const res = await fetch(`${opts.base ?? base}${path}`, {
    method: opts.method ?? 'GET',
    headers: { ...(auth ? { authorization: `Bearer ${auth}` } : {}), ...(opts.body ? { 'content-type': 'application/scim+json' } : {}) },
    body: opts.body ? JSON.stringify(opts.body) : undefined,
  });
  const text = await res.text();
  let json: J = {};
  try {
    json = text ? (JSON.parse(text) as J) : {};
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, json, text };
}

const errorBody = (status: number): J => ({ schemas: [URN.error], status: String(status), detail: expect.any(String) });

beforeAll(async () => {
  sb = await startSandbox({});
  ({ baseUrl: base, token, tenant } = sb.demo.scim);
});
afterAll(async () => {
  await sb?.close();
});
beforeEach(async () => {
  sb.faults.clear();
  await admin('POST', `/scim/tenants/${tenant}/rate-limit`, { enabled: false });
});

describe('authentication', () => {
  it('without a token: 401, a SCIM error body and a Bearer challenge', async () => {
    const r = await call('/Users', { auth: null });
    expect(r.status).toBe(401);
    expect(r.json).toEqual(errorBody(401));
    expect(r.headers.get('www-authenticate')).toBe(`Bearer realm="${tenant}"`);
  });

  it('an unknown token: 401 invalid_token', async () => {
    const r = await call('/Users', { auth: 'scim_not_a_real_token' });
    expect(r.status).toBe(401);
    expect(r.json).toEqual(errorBody(401));
    expect(r.headers.get('www-authenticate')).toMatch(/^Bearer realm="[^"]+", error="invalid_token", error_description="The access token is invalid"$/);
  });

  it('tokens with an expiry work until it passes, then answer 401 "expired"', async () => {
    const live = await admin('POST', `/scim/tenants/${tenant}/tokens`, { label: 'ninety days', expiresInSeconds: 90 * 86400 });
    expect(live['expiresAt']).toEqual(expect.any(String));
    expect((await call('/Users?count=1', { auth: live['token'] })).status).toBe(200);
    const dead = await admin('POST', `/scim/tenants/${tenant}/tokens`, { label: 'old', expiresAt: '2020-01-01T00:00:00Z' });
    const r = await call('/Users?count=1', { auth: dead['token'] });
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toContain('error_description="The access token expired"');
  });

  it('the demo read-only token reads and may not write (403)', async () => {
    const ro = sb.demo.scim.readOnlyToken;
    expect((await call('/Groups?count=1', { auth: ro })).status).toBe(200);
    const r = await call('/Groups', { auth: ro, method: 'POST', body: { schemas: [URN.group], displayName: 'x' } });
    expect(r.status).toBe(403);
    expect(r.json).toEqual(errorBody(403));
  });

  it('a token is only good for its own tenant', async () => {
    const other = await admin('POST', '/scim/tenants', { id: 'other-app', size: 'demo' });
    expect((await call('/Users?count=1', { base: other['baseUrl'], auth: other['token']['token'] })).status).toBe(200);
    expect((await call('/Users?count=1', { base: other['baseUrl'] })).status).toBe(401);
    expect((await call('/Users?count=1', { auth: other['token']['token'] })).status).toBe(401);
  });
});

describe('faults (scope = tenant)', () => {
  it('scim.token_invalid and scim.token_expired reject the good token', async () => {
    sb.faults.set(tenant, 'scim.token_invalid');
    let r = await call('/Users');
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toContain('The access token is invalid');
    sb.faults.clear();
    sb.faults.set(tenant, 'scim.token_expired');
    r = await call('/Users');
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toContain('The access token expired');
  });

  it('scim.forbidden: 403 on users and groups, discovery still answers', async () => {
    sb.faults.set(tenant, 'scim.forbidden');
    for (const p of ['/Users', '/Groups', `/Groups?filter=${encodeURIComponent('displayName eq "All Staff"')}`]) {
      const r = await call(p);
      expect(r.status).toBe(403);
      expect(r.json).toEqual(errorBody(403));
    }
    expect((await call('/ServiceProviderConfig')).status).toBe(200);
  });

  it('scim.unavailable: 503 with a SCIM error body', async () => {
    sb.faults.set(tenant, 'scim.unavailable');
    const r = await call('/ServiceProviderConfig');
    expect(r.status).toBe(503);
    expect(r.json).toEqual(errorBody(503));
  });

  it('scim.not_scim: the base URL answers an HTML page', async () => {
    sb.faults.set(tenant, 'scim.not_scim');
    const r = await call('/ServiceProviderConfig');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/html/);
    expect(r.text).toMatch(/^<!DOCTYPE html>/);
  });

  it('scim.throttle: every Nth request answers 429 with Retry-After', async () => {
    sb.faults.set(tenant, 'scim.throttle', { everyNth: 2, retryAfterSeconds: 7 });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await call('/Users?count=1');
      statuses.push(r.status);
      if (r.status === 429) {
        expect(r.headers.get('retry-after')).toBe('7');
        expect(r.json).toEqual(errorBody(429));
      }
    }
    expect(statuses).toEqual([200, 429, 200, 429, 200, 429]);
  });

  it("a fault on another tenant leaves this one alone; '*' reaches every tenant", async () => {
    sb.faults.set('some-other-tenant', 'scim.unavailable');
    expect((await call('/Users?count=1')).status).toBe(200);
    sb.faults.set('*', 'scim.unavailable');
    expect((await call('/Users?count=1')).status).toBe(503);
  });
});

describe('rate limit', () => {
  it('allows a burst, then answers 429 with Retry-After until the bucket refills; switchable off', async () => {
    await admin('POST', `/scim/tenants/${tenant}/rate-limit`, { enabled: true, requestsPerSecond: 0.5, burst: 3 });
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 5; i++) {
      const r = await call('/Users?count=1');
      statuses.push(r.status);
      if (r.status === 429) {
        retryAfter = r.headers.get('retry-after');
        expect(r.json).toEqual(errorBody(429));
      }
    }
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
    expect(statuses.slice(3)).toEqual([429, 429]);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(retryAfter)).toBeLessThanOrEqual(2);
    const stats = await admin('GET', `/scim/tenants/${tenant}/stats`);
    expect(stats['throttled']).toBeGreaterThanOrEqual(2);
    await admin('POST', `/scim/tenants/${tenant}/rate-limit`, { enabled: false });
    expect((await call('/Users?count=1')).status).toBe(200);
  });
});

describe('routing', () => {
  it('answers an unknown tenant or path outside /scim/v2 with an HTML 404, as a wrong URL would', async () => {
    for (const url of [`${sb.urls.scim}/apps/nope/scim/v2/Users`, `${sb.urls.scim}/scim/v2/Users`, `${sb.urls.scim}/`]) {
      const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    }
  });

  it('answers 404 with a SCIM error for an unknown endpoint under the base URL', async () => {
    const r = await call('/Widgets');
    expect(r.status).toBe(404);
    expect(r.json).toEqual(errorBody(404));
  });

  it('sends a Date header from the sandbox clock', async () => {
    const r = await call('/ServiceProviderConfig');
    expect(Math.abs(Date.parse(r.headers.get('date')!) - Date.now())).toBeLessThan(60_000);
  });
});

describe('admin API', () => {
  it('lists tenants with their base URLs and tokens without their secrets', async () => {
    const t = await admin('GET', '/scim/tenants');
    const demo = (t['tenants'] as J[]).find((x) => x['id'] === tenant)!;
    expect(demo).toMatchObject({ baseUrl: base, users: 60, size: { kind: 'demo' } });
    const toks = await admin('GET', `/scim/tenants/${tenant}/tokens`);
    expect(toks['tokens'].length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(toks)).not.toContain(token);
    expect(toks['tokens'][0]).toMatchObject({ id: expect.any(String), label: expect.any(String), rights: 'read_write', hint: `…${token.slice(-4)}` });
  });

  it('changes users, groups and memberships behind the client\'s back', async () => {
    const u = await admin('POST', `/scim/tenants/${tenant}/users`, { userName: 'new.hire@northwind.test', givenName: 'New', familyName: 'Hire', userType: 'Employee', employeeNumber: 'NW9999' });
    const g = await admin('POST', `/scim/tenants/${tenant}/groups`, { displayName: 'New Hires' });
    await admin('PUT', `/scim/tenants/${tenant}/groups/${g['id']}/members/${u['id']}`);
    let group = (await call(`/Groups/${g['id']}`)).json;
    expect(group['members'].map((m: J) => m['value'])).toEqual([u['id']]);
    expect((await admin('GET', `/scim/tenants/${tenant}/groups/${g['id']}/members/${u['id']}`))['member']).toBe(true);
    await admin('PATCH', `/scim/tenants/${tenant}/users/${u['id']}`, { active: false });
    expect((await call(`/Users/${u['id']}`)).json['active']).toBe(false);
    await admin('DELETE', `/scim/tenants/${tenant}/groups/${g['id']}/members/${u['id']}`);
    group = (await call(`/Groups/${g['id']}`)).json;
    expect(group['members']).toBeUndefined();
    await admin('DELETE', `/scim/tenants/${tenant}/users/${u['id']}`);
    expect((await call(`/Users/${u['id']}`)).status).toBe(404);
    await admin('DELETE', `/scim/tenants/${tenant}/groups/${g['id']}`);
    expect((await call('/Users?count=0')).json['totalResults']).toBe(60);
  });
});

describe('large size', () => {
  it('switches to 100,000 users / 10,000 groups / 1,000,000 memberships, computed on demand', async () => {
    const t = await admin('POST', '/scim/tenants', { id: 'big', size: 'large' });
    expect(t).toMatchObject({ users: 100_000, groups: 10_000, size: { kind: 'large', users: 100_000, groups: 10_000, membershipsPerUser: 10 } });
    const big = { base: t['baseUrl'], auth: t['token']['token'] };
    await admin('POST', '/scim/tenants/big/rate-limit', { enabled: false });
    const last = await call('/Users?startIndex=99991&count=100', big);
    expect(last.json).toMatchObject({ totalResults: 100_000, startIndex: 99991, itemsPerPage: 10 });
    const groups = await call('/Groups?startIndex=1&count=3', big);
    expect(groups.json['totalResults']).toBe(10_000);
    // Each group holds 10 × 100,000 / 10,000 = 100 users (every 100th group also holds a nested group).
    for (const g of groups.json['Resources'] as J[]) expect((g['members'] as J[]).filter((m) => m['type'] === 'User')).toHaveLength(100);
    const member = (groups.json['Resources'][1]['members'] as J[])[0]!;
    const user = await call(`/Users/${member['value']}`, big);
    expect(user.status).toBe(200);
    expect(user.json['groups']).toHaveLength(10);
    expect(user.json['groups'].map((g: J) => g['value'])).toContain(groups.json['Resources'][1]['id']);
    const byName = await call(`/Users?filter=${encodeURIComponent(`userName eq "${user.json['userName']}"`)}`, big);
    expect(byName.json['Resources'].map((u: J) => u['id'])).toEqual([member['value']]);
    // Writes touch only what they change.
    const rm = await call(`/Groups/${groups.json['Resources'][1]['id']}`, { ...big, method: 'PATCH', body: { schemas: [URN.patchOp], Operations: [{ op: 'remove', path: `members[value eq "${member['value']}"]` }] } });
    expect(rm.status).toBe(204);
    expect((await call(`/Users/${member['value']}`, big)).json['groups']).toHaveLength(9);
    // And back to the demo size.
    const demo = await admin('POST', '/scim/tenants/big/size', { size: 'demo' });
    expect(demo).toMatchObject({ users: 60, size: { kind: 'demo' } });
  });
});
