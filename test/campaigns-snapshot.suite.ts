import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialect } from '../src/store/db.js';
import { runDirectorySync } from '../src/directory/sync/run.js';
import { correlateIdentities } from '../src/directory/correlation/correlate.js';
import { computeScope, itemRows, previewCampaign, previewOfScope } from '../src/campaigns/snapshot.js';
import { createCampaign, startCampaign } from '../src/campaigns/lifecycle.js';
import { campaignInputSchema } from '../src/campaigns/input.js';
import { directoryWorld } from './support/directory.js';
import { awsBody, entraDirectoryBody, googleDirectoryBody, scimBody } from './support/connections.js';
import { ensureUser } from './support/auth.js';
import { sandboxAdmin } from './support/sandbox-admin.js';

/**
 * The start's set-based snapshot (src/campaigns/snapshot-sql.ts) against the item-by-item
 * reference (computeScope + itemRows, which the preview still uses): over the sandbox's four
 * directories (nested Entra groups, roles, app roles, AWS policies and keys, group owners,
 * managers), every item must carry the same facts, recommendation with its reasons, and
 * reviewers, in every reviewer mode and filter; and ids must follow person-then-resource order.
 */
export function campaignSnapshotSuite(dialect: Dialect): void {
  describe(`campaign snapshot on ${dialect}: set-based start = item-by-item reference`, () => {
    let world: Awaited<ReturnType<typeof directoryWorld>>;
    const conns: string[] = [];
    let fallbackId: string;
    const named: string[] = [];

    beforeAll(async () => {
      world = await directoryWorld(dialect);
      // A small copy of the large Entra tenant too: departments (peers), sign-ins, nesting at scale's shape.
      await sandboxAdmin(world.sandbox, 'POST', '/microsoft/tenants/large', { users: 300, groups: 150, memberships: 3_000 });
      const large = entraDirectoryBody(world.sandbox, { name: 'Large', tenantId: world.sandbox.demo.microsoft.largeTenantId, config: { massRemovalPercent: 100 } });
      for (const b of [entraDirectoryBody(world.sandbox), googleDirectoryBody(world.sandbox), awsBody(world.sandbox), scimBody(world.sandbox), large]) conns.push(await world.connect(b));
      for (const c of conns) expect((await runDirectorySync(world.app.rt, world.tenantId, c, { mode: 'full' })).status).toBe('succeeded');
      await correlateIdentities(world.app.rt, world.tenantId);
      fallbackId = await ensureUser(world.app.rt, 'admin', 'fallback@example.test');
      // Users for every manager and every group owner the directories name, and for a few plain
      // accounts: reviewers resolve, and some of them hold access they would review themselves.
      const db = world.app.rt.store.db;
      const accounts = await db.selectFrom('dir_accounts').select(['connection_id', 'external_id', 'email', 'user_name', 'attributes_json']).execute();
      const byKey = new Map(accounts.map((a) => [`${a.connection_id}/${a.external_id}`, a]));
      const owners = await db.selectFrom('dir_memberships').select(['connection_id', 'member_id']).where('member_type', '=', 'account').where('role', 'is not', null).execute();
      const wanted = new Set<string>();
      const mail = (a: { email: string | null; user_name: string } | undefined) => [a?.email, a?.user_name].find((e) => e && e.includes('@'));
      for (const a of accounts) {
        const m = (JSON.parse(a.attributes_json) as { managerId?: string; manager?: string });
        const e = mail(byKey.get(`${a.connection_id}/${m.managerId ?? m.manager}`));
        if (e) wanted.add(e.toLowerCase());
      }
      for (const o of owners) {
        const e = mail(byKey.get(`${o.connection_id}/${o.member_id}`));
        if (e) wanted.add(e.toLowerCase());
      }
      for (const a of accounts.slice(0, 6)) {
        const e = mail(a);
        if (e) wanted.add(e.toLowerCase());
      }
      for (const e of wanted) named.push(await ensureUser(world.app.rt, 'reviewer', e));
      expect(named.length).toBeGreaterThan(3);
      // An owner set in Syncwarden for one group, besides those the provider reports.
      const group = await db.selectFrom('dir_groups').select(['connection_id', 'external_id']).where('connection_id', '=', conns[0]!).orderBy('external_id').executeTakeFirstOrThrow();
      await db.insertInto('resource_owners').values({ tenant_id: world.tenantId, connection_id: group.connection_id, resource_id: group.external_id, user_id: named[0]!, created_at: new Date().toISOString() }).execute();
    }, 180_000);
    afterAll(async () => world?.close());

    const kinds = ['group_membership', 'directory_role', 'app_role', 'aws_group_membership', 'aws_policy', 'aws_access_key', 'google_admin_role', 'scim_group_membership'];
    const cases: [string, () => Record<string, unknown>][] = [
      ['manager, then owners', () => ({ reviewers: { mode: 'manager', fallbackUserId: fallbackId }, secondStage: { mode: 'owner' } })],
      ['owners, then named', () => ({ reviewers: { mode: 'owner', fallbackUserId: fallbackId }, secondStage: { mode: 'named', userIds: named.slice(0, 3) } })],
      ['named, privileged only', () => ({ reviewers: { mode: 'named', userIds: named, fallbackUserId: fallbackId }, filters: { privilegedOnly: true } })],
      ['manager, guests only', () => ({ reviewers: { mode: 'manager', fallbackUserId: named[0] }, filters: { guestsOnly: true } })],
      ['owners, inactive 30 days', () => ({ reviewers: { mode: 'owner', fallbackUserId: named[1] }, filters: { inactiveDays: 30 } })],
      // The one named reviewer is also the fallback: that person's own items have no reviewer.
      ['named: one reviewer who is also the fallback', () => ({ reviewers: { mode: 'named', userIds: [named[0]], fallbackUserId: named[0] } })],
      ['owners, the fallback holding access too', () => ({ reviewers: { mode: 'owner', fallbackUserId: named[0] } })],
    ];
    const skip = new Set(['id', 'updated_at']);

    for (const [name, over] of cases) {
      it(name, async () => {
        const rt = world.app.rt;
        const body = { name, connectionIds: conns, kinds, durationDays: 7, noResponse: 'keep', justification: 'on_revoke', ...over() };
        const campaign = await createCampaign(rt, world.tenantId, body, { userId: fallbackId, actor: 'test' });
        const input = campaignInputSchema.parse(body);
        const scope = await computeScope(rt, world.tenantId, input);
        // The preview, counted set-based, says what the item-by-item reference says; its samples
        // are items of their sort (any 20, in the snapshot's order rather than the reference's).
        const preview = await previewCampaign(rt, world.tenantId, body);
        const reference = previewOfScope(scope.items, scope.people);
        const { unassignedSample, fallbackSample, ...counts } = preview;
        const { unassignedSample: refUnassigned, fallbackSample: refFallback, ...refCounts } = reference;
        expect(counts).toEqual(refCounts);
        expect(unassignedSample.length).toBe(Math.min(20, reference.unassigned));
        expect(fallbackSample.length).toBe(Math.min(20, reference.fallback));
        const line = (x: { account: string; access: string; why: string }) => `${x.account} | ${x.access} | ${x.why}`;
        const refLines = { unassigned: new Set(refUnassigned.map(line)), fallback: new Set(refFallback.map(line)) };
        for (const x of unassignedSample) expect(refLines.unassigned.has(line(x)), line(x)).toBe(true);
        for (const x of fallbackSample) expect(refLines.fallback.has(line(x)), line(x)).toBe(true);
        const expected = itemRows(world.tenantId, campaign.id, scope.items, rt.now());
        if (expected.length === 0) {
          await expect(startCampaign(rt, world.tenantId, campaign.id, 'test')).rejects.toThrow();
          return;
        }
        const started = await startCampaign(rt, world.tenantId, campaign.id, 'test');
        expect(started.totals.items).toBe(expected.length);
        const actual = await rt.store.db.selectFrom('campaign_items').selectAll().where('campaign_id', '=', campaign.id).orderBy('id').execute();
        const keyOf = (r: { connection_id: string; account_id: string; kind: string; resource_id: string }) => `${r.connection_id}|${r.account_id}|${r.kind}|${r.resource_id}`;
        const want = new Map(expected.map((r) => [keyOf(r), r]));
        expect(actual.length).toBe(expected.length);
        for (const row of actual) {
          const e = want.get(keyOf(row));
          expect(e, keyOf(row)).toBeTruthy();
          const pick = (r: object) => Object.fromEntries(Object.entries(r).filter(([k]) => !skip.has(k)).map(([k, v]) => [k, v === null ? null : typeof v === 'number' || typeof v === 'bigint' ? Number(v) : v]));
          expect(pick(row), keyOf(row)).toEqual(pick(e!));
        }
        // Person-then-resource order in ids (the inbox's keyset), as the reference sorts.
        const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
        for (let i = 1; i < actual.length; i++) {
          const [a, b] = [actual[i - 1]!, actual[i]!];
          const order = cmp(a.display_name, b.display_name) || cmp(a.account_id, b.account_id) || cmp(a.kind, b.kind) || cmp(a.resource_name, b.resource_name);
          expect(order, `${a.id} before ${b.id}`).toBeLessThanOrEqual(0);
        }
        // Something of each sort is under test in the first cases.
        if (name === 'manager, then owners') {
          expect(new Set(actual.map((r) => r.kind)).size).toBeGreaterThan(4);
          expect(actual.some((r) => r.via === 'group')).toBe(true);
          expect(actual.some((r) => r.recommendation === 'revoke') && actual.some((r) => r.recommendation === 'approve')).toBe(true);
          expect(actual.some((r) => r.stage2_reviewer_id !== null && r.stage2_reviewer_id !== fallbackId)).toBe(true);
        }
        // The preview's fallback and unassigned paths are both under test somewhere.
        if (name === 'owners, then named') expect(reference.fallback).toBeGreaterThan(0);
        if (name.includes('the fallback')) expect(reference.unassigned).toBeGreaterThan(0);
      }, 60_000);
    }
  });
}
