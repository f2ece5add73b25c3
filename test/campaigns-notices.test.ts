import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directoryWorld } from './support/directory.js';
import { scimBody } from './support/connections.js';
import { apiClient, ensureUser, tokenFor } from './support/auth.js';
import { runDirectorySync } from '../src/directory/sync/run.js';
import { sendDueReminders, escalateDue } from '../src/campaigns/notices.js';
import { closeDue } from '../src/campaigns/jobs.js';

/** Reminder digests only to reviewers with open items, escalation (replace) to the fallback with its banner, the deadline closing the campaign; each notice audited once. */
describe('campaign reminders, escalation and deadline', () => {
  let world: Awaited<ReturnType<typeof directoryWorld>>;
  let scim: string;
  beforeAll(async () => {
    world = await directoryWorld('sqlite');
    scim = await world.connect(scimBody(world.sandbox));
    expect((await runDirectorySync(world.app.rt, world.tenantId, scim, { mode: 'full' })).status).toBe('succeeded');
  }, 120_000);
  afterAll(async () => world?.close());

  it('reminds, escalates, closes at the deadline', async () => {
    const rt = world.app.rt;
    const fallback = await ensureUser(rt, 'admin', 'fallback@example.test');
    const busy = await ensureUser(rt, 'reviewer', 'busy@example.test');
    const idle = await ensureUser(rt, 'reviewer', 'idle@example.test');
    const created = await world.app.api('/campaigns', { method: 'POST', body: JSON.stringify({
      name: 'Notices', connectionIds: [scim], kinds: ['scim_group_membership'], reviewers: { mode: 'named', userIds: [busy, idle], fallbackUserId: fallback },
      durationDays: 10, noResponse: 'keep', justification: 'on_revoke', reminderDays: [3, 1], escalation: { afterDays: 2, to: 'fallback', mode: 'replace' },
    }) });
    const id = created.body.campaign.id as string;
    await world.app.api(`/campaigns/${id}/start`, { method: 'POST', body: '{}' });
    const busyApi = apiClient(world.app.url!, { authorization: `Bearer ${await tokenFor(rt, busy, 'reviewer', 'busy')}` });
    // busy decides everything: no reminder for them.
    expect((await busyApi('/reviews/decide', { method: 'POST', body: JSON.stringify({ filter: { campaign: id }, decision: 'approve' }) })).body.decided).toBeGreaterThan(0);
    const idleOpen = (await world.app.rt.store.db.selectFrom('campaign_items').select('id').where('campaign_id', '=', id).where('reviewer_id', '=', idle).execute()).length;
    expect(idleOpen).toBeGreaterThan(0);

    // Three days before the deadline, two days into the stage.
    await rt.store.db.updateTable('campaigns').set({ deadline: new Date(Date.now() + 2.5 * 86_400_000).toISOString(), stage_started_at: new Date(Date.now() - 3 * 86_400_000).toISOString() }).where('id', '=', id).execute();
    expect(await sendDueReminders(rt)).toBe(1);
    expect(await sendDueReminders(rt)).toBe(0); // once per reminder day
    const reminded = await rt.store.db.selectFrom('campaign_history').select(['user_id', 'detail']).where('campaign_id', '=', id).where('action', '=', 'reminded').execute();
    expect(reminded.map((r) => r.user_id)).toEqual([idle]);
    expect(reminded[0]!.detail).toContain(`${idleOpen} open item(s)`);

    expect(await escalateDue(rt)).toBe(1);
    expect(await escalateDue(rt)).toBe(0);
    const fbApi = apiClient(world.app.url!, { authorization: `Bearer ${await tokenFor(rt, fallback, 'admin', 'fb')}` });
    const inbox = await fbApi('/reviews');
    expect(inbox.body.counts.open).toBe(idleOpen);
    expect(inbox.body.banner).toMatch(/^Escalated to you/);
    const audit = (await world.app.api('/audit?limit=500')).body.events.map((e: { action: string }) => e.action);
    expect(audit.filter((a: string) => a === 'campaign.reminded')).toHaveLength(1);
    expect(audit.filter((a: string) => a === 'campaign.escalated')).toHaveLength(1);

    // The deadline passes: the scheduler's task closes the campaign with the no-response default.
    await rt.store.db.updateTable('campaigns').set({ deadline: new Date(Date.now() - 1000).toISOString() }).where('id', '=', id).execute();
    expect(await closeDue(rt)).toBe(1);
    const closed = (await world.app.api(`/campaigns/${id}`)).body.campaign;
    expect(closed.status).toBe('closed');
    expect(closed.totals.open).toBe(0);
  }, 60_000);
});
