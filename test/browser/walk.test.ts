import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { bootBrowserApp, type BrowserApp } from '../support/browser.js';
import { waitForDirectories } from './campaigns-world.js';
import type { PageDocument } from './page-dom.js';

declare const document: PageDocument; // the page's, in the functions run inside Chromium

/**
 * An admin's walk through the whole product on a laptop (1280×800): every page, every dialog and
 * the detail panels. Anywhere along the way the document must not scroll sideways (a table
 * scrolls inside its column; a panel stays on screen), the console must stay free of errors and
 * no request may fail. `SCREENSHOTS=dir` keeps a picture of each stop to look at.
 */
const SHOTS = process.env['SCREENSHOTS'];

describe('a walk through every page at 1280×800', () => {
  let app: BrowserApp;
  let page: Page;
  const problems: string[] = [];
  let where = 'boot';

  beforeAll(async () => {
    app = await bootBrowserApp({ newPage: { viewport: { width: 1280, height: 800 } } });
    page = app.page;
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`${where}: console error: ${m.text()}`);
    });
    page.on('requestfailed', (r) => {
      // A poll cut short by the next navigation is not a failure of the product.
      if (r.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`${where}: request failed: ${r.method()} ${r.url()} (${r.failure()?.errorText})`);
    });
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`${where}: ${r.status()} for ${r.request().method()} ${r.url()}`);
    });
    if (SHOTS) mkdirSync(SHOTS, { recursive: true });
  });
  afterAll(async () => {
    await app?.stop();
  });

  /** Fails the walk at this stop when the document is wider than the window. */
  async function stop(name: string): Promise<void> {
    where = name;
    await page.waitForTimeout(150);
    const { scroll, client } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    if (scroll > client) problems.push(`${name}: the page is ${scroll} px wide in a ${client} px window`);
    if (SHOTS) await page.screenshot({ path: join(SHOTS, `${name.replace(/[^a-z0-9]+/gi, '-')}.png`) });
  }

  async function go(path: string, ready: string): Promise<void> {
    where = path;
    await page.goto(`${app.running.url}/#${path}`);
    await page.getByRole('heading', { level: 1, name: ready }).waitFor();
  }

  async function dialog(name: string | RegExp, open: () => Promise<void>): Promise<void> {
    await open();
    const d = page.getByRole('dialog', { name });
    await d.waitFor();
    await stop(`dialog ${String(name)}`);
    // The title sits in the dialog's header, beside its close button, not against the edge.
    const inset = await d.evaluate((el) => {
      const h = el.querySelector('h2')!.getBoundingClientRect();
      return h.left - el.getBoundingClientRect().left;
    });
    if (inset < 8) problems.push(`dialog ${String(name)}: its title is ${inset} px from the edge`);
    await page.keyboard.press('Escape');
    await d.waitFor({ state: 'detached' });
  }

  it('every page, dialog and panel fits the window, with no console error and no failed request', async () => {
    // The demo as an admin first meets it: users synced, directories read.
    await go('/sync', 'Sync status');
    await page.getByRole('row').filter({ hasText: 'Synced' }).first().waitFor({ timeout: 90_000 });
    await stop('sync status');
    await page.getByRole('table', { name: 'Users' }).getByRole('row').filter({ hasText: 'Synced' }).first().click();
    const panel = page.getByRole('complementary', { name: 'User details' });
    await panel.waitFor();
    await stop('sync status, user panel');
    const box = await panel.boundingBox();
    expect(box && box.x + box.width).toBeLessThanOrEqual(1280);
    for (const tab of [/^Items/, /^Why\?/, /^Folders/]) {
      await panel.getByRole('tab', { name: tab }).click();
      if (tab.source.startsWith('^Why')) await panel.getByRole('button', { name: "Why isn't this user syncing?" }).click();
      if (tab.source.startsWith('^Why')) await panel.getByRole('list', { name: 'Explanation' }).waitFor();
      await stop(`sync status, user panel, ${tab.source.replace(/\W/g, '')}`);
    }
    // Escape closes the panel, as it closes a dialog.
    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'detached' });

    await go('/dashboard', 'Dashboard');
    await stop('dashboard');

    await go('/connections', 'Connections');
    await page.getByRole('article', { name: 'Northwind Microsoft 365 (sandbox)' }).waitFor();
    await stop('connections');
    await dialog('Add connection', async () => {
      await page.getByRole('button', { name: 'Add connection' }).click();
      // Saving the empty form: plain words beside each required field, nothing raw, nothing sent.
      const d = page.getByRole('dialog', { name: 'Add connection' });
      await d.getByRole('button', { name: 'Save' }).click();
      await d.getByText('Give the connection a name, e.g. its tenant or domain.').waitFor();
      await d.getByText('Enter the directory (tenant) ID.').waitFor();
      expect(await d.textContent()).not.toMatch(/Too small|Invalid input|highlighted/);
      expect(await d.locator('[aria-invalid="true"]').count()).toBe(3);
    });
    for (const [card, item, title] of [
      ['Northwind Microsoft 365 (sandbox)', 'Edit', /^Edit Northwind Microsoft 365/],
      ['Northwind Microsoft 365 (sandbox)', 'Rotate credential', /^Rotate credential/],
      ['Northwind Expenses SCIM app (sandbox)', 'Edit', /^Edit Northwind Expenses/],
    ] as const) {
      await dialog(title, async () => {
        await page.getByRole('article', { name: card }).getByRole('button', { name: 'More actions' }).click();
        await page.getByRole('menuitem', { name: item }).click();
      });
    }

    await go('/credentials', 'Credentials');
    await stop('credentials');
    await go('/incidents', 'Incidents');
    await stop('incidents');

    await go('/policies', 'Policies');
    await page.getByRole('table', { name: 'Policies' }).waitFor();
    await stop('policies');
    await dialog('Create policy', () => page.getByRole('button', { name: 'Create policy' }).click());
    await dialog(/^Edit policy/, () => page.getByRole('table', { name: 'Policies' }).getByRole('button', { name: 'Edit' }).first().click());

    await go('/identities', 'Identities');
    await page.getByRole('table', { name: 'Identities' }).waitFor({ timeout: 90_000 });
    await stop('identities');
    await dialog('Matching rules', async () => {
      await page.getByRole('button', { name: 'Matching rules' }).click();
      // Each checkbox sits on its label's line, not stretched above it.
      const boxes = await page.getByRole('dialog', { name: 'Matching rules' }).getByRole('checkbox').evaluateAll((els) => els.map((el) => {
        const box = el.getBoundingClientRect();
        const label = (el.closest('label') ?? el.parentElement)!.getBoundingClientRect();
        return { width: box.width, sameLine: box.height >= label.height - 8 || Math.abs(box.top + box.height / 2 - (label.top + label.height / 2)) < 8 };
      }));
      expect(boxes.length).toBe(3);
      for (const b of boxes) expect(b.width < 40 && b.sameLine, JSON.stringify(b)).toBe(true);
    });
    await page.getByRole('button', { name: 'Why is an identity missing or duplicated?' }).click();
    await stop('identities, why missing panel');
    await page.getByRole('table', { name: 'Identities' }).getByRole('link').first().click();
    await page.getByRole('heading', { level: 1 }).waitFor();
    await stop('identity detail');

    // Certifications: a campaign over the demo directories, reviewed by the admin walking.
    const connectionIds = await waitForDirectories(app.api);
    const me = (await app.api('/auth/me')).body.user.id as string;
    const created = await app.api('/campaigns', { method: 'POST', body: JSON.stringify({
      name: 'Walk review', connectionIds, kinds: ['group_membership', 'scim_group_membership', 'aws_group_membership'],
      reviewers: { mode: 'named', userIds: [me], fallbackUserId: me }, durationDays: 14, noResponse: 'keep', justification: 'on_revoke',
    }) });
    const campaignId = created.body.campaign.id as string;
    expect((await app.api(`/campaigns/${campaignId}/start`, { method: 'POST', body: '{}' })).status).toBe(200);
    await go('/campaigns', 'Campaigns');
    await page.getByRole('table', { name: 'Campaigns' }).waitFor();
    await stop('campaigns');
    await go('/campaigns/new', 'Create campaign');
    await page.getByRole('complementary', { name: 'Scope preview' }).getByTestId('preview-items').waitFor();
    await stop('create campaign, scope preview');
    await go(`/campaigns/${campaignId}`, 'Walk review');
    await page.getByRole('table', { name: 'Reviewers' }).waitFor();
    await stop('campaign detail');
    for (const [tab, ready] of [['Items', 'Campaign items'], ['Remediation', null], ['Verification', null], ['Report', null]] as const) {
      await page.getByRole('tab', { name: tab }).click();
      if (ready) await page.getByRole('table', { name: ready }).waitFor();
      await stop(`campaign detail, ${tab}`);
    }
    await dialog('Close the campaign now', () => page.getByRole('button', { name: 'Close early…' }).click());
    await go(`/campaigns/${campaignId}/report`, 'Access certification report');
    await page.getByRole('table', { name: 'Report items' }).waitFor();
    await stop('campaign report');
    await go('/reviews', 'My reviews');
    await page.locator('.review-item').first().waitFor();
    await stop('my reviews');
    await dialog('Keyboard shortcuts', () => page.getByRole('button', { name: 'Keyboard shortcuts' }).click());
    await dialog('Reassign the review', () => page.locator('.review-item').first().getByRole('button', { name: 'Reassign' }).click());
    await page.locator('.review-item').first().getByRole('button', { name: 'History' }).click();
    await page.getByRole('complementary', { name: 'Item history' }).getByRole('heading', { name: 'History' }).waitFor();
    await stop('my reviews, history panel');
    await page.getByLabel('Group by').selectOption('resource');
    await stop('my reviews, by resource');

    // Pages with nothing to open: each is one stop.
    for (const [path, heading] of [['/directory', 'Directory sync'], ['/audit', 'Audit logs'], ['/alerts', 'Alerts'], ['/users', 'Users and roles'], ['/tokens', 'API tokens'], ['/organisations', 'Organisations']] as const) {
      await go(path, heading);
      await stop(heading.toLowerCase());
    }

    // A disabled policy is on the dashboard, not only on its own page.
    await go('/policies', 'Policies');
    await page.getByRole('table', { name: 'Policies' }).getByRole('button', { name: 'Disable' }).first().click();
    await page.getByRole('table', { name: 'Policies' }).getByRole('button', { name: 'Enable' }).first().waitFor();
    await go('/dashboard', 'Dashboard');
    await page.getByRole('status').filter({ hasText: 'A policy is disabled: its users are not synced.' }).waitFor();
    await stop('dashboard, a policy disabled');

    expect(problems).toEqual([]);
    expect(app.pageErrors).toEqual([]);
  }, 360_000);
});
