import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialect } from '../src/store/db.js';
import { runDirectorySync } from '../src/directory/sync/run.js';
import { correlateIdentities } from '../src/directory/correlation/correlate.js';
import { verifyAfterSync } from '../src/campaigns/verify.js';
import { directoryWorld } from './support/directory.js';
import { clearFaults, sandboxAdmin, setFault, waitFor } from './support/sandbox-admin.js';
import { scimBody } from './support/connections.js';
import { apiClient, ensureUser, tokenFor, type ApiFn } from './support/auth.js';

/**
 * Issue 13: certification campaigns through the REST API, against the sandbox's SCIM app
 * (Northwind's expense app: staff report to their department's head, heads to the first head),
 * synced into the inventory. Preview, snapshot, reviewers (manager; self → fallback), a
 * reviewer's own inbox only, decisions (single, bulk, recommendation), reassignment, close with
 * the no-response default, apply: manual without consent, breaker hold + approval, write-back
 * that the sandbox confirms, error → retry, verification (did not stick), the CSV report.
 */
export function campaignsSuite(dialect: Dialect): void {
  describe(`certification campaigns on ${dialect}`, () => {
    let world: Awaited<ReturnType<typeof directoryWorld>>;
    let scim: string;
    let fallbackId: string;
    const managers = new Map<string, { userId: string; api: ApiFn; email: string }>();
    const tenant = () => world.sandbox.demo.scim.tenant;
    const api = () => world.app.api;
    const body = (over: Record<string, unknown> = {}) => ({
      name: 'Expenses Q1', connectionIds: [scim], kinds: ['scim_group_membership'],
      reviewers: { mode: 'manager', fallbackUserId: fallbackId }, durationDays: 14, noResponse: 'keep', justification: 'on_revoke',
      breaker: { maxShareOfResource: 1, maxPerConnection: 10_000 }, ...over,
    });
    const post = (path: string, b: unknown = {}, as: ApiFn = api()) => as(path, { method: 'POST', body: JSON.stringify(b) });
    const isMember = async (groupId: string, userId: string) => (await sandboxAdmin<{ member: boolean }>(world.sandbox, 'GET', `/scim/tenants/${tenant()}/groups/${groupId}/members/${userId}`)).member;

    beforeAll(async () => {
      world = await directoryWorld(dialect, { worker: true });
      // Revocations remove many memberships at once: the sync's own mass-removal guard is not under test here.
      scim = await world.connect(scimBody(world.sandbox, { config: { massRemovalPercent: 100 } }));
      const run = await runDirectorySync(world.app.rt, world.tenantId, scim, { mode: 'full' });
      expect(run.status).toBe('succeeded');
      await correlateIdentities(world.app.rt, world.tenantId);
      fallbackId = await ensureUser(world.app.rt, 'admin', 'fallback@example.test');
      // Every manager the directory names becomes a Syncwarden reviewer (matched by email).
      const rows = await world.app.rt.store.db.selectFrom('dir_accounts').select(['external_id', 'email', 'attributes_json']).where('connection_id', '=', scim).execute();
      const byId = new Map(rows.map((r) => [r.external_id, r]));
      for (const r of rows) {
        const m = (JSON.parse(r.attributes_json) as { managerId?: string }).managerId;
        const mgr = m ? byId.get(m) : undefined;
        if (!mgr?.email || managers.has(mgr.external_id)) continue;
        const userId = await ensureUser(world.app.rt, 'reviewer', mgr.email);
        const token = await tokenFor(world.app.rt, userId, 'reviewer', `t-${mgr.external_id}`);
        managers.set(mgr.external_id, { userId, email: mgr.email, api: apiClient(world.app.url!, { authorization: `Bearer ${token}` }) });
      }
      expect(managers.size).toBeGreaterThan(2);
    }, 120_000);
    afterAll(async () => world?.close());

    let campaignId: string;

    it('previews counts without writing, then starts with a snapshot of exactly those items', async () => {
      const preview = await post('/campaigns/preview', body());
      expect(preview.status, preview.text).toBe(200);
      // Memberships of accounts in the inventory (guests are outside the connection's scope).
      const direct = await world.app.rt.store.db.selectFrom('dir_memberships').innerJoin('dir_accounts', (j) => j.onRef('dir_accounts.external_id', '=', 'dir_memberships.member_id').onRef('dir_accounts.connection_id', '=', 'dir_memberships.connection_id'))
        .select((eb) => eb.fn.countAll<number>().as('n')).where('dir_memberships.connection_id', '=', scim).where('dir_memberships.member_type', '=', 'account').executeTakeFirstOrThrow();
      expect(preview.body.items).toBeGreaterThanOrEqual(Number(direct.n));
      expect(preview.body.byKind.scim_group_membership).toBe(preview.body.items);
      const assigned = (preview.body.reviewers as { items: number }[]).reduce((s, r) => s + r.items, 0);
      expect(assigned + preview.body.unassigned).toBe(preview.body.items);
      expect((await world.app.rt.store.db.selectFrom('campaign_items').select('id').execute()).length).toBe(0);

      const created = await post('/campaigns', body());
      expect(created.status, created.text).toBe(201);
      expect(created.body.campaign.status).toBe('draft');
      campaignId = created.body.campaign.id;
      const started = await post(`/campaigns/${campaignId}/start`);
      expect(started.status, started.text).toBe(200);
      expect(started.body.campaign.status).toBe('running');
      expect(started.body.campaign.totals.items).toBe(preview.body.items);
      expect(started.body.campaign.deadline).toBeTruthy();
      // Access granted after the start waits for the next campaign.
      const again = await post(`/campaigns/${campaignId}/start`);
      expect(again.status).toBe(409);
    });

    it('assigns each item to the person\'s manager; the top of the chain (no manager) goes to the fallback', async () => {
      const items = await world.app.rt.store.db.selectFrom('campaign_items').select(['account_id', 'reviewer_id']).where('campaign_id', '=', campaignId).execute();
      const accounts = new Map((await world.app.rt.store.db.selectFrom('dir_accounts').select(['external_id', 'attributes_json']).where('connection_id', '=', scim).execute()).map((a) => [a.external_id, JSON.parse(a.attributes_json) as { managerId?: string }]));
      let viaManager = 0;
      let viaFallback = 0;
      for (const i of items) {
        const m = accounts.get(i.account_id)?.managerId;
        if (m && managers.has(m)) {
          expect(i.reviewer_id).toBe(managers.get(m)!.userId);
          viaManager++;
        } else {
          expect(i.reviewer_id).toBe(fallbackId);
          viaFallback++;
        }
      }
      expect(viaManager).toBeGreaterThan(0);
      expect(viaFallback).toBeGreaterThan(0);
    });

    it('never lets anyone review their own access: named reviewers reviewing themselves go to the fallback', async () => {
      const [first] = [...managers.values()];
      const preview = await post('/campaigns/preview', body({ reviewers: { mode: 'named', userIds: [first!.userId], fallbackUserId: fallbackId } }));
      expect(preview.status, preview.text).toBe(200);
      const own = await world.app.rt.store.db.selectFrom('dir_memberships').innerJoin('dir_accounts', (j) => j.onRef('dir_accounts.external_id', '=', 'dir_memberships.member_id').onRef('dir_accounts.connection_id', '=', 'dir_memberships.connection_id'))
        .select('dir_memberships.group_id').where('dir_memberships.connection_id', '=', scim).where('dir_accounts.email', '=', first!.email).execute();
      expect(own.length).toBeGreaterThan(0);
      const forFallback = (preview.body.reviewers as { reviewer: { userId: string }; items: number }[]).find((r) => r.reviewer.userId === fallbackId);
      expect(forFallback?.items).toBeGreaterThanOrEqual(own.length);
      const forFirst = (preview.body.reviewers as { reviewer: { userId: string }; items: number }[]).find((r) => r.reviewer.userId === first!.userId)!;
      expect(forFirst.items + (forFallback?.items ?? 0)).toBe(preview.body.items);
    });

    it('shows a reviewer only their own items; another reviewer\'s item is not found', async () => {
      const [a, b] = [...managers.values()];
      const mine = await a!.api('/reviews?limit=500');
      expect(mine.status, mine.text).toBe(200);
      expect(mine.body.items.length).toBeGreaterThan(0);
      for (const i of mine.body.items) expect(i.reviewer.userId).toBe(a!.userId);
      expect(mine.body.counts.open).toBe(mine.body.items.length);
      const theirs = (await b!.api('/reviews?limit=1')).body.items[0];
      expect((await a!.api(`/reviews/${theirs.id}`)).status).toBe(404);
      expect((await post('/reviews/decide', { itemIds: [theirs.id], decision: 'approve' }, a!.api)).status).toBe(404);
      // A reviewer is not staff: campaigns are not theirs to list.
      expect((await a!.api('/campaigns')).status).toBe(403);
      // Paging: the first page's cursor leads to the rest, without repeats.
      const p1 = await a!.api('/reviews?limit=2');
      if (p1.body.nextCursor) {
        const p2 = await a!.api(`/reviews?limit=2&cursor=${p1.body.nextCursor}`);
        expect(p2.body.items[0].id > p1.body.items[1].id).toBe(true);
      }
    });

    it('decides one item (revoke needs a justification), in bulk by filter and by recommendation; reassigns with a note and history', async () => {
      const [a, b] = [...managers.values()];
      const items = (await a!.api('/reviews?limit=500')).body.items as { id: string; access: { resourceName: string }; recommendation: { decision: string } }[];
      expect(items.length).toBeGreaterThan(2);
      const one = items[0]!;
      const refused = await post('/reviews/decide', { itemIds: [one.id], decision: 'revoke' }, a!.api);
      expect(refused.status).toBe(400);
      expect(refused.body.error.code).toBe('campaigns.justification_required');
      const ok = await post('/reviews/decide', { itemIds: [one.id], decision: 'revoke', justification: 'Left the project' }, a!.api);
      expect(ok.body).toEqual({ decided: 1, keptDecided: 0 });
      // A decision can change while the stage is open.
      expect((await post('/reviews/decide', { itemIds: [one.id], decision: 'revoke', justification: 'Left the project in March' }, a!.api)).body.decided).toBe(1);
      const detail = await a!.api(`/reviews/${one.id}`);
      expect(detail.body.item.decision).toBe('revoke');
      expect(detail.body.item.justification).toBe('Left the project in March');
      expect(detail.body.history.filter((h: { action: string }) => h.action === 'decided')).toHaveLength(2);

      const bulk = await post('/reviews/decide', { filter: { campaign: campaignId, q: items[1]!.access.resourceName }, decision: 'approve' }, a!.api);
      expect(bulk.status, bulk.text).toBe(200);
      expect(bulk.body.decided).toBeGreaterThan(0);

      const toReassign = (await a!.api('/reviews?status=open&limit=1')).body.items[0];
      const noNote = await post(`/reviews/${toReassign.id}/reassign`, { toUserId: b!.userId, note: '' }, a!.api);
      expect(noNote.status).toBe(400);
      const moved = await post(`/reviews/${toReassign.id}/reassign`, { toUserId: b!.userId, note: 'B manages this project' }, a!.api);
      expect(moved.status, moved.text).toBe(200);
      expect(moved.body.item.reviewer.userId).toBe(b!.userId);
      expect((await a!.api(`/reviews/${toReassign.id}`)).status).toBe(404);
      const h = await b!.api(`/reviews/${toReassign.id}`);
      expect(h.body.history.map((x: { action: string; detail: string }) => x.action)).toContain('reassigned');

      const rec = await post('/reviews/decide', { filter: { campaign: campaignId }, decision: 'recommendation' }, b!.api);
      expect(rec.body.decided).toBeGreaterThan(0);
      const progress = await api()(`/campaigns/${campaignId}`);
      expect(progress.body.reviewers.find((r: { reviewer: { userId: string } }) => r.reviewer.userId === b!.userId).open).toBe(0);
    });

    it('closes with the no-response default; without write-back consent revocations are Manual with exact steps, then marked done', async () => {
      const before = (await api()(`/campaigns/${campaignId}`)).body.campaign.totals;
      const closed = await post(`/campaigns/${campaignId}/close`, { apply: false });
      expect(closed.status, closed.text).toBe(200);
      expect(closed.body.campaign.status).toBe('closed');
      expect(closed.body.campaign.totals.open).toBe(0);
      const noResponse = await api()(`/campaigns/${campaignId}/items?limit=500`);
      const defaulted = noResponse.body.items.filter((i: { closedReason: string | null }) => i.closedReason === 'no_response');
      expect(defaulted.length).toBe(before.open);
      for (const i of defaulted) expect(i.decision).toBe('approve');
      // Decisions are final once the stage closed.
      const [a] = [...managers.values()];
      const anyOfA = (await a!.api('/reviews?status=all&limit=1')).body.items[0];
      expect((await post('/reviews/decide', { itemIds: [anyOfA.id], decision: 'approve' }, a!.api)).body.error.code).toBe('campaigns.stage_closed');

      const preview = await api()(`/campaigns/${campaignId}/apply-preview`);
      expect(preview.status, preview.text).toBe(200);
      expect(preview.body.total).toBe(closed.body.campaign.totals.revoked);
      expect(preview.body.writeBack).toBe(0);
      const applied = await post(`/campaigns/${campaignId}/apply`);
      expect(applied.body.campaign.remediation.manual).toBe(preview.body.total);
      const manual = (await api()(`/campaigns/${campaignId}/items?remediation=manual`)).body.items;
      expect(manual[0].manualSteps).toContain(manual[0].account.userName);
      expect(manual[0].remediationError.code).toBe('campaigns.write_back_missing');
      const done = await post(`/campaigns/${campaignId}/items/${manual[0].id}/manual-done`, { note: 'Removed in the app' });
      expect(done.body.item.remediation).toBe('success');
      expect(done.body.item.verification).toBe('pending');
    });

    it('with write-back: the breaker holds, a reviewer-admin cannot approve, an admin can; the sandbox loses the access; an error is retried', async () => {
      expect((await post(`/connections/${scim}/write-back`, { enabled: true })).status).toBe(200);
      const c = await post('/campaigns', body({ name: 'Expenses write-back', noResponse: 'revoke', breaker: { maxShareOfResource: 0.2, maxPerConnection: 500 } }));
      const id = c.body.campaign.id as string;
      await post(`/campaigns/${id}/start`);
      // Nobody answers: everything is revoked by default, far over 20 % of every group.
      const all = await world.app.rt.store.db.selectFrom('campaign_items').select(['id', 'resource_id', 'account_id', 'via']).where('campaign_id', '=', id).execute();
      const direct = all.filter((i) => i.via === 'direct');
      const closed = await post(`/campaigns/${id}/close`, { apply: true });
      expect(closed.body.campaign.status).toBe('held');
      expect(closed.body.campaign.held.reasons.length).toBeGreaterThan(0);
      const fallbackApi = apiClient(world.app.url!, { authorization: `Bearer ${await tokenFor(world.app.rt, fallbackId, 'admin', 'fb')}` });
      const refused = await post(`/campaigns/${id}/approve-apply`, { note: 'ok' }, fallbackApi);
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe('campaigns.reviewer_cannot_approve');

      // The first calls fail with 403 (the app took the token's rights): Error, then retried.
      await setFault(world.sandbox, 'scim.forbidden', tenant());
      const approved = await post(`/campaigns/${id}/approve-apply`, { note: 'Quarterly clean-up agreed with HR' });
      expect(approved.status, approved.text).toBe(200);
      expect(approved.body.campaign.status).toBe('applying');
      await waitFor('the apply to end', async () => ((await api()(`/campaigns/${id}`)).body.campaign.status === 'applied' ? true : undefined), 60_000);
      const errors = (await api()(`/campaigns/${id}/items?remediation=error&limit=500`)).body.items;
      expect(errors.length).toBe(direct.length);
      expect(errors[0].remediationError.code).toBeTruthy();
      await clearFaults(world.sandbox);
      // A worker killed between marking an item `applying` and resolving it leaves it so: the
      // next run of the job re-applies it (revoke is idempotent), like any open item.
      const [crashed, ...others] = errors;
      await world.app.rt.store.db.updateTable('campaign_items').set({ remediation: 'applying', remediation_error_json: null }).where('id', '=', crashed.id).execute();
      for (const e of others) expect((await post(`/campaigns/${id}/items/${e.id}/retry`)).body.item.remediation).toMatch(/open|applying|success/);
      await waitFor('the retries to apply', async () => ((await api()(`/campaigns/${id}`)).body.campaign.status === 'applied' ? true : undefined), 60_000);
      const view = (await api()(`/campaigns/${id}`)).body.campaign;
      expect(view.remediation.success).toBe(direct.length);
      expect(view.remediation.error).toBe(0);
      for (const i of direct.slice(0, 5)) expect(await isMember(i.resource_id, i.account_id)).toBe(false);
      const nested = all.filter((i) => i.via === 'group');
      expect(view.remediation.manual).toBe(nested.length);

      // Verification: one membership is put back in the app (a provisioning rule); the next sync finds it.
      const back = direct[0]!;
      await sandboxAdmin(world.sandbox, 'PUT', `/scim/tenants/${tenant()}/groups/${back.resource_id}/members/${back.account_id}`);
      expect((await runDirectorySync(world.app.rt, world.tenantId, scim, { mode: 'full' })).status).toBe('succeeded');
      await verifyAfterSync(world.app.rt);
      const after = (await api()(`/campaigns/${id}`)).body.campaign;
      expect(after.verification.didNotStick).toBe(1);
      expect(after.verification.verified).toBe(direct.length - 1);
      const dns = (await api()(`/campaigns/${id}/items?verification=did_not_stick`)).body.items[0];
      expect(dns.remediation).toBe('error');
      expect(dns.remediationError.code).toBe('campaigns.did_not_stick');
      const audit = (await api()('/audit?limit=1000')).body.events.map((e: { action: string }) => e.action);
      for (const a of ['campaign.created', 'campaign.started', 'campaign.apply_held', 'campaign.apply_approved', 'campaign.did_not_stick']) expect(audit).toContain(a);
    }, 180_000);

    it('reports every item as JSON and CSV', async () => {
      const report = await api()(`/campaigns/${campaignId}/report`);
      expect(report.status).toBe(200);
      expect(report.body.items.length).toBe(report.body.campaign.totals.items);
      const csv = await api()(`/campaigns/${campaignId}/report.csv`);
      expect(csv.status).toBe(200);
      expect(csv.headers.get('content-type')).toContain('text/csv');
      const lines = csv.text.trim().split('\r\n');
      expect(lines[0]).toContain('reviewer');
      expect(lines[0]).toContain('justification');
      expect(lines.length).toBe(report.body.items.length + 1);
      expect(csv.text).toContain('Left the project in March');
    });
  });
}
