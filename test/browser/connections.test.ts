import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Running } from '../../src/runtime/start.js';
import { bootBrowserApp, type BrowserApp } from '../support/browser.js';

/**
 * The UI as an admin uses it, in Debian's Chromium (never a downloaded browser). Boots the
 * same composition as `npm start` — sandbox, demo tenant, workers, scheduler — on a
 * temporary data directory and free ports.
 */

describe('web UI in Chromium', () => {
  let running: Running;
  let app: BrowserApp;
  let page: Page;
  let dataDir: string;

  beforeAll(async () => {
    app = await bootBrowserApp();
    ({ running, page, dataDir } = app);
  });

  afterAll(async () => {
    await app?.stop();
  });

  it('Connections: Test connection from the three-dot menu shows the green toast', async () => {
    await page.goto(`${running.url}/#/connections`);
    await page.getByRole('navigation', { name: 'Main' }).getByText('Connections').waitFor();
    const card = page.getByRole('article', { name: 'Northwind Microsoft 365 (sandbox)' });
    await card.waitFor();
    await card.getByRole('button', { name: 'More actions' }).click();
    await page.getByRole('menuitem', { name: 'Test connection' }).click();
    const toast = page.getByRole('status').filter({ hasText: 'Connection test successful' });
    await toast.waitFor({ timeout: 20_000 });
    expect(await toast.isVisible()).toBe(true);
    await page.screenshot({ path: join(dataDir, 'connections.png') });
  });

  it('Connections: add a SCIM directory connection through the form; it is tested on save', async () => {
    const scim = running.sandbox!.demo.scim;
    await page.goto(`${running.url}/#/connections`);
    await page.getByRole('button', { name: 'Add connection' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add connection' });
    await dialog.getByLabel('Type').selectOption('scim');
    expect(await dialog.getByLabel('Role').inputValue()).toBe('directory');
    await dialog.getByLabel('Name').fill('Expenses app (browser)');
    await dialog.getByLabel('SCIM base URL').fill(scim.baseUrl);
    await dialog.getByLabel('Bearer token').fill(scim.token);
    await dialog.getByLabel('Include guests').check();
    // Write-back is its own consent: off unless ticked, and it says what it adds.
    expect(await dialog.getByLabel('Write-back').isChecked()).toBe(false);
    expect(await dialog.locator('.write-back').textContent()).toContain('PATCH /Groups');
    await dialog.getByRole('button', { name: 'Save' }).click();
    const toast = page.getByRole('status').filter({ hasText: 'Connection test successful: "Expenses app (browser)"' });
    await toast.waitFor({ timeout: 30_000 });
    const card = page.getByRole('article', { name: 'Expenses app (browser)' });
    await card.waitFor();
    expect(await card.getByTestId('scope').textContent()).toContain('Members only — external identities and disabled accounts left out');
    expect(await card.getByTestId('access').textContent()).toContain('Read-only');
    await page.screenshot({ path: join(dataDir, 'scim-created.png') });
  });

  it('Connections and Credentials: the demo directory connections, with key ages read from the provider', async () => {
    await page.goto(`${running.url}/#/connections`);
    for (const name of ['Fabrikam Entra ID directory (sandbox)', 'Northwind Google Workspace directory (sandbox)', 'Northwind AWS account (sandbox)', 'Northwind Expenses SCIM app (sandbox)']) {
      await page.getByRole('article', { name }).waitFor();
    }
    expect(await page.getByRole('article', { name: 'Northwind AWS account (sandbox)' }).getByTestId('countdown').textContent()).toMatch(/Access key rotation due in \d+ days/);
    await page.goto(`${running.url}/#/credentials`);
    const row = page.getByRole('row').filter({ hasText: 'Northwind AWS account (sandbox)' });
    await row.waitFor();
    expect(await row.textContent()).toContain("from the key's creation date");
  });

  it('Sync status: users appear and a row opens the detail panel', async () => {
    await page.goto(`${running.url}/#/sync`);
    const rows = page.locator('table tbody tr');
    await rows.first().waitFor({ timeout: 30_000 });
    expect(await rows.count()).toBeGreaterThan(0);
    await rows.first().click();
    const panel = page.getByRole('complementary', { name: 'User details' });
    await panel.waitFor();
    expect(await panel.textContent()).toMatch(/Pending|Initial Sync|Synced|Failed/);
  });
});
