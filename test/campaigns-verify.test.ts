import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDirectorySync } from '../src/directory/sync/run.js';
import { correlateIdentities } from '../src/directory/correlation/correlate.js';
import { createCampaign, startCampaign } from '../src/campaigns/lifecycle.js';
import { decide } from '../src/campaigns/reviews.js';
import { closeCampaign } from '../src/campaigns/close.js';
import { applyCampaign, runApply } from '../src/campaigns/apply.js';
import { verifyAfterSync } from '../src/campaigns/verify.js';
import { setWriteBack } from '../src/connections/service.js';
import { directoryWorld } from './support/directory.js';
import { scimBody } from './support/connections.js';
import { ensureUser } from './support/auth.js';

/**
 * Verification counts only a sync that started after the revocation. campaign-crash found the
 * race: a sync already reading when the revocation landed read the membership before it went,
 * finished afterwards, and the item was reopened as "Did not stick" though the app had it gone.
 */
describe('campaign verification after the next sync', () => {
  let world: Awaited<ReturnType<typeof directoryWorld>>;
  let scim: string;

  beforeAll(async () => {
    world = await directoryWorld('sqlite');
    scim = await world.connect(scimBody(world.sandbox, { config: { massRemovalPercent: 100 } }));
    await setWriteBack(world.app.rt, world.tenantId, scim, { enabled: true }, 'test');
    expect((await runDirectorySync(world.app.rt, world.tenantId, scim, { mode: 'full' })).status).toBe('succeeded');
    await correlateIdentities(world.app.rt, world.tenantId);
  }, 120_000);
  afterAll(async () => world?.close());

  it('a sync that started before the revocation and finished after it does not verify (nor fail) the item; one that started after does', async () => {
    const rt = world.app.rt;
    const T = world.tenantId;
    const reviewer = await ensureUser(rt, 'admin', 'verifier@example.test');
    const c = await createCampaign(rt, T, { name: 'Verify race', connectionIds: [scim], kinds: ['scim_group_membership'], reviewers: { mode: 'named', userIds: [reviewer], fallbackUserId: reviewer }, durationDays: 7, noResponse: 'keep', justification: 'on_revoke', breaker: { maxShareOfResource: 1, maxPerConnection: 10_000 } }, { userId: reviewer, actor: 'test' });
    await startCampaign(rt, T, c.id, 'test');
    const item = await rt.store.db.selectFrom('campaign_items').select(['id']).where('campaign_id', '=', c.id).where('via', '=', 'direct').orderBy('id').executeTakeFirstOrThrow();
    const who = { userId: reviewer, actor: 'test', admin: false };
    await decide(rt, T, who, { filter: { campaign: c.id }, decision: 'approve' }, false);
    await decide(rt, T, who, { itemIds: [item.id], decision: 'revoke', justification: 'race' }, false);
    await closeCampaign(rt, T, c.id, { apply: false }, 'test');
    // A sync reads the membership (it is still there)…
    expect((await runDirectorySync(rt, T, scim, { mode: 'full' })).status).toBe('succeeded');
    // …the revocation lands…
    await applyCampaign(rt, T, c.id, 'test');
    for (let k = 0; k < 20 && (await runApply(rt, T, c.id, scim)).again; k++) await new Promise((r) => setTimeout(r, 200));
    const revoked = await rt.store.db.selectFrom('campaign_items').select(['remediation', 'verification', 'remediated_at']).where('id', '=', item.id).executeTakeFirstOrThrow();
    expect(revoked).toMatchObject({ remediation: 'success', verification: 'pending' });
    // …and that sync succeeds after it (a long sync's last pages): it started before the revocation.
    await rt.store.db.updateTable('dir_state').set({ last_success_at: new Date(Date.parse(revoked.remediated_at!) + 1_000).toISOString() }).where('connection_id', '=', scim).execute();
    await verifyAfterSync(rt);
    expect(await rt.store.db.selectFrom('campaign_items').select(['remediation', 'verification']).where('id', '=', item.id).executeTakeFirstOrThrow()).toEqual({ remediation: 'success', verification: 'pending' });

    // The next sync starts after the revocation: it reads the membership gone, and the item is verified.
    expect((await runDirectorySync(rt, T, scim, { mode: 'full' })).status).toBe('succeeded');
    await verifyAfterSync(rt);
    expect(await rt.store.db.selectFrom('campaign_items').select(['remediation', 'verification']).where('id', '=', item.id).executeTakeFirstOrThrow()).toEqual({ remediation: 'success', verification: 'verified' });
  });
});
