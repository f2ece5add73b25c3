import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootBrowserApp, type BrowserApp } from '../support/browser.js';
import { SANDBOX_SIGN_IN_PASSWORD } from '../../src/sandbox/oidc.js';
import type { PageDocument } from './page-dom.js';

declare const document: PageDocument; // the page's, in the functions run inside Chromium

/**
 * "Sign in with Microsoft" and "Sign in with Google" in Chromium at 1280×800, through the
 * sandbox's own sign-in pages, as the demo (`npm start`) wires them: the demo's SSO admin is a
 * person of both sandbox directories. A person without a Syncwarden account is refused on the
 * sign-in page with the catalogue's words; an admin sees the SSO settings.
 */
describe('single sign-on in Chromium', () => {
  let app: BrowserApp;
  let person: string;
  beforeAll(async () => {
    app = await bootBrowserApp({ signedInAs: null, concurrency: 1, newPage: { viewport: { width: 1280, height: 800 } } });
    person = app.running.sandbox!.demo.microsoft.signInUserEmail;
  }, 180_000);
  afterAll(async () => app?.stop());

  async function signInThrough(provider: 'Microsoft' | 'Google', login: string) {
    const { page } = app;
    await page.goto(`${app.running.url}/#/sign-in`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByRole('link', { name: `Sign in with ${provider}` }).click();
    // The sandbox's page (another origin, as login.microsoftonline.com / accounts.google.com are).
    await page.getByRole('heading', { name: provider === 'Microsoft' ? /Sign in to Northwind/ : 'Sign in with Google' }).waitFor();
    expect(page.url().startsWith(provider === 'Microsoft' ? app.running.sandbox!.urls.entra_login : app.running.sandbox!.urls.google_oauth)).toBe(true);
    await page.locator('#login').fill(login);
    await page.locator('#passwd').fill(SANDBOX_SIGN_IN_PASSWORD);
    await page.locator('#sign-in').click();
  }

  for (const provider of ['Microsoft', 'Google'] as const) {
    it(`signs the demo's SSO admin in with ${provider}, then out`, async () => {
      const { page } = app;
      await signInThrough(provider, person);
      await page.getByRole('button', { name: 'Account' }).waitFor();
      expect(page.url().startsWith(app.running.url!)).toBe(true);
      expect(await page.getByRole('button', { name: 'Account' }).textContent()).toContain('Admin');
      expect(await page.evaluate(() => document.cookie)).not.toContain('sw_session');
      const audit = await app.api('/audit?limit=50');
      expect(JSON.stringify(audit.body)).toContain(`${person} signed in with ${provider}`);
      await page.getByRole('button', { name: 'Account' }).click();
      await page.getByRole('menuitem', { name: 'Sign out', exact: true }).click();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    });
  }

  it('a person without a Syncwarden account is refused on the sign-in page; an admin sees the SSO settings', async () => {
    const { page } = app;
    await signInThrough('Google', app.running.sandbox!.demo.google.adminEmail);
    await page.getByText('No Syncwarden account for this identity').waitFor();
    expect(await page.locator('.sign-in').textContent()).toContain(app.running.sandbox!.demo.google.adminEmail);
    expect(page.url()).toMatch(/#\/sign-in$/);

    // The demo's SSO admin (an admin: users.manage) finds both providers configured against the sandbox.
    await signInThrough('Microsoft', person);
    await page.getByRole('button', { name: 'Account' }).waitFor();
    await page.getByRole('link', { name: 'Users and roles' }).click();
    await page.getByRole('heading', { name: 'Single sign-on' }).waitFor();
    expect(await page.getByLabel('Microsoft Entra ID enabled').isChecked()).toBe(true);
    expect(await page.getByLabel('Google hosted domain').inputValue()).toBe('northwind.test');
    expect(await page.getByLabel('Microsoft Entra ID client secret').inputValue()).toBe('');
    expect(app.pageErrors).toEqual([]);
  });

  it('SSO required: the sign-in page offers only the providers; the owner\'s one-time link (break-glass) still signs in from a fresh page', async () => {
    const { page } = app;
    expect((await app.api('/sso/settings', { method: 'PUT', body: JSON.stringify({ required: true }) })).status).toBe(200);
    try {
      await page.context().clearCookies();
      await page.goto('about:blank');
      await page.goto(`${app.running.url}/#/sign-in`);
      await page.getByText('This organisation signs in with single sign-on only.').waitFor();
      expect(await page.getByLabel('Password').count()).toBe(0);
      const owner = (await app.api('/users')).body.users.find((u: { email: string }) => u.email === 'owner@localhost');
      const reset = await app.api(`/users/${owner.id}/reset-password`, { method: 'POST', body: '{}' });
      await page.goto('about:blank');
      await page.goto(reset.body.signInLink.replace(/^https?:\/\/[^/]+/, app.running.url!));
      await page.getByRole('button', { name: 'Account' }).waitFor();
      expect(await page.getByRole('button', { name: 'Account' }).textContent()).toContain('Owner');
      expect(page.url()).toMatch(/#\/dashboard$/);
    } finally {
      await app.api('/sso/settings', { method: 'PUT', body: JSON.stringify({ required: false }) });
    }
    expect(app.pageErrors).toEqual([]);
  });
});
