import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootBrowserApp, type BrowserApp } from '../support/browser.js';
import type { PageDocument } from './page-dom.js';

declare const document: PageDocument; // the page's, in the functions run inside Chromium

/**
 * Organisations in Chromium at 1280×800: an owner creates one (refused with the reason when
 * the id is taken), renames it, and switches to it; the new organisation starts empty.
 */
describe('organisations page in Chromium', () => {
  let app: BrowserApp;
  beforeAll(async () => {
    app = await bootBrowserApp({ concurrency: 1 });
  }, 120_000);
  afterAll(async () => app?.stop());

  it('an owner creates an organisation, renames it and switches to it', async () => {
    const { page } = app;
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${app.running.url}/#/organisations`);
    await page.getByRole('heading', { name: 'Organisations' }).waitFor();
    const table = page.getByRole('table', { name: 'Organisations' });
    await table.getByRole('row').nth(1).waitFor();
    expect(await table.getByRole('row').count()).toBe(2); // the header and the demo's organisation

    const form = page.getByRole('form', { name: 'New organisation' });
    await form.getByLabel('Organisation name').fill('Fabrikam Labs');
    await form.getByLabel('Organisation id').fill('fabrikam-labs');
    await form.getByRole('button', { name: 'Create organisation' }).click();
    await page.locator('.notice', { hasText: 'Fabrikam Labs' }).getByRole('button', { name: 'Switch to Fabrikam Labs' }).waitFor();
    await table.locator('tr[data-tenant="fabrikam-labs"]').waitFor();

    // The same id again: refused, and the page says why.
    await form.getByLabel('Organisation name').fill('Fabrikam again');
    await form.getByLabel('Organisation id').fill('fabrikam-labs');
    await form.getByRole('button', { name: 'Create organisation' }).click();
    const refusal = page.locator('.error-box').first();
    await refusal.waitFor();
    expect(await refusal.textContent()).toContain('Organisation id already taken');

    const row = table.locator('tr[data-tenant="fabrikam-labs"]');
    await row.getByRole('button', { name: 'Rename' }).click();
    await row.getByLabel('New name').fill('Fabrikam Research');
    await row.getByRole('button', { name: 'Save' }).click();
    await row.getByText('Fabrikam Research').waitFor();

    await row.getByRole('button', { name: 'Switch to' }).click();
    await page.waitForFunction(() => document.querySelector('.account-role')?.textContent?.includes('Fabrikam Research'));
    // A new organisation holds nothing of the other's.
    await page.goto(`${app.running.url}/#/connections`);
    await page.getByRole('heading', { name: 'Connections' }).waitFor();
    await page.getByText('No connections yet').waitFor();
    expect(app.pageErrors).toEqual([]);
  });
});
