import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliRunner } from './support/cli.js';
import type { Sandbox } from '../src/sandbox/server.js';
import { cliContinuityWorld, type CliContinuityWorld } from './support/cli-continuity.js';
import { sandboxAdmin } from './support/sandbox-admin.js';

/** Continuity from the `syncwarden` command: sync run, status, one user, items, retry, explain, preview, budgets. */
describe('syncwarden CLI: continuity', () => {
  let w: CliContinuityWorld;
  let sandbox: Sandbox;
  let user: string;
  let policyId: string;
  const cli = cliRunner(() => w.env());
  const run = cli.run;

  beforeAll(async () => {
    w = await cliContinuityWorld({ tmpPrefix: 'sw-cli-c-', userIndex: 4, policyName: 'CLI policy' });
    ({ sandbox, user, policyId } = w);
    await sandboxAdmin(sandbox, 'POST', '/faults', { name: 'item.encrypted', scope: '*', params: { user, count: 1 } });
  });
  afterAll(async () => w?.close());

  it('budgets set and show', async () => {
    expect(JSON.parse(await run('budgets', 'show', '--json')).destinationUser.unitsPerMinute).toBe(6000);
    await run('budgets', 'set', '--destination-user-units', '600000');
    expect(await run('budgets', 'show')).toContain('600000 units / min');
  });

  it('policies preview, then sync run and status', async () => {
    const p = JSON.parse(await run('policies', 'preview', policyId, '--json'));
    expect(p.added.map((a: { email: string }) => a.email)).toEqual([user]);
    expect(await run('policies', 'list')).toContain('CLI policy');
    const r = JSON.parse(await run('sync', 'run', '--json'));
    expect(r.policiesRun).toBe(1);
    expect(r.usersSynced).toBe(1);
    const s = JSON.parse(await run('status', '--json'));
    expect(s.users[0].status).toBe('synced');
    expect(await run('status', '--status', 'synced')).toContain(user);
    // A filter that matches nobody is not an empty installation.
    const none = await run('status', '--status', 'failed');
    expect(none).toBe('No users are Failed (Synced: 1).');
    expect(none).not.toContain('No users yet');
    // A policy by its name, or the start of it, as admins type it.
    expect(JSON.parse(await run('status', '--policy', 'CLI pol', '--json')).users).toHaveLength(1);
    expect(JSON.parse(await run('policies', 'preview', 'cli policy', '--json')).selected).toBe(1);
    expect(await run('dashboard')).toContain('users synced');
  });

  it('one user: detail, the failed item with its code, retry, explain and reconcile', async () => {
    const show = await run('sync', 'show', user);
    expect(show).toContain('Status: Synced');
    expect(show).toContain('Inbox');
    const items = JSON.parse(await run('sync', 'items', user, '--json'));
    expect(items.items.map((i: { error: { code: string } }) => i.error.code)).toEqual(['item.encrypted']);
    expect(await run('sync', 'items', user)).toContain('item.encrypted');
    expect(JSON.parse(await run('sync', 'retry-failed', user, '--json'))).toEqual({ retried: 1, stillFailing: 1 });
    const why = await run('sync', 'explain', user);
    expect(why).toContain('Policy match');
    // The doctor ran when the connections were saved (its job was drained by `sync run`).
    expect(why.split('\n')[0]).toBe('Nothing stops this user from syncing.');
    // Moments in one convention with the zone named, never raw ISO; the status step says
    // something beyond its own title.
    expect(why).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:/);
    expect(why).toMatch(/last tested \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(why).not.toContain('Status: Synced: Synced.');
    // A source connection in error is the first thing explain names.
    const source = (JSON.parse(await run('connections', 'list', '--json')) as { id: string; name: string }[]).find((c) => c.name === 'CLI source')!;
    sandbox.faults.set('*', 'm365.secret_expired');
    await run('connections', 'test', source.id);
    sandbox.faults.clear('*', 'm365.secret_expired');
    expect((await run('sync', 'explain', user)).split('\n')[0]).toMatch(/^Source connection "CLI source": Client secret expired/);
    // Healthy again: the incident resolves and the blocked user is queued; once a worker ran it, all is clear.
    await run('connections', 'test', source.id);
    await run('sync', 'run');
    expect((await run('sync', 'explain', user)).split('\n')[0]).toBe('Nothing stops this user from syncing.');
    const rec = JSON.parse(await run('sync', 'reconcile', user, '--json'));
    const inbox = rec.folders.find((f: { name: string }) => f.name === 'Inbox').reconciliation;
    expect(inbox.gaps.find((g: { class: string }) => g.class === 'failed_item').count).toBe(1);
  });
});
