import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../errors/index.js';
import { startSandbox, type Sandbox } from '../../sandbox/server.js';
import { createHttpClient, type DirectoryRecord, type DirectorySource, type HttpClient, type Page, type RateCost, type RateGate } from '../sdk/index.js';
import { scimConnector } from './index.js';

/**
 * The SCIM connector reading the sandbox over HTTP: a full read compared with the sandbox's
 * world, paging against servers that cap or ignore `count`, members left out or truncated
 * by the server, throttling, and hostile responses.
 */
type J = Record<string, any>;
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
let sb: Sandbox;
let n = 0;

async function admin(method: string, path: string, body?: unknown): Promise<J> {
  const res = await fetch(`${sb.urls.admin}${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = (await res.json()) as J;
  expect(res.ok, `${method} ${path}: ${JSON.stringify(json)}`).toBe(true);
  return json;
}

/** A fresh demo-sized tenant (own ids, own options), rate limit off unless a test wants it. */
async function tenant(options: J = {}): Promise<{ id: string; baseUrl: string; token: string }> {
  const id = `src-${++n}`;
  const t = await admin('POST', '/scim/tenants', { id, size: 'demo' });
  await admin('POST', `/scim/tenants/${id}/rate-limit`, { enabled: false });
  if (Object.keys(options).length) await admin('POST', `/scim/tenants/${id}/options`, options);
  return { id, baseUrl: t['baseUrl'], token: t['token']['token'] };
}

function connector(t: { baseUrl: string; token: string }, over: J = {}, http: HttpClient = createHttpClient({ provider: 'SCIM app', sleep: async () => {} })): DirectorySource {
  return scimConnector.create({ http, now: () => new Date() }, { baseUrl: t.baseUrl, token: t.token, ...over });
}

async function readAll(src: DirectorySource, stream: string): Promise<Page<DirectoryRecord>[]> {
  const pages: Page<DirectoryRecord>[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<DirectoryRecord> = await src.read(stream, cursor);
    pages.push(page);
    expect(page.deltaCursor).toBeNull();
    cursor = page.next;
    expect(pages.length).toBeLessThan(1000);
  } while (cursor);
  return pages;
}
const records = (pages: Page<DirectoryRecord>[]): DirectoryRecord[] => pages.flatMap((p) => p.items);

/** The sandbox's own view of a tenant, through its admin API. */
async function world(id: string): Promise<{ users: J[]; groups: J[] }> {
  const users = (await admin('GET', `/scim/tenants/${id}/users?limit=1000`))['resources'] as J[];
  const groups = (await admin('GET', `/scim/tenants/${id}/groups?limit=1000`))['resources'] as J[];
  return { users, groups };
}

function expectedMemberships(groups: J[]): string[] {
  return groups.flatMap((g) => ((g['members'] as J[] | undefined) ?? []).map((m) => `${g['id']}>${m['value']}:${m['type'] === 'Group' ? 'group' : 'account'}`)).sort();
}
const membershipKeys = (recs: DirectoryRecord[]): string[] =>
  recs.flatMap((r) => (r.type === 'membership' ? [`${r.groupId}>${r.memberId}:${r.memberType}`] : [])).sort();

beforeAll(async () => {
  sb = await startSandbox({});
});
afterAll(async () => {
  await sb?.close();
});

describe('full read of the demo tenant', () => {
  it('declares two full-pass streams, no delta', () => {
    const src = connector({ baseUrl: 'https://app.example.test/scim/v2', token: 't' });
    expect(src.streams.map((s) => s.name)).toEqual(['users', 'groups']);
    expect(src.streams.every((s) => !s.incremental)).toBe(true);
    expect(src.revoke).toBeUndefined();
  });

  it('reads every user as an account and every group with its members, as the sandbox holds them', async () => {
    const t = await tenant();
    const w = await world(t.id);
    const src = connector(t);
    const accounts = records(await readAll(src, 'users'));
    expect(accounts).toHaveLength(60);
    for (const u of w.users) {
      const a = accounts.find((x) => x.type === 'account' && x.externalId === u['id']);
      const primary = ((u['emails'] as J[]).find((e) => e['primary']) ?? (u['emails'] as J[])[0])!;
      expect(a, u['userName']).toEqual({
        type: 'account',
        externalId: u['id'],
        accountType: u['userType'] === 'Guest' ? 'guest' : 'user',
        userName: u['userName'],
        email: primary['value'],
        displayName: u['displayName'],
        givenName: u['name']['givenName'],
        familyName: u['name']['familyName'],
        employeeId: u[ENTERPRISE]?.['employeeNumber'] ?? null,
        enabled: u['active'],
        external: false,
        createdAt: u['meta']['created'],
        lastSignInAt: null,
        attributes: {
          clientExternalId: u['externalId'],
          userType: u['userType'],
          title: u['title'],
          department: u[ENTERPRISE]?.['department'] ?? null,
          costCenter: u[ENTERPRISE]?.['costCenter'] ?? null,
          organization: u[ENTERPRISE]?.['organization'] ?? null,
          division: null,
          managerId: u[ENTERPRISE]?.['manager']?.['value'] ?? null,
          lastModified: u['meta']['lastModified'],
        },
      });
    }
    expect(accounts.filter((a) => a.type === 'account' && a.accountType === 'guest')).toHaveLength(4);
    expect(accounts.filter((a) => a.type === 'account' && !a.enabled).length).toBeGreaterThan(0);

    const recs = records(await readAll(src, 'groups'));
    const groups = recs.filter((r) => r.type === 'group');
    expect(groups.map((g) => g.type === 'group' && [g.externalId, g.displayName]).sort()).toEqual(w.groups.map((g) => [g['id'], g['displayName']]).sort());
    expect(membershipKeys(recs)).toEqual(expectedMemberships(w.groups));
    expect(membershipKeys(recs).some((k) => k.endsWith(':group'))).toBe(true);
  });

  it('pages with a small page size: same records, no duplicates, one request per page', async () => {
    const t = await tenant();
    const all = records(await readAll(connector(t), 'users'));
    const http = createHttpClient({ provider: 'SCIM app', sleep: async () => {} });
    const pages = await readAll(connector(t, { pageSize: 7 }, http), 'users');
    expect(pages).toHaveLength(Math.ceil(60 / 7));
    expect(pages.slice(0, -1).every((p) => p.items.length === 7)).toBe(true);
    expect(records(pages)).toEqual(all);
    expect(http.stats.requests).toBe(pages.length);
    const groupPages = await readAll(connector(t, { pageSize: 3 }), 'groups');
    expect(membershipKeys(records(groupPages))).toEqual(expectedMemberships((await world(t.id)).groups));
  });

  it('reads everything from a server that ignores count, in one page', async () => {
    const t = await tenant({ ignoreCount: true });
    const pages = await readAll(connector(t, { pageSize: 5 }), 'users');
    expect(pages).toHaveLength(1);
    expect(pages[0]!.items).toHaveLength(60);
    expect(pages[0]!.next).toBeNull();
  });

  it('keeps going on short pages until totalResults (a server capping its page size)', async () => {
    const t = await tenant({ maxPageSize: 8 });
    const pages = await readAll(connector(t, { pageSize: 50 }), 'users');
    expect(pages).toHaveLength(8);
    expect(new Set(records(pages).map((r) => r.type === 'account' && r.externalId)).size).toBe(60);
  });

  it('tolerates Entra-style string booleans', async () => {
    const t = await tenant({ stringBooleans: true });
    const w = await world(t.id);
    const accounts = records(await readAll(connector(t), 'users'));
    for (const u of w.users) expect(accounts.find((a) => a.type === 'account' && a.externalId === u['id'])).toMatchObject({ enabled: u['active'] });
  });

  it('rejects an unknown stream and a cursor of another shape', async () => {
    const src = connector(await tenant());
    await expect(src.read('roles', null)).rejects.toMatchObject({ code: 'request.invalid' });
    await expect(src.read('users', 'c1:somethingelse')).rejects.toMatchObject({ code: 'request.invalid' });
    await expect(src.read('groups', 'scim1:users:3')).rejects.toMatchObject({ code: 'request.invalid' });
  });
});

describe('group members the server leaves out or truncates', () => {
  async function groupsRead(options: J): Promise<{ recs: DirectoryRecord[]; perGroupReads: number; groups: J[] }> {
    const t = await tenant(options);
    const w = await world(t.id);
    await admin('DELETE', `/scim/tenants/${t.id}/stats`);
    const recs = records(await readAll(connector(t, { pageSize: 4 }), 'groups'));
    const stats = await admin('GET', `/scim/tenants/${t.id}/stats`);
    return { recs, perGroupReads: stats['byRoute']['GET /Groups/{id}'] ?? 0, groups: w.groups };
  }

  it('a server that lists members in full costs a few confirming reads only', async () => {
    const { recs, perGroupReads, groups } = await groupsRead({});
    expect(membershipKeys(recs)).toEqual(expectedMemberships(groups));
    expect(perGroupReads).toBeGreaterThan(0);
    expect(perGroupReads).toBeLessThan(groups.length / 2);
  });

  it('members left out of list responses are read per group', async () => {
    const { recs, perGroupReads, groups } = await groupsRead({ membersInList: 'omit' });
    expect(membershipKeys(recs)).toEqual(expectedMemberships(groups));
    expect(perGroupReads).toBe(groups.length);
  });

  it('members truncated in list responses are detected and read per group', async () => {
    const { recs, perGroupReads, groups } = await groupsRead({ membersInList: 12 });
    const big = groups.filter((g) => (g['members'] as J[] | undefined ?? []).length > 12);
    expect(big.length).toBeGreaterThan(0);
    expect(membershipKeys(recs)).toEqual(expectedMemberships(groups));
    expect(perGroupReads).toBeGreaterThanOrEqual(big.length);
    expect(perGroupReads).toBeLessThan(groups.length);
  });
});

describe('throttling', () => {
  it('backs off on 429 + Retry-After and completes the read', async () => {
    const t = await tenant();
    const expected = records(await readAll(connector(t), 'users'));
    sb.faults.set(t.id, 'scim.throttle', { everyNth: 3, retryAfterSeconds: 1 });
    try {
      const http = createHttpClient({ provider: 'SCIM app' });
      const got = records(await readAll(connector(t, { pageSize: 15 }, http), 'users'));
      expect(got).toEqual(expected);
      expect(http.stats.throttled).toBeGreaterThan(0);
      expect(http.stats.retries).toBe(http.stats.throttled);
    } finally {
      sb.faults.clear(t.id);
    }
  });

  it("recovers under the app's own rate limit", async () => {
    const t = await tenant();
    await admin('POST', `/scim/tenants/${t.id}/rate-limit`, { enabled: true, requestsPerSecond: 2, burst: 2 });
    const http = createHttpClient({ provider: 'SCIM app' });
    const got = records(await readAll(connector(t, { pageSize: 12 }, http), 'users'));
    expect(got).toHaveLength(60);
    expect(http.stats.throttled).toBeGreaterThan(0);
  });

  it('surfaces a long Retry-After as scim.throttled with the wait, for the engine to schedule', async () => {
    const t = await tenant();
    sb.faults.set(t.id, 'scim.throttle', { retryAfterSeconds: 120 });
    try {
      const err = await connector(t).read('users', null).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect(err).toMatchObject({ code: 'scim.throttled', retryAfterMs: 120_000 });
    } finally {
      sb.faults.clear(t.id);
    }
  });

  it('spends one budget per base URL, shared by connections to the same app', async () => {
    const t = await tenant();
    const keys: string[] = [];
    const gate: RateGate = {
      async acquire(costs: readonly RateCost[]) {
        for (const c of costs) keys.push(c.key);
      },
      penalize() {},
    };
    const http = createHttpClient({ provider: 'SCIM app', gate, sleep: async () => {} });
    await connector(t, { pageSize: 30 }, http).read('users', null);
    await connector({ baseUrl: `${t.baseUrl}/`, token: t.token }, { pageSize: 30 }, http).read('groups', null);
    expect(new Set(keys)).toEqual(new Set([`scim:${t.baseUrl.toLowerCase()}`]));
  });
});

describe('hostile and broken servers', () => {
  let server: Server;
  let url: string;
  let answer: { status: number; type: string; body: string } = { status: 200, type: 'application/scim+json', body: '{}' };
  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(answer.status, { 'content-type': answer.type });
      res.end(answer.body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/scim/v2`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  const list = (resources: unknown, total: unknown = 1): string => JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: total, Resources: resources });

  it.each<[string, { status?: number; type?: string; body: string }, string]>([
    ['a body that is not JSON', { body: 'this is not json' }, 'provider.bad_response'],
    ['JSON null', { body: 'null' }, 'provider.bad_response'],
    ['no totalResults', { body: JSON.stringify({ Resources: [] }) }, 'provider.bad_response'],
    ['totalResults as words', { body: list([], 'lots') }, 'provider.bad_response'],
    ['Resources that is not an array', { body: list({ id: 'x' }) }, 'provider.bad_response'],
    ['a user without an id', { body: list([{ userName: 'a@b.test' }]) }, 'provider.bad_response'],
    ['a user without a userName', { body: list([{ id: 'u1' }]) }, 'provider.bad_response'],
    ['active that is no boolean', { body: list([{ id: 'u1', userName: 'a@b.test', active: 'maybe' }]) }, 'provider.bad_response'],
    ['emails that is a string', { body: list([{ id: 'u1', userName: 'a@b.test', emails: 'a@b.test' }]) }, 'provider.bad_response'],
    ['an error status with garbage', { status: 418, body: '<<<' }, 'provider.bad_response'],
    ['an HTML page', { type: 'text/html', body: '<!DOCTYPE html><html><body>Sign in</body></html>' }, 'scim.not_scim'],
    ['an HTML page served as JSON', { body: '<html><body>Sign in</body></html>' }, 'scim.not_scim'],
    ['a 404 that is not SCIM', { status: 404, type: 'application/json', body: '{"message":"Not Found"}' }, 'scim.not_scim'],
    ['a 500', { status: 500, body: '{}' }, 'scim.unreachable'],
  ])('%s → %s', async (_what, a, code) => {
    answer = { status: a.status ?? 200, type: a.type ?? 'application/scim+json', body: a.body };
    const err = await connector({ baseUrl: url, token: 't' }).read('users', null).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe(code);
  });

  it('accepts what real servers send: Resources absent at 0, numbers as strings, nulls, "True"', async () => {
    answer = { status: 200, type: 'application/json', body: JSON.stringify({ totalResults: 0 }) };
    expect(await connector({ baseUrl: url, token: 't' }).read('users', null)).toEqual({ items: [], next: null, deltaCursor: null });
    answer = {
      status: 200,
      type: 'application/json',
      body: JSON.stringify({ totalResults: '1', itemsPerPage: '1', startIndex: '1', Resources: [{ id: 42, userName: 'x@y.test', active: 'True', displayName: null, userType: 'guest', emails: [{ value: 'x@y.test' }], [ENTERPRISE]: { employeeNumber: 7, manager: 'm-1' } }] }),
    };
    const page = await connector({ baseUrl: url, token: 't' }).read('users', null);
    expect(page.items).toEqual([expect.objectContaining({ externalId: '42', userName: 'x@y.test', enabled: true, accountType: 'guest', displayName: 'x@y.test', email: 'x@y.test', employeeId: '7', attributes: expect.objectContaining({ managerId: 'm-1' }) })]);
    expect(page.next).toBeNull();
  });

  it('an endpoint that does not answer → scim.unreachable', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const err = await connector({ baseUrl: `http://127.0.0.1:${port}/scim/v2`, token: 't' }).read('users', null).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'scim.unreachable' });
  });
});
