import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Running } from '../../src/runtime/start.js';
import { bootBrowserApp, type BrowserApp } from '../support/browser.js';
import { DEMO_DIRECTORY_NAMES } from '../../src/runtime/demo.js';

/**
 * The identity inventory as an admin uses it, in Debian's Chromium: Directory sync (the demo's
 * four read-only directory connections reach Synced with their counts; a sync history; Sync
 * now), Identities (search, filter by connector, the CSV export with the filters, one
 * identity's accounts and groups) and "Why is an identity missing or duplicated?".
 *
 * Frances Shannon (frances.shannon@northwind.test) is the first person of the sandbox's demo
 * seed: an account in Northwind's Google Workspace directory (one of its ten pre-existing users)
 * and in the Expenses SCIM app, where she heads Engineering — a member of Managers, and through
 * it of Expense Approvers (nested). Pat Partner is one of Fabrikam's four guests, which the
 * Entra connection's default scope leaves out (docs/sandbox.md).
 */
const PERSON = { name: 'Frances Shannon', email: 'frances.shannon@northwind.test' };
const GUEST = 'pat.partner@contoso-partner.test';

describe('identity inventory UI in Chromium', () => {
  let running: Running;
  let app: BrowserApp;
  let page: Page;
  let dataDir: string;

  beforeAll(async () => {
    app = await bootBrowserApp({ concurrency: 4, newPage: { acceptDownloads: true } });
    ({ running, page, dataDir } = app);
  });

  afterEach(() => {
    // An uncaught error in the page is a failure of the page, whatever the assertions saw.
    expect(app.pageErrors).toEqual([]);
  });

  afterAll(async () => {
    await app?.stop();
  });

  it('Directory sync: every demo directory connection reaches Synced, with its counts', async () => {
    await page.goto(`${running.url}/#/directory`);
    await page.getByRole('heading', { name: 'Directory sync' }).waitFor();
    for (const name of Object.values(DEMO_DIRECTORY_NAMES)) {
      const card = page.getByRole('article', { name });
      await card.locator('.pill[data-status="succeeded"], .pill[data-status="warning"]').waitFor({ timeout: 150_000 });
      expect(await card.locator('.pill').first().textContent()).toMatch(/^Synced/);
      expect(await card.getByTestId('counts').textContent()).toMatch(/[1-9]\d* accounts · \d+ groups/);
      expect(await card.getByRole('button', { name: 'Sync now' }).isEnabled()).toBe(true);
      expect(await card.getByRole('button', { name: 'Full sync' }).isEnabled()).toBe(true);
    }
    // Fabrikam's guests are left out by the default scope, and the card says how many.
    const fabrikam = page.getByRole('article', { name: DEMO_DIRECTORY_NAMES.entra });
    const scope = await fabrikam.getByTestId('scope').textContent();
    expect(scope).toContain('guests');
    expect(scope).toContain('4 guests');
    await page.screenshot({ path: join(dataDir, 'directory.png') });
    // The connection's own card on Connections carries the same state, linking here.
    await page.goto(`${running.url}/#/connections`);
    const conn = page.getByRole('article', { name: DEMO_DIRECTORY_NAMES.entra });
    await expect.poll(async () => (await conn.getByTestId('directory-sync').count()) > 0 ? conn.getByTestId('directory-sync').textContent() : '', { timeout: 30_000 }).toMatch(/^Synced/);
    await page.goto(`${running.url}/#/directory`);
    await page.getByRole('heading', { name: 'Directory sync' }).waitFor();
  }, 180_000);

  it('Directory sync: a connection’s sync history, and Sync now adds a run', async () => {
    const name = DEMO_DIRECTORY_NAMES.scim;
    const card = page.getByRole('article', { name });
    await card.getByRole('button', { name: 'Sync history' }).click();
    const history = page.getByRole('region', { name: `Sync history — ${name}` });
    const rows = history.getByRole('table', { name: 'Sync runs' }).locator('tbody tr');
    await rows.first().waitFor();
    const first = await rows.first().textContent();
    expect(first).toMatch(/Full|Delta/);
    expect(first).toMatch(/Synced/);
    const before = await rows.count();
    await card.getByRole('button', { name: 'Sync now' }).click();
    await page.getByRole('status').filter({ hasText: name }).filter({ hasText: 'queued' }).waitFor({ timeout: 20_000 });
    await expect.poll(() => rows.count(), { timeout: 60_000, interval: 1000 }).toBeGreaterThan(before);
    await card.locator('.pill[data-status="succeeded"], .pill[data-status="warning"]').waitFor({ timeout: 60_000 });
  }, 120_000);

  it('Identities: search a person, filter by connector, export the filtered CSV', async () => {
    await page.goto(`${running.url}/#/identities`);
    await page.getByRole('heading', { name: /^Identities/ }).waitFor();
    const table = page.getByRole('table', { name: 'Identities' });
    await table.waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('correlation').textContent()).toContain('matched into identities by Email');
    await page.getByLabel('Search').fill(PERSON.name);
    const row = table.locator('tbody tr').filter({ hasText: PERSON.email });
    await row.waitFor({ timeout: 30_000 });
    await expect.poll(() => table.locator('tbody tr').count(), { timeout: 10_000 }).toBe(1);
    expect(await page.getByTestId('total').textContent()).toBe('1');
    expect(await row.textContent()).toContain(DEMO_DIRECTORY_NAMES.scim);

    const connector = page.getByLabel('Connector');
    const scimId = await connector.locator('option', { hasText: DEMO_DIRECTORY_NAMES.scim }).getAttribute('value');
    expect(scimId).toBeTruthy();
    await connector.selectOption(scimId!);
    await row.waitFor();
    const csv = page.getByRole('link', { name: 'Export CSV' });
    const href = await csv.getAttribute('href');
    const url = new URL(href!, running.url);
    expect(url.pathname).toBe('/api/v1/identities.csv');
    expect(url.searchParams.get('q')).toBe(PERSON.name);
    expect(url.searchParams.get('connection')).toBe(scimId);
    const [download] = await Promise.all([page.waitForEvent('download'), csv.click()]);
    const text = readFileSync((await download.path())!, 'utf8');
    const lines = text.split(/\r?\n/).filter((l) => l !== '');
    expect(lines[0]).toMatch(/email/i);
    expect(lines.length).toBe(2);
    expect(lines[1]).toContain(PERSON.email);

    // Nothing matches: the list says so.
    await page.getByLabel('Search').fill('no-such-person-zzz');
    await page.getByText('No identities match these filters').waitFor({ timeout: 20_000 });
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await table.waitFor();
    // Every identity, fifty to a page.
    await expect.poll(async () => Number((await page.getByTestId('total').textContent())!.replace(/\D/g, '')), { timeout: 10_000 }).toBeGreaterThan(50);
    expect(await table.locator('tbody tr').count()).toBe(50);
    const pages = page.getByRole('navigation', { name: 'Pages' });
    await pages.getByRole('button', { name: 'Next' }).click();
    await pages.getByText(/^51–/).waitFor();
  }, 120_000);

  it('Identity detail: her accounts per connector with the rule that matched, and groups direct and nested', async () => {
    await page.getByLabel('Search').fill(PERSON.email);
    const link = page.getByRole('table', { name: 'Identities' }).getByRole('link', { name: PERSON.name });
    await link.waitFor({ timeout: 20_000 });
    await link.click();
    await page.getByRole('heading', { name: PERSON.name, level: 1 }).waitFor();
    expect(page.url()).toMatch(/#\/identities\/[^/]+$/);
    const accounts = page.getByRole('region', { name: 'Accounts' });
    // Correlation follows each directory's sync: her Google account joins once it has run.
    await expect.poll(async () => {
      const t = (await accounts.textContent()) ?? '';
      if (!t.includes(DEMO_DIRECTORY_NAMES.google)) await page.reload();
      return t;
    }, { timeout: 60_000, interval: 2000 }).toContain(DEMO_DIRECTORY_NAMES.google);
    const text = await accounts.textContent();
    expect(text).toContain(DEMO_DIRECTORY_NAMES.google);
    expect(text).toContain(DEMO_DIRECTORY_NAMES.scim);
    expect(await accounts.locator('tbody tr').count()).toBeGreaterThanOrEqual(2);
    expect(text).toMatch(/Email|User name|Employee ID/);
    const groups = page.getByRole('region', { name: 'Groups' });
    expect(await groups.locator('tr[data-via="direct"]').filter({ hasText: 'Managers' }).count()).toBeGreaterThan(0);
    const nested = groups.locator('tr[data-via="nested"]').filter({ hasText: 'Expense Approvers' });
    expect(await nested.count()).toBe(1);
    expect(await nested.textContent()).toContain('Managers');
    await page.screenshot({ path: join(dataDir, 'identity.png') });
  });

  it('Identity detail: an admin sets a group\'s owner in Syncwarden (campaigns\' owner reviewers) from the groups table', async () => {
    const row = page.getByRole('region', { name: 'Groups' }).locator('tr[data-via="direct"]').filter({ hasText: 'Managers' }).first();
    await row.getByRole('button', { name: 'Owners…' }).click();
    const owners = row.getByRole('group', { name: 'Group owners' });
    await owners.getByLabel('Owners set in Syncwarden').fill('owner@localhost');
    await owners.getByRole('button', { name: 'Save owners' }).click();
    await expect.poll(async () => (await running.rt.store.db.selectFrom('resource_owners').innerJoin('users', 'users.id', 'resource_owners.user_id').select('users.email').execute()).map((r) => r.email), { timeout: 10_000 }).toEqual(['owner@localhost']);
    expect(await owners.getByLabel('Owners set in Syncwarden').inputValue()).toBe('owner@localhost');
    // An address that is no user of this tenant is refused before anything is sent.
    await owners.getByLabel('Owners set in Syncwarden').fill('nobody@example.test');
    await owners.getByRole('button', { name: 'Save owners' }).click();
    await owners.getByText('Not a user of this tenant').waitFor();
  });

  it('Why is an identity missing? Nothing matches; a guest left out by the scope names "Include guests"', async () => {
    await page.goto(`${running.url}/#/identities`);
    await page.getByRole('button', { name: 'Why is an identity missing or duplicated?' }).click();
    const panel = page.getByRole('complementary', { name: 'Why is an identity missing or duplicated?' });
    const input = panel.getByLabel('Email, user name or name');

    await input.fill('nobody.at.all@nowhere.test');
    await panel.getByRole('button', { name: 'Explain' }).click();
    await panel.locator('[data-verdict="missing"]').waitFor({ timeout: 20_000 });
    expect(await panel.locator('.verdict').textContent()).toContain('Missing');
    expect(await panel.getByRole('list', { name: 'Explanation' }).locator('li').count()).toBeGreaterThan(0);
    expect(await panel.getByRole('list', { name: 'Connectors' }).locator('li').count()).toBe(4);

    await input.fill(GUEST);
    await panel.getByRole('button', { name: 'Explain' }).click();
    await panel.locator('.explain-result').filter({ hasText: GUEST }).waitFor({ timeout: 20_000 });
    expect(await panel.locator('[data-verdict]').getAttribute('data-verdict')).toBe('missing');
    const fabrikam = panel.getByRole('list', { name: 'Connectors' }).locator('li').filter({ hasText: DEMO_DIRECTORY_NAMES.entra });
    expect(await fabrikam.textContent()).toContain('Left out by the scope');
    expect(await fabrikam.textContent()).toContain('Include guests');
    // The server's own explanation names the switch too, not only the UI's hint.
    expect(await panel.getByRole('list', { name: 'Explanation' }).textContent()).toContain('Include guests');
    await page.screenshot({ path: join(dataDir, 'explain.png') });
  });

  it('Matching rules: turn a rule off and reorder; the note and the API follow, and the change is audited', async () => {
    await page.goto(`${running.url}/#/identities`);
    const note = page.getByTestId('correlation');
    await note.waitFor();
    await note.getByRole('button', { name: 'Matching rules' }).click();
    const dialog = page.getByRole('dialog', { name: 'Matching rules' });
    await dialog.getByLabel('Same Employee ID').uncheck();
    await dialog.getByRole('button', { name: 'Move User name up' }).click();
    await dialog.getByRole('button', { name: 'Save rules' }).click();
    await page.getByRole('status').filter({ hasText: 'Matching rules saved' }).waitFor({ timeout: 10_000 });
    await expect.poll(() => note.textContent(), { timeout: 15_000 }).toContain('matched into identities by User name, then Email');
    expect(await note.textContent()).not.toContain('Employee ID');
    const api = (await app.api('/directory/correlation')).body as { rules: { attribute: string; enabled: boolean }[] };
    expect(api.rules).toEqual([{ attribute: 'user_name', enabled: true }, { attribute: 'email', enabled: true }, { attribute: 'employee_id', enabled: false }]);
    const audit = (await app.api('/audit?limit=50')).text;
    expect(audit).toContain('directory.rules_changed');
  });
});
