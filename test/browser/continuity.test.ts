import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Running } from '../../src/runtime/start.js';
import { bootBrowserApp, type BrowserApp } from '../support/browser.js';

/**
 * Continuity's pages as an admin uses them, in Debian's Chromium: the dashboard's figures,
 * Sync status (status chips, progress, the detail panel with folders and reconciliation, the
 * items view with "Retry failed items", "Why isn't this user syncing?"), and Policies (the
 * rule editor with a preview, rate budgets, approving a held cycle).
 */

describe('continuity UI in Chromium', () => {
  let running: Running;
  let app: BrowserApp;
  let page: Page;
  let victim: string;

  beforeAll(async () => {
    app = await bootBrowserApp({
      concurrency: 8,
      beforeBrowser: async (r, api) => {
        // One encrypted message in a user's Inbox: an item that cannot sync, for the items view.
        const users = await (await fetch(`${r.sandbox!.urls.admin}/microsoft/users`)).json() as { users: { userPrincipalName: string }[] };
        victim = users.users[1]!.userPrincipalName;
        r.sandbox!.faults.set('*', 'item.encrypted', { user: victim, count: 1 });
        await fetch(`${r.sandbox!.urls.admin}/google/quotas`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userUnitsPerMinute: 600_000 }) });
        await api('/continuity/budgets', { method: 'PATCH', body: JSON.stringify({ destinationUser: { unitsPerMinute: 600_000 } }) });
      },
    });
    ({ running, page } = app);
  });

  afterAll(async () => {
    await app?.stop();
  });

  it('Sync status: every status has a chip, users sync, and the victim shows a failed item', async () => {
    await page.goto(`${running.url}/#/sync`);
    const chips = page.getByRole('group', { name: 'Filter by status' });
    await chips.waitFor({ timeout: 30_000 });
    for (const label of ['Pending', 'Initial Sync', 'Synced', 'Throttled', 'Blocked by connection', 'Failed', 'Quarantined', 'Excluded']) {
      expect(await chips.getByText(label, { exact: true }).count(), label).toBe(1);
    }
    const row = page.getByRole('row').filter({ hasText: victim });
    await row.filter({ hasText: 'Synced' }).waitFor({ timeout: 90_000 });
    await row.click();
    const panel = page.getByRole('complementary', { name: 'User details' });
    await panel.getByText('Last successful sync').waitFor();
    expect(await panel.getByRole('tabpanel', { name: 'Folders' }).getByText('Inbox').count()).toBeGreaterThan(0);
  });

  it('the detail panel reconciles folders and classifies gaps', async () => {
    const panel = page.getByRole('complementary', { name: 'User details' });
    await panel.getByRole('button', { name: 'Reconcile' }).click();
    await page.getByRole('status').filter({ hasText: 'Reconciliation done' }).waitFor({ timeout: 30_000 });
    const inbox = panel.locator('tr[data-folder="Inbox"]');
    await inbox.getByText('in Microsoft 365').waitFor();
    expect(await inbox.textContent()).toContain('Cannot sync (see Items): 1');
  });

  it('the items view lists the failed item with its code, and "Retry failed items" retries it', async () => {
    const panel = page.getByRole('complementary', { name: 'User details' });
    await panel.getByRole('tab', { name: /Items/ }).click();
    const table = panel.getByRole('table', { name: 'Items that could not sync' });
    await table.waitFor();
    expect(await table.textContent()).toContain('item.encrypted');
    await panel.getByRole('button', { name: 'Retry failed items' }).click();
    await page.getByRole('status').filter({ hasText: 'Failed items queued for retry' }).waitFor();
    // Encrypted stays encrypted: after the retry it is listed again with its code.
    await table.getByText('item.encrypted').waitFor({ timeout: 30_000 });
  });

  it('"Why isn\'t this user syncing?" explains the user step by step', async () => {
    const panel = page.getByRole('complementary', { name: 'User details' });
    await panel.getByRole('tab', { name: 'Why?' }).click();
    await panel.getByRole('button', { name: "Why isn't this user syncing?" }).click();
    const steps = panel.getByRole('list', { name: 'Explanation' });
    await steps.waitFor({ timeout: 30_000 });
    const text = await steps.textContent();
    for (const s of ['Policy "All Northwind users"', 'Policy match', 'Google account', 'Source connection', 'Destination connection', 'Status: Synced']) expect(text).toContain(s);
  });

  it('Dashboard shows data and users synced, changes in 24 h, failed users and the oldest successful sync', async () => {
    await page.goto(`${running.url}/#/dashboard`);
    const stats = page.getByLabel('Continuity figures');
    await stats.waitFor();
    for (const label of ['data synced', 'users synced', 'changes in 24 h', 'failed users', 'oldest successful sync']) expect(await stats.getByText(label).count(), label).toBeGreaterThan(0);
    expect(await stats.locator('[data-figure="users-synced"] .stat-value').textContent()).not.toBe('0');
  });

  it('Policies: the rule editor previews a change, and a held cycle is approved from the page', async () => {
    await page.goto(`${running.url}/#/policies`);
    const row = page.getByRole('row').filter({ hasText: 'All Northwind users' });
    await row.getByRole('button', { name: 'Edit' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Select users').selectOption('list');
    await dialog.getByLabel('Include (one email per line)').fill(victim);
    await dialog.getByRole('button', { name: 'Preview' }).click();
    const preview = dialog.getByRole('region', { name: 'Preview' });
    await preview.waitFor({ timeout: 30_000 });
    expect(await preview.textContent()).toContain('The mass-deletion guard would hold this cycle');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Policy saved' }).waitFor();
    await row.getByRole('button', { name: 'Run now' }).click();
    const banner = page.getByRole('alert').filter({ hasText: 'Cycle held for approval' });
    await banner.waitFor({ timeout: 60_000 });
    await banner.getByRole('button', { name: 'Approve removals' }).click();
    await page.getByRole('status').filter({ hasText: 'Held cycle approved' }).waitFor();
    // The budgets are on the same page.
    expect(await page.getByRole('region', { name: 'Rate budgets' }).getByText('units / project / minute').count()).toBe(1);
    await page.goto(`${running.url}/#/sync`);
    await page.getByRole('group', { name: 'Filter by status' }).getByRole('button', { name: /Excluded/ }).click();
    await page.getByRole('row').filter({ hasText: 'Excluded' }).first().waitFor({ timeout: 60_000 });
  });
});
