import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDirectorySync } from '../src/directory/sync/run.js';
import { correlateIdentities } from '../src/directory/correlation/correlate.js';
import { directoryWorld } from './support/directory.js';
import { sandboxAdmin } from './support/sandbox-admin.js';
import { googleDirectoryBody } from './support/connections.js';
import { ensureUser } from './support/auth.js';
import { startManagerCampaign } from './support/campaigns.js';

interface GoogleUser { id: string; primaryEmail: string; relations?: { value: string; type: string }[] }

/**
 * Manager reviewers over a Google Workspace connection: Google names a user's manager by
 * address in `relations` (`{ type: 'manager', value: <email> }`, the console's Employee details
 * > Manager); the directory stream asks for it in `fields` and stores it as the `manager`
 * attribute, and a campaign in manager mode resolves the address through the inventory to the
 * manager's Syncwarden user — never the person themself.
 */
describe('campaigns: manager reviewers from Google Workspace', () => {
  let world: Awaited<ReturnType<typeof directoryWorld>>;
  let google: string;
  let users: GoogleUser[];
  const manager = new Map<string, string | null>(); // email → manager's email
  const storedManager = async (externalId: string) => {
    const row = await world.app.rt.store.db.selectFrom('dir_accounts').select('attributes_json').where('connection_id', '=', google).where('external_id', '=', externalId).executeTakeFirstOrThrow();
    return (JSON.parse(row.attributes_json) as { manager?: string | null }).manager ?? null;
  };
  const sync = async () => {
    const r = await runDirectorySync(world.app.rt, world.tenantId, google, { mode: 'full' });
    expect(r.status, JSON.stringify(r.error)).toBe('succeeded');
  };
  const setManager = async (email: string, boss: string | null) => {
    await sandboxAdmin(world.sandbox, 'PATCH', `/google/users/${encodeURIComponent(email)}`, { managerEmail: boss });
    manager.set(email, boss);
  };

  beforeAll(async () => {
    world = await directoryWorld('sqlite');
    google = await world.connect(googleDirectoryBody(world.sandbox));
    users = (await sandboxAdmin<{ users: GoogleUser[] }>(world.sandbox, 'GET', `/google/users?domain=${encodeURIComponent(world.sandbox.demo.google.domain)}`)).users;
    // An org chart: the first user at the top, four under them, everyone else under one of those four; every fifth without a manager.
    const [top, ...rest] = users;
    for (const [i, u] of rest.entries()) await setManager(u.primaryEmail, i < 4 ? top!.primaryEmail : i % 5 === 0 ? null : rest[i % 4]!.primaryEmail);
    manager.set(top!.primaryEmail, null);
    await sync();
    await correlateIdentities(world.app.rt, world.tenantId);
  }, 120_000);
  afterAll(async () => world?.close());

  it('the sync stores each user\'s manager address from `relations`, and follows a change and a removal', async () => {
    expect(users.length).toBeGreaterThan(6);
    for (const u of users) expect(await storedManager(u.id), u.primaryEmail).toBe(manager.get(u.primaryEmail) ?? null);
    const [moved, orphaned] = [users[6]!, users[2]!];
    const wasMoved = manager.get(moved.primaryEmail) ?? null;
    const wasOrphaned = manager.get(orphaned.primaryEmail) ?? null;
    await setManager(moved.primaryEmail, users[0]!.primaryEmail);
    await setManager(orphaned.primaryEmail, null);
    await sync();
    expect(await storedManager(moved.id)).toBe(users[0]!.primaryEmail);
    expect(await storedManager(orphaned.id)).toBeNull();
    await setManager(moved.primaryEmail, wasMoved);
    await setManager(orphaned.primaryEmail, wasOrphaned);
    await sync();
    expect(await storedManager(orphaned.id)).toBe(wasOrphaned);
  });

  it('a campaign in manager mode gives each person\'s group memberships to their manager\'s Syncwarden user', async () => {
    const bosses = [...new Set([...manager.values()].filter((m): m is string => m !== null))];
    const userOf = new Map<string, string>();
    for (const b of bosses) userOf.set(b, await ensureUser(world.app.rt, 'reviewer', b.toLowerCase()));
    const fallback = userOf.get(users[0]!.primaryEmail)!;
    const campaignId = await startManagerCampaign(world.app.api, 'Northwind Google groups', google, fallback);
    const byId = new Map(users.map((u) => [u.id, u]));
    const items = await world.app.rt.store.db.selectFrom('campaign_items').select(['account_id', 'reviewer_id']).where('campaign_id', '=', campaignId).execute();
    let byManager = 0;
    for (const item of items) {
      const person = byId.get(item.account_id);
      if (!person) continue;
      const own = userOf.get(person.primaryEmail);
      if (own) expect(item.reviewer_id, `${person.primaryEmail} reviews their own access`).not.toBe(own);
      const boss = manager.get(person.primaryEmail);
      if (boss) {
        expect(item.reviewer_id, `${person.primaryEmail}'s reviewer`).toBe(userOf.get(boss));
        byManager += 1;
      }
    }
    expect(byManager).toBeGreaterThan(3);
  });
});
