import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDirectorySync } from '../src/directory/sync/run.js';
import { correlateIdentities } from '../src/directory/correlation/correlate.js';
import { directoryWorld } from './support/directory.js';
import { scimBody } from './support/connections.js';
import { apiClient, ensureUser, tokenFor } from './support/auth.js';
import { cliRunner } from './support/cli.js';

/**
 * Owners set in Syncwarden (the campaigns' owner reviewer mode): set, read, clear through the
 * API, audited with before and after; a foreign or unknown resource answers 404 before the
 * body is looked at; a campaign in owner mode gives a group's access to the owner set here
 * (the SCIM app reports no owners), and the owner's own membership goes to the fallback.
 */
describe('owners set in Syncwarden', () => {
  let world: Awaited<ReturnType<typeof directoryWorld>>;
  let scim: string;
  let group: { id: string; name: string };
  let owner: string;
  let ownerEmail: string;
  let fallback: string;
  const api = () => world.app.api;
  const path = () => `/connections/${scim}/resources/${encodeURIComponent(group.id)}/owners`;

  beforeAll(async () => {
    world = await directoryWorld('sqlite');
    scim = await world.connect(scimBody(world.sandbox));
    const run = await runDirectorySync(world.app.rt, world.tenantId, scim, { mode: 'full' });
    expect(run.status).toBe('succeeded');
    await correlateIdentities(world.app.rt, world.tenantId);
    // The group with the most members; its owner is one of them (their own access must not come back to them).
    const counts = await world.app.rt.store.db.selectFrom('dir_memberships').innerJoin('dir_groups', (j) => j.onRef('dir_groups.external_id', '=', 'dir_memberships.group_id').onRef('dir_groups.connection_id', '=', 'dir_memberships.connection_id'))
      .select(['dir_groups.external_id', 'dir_groups.display_name', (eb) => eb.fn.countAll<number>().as('n')]).where('dir_memberships.connection_id', '=', scim).where('dir_memberships.member_type', '=', 'account')
      .groupBy(['dir_groups.external_id', 'dir_groups.display_name']).orderBy('n', 'desc').execute();
    group = { id: counts[0]!.external_id, name: counts[0]!.display_name };
    const member = await world.app.rt.store.db.selectFrom('dir_memberships').innerJoin('dir_accounts', (j) => j.onRef('dir_accounts.external_id', '=', 'dir_memberships.member_id').onRef('dir_accounts.connection_id', '=', 'dir_memberships.connection_id'))
      .select('dir_accounts.email').where('dir_memberships.connection_id', '=', scim).where('dir_memberships.group_id', '=', group.id).where('dir_accounts.email', 'is not', null).executeTakeFirstOrThrow();
    ownerEmail = member.email!.toLowerCase();
    owner = await ensureUser(world.app.rt, 'reviewer', ownerEmail);
    fallback = await ensureUser(world.app.rt, 'admin', 'fallback@example.test');
  }, 120_000);
  afterAll(async () => world?.close());

  it('sets, reads and clears a group\'s owners; every change is audited with before and after', async () => {
    expect((await api()(path())).body).toMatchObject({ resourceId: group.id, resourceName: group.name, resourceType: 'group', owners: [], reported: [] });
    const set = await api()(path(), { method: 'PUT', body: JSON.stringify({ userIds: [owner, fallback] }) });
    expect(set.status, set.text).toBe(200);
    expect((set.body.owners as { userId: string }[]).map((o) => o.userId).sort()).toEqual([owner, fallback].sort());
    const listed = await api()(`/connections/${scim}/owners`);
    expect(listed.body.items).toHaveLength(1);
    expect(listed.body.items[0]).toMatchObject({ resourceId: group.id });
    // Down to one owner, then cleared, then set again for the campaign below.
    expect((await api()(path(), { method: 'PUT', body: JSON.stringify({ userIds: [owner] }) })).body.owners).toHaveLength(1);
    expect((await api()(path(), { method: 'DELETE' })).body.owners).toEqual([]);
    expect((await api()(path(), { method: 'PUT', body: JSON.stringify({ userIds: [owner] }) })).status).toBe(200);
    const events = await world.app.rt.store.db.selectFrom('audit_events').select(['action', 'message', 'target_name']).where('action', '=', 'resource.owners_set').orderBy('seq').execute();
    const both = [ownerEmail, 'fallback@example.test'];
    expect(events).toHaveLength(4);
    expect(events[0]!.message).toMatch(new RegExp(`^Owners of "${group.name}" set in Syncwarden: none → (${both.join(', ')}|${[...both].reverse().join(', ')})$`));
    expect(events[1]!.message).toBe(`Owners of "${group.name}" set in Syncwarden: ${events[0]!.message.split(' → ')[1]} → ${ownerEmail}`);
    expect(events[2]!.message).toBe(`Owners of "${group.name}" set in Syncwarden: ${ownerEmail} → none`);
    expect(events[3]!.message).toBe(`Owners of "${group.name}" set in Syncwarden: none → ${ownerEmail}`);
    expect(events.every((e) => e.target_name === group.name)).toBe(true);
  });

  it('refuses what is not a user or resource of this tenant: unknown resource 404 before the body, unknown user 400, readers cannot set', async () => {
    const unknown = await api()(`/connections/${scim}/resources/no-such-group/owners`, { method: 'PUT', body: JSON.stringify({ nonsense: true }) });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('request.not_found');
    const badUser = await api()(path(), { method: 'PUT', body: JSON.stringify({ userIds: ['usr_nobody'] }) });
    expect(badUser.status).toBe(400);
    expect(badUser.body.error.code).toBe('campaigns.no_reviewer');
    const badBody = await api()(path(), { method: 'PUT', body: JSON.stringify({ userIds: 'x' }) });
    expect(badBody.status).toBe(400);
    const token = await tokenFor(world.app.rt, owner, 'reviewer', 'owner-token');
    const asReviewer = apiClient(world.app.url!, { authorization: `Bearer ${token}` });
    expect((await asReviewer(path(), { method: 'PUT', body: JSON.stringify({ userIds: [] }) })).status).toBe(403);
    // Nothing changed.
    expect((await api()(path())).body.owners.map((o: { userId: string }) => o.userId)).toEqual([owner]);
  });

  it('a campaign in owner mode gives the group\'s access to the owner set in Syncwarden, and the owner\'s own to the fallback', async () => {
    const created = await api()('/campaigns', {
      method: 'POST',
      body: JSON.stringify({
        name: 'Owners review', connectionIds: [scim], kinds: ['scim_group_membership'], reviewers: { mode: 'owner', fallbackUserId: fallback },
        durationDays: 14, noResponse: 'keep', justification: 'on_revoke', breaker: { maxShareOfResource: 1, maxPerConnection: 10_000 },
      }),
    });
    expect(created.status, created.text).toBe(201);
    expect((await api()(`/campaigns/${created.body.campaign.id}/start`, { method: 'POST', body: '{}' })).status).toBe(200);
    const items = await world.app.rt.store.db.selectFrom('campaign_items').select(['resource_id', 'reviewer_id', 'email', 'user_name']).where('campaign_id', '=', created.body.campaign.id).execute();
    const ofGroup = items.filter((i) => i.resource_id === group.id);
    expect(ofGroup.length).toBeGreaterThan(1);
    for (const i of ofGroup) {
      const self = [i.email, i.user_name].some((e) => e?.toLowerCase() === ownerEmail);
      expect(i.reviewer_id, `${i.user_name}'s reviewer`).toBe(self ? fallback : owner);
    }
    // Other groups have no owner (SCIM reports none): the fallback.
    for (const i of items.filter((x) => x.resource_id !== group.id)) expect(i.reviewer_id).toBe(fallback);
  });

  it('the CLI sets, lists and removes owners, locally (data folder) and remotely (API + token), users by email', async () => {
    const local = cliRunner(() => ({ SYNCWARDEN_DATA: world.app.dataDir, LOG_LEVEL: 'silent' }));
    const remote = cliRunner(() => ({ SYNCWARDEN_URL: world.app.url, SYNCWARDEN_TOKEN: world.app.ownerToken, LOG_LEVEL: 'silent' }));
    const set = JSON.parse(await remote.run('owners', 'set', 'Northwind Expenses', group.id, ownerEmail, 'fallback@example.test', '--json'));
    expect(set.owners.map((o: { email: string }) => o.email).sort()).toEqual([ownerEmail, 'fallback@example.test'].sort());
    expect(await local.run('owners', 'list', 'Northwind Expenses')).toContain(group.name);
    const removed = JSON.parse(await local.run('owners', 'remove', 'Northwind Expenses', group.id, 'fallback@example.test', '--json'));
    expect(removed.owners.map((o: { email: string }) => o.email)).toEqual([ownerEmail]);
    const one = JSON.parse(await remote.run('owners', 'list', 'Northwind Expenses', group.id, '--json'));
    expect(one.owners.map((o: { email: string }) => o.email)).toEqual([ownerEmail]);
    expect(JSON.parse(await remote.run('owners', 'remove', 'Northwind Expenses', group.id, '--json')).owners).toEqual([]);
    // Each of the three changes is audited, the local one too.
    const actions = await world.app.rt.store.db.selectFrom('audit_events').select('actor').where('action', '=', 'resource.owners_set').orderBy('seq', 'desc').limit(3).execute();
    expect(actions).toHaveLength(3);
  });
});
