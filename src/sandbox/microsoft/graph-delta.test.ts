import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../server.js';

/** Users and groups delta over HTTP (providers.md §2.2): rounds, removals, members@delta, resets. */
describe('Graph sandbox: delta', () => {
  let sb: Sandbox;
  let now = Date.now();
  let tok = '';
  beforeAll(async () => {
    sb = await startSandbox({ now: () => now });
    await admin('POST', '/throttle', { enabled: false });
  });
  afterAll(async () => sb.close());
  afterEach(async () => {
    sb.faults.clear();
    await admin('POST', '/delta', { memberSlice: 500 });
  });
  const fab = () => sb.demo.microsoft.directoryTenantId;
  const admin = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${sb.urls.admin}/microsoft${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    return (await r.json()) as Record<string, any>;
  };
  const graph = async (path: string, pageSize = 10) => {
    if (!tok) {
      const r = await fetch(`${sb.urls.entra_login}/${fab()}/oauth2/v2.0/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: sb.demo.microsoft.clientId, client_secret: sb.demo.microsoft.clientSecret, scope: 'https://graph.microsoft.com/.default', grant_type: 'client_credentials' }).toString(),
      });
      tok = String(((await r.json()) as { access_token: string }).access_token);
    }
    const r = await fetch(path.startsWith('http') ? path : `${sb.urls.graph}/v1.0${path}`, { headers: { authorization: `Bearer ${tok}`, prefer: `odata.maxpagesize=${pageSize}` } });
    return { status: r.status, headers: r.headers, body: (await r.json()) as Record<string, any> };
  };
  /** Follows nextLinks to the deltaLink; returns every entry and the pages. */
  const round = async (start: string, pageSize = 10) => {
    const pages: Record<string, any>[][] = [];
    let url: string = start;
    for (;;) {
      const r = await graph(url, pageSize);
      expect(r.status).toBe(200);
      pages.push(r.body['value']);
      expect(r.body['@odata.nextLink'] && r.body['@odata.deltaLink']).toBeFalsy();
      if (r.body['@odata.deltaLink']) return { entries: pages.flat(), pages, deltaLink: r.body['@odata.deltaLink'] as string };
      url = r.body['@odata.nextLink'];
    }
  };

  it('users: a full round, then exactly the changes — update, soft and hard delete, new user — then an empty round', async () => {
    const world = (await admin('GET', `/tenants/${fab()}/users`)).users as { id: string }[];
    const full = await round('/users/delta?$select=displayName,accountEnabled,userType');
    expect(full.pages.length).toBe(Math.ceil(world.length / 10));
    expect(full.entries.map((u) => u['id'])).toEqual(world.map((u) => u.id));
    expect(Object.keys(full.entries[0]!).sort()).toEqual(['accountEnabled', 'displayName', 'id', 'userType']);
    expect(full.deltaLink).toMatch(/\/v1\.0\/users\/delta\?\$deltatoken=/);
    await admin('PATCH', `/tenants/${fab()}/users/${world[1]!.id}`, { displayName: 'Renamed Person', accountEnabled: false });
    await admin('DELETE', `/tenants/${fab()}/users/${world[2]!.id}`);
    await admin('DELETE', `/tenants/${fab()}/users/${world[3]!.id}?permanent=1`);
    const created = await admin('POST', `/tenants/${fab()}/users`, { userPrincipalName: `new.hire@${sb.demo.microsoft.directoryDomain}`, displayName: 'New Hire' });
    const inc = await round(full.deltaLink);
    expect(inc.entries).toEqual([
      { id: world[1]!.id, displayName: 'Renamed Person', accountEnabled: false, userType: 'Member' },
      { id: world[2]!.id, '@removed': { reason: 'changed' } },
      { id: world[3]!.id, '@removed': { reason: 'deleted' } },
      { id: created['id'], displayName: 'New Hire', accountEnabled: true, userType: 'Member' },
    ]);
    const empty = await round(inc.deltaLink);
    expect(empty.entries).toEqual([]);
    expect(empty.pages.length).toBe(1);
  });

  it('users: `manager` in $select answers `manager@delta` (a user reference); a manager taken away comes back with @removed', async () => {
    const world = (await admin('GET', `/tenants/${fab()}/users`)).users as { id: string; managerId?: string | null }[];
    const full = await round('/users/delta?$select=displayName,manager', 100);
    const managed = world.filter((u) => u.managerId);
    expect(managed.length).toBeGreaterThan(5);
    for (const u of full.entries.filter((e) => !e['@removed'])) {
      const w = world.find((x) => x.id === u['id'])!;
      if (w.managerId) expect(u['manager@delta']).toEqual([{ '@odata.type': '#microsoft.graph.user', id: w.managerId }]);
      else expect(u).not.toHaveProperty('manager@delta');
      expect(u).not.toHaveProperty('manager');
    }
    const [a, b] = [managed[0]!, managed[1]!];
    await admin('PATCH', `/tenants/${fab()}/users/${a.id}`, { managerId: null });
    await admin('PATCH', `/tenants/${fab()}/users/${b.id}`, { managerId: a.id });
    const inc = await round(full.deltaLink, 100);
    expect(inc.entries.find((e) => e['id'] === a.id)!['manager@delta']).toEqual([{ '@odata.type': '#microsoft.graph.user', id: a.managerId, '@removed': { reason: 'deleted' } }]);
    expect(inc.entries.find((e) => e['id'] === b.id)!['manager@delta']).toEqual([{ '@odata.type': '#microsoft.graph.user', id: a.id }]);
    // A later round carries `manager@delta` only when the manager changed since its token: a
    // user returned for another change carries none, though the manager is still there.
    const c = managed[2]!;
    await admin('PATCH', `/tenants/${fab()}/users/${c.id}`, { displayName: 'Promoted Person' });
    await admin('PATCH', `/tenants/${fab()}/users/${b.id}`, { displayName: 'Moved Person' });
    const later = await round(inc.deltaLink, 100);
    expect(later.entries.map((e) => e['id']).sort()).toEqual([b.id, c.id].sort());
    for (const e of later.entries) expect(e).not.toHaveProperty('manager@delta');
  });

  it('$deltaToken=latest returns only a deltaLink; later changes show up from it', async () => {
    const r = await graph('/users/delta?$deltaToken=latest&$select=displayName');
    expect(r.body['value']).toEqual([]);
    expect(r.body['@odata.nextLink']).toBeUndefined();
    const world = (await admin('GET', `/tenants/${fab()}/users`)).users as { id: string }[];
    await admin('PATCH', `/tenants/${fab()}/users/${world[5]!.id}`, { displayName: 'After Latest' });
    expect((await round(r.body['@odata.deltaLink'])).entries).toEqual([{ id: world[5]!.id, displayName: 'After Latest' }]);
  });

  it('groups with members: a large group repeats across pages with the next slice; merged it equals the group', async () => {
    await admin('POST', '/delta', { memberSlice: 4 });
    const world = (await admin('GET', `/tenants/${fab()}/groups`)).groups as { id: string; displayName: string; members: { id: string }[] }[];
    const full = await round('/groups/delta?$select=displayName,description,mail,members', 10);
    const merged = new Map<string, Set<string>>();
    const appearances = new Map<string, number>();
    for (const e of full.entries) {
      appearances.set(e['id'], (appearances.get(e['id']) ?? 0) + 1);
      const set = merged.get(e['id']) ?? new Set<string>();
      for (const m of e['members@delta'] ?? []) {
        expect(m['@removed']).toBeUndefined();
        expect(m['@odata.type']).toMatch(/^#microsoft\.graph\.(user|group)$/);
        set.add(m['id']);
      }
      merged.set(e['id'], set);
    }
    for (const g of world) expect([...merged.get(g.id)!].sort(), g.displayName).toEqual(g.members.map((m) => m.id).sort());
    const big = world.find((g) => g.displayName === 'All Fabrikam')!;
    expect(appearances.get(big.id)).toBeGreaterThan(1);
    const pagesWithBig = full.pages.filter((p) => p.some((e) => e['id'] === big.id)).length;
    expect(pagesWithBig).toBeGreaterThan(1);
  });

  it('a member removed while a full round is split inside its group never shifts an unchanged member out of the round', async () => {
    await admin('POST', '/delta', { memberSlice: 4 });
    const world = (await admin('GET', `/tenants/${fab()}/groups`)).groups as { id: string; displayName: string; members: { id: string }[] }[];
    const big = world.find((g) => g.displayName === 'All Fabrikam')!;
    const seen = new Set<string>();
    let url = '/groups/delta?$select=displayName,members';
    let removed: string | null = null;
    for (;;) {
      const r = await graph(url, 3);
      for (const e of r.body['value'] as Record<string, any>[]) if (e['id'] === big.id) for (const m of e['members@delta'] ?? []) seen.add(m['id']);
      // Once part of the big group has been sent, remove a member already sent.
      if (removed === null && seen.size > 0) {
        removed = [...seen][0]!;
        await admin('DELETE', `/tenants/${fab()}/groups/${big.id}/members/${removed}`);
      }
      if (r.body['@odata.deltaLink']) break;
      url = r.body['@odata.nextLink'];
    }
    const unchanged = big.members.map((m) => m.id).filter((id) => id !== removed);
    expect(unchanged.filter((id) => !seen.has(id))).toEqual([]);
    await admin('POST', `/tenants/${fab()}/groups/${big.id}/members`, { id: removed });
  });

  it('groups: membership add and remove in members@delta, a renamed group, a deleted group', async () => {
    const world = (await admin('GET', `/tenants/${fab()}/groups`)).groups as { id: string; displayName: string; members: { id: string }[] }[];
    const users = (await admin('GET', `/tenants/${fab()}/users`)).users as { id: string }[];
    const full = await round('/groups/delta?$select=displayName,members', 50);
    const research = world.find((g) => g.displayName === 'Research')!;
    const svc = world.find((g) => g.displayName === 'Service Accounts')!;
    const leaving = research.members.find((m) => users.some((u) => u.id === m.id))!.id;
    const joining = users.find((u) => !research.members.some((m) => m.id === u.id))!.id;
    await admin('DELETE', `/tenants/${fab()}/groups/${research.id}/members/${leaving}`);
    await admin('POST', `/tenants/${fab()}/groups/${research.id}/members`, { id: joining });
    await admin('PATCH', `/tenants/${fab()}/groups/${world[0]!.id}`, { displayName: 'Everyone' });
    await admin('DELETE', `/tenants/${fab()}/groups/${svc.id}`);
    const inc = await round(full.deltaLink, 50);
    expect(inc.entries).toEqual([
      { id: research.id, displayName: 'Research', 'members@delta': [
        { '@odata.type': '#microsoft.graph.user', id: leaving, '@removed': { reason: 'deleted' } },
        { '@odata.type': '#microsoft.graph.user', id: joining },
      ] },
      { id: world[0]!.id, displayName: 'Everyone', 'members@delta': [] },
      { id: svc.id, '@removed': { reason: 'changed' } },
    ]);
  });

  it('a token older than 7 days is 400 syncStateNotFound; a reset is 410 Gone with Location to start over', async () => {
    const full = await round('/users/delta?$select=displayName');
    sb.faults.set(fab(), 'graph.directory_delta_expired');
    const gone = await graph(full.deltaLink);
    expect(gone.status).toBe(410);
    expect(gone.headers.get('location')).toBe(`${sb.urls.graph}/v1.0/users/delta?$select=displayName`);
    sb.faults.clear();
    expect((await graph(gone.headers.get('location')!)).status).toBe(200);
    now += 8 * 86_400_000;
    tok = ''; // the access token expired too
    const old = await graph(full.deltaLink);
    expect(old.status).toBe(400);
    expect(old.body['error']).toMatchObject({ code: 'syncStateNotFound', message: 'The sync state generation is not found. The delta token is expired and data must be synchronized again.' });
    const garbage = await graph('/users/delta?$deltatoken=not-a-token');
    expect(garbage.status).toBe(400);
  });
});
