import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import type { Running } from '../../src/runtime/start.js';
import { bootBrowserApp, type BrowserApp } from '../support/browser.js';
import { waitFor } from '../support/sandbox-admin.js';

/**
 * Failover as an admin lives it, in Debian's Chromium at 1280×800: Microsoft 365 goes down,
 * the admin declares the outage on the Failover page (with its confirmation), the dashboard and
 * Sync status say "Microsoft 365 outage since …; users work in Google Workspace", mail reaches a
 * user in Google meanwhile (the sandbox admin API), Microsoft 365 comes back, the admin starts
 * recovery and reads the report — per user, per message, and as CSV.
 */
describe('failover UI in Chromium', () => {
  let running: Running;
  let app: BrowserApp;
  let page: Page;
  let user: { email: string; destinationEmail: string };
  let policyId: string;
  const subject = 'Board pack (sent while Exchange was down)';

  const sandbox = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${running.sandbox!.urls.admin}${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!r.ok) throw new Error(`sandbox ${method} ${path}: ${r.status} ${await r.text()}`);
    return r.json() as Promise<any>;
  };

  beforeAll(async () => {
    app = await bootBrowserApp({
      concurrency: 6,
      newPage: { viewport: { width: 1280, height: 800 }, acceptDownloads: true },
      beforeBrowser: async (r) => {
        await fetch(`${r.sandbox!.urls.admin}/google/quotas`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userUnitsPerMinute: 600_000 }) });
        await fetch(`${r.url}/api/v1/continuity/budgets`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ destinationUser: { unitsPerMinute: 600_000 } }) });
      },
    });
    ({ running, page } = app);
    // Forward sync first: recovery needs each user's Google mailbox.
    const users = await waitFor('every user synced', async () => {
      const r = await app.api('/sync/users?limit=1000');
      const all = r.body.users as { email: string; destinationEmail: string; status: string; policyId: string }[];
      return all.length > 0 && all.every((u) => u.status === 'synced') ? all : undefined;
    }, 240_000, 1000);
    user = users[2]!;
    policyId = users[2]!.policyId;
  }, 300_000);

  afterAll(async () => {
    await app?.stop();
  });

  it('declares the outage with a confirmation; the dashboard and Sync status show the banner', async () => {
    running.sandbox!.faults.set('*', 'm365.outage', { mode: 'error' });
    await page.goto(`${running.url}/#/failover`);
    await page.getByText('No outage has been declared on this policy').waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Declare outage' }).click();
    const dialog = page.getByRole('dialog', { name: 'Declare a Microsoft 365 outage' });
    expect(await dialog.textContent()).toContain('work in Google Workspace until Microsoft 365 is back');
    await dialog.getByLabel('Reason (optional)').fill('Exchange Online incident EX204');
    await dialog.getByRole('button', { name: 'Declare outage' }).click();
    await page.getByRole('status').filter({ hasText: 'Outage declared' }).waitFor();
    const state = page.getByLabel('Failover state');
    await state.getByText('Exchange Online incident EX204').waitFor();
    await state.locator('[data-status="active"]').waitFor();
    // The probe finds Microsoft 365 still failing.
    await page.getByRole('button', { name: 'Probe Microsoft 365 now' }).click();
    await state.getByText('provider.unavailable').waitFor({ timeout: 30_000 });

    for (const where of ['dashboard', 'sync']) {
      await page.goto(`${running.url}/#/${where}`);
      const banner = page.getByRole('alert', { name: 'Failover' });
      await banner.waitFor({ timeout: 15_000 });
      expect(await banner.textContent()).toMatch(/^Microsoft 365 outage since .+; users work in Google Workspace/);
    }
  });

  it('mail arriving in Google during the outage is recovered when the admin starts recovery', async () => {
    await sandbox('POST', `/google/users/${encodeURIComponent(user.destinationEmail)}/mail`, { direction: 'in', subject, text: 'Agenda attached', starred: true });
    await page.goto(`${running.url}/#/failover/${policyId}`);
    // Without write-back consent, and while Microsoft 365 is down, the page says why not.
    await page.getByRole('button', { name: 'Start recovery' }).click();
    await page.getByText('failover.recovery_not_consented').waitFor();
    expect((await app.api(`/connections/${(await app.api(`/policies/${policyId}`)).body.sourceConnectionId}/write-back`, { method: 'POST', body: JSON.stringify({ enabled: true }) })).status).toBe(200);
    await sandbox('POST', '/microsoft/consent', { permissions: ['User.Read.All', 'Mail.Read', 'Mail.ReadWrite'] });
    await page.getByRole('button', { name: 'Start recovery' }).click();
    await page.getByText('failover.source_unhealthy').waitFor();

    running.sandbox!.faults.clear();
    await page.getByRole('button', { name: 'Start recovery' }).click();
    await page.getByRole('status').filter({ hasText: 'Recovery started' }).waitFor();
    const report = page.getByRole('region', { name: 'Recovery report' });
    const table = report.getByRole('table', { name: 'Recovery by user' });
    await table.waitFor({ timeout: 30_000 });
    const row = table.getByRole('row').filter({ hasText: user.email });
    await row.locator('[data-status="recovered"]').waitFor({ timeout: 180_000 });
    await page.getByLabel('Failover state').locator('[data-status="recovered"]').waitFor({ timeout: 180_000 });
    expect(await table.locator('[data-status="failed"]').count()).toBe(0);
    expect(await report.locator('[data-figure="written"] .stat-value').textContent()).toBe('1');
    // The banner is gone once recovery finished.
    await page.goto(`${running.url}/#/dashboard`);
    await page.getByLabel('Continuity figures').waitFor();
    expect(await page.getByRole('alert', { name: 'Failover' }).count()).toBe(0);

    // In Microsoft 365: in the Inbox, received (not a draft), flagged.
    const box = await sandbox('GET', `/microsoft/mailboxes/${encodeURIComponent(user.email)}`) as { folders: { wellKnownName: string | null; messages: { subject: string; isDraft: boolean; flagged: boolean }[] }[] };
    const hits = box.folders.flatMap((f) => f.messages.filter((m) => m.subject === subject).map((m) => ({ folder: f.wellKnownName, isDraft: m.isDraft, flagged: m.flagged })));
    expect(hits).toEqual([{ folder: 'inbox', isDraft: false, flagged: true }]);
  }, 300_000);

  it('the report lists the user\'s messages by outcome and exports CSV', async () => {
    await page.goto(`${running.url}/#/failover/${policyId}`);
    const report = page.getByRole('region', { name: 'Recovery report' });
    await report.getByRole('row').filter({ hasText: user.email }).click();
    const messages = page.getByRole('region', { name: `Messages of ${user.email}` });
    const row = messages.getByRole('row').filter({ hasText: subject });
    await row.waitFor();
    expect(await row.textContent()).toContain('Written back');
    expect(await row.textContent()).toContain('Inbox');
    await messages.getByLabel('Outcome').selectOption('failed');
    await messages.getByText('Nothing with this outcome.').waitFor();

    const [download] = await Promise.all([page.waitForEvent('download'), report.getByRole('link', { name: 'Export CSV' }).click()]);
    expect(download.suggestedFilename()).toBe('recovery-report.csv');
    const csv = readFileSync((await download.path())!, 'utf8');
    const lines = csv.trim().split(/\r?\n/);
    expect(lines[0]).toBe('user,google_mailbox,user_status,user_error,outcome,skip_reason,error,folder,subject,received_at,message_id,size');
    const line = lines.find((l) => l.includes(subject));
    expect(line).toContain(`${user.email},${user.destinationEmail},recovered,,written back,`);
    expect(app.pageErrors).toEqual([]);
  });
});
