import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootBrowserApp, type BrowserApp } from '../support/browser.js';
import { ensureUser } from '../support/auth.js';
import { runActing } from '../../src/auth/context.js';
import { createTenant } from '../../src/tenants/tenants.js';
import { createUser } from '../../src/auth/users.js';
import type { PageDocument } from './page-dom.js';

declare const document: PageDocument; // the page's, in the functions run inside Chromium

/**
 * Several organisations in Chromium: a person of two tenants signs in (the last one used),
 * switches in the account menu, and — with no last tenant known — is asked for one on the
 * sign-in form.
 */
describe('organisation switcher in Chromium', () => {
  let app: BrowserApp;
  const SETUP = { actor: 'system:test-setup', address: null, userAgent: null };
  beforeAll(async () => {
    app = await bootBrowserApp({ signedInAs: null, concurrency: 1 });
    await ensureUser(app.running.rt, 'admin', 'ada@example.test');
    await runActing(SETUP, async () => {
      await createTenant(app.running.rt, { id: 'contoso', name: 'Contoso Ltd' }, null);
      await createUser(app.running.rt, 'contoso', { email: 'ada@example.test', role: 'viewer' }, null);
    });
  }, 120_000);
  afterAll(async () => app?.stop());

  it('signs in to the last organisation, switches to the other in the account menu', async () => {
    const { page } = app;
    await page.goto(`${app.running.url}/#/dashboard`);
    await page.getByLabel('Email').fill('ada@example.test');
    await page.getByLabel('Password').fill('Tulip-stapler-orbit-42');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const account = page.getByRole('button', { name: 'Account' });
    await account.waitFor();
    await page.waitForFunction(() => document.querySelector('.account-role')?.textContent?.includes('·'));
    expect(await account.textContent()).toContain('Admin · Default');
    await account.click();
    const group = page.getByRole('group', { name: 'Organisation' });
    expect(await group.getByRole('menuitemradio').count()).toBe(2);
    await group.getByRole('menuitemradio', { name: /Contoso Ltd/ }).click();
    await page.waitForFunction(() => document.querySelector('.account-role')?.textContent?.includes('Contoso Ltd'));
    expect(await page.getByRole('button', { name: 'Account' }).textContent()).toContain('Viewer / Auditor · Contoso Ltd');
    // The audit log of the organisation switched to names the switch.
    await page.getByRole('link', { name: 'Audit logs' }).click();
    await page.getByRole('cell', { name: 'tenant.switched' }).first().waitFor();
    await page.getByRole('button', { name: 'Account' }).click();
    await page.getByRole('menuitem', { name: 'Sign out', exact: true }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(app.pageErrors).toEqual([]);
  });

  it('asks for the organisation when none was used last', async () => {
    await app.running.rt.store.db.updateTable('users').set({ last_tenant_id: null }).where('email', '=', 'ada@example.test').execute();
    const { page } = app;
    await page.goto(`${app.running.url}/#/dashboard`);
    await page.getByLabel('Email').fill('ada@example.test');
    await page.getByLabel('Password').fill('Tulip-stapler-orbit-42');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Choose an organisation').waitFor();
    await page.getByLabel('Organisation').fill('contoso');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForFunction(() => document.querySelector('.account-role')?.textContent?.includes('Contoso Ltd'));
    expect(app.pageErrors).toEqual([]);
  });
});
