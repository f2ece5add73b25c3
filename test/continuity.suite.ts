import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialect } from '../src/store/db.js';
import { sandboxAdmin, waitFor } from './support/sandbox-admin.js';
import { continuityWorld, destinationMessages, expectedMessageIds, syncUsers, waitForQuiet } from './support/continuity.js';

/**
 * The foundation's end-to-end path, as `npm start` composes it: connections created and
 * tested through the API, a policy enabled, a cycle run by the scheduler and workers; then
 * the sandbox's Gmail must hold exactly the source messages of the window, and a second
 * cycle must import nothing again.
 */
export function continuitySuite(dialect: Dialect): void {
  describe(`continuity end to end on ${dialect}`, () => {
    let world: Awaited<ReturnType<typeof continuityWorld>>;
    beforeAll(async () => {
      world = await continuityWorld(dialect);
    });
    afterAll(async () => {
      await world?.close();
    });

    it('tests both connections: Active, with the green result', async () => {
      for (const id of [world.sourceId, world.destinationId]) {
        const r = await world.app.api(`/connections/${id}/test`, { method: 'POST' });
        expect(r.status).toBe(200);
        expect(r.body.findings.filter((f: { status: string }) => f.status === 'fail')).toEqual([]);
        expect(r.body.ok).toBe(true);
        expect(r.body.connection.status).toBe('active');
      }
    });

    it('an enabled policy syncs every user: the destination holds exactly the source messages of the window', async () => {
      await world.createPolicy(true);
      const users = await waitForQuiet(world.app, 25);
      expect(users.filter((u) => u.status !== 'synced').map((u) => [u.email, u.status, u.lastError?.code])).toEqual([]);
      let total = 0;
      for (const u of users) {
        const expected = await expectedMessageIds(world.sandbox, u.email, 30);
        const got = (await destinationMessages(world.sandbox, u.destinationEmail)).map((m) => m.rfc822MessageId ?? 'none');
        expect(new Set(got).size, `${u.email}: no duplicates`).toBe(got.length);
        const gotSet = new Set(got);
        for (const id of expected.must) expect(gotSet.has(id), `${u.email} lacks ${id}`).toBe(true);
        for (const id of gotSet) expect(expected.must.has(id) || expected.may.has(id), `${u.email} has unexpected ${id}`).toBe(true);
        expect(u.imported).toBe(got.length);
        expect(u.exported).toBe(u.imported + u.failedItems);
        total += got.length;
      }
      expect(total).toBeGreaterThan(500);
    });

    it('maps folders and state to labels', async () => {
      const { users } = await syncUsers(world.app);
      const busiest = users.sort((a, b) => b.imported - a.imported)[0]!;
      const msgs = await destinationMessages(world.sandbox, busiest.destinationEmail);
      const names = new Set(msgs.flatMap((m) => m.labelNames));
      expect(names.has('INBOX')).toBe(true);
      expect(names.has('SENT')).toBe(true);
      expect([...names].some((n) => n === 'Inbox (Outlook)/Projects' || n === 'Inbox (Outlook)/Projects/Apollo')).toBe(true);
      expect(msgs.some((m) => m.labelIds.includes('UNREAD'))).toBe(true);
    });

    it('provisioned the missing Google accounts and audited it', async () => {
      const audit = await world.app.api('/audit?limit=1000');
      const actions = audit.body.events.map((e: { action: string }) => e.action);
      expect(actions).toEqual(expect.arrayContaining(['connection.created', 'connection.tested', 'policy.created', 'provisioning.user_created', 'sync.user_synced']));
      const created = audit.body.events.filter((e: { action: string }) => e.action === 'provisioning.user_created').length;
      expect(created).toBeGreaterThanOrEqual(10);
    });

    it('a second cycle imports nothing again', async () => {
      const before = await sandboxAdmin<{ imports: number }>(world.sandbox, 'GET', '/google/stats');
      const { users: was } = await syncUsers(world.app);
      const policies = (await world.app.api('/policies')).body.policies as { id: string }[];
      const started = new Date().toISOString();
      expect((await world.app.api(`/policies/${policies[0]!.id}/run`, { method: 'POST' })).status).toBe(202);
      await waitFor('every user to finish the second cycle', async () => {
        const { users } = await syncUsers(world.app);
        return users.every((u) => u.lastSyncAt !== null && u.lastSyncAt > started) ? users : undefined;
      });
      await waitForQuiet(world.app, 25);
      const after = await sandboxAdmin<{ imports: number }>(world.sandbox, 'GET', '/google/stats');
      expect(after.imports).toBe(before.imports);
      const { users: now } = await syncUsers(world.app);
      expect(now.map((u) => [u.email, u.imported]).sort()).toEqual(was.map((u) => [u.email, u.imported]).sort());
    });
  });
}
