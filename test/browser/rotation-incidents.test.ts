import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Running } from '../../src/runtime/start.js';
import { bootBrowserApp, type BrowserApp } from '../support/browser.js';
import { startWebhookReceiver } from '../support/receivers.js';

/**
 * Credential rotation, incidents, the expiry inventory and alert settings as an admin uses them,
 * in Debian's Chromium against `npm start`'s composition (sandbox, demo tenant, workers).
 */
const SOURCE = 'Northwind Microsoft 365 (sandbox)';

describe('rotation, incidents, credentials and alerts in Chromium', () => {
  let running: Running;
  let app: BrowserApp;
  let page: Page;
  let dataDir: string;
  let hook: Awaited<ReturnType<typeof startWebhookReceiver>>;

  beforeAll(async () => {
    hook = await startWebhookReceiver();
    app = await bootBrowserApp();
    ({ running, page, dataDir } = app);
    page.on('dialog', (d) => void d.accept());
  });

  afterAll(async () => {
    await app?.stop();
    await hook?.close();
  });

  const card = () => page.getByRole('article', { name: SOURCE });
  const fault = async (name: string, on = true) => {
    const r = await fetch(`${running.sandbox!.urls.admin}/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, scope: '*', on }) });
    expect(r.ok).toBe(true);
  };

  it('the card counts down to the certificate expiry; rotation: add → test → switch → retire', async () => {
    await page.goto(`${running.url}/#/connections`);
    await card().waitFor();
    expect(await card().getByTestId('countdown').textContent()).toMatch(/^Certificate expires in 36\d days$/);
    await card().getByRole('button', { name: 'More actions' }).click();
    await page.getByRole('menuitem', { name: 'Rotate credential' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Credential method').selectOption('client_secret');
    await dialog.getByLabel('Client secret value').fill(running.sandbox!.demo.microsoft.clientSecret);
    await dialog.getByRole('button', { name: 'Add and test' }).click();
    await dialog.getByText('The new credential passed every check.').waitFor({ timeout: 20_000 });
    expect(await dialog.getByRole('list', { name: 'New credential test' }).getByText('Sign in to Entra ID').count()).toBe(1);
    await dialog.getByRole('button', { name: 'Switch to the new credential' }).click();
    await dialog.getByText('Switched: the connection tests healthy with the new credential.').waitFor({ timeout: 20_000 });
    await dialog.getByRole('button', { name: 'Retire the old credential' }).click();
    await dialog.getByText('Old credential retired and its secret wiped.').waitFor();
    await dialog.getByRole('button', { name: 'Done' }).click();
    await card().getByText('Client secret: no expiry date known').waitFor();
    const creds = (await app.api('/connections')).body as { connections: { name: string; credentials: { state: string; type: string }[] }[] };
    const source = creds.connections.find((c) => c.name === SOURCE)!;
    expect(source.credentials.map((c) => `${c.state}:${c.type}`)).toEqual(['current:client_secret']);
    await page.screenshot({ path: join(dataDir, 'rotation.png') });
  });

  it('a failing connection opens an incident; fixing it resolves it, with the green toast', async () => {
    await fault('m365.secret_expired');
    await page.goto(`${running.url}/#/connections`);
    await card().getByRole('button', { name: 'More actions' }).click();
    await page.getByRole('menuitem', { name: 'Test connection' }).click();
    await page.getByRole('status').filter({ hasText: 'Connection test failed' }).waitFor({ timeout: 20_000 });
    await card().getByText('Client secret expired').first().waitFor();
    await card().getByRole('link', { name: /Incident since/ }).click();
    const incident = page.getByRole('article', { name: `Incident on ${SOURCE}` });
    await incident.waitFor();
    expect(await incident.textContent()).toContain('Create a new client secret on the app registration');
    expect(Number(await incident.getByTestId('affected-users').textContent())).toBeGreaterThanOrEqual(0);
    await page.screenshot({ path: join(dataDir, 'incident.png') });

    await fault('m365.secret_expired', false);
    await page.goto(`${running.url}/#/connections`);
    await card().getByRole('button', { name: 'More actions' }).click();
    await page.getByRole('menuitem', { name: 'Test connection' }).click();
    await page.getByRole('status').filter({ hasText: 'Connection test successful' }).waitFor({ timeout: 20_000 });
    await page.goto(`${running.url}/#/incidents`);
    await page.getByRole('button', { name: 'Resolved' }).click();
    const resolved = page.getByRole('article', { name: `Incident on ${SOURCE}` });
    await resolved.waitFor();
    expect(await resolved.textContent()).toContain('Resolved');
  });

  it('the credentials page lists every credential by days left', async () => {
    await page.goto(`${running.url}/#/credentials`);
    const rows = page.getByRole('table', { name: 'Credential expiry' }).locator('tbody tr');
    await rows.first().waitFor();
    // Soonest first: the demo AWS key's rotation (key-age policy), the Entra directory certificate,
    // then what has no date (the SCIM token, the source's client secret without an end date). The
    // keyless Google connections have nothing that expires.
    const texts = await rows.allTextContents();
    expect(texts.length).toBe(4);
    expect(texts[0]).toContain('Northwind AWS account (sandbox)');
    expect(texts[1]).toContain('Fabrikam Entra ID directory (sandbox)');
    expect(texts.slice(2).join(' ')).toContain(SOURCE);
    expect(texts.join(' ')).not.toContain('Google');
    await page.getByLabel('Expiry status').selectOption('expired');
    await page.getByText('No credentials match').waitFor();
    await page.getByLabel('Expiry status').selectOption('');
    expect(await page.getByRole('button', { name: 'Export CSV' }).isEnabled()).toBe(true);
  });

  it('alert settings: add a webhook channel and send a test alert', async () => {
    await page.goto(`${running.url}/#/alerts`);
    await page.getByLabel('Channel type').selectOption('webhook');
    await page.getByLabel('Channel name').fill('Pager');
    await page.getByLabel('Webhook URL').fill(hook.url);
    await page.getByLabel('Signing secret').fill('browser-test-secret-0123456789');
    await page.getByRole('button', { name: 'Add channel' }).click();
    const row = page.getByRole('table', { name: 'Alert channels' }).getByRole('row', { name: /Pager/ });
    await row.waitFor();
    await row.getByRole('button', { name: 'Send test alert' }).click();
    await page.getByRole('status').filter({ hasText: 'Test alert sent to "Pager"' }).waitFor({ timeout: 20_000 });
    expect(hook.hooks.some((h) => h.headers['x-syncwarden-event'] === 'alert.test')).toBe(true);
  });

  it('the dashboard counts the credentials in use that expire soon, and names the next one', async () => {
    // A client secret whose end date (as Entra shows it) is 10 days away, switched to and in use.
    const source = ((await app.api('/connections')).body as { connections: { id: string; name: string }[] }).connections.find((c) => c.name === SOURCE)!;
    const expiresAt = new Date(Date.now() + 10 * 86_400_000 + 3_600_000).toISOString();
    const added = await app.api(`/connections/${source.id}/credentials`, { method: 'POST', body: JSON.stringify({ type: 'client_secret', clientSecret: running.sandbox!.demo.microsoft.clientSecret, expiresAt }) });
    expect(added.status).toBe(201);
    expect((await app.api(`/connections/${source.id}/credentials/${added.body.credential.id}/switch`, { method: 'POST', body: JSON.stringify({ retirePrevious: true }) })).status).toBe(200);
    await page.goto(`${running.url}/#/dashboard`);
    const card = page.getByLabel('Certification and credential figures').locator('[data-figure="credentials-expiring"]');
    await card.getByText(`next: ${SOURCE}, in 10 days`).waitFor();
    expect(await card.locator('.stat-value').textContent()).toBe('1');
    for (const figure of ['directories', 'accounts', 'campaigns-running']) expect(await page.locator(`[data-figure="${figure}"]`).count(), figure).toBe(1);
    await page.screenshot({ path: join(dataDir, 'dashboard.png') });
  });
});
