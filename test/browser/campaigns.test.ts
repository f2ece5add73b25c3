import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { bootBrowserApp, type BrowserApp } from '../support/browser.js';
import { ensureUser } from '../support/auth.js';
import { pageAs, prepareWorld, REVIEWER_EMAIL, type World } from './campaigns-world.js';

/**
 * Certification campaigns as an admin runs them, in Chromium at 1280×800 (issue 13): create
 * one with the scope preview, start it, close it early, preview the apply (every revocation per
 * connection and resource, written back or manual), meet the circuit breaker's hold and approve
 * it with a note, then read the report (CSV download, the printable page, print media without
 * buttons). Then a Viewer sees the campaign but no action. The reviewer's decisions in between
 * go through the API with the reviewer's own token.
 */
const NAME = 'Year-end access review';

describe('certification campaigns UI in Chromium', () => {
  let app: BrowserApp;
  let page: Page;
  let world: World;
  let campaignId = '';

  beforeAll(async () => {
    app = await bootBrowserApp({
      newPage: { viewport: { width: 1280, height: 800 }, acceptDownloads: true },
      beforeBrowser: async (running, api) => { world = await prepareWorld(running, api, { writeBack: true }); },
    });
    page = app.page;
  }, 240_000);
  afterEach(() => expect(app.pageErrors).toEqual([]));
  afterAll(async () => app?.stop());

  const status = () => page.locator('.campaign-header .pill').first();

  it('creates a campaign with the scope preview and starts it', async () => {
    await page.goto(`${app.running.url}/#/campaigns`);
    await page.getByRole('heading', { level: 1, name: 'Campaigns' }).waitFor();
    await page.getByRole('link', { name: 'Create campaign' }).first().click();
    await page.getByRole('heading', { level: 1, name: 'Create campaign' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill(NAME);
    await page.getByLabel('Who reviews').selectOption('named');
    await page.getByRole('group', { name: 'Named reviewers' }).getByLabel(REVIEWER_EMAIL).check();
    await page.getByLabel('Breaker share of a resource').fill('1');
    // The preview follows the form: items, the reviewer with their count, none left without one.
    const preview = page.getByRole('complementary', { name: 'Scope preview' });
    await preview.getByRole('table', { name: 'Reviewers in the preview' }).getByText(REVIEWER_EMAIL).waitFor({ timeout: 20_000 });
    const items = Number((await preview.getByTestId('preview-items').textContent())!.replace(/\D/g, ''));
    expect(items).toBeGreaterThan(3);
    // A named reviewer who is none of the people reviewed takes every item: nothing falls to the fallback.
    expect(await preview.getByTestId('preview-fallback').textContent()).toBe('0');
    await page.getByLabel('Apply the revocations when the deadline closes the campaign', { exact: false }).check();
    await page.getByRole('button', { name: 'Create and start' }).click();
    await page.getByRole('heading', { level: 1, name: NAME }).waitFor();
    campaignId = decodeURIComponent(/#\/campaigns\/([^/]+)/.exec(page.url())![1]!);
    await page.locator('.campaign-header .pill[data-status="campaign-running"]').waitFor();
    const detail = (await app.api(`/campaigns/${campaignId}`)).body;
    expect(detail.campaign.totals.items).toBe(items);
    expect(detail.campaign.breaker.maxShareOfResource).toBeCloseTo(0.01);
    expect(detail.campaign.applyOnClose).toBe(true);
    await page.getByRole('table', { name: 'Reviewers' }).locator(`tr[data-reviewer="${REVIEWER_EMAIL}"]`).waitFor();
  });

  it('closes it early, previews the apply, meets the hold and approves it with a note', async () => {
    // The reviewer revokes three items (their own token), approves the rest.
    // The reviewer approves everything, then revokes three items (with their own token).
    expect((await world.reviewerApi('/reviews/decide', { method: 'POST', body: JSON.stringify({ filter: { campaign: campaignId }, decision: 'approve' }) })).status).toBe(200);
    // Three direct memberships: written back, so they count for the circuit breaker (1 % of a group).
    const all = (await app.api(`/campaigns/${campaignId}/items?limit=500`)).body.items as { id: string; access: { kind: string; via: string } }[];
    const direct = all.filter((i) => i.access.via === 'direct' && /group_membership$/.test(i.access.kind)).slice(0, 3);
    expect(direct).toHaveLength(3);
    // And one access held through a group: a manual step (the membership to remove is named).
    const viaGroup = all.find((i) => i.access.via === 'group');
    expect(viaGroup).toBeDefined();
    const mine = [...direct, viaGroup!];
    expect((await world.reviewerApi('/reviews/decide', { method: 'POST', body: JSON.stringify({ itemIds: mine.map((i) => i.id), decision: 'revoke', justification: 'No longer in the team' }) })).body.decided).toBe(4);
    await page.reload();
    await page.getByRole('heading', { level: 1, name: NAME }).waitFor();

    await page.getByRole('button', { name: 'Close early…' }).click();
    const close = page.getByRole('dialog', { name: 'Close the campaign now' });
    await close.getByRole('button', { name: 'Close without applying' }).click();
    await close.waitFor({ state: 'detached' });
    await page.locator('.campaign-header .pill[data-status="campaign-closed"]').waitFor();

    await page.getByRole('button', { name: 'Apply…' }).click();
    const apply = page.getByRole('dialog', { name: 'Apply the revocations' });
    await apply.getByTestId('apply-summary').waitFor();
    expect(await apply.getByTestId('apply-summary').textContent()).toMatch(/^4 revocations: 3 written back, 1 manual\./);
    expect(await apply.locator('table tbody tr').count()).toBeGreaterThan(0);
    await apply.getByText('The circuit breaker will hold this apply').waitFor();
    await apply.getByRole('button', { name: /^Apply 4 revocations/ }).click();
    await apply.waitFor({ state: 'detached' });
    await page.locator('.campaign-header .pill[data-status="campaign-held"]').waitFor();
    await page.getByRole('status', { name: 'Apply held' }).waitFor();

    await page.getByRole('button', { name: 'Approve held apply…' }).click();
    const approve = page.getByRole('dialog', { name: 'Approve the held apply' });
    expect(await approve.getByRole('table', { name: 'Hold reasons' }).locator('tbody tr').count()).toBeGreaterThan(0);
    expect(await approve.getByRole('button', { name: 'Approve and apply' }).isDisabled()).toBe(true);
    await approve.getByLabel('Approval note').fill('Checked with the team leads: the three leavers go.');
    await approve.getByRole('button', { name: 'Approve and apply' }).click();
    await approve.waitFor({ state: 'detached' });
    await page.locator('.campaign-header .pill:not([data-status="campaign-held"])').first().waitFor();
    expect(['applying', 'applied', 'verified']).toContain((await app.api(`/campaigns/${campaignId}`)).body.campaign.status);
    expect(await status().getAttribute('data-status')).toMatch(/^campaign-(applying|applied|verified)$/);

    // Remediation: the manual step with its exact instructions, marked done with a note.
    await page.getByRole('tab', { name: /^Remediation/ }).click();
    const manual = page.getByRole('table', { name: 'Manual steps' });
    const row = manual.locator(`tr[data-item="${viaGroup!.id}"]`);
    await row.waitFor();
    expect(await row.locator('.manual-steps').textContent()).toMatch(/\S{10,}/);
    await row.getByRole('button', { name: 'Mark done' }).click();
    const done = page.getByRole('dialog', { name: 'Mark the manual step done' });
    expect(await done.getByRole('button', { name: 'Mark done' }).isDisabled()).toBe(true);
    await done.getByLabel('Note').fill('Removed from the group in the console, ticket OPS-118');
    await done.getByRole('button', { name: 'Mark done' }).click();
    await done.waitFor({ state: 'detached' });
    await row.waitFor({ state: 'detached' });
    const after = (await app.api(`/campaigns/${campaignId}/items?limit=500`)).body.items as { id: string; remediation: string }[];
    expect(after.find((i) => i.id === viaGroup!.id)?.remediation).toBe('success');
  });

  it('reads the report: the CSV download and the printable page', async () => {
    await page.getByRole('tab', { name: 'Report' }).click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()]);
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv.split(/\r?\n/)[0]).toMatch(/reviewer/i);
    expect(csv).toContain('No longer in the team');

    await page.getByRole('link', { name: 'Open the printable report' }).click();
    await page.getByRole('heading', { level: 1, name: `Access certification report: ${NAME}` }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Main' }).count()).toBe(0);
    const total = (await app.api(`/campaigns/${campaignId}`)).body.campaign.totals.items as number;
    await page.getByRole('table', { name: 'Report items' }).locator('tbody tr').nth(total - 1).waitFor();
    expect(await page.getByRole('table', { name: 'Report items' }).locator('tbody tr').count()).toBe(total);
    // In print: no button, no toolbar.
    await page.emulateMedia({ media: 'print' });
    expect(await page.getByRole('button', { name: 'Print or save as PDF' }).isVisible()).toBe(false);
    expect(await page.getByRole('link', { name: 'Download CSV' }).isVisible()).toBe(false);
    const pdf = await page.pdf({ format: 'A4', landscape: true });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    // `SCREENSHOTS=dir` keeps the PDF to look at.
    const shots = process.env['SCREENSHOTS'];
    if (shots) { mkdirSync(shots, { recursive: true }); writeFileSync(join(shots, 'campaign-report.pdf'), pdf); }
    await page.emulateMedia({ media: 'screen' });
  });

  it('a Viewer sees the campaigns but no action', async () => {
    const viewerId = await ensureUser(app.running.rt, 'viewer', 'vic.viewer@example.test');
    const viewer = await pageAs(app.browser, app.running, viewerId);
    const errors: string[] = [];
    viewer.on('pageerror', (e) => errors.push(e.message));
    await viewer.goto(`${app.running.url}/#/campaigns`);
    const row = viewer.getByRole('table', { name: 'Campaigns' }).locator(`tr[data-campaign="${campaignId}"]`);
    await row.waitFor();
    expect(await viewer.getByRole('link', { name: 'Create campaign' }).count()).toBe(0);
    await row.getByRole('link', { name: NAME }).click();
    await viewer.getByRole('heading', { level: 1, name: NAME }).waitFor();
    await viewer.getByRole('tab', { name: 'Items' }).click();
    await viewer.getByRole('table', { name: 'Campaign items' }).waitFor();
    // Keyset pages of 50: "Load more" appends the next page, no row twice; a search starts over.
    const total = (await app.api(`/campaigns/${campaignId}`)).body.campaign.totals.items as number;
    expect(total).toBeGreaterThan(50);
    const rows = viewer.getByRole('table', { name: 'Campaign items' }).locator('tbody tr');
    expect(await rows.count()).toBe(50);
    await viewer.getByRole('button', { name: 'Load more' }).click();
    await rows.nth(Math.min(total, 100) - 1).waitFor();
    const ids = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-item')));
    expect(new Set(ids).size).toBe(Math.min(total, 100));
    expect(await viewer.getByRole('button', { name: 'Load more' }).count()).toBe(total > 100 ? 1 : 0);
    await viewer.getByLabel('Decision').selectOption('revoke');
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(4);
    await viewer.getByRole('button', { name: 'Clear filters' }).click();
    for (const name of ['Start', 'Close early…', 'Apply…', 'Approve held apply…', 'Cancel campaign', 'Retry', 'Mark done']) {
      expect(await viewer.getByRole('button', { name, exact: true }).count(), name).toBe(0);
    }
    await viewer.getByRole('tab', { name: 'Remediation' }).click();
    await viewer.getByRole('region', { name: 'Remediation' }).waitFor();
    expect(await viewer.getByRole('button', { name: 'Retry' }).count()).toBe(0);
    expect(await viewer.getByRole('button', { name: 'Mark done' }).count()).toBe(0);
    await viewer.getByRole('tab', { name: 'Report' }).click();
    await viewer.getByRole('link', { name: 'Download CSV' }).waitFor();
    expect(errors).toEqual([]);
    await viewer.context().close();
  });
});
