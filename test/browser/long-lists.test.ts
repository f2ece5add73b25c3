import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Running } from '../../src/runtime/start.js';
import { bootBrowserApp, type BrowserApp } from '../support/browser.js';
import { fillScale } from '../../bench/support/scale-fill.js';
import { DEFAULT_TENANT } from '../../src/api/route.js';
import type { PageDocument } from './page-dom.js';

declare const document: PageDocument; // the page's, in the functions run inside Chromium

/**
 * The long tables at an installation's size, in Chromium at 1280×800 (issue 15): 100,000 sync
 * users, 100,000 inventory accounts (50,000 identities) and 100,000 audit entries. The pages
 * stay small — the server pages by keyset, the table holds one page until "Load more" — and
 * paging forward and back, searching and filtering answer with the right rows. (Latency is
 * measured by `npm run bench -- api-latency`, not here.)
 */
describe('long lists in Chromium', () => {
  let running: Running;
  let app: BrowserApp;
  let page: Page;

  beforeAll(async () => {
    app = await bootBrowserApp({
      concurrency: 1,
      beforeBrowser: async (r) => {
        await fillScale(r.rt.store.db, r.rt.store.dialect, DEFAULT_TENANT, { users: 100_000, accounts: 100_000, audit: 100_000 }, () => undefined);
      },
    });
    ({ running, page } = app);
    await page.setViewportSize({ width: 1280, height: 800 });
  }, 240_000);

  afterEach(() => expect(app.pageErrors).toEqual([]));
  afterAll(async () => app?.stop());

  const rows = (label: string) => page.getByRole('table', { name: label }).locator('tbody tr');

  it('Sync status: 200 rows of 100,000+, Load more adds the next 200, search and a status filter narrow it', async () => {
    await page.goto(`${running.url}/#/sync`);
    await page.getByRole('heading', { name: 'Sync status' }).waitFor();
    await page.getByTestId('shown').waitFor();
    expect(await rows('Users').count()).toBe(200);
    const shown = (await page.getByTestId('shown').textContent())!;
    const total = Number(shown.match(/of ([\d,]+)/)![1]!.replace(/,/g, ''));
    expect(total).toBeGreaterThanOrEqual(100_000);
    const firstPage = await rows('Users').locator('td:first-child').allTextContents();
    await page.getByRole('button', { name: 'Load more' }).click();
    await page.getByTestId('shown').filter({ hasText: /^400 of/ }).waitFor();
    const both = await rows('Users').locator('td:first-child').allTextContents();
    expect(both).toHaveLength(400);
    expect(both.slice(0, 200)).toEqual(firstPage);
    expect(new Set(both).size).toBe(400);

    await page.getByLabel('Search').fill('rosa');
    await page.getByTestId('shown').filter({ hasText: /^200 of [\d,]+\+? users$/ }).waitFor();
    const found = await rows('Users').locator('td:first-child').allTextContents();
    expect(found.every((t) => /rosa/i.test(t))).toBe(true);
    await page.getByLabel('Search').fill('');

    await page.getByRole('group', { name: 'Filter by status' }).getByRole('button', { name: /Quarantined/ }).click();
    await page.getByRole('button', { name: 'Clear status filter' }).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('table[aria-label="Users"] tbody tr').length === 200);
    const chip = (await page.getByRole('group', { name: 'Filter by status' }).getByRole('button', { name: /Quarantined/ }).textContent())!;
    const quarantined = Number(chip.replace(/\D/g, ''));
    expect(quarantined).toBe(5_000);
    await page.getByTestId('shown').filter({ hasText: /^200 of 5,000 users$/ }).waitFor();
  }, 120_000);

  it('Identities: keyset pages forward and back; the count says 10,000+', async () => {
    await page.goto(`${running.url}/#/identities`);
    await page.getByTestId('total').filter({ hasText: '10,000+' }).waitFor();
    const pager = page.getByRole('navigation', { name: 'Pages' });
    await pager.getByText('1–50 of 10,000+').waitFor();
    const first = await rows('Identities').locator('td:first-child a').allTextContents();
    expect(first).toHaveLength(50);
    await pager.getByRole('button', { name: 'Next' }).click();
    await pager.getByText('51–100 of 10,000+').waitFor();
    const second = await rows('Identities').locator('td:first-child a').allTextContents();
    expect(second).toHaveLength(50);
    expect(second.filter((n) => first.includes(n))).toEqual([]);
    await pager.getByRole('button', { name: 'Next' }).click();
    await pager.getByText('101–150 of 10,000+').waitFor();
    await pager.getByRole('button', { name: 'Previous' }).click();
    await pager.getByText('51–100 of 10,000+').waitFor();
    expect(await rows('Identities').locator('td:first-child a').allTextContents()).toEqual(second);
    await page.getByLabel('Search').fill('campbell 4');
    await page.waitForFunction(() => /campbell 4/i.test(document.querySelector('table[aria-label="Identities"] tbody tr')?.textContent ?? ''));
    const hits = await rows('Identities').locator('td:first-child a').allTextContents();
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.every((t) => /campbell 4/i.test(t))).toBe(true);
  }, 120_000);

  it('Audit logs: 100 entries, Load more continues where the page ended', async () => {
    await page.goto(`${running.url}/#/audit`);
    await page.getByRole('heading', { name: 'Audit logs' }).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('table[aria-label="Audit events"] tbody tr').length >= 100);
    expect(await rows('Audit events').count()).toBe(100);
    const firstPage = await rows('Audit events').locator('td:nth-child(6)').allTextContents();
    await page.getByRole('button', { name: 'Load more' }).click();
    await page.waitForFunction(() => document.querySelectorAll('table[aria-label="Audit events"] tbody tr').length >= 200);
    const both = await rows('Audit events').locator('td:nth-child(6)').allTextContents();
    expect(both).toHaveLength(200);
    expect(both.slice(0, 100)).toEqual(firstPage);
    expect(new Set(both).size).toBe(200);
  }, 60_000);
});
