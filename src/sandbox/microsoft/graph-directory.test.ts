import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../server.js';

/** Graph directory conformance over HTTP: paging, objects, permissions, errors, write-back, throttling. */
describe('Graph sandbox: directory', () => {
  let sb: Sandbox;
  let now = Date.now();
  beforeAll(async () => {
    sb = await startSandbox({ now: () => now });
  });
  afterAll(async () => sb.close());
  afterEach(async () => {
    sb.faults.clear();
    await admin('POST', '/throttle', { enabled: true, unitsPer10s: null });
    await admin('POST', `/tenants/${fab()}/consent`, { permissions: ['User.Read.All', 'GroupMember.Read.All', 'RoleManagement.Read.Directory', 'Application.Read.All'] });
    now += 11_000; // a fresh throttling window for the next test
  });
  const fab = () => sb.demo.microsoft.directoryTenantId;
  const admin = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${sb.urls.admin}/microsoft${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    return (await r.json()) as Record<string, unknown>;
  };
  const token = async (tenant = fab()) => {
    const r = await fetch(`${sb.urls.entra_login}/${tenant}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: sb.demo.microsoft.clientId, client_secret: sb.demo.microsoft.clientSecret, scope: 'https://graph.microsoft.com/.default', grant_type: 'client_credentials' }).toString(),
    });
    return String(((await r.json()) as { access_token: string }).access_token);
  };
  const graph = async (path: string, init: { method?: string; body?: unknown; tok?: string } = {}) => {
    const url = path.startsWith('http') ? path : `${sb.urls.graph}/v1.0${path}`;
    const r = await fetch(url, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${init.tok ?? (await token())}`, ...(init.body ? { 'content-type': 'application/json' } : {}) },
      ...(init.body ? { body: JSON.stringify(init.body) } : {}),
    });
    const text = await r.text();
    return { status: r.status, headers: r.headers, body: (text ? JSON.parse(text) : {}) as Record<string, any> };
  };
  const all = async (path: string, tok?: string) => {
    const out: Record<string, any>[] = [];
    let next: string | undefined = path;
    let pages = 0;
    while (next) {
      const r = await graph(next, { tok });
      expect(r.status).toBe(200);
      out.push(...r.body['value']);
      next = r.body['@odata.nextLink'];
      pages += 1;
    }
    return { items: out, pages };
  };

  it('pages users with $top and an opaque absolute nextLink; $select brings the directory properties', async () => {
    const world = (await admin('GET', `/tenants/${fab()}/users`)) as { users: Record<string, unknown>[] };
    const sel = 'id,userPrincipalName,accountEnabled,userType,employeeId,createdDateTime,onPremisesImmutableId,externalUserState';
    const { items, pages } = await all(`/users?$top=5&$select=${sel}`);
    expect(pages).toBe(Math.ceil(world.users.length / 5));
    expect(items.map((u) => u['id'])).toEqual(world.users.map((u) => u['id']));
    for (const u of items) expect(Object.keys(u).sort()).toEqual(sel.split(',').sort());
    const guests = items.filter((u) => u['userType'] === 'Guest');
    expect(guests.length).toBe(4);
    for (const g of guests) expect(g['userPrincipalName']).toContain('#EXT#');
    expect(guests.map((g) => g['externalUserState'])).toContain('PendingAcceptance');
    expect(items.filter((u) => u['accountEnabled'] === false).length).toBe(4);
    expect(items.some((u) => typeof u['onPremisesImmutableId'] === 'string')).toBe(true);
    // Without $select: the default property set, no accountEnabled.
    const first = await graph('/users?$top=1');
    expect(Object.keys(first.body['value'][0]).sort()).toEqual(['businessPhones', 'displayName', 'givenName', 'id', 'jobTitle', 'mail', 'mobilePhone', 'officeLocation', 'preferredLanguage', 'surname', 'userPrincipalName']);
    expect(first.body['@odata.nextLink']).toMatch(/^http.*\/v1\.0\/users\?\$top=1&\$skiptoken=/);
  });

  it('answers Graph errors: $top 1000, an unknown $select property, an unknown user', async () => {
    const big = await graph('/users?$top=1000');
    expect(big.status).toBe(400);
    expect(big.body['error']['code']).toBe('Request_BadRequest');
    expect(big.body['error']['message']).toBe("Invalid page size specified: '1000'. Must be between 1 and 999 inclusive.");
    expect(big.body['error']['innerError']).toHaveProperty('request-id');
    expect(big.headers.get('request-id')).toBeTruthy();
    const sel = await graph('/users?$select=shoeSize');
    expect([sel.status, sel.body['error']['message']]).toEqual([400, "Could not find a property named 'shoeSize' on type 'microsoft.graph.user'."]);
    const missing = await graph('/users/00000000-0000-4000-8000-000000000000');
    expect([missing.status, missing.body['error']['code']]).toEqual([404, 'Request_ResourceNotFound']);
    expect(missing.body['error']['message']).toBe("Resource '00000000-0000-4000-8000-000000000000' does not exist or one of its queried reference-property objects are not present.");
  });

  it('groups: members as directoryObjects with @odata.type, nested groups, transitive members, memberOf', async () => {
    const world = (await admin('GET', `/tenants/${fab()}/groups`)) as { groups: { id: string; displayName: string; members: { kind: string; id: string }[] }[] };
    const { items: groups } = await all('/groups?$top=2');
    expect(groups.map((g) => g['id'])).toEqual(world.groups.map((g) => g.id));
    const research = world.groups.find((g) => g.displayName === 'Research')!;
    const members = (await all(`/groups/${research.id}/members?$top=5`)).items;
    expect(members.map((m) => m['id']).sort()).toEqual(research.members.map((m) => m.id).sort());
    expect(new Set(members.map((m) => m['@odata.type']))).toEqual(new Set(['#microsoft.graph.user', '#microsoft.graph.group']));
    const transitive = (await all(`/groups/${research.id}/transitiveMembers`)).items;
    const nested = world.groups.filter((g) => research.members.some((m) => m.id === g.id));
    const expected = new Set([...research.members.map((m) => m.id), ...nested.flatMap((g) => g.members.map((m) => m.id))]);
    expect(new Set(transitive.map((m) => m['id']))).toEqual(expected);
    const leadsMember = world.groups.find((g) => g.displayName === 'Lab Leads')!.members[0]!.id;
    const memberOf = (await all(`/users/${leadsMember}/memberOf`)).items.filter((x) => x['@odata.type'] === '#microsoft.graph.group').map((g) => g['displayName']);
    const transitiveOf = (await all(`/users/${leadsMember}/transitiveMemberOf`)).items.map((g) => g['displayName']);
    expect(memberOf).toContain('Lab Leads');
    expect(memberOf).not.toContain('Privileged Operators'); // only through Lab Leads
    const leads = world.groups.find((g) => g.displayName === 'Lab Leads')!;
    expect((await all(`/groups/${leads.id}/memberOf`)).items.map((g) => g['displayName']).sort()).toEqual(['Privileged Operators', 'Research']);
    expect(transitiveOf).toEqual(expect.arrayContaining(['Lab Leads', 'Research', 'Privileged Operators']));
  });

  it('directory roles with members, role assignments, service principals with their app role assignments', async () => {
    const roles = (await all('/directoryRoles')).items;
    const ga = roles.find((r) => r['displayName'] === 'Global Administrator')!;
    expect(ga['roleTemplateId']).toBe('62e90394-69f5-4237-9190-012177145e10');
    const gaMembers = (await all(`/directoryRoles/${ga['id']}/members`)).items;
    expect(gaMembers.map((m) => m['@odata.type'])).toEqual(['#microsoft.graph.user']);
    const pra = roles.find((r) => r['displayName'] === 'Privileged Role Administrator')!;
    expect((await all(`/directoryRoles/${pra['id']}/members`)).items[0]!['@odata.type']).toBe('#microsoft.graph.group');
    const assignments = (await all('/roleManagement/directory/roleAssignments')).items;
    expect(assignments.some((a) => a['roleDefinitionId'] === ga['roleTemplateId'] && a['principalId'] === gaMembers[0]!['id'])).toBe(true);
    const sps = (await all('/servicePrincipals')).items;
    const lab = sps.find((s) => s['displayName'] === 'Fabrikam Lab Portal')!;
    const assigned = (await all(`/servicePrincipals/${lab['id']}/appRoleAssignedTo`)).items;
    expect(assigned.map((a) => a['principalType']).sort()).toEqual(['Group', 'Group', 'User']);
    expect(assigned.every((a) => (lab['appRoles'] as { id: string }[]).some((r) => r.id === a['appRoleId']))).toBe(true);
    // Microsoft Graph's service principal: its assignments are the permissions consented to our app.
    const msGraph = sps.find((s) => s['appId'] === '00000003-0000-0000-c000-000000000000')!;
    const consented = (await all(`/servicePrincipals/${msGraph['id']}/appRoleAssignedTo`)).items;
    expect(consented.length).toBe(4);
    expect(consented.every((a) => a['principalType'] === 'ServicePrincipal')).toBe(true);
  });

  it.each([
    ['/users?$top=1', ['User.Read.All'], ['GroupMember.Read.All']],
    ['/groups?$top=1', ['GroupMember.Read.All'], ['User.Read.All']],
    ['/groups?$top=1', ['Group.Read.All'], ['Application.Read.All']],
    ['/directoryRoles', ['RoleManagement.Read.Directory'], ['User.Read.All', 'GroupMember.Read.All']],
    ['/directoryRoles', ['Directory.Read.All'], ['Application.Read.All']],
    ['/servicePrincipals', ['Application.Read.All'], ['User.Read.All']],
    ['/users/delta', ['User.Read.All'], ['RoleManagement.Read.Directory']],
    ['/groups/delta', ['GroupMember.Read.All'], ['User.Read.All']],
  ])('%s needs one of its permissions (%s) and is 403 Authorization_RequestDenied with %s', async (path, withPerms, withoutPerms) => {
    await admin('POST', `/tenants/${fab()}/consent`, { permissions: withoutPerms });
    const denied = await graph(path);
    expect(denied.status).toBe(403);
    expect(denied.body['error']).toMatchObject({ code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' });
    await admin('POST', `/tenants/${fab()}/consent`, { permissions: withPerms });
    expect((await graph(path)).status).toBe(200);
  });

  it('removes and adds members through $ref: 204, 404 when not a member, 403 without a write permission, 400 when already a member', async () => {
    const world = (await admin('GET', `/tenants/${fab()}/groups`)) as { groups: { id: string; displayName: string; members: { id: string }[] }[] };
    const g = world.groups.find((x) => x.displayName === 'Research')!;
    const member = g.members[0]!.id;
    const denied = await graph(`/groups/${g.id}/members/${member}/$ref`, { method: 'DELETE' });
    expect([denied.status, denied.body['error']['code']]).toEqual([403, 'Authorization_RequestDenied']);
    await admin('POST', `/tenants/${fab()}/consent`, { permissions: ['GroupMember.ReadWrite.All'] });
    expect((await graph(`/groups/${g.id}/members/${member}/$ref`, { method: 'DELETE' })).status).toBe(204);
    const again = await graph(`/groups/${g.id}/members/${member}/$ref`, { method: 'DELETE' });
    expect([again.status, again.body['error']['code']]).toEqual([404, 'Request_ResourceNotFound']);
    const add = await graph(`/groups/${g.id}/members/$ref`, { method: 'POST', body: { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${member}` } });
    expect(add.status).toBe(204);
    const dup = await graph(`/groups/${g.id}/members/$ref`, { method: 'POST', body: { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${member}` } });
    expect([dup.status, dup.body['error']['code']]).toEqual([400, 'Request_BadRequest']);
    // A role-assignable group also needs RoleManagement.ReadWrite.Directory.
    const priv = world.groups.find((x) => x.displayName === 'Privileged Operators')!;
    expect((await graph(`/groups/${priv.id}/members/${priv.members[0]!.id}/$ref`, { method: 'DELETE' })).status).toBe(403);
  });

  it('identity throttling: x-ms-resource-unit by request cost, then 429 with Retry-After and the throttle headers, recovered after the window', async () => {
    const tok = await token();
    expect((await graph('/users', { tok })).headers.get('x-ms-resource-unit')).toBe('2');
    expect((await graph('/users?$select=id', { tok })).headers.get('x-ms-resource-unit')).toBe('1');
    const world = (await admin('GET', `/tenants/${fab()}/groups`)) as { groups: { id: string }[] };
    expect((await graph(`/groups/${world.groups[1]!.id}/members`, { tok })).headers.get('x-ms-resource-unit')).toBe('3');
    expect((await graph(`/groups/${world.groups[1]!.id}/transitiveMembers?$top=10`, { tok })).headers.get('x-ms-resource-unit')).toBe('4');
    now += 11_000;
    await admin('POST', '/throttle', { unitsPer10s: 10 });
    const seen: number[] = [];
    let throttled: Awaited<ReturnType<typeof graph>> | undefined;
    for (let k = 0; k < 12 && !throttled; k++) {
      const r = await graph('/users', { tok });
      seen.push(r.status);
      if (r.status === 429) throttled = r;
    }
    expect(seen).toEqual([200, 200, 200, 200, 200, 429]);
    expect(throttled!.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(throttled!.headers.get('x-ms-throttle-scope')).toBe(`Tenant_Application/Read/${sb.demo.microsoft.clientId}/${fab()}`);
    expect(throttled!.headers.get('x-ms-throttle-information')).toBe('ResourceUnitLimitExceeded');
    expect(throttled!.body['error']).toMatchObject({ code: 'TooManyRequests', message: 'Please retry again later.', innerError: { code: '429', status: '429' } });
    now += Number(throttled!.headers.get('retry-after')) * 1000;
    expect((await graph('/users', { tok })).status).toBe(200);
    // The budget is per app + tenant: the demo tenant is not affected.
    expect((await graph('/users?$top=1', { tok: await token(sb.demo.microsoft.tenantId) })).status).toBe(200);
    await admin('POST', '/throttle', { enabled: false });
    for (let k = 0; k < 10; k++) expect((await graph('/users', { tok })).status).toBe(200);
    sb.faults.set(fab(), 'graph.identity_throttle', { retryAfterSeconds: 7 });
    const f = await graph('/users', { tok });
    expect([f.status, f.headers.get('retry-after')]).toEqual([429, '7']);
  });

  it('the large tenant is generated by formula: consistent members and memberOf, 999-item pages', async () => {
    const t = (await fetch(`${sb.urls.admin}/microsoft/tenants/large`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ users: 2_000, groups: 200, memberships: 20_000 }) }).then((r) => r.json())) as { tenantId: string; users: number; groups: number };
    expect([t.users, t.groups]).toEqual([2_000, 200]);
    const tok = await token(t.tenantId);
    const page = await graph('/users?$top=999&$select=id,userType', { tok });
    expect(page.body['value'].length).toBe(999);
    const groups = (await all('/groups?$top=999&$select=id', tok)).items;
    expect(groups.length).toBe(200);
    const members = (await all(`/groups/${groups[100]!['id']}/members?$top=999`, tok)).items;
    expect(members.filter((m) => m['@odata.type'] === '#microsoft.graph.user').length).toBe(100);
    expect(members.filter((m) => m['@odata.type'] === '#microsoft.graph.group').length).toBe(4); // every 100th group nests the next four
    const someUser = members[0]!['id'];
    const memberOf = (await all(`/users/${someUser}/memberOf`, tok)).items.map((g) => g['id']);
    expect(memberOf).toContain(groups[100]!['id']);
    for (const gid of memberOf) {
      const ms = (await all(`/groups/${gid}/members?$top=999&$select=id`, tok)).items.map((m) => m['id']);
      expect(ms).toContain(someUser);
    }
  });
});
