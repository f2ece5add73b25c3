import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootApp } from './support/app.js';
import { waitFor } from './support/sandbox-admin.js';
import { DEMO_CAMPAIGN_NAME } from '../src/campaigns/demo.js';

/** The demo tenant (`npm start`): once its directories synced, one running campaign whose items are the owner's. */
describe('demo tenant: a running certification campaign', () => {
  let app: Awaited<ReturnType<typeof bootApp>>;
  beforeAll(async () => {
    app = await bootApp({ sandbox: { basePort: 0, demo: true }, worker: { concurrency: 2 }, scheduler: true, schedulerTickMs: 300 });
  }, 60_000);
  afterAll(async () => app?.stop());

  it('starts over the demo directories, and My reviews of the owner is not empty', async () => {
    const campaign = await waitFor('the demo campaign', async () => {
      const r = await app.api('/campaigns');
      return (r.body.campaigns as { name: string; status: string; totals: { items: number }; kinds: string[] }[]).find((c) => c.name === DEMO_CAMPAIGN_NAME && c.status === 'running');
    }, 150_000, 500);
    expect(campaign.totals.items).toBeGreaterThan(10);
    expect(campaign.kinds.length).toBeGreaterThan(1);
    const mine = await app.api('/reviews?limit=5');
    expect(mine.status).toBe(200);
    expect(mine.body.counts.open).toBe(campaign.totals.items);
    expect(mine.body.items[0].recommendation.reasons.length).toBeGreaterThan(0);
  }, 200_000);
});
