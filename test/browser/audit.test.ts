import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { bootBrowserApp, type BrowserApp } from '../support/browser.js';

/**
 * The Audit logs page in Chromium: the integrity panel (Verify now, intact or the first broken
 * entry with its cause and fix), the CSV and JSON Lines exports of every matching entry, and the
 * retention setting.
 */
describe('Audit logs: integrity, export and retention in Chromium', () => {
  let app: BrowserApp;
  let page: Page;
  const panel = () => page.getByTestId('audit-integrity');

  beforeAll(async () => {
    app = await bootBrowserApp();
    page = app.page;
    // The demo's connection tests are in the log before the page opens.
    const until = Date.now() + 30_000;
    while (Date.now() < until && ((await app.api('/audit?action=connection.tested&limit=10')).body.events.length as number) < 2) await new Promise((r) => setTimeout(r, 200));
  });
  afterAll(async () => app?.stop());

  it('Verify now: the chain is intact, with its counts', async () => {
    await page.goto(`${app.running.url}/#/audit`);
    await panel().waitFor();
    await panel().getByRole('button', { name: 'Verify now' }).click();
    await page.getByRole('status').filter({ hasText: /Audit log verified: [\d,]+ entries, chain intact/ }).waitFor();
    await panel().locator('[data-status="pass"]').filter({ hasText: 'Intact' }).waitFor();
    expect(await panel().textContent()).toMatch(/Checked just now: [\d,]+ entries \(#1–#\d+\), [\d,]+ signed, \d+ anchors checked\./);
    // The check itself is in the log.
    await page.getByRole('cell', { name: 'audit.verified' }).first().waitFor();
  });

  it('Export CSV and Export JSON Lines download every matching entry from the server, filters applied', async () => {
    await page.getByLabel('Action').fill('connection.');
    await page.getByRole('cell', { name: 'connection.tested' }).first().waitFor();
    const csvLink = page.getByRole('link', { name: 'Export CSV' });
    expect(await csvLink.getAttribute('href')).toBe('/api/v1/audit/export?format=csv&action=connection.');
    const [csv] = await Promise.all([page.waitForEvent('download'), csvLink.click()]);
    expect(csv.suggestedFilename()).toMatch(/^audit-log-default-\d{4}-\d{2}-\d{2}\.csv$/);
    const lines = readFileSync((await csv.path())!, 'utf8').split('\r\n').filter(Boolean);
    expect(lines[0]).toMatch(/^seq,at,severity,action,actor,/);
    expect(lines.length).toBeGreaterThan(2);
    expect(lines.slice(1).every((l) => /^\d+,[^,]+,\w+,connection\./.test(l))).toBe(true);
    const [jsonl] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export JSON Lines' }).click()]);
    const rows = readFileSync((await jsonl.path())!, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { action: string; hash: string; mac: string });
    expect(rows.length).toBe(lines.length - 1);
    expect(rows.every((r) => r.action.startsWith('connection.') && /^[0-9a-f]{64}$/.test(r.hash) && r.mac.length > 20)).toBe(true);
    await page.getByLabel('Action').fill('');
  });

  it('a changed entry: Verify now names the first broken entry with its cause and fix', async () => {
    const victim = (await app.api('/audit?action=connection.tested&limit=1')).body.events[0] as { id: string; seq: number };
    await app.running.rt.store.db.updateTable('audit_events').set({ message: 'Connection test successful (nothing to see)' }).where('id', '=', victim.id).execute();
    await panel().getByRole('button', { name: 'Verify now' }).click();
    await page.getByRole('status').filter({ hasText: `Audit log broken at entry #${victim.seq}` }).waitFor();
    await panel().locator('[data-status="fail"]').filter({ hasText: 'Broken' }).waitFor();
    expect(await panel().getByText(`First broken entry: #${victim.seq}`).textContent()).toBeTruthy();
    expect(await panel().locator('code').filter({ hasText: victim.id }).count()).toBe(1);
    const box = panel().locator('.error-box');
    expect(await box.textContent()).toMatch(/Audit entry changed audit\.entry_altered/);
    expect(await box.textContent()).toMatch(/Fix: Treat it as a security incident/);
    await page.screenshot({ path: process.env['SW_SCREENSHOT_DIR'] ? join(process.env['SW_SCREENSHOT_DIR'], 'audit-broken.png') : join(app.dataDir, 'audit-broken.png') });
  });

  it('retention: at least 30 days, saved and shown; the change is audited', async () => {
    await panel().getByLabel('Retention in days').fill('10');
    await panel().getByRole('button', { name: 'Save retention' }).click();
    await panel().locator('.error-box').filter({ hasText: 'keep at least 30 days' }).waitFor();
    await panel().getByLabel('Retention in days').fill('365');
    await panel().getByRole('button', { name: 'Save retention' }).click();
    await page.getByRole('status').filter({ hasText: 'Audit entries older than 365 days will be deleted' }).waitFor();
    await panel().getByText('Currently: 365 days (at least 30).').waitFor();
    await page.getByRole('cell', { name: 'audit.retention_changed' }).first().waitFor();
    expect((await app.api('/audit/settings')).body.retentionDays).toBe(365);
    expect(app.pageErrors).toEqual([]);
  });
});
