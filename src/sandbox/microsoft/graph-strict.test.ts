import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../server.js';

/**
 * Graph as strict as Graph (issue 10, finding 9): query options the sandbox cannot serve are
 * refused with Graph's 400 instead of ignored; those it serves are honoured; a message has no
 * `size` property, only PidTagMessageSize as an expanded extended property.
 */
describe('Graph sandbox: query options and message size as Graph has them', () => {
  let sb: Sandbox;
  let tok = '';
  beforeAll(async () => {
    sb = await startSandbox({});
    await admin('POST', '/consent', { permissions: ['User.Read.All', 'Group.Read.All', 'Mail.Read'] });
  });
  afterAll(async () => sb.close());
  const admin = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${sb.urls.admin}/microsoft${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    return (await r.json()) as Record<string, any>;
  };
  const graph = async (path: string, headers: Record<string, string> = {}) => {
    if (!tok) {
      const r = await fetch(`${sb.urls.entra_login}/${sb.demo.microsoft.tenantId}/oauth2/v2.0/token`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: sb.demo.microsoft.clientId, client_secret: sb.demo.microsoft.clientSecret, scope: 'https://graph.microsoft.com/.default', grant_type: 'client_credentials' }).toString(),
      });
      tok = String(((await r.json()) as { access_token: string }).access_token);
    }
    const r = await fetch(path.startsWith('http') ? path : `${sb.urls.graph}/v1.0${path}`, { headers: { authorization: `Bearer ${tok}`, ...headers } });
    return { status: r.status, body: (await r.json()) as Record<string, any> };
  };
  const all = async (path: string, headers: Record<string, string> = {}) => {
    const out: Record<string, any>[] = [];
    let next: string | undefined = path;
    while (next) {
      const r = await graph(next, headers);
      expect(r.status).toBe(200);
      out.push(...r.body['value']);
      next = r.body['@odata.nextLink'];
    }
    return out;
  };

  it('honours the filters it serves, across pages', async () => {
    const listed = (await admin('GET', '/users')).users as { id: string }[];
    for (const u of listed.slice(2, 5)) expect((await admin('PATCH', `/tenants/${sb.demo.microsoft.tenantId}/users/${u.id}`, { accountEnabled: false }))['accountEnabled']).toBe(false);
    const users = await all('/users?$select=id,accountEnabled,displayName&$top=5');
    const disabled = users.filter((u) => u['accountEnabled'] === false);
    expect(disabled.length).toBeGreaterThan(0);
    expect(disabled.length).toBeLessThan(users.length);
    const filtered = await all(`/users?$select=id,accountEnabled&$top=2&$filter=${encodeURIComponent('accountEnabled eq false')}`);
    expect(filtered.map((u) => u['id']).sort()).toEqual(disabled.map((u) => u['id']).sort());
    const first = users[0]!;
    const byName = await all(`/users?$filter=${encodeURIComponent(`startswith(displayName,'${String(first['displayName']).slice(0, 3)}') and accountEnabled eq ${first['accountEnabled']}`)}&$select=id,displayName,accountEnabled`);
    expect(byName.map((u) => u['id'])).toContain(first['id']);
    expect(byName.every((u) => String(u['displayName']).startsWith(String(first['displayName']).slice(0, 3)))).toBe(true);
  });

  it('refuses a filter, an orderby or a search it cannot serve with 400, and $search without ConsistencyLevel: eventual', async () => {
    for (const q of ['$filter=endswith(mail,%27.test%27)', '$filter=signInActivity/lastSignInDateTime%20le%202026-01-01T00:00:00Z', '$orderby=displayName', '$filter=accountEnabled%20ne%20true']) {
      const r = await graph(`/users?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body['error']['code']).toBe('Request_UnsupportedQuery');
    }
    const noHeader = await graph('/users?$search=%22displayName:ada%22');
    expect(noHeader.status).toBe(400);
    expect(noHeader.body['error']['message']).toContain("ConsistencyLevel: eventual");
    const searched = await all('/users?$search=%22displayName:ada%22&$select=id,displayName', { consistencylevel: 'eventual' });
    expect(searched.length).toBeGreaterThan(0);
    expect(searched.every((u) => /(^|\s)ada/i.test(String(u['displayName'])))).toBe(true);
    expect((await graph('/groups?$orderby=displayName')).status).toBe(400);
    expect((await graph('/users/delta?$filter=accountEnabled%20eq%20false')).status).toBe(400);
  });

  it('a message has no size property; its size is PidTagMessageSize when expanded, on every page of a delta', async () => {
    const upn = (await admin('GET', '/users')).users[1].userPrincipalName;
    const plain = await graph(`/users/${upn}/mailFolders/inbox/messages?$select=id,subject&$top=3`);
    expect(plain.status).toBe(200);
    expect(plain.body['value'][0]).not.toHaveProperty('size');
    const expand = encodeURIComponent("singleValueExtendedProperties($filter=id eq 'Integer 0x0E08')");
    const pages = await all(`/users/${upn}/mailFolders/inbox/messages/delta?$select=id,subject&$expand=${expand}`, { prefer: 'odata.maxpagesize=3' });
    expect(pages.length).toBeGreaterThan(3);
    for (const m of pages) {
      expect(m).not.toHaveProperty('size');
      expect(m['singleValueExtendedProperties']).toEqual([{ id: 'Integer 0xe08', value: expect.stringMatching(/^\d+$/) }]);
    }
    const one = await graph(`/users/${upn}/messages/${encodeURIComponent(pages[0]!['id'])}?$expand=${expand}`);
    expect(one.body['singleValueExtendedProperties']).toEqual(pages[0]!['singleValueExtendedProperties']);
    expect((await graph(`/users/${upn}/mailFolders/inbox/messages?$expand=size`)).status).toBe(400);
  });
});
