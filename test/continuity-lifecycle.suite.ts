import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialect } from '../src/store/db.js';
import { sandboxAdmin, setFault, clearFaults, waitFor } from './support/sandbox-admin.js';
import { continuityWorld, runCycle, userDetail } from './support/continuity.js';

/**
 * Users over time: a preview before saving, new Google accounts waited for, users deleted,
 * disabled or renamed in the source, the mass-deletion guard holding a cycle for approval,
 * quarantine with decaying retries, deletion of the Google accounts Syncwarden created after
 * the deletion delay, a connection failure blocking everyone, and the dashboard's figures.
 */
export function continuityLifecycleSuite(dialect: Dialect): void {
  describe(`continuity user lifecycle on ${dialect}`, () => {
    let world: Awaited<ReturnType<typeof continuityWorld>>;
    let policyId: string;
    let upns: string[];
    const [kept, created, deleted, disabled] = [0, 1, 2, 3];

    beforeAll(async () => {
      world = await continuityWorld(dialect, { workers: 4 });
      const { users } = await sandboxAdmin<{ users: { userPrincipalName: string }[] }>(world.sandbox, 'GET', '/microsoft/users');
      // One user whose Google account exists (the demo pre-creates the first ten), three without.
      upns = [users[2]!, users[13]!, users[15]!, users[17]!].map((u) => u.userPrincipalName);
      // New Google accounts refuse mail for a moment, as real ones do.
      await sandboxAdmin(world.sandbox, 'POST', '/google/quotas', { newUserMailDelayMs: 2_000 });
    });
    afterAll(async () => {
      await world?.close();
    });

    it('selects by group (nested groups count) and directory attributes, and excluded groups win', async () => {
      const { users } = await sandboxAdmin<{ users: { userPrincipalName: string }[] }>(world.sandbox, 'GET', '/microsoft/users');
      // Group rules read memberships by group name: the app needs GroupMember.Read.All too.
      const tenant = world.sandbox.demo.microsoft.tenantId;
      await sandboxAdmin(world.sandbox, 'POST', `/microsoft/tenants/${tenant}/consent`, { permissions: ['User.Read.All', 'Mail.Read', 'GroupMember.Read.All'] });
      await world.app.api(`/connections/${world.sourceId}`, { method: 'PATCH', body: JSON.stringify({ name: 'Northwind M365 (groups)' }) });
      const preview = async (selection: unknown) =>
        (await world.app.api('/policies/preview', { method: 'POST', body: JSON.stringify({ sourceConnectionId: world.sourceId, destinationConnectionId: world.destinationId, selection }) })).body;
      // "Apollo Project" holds the Engineering group (users 0–9, and through it Platform Team) and users 20–21;
      // department Engineering is every sixth user. Both: users 0 and 6.
      const both = await preview({ mode: 'rules', groups: ['Apollo Project'], attributes: [{ attribute: 'department', value: 'engineering' }] });
      expect(both.added.map((a: { email: string }) => a.email).sort()).toEqual([users[0]!.userPrincipalName, users[6]!.userPrincipalName].sort());
      const nested = await preview({ mode: 'rules', groups: ['Apollo Project'] });
      expect(nested.selected).toBe(12);
      const withoutAdmins = await preview({ mode: 'rules', groups: ['Apollo Project'], attributes: [{ attribute: 'department', value: 'Engineering' }], excludeGroups: ['IT Admins'] });
      expect(withoutAdmins.added.map((a: { email: string }) => a.email)).toEqual([users[6]!.userPrincipalName]);
      // Without the permission the rule cannot be evaluated, and the error says which permission to add.
      await sandboxAdmin(world.sandbox, 'POST', `/microsoft/tenants/${tenant}/consent`, { permissions: ['User.Read.All', 'Mail.Read'] });
      await world.app.api(`/connections/${world.sourceId}`, { method: 'PATCH', body: JSON.stringify({ name: 'Northwind M365' }) });
      const denied = await world.app.api('/policies/preview', { method: 'POST', body: JSON.stringify({ sourceConnectionId: world.sourceId, destinationConnectionId: world.destinationId, selection: { mode: 'rules', groups: ['Sales'] } }) });
      expect(denied.body.error.code).toBe('m365.permission_missing');
      expect(denied.body.error.message).toContain('GroupMember.Read.All');
    });

    it('previews a new policy: users added and Google accounts that would be created', async () => {
      const r = await world.app.api('/policies/preview', {
        method: 'POST',
        body: JSON.stringify({ sourceConnectionId: world.sourceId, destinationConnectionId: world.destinationId, selection: { mode: 'list', include: upns } }),
      });
      expect(r.status).toBe(200);
      expect(r.body.added.map((x: { email: string }) => x.email).sort()).toEqual([...upns].sort());
      expect(r.body.added.filter((x: { createsAccount: boolean }) => x.createsAccount).map((x: { email: string }) => x.email).sort()).toEqual(upns.slice(1).sort());
      expect(r.body.accountsToCreate).toBe(3);
      expect(r.body.removed).toEqual([]);
      expect(r.body.held).toBeNull();
    });

    it('creates the missing Google accounts and waits for each until it accepts imports', async () => {
      const p = await world.app.api('/policies', {
        method: 'POST',
        body: JSON.stringify({ name: 'Lifecycle', sourceConnectionId: world.sourceId, destinationConnectionId: world.destinationId, selection: { mode: 'list', include: upns }, deletionDelayDays: 0 }),
      });
      expect(p.status).toBe(201);
      policyId = p.body.id;
      const seen = new Set<string>();
      const watch = setInterval(() => {
        void world.app.api(`/sync/users?policyId=${policyId}`).then((r) => {
          for (const u of r.body?.users ?? []) if (u.lastError?.code) seen.add(`${u.status}:${u.lastError.code}`);
        });
      }, 100);
      const users = await runCycle(world.app, policyId);
      clearInterval(watch);
      expect(users.map((u) => u.status)).toEqual(['synced', 'synced', 'synced', 'synced']);
      expect(seen.has('pending:google.user_not_ready')).toBe(true);
      for (const i of [created, deleted, disabled]) expect((await userDetail(world.app, upns[i]!)).destinationCreated).toBe(true);
      expect((await userDetail(world.app, upns[kept]!)).destinationCreated).toBe(false);
    });

    it('previews a rule change: who leaves, which accounts would be deleted, and that the guard would hold it', async () => {
      const r = await world.app.api('/policies/preview', { method: 'POST', body: JSON.stringify({ policyId, selection: { mode: 'list', include: upns.slice(0, 3) } }) });
      expect(r.body.removed.map((x: { email: string }) => x.email)).toEqual([upns[disabled]]);
      expect(r.body.accountsToDelete.map((x: { email: string }) => x.email)).toEqual([upns[disabled]]);
      expect(r.body.held).toEqual({ percent: 25, threshold: 10 });
    });

    it('holds a cycle that would remove too many users; the user keeps failing, is quarantined, and retried less often', async () => {
      await setFault(world.sandbox, 'm365.user_deleted', '*', { user: upns[deleted]! });
      for (let i = 0; i < 5; i++) await runCycle(world.app, policyId);
      const policy = (await world.app.api(`/policies/${policyId}`)).body;
      expect(policy.heldCycle.removals.map((x: { email: string }) => x.email)).toEqual([upns[deleted]]);
      expect(policy.heldCycle.percent).toBe(25);
      const held = (await world.app.api('/audit?action=policy.cycle&limit=20')).body.events.filter((e: { action: string }) => e.action === 'policy.cycle_held');
      expect(held).toHaveLength(1); // once, not every cycle
      const u = await userDetail(world.app, upns[deleted]!);
      expect(u.status).toBe('quarantined');
      expect(u.lastError?.code).toBe('sync.user_not_found_in_source');
      expect(u.consecutiveFailures).toBe(5);
      // Decaying: the next attempt is twice the schedule away, not the next cycle.
      expect(Date.parse(u.nextSyncAt!) - Date.now()).toBeGreaterThan(25 * 60_000);
      const dash = (await world.app.api('/dashboard')).body;
      expect(dash.failedUsers).toBe(1);
      expect(dash.policies.held).toBe(1);
      const why = (await world.app.api(`/sync/users/${u.id}/explain`)).body;
      expect(why.steps.find((s: { step: string }) => s.step === 'selection').status).toBe('fail');
      expect(why.steps.find((s: { step: string }) => s.step === 'status').status).toBe('fail');
    });

    it('approving the held cycle excludes the deleted user and deletes the Google account Syncwarden created', async () => {
      const r = await world.app.api(`/policies/${policyId}/held-cycle/approve`, { method: 'POST' });
      expect(r.status).toBe(200);
      expect(r.body.heldCycle).toBeNull();
      const u = await waitFor('the exclusion and deletion', async () => {
        const d = await userDetail(world.app, upns[deleted]!);
        return d.status === 'excluded' && d.exclusion?.destinationDeletedAt ? d : undefined;
      });
      expect(u.exclusion!.reason).toBe('deleted_in_source');
      const google = await sandboxAdmin<{ users: { primaryEmail: string }[] }>(world.sandbox, 'GET', '/google/users');
      expect(google.users.map((g) => g.primaryEmail)).not.toContain(u.destinationEmail);
      const audit = (await world.app.api('/audit?action=provisioning&limit=50')).body.events.map((e: { action: string }) => e.action);
      expect(audit).toContain('provisioning.user_deleted');
    });

    it('a disabled user is excluded on the next cycle, its account scheduled for deletion after the delay; back in the source, it is kept', async () => {
      await world.app.api(`/policies/${policyId}`, { method: 'PATCH', body: JSON.stringify({ deletionDelayDays: 30, massDeletionPercent: 50 }) });
      await setFault(world.sandbox, 'm365.user_disabled', '*', { user: upns[disabled]! });
      await runCycle(world.app, policyId);
      const gone = await userDetail(world.app, upns[disabled]!);
      expect(gone.status).toBe('excluded');
      expect(gone.exclusion!.reason).toBe('disabled_in_source');
      expect(Date.parse(gone.exclusion!.deleteAfter!) - Date.now()).toBeGreaterThan(29 * 86_400_000);
      await sandboxAdmin(world.sandbox, 'POST', '/faults', { name: 'm365.user_disabled', scope: '*', on: false });
      await runCycle(world.app, policyId);
      const back = await userDetail(world.app, upns[disabled]!);
      expect(back.status).toBe('synced');
      expect(back.exclusion).toBeNull();
      const detail = await world.app.rt.store.db.selectFrom('sync_users').select(['delete_after']).where('id', '=', back.id).executeTakeFirstOrThrow();
      expect(detail.delete_after).toBeNull();
    });

    it('a user renamed in the source keeps syncing into the same Google account', async () => {
      const to = `renamed.${upns[kept]!}`;
      await world.app.api(`/policies/${policyId}`, { method: 'PATCH', body: JSON.stringify({ selection: { mode: 'list', include: [...upns, to] } }) });
      await setFault(world.sandbox, 'm365.user_renamed', '*', { user: upns[kept]!, to });
      await runCycle(world.app, policyId);
      const u = await userDetail(world.app, to);
      expect(u.email).toBe(to);
      expect(u.destinationEmail).toBe(upns[kept]);
      expect(u.status).toBe('synced');
      const audit = (await world.app.api('/audit?action=sync.user&limit=50')).body.events.map((e: { action: string }) => e.action);
      expect(audit).toContain('sync.user_renamed');
      await sandboxAdmin(world.sandbox, 'POST', '/faults', { name: 'm365.user_renamed', scope: '*', on: false });
    });

    it('a broken connection blocks every user behind it, and they resume once it works', async () => {
      await setFault(world.sandbox, 'm365.consent_revoked');
      // Access tokens already issued stay valid until they expire (as Entra's do): editing the
      // connection makes Syncwarden sign in afresh, and the new token carries no permissions.
      await world.app.api(`/connections/${world.sourceId}`, { method: 'PATCH', body: JSON.stringify({ name: 'Northwind M365 (edited)' }) });
      await runCycle(world.app, policyId, { settled: (u) => u.status === 'blocked' || u.status === 'excluded' });
      const users = (await world.app.api(`/sync/users?policyId=${policyId}`)).body.users as { status: string; lastError: { code: string } | null }[];
      const active = users.filter((u) => u.status !== 'excluded');
      expect(active.every((u) => u.status === 'blocked')).toBe(true);
      expect(active[0]!.lastError?.code).toBe('m365.permission_missing');
      const conn = (await world.app.api(`/connections/${world.sourceId}`)).body;
      expect(conn.status).toBe('error');
      const why = (await world.app.api(`/sync/users/${encodeURIComponent(upns[created]!)}/explain`)).body;
      expect(why.steps.find((s: { step: string; title: string }) => s.step === 'connections' && s.title.startsWith('Source')).status).toBe('fail');
      await clearFaults(world.sandbox);
      expect((await world.app.api(`/connections/${world.sourceId}/test`, { method: 'POST' })).body.ok).toBe(true);
      const after = await runCycle(world.app, policyId);
      expect(after.filter((u) => u.status !== 'excluded').every((u) => u.status === 'synced')).toBe(true);
      // Clearing the faults also restored the deleted user in the source: selected again, it is
      // back (with a new Google account, since its old one was deleted).
      const back = await userDetail(world.app, upns[deleted]!);
      expect(back.status).toBe('synced');
      expect(back.exclusion).toBeNull();
    });

    it('the dashboard shows data and users synced, changes in 24 h, failed users and the oldest successful sync', async () => {
      const d = (await world.app.api('/dashboard')).body;
      expect(d.usersSynced).toBe(4);
      expect(d.failedUsers).toBe(0);
      expect(d.itemsImported).toBeGreaterThan(0);
      expect(d.dataSyncedBytes).toBeGreaterThan(d.itemsImported * 100);
      // Activity counts every import that happened, including a returning user's.
      expect(d.changes24h.imported).toBeGreaterThanOrEqual(d.itemsImported);
      expect(d.changes24h.total).toBeGreaterThanOrEqual(d.changes24h.imported);
      expect(Date.parse(d.oldestSuccessfulSync)).toBeLessThanOrEqual(Date.now());
      expect(d.neverSynced).toBe(0);
    });
  });
}
