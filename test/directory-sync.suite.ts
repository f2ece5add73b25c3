import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialect } from '../src/store/db.js';
import { runDirectorySync, stepDirectorySync } from '../src/directory/sync/run.js';
import { directoryStatus, listRuns } from '../src/directory/views.js';
import { queueDirectorySync } from '../src/directory/jobs.js';
import { queueDueDirectorySyncs, STAGGER_MS } from '../src/directory/schedule.js';
import { danglingReferences } from '../src/directory/sync/checks.js';
import { directoryWorld, snapshot } from './support/directory.js';
import { sandboxAdmin, setFault, clearFaults } from './support/sandbox-admin.js';
import { awsBody, entraDirectoryBody, googleDirectoryBody, scimBody } from './support/connections.js';

/**
 * The identity inventory's sync against the sandbox over HTTP, through the real store: what a
 * complete read stores, that nothing changes when nothing changed, that changes arrive by
 * delta and equal a fresh full read, that an expired change feed, a crash-like stop, a throttle
 * and a lost permission each end the way the issue asks (never a lie, never a loss).
 */
export function directorySyncSuite(dialect: Dialect): void {
  describe(`directory sync on ${dialect}`, () => {
    let world: Awaited<ReturnType<typeof directoryWorld>>;
    let entra: string;
    const ms = () => world.sandbox.demo.microsoft;
    const t = () => ms().directoryTenantId;
    const run = (id: string, mode: 'full' | 'auto' | 'delta' = 'auto') => runDirectorySync(world.app.rt, world.tenantId, id, { mode });
    /** A second connection to the same tenant, read in full now: the truth to compare with. */
    async function truthOf(body: unknown): Promise<Record<string, string[]>> {
      const id = await world.connect(body);
      const r = await run(id, 'full');
      expect(['succeeded', 'warning']).toContain(r.status);
      return snapshot(world.app, id);
    }

    beforeAll(async () => {
      world = await directoryWorld(dialect, { worker: true });
      entra = await world.connect(entraDirectoryBody(world.sandbox, { name: 'Fabrikam directory' }));
    });
    afterAll(async () => world?.close());

    it('a first full sync stores members, groups, memberships, roles and app roles; guests and disabled accounts are counted, not stored', async () => {
      const r = await run(entra, 'full');
      expect(r.status, JSON.stringify(r.error)).toBe('succeeded');
      expect(r.mode).toBe('full');
      const users = (await sandboxAdmin<{ users: { id: string; userType: string; accountEnabled: boolean }[] }>(world.sandbox, 'GET', `/microsoft/tenants/${t()}/users`)).users;
      const members = users.filter((u) => u.userType === 'Member' && u.accountEnabled);
      expect(r.counts!.accounts).toBe(members.length);
      expect(r.excluded).toEqual({ guests: users.filter((u) => u.userType === 'Guest').length, external: 0, disabled: users.filter((u) => u.userType === 'Member' && !u.accountEnabled).length });
      expect(r.counts!.groups).toBeGreaterThan(0);
      expect(r.counts!.memberships).toBeGreaterThan(0);
      expect(r.counts!.entitlements).toBeGreaterThan(0);
      expect(r.counts!.grants).toBeGreaterThan(0);
      expect(r.checks).toEqual({ danglingMemberships: 0, danglingGrants: 0, samples: [] });
      expect(r.added).toBe(Object.values(r.counts!).reduce((a, n) => a + n, 0));
      const snap = await snapshot(world.app, entra);
      expect(snap['accounts']!.map((a) => a.split('|')[0]).sort()).toEqual(members.map((u) => u.id).sort());
      // The connection card says what the scope left out (recorded on the connection).
      const conn = await world.app.api(`/connections/${entra}`);
      expect(JSON.stringify(conn.body)).toMatch(/guest/i);
    });

    it('a re-sync with nothing changed keeps every page, writes nothing and reports no change', async () => {
      const before = await snapshot(world.app, entra);
      const r = await run(entra, 'full');
      expect(r.status).toBe('succeeded');
      expect(r.pagesUnchanged).toBe(r.pagesRead);
      expect([r.added, r.changed, r.removed]).toEqual([0, 0, 0]);
      expect(await snapshot(world.app, entra)).toEqual(before);
    });

    it('changes arrive by delta: added, changed and removed objects, equal to a fresh full read', async () => {
      const admin = (m: string, p: string, b?: unknown) => sandboxAdmin(world.sandbox, m, `/microsoft/tenants/${t()}${p}`, b);
      const added = await admin('POST', '/users', { userPrincipalName: 'new.hire@fabrikam.test', displayName: 'New Hire', employeeId: 'FAB-900' }) as { id: string };
      const users = (await admin('GET', '/users') as { users: { id: string; userType: string; accountEnabled: boolean }[] }).users.filter((u) => u.userType === 'Member' && u.accountEnabled && u.id !== added.id);
      await admin('DELETE', `/users/${users[0]!.id}?permanent=1`);
      await admin('PATCH', `/users/${users[1]!.id}`, { displayName: 'Renamed Person' });
      const groups = (await admin('GET', '/groups') as { groups: { id: string; members: { id: string }[] }[] }).groups;
      await admin('POST', `/groups/${groups[0]!.id}/members`, { id: added.id });
      const r = await run(entra, 'auto');
      expect(r.mode).toBe('delta');
      expect(r.status, JSON.stringify(r.error)).toBe('succeeded');
      expect(r.added).toBeGreaterThanOrEqual(2); // the user and the membership
      expect(r.changed).toBeGreaterThanOrEqual(1);
      expect(r.removed).toBeGreaterThanOrEqual(1);
      const mine = await snapshot(world.app, entra);
      expect(mine['accounts']!.some((a) => a.startsWith(`${added.id}|`))).toBe(true);
      expect(mine['accounts']!.some((a) => a.startsWith(`${users[0]!.id}|`))).toBe(false);
      expect(mine['memberships']).toContain(`${groups[0]!.id}|${added.id}|account|null`);
      expect(mine).toEqual(await truthOf(entraDirectoryBody(world.sandbox, { name: 'Truth after delta' })));
      // The next full pass finds the pages the delta changed and agrees with it.
      const full = await run(entra, 'full');
      expect([full.added, full.removed]).toEqual([0, 0]);
      expect(await snapshot(world.app, entra)).toEqual(mine);
    });

    it('an expired change feed falls back to reading in full, and still equals the truth', async () => {
      await sandboxAdmin(world.sandbox, 'POST', `/microsoft/tenants/${t()}/users`, { userPrincipalName: 'late.joiner@fabrikam.test', displayName: 'Late Joiner' });
      await setFault(world.sandbox, 'graph.directory_delta_expired');
      try {
        const r = await run(entra, 'auto');
        expect(r.status, JSON.stringify(r.error)).toBe('succeeded');
        expect(r.trigger).toBe('delta_expired');
        expect(r.added).toBeGreaterThanOrEqual(1);
      } finally {
        await clearFaults(world.sandbox);
      }
      expect(await snapshot(world.app, entra)).toEqual(await truthOf(entraDirectoryBody(world.sandbox, { name: 'Truth after expiry' })));
      expect((await run(entra, 'auto')).mode).toBe('delta');
    });

    it('a user removed by delta takes its grants along; the page that listed them is re-read by the next full pass', async () => {
      // The generated tenant keeps listing app role assignments of a deleted user (as Graph may
      // for a soft-deleted one): the page is unchanged while the inventory lost the grant.
      await sandboxAdmin(world.sandbox, 'POST', '/microsoft/tenants/large', { users: 2000, groups: 200, memberships: 20000 });
      const large = ms().largeTenantId;
      const id = await world.connect(entraDirectoryBody(world.sandbox, { name: 'Generated tenant', tenantId: large }));
      expect((await run(id, 'full')).status).toBe('succeeded');
      const db = world.app.rt.store.db;
      const grant = await db.selectFrom('dir_grants').select(['principal_id']).where('connection_id', '=', id).where('principal_type', '=', 'account').where('page_key', 'like', 'app_roles%').executeTakeFirstOrThrow();
      await sandboxAdmin(world.sandbox, 'DELETE', `/microsoft/tenants/${large}/users/${grant.principal_id}`);
      const delta = await run(id, 'auto');
      expect(delta.mode).toBe('delta');
      expect(await db.selectFrom('dir_grants').select('principal_id').where('connection_id', '=', id).where('principal_id', '=', grant.principal_id).execute()).toEqual([]);
      const full = await run(id, 'full');
      // The provider still lists the grant of an account it no longer returns: a dangling reference, said so.
      expect(full.status).toBe('warning');
      expect(full.checks!.danglingGrants).toBeGreaterThan(0);
      expect(await snapshot(world.app, id)).toEqual(await truthOf(entraDirectoryBody(world.sandbox, { name: 'Generated truth', tenantId: large })));
    });

    it('a run stopped between pages resumes from its checkpoint: same run, nothing lost or counted twice', async () => {
      const id = await world.connect(entraDirectoryBody(world.sandbox, { name: 'Stopped and resumed' }));
      const stop = new AbortController();
      let requests = 0;
      const counting: typeof fetch = (input, init) => {
        requests += 1;
        if (requests === 4) stop.abort();
        return fetch(input, init);
      };
      const first = await stepDirectorySync(world.app.rt, world.tenantId, id, { mode: 'full', signal: stop.signal, http: { fetch: counting } });
      expect(first.status).toBe('interrupted');
      const mid = (await listRuns(world.app.rt, world.tenantId, id))[0]!;
      expect(mid.status).toBe('running');
      expect(mid.progress).not.toBeNull();
      expect((await directoryStatus(world.app.rt, world.tenantId, id)).state).toBe('running');
      const done = await run(id, 'full');
      expect(done.id).toBe(first.runId);
      expect(done.status).toBe('succeeded');
      expect(done.added).toBe(Object.values(done.counts!).reduce((a, n) => a + n, 0));
      expect(await snapshot(world.app, id)).toEqual(await snapshot(world.app, entra));
    });

    it('throttled by the provider: the run parks with "Throttled, resumes at …" and later finishes from where it stopped', async () => {
      const id = await world.connect(entraDirectoryBody(world.sandbox, { name: 'Throttled directory' }));
      await setFault(world.sandbox, 'graph.identity_throttle', '*', { retryAfterSeconds: 2, everyNth: 1 });
      let out;
      try {
        out = await stepDirectorySync(world.app.rt, world.tenantId, id, { mode: 'full', http: { maxInlineWaitMs: 0, maxRetries: 0 } });
      } finally {
        await clearFaults(world.sandbox);
      }
      expect(out.status).toBe('throttled');
      const st = await directoryStatus(world.app.rt, world.tenantId, id);
      expect(st.state).toBe('throttled');
      expect(st.message).toMatch(/^Throttled, resumes at \d\d:\d\d UTC$/);
      expect(st.activeRun?.error?.code).toBe('directory.throttled');
      // The provider's Retry-After holds the tenant's shared budget for every connection to it.
      await new Promise((r) => setTimeout(r, Date.parse(st.throttledUntil!) - Date.now() + 100));
      const done = await run(id, 'full');
      expect(done.id).toBe(out.runId);
      expect(done.status).toBe('succeeded');
      expect(await snapshot(world.app, id)).toEqual(await snapshot(world.app, entra));
    });

    it('a read refused for want of permission fails the run with that error and removes nothing', async () => {
      const before = await snapshot(world.app, entra);
      const granted = (await sandboxAdmin<{ consent: { granted: string[] } }>(world.sandbox, 'GET', `/microsoft/tenants/${t()}`)).consent.granted;
      await sandboxAdmin(world.sandbox, 'POST', `/microsoft/tenants/${t()}/consent`, { permissions: granted.filter((p) => p !== 'GroupMember.Read.All' && p !== 'Group.Read.All' && p !== 'Directory.Read.All') });
      try {
        const r = await run(entra, 'full');
        expect(r.status).toBe('failed');
        expect(r.error?.code).toMatch(/permission/);
        expect(r.removed).toBe(0);
        expect(await snapshot(world.app, entra)).toEqual(before);
        const st = await directoryStatus(world.app.rt, world.tenantId, entra);
        expect(st.state).toBe('failed');
        expect(st.counts).toEqual((await listRuns(world.app.rt, world.tenantId, entra)).find((x) => x.status === 'succeeded')!.counts);
        const audit = await world.app.api('/audit?limit=20');
        expect(JSON.stringify(audit.body)).toContain('directory.sync_failed');
      } finally {
        await sandboxAdmin(world.sandbox, 'POST', `/microsoft/tenants/${t()}/consent`, { permissions: granted });
      }
      expect((await run(entra, 'full')).status).toBe('succeeded');
    });

    it('switching on a scope switch brings the accounts it excluded in', async () => {
      const conn = await world.app.api(`/connections/${entra}`);
      const r0 = await world.app.api(`/connections/${entra}`, { method: 'PATCH', body: JSON.stringify({ config: { ...conn.body.config, scope: { includeGuests: true, includeExternal: true, includeDisabled: false } } }) });
      expect(r0.status, r0.text).toBe(200);
      const r = await run(entra, 'full');
      expect(r.status).toBe('succeeded');
      expect(r.excluded!.guests).toBe(0);
      expect(r.added).toBeGreaterThan(0);
      const snap = await snapshot(world.app, entra);
      expect(snap['accounts']!.some((a) => a.endsWith('|guest|' + a.split('|').pop()))).toBe(true);
    });

    it('post-sync checks name a membership whose group the read did not return', async () => {
      const db = world.app.rt.store.db;
      const m = await db.selectFrom('dir_memberships').selectAll().where('connection_id', '=', entra).limit(1).executeTakeFirstOrThrow();
      await db.deleteFrom('dir_groups').where('connection_id', '=', entra).where('external_id', '=', m.group_id).execute();
      const c = await danglingReferences(db, { tenantId: world.tenantId, connectionId: entra });
      expect(c.danglingMemberships).toBeGreaterThan(0);
      expect(c.samples[0]).toContain(m.group_id);
      // A full pass re-reads the group, and the next check is clean again.
      await db.updateTable('dir_pages').set({ hash: null }).where('connection_id', '=', entra).execute();
      const r = await run(entra, 'full');
      expect(r.checks!.danglingMemberships).toBe(0);
    });

    it.each([
      ['Google Workspace', () => googleDirectoryBody(world.sandbox, { name: 'Northwind directory' })],
      ['AWS IAM', () => awsBody(world.sandbox, { name: 'AWS account' })],
      ['SCIM', () => scimBody(world.sandbox, { name: 'SCIM app' })],
    ])('%s: a full sync, then a re-sync that changes nothing', async (_name, body) => {
      const id = await world.connect(body());
      const a = await run(id, 'full');
      expect(a.status, JSON.stringify(a.error)).toBe('succeeded');
      expect(a.counts!.accounts).toBeGreaterThan(0);
      expect(a.counts!.groups).toBeGreaterThan(0);
      expect(a.counts!.memberships).toBeGreaterThan(0);
      expect(a.checks!.danglingMemberships + a.checks!.danglingGrants).toBe(0);
      const snap = await snapshot(world.app, id);
      const b = await run(id, 'auto');
      expect(b.status).toBe('succeeded');
      expect(b.added + b.removed).toBe(0);
      // AWS access keys report their last use, which our own reads move: content, not identity.
      expect(Object.fromEntries(Object.entries(await snapshot(world.app, id)).map(([k, v]) => [k, v.length]))).toEqual(Object.fromEntries(Object.entries(snap).map(([k, v]) => [k, v.length])));
    });

    it('through the job queue: Sync now runs on a worker and the history shows it', async () => {
      expect(await queueDirectorySync(world.app.rt, world.tenantId, entra, 'full')).toBe(true);
      expect((await directoryStatus(world.app.rt, world.tenantId, entra)).state).toBe('queued');
      await world.app.worker!.drain();
      const st = await directoryStatus(world.app.rt, world.tenantId, entra);
      expect(st.state).toBe('succeeded');
      expect(st.lastRun!.trigger).toBe('manual');
      expect(st.nextDeltaAt).not.toBeNull();
      const history = await world.app.api(`/connections/${entra}/directory/runs`);
      expect(history.status).toBe(200);
      expect(history.body.items.length).toBeGreaterThanOrEqual(5);
    });

    it('connections that share a provider quota never start full syncs together: the scheduler staggers them', async () => {
      const db = world.app.rt.store.db;
      await db.deleteFrom('jobs').execute();
      const a = await world.connect(entraDirectoryBody(world.sandbox, { name: 'Same tenant A' }));
      const b = await world.connect(entraDirectoryBody(world.sandbox, { name: 'Same tenant B' }));
      const g = await world.connect(googleDirectoryBody(world.sandbox, { name: 'Other provider' }));
      await queueDueDirectorySyncs(world.app.rt);
      const queued = (await db.selectFrom('jobs').select('payload_json').where('kind', '=', 'directory.sync').execute()).map((j) => JSON.parse(j.payload_json).connectionId as string);
      expect(queued).toContain(g);
      expect(queued.filter((x) => x === a || x === b)).toHaveLength(1);
      const later = queued.includes(a) ? b : a;
      const st = await db.selectFrom('dir_state').select('next_full_at').where('connection_id', '=', later).executeTakeFirstOrThrow();
      expect(Date.parse(st.next_full_at!) - Date.now()).toBeGreaterThan(STAGGER_MS - 60_000);
    });
  });
}
