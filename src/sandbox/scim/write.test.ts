import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../server.js';
import { URN } from './urns.js';

/**
 * Conformance of the SCIM simulator's write side, over raw HTTP (RFC 7644 §3.3, §3.5, §3.6,
 * §3.12): POST, PUT, PATCH in the RFC's and Entra ID's dialects, DELETE, and each error body.
 * Each test works in a fresh tenant so writes do not leak between tests.
 */
type J = Record<string, any>;
let sb: Sandbox;
let base: string;
let token: string;
let tenantId: string;
let n = 0;

async function admin(method: string, path: string, body?: unknown): Promise<J> {
  const res = await fetch(`${sb.urls.admin}${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = (await res.json()) as J;
  expect(res.ok, `${method} ${path}: ${JSON.stringify(json)}`).toBe(true);
  return json;
}

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; json: J; text: string }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/scim+json' } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
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

const patchOp = (...ops: J[]): J => ({ schemas: [URN.patchOp], Operations: ops });
const errorBody = (status: number, scimType?: string): J => ({ schemas: [URN.error], status: String(status), ...(scimType ? { scimType } : {}), detail: expect.any(String) });

async function newUser(userName: string, extra: J = {}): Promise<J> {
  const r = await call('POST', '/Users', { schemas: [URN.user], userName, displayName: `Test ${userName.split('@')[0]}`, name: { givenName: 'Test', familyName: userName.split('@')[0] }, emails: [{ value: userName, type: 'work', primary: true }], ...extra });
  expect(r.status, r.text).toBe(201);
  return r.json;
}

async function newGroup(displayName: string, members: string[] = []): Promise<J> {
  const r = await call('POST', '/Groups', { schemas: [URN.group], displayName, members: members.map((value) => ({ value })) });
  expect(r.status, r.text).toBe(201);
  return r.json;
}

const get = async (rt: 'Users' | 'Groups', id: string): Promise<J> => (await call('GET', `/${rt}/${id}`)).json;
const memberIds = (g: J): string[] => ((g['members'] as J[] | undefined) ?? []).map((m) => m['value']).sort();

beforeAll(async () => {
  sb = await startSandbox({});
});
afterAll(async () => {
  await sb?.close();
});
beforeEach(async () => {
  tenantId = `write-${++n}`;
  const t = await admin('POST', '/scim/tenants', { id: tenantId, size: 'empty' });
  base = t['baseUrl'];
  token = t['token']['token'];
  await admin('POST', `/scim/tenants/${tenantId}/rate-limit`, { enabled: false });
});

describe('POST', () => {
  it('creates a user: 201, Location, ETag, the resource with server-set id and meta', async () => {
    const r = await call('POST', '/Users', {
      schemas: [URN.user, URN.enterprise],
      externalId: 'ext-1',
      userName: 'bjensen@example.com',
      name: { givenName: 'Barbara', familyName: 'Jensen' },
      active: true,
      emails: [{ value: 'bjensen@example.com', type: 'work', primary: true }],
      password: 't1meMa$heen',
      [URN.enterprise]: { employeeNumber: 701984, department: 'Tour Operations' },
      id: 'client-chosen', // readOnly: ignored
      groups: [{ value: 'x' }], // readOnly: ignored
    });
    expect(r.status).toBe(201);
    expect(r.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    expect(r.json['id']).not.toBe('client-chosen');
    expect(r.headers.get('location')).toBe(`${base}/Users/${r.json['id']}`);
    expect(r.json['meta']).toMatchObject({ resourceType: 'User', location: r.headers.get('location'), version: r.headers.get('etag') });
    expect(r.json).toMatchObject({ userName: 'bjensen@example.com', externalId: 'ext-1', active: true, [URN.enterprise]: { employeeNumber: '701984', department: 'Tour Operations' } });
    expect(r.json['schemas']).toEqual([URN.user, URN.enterprise]);
    expect(r.json['password']).toBeUndefined();
    expect(r.json['groups']).toBeUndefined();
    expect(await get('Users', r.json['id'])).toEqual(r.json);
  });

  it('refuses a duplicate userName, whatever its case: 409 uniqueness', async () => {
    await newUser('dup@example.com');
    const r = await call('POST', '/Users', { schemas: [URN.user], userName: 'DUP@example.com' });
    expect(r.status).toBe(409);
    expect(r.json).toEqual(errorBody(409, 'uniqueness'));
  });

  it.each([
    ['missing userName', { schemas: [URN.user], displayName: 'x' }, 'invalidValue'],
    ['a boolean that is not one', { schemas: [URN.user], userName: 'a@b.test', active: 'yes' }, 'invalidValue'],
    ['a string that is an object', { schemas: [URN.user], userName: { x: 1 } }, 'invalidValue'],
    ['no schemas', { userName: 'a@b.test' }, 'invalidSyntax'],
    ['the wrong schema', { schemas: [URN.group], userName: 'a@b.test' }, 'invalidSyntax'],
    ['a body that is not JSON', '{"schemas": [', 'invalidSyntax'],
  ])('answers 400 for %s', async (_what, body, scimType) => {
    const r = await call('POST', '/Users', body);
    expect(r.status).toBe(400);
    expect(r.json).toEqual(errorBody(400, scimType));
  });

  it('accepts Entra ID\'s "True"/"False" string booleans', async () => {
    const u = await newUser('strings@example.com', { active: 'False', emails: [{ value: 'strings@example.com', type: 'work', primary: 'True' }] });
    expect(u['active']).toBe(false);
    expect(u['emails'][0]['primary']).toBe(true);
  });

  it('creates a group with members; unknown members answer 400 invalidValue', async () => {
    const a = await newUser('a@example.com');
    const g = await newGroup('Team', [a['id']]);
    expect(g['members']).toEqual([{ value: a['id'], $ref: `${base}/Users/${a['id']}`, type: 'User', display: 'Test a' }]);
    const bad = await call('POST', '/Groups', { schemas: [URN.group], displayName: 'Ghosts', members: [{ value: 'does-not-exist' }] });
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual(errorBody(400, 'invalidValue'));
  });
});

describe('PUT', () => {
  it('replaces the resource: attributes left out are cleared; the version moves on', async () => {
    const u = await newUser('put@example.com', { title: 'Engineer', nickName: 'Putty' });
    const r = await call('PUT', `/Users/${u['id']}`, { schemas: [URN.user], userName: 'put@example.com', displayName: 'Put Person', active: false });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ id: u['id'], userName: 'put@example.com', displayName: 'Put Person', active: false });
    expect(r.json['title']).toBeUndefined();
    expect(r.json['nickName']).toBeUndefined();
    expect(r.json['meta']['version']).not.toBe(u['meta']['version']);
    expect(r.json['meta']['created']).toBe(u['meta']['created']);
  });

  it('honours If-Match: a stale version answers 412', async () => {
    const u = await newUser('etag@example.com');
    const ok = await call('PUT', `/Users/${u['id']}`, { schemas: [URN.user], userName: 'etag@example.com', title: 'A' }, { 'if-match': u['meta']['version'] });
    expect(ok.status).toBe(200);
    const stale = await call('PUT', `/Users/${u['id']}`, { schemas: [URN.user], userName: 'etag@example.com', title: 'B' }, { 'if-match': u['meta']['version'] });
    expect(stale.status).toBe(412);
    expect(stale.json).toEqual(errorBody(412));
  });

  it('refuses to take another user\'s userName (409) and answers 404 for an unknown id', async () => {
    await newUser('taken@example.com');
    const u = await newUser('free@example.com');
    const r = await call('PUT', `/Users/${u['id']}`, { schemas: [URN.user], userName: 'taken@example.com' });
    expect(r.status).toBe(409);
    expect(r.json['scimType']).toBe('uniqueness');
    expect((await call('PUT', '/Users/unknown', { schemas: [URN.user], userName: 'x@example.com' })).status).toBe(404);
  });
});

describe('PATCH, RFC 7644 form', () => {
  it('replace, add and path-less replace on a user answer 200 with the resource', async () => {
    const u = await newUser('rfc@example.com');
    const r = await call(
      'PATCH',
      `/Users/${u['id']}`,
      patchOp(
        { op: 'replace', path: 'active', value: false },
        { op: 'add', path: 'emails', value: [{ value: 'home@example.com', type: 'home', primary: true }] },
        { op: 'replace', value: { displayName: 'RFC Person', nickName: 'Arfc' } },
        { op: 'replace', path: 'name.familyName', value: 'Comment' },
        { op: 'add', path: `${URN.enterprise}:department`, value: 'Standards' },
      ),
    );
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ active: false, displayName: 'RFC Person', nickName: 'Arfc', name: { givenName: 'Test', familyName: 'Comment' }, [URN.enterprise]: { department: 'Standards' } });
    // A new primary value takes primary from the others (RFC 7643 §2.4).
    expect(r.json['emails']).toEqual([
      { value: 'rfc@example.com', type: 'work', primary: false },
      { value: 'home@example.com', type: 'home', primary: true },
    ]);
    expect(r.headers.get('etag')).toBe(r.json['meta']['version']);
  });

  it('filter paths: replace a sub-attribute of matching values, remove matching values', async () => {
    const u = await newUser('filters@example.com', { phoneNumbers: [{ value: '1', type: 'work' }, { value: '2', type: 'mobile' }] });
    const r = await call(
      'PATCH',
      `/Users/${u['id']}`,
      patchOp({ op: 'replace', path: 'emails[type eq "work"].value', value: 'new@example.com' }, { op: 'remove', path: 'phoneNumbers[type eq "mobile"]' }),
    );
    expect(r.status).toBe(200);
    expect(r.json['emails'][0]['value']).toBe('new@example.com');
    expect(r.json['phoneNumbers']).toEqual([{ value: '1', type: 'work' }]);
  });

  it('group membership: add, then remove with members[value eq …]; 204 without a body', async () => {
    const a = await newUser('m1@example.com');
    const b = await newUser('m2@example.com');
    const g = await newGroup('Members');
    const add = await call('PATCH', `/Groups/${g['id']}`, patchOp({ op: 'add', path: 'members', value: [{ value: a['id'] }, { value: b['id'] }] }));
    expect(add.status).toBe(204);
    expect(add.text).toBe('');
    expect(memberIds(await get('Groups', g['id']))).toEqual([a['id'], b['id']].sort());
    // Adding a member twice changes nothing.
    await call('PATCH', `/Groups/${g['id']}`, patchOp({ op: 'add', path: 'members', value: [{ value: a['id'] }] }));
    expect(memberIds(await get('Groups', g['id']))).toHaveLength(2);
    const rm = await call('PATCH', `/Groups/${g['id']}`, patchOp({ op: 'remove', path: `members[value eq "${a['id']}"]` }));
    expect(rm.status).toBe(204);
    expect(memberIds(await get('Groups', g['id']))).toEqual([b['id']]);
    // The user's groups follow.
    expect((await get('Users', b['id']))['groups'].map((x: J) => x['value'])).toEqual([g['id']]);
    expect((await get('Users', a['id']))['groups']).toBeUndefined();
  });

  it('answers 200 with the group when attributes are asked for', async () => {
    const g = await newGroup('Renamed');
    const r = await call('PATCH', `/Groups/${g['id']}?attributes=displayName`, patchOp({ op: 'replace', path: 'displayName', value: 'Renamed 2' }));
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ schemas: [URN.group], id: g['id'], displayName: 'Renamed 2' });
  });

  it.each<[string, J, number, string]>([
    ['remove without a path', { op: 'remove' }, 400, 'noTarget'],
    ['remove of a member that is not there', { op: 'remove', path: 'members[value eq "nobody"]' }, 400, 'noTarget'],
    ['an unknown attribute', { op: 'replace', path: 'nosuch', value: 1 }, 400, 'invalidPath'],
    ['a broken filter path', { op: 'remove', path: 'members[value eq "x"' }, 400, 'invalidPath'],
    ['a filter on a single-valued attribute', { op: 'remove', path: 'displayName[value eq "x"]' }, 400, 'invalidPath'],
    ['a read-only attribute', { op: 'replace', path: 'id', value: 'mine' }, 400, 'mutability'],
    ['a read-only attribute without a path', { op: 'replace', value: { 'meta.created': '2020-01-01T00:00:00Z' } }, 400, 'mutability'],
    ['an unknown op', { op: 'move', path: 'displayName', value: 'x' }, 400, 'invalidSyntax'],
    ['a path-less add whose value is not an object', { op: 'add', value: 'x' }, 400, 'invalidSyntax'],
    ['a member that does not exist', { op: 'add', path: 'members', value: [{ value: 'ghost' }] }, 400, 'invalidValue'],
    ['removing the required displayName', { op: 'remove', path: 'displayName' }, 400, 'invalidValue'],
  ])('%s → %s', async (_what, op, status, scimType) => {
    const g = await newGroup('Errors');
    const r = await call('PATCH', `/Groups/${g['id']}`, patchOp(op));
    expect(r.status).toBe(status);
    expect(r.json).toEqual(errorBody(status, scimType));
  });

  it('rejects a body that is not a PatchOp', async () => {
    const g = await newGroup('Bodies');
    for (const body of [{ Operations: [{ op: 'add', path: 'displayName', value: 'x' }] }, { schemas: [URN.patchOp], Operations: [] }, { schemas: [URN.patchOp] }]) {
      const r = await call('PATCH', `/Groups/${g['id']}`, body);
      expect(r.status).toBe(400);
      expect(r.json['scimType']).toBe('invalidSyntax');
    }
  });

  it('is atomic: one failing operation leaves the resource unchanged', async () => {
    const a = await newUser('atomic@example.com');
    const g = await newGroup('Atomic');
    const r = await call('PATCH', `/Groups/${g['id']}`, patchOp({ op: 'replace', path: 'displayName', value: 'Changed' }, { op: 'add', path: 'members', value: [{ value: a['id'] }] }, { op: 'remove', path: 'members[value eq "nobody"]' }));
    expect(r.status).toBe(400);
    const after = await get('Groups', g['id']);
    expect(after['displayName']).toBe('Atomic');
    expect(after['members']).toBeUndefined();
    expect(after['meta']['version']).toBe(g['meta']['version']);
  });
});

describe("PATCH, Entra ID's dialect", () => {
  it('capitalised ops, string booleans, dotted and URN keys in a path-less Replace, manager as an id', async () => {
    const boss = await newUser('boss@example.com');
    const u = await newUser('entra@example.com');
    const r = await call(
      'PATCH',
      `/Users/${u['id']}`,
      patchOp(
        { op: 'Replace', path: 'active', value: 'False' },
        { op: 'Replace', value: { 'name.givenName': 'Entra', 'name.familyName': 'Provisioned', [`${URN.enterprise}:employeeNumber`]: '42', displayName: 'Entra Provisioned' } },
        { op: 'Add', path: `${URN.enterprise}:manager`, value: boss['id'] },
        { op: 'Add', path: 'emails[type eq "other"].value', value: 'other@example.com' },
      ),
    );
    expect(r.status, r.text).toBe(200);
    expect(r.json).toMatchObject({
      active: false,
      displayName: 'Entra Provisioned',
      name: { givenName: 'Entra', familyName: 'Provisioned' },
      [URN.enterprise]: { employeeNumber: '42', manager: { value: boss['id'], displayName: 'Test boss', $ref: `${base}/Users/${boss['id']}` } },
    });
    expect(r.json['emails']).toContainEqual({ value: 'other@example.com', type: 'other' });
    expect(r.json['schemas']).toEqual([URN.user, URN.enterprise]);
  });

  it('adds members with "$ref": null and removes them with a value array on path "members"', async () => {
    const a = await newUser('e1@example.com');
    const b = await newUser('e2@example.com');
    const g = await newGroup('Entra group');
    const add = await call('PATCH', `/Groups/${g['id']}`, patchOp({ op: 'Add', path: 'members', value: [{ $ref: null, value: a['id'] }, { $ref: null, value: b['id'] }] }));
    expect(add.status).toBe(204);
    expect(memberIds(await get('Groups', g['id']))).toEqual([a['id'], b['id']].sort());
    const rm = await call('PATCH', `/Groups/${g['id']}`, patchOp({ op: 'Remove', path: 'members', value: [{ value: a['id'] }] }));
    expect(rm.status).toBe(204);
    expect(memberIds(await get('Groups', g['id']))).toEqual([b['id']]);
    // Removing an absent member this way is not an error (Entra ID retries removals).
    expect((await call('PATCH', `/Groups/${g['id']}`, patchOp({ op: 'Remove', path: 'members', value: [{ value: a['id'] }] }))).status).toBe(204);
  });

  it('a server that only takes the value-array form answers invalidPath to a filter-path remove', async () => {
    await admin('POST', `/scim/tenants/${tenantId}/options`, { filterPathRemove: false });
    const a = await newUser('v1@example.com');
    const g = await newGroup('Value arrays', [a['id']]);
    const rfc = await call('PATCH', `/Groups/${g['id']}`, patchOp({ op: 'remove', path: `members[value eq "${a['id']}"]` }));
    expect(rfc.status).toBe(400);
    expect(rfc.json).toEqual(errorBody(400, 'invalidPath'));
    expect(memberIds(await get('Groups', g['id']))).toEqual([a['id']]);
    expect((await call('PATCH', `/Groups/${g['id']}`, patchOp({ op: 'Remove', path: 'members', value: [{ value: a['id'] }] }))).status).toBe(204);
    expect((await get('Groups', g['id']))['members']).toBeUndefined();
  });

  it('a literal-RFC server removes every member for the value-array form (removeIgnoresValue)', async () => {
    await admin('POST', `/scim/tenants/${tenantId}/options`, { removeIgnoresValue: true });
    const a = await newUser('l1@example.com');
    const b = await newUser('l2@example.com');
    const g = await newGroup('Literal', [a['id'], b['id']]);
    expect((await call('PATCH', `/Groups/${g['id']}`, patchOp({ op: 'Remove', path: 'members', value: [{ value: a['id'] }] }))).status).toBe(204);
    expect((await get('Groups', g['id']))['members']).toBeUndefined();
  });
});

describe('DELETE', () => {
  it('deletes a user (204), takes it out of its groups, then answers 404', async () => {
    const a = await newUser('gone@example.com');
    const b = await newUser('stays@example.com');
    const g = await newGroup('Holder', [a['id'], b['id']]);
    const r = await call('DELETE', `/Users/${a['id']}`);
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    const again = await call('GET', `/Users/${a['id']}`);
    expect(again.status).toBe(404);
    expect(again.json).toEqual(errorBody(404));
    expect(memberIds(await get('Groups', g['id']))).toEqual([b['id']]);
    expect((await call('DELETE', `/Users/${a['id']}`)).status).toBe(404);
    // The userName is free again.
    await newUser('gone@example.com');
  });

  it('deletes a nested group and takes it out of its parent', async () => {
    const child = await newGroup('Child');
    const parent = await newGroup('Parent', [child['id']]);
    expect((await get('Groups', parent['id']))['members'][0]['type']).toBe('Group');
    expect((await call('DELETE', `/Groups/${child['id']}`)).status).toBe(204);
    expect((await get('Groups', parent['id']))['members']).toBeUndefined();
  });
});

describe('tokens and PATCH support', () => {
  it('a read-only token can read but not write (403)', async () => {
    const ro = await admin('POST', `/scim/tenants/${tenantId}/tokens`, { label: 'auditor', rights: 'read' });
    const g = await newGroup('Read only');
    const headers = { authorization: `Bearer ${ro['token']}` };
    expect((await call('GET', `/Groups/${g['id']}`, undefined, headers)).status).toBe(200);
    const w = await call('PATCH', `/Groups/${g['id']}`, patchOp({ op: 'replace', path: 'displayName', value: 'x' }), headers);
    expect(w.status).toBe(403);
    expect(w.json).toEqual(errorBody(403));
    expect((await call('POST', '/Users', { schemas: [URN.user], userName: 'x@example.com' }, headers)).status).toBe(403);
    expect((await call('DELETE', `/Groups/${g['id']}`, undefined, headers)).status).toBe(403);
  });

  it('scim.patch_unsupported: ServiceProviderConfig says so and PATCH answers 501', async () => {
    const g = await newGroup('No patch');
    sb.faults.set(tenantId, 'scim.patch_unsupported');
    try {
      expect((await call('GET', '/ServiceProviderConfig')).json['patch']).toEqual({ supported: false });
      const r = await call('PATCH', `/Groups/${g['id']}`, patchOp({ op: 'replace', path: 'displayName', value: 'x' }));
      expect(r.status).toBe(501);
      expect(r.json).toEqual(errorBody(501));
    } finally {
      sb.faults.clear(tenantId);
    }
    expect((await call('GET', '/ServiceProviderConfig')).json['patch']).toEqual({ supported: true });
  });
});
