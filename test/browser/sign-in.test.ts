import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootBrowserApp, type BrowserApp } from '../support/browser.js';
import { ensureUser } from '../support/auth.js';
import type { PageDocument } from './page-dom.js';

declare const document: PageDocument; // the page's, in the functions run inside Chromium

/**
 * Sign-in in Chromium: the password form, the account menu with sign-out, Users and roles
 * (a newcomer's one-time link), API tokens (shown once), the actor in the audit log; and a
 * Viewer, who sees the pages but whose every change is refused.
 */
describe('sign-in UI in Chromium', () => {
  let app: BrowserApp;
  beforeAll(async () => {
    app = await bootBrowserApp({ signedInAs: null, concurrency: 1 });
    await ensureUser(app.running.rt, 'admin', 'ada@example.test');
  }, 120_000);
  afterAll(async () => app?.stop());

  it('a password sign-in, the account menu, users and tokens pages, the actor in the audit log, then sign-out', async () => {
    const { page } = app;
    await page.goto(`${app.running.url}/#/dashboard`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Email').fill('ada@example.test');
    await page.getByLabel('Password').fill('wrong-password-here');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Wrong email or password').waitFor();
    await page.getByLabel('Password').fill('Tulip-stapler-orbit-42');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Account' }).waitFor();
    expect(await page.getByRole('button', { name: 'Account' }).textContent()).toContain('Admin');
    // The session cookie is HttpOnly: the page's script cannot read it.
    expect(await page.evaluate(() => document.cookie)).not.toContain('sw_session');

    await page.getByRole('link', { name: 'Users and roles' }).click();
    await page.getByLabel('New user email').fill('newbie@example.test');
    await page.getByLabel('New user role').selectOption('operator');
    await page.getByRole('button', { name: 'Add user' }).click();
    await page.getByRole('status').filter({ hasText: 'One-time sign-in link for newbie@example.test' }).waitFor();
    expect(await page.locator('.secret-once').textContent()).toMatch(/#\/sign-in\?link=swl_/);
    await page.locator('tr[data-user="newbie@example.test"]').waitFor();

    await page.getByRole('link', { name: 'API tokens' }).click();
    await page.getByLabel('Token name').fill('deploy');
    await page.getByRole('button', { name: 'Make token' }).click();
    const token = await page.getByTestId('new-token').textContent();
    expect(token).toMatch(/^swt_/);
    await page.locator('tr[data-token="deploy"]').waitFor();
    expect(await page.locator('tr[data-token="deploy"]').textContent()).not.toContain(token!);

    await page.getByRole('link', { name: 'Audit logs' }).click();
    await page.getByRole('cell', { name: 'token.created' }).first().waitFor();
    const row = page.locator('tr').filter({ has: page.getByRole('cell', { name: 'token.created' }) }).first();
    expect(await row.textContent()).toContain('user:ada@example.test');

    await page.getByRole('button', { name: 'Account' }).click();
    await page.getByRole('menuitem', { name: 'Sign out', exact: true }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(app.pageErrors).toEqual([]);
  });

  it('a Viewer sees the pages but cannot change anything', async () => {
    await ensureUser(app.running.rt, 'viewer', 'vera@example.test');
    const { page } = app;
    await page.goto(`${app.running.url}/#/alerts`);
    await page.getByLabel('Email').fill('vera@example.test');
    await page.getByLabel('Password').fill('Tulip-stapler-orbit-42');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Account' }).waitFor();
    expect(await page.getByRole('button', { name: 'Account' }).textContent()).toContain('Viewer');
    // The audit log is readable; Users and roles lists people but offers no change.
    await page.getByRole('link', { name: 'Users and roles' }).click();
    await page.locator('tr[data-user="ada@example.test"]').waitFor();
    expect(await page.getByRole('button', { name: 'Add user' }).count()).toBe(0);
    // A change tried anyway is refused by the server, with the reason.
    await page.getByRole('link', { name: 'Alerts' }).click();
    await page.getByLabel('Channel type').selectOption('webhook');
    await page.getByLabel('Channel name').fill('Viewer hook');
    await page.getByLabel('Webhook URL').fill('https://hooks.example.test/x');
    await page.getByLabel('Signing secret').fill('a-signing-secret-of-32-characters');
    await page.getByRole('button', { name: 'Add channel' }).click();
    await page.getByText('Not allowed for your role').waitFor();
    expect(((await app.api('/alerts/channels')).body.channels as { name: string }[]).map((c) => c.name)).not.toContain('Viewer hook');
    await page.getByRole('link', { name: 'Audit logs' }).click();
    await page.getByRole('cell', { name: 'auth.signed_in' }).first().waitFor();
  });
});
