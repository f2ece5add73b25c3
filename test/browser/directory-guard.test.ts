import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { bootBrowserApp, type BrowserApp } from '../support/browser.js';
import { sandboxAdmin } from '../support/sandbox-admin.js';
import { DEMO_DIRECTORY_NAMES } from '../../src/runtime/demo.js';

/**
 * Issue 10's mass-removal guard on the Directory sync page, in Debian's Chromium: after a
 * fifth of the demo SCIM app's users disappear, the full sync is held; the connection's card
 * shows the banner with the numbers and Approve removals / Reject; approving finishes the sync
 * and the card returns to Synced with the smaller count.
 */
describe('directory mass-removal guard in Chromium', () => {
  let app: BrowserApp;
  let page: Page;

  beforeAll(async () => {
    app = await bootBrowserApp({ concurrency: 2 });
    ({ page } = app);
  });
  afterEach(() => {
    expect(app.pageErrors).toEqual([]);
  });
  afterAll(async () => app?.stop());

  type Status = { connectionId: string; connectionName: string; state: string; counts: { accounts: number } | null };
  const scimStatus = async (): Promise<Status> => {
    const r = await app.api('/directory/connections');
    return (r.body as Status[]).find((s) => s.connectionName === DEMO_DIRECTORY_NAMES.scim)!;
  };

  it('a held sync shows its banner; Approve removals finishes it', async () => {
    let s = await scimStatus();
    if (s.state !== 'succeeded') await app.api(`/connections/${s.connectionId}/directory/sync`, { method: 'POST', body: JSON.stringify({ mode: 'full' }) });
    await expect.poll(async () => (s = await scimStatus()).state, { timeout: 60_000, interval: 500 }).toBe('succeeded');
    const accounts = s.counts!.accounts;
    const sandbox = app.running.sandbox!;
    const tenant = sandbox.demo.scim.tenant;
    const users = (await sandboxAdmin<{ resources: { id: string; active?: boolean; userType?: string }[] }>(sandbox, 'GET', `/scim/tenants/${tenant}/users`)).resources.filter((u) => u.active !== false && u.userType !== 'Guest');
    const gone = users.slice(0, Math.ceil(accounts * 0.2));
    for (const u of gone) await sandboxAdmin(sandbox, 'DELETE', `/scim/tenants/${tenant}/users/${u.id}`);
    await app.api(`/connections/${s.connectionId}/directory/sync`, { method: 'POST', body: JSON.stringify({ mode: 'full' }) });
    await expect.poll(async () => (await scimStatus()).state, { timeout: 60_000, interval: 500 }).toBe('held');

    await page.goto(`${app.running.url}/#/directory`);
    const card = page.getByRole('article', { name: DEMO_DIRECTORY_NAMES.scim });
    const banner = card.getByTestId('held-removals');
    await banner.waitFor();
    expect(await banner.textContent()).toContain(`${gone.length} of ${accounts} accounts`);
    expect(await card.getByRole('button', { name: 'Sync now' }).isDisabled()).toBe(true);
    await card.getByRole('button', { name: 'Approve removals' }).click();
    await expect.poll(async () => (await scimStatus()).state, { timeout: 60_000, interval: 500 }).toBe('succeeded');
    expect((await scimStatus()).counts!.accounts).toBe(accounts - gone.length);
    await expect.poll(async () => card.getByTestId('held-removals').count(), { timeout: 15_000 }).toBe(0);
  });
});
