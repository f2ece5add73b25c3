import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialect } from '../src/store/db.js';
import { runDirectorySync, stepDirectorySync } from '../src/directory/sync/run.js';
import { directoryWorld, snapshot } from './support/directory.js';
import { sandboxAdmin } from './support/sandbox-admin.js';
import { scimBody } from './support/connections.js';

type ScimUser = { id: string; active?: boolean; userType?: string };

/**
 * Issue 10: the mass-removal guard of directory syncs. A full pass whose provider no longer
 * lists more than the connection's share (default 10 %) of its accounts is held with the
 * numbers and a sample, removing nothing, and blocks other runs; approving applies exactly
 * those removals; rejecting removes nothing and the next sync asks again; the share is a
 * setting of the connection; every step is audited. Against the sandbox over HTTP, through
 * the real store and the REST API.
 */
export function directoryGuardSuite(dialect: Dialect): void {
  describe(`directory mass-removal guard on ${dialect}`, () => {
    let world: Awaited<ReturnType<typeof directoryWorld>>;
    let id: string;
    const tenant = () => world.sandbox.demo.scim.tenant;
    const run = () => runDirectorySync(world.app.rt, world.tenantId, id, { mode: 'full' });
    const users = async () => (await sandboxAdmin<{ resources: ScimUser[] }>(world.sandbox, 'GET', `/scim/tenants/${tenant()}/users`)).resources.filter((u) => u.active !== false && u.userType !== 'Guest');
    const removeUsers = async (n: number) => {
      const gone = (await users()).slice(0, n).map((u) => u.id);
      for (const u of gone) await sandboxAdmin(world.sandbox, 'DELETE', `/scim/tenants/${tenant()}/users/${u}`);
      return gone;
    };
    /** What removals would change (group rows change anyway: their member lists moved). */
    const kept = async () => {
      const s = await snapshot(world.app, id);
      return { accounts: s['accounts'], memberships: s['memberships'] };
    };
    const audit = async () => {
      const r = await world.app.api('/audit?limit=1000');
      expect(r.status).toBe(200);
      return (r.body.events as { action: string }[]).map((a) => a.action);
    };

    beforeAll(async () => {
      world = await directoryWorld(dialect, { worker: true });
      id = await world.connect(scimBody(world.sandbox, { name: 'SCIM guard' }));
      const first = await run();
      expect(first.status, JSON.stringify(first.error)).toBe('succeeded');
    });
    afterAll(async () => world?.close());

    it('removals over 10% are held with the numbers and a sample; nothing is removed and no other run starts', async () => {
      const before = await kept();
      const accounts = before.accounts!.length;
      const gone = await removeUsers(Math.ceil(accounts * 0.2));
      const r = await run();
      expect(r.status, JSON.stringify(r)).toBe('held');
      expect(r.removed).toBe(0);
      expect(r.error?.code).toBe('directory.removals_held');
      expect(r.held!.threshold).toBe(10);
      expect(r.held!.kinds.find((k) => k.kind === 'accounts')).toMatchObject({ before: accounts, removed: gone.length });
      expect(r.held!.sample.some((s) => gone.some((g) => s.includes(g)))).toBe(true);
      expect(await kept()).toEqual(before);
      // The connection's Directory status says so, and a next step does not start another run.
      const st = await world.app.api(`/connections/${id}/directory`);
      expect(st.body.state).toBe('held');
      expect(st.body.message).toMatch(/Removals held for approval: \d+ of \d+ accounts/);
      expect((await stepDirectorySync(world.app.rt, world.tenantId, id, { mode: 'full' })).status).toBe('held');
      expect(await audit()).toContain('directory.removals_held');
    });

    it('approval applies exactly the held removals and is audited', async () => {
      const before = (await snapshot(world.app, id))['accounts']!.length;
      const held = (await world.app.api(`/connections/${id}/directory`)).body.activeRun.held;
      const removedAccounts = held.kinds.find((k: { kind: string }) => k.kind === 'accounts').removed as number;
      const r = await world.app.api(`/connections/${id}/directory/held-removals/approve`, { method: 'POST' });
      expect(r.status, r.text).toBe(200);
      await world.app.worker!.drain();
      const st = (await world.app.api(`/connections/${id}/directory`)).body;
      expect(st.state, JSON.stringify(st)).toBe('succeeded');
      expect(st.lastRun.removed).toBeGreaterThanOrEqual(removedAccounts);
      expect((await snapshot(world.app, id))['accounts']!.length).toBe(before - removedAccounts);
      expect(await audit()).toContain('directory.removals_approved');
      // Nothing waits any more.
      const again = await world.app.api(`/connections/${id}/directory/held-removals/approve`, { method: 'POST' });
      expect(again.status).toBe(409);
      expect(again.body.code ?? again.body.error?.code).toBe('directory.no_held_removals');
    });

    it('rejection removes nothing; the next sync asks again while the objects are still missing', async () => {
      const before = await kept();
      await removeUsers(Math.ceil(before.accounts!.length * 0.2));
      expect((await run()).status).toBe('held');
      const r = await world.app.api(`/connections/${id}/directory/held-removals/reject`, { method: 'POST' });
      expect(r.status, r.text).toBe(200);
      expect(r.body.state).toBe('failed');
      expect(r.body.lastRun.error.code).toBe('directory.removals_held');
      expect(await kept()).toEqual(before);
      expect(await audit()).toContain('directory.removals_rejected');
      const next = await run();
      expect(next.status).toBe('held');
      expect(await kept()).toEqual(before);
      await world.app.api(`/connections/${id}/directory/held-removals/reject`, { method: 'POST' });
    });

    it('the share is a setting of the connection: at 50% the same removals apply at once', async () => {
      const patch = await world.app.api(`/connections/${id}`, { method: 'PATCH', body: JSON.stringify({ config: { massRemovalPercent: 50 } }) });
      expect(patch.status, patch.text).toBe(200);
      const before = (await snapshot(world.app, id))['accounts']!.length;
      const r = await run();
      expect(r.status, JSON.stringify(r)).toBe('succeeded');
      expect(r.removed).toBeGreaterThan(0);
      expect((await snapshot(world.app, id))['accounts']!.length).toBeLessThan(before);
    });
  });
}
