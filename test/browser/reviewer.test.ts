import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { bootBrowserApp, type BrowserApp } from '../support/browser.js';
import { campaignInput, COLLEAGUE_EMAIL, createStartedCampaign, prepareWorld, REVIEWER_EMAIL, type World } from './campaigns-world.js';

/**
 * A Reviewer in Chromium at 1280×800 (issue 12 point 9, issue 13 point 2): they sign in with
 * their password and see My reviews only — no other page, no other nav entry, other URLs land
 * on My reviews — then decide items (a click, and the keyboard with a justification),
 * reassign one to a colleague with a mandatory note, and bulk-accept the recommendations.
 * Every decision is checked through the admin's API, not only on screen.
 */
describe('a Reviewer in My reviews', () => {
  let app: BrowserApp;
  let page: Page;
  let world: World;
  let campaign: { id: string; items: number };

  beforeAll(async () => {
    app = await bootBrowserApp({
      signedInAs: null,
      newPage: { viewport: { width: 1280, height: 800 } },
      beforeBrowser: async (running, api) => {
        world = await prepareWorld(running, api);
        campaign = await createStartedCampaign(world, api, 'Quarterly memberships review');
      },
    });
    page = app.page;
  }, 240_000);
  afterEach(() => expect(app.pageErrors).toEqual([]));
  afterAll(async () => app?.stop());

  const items = async (q = '') => (await app.api(`/campaigns/${campaign.id}/items?limit=500${q ? `&${q}` : ''}`)).body.items as { id: string; decision: string | null; justification: string | null; reviewer: { email: string } }[];

  it('signs in and sees only My reviews, whatever the URL', async () => {
    expect(campaign.items).toBeGreaterThan(3);
    await page.goto(`${app.running.url}/#/dashboard`);
    await page.getByLabel('Email').fill(REVIEWER_EMAIL);
    await page.getByLabel('Password').fill('Tulip-stapler-orbit-42');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'My reviews' }).waitFor();
    const nav = page.getByRole('navigation', { name: 'Main' });
    expect(await nav.getByRole('link').allTextContents()).toEqual(['My reviews']);
    expect(await page.getByRole('button', { name: 'Account' }).textContent()).toContain('Reviewer');
    for (const path of ['/campaigns', '/users', '/identities', '/tokens', '/audit']) {
      await page.goto(`${app.running.url}/#${path}`);
      await page.getByRole('heading', { level: 1, name: 'My reviews' }).waitFor();
      expect(await page.getByRole('heading', { level: 1 }).allTextContents()).toEqual(['My reviews']);
    }
    // The campaigns they have items in, with their own progress (they may not list campaigns).
    await page.getByRole('table', { name: 'My campaigns' }).getByRole('button', { name: 'Quarterly memberships review' }).waitFor();
    // Each item shows the person with their accounts, the access and how it is held, and a recommendation with its reason.
    const first = page.locator('.review-item').first();
    await first.waitFor();
    expect(await first.locator('.accounts li').count()).toBeGreaterThan(0);
    expect(await first.locator('.review-what').textContent()).toMatch(/Direct|Through/);
    expect(await first.locator('.review-recommendation').textContent()).toMatch(/Recommended: (Approve|Revoke)/);
  });

  it('decides with a click and from the keyboard (Revoke asks a justification)', async () => {
    const cards = page.locator('.review-item');
    const firstId = await cards.first().getAttribute('data-item');
    await cards.first().getByRole('button', { name: 'Approve' }).click();
    await page.locator(`.review-item[data-item="${firstId}"]`).waitFor({ state: 'detached' });
    expect((await items('decision=approve')).map((i) => i.id)).toContain(firstId);

    // j moves to the second item, r asks why, the dialog revokes it.
    const secondId = await cards.nth(1).getAttribute('data-item');
    await page.locator('h1').click();
    await page.keyboard.press('j');
    await page.locator(`.review-item.active[data-item="${secondId}"]`).waitFor();
    await page.keyboard.press('r');
    const d = page.getByRole('dialog', { name: /^Revoke/ });
    await d.waitFor();
    expect(await d.getByRole('button', { name: 'Revoke' }).isDisabled()).toBe(true);
    await d.getByLabel('Justification').fill('Left the project in October');
    await d.getByRole('button', { name: 'Revoke' }).click();
    await d.waitFor({ state: 'detached' });
    await page.locator(`.review-item[data-item="${secondId}"]`).waitFor({ state: 'detached' });
    const revoked = (await items('decision=revoke')).find((i) => i.id === secondId);
    expect(revoked?.justification).toBe('Left the project in October');

    // ? lists the keys.
    await page.keyboard.press('?');
    await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
    await page.keyboard.press('Escape');
  });

  it('reassigns an item with a mandatory note, and shows its history', async () => {
    const card = page.locator('.review-item').first();
    const id = await card.getAttribute('data-item');
    await card.getByRole('button', { name: 'Reassign' }).click();
    const d = page.getByRole('dialog', { name: 'Reassign the review' });
    await d.getByLabel('Reassign to').selectOption(world.colleagueId);
    expect(await d.getByRole('button', { name: 'Reassign' }).isDisabled()).toBe(true);
    await d.getByLabel('Reassign note').fill('Colin owns this group since the reorganisation');
    await d.getByRole('button', { name: 'Reassign' }).click();
    await d.waitFor({ state: 'detached' });
    await page.locator(`.review-item[data-item="${id}"]`).waitFor({ state: 'detached' });
    const moved = (await items()).find((i) => i.id === id);
    expect(moved?.reviewer.email).toBe(COLLEAGUE_EMAIL);

    // A decided item's history names the decision.
    await page.getByLabel('Show').selectOption('decided');
    await page.locator('.review-item').first().getByRole('button', { name: 'History' }).click();
    const panel = page.getByRole('complementary', { name: 'Item history' });
    await panel.getByRole('list', { name: 'History entries' }).getByText('decided').first().waitFor();
    await panel.getByRole('button', { name: 'Close history' }).click();
    await page.getByLabel('Show').selectOption('open');
  });

  it('bulk-accepts the recommendations over the selection', async () => {
    await page.locator('.review-item').first().waitFor();
    const shown = await page.locator('.review-item').count();
    const ids = await page.locator('.review-item').evaluateAll((els) => els.map((e) => e.getAttribute('data-item')));
    await page.locator('h1').click();
    await page.keyboard.press('x');
    await page.getByRole('toolbar', { name: 'Bulk decisions' }).getByText(`${shown} selected`).waitFor();
    const before = (await items('decision=none')).length;
    await page.getByRole('toolbar', { name: 'Bulk decisions' }).getByRole('button', { name: 'Accept recommendations' }).click();
    // A campaign that wants a justification on every revocation asks for one first.
    const why = page.getByRole('dialog', { name: /^Accept the recommendation/ });
    const toast = page.getByRole('status').filter({ hasText: `${shown} recommendation` });
    await Promise.race([why.waitFor(), toast.waitFor()]);
    if (await why.isVisible()) {
      await why.getByLabel('Justification').fill('Following the recommendations');
      await why.getByRole('button', { name: 'Accept' }).click();
    }
    await toast.waitFor();
    const after = (await items('decision=none')).length;
    expect(before - after).toBe(shown);
    // What was accepted follows each item's recommendation.
    const all = (await app.api(`/campaigns/${campaign.id}/items?limit=500`)).body.items as { id: string; decision: string | null; recommendation: { decision: string } }[];
    const accepted = all.filter((i) => ids.includes(i.id));
    expect(accepted).toHaveLength(shown);
    for (const i of accepted) expect(i.decision).toBe(i.recommendation.decision);
  });

  it('asks a justification before an Approve when the item says its campaign requires one always', async () => {
    const created = await app.api('/campaigns', { method: 'POST', body: JSON.stringify({ ...campaignInput(world, 'Always justified'), justification: 'always' }) });
    expect(created.status, created.text).toBe(201);
    const id = created.body.campaign.id as string;
    expect((await app.api(`/campaigns/${id}/start`, { method: 'POST', body: '{}' })).status).toBe(200);
    await page.reload();
    await page.getByRole('table', { name: 'My campaigns' }).getByRole('button', { name: 'Always justified' }).click();
    const card = page.locator('.review-item').first();
    await card.waitFor();
    const itemId = await card.getAttribute('data-item');
    await card.getByRole('button', { name: 'Approve' }).click();
    // Asked before anything is sent: nothing decided yet, the button waits for a reason.
    const d = page.getByRole('dialog', { name: /^Approve/ });
    await d.waitFor();
    expect(await d.getByRole('button', { name: 'Approve' }).isDisabled()).toBe(true);
    const item = async () => ((await app.api(`/campaigns/${id}/items?limit=500`)).body.items as { id: string; decision: string | null; justification: string | null }[]).find((i) => i.id === itemId)!;
    expect((await item()).decision).toBeNull();
    await d.getByLabel('Justification').fill('Still runs the payroll export');
    await d.getByRole('button', { name: 'Approve' }).click();
    await d.waitFor({ state: 'detached' });
    await page.locator(`.review-item[data-item="${itemId}"]`).waitFor({ state: 'detached' });
    expect(await item()).toMatchObject({ decision: 'approve', justification: 'Still runs the payroll export' });
  });
});
