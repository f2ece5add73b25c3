import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../server.js';
import { URN } from './urns.js';

/**
 * Conformance of the SCIM simulator's read side, over raw HTTP (RFC 7644 §3.4, §4):
 * listing, every filter operator and combination, paging edges, sorting, attribute
 * selection, single-resource reads and the discovery endpoints.
 */
type J = Record<string, any>;
let sb: Sandbox;
let base: string;
let token: string;
let tenant: string;
let users: J[];
let groups: J[];

async function call(method: string, path: string, opts: { body?: unknown; headers?: Record<string, string>; auth?: string | null } = {}): Promise<{ status: number; headers: Headers; json: J; text: string }> {
  const auth = opts.auth === undefined ? token : opts.auth;
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(auth ? { authorization: `Bearer ${auth}` } : {}), ...(opts.body !== undefined ? { 'content-type': 'application/scim+json' } : {}), ...opts.headers },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
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

async function admin(method: string, path: string, body?: unknown): Promise<J> {
  const res = await fetch(`${sb.urls.admin}${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  expect(res.ok, `${method} ${path}`).toBe(true);
  return (await res.json()) as J;
}

const list = async (resource: 'Users' | 'Groups', params: Record<string, string | number>): Promise<J> => {
  const q = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]));
  const r = await call('GET', `/${resource}?${q.toString()}`);
  expect(r.status, r.text).toBe(200);
  return r.json;
};
const ids = (r: J): string[] => ((r['Resources'] as J[] | undefined) ?? []).map((x) => x['id'] as string);
const filterIds = async (resource: 'Users' | 'Groups', filter: string): Promise<string[]> => ids(await list(resource, { filter, count: 100 })).sort();
const expectIds = (pred: (u: J) => boolean, from: J[] = users): string[] => from.filter(pred).map((u) => u['id'] as string).sort();
const ext = (u: J): J => (u[URN.enterprise] as J | undefined) ?? {};

beforeAll(async () => {
  sb = await startSandbox({});
  ({ baseUrl: base, token, tenant } = sb.demo.scim);
  await admin('POST', `/scim/tenants/${tenant}/rate-limit`, { enabled: false });
  users = (await list('Users', { count: 100 }))['Resources'] as J[];
  groups = (await list('Groups', { count: 100 }))['Resources'] as J[];
});
afterAll(async () => {
  await sb?.close();
});

describe('listing', () => {
  it('answers a ListResponse with capital-R Resources, 1-based startIndex and the SCIM media type', async () => {
    const r = await call('GET', '/Users');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    expect(r.json['schemas']).toEqual([URN.listResponse]);
    expect(r.json).toMatchObject({ totalResults: 60, startIndex: 1, itemsPerPage: 60 });
    expect(r.json['Resources']).toHaveLength(60);
    expect(r.json['resources']).toBeUndefined();
  });

  it('seeds the demo: guests, inactive users, the enterprise extension, nested groups', () => {
    expect(users.filter((u) => u['userType'] === 'Guest')).toHaveLength(4);
    expect(users.filter((u) => u['active'] === false).length).toBeGreaterThanOrEqual(5);
    const withManager = users.filter((u) => ext(u)['manager']);
    expect(withManager.length).toBeGreaterThan(40);
    for (const u of withManager) expect(users.map((x) => x['id'])).toContain(ext(u)['manager']['value']);
    expect(users.every((u) => u['userType'] === 'Guest' || /^NW\d+$/.test(ext(u)['employeeNumber']))).toBe(true);
    expect(groups.length).toBeGreaterThanOrEqual(10);
    const nested = groups.find((g) => (g['members'] as J[]).some((m) => m['type'] === 'Group'))!;
    const child = (nested['members'] as J[]).find((m) => m['type'] === 'Group')!;
    expect(groups.map((g) => g['id'])).toContain(child['value']);
    expect(child['$ref']).toBe(`${base}/Groups/${child['value']}`);
  });

  it('gives every resource meta with resourceType, timestamps, location and a weak ETag version', () => {
    for (const u of users) {
      expect(u['schemas']).toContain(URN.user);
      expect(u['meta']).toMatchObject({ resourceType: 'User', location: `${base}/Users/${u['id']}` });
      expect(u['meta']['version']).toMatch(/^W\/".+"$/);
      expect(Date.parse(u['meta']['created'])).toBeLessThanOrEqual(Date.parse(u['meta']['lastModified']));
    }
    for (const g of groups) expect(g['meta']).toMatchObject({ resourceType: 'Group', location: `${base}/Groups/${g['id']}` });
  });

  it("lists a user's groups, matching the groups' members", () => {
    for (const u of users) {
      const expected = groups.filter((g) => ((g['members'] as J[] | undefined) ?? []).some((m) => m['value'] === u['id'])).map((g) => g['id']).sort();
      expect(((u['groups'] as J[] | undefined) ?? []).map((g) => g['value']).sort()).toEqual(expected);
    }
  });
});

describe('paging', () => {
  it('pages through everything with small pages, in a stable order', async () => {
    const seen: string[] = [];
    for (let start = 1; ; start += 7) {
      const page = await list('Users', { startIndex: start, count: 7 });
      expect(page['totalResults']).toBe(60);
      expect(page['startIndex']).toBe(start);
      if (!page['Resources']?.length) break;
      seen.push(...ids(page));
    }
    expect(seen).toEqual(users.map((u) => u['id']));
  });

  it.each([
    [{ startIndex: 0, count: 2 }, { startIndex: 1, itemsPerPage: 2 }, 0],
    [{ startIndex: -5, count: 2 }, { startIndex: 1, itemsPerPage: 2 }, 0],
    [{ startIndex: 60, count: 10 }, { startIndex: 60, itemsPerPage: 1 }, 59],
    [{ startIndex: 61, count: 10 }, { startIndex: 61, itemsPerPage: 0 }, null],
    [{ startIndex: 500, count: 10 }, { startIndex: 500, itemsPerPage: 0 }, null],
  ])('%j → %j', async (params, expected, firstIndex) => {
    const page = await list('Users', params);
    expect(page).toMatchObject({ totalResults: 60, ...expected });
    if (firstIndex === null) expect(page['Resources']).toEqual([]);
    else expect(ids(page)[0]).toBe(users[firstIndex]!['id']);
  });

  it('count=0 (or negative) returns only totalResults', async () => {
    for (const count of [0, -3]) {
      const page = await list('Users', { count });
      expect(page).toMatchObject({ totalResults: 60, itemsPerPage: 0 });
      expect(page['Resources']).toBeUndefined();
    }
  });

  it('caps count at the server page size', async () => {
    await admin('POST', `/scim/tenants/${tenant}/options`, { maxPageSize: 25 });
    try {
      const page = await list('Users', { count: 1000 });
      expect(page).toMatchObject({ totalResults: 60, itemsPerPage: 25 });
      expect((await list('Users', {}))['itemsPerPage']).toBe(25);
      const spc = await call('GET', '/ServiceProviderConfig');
      expect(spc.json['filter']).toEqual({ supported: true, maxResults: 25 });
    } finally {
      await admin('POST', `/scim/tenants/${tenant}/options`, { maxPageSize: 100 });
    }
  });

  it('omits Resources when nothing matches', async () => {
    const page = await list('Users', { filter: 'userName eq "nobody@nowhere.test"' });
    expect(page).toMatchObject({ totalResults: 0, itemsPerPage: 0 });
    expect(page['Resources']).toBeUndefined();
  });

  it('rejects a non-integer count or startIndex with invalidValue', async () => {
    for (const q of ['count=ten', 'startIndex=1.5']) {
      const r = await call('GET', `/Users?${q}`);
      expect(r.status).toBe(400);
      expect(r.json).toMatchObject({ schemas: [URN.error], status: '400', scimType: 'invalidValue' });
    }
  });
});

describe('filter', () => {
  const lower = (v: unknown): string => String(v ?? '').toLowerCase();

  it.each<[string, (u: J) => boolean]>([
    ['userName eq "ada.lovelace@northwind.test"', (u) => lower(u['userName']) === 'ada.lovelace@northwind.test'],
    ['userType ne "Employee"', (u) => u['userType'] !== 'Employee'],
    ['displayName co "an"', (u) => lower(u['displayName']).includes('an')],
    ['userName sw "a"', (u) => lower(u['userName']).startsWith('a')],
    ['userName ew "@fabrikam.test"', (u) => lower(u['userName']).endsWith('@fabrikam.test')],
    ['phoneNumbers pr', (u) => Array.isArray(u['phoneNumbers'])],
    ['title gt "M"', (u) => lower(u['title']) > 'm'],
    ['title ge "Site Reliability Engineer"', (u) => lower(u['title']) >= 'site reliability engineer'],
    ['title lt "D"', (u) => lower(u['title']) < 'd'],
    ['title le "Designer"', (u) => lower(u['title']) <= 'designer'],
    ['meta.lastModified gt "2024-02-01T00:00:00Z"', (u) => Date.parse(u['meta']['lastModified']) > Date.parse('2024-02-01T00:00:00Z')],
    ['meta.created lt "2024-01-09T00:00:00Z"', (u) => Date.parse(u['meta']['created']) < Date.parse('2024-01-09T00:00:00Z')],
    ['active eq false', (u) => u['active'] === false],
    ['active eq true and userType eq "Guest"', (u) => u['active'] === true && u['userType'] === 'Guest'],
    ['userType eq "Guest" or userType eq "Contractor"', (u) => u['userType'] === 'Guest' || u['userType'] === 'Contractor'],
    ['not (userType eq "Employee")', (u) => u['userType'] !== 'Employee'],
    // and binds tighter than or; not tighter than and.
    ['userType eq "Guest" or active eq false and userType eq "Employee"', (u) => u['userType'] === 'Guest' || (u['active'] === false && u['userType'] === 'Employee')],
    ['(userType eq "Guest" or active eq false) and userType eq "Employee"', (u) => (u['userType'] === 'Guest' || u['active'] === false) && u['userType'] === 'Employee'],
    ['not active eq true and userType eq "Employee"', (u) => u['active'] !== true && u['userType'] === 'Employee'],
    ['emails[type eq "work" and value co "@fabrikam"]', (u) => (u['emails'] as J[]).some((e) => e['type'] === 'work' && lower(e['value']).includes('@fabrikam'))],
    ['emails[type eq "work"].value ew "northwind.test"', (u) => (u['emails'] as J[]).some((e) => e['type'] === 'work' && lower(e['value']).endsWith('northwind.test'))],
    ['emails co "FABRIKAM"', (u) => (u['emails'] as J[]).some((e) => lower(e['value']).includes('fabrikam'))],
    ['name.familyName sw "L"', (u) => lower(u['name']?.['familyName']).startsWith('l')],
    [`${URN.enterprise}:employeeNumber eq "NW1010"`, (u) => ext(u)['employeeNumber'] === 'NW1010'],
    [`${URN.enterprise}:department eq "engineering" and not (${URN.enterprise}:manager pr)`, (u) => ext(u)['department'] === 'Engineering' && !ext(u)['manager']],
    [`${URN.enterprise}:manager.value eq "${'$MANAGER'}"`, () => false], // replaced below
    ['USERTYPE EQ "guest" AnD Active Eq True', (u) => u['userType'] === 'Guest' && u['active'] === true],
    ['groups[display eq "Managers"]', (u) => ((u['groups'] as J[] | undefined) ?? []).some((g) => g['display'] === 'Managers')],
  ])('%s', async (filter, pred) => {
    if (filter.includes('$MANAGER')) {
      const boss = users[0]!['id'] as string;
      filter = filter.replace('$MANAGER', boss);
      pred = (u) => ext(u)['manager']?.['value'] === boss;
    }
    const expected = expectIds(pred);
    expect(expected.length, `the demo data should exercise ${filter}`).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(60);
    expect(await filterIds('Users', filter)).toEqual(expected);
  });

  it('compares id and externalId case-exactly, userName case-insensitively', async () => {
    const u = users[3]!;
    expect(await filterIds('Users', `id eq "${u['id'].toUpperCase()}"`)).toEqual([]);
    expect(await filterIds('Users', `id eq "${u['id']}"`)).toEqual([u['id']]);
    expect(await filterIds('Users', `externalId eq "${u['externalId'].toUpperCase()}"`)).toEqual([]);
    expect(await filterIds('Users', `userName eq "${u['userName'].toUpperCase()}"`)).toEqual([u['id']]);
  });

  it('filters groups by member and by name', async () => {
    const u = users[1]!;
    expect(await filterIds('Groups', `members[value eq "${u['id']}"]`)).toEqual(((u['groups'] as J[]).map((g) => g['value']) as string[]).sort());
    expect(await filterIds('Groups', 'displayName eq "all staff"')).toEqual(expectIds((g) => g['displayName'] === 'All Staff', groups));
    expect(await filterIds('Groups', 'members[type eq "Group"]')).toHaveLength(1);
  });

  it.each([
    ['userName eq', 'invalidFilter', 400],
    ['userName xx "a"', 'invalidFilter', 400],
    ['(userName eq "a"', 'invalidFilter', 400],
    ['nosuch eq "a"', 'invalidFilter', 400],
    ['active gt true', 'invalidFilter', 400],
    ['name eq "x"', 'invalidFilter', 400],
    ['password eq "secret"', 'sensitive', 403],
  ])('%j → %s', async (filter, scimType, status) => {
    const r = await call('GET', `/Users?filter=${encodeURIComponent(filter)}`);
    expect(r.status).toBe(status);
    expect(r.json).toEqual({ schemas: [URN.error], status: String(status), scimType, detail: expect.any(String) });
  });

  it('answers tooMany when a filter matches more than the server will process', async () => {
    await admin('POST', `/scim/tenants/${tenant}/options`, { maxFilterResults: 10 });
    try {
      const r = await call('GET', `/Users?filter=${encodeURIComponent('active eq true')}`);
      expect(r.status).toBe(400);
      expect(r.json).toMatchObject({ status: '400', scimType: 'tooMany' });
      expect((await call('GET', `/Users?filter=${encodeURIComponent('userType eq "Guest"')}`)).status).toBe(200);
    } finally {
      await admin('POST', `/scim/tenants/${tenant}/options`, { maxFilterResults: 10_000 });
    }
  });

  it('does not allow a filter on a single-resource GET', async () => {
    const r = await call('GET', `/Users/${users[0]!['id']}?filter=${encodeURIComponent('userName pr')}`);
    expect(r.status).toBe(400);
    expect(r.json['scimType']).toBe('invalidFilter');
  });

  it('POST /Users/.search takes the same query in a SearchRequest', async () => {
    const r = await call('POST', '/Users/.search', { body: { schemas: [URN.searchRequest], filter: 'userType eq "Guest"', attributes: ['userName'], startIndex: 2, count: 2 } });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ totalResults: 4, startIndex: 2, itemsPerPage: 2 });
    expect(Object.keys(r.json['Resources'][0]).sort()).toEqual(['id', 'schemas', 'userName']);
  });
});

describe('sorting', () => {
  it('sorts by userName both ways, case-insensitively', async () => {
    const sorted = [...users].sort((a, b) => lowerCmp(a['userName'], b['userName'])).map((u) => u['id']);
    expect(ids(await list('Users', { sortBy: 'userName', count: 100 }))).toEqual(sorted);
    expect(ids(await list('Users', { sortBy: 'userName', sortOrder: 'descending', count: 100 }))).toEqual([...sorted].reverse());
  });

  it('sorts by a sub-attribute, then pages the sorted result', async () => {
    const sorted = [...users].sort((a, b) => lowerCmp(a['name']['familyName'], b['name']['familyName']));
    const page = await list('Users', { sortBy: 'name.familyName', startIndex: 11, count: 5 });
    expect(page['Resources'].map((u: J) => u['name']['familyName'])).toEqual(sorted.slice(10, 15).map((u) => u['name']['familyName']));
  });

  it('rejects an unknown sortBy attribute, and sorting by the password', async () => {
    for (const sortBy of ['nosuch', 'password']) {
      const r = await call('GET', `/Users?sortBy=${sortBy}`);
      expect(r.status).toBe(400);
      expect(r.json['scimType']).toBe('invalidValue');
    }
  });
});

function lowerCmp(a: unknown, b: unknown): number {
  const x = String(a).toLowerCase();
  const y = String(b).toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

describe('attributes and excludedAttributes', () => {
  it('attributes returns only the named ones, plus id and schemas', async () => {
    const page = await list('Users', { attributes: 'userName,name.givenName,emails.value', count: 3 });
    const u = page['Resources'][0] as J;
    expect(Object.keys(u).sort()).toEqual(['emails', 'id', 'name', 'schemas', 'userName']);
    expect(Object.keys(u['name'])).toEqual(['givenName']);
    expect(u['emails'].every((e: J) => Object.keys(e).join() === 'value')).toBe(true);
  });

  it('attributes takes URN-qualified names and whole extensions', async () => {
    const one = await list('Users', { attributes: `${URN.enterprise}:employeeNumber`, count: 1 });
    expect(one['Resources'][0][URN.enterprise]).toEqual({ employeeNumber: ext(users[0]!)['employeeNumber'] });
    const whole = await list('Users', { attributes: URN.enterprise, count: 1 });
    expect(whole['Resources'][0][URN.enterprise]['department']).toBe(ext(users[0]!)['department']);
    const meta = await list('Users', { attributes: 'meta.lastModified', count: 1 });
    expect(meta['Resources'][0]['meta']).toEqual({ lastModified: users[0]!['meta']['lastModified'] });
  });

  it('excludedAttributes leaves out the named ones but never id', async () => {
    const page = await list('Users', { excludedAttributes: 'emails,groups,id,name.familyName', count: 1 });
    const u = page['Resources'][0] as J;
    expect(u['emails']).toBeUndefined();
    expect(u['groups']).toBeUndefined();
    expect(u['id']).toBe(users[0]!['id']);
    expect(u['name']).toEqual({ formatted: users[0]!['name']['formatted'], givenName: users[0]!['name']['givenName'] });
    expect(u['userName']).toBe(users[0]!['userName']);
  });

  it('excludedAttributes=members lists groups without members (what Entra ID asks for)', async () => {
    const page = await list('Groups', { excludedAttributes: 'members', filter: 'displayName eq "All Staff"' });
    expect(page['Resources'][0]['members']).toBeUndefined();
    expect(page['Resources'][0]['displayName']).toBe('All Staff');
  });

  it('applies to single-resource GETs', async () => {
    const r = await call('GET', `/Groups/${groups[0]!['id']}?attributes=displayName`);
    expect(r.json).toEqual({ schemas: [URN.group], id: groups[0]!['id'], displayName: groups[0]!['displayName'] });
  });

  it('never returns the password', async () => {
    expect(users.every((u) => u['password'] === undefined)).toBe(true);
    expect((await list('Users', { attributes: 'password', count: 1 }))['Resources'][0]['password']).toBeUndefined();
  });
});

describe('single resources', () => {
  it('GET /Users/{id} answers the resource with its ETag; If-None-Match answers 304', async () => {
    const u = users[5]!;
    const r = await call('GET', `/Users/${u['id']}`);
    expect(r.status).toBe(200);
    expect(r.json).toEqual(u);
    expect(r.headers.get('etag')).toBe(u['meta']['version']);
    const again = await call('GET', `/Users/${u['id']}`, { headers: { 'if-none-match': u['meta']['version'] } });
    expect(again.status).toBe(304);
  });

  it('an unknown id answers 404 with a SCIM error', async () => {
    for (const path of ['/Users/nope', '/Groups/00000000-0000-4000-8000-000000000000']) {
      const r = await call('GET', path);
      expect(r.status).toBe(404);
      expect(r.json).toEqual({ schemas: [URN.error], status: '404', detail: expect.any(String) });
    }
  });

  it('can answer booleans as strings, as Entra-style servers do', async () => {
    await admin('POST', `/scim/tenants/${tenant}/options`, { stringBooleans: true });
    try {
      const r = await call('GET', `/Users/${users[0]!['id']}`);
      expect(r.json['active']).toBe('True');
      expect(r.json['emails'][0]['primary']).toBe('True');
    } finally {
      await admin('POST', `/scim/tenants/${tenant}/options`, { stringBooleans: false });
    }
  });
});

describe('discovery', () => {
  it('/ServiceProviderConfig', async () => {
    const r = await call('GET', '/ServiceProviderConfig');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      schemas: [URN.serviceProviderConfig],
      patch: { supported: true },
      bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
      filter: { supported: true, maxResults: 100 },
      changePassword: { supported: false },
      sort: { supported: true },
      etag: { supported: true },
      meta: { resourceType: 'ServiceProviderConfig', location: `${base}/ServiceProviderConfig` },
    });
    expect(r.json['authenticationSchemes']).toEqual([expect.objectContaining({ type: 'oauthbearertoken', name: expect.any(String), description: expect.any(String), primary: true })]);
  });

  it('/ResourceTypes lists User (with the enterprise extension) and Group', async () => {
    const r = await call('GET', '/ResourceTypes');
    expect(r.json).toMatchObject({ schemas: [URN.listResponse], totalResults: 2 });
    const byId: Record<string, J> = Object.fromEntries((r.json['Resources'] as J[]).map((x) => [x['id'], x]));
    expect(byId['User']).toMatchObject({ schemas: [URN.resourceType], name: 'User', endpoint: '/Users', schema: URN.user, schemaExtensions: [{ schema: URN.enterprise, required: false }] });
    expect(byId['Group']).toMatchObject({ name: 'Group', endpoint: '/Groups', schema: URN.group });
    expect((await call('GET', '/ResourceTypes/User')).json['endpoint']).toBe('/Users');
  });

  it('/Schemas defines every attribute of User, Group and EnterpriseUser in full', async () => {
    const r = await call('GET', '/Schemas');
    expect(r.json['totalResults']).toBe(3);
    const byId = Object.fromEntries((r.json['Resources'] as J[]).map((x) => [x['id'], x]));
    expect(Object.keys(byId).sort()).toEqual([URN.enterprise, URN.group, URN.user].sort());
    const check = (attr: J): void => {
      for (const k of ['name', 'type', 'multiValued', 'description', 'required', 'caseExact', 'mutability', 'returned', 'uniqueness']) expect(attr, `${attr['name']}.${k}`).toHaveProperty(k);
      for (const s of (attr['subAttributes'] as J[] | undefined) ?? []) check(s);
    };
    for (const s of Object.values(byId)) for (const a of (s as J)['attributes'] as J[]) check(a);
    const names = (id: string): string[] => (byId[id]!['attributes'] as J[]).map((a) => a['name']);
    expect(names(URN.user)).toEqual(expect.arrayContaining(['userName', 'name', 'displayName', 'userType', 'active', 'password', 'emails', 'phoneNumbers', 'addresses', 'groups', 'roles', 'entitlements', 'x509Certificates']));
    expect(names(URN.enterprise)).toEqual(['employeeNumber', 'costCenter', 'organization', 'division', 'department', 'manager']);
    expect(names(URN.group)).toEqual(['displayName', 'members']);
    const userName = (byId[URN.user]!['attributes'] as J[]).find((a) => a['name'] === 'userName')!;
    expect(userName).toMatchObject({ required: true, uniqueness: 'server', caseExact: false });
    const password = (byId[URN.user]!['attributes'] as J[]).find((a) => a['name'] === 'password')!;
    expect(password).toMatchObject({ mutability: 'writeOnly', returned: 'never' });
    const one = await call('GET', `/Schemas/${URN.enterprise}`);
    expect(one.json['name']).toBe('EnterpriseUser');
  });

  it('refuses a filter on discovery endpoints (403) and answers /Me and /Bulk with 501', async () => {
    expect((await call('GET', '/Schemas?filter=name%20pr')).status).toBe(403);
    for (const p of ['/Me', '/Bulk']) {
      const r = await call('GET', p);
      expect(r.status).toBe(501);
      expect(r.json['status']).toBe('501');
    }
  });
});
