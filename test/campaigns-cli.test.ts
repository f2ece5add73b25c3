import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliRunner } from './support/cli.js';
import { directoryWorld } from './support/directory.js';
import { scimBody } from './support/connections.js';
import { runDirectorySync } from '../src/directory/sync/run.js';
import { correlateIdentities } from '../src/directory/correlation/correlate.js';
import { ensureUser } from './support/auth.js';

/**
 * `syncwarden campaigns …` and `syncwarden reviews …`: the same app reached locally (its data
 * folder) and remotely (SYNCWARDEN_URL + an owner's token), by campaign name and connection name.
 */
describe('syncwarden CLI: campaigns and reviews', () => {
  let world: Awaited<ReturnType<typeof directoryWorld>>;
  const local = cliRunner(() => ({ SYNCWARDEN_DATA: world.app.dataDir, LOG_LEVEL: 'silent' }));
  const remote = cliRunner(() => ({ SYNCWARDEN_URL: world.app.url, SYNCWARDEN_TOKEN: world.app.ownerToken, LOG_LEVEL: 'silent' }));

  beforeAll(async () => {
    world = await directoryWorld('sqlite');
    const scim = await world.connect(scimBody(world.sandbox));
    expect((await runDirectorySync(world.app.rt, world.tenantId, scim, { mode: 'full' })).status).toBe('succeeded');
    await correlateIdentities(world.app.rt, world.tenantId);
    await ensureUser(world.app.rt, 'admin', 'fallback@example.test');
  }, 120_000);
  afterAll(async () => world?.close());

  it('creates (by names), previews, starts, lists, shows; a reviewer lists and decides; close, apply preview, report CSV', async () => {
    const preview = JSON.parse(await remote.run('campaigns', 'create', '--name', 'CLI review', '--connection', 'Northwind Expenses', '--kind', 'scim_group_membership', '--reviewers', 'named', '--reviewer', 'fallback@example.test', '--fallback', 'fallback@example.test', '--preview', '--json'));
    expect(preview.items).toBeGreaterThan(0);
    expect(preview.reviewers[0].reviewer.email).toBe('fallback@example.test');
    // By manager (no manager has an account here): the text preview says every item falls to the fallback.
    const byManager = await local.run('campaigns', 'create', '--name', 'CLI fallback', '--connection', 'Northwind Expenses', '--kind', 'scim_group_membership', '--reviewers', 'manager', '--fallback', 'fallback@example.test', '--preview');
    expect(byManager.split('\n')[0]).toBe(`${preview.items} item(s); ${preview.items} to the fallback reviewer; 0 without a reviewer`);
    expect(byManager).toContain('fallback: ');
    const auto = JSON.parse(await local.run('campaigns', 'create', '--name', 'CLI auto apply', '--connection', 'Northwind Expenses', '--kind', 'scim_group_membership', '--reviewers', 'named', '--reviewer', 'fallback@example.test', '--fallback', 'fallback@example.test', '--apply-on-close', '--json'));
    expect(auto.campaign).toMatchObject({ status: 'draft', applyOnClose: true });
    expect(await remote.run('campaigns', 'create', '--name', 'CLI review', '--connection', 'Northwind Expenses', '--kind', 'scim_group_membership', '--reviewers', 'named', '--reviewer', 'fallback@example.test', '--fallback', 'fallback@example.test', '--on-no-response', 'keep'))
      .toMatch(/^Created campaign CLI review/);
    const started = JSON.parse(await remote.run('campaigns', 'start', 'CLI review', '--json'));
    expect(started.campaign.status).toBe('running');
    expect(started.campaign.totals.items).toBe(preview.items);
    expect(await remote.run('campaigns', 'list')).toContain('CLI review');
    expect(await remote.run('campaigns', 'show', 'CLI review')).toContain('fallback@example.test');

    // The reviewer, locally on the data folder.
    const mine = JSON.parse(await local.run('reviews', 'list', '--as', 'fallback@example.test', '--json'));
    expect(mine.counts.open).toBe(preview.items);
    const first = mine.items[0].id as string;
    expect(await local.run('reviews', 'decide', first, '--decision', 'revoke', '--justification', 'No longer needed', '--as', 'fallback@example.test')).toBe('Decided 1 item(s).');
    const rest = JSON.parse(await local.run('reviews', 'decide', '--campaign', started.campaign.id, '--decision', 'approve', '--as', 'fallback@example.test', '--json'));
    // Every open item; the one already revoked keeps its decision.
    expect(rest).toEqual({ decided: preview.items - 1, keptDecided: 1 });
    // Unless asked: then the first one's decision changes too (the stage is still open), and back again by id.
    const all = JSON.parse(await local.run('reviews', 'decide', '--campaign', started.campaign.id, '--decision', 'approve', '--include-decided', '--as', 'fallback@example.test', '--json'));
    expect(all).toEqual({ decided: preview.items, keptDecided: 0 });
    expect(await local.run('reviews', 'decide', first, '--decision', 'revoke', '--justification', 'No longer needed', '--as', 'fallback@example.test')).toBe('Decided 1 item(s).');

    const closed = JSON.parse(await local.run('campaigns', 'close', 'CLI review', '--json'));
    expect(closed.campaign.status).toBe('closed');
    expect(closed.campaign.totals.revoked).toBe(1);
    const ap = JSON.parse(await remote.run('campaigns', 'apply', 'CLI review', '--preview', '--json'));
    expect(ap.total).toBe(1);
    expect(ap.manual).toBe(1); // no write-back consent on the connection
    const csv = await remote.run('campaigns', 'report', 'CLI review', '--csv');
    expect(csv.split('\r\n').length).toBe(preview.items + 1);
    expect(csv).toContain('No longer needed');
    expect(await local.run('campaigns', 'report', 'CLI review')).toContain('No longer needed');
  }, 120_000);
});
