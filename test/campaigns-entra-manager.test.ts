import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDirectorySync } from '../src/directory/sync/run.js';
import { correlateIdentities } from '../src/directory/correlation/correlate.js';
import { directoryWorld } from './support/directory.js';
import { sandboxAdmin } from './support/sandbox-admin.js';
import { entraDirectoryBody } from './support/connections.js';
import { ensureUser } from './support/auth.js';
import { startManagerCampaign } from './support/campaigns.js';

interface SandboxUser { id: string; userPrincipalName: string; mail: string | null; userType: string; accountEnabled: boolean; managerId?: string | null }

/**
 * Manager reviewers over an Entra ID connection: the directory stream reads each user's manager
 * from Graph's user delta (`$select=…,manager` → `manager@delta`), the sandbox's Fabrikam tenant
 * has an org chart, and a campaign in manager mode gives each person's access to their
 * manager's Syncwarden user (matched by email through the inventory), never to the person.
 */
describe('campaigns: manager reviewers from Entra ID', () => {
  let world: Awaited<ReturnType<typeof directoryWorld>>;
  let entra: string;
  let users: SandboxUser[];
  const t = () => world.sandbox.demo.microsoft.directoryTenantId;
  const managerOf = async (externalId: string) => {
    const row = await world.app.rt.store.db.selectFrom('dir_accounts').select('attributes_json').where('connection_id', '=', entra).where('external_id', '=', externalId).executeTakeFirstOrThrow();
    return (JSON.parse(row.attributes_json) as { managerId?: string | null }).managerId ?? null;
  };
  const sync = async (mode: 'full' | 'delta') => {
    const r = await runDirectorySync(world.app.rt, world.tenantId, entra, { mode });
    expect(r.status, JSON.stringify(r.error)).toBe('succeeded');
    return r;
  };

  beforeAll(async () => {
    world = await directoryWorld('sqlite');
    entra = await world.connect(entraDirectoryBody(world.sandbox));
    users = (await sandboxAdmin<{ users: SandboxUser[] }>(world.sandbox, 'GET', `/microsoft/tenants/${t()}/users`)).users;
    await sync('full');
    await correlateIdentities(world.app.rt, world.tenantId);
  }, 120_000);
  afterAll(async () => world?.close());

  it('the sync stores every member\'s manager as Graph reports it, and follows changes and removals in delta rounds', async () => {
    const stored = users.filter((u) => u.userType === 'Member' && u.accountEnabled);
    const withManager = stored.filter((u) => u.managerId);
    expect(withManager.length).toBeGreaterThan(10);
    for (const u of stored) expect(await managerOf(u.id)).toBe(u.managerId ?? null);

    // A new manager, and a manager taken away (Graph's `manager@delta` entry with `@removed`).
    const [moved, orphaned] = [withManager[withManager.length - 1]!, withManager[withManager.length - 2]!];
    const boss = stored.find((u) => !u.managerId)!;
    await sandboxAdmin(world.sandbox, 'PATCH', `/microsoft/tenants/${t()}/users/${moved.id}`, { managerId: boss.id });
    await sandboxAdmin(world.sandbox, 'PATCH', `/microsoft/tenants/${t()}/users/${orphaned.id}`, { managerId: null });
    const r = await sync('delta');
    expect(r.mode).toBe('delta');
    expect(await managerOf(moved.id)).toBe(boss.id);
    expect(await managerOf(orphaned.id)).toBeNull();
    // Put them back for the campaign below.
    await sandboxAdmin(world.sandbox, 'PATCH', `/microsoft/tenants/${t()}/users/${moved.id}`, { managerId: moved.managerId });
    await sandboxAdmin(world.sandbox, 'PATCH', `/microsoft/tenants/${t()}/users/${orphaned.id}`, { managerId: orphaned.managerId });
    await sync('delta');
    expect(await managerOf(orphaned.id)).toBe(orphaned.managerId);

    // A later round returns a user for another change without `manager@delta` (Graph reports the
    // manager only when it changes): the stored manager stands, and the row equals a full read's.
    const promoted = withManager[0]!;
    await sandboxAdmin(world.sandbox, 'PATCH', `/microsoft/tenants/${t()}/users/${promoted.id}`, { jobTitle: 'Head of Everything' });
    const round = await sync('delta');
    expect(round.mode).toBe('delta');
    expect(await managerOf(promoted.id)).toBe(promoted.managerId);
    const rowOf = async () => world.app.rt.store.db.selectFrom('dir_accounts').select(['attributes_json', 'hash']).where('connection_id', '=', entra).where('external_id', '=', promoted.id).executeTakeFirstOrThrow();
    const afterDelta = await rowOf();
    expect(JSON.parse(afterDelta.attributes_json).jobTitle).toBe('Head of Everything');
    await sync('full');
    expect(await rowOf()).toEqual(afterDelta);
  });

  it('a campaign in manager mode gives each person\'s access to their manager\'s Syncwarden user, and nobody reviews their own access', async () => {
    const byId = new Map(users.map((u) => [u.id, u]));
    const managerIds = [...new Set(users.map((u) => u.managerId).filter((m): m is string => Boolean(m)))];
    // Every manager signs in to Syncwarden with the address the directory has for them.
    const userOfManager = new Map<string, string>();
    for (const m of managerIds) userOfManager.set(m, await ensureUser(world.app.rt, 'reviewer', byId.get(m)!.mail!.toLowerCase()));
    // The top of the chart (no manager) is also the fallback: their own items must not come back to them.
    const top = users.find((u) => u.userType === 'Member' && !u.managerId && managerIds.includes(u.id))!;
    const fallback = userOfManager.get(top.id)!;
    const campaignId = await startManagerCampaign(world.app.api, 'Fabrikam groups', entra, fallback);

    const items = await world.app.rt.store.db.selectFrom('campaign_items').select(['account_id', 'reviewer_id', 'email']).where('campaign_id', '=', campaignId).execute();
    expect(items.length).toBeGreaterThan(20);
    let byManager = 0;
    for (const item of items) {
      const person = byId.get(item.account_id)!;
      const own = userOfManager.get(person.id);
      // Nobody reviews their own access.
      if (own) expect(item.reviewer_id).not.toBe(own);
      if (person.managerId) {
        expect(item.reviewer_id, `${person.userPrincipalName}'s reviewer`).toBe(userOfManager.get(person.managerId));
        byManager++;
      }
    }
    expect(byManager).toBeGreaterThan(20);
    // The top of the chart has no manager and is the fallback: their items go to nobody rather than to them.
    const topItems = items.filter((i) => i.account_id === top.id);
    expect(topItems.length).toBeGreaterThan(0);
    for (const i of topItems) expect(i.reviewer_id).not.toBe(fallback);
  });
});
