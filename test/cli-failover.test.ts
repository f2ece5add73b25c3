import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliRunner } from './support/cli.js';
import type { Sandbox } from '../src/sandbox/server.js';
import { cliContinuityWorld, type CliContinuityWorld } from './support/cli-continuity.js';
import { sandboxAdmin } from './support/sandbox-admin.js';

/**
 * Failover and recovery from the `syncwarden` command: settings, declare (while Microsoft 365
 * answers 503), status, mail reaching and leaving Google (`sandbox mail`), recover refused
 * without write-back consent, then recover --wait, the report as a table, JSON and CSV, and end.
 */
describe('syncwarden CLI: failover and recovery', () => {
  let w: CliContinuityWorld;
  let sandbox: Sandbox;
  let user: string;
  let sourceId: string;
  const cli = cliRunner(() => w.env());
  const run = cli.run;
  const POLICY = 'CLI failover policy';

  beforeAll(async () => {
    w = await cliContinuityWorld({ tmpPrefix: 'sw-cli-fo-', userIndex: 3, policyName: POLICY });
    ({ sandbox, user, sourceId } = w);
  });
  afterAll(async () => w?.close());

  it('settings, then an outage declared while Microsoft 365 is down', async () => {
    await run('budgets', 'set', '--destination-user-units', '600000');
    expect(JSON.parse(await run('sync', 'run', '--json')).usersSynced).toBe(1);
    expect(await run('failover', 'settings', POLICY, '--propose-after', '45', '--auto-recover-after', '0')).toBe('Propose a failover: after 45 min of outage. Start recovery by itself: no (an admin starts it).');
    expect(JSON.parse(await run('failover', 'settings', POLICY, '--json'))).toEqual({ propose: true, proposeAfterMinutes: 45, autoRecover: false, autoRecoverAfterMinutes: 30 });
    expect(await run('failover', 'status')).toBe('No outage is declared or proposed.');

    sandbox.faults.set('*', 'm365.outage', { mode: 'error' });
    const declared = await run('failover', 'declare', POLICY, '--reason', 'Exchange Online incident EX77');
    expect(declared.split('\n')[0]).toMatch(/^Microsoft 365 outage since .+; users work in Google Workspace \(CLI failover policy\)$/);
    await expect(run('failover', 'declare', POLICY)).rejects.toMatchObject({ code: 'failover.already_active' });
    const status = JSON.parse(await run('failover', 'status', '--json')) as { state: string; reason: string; policyName: string }[];
    expect(status).toMatchObject([{ state: 'active', reason: 'Exchange Online incident EX77', policyName: POLICY }]);
  });

  it('mail reaches and leaves Google; recover waits for consent and for Microsoft 365, then writes it back', async () => {
    const google = (JSON.parse(await run('status', '--json')) as { users: { destinationEmail: string }[] }).users[0]!.destinationEmail;
    const admin = sandbox.urls.admin;
    expect(await run('sandbox', 'mail', '--admin', admin, 'deliver', google, '--subject', 'Invoice during the outage')).toMatch(/^Delivered to .+: <.+>$/);
    expect(await run('sandbox', 'mail', '--admin', admin, 'deliver', google, '--subject', 'Project note', '--label', 'Outage projects')).toMatch(/^Delivered to /);
    expect(await run('sandbox', 'mail', '--admin', admin, 'send', google, '--count', '3')).toBe(`3 message(s) sent by ${google}.`);

    await expect(run('failover', 'recover', POLICY)).rejects.toMatchObject({ code: 'failover.recovery_not_consented' });
    expect(await run('connections', 'write-back', sourceId, 'on')).toContain('Mail.ReadWrite');
    await sandboxAdmin(sandbox, 'POST', '/microsoft/consent', { permissions: ['User.Read.All', 'Mail.Read', 'Mail.ReadWrite'] });
    await expect(run('failover', 'recover', POLICY)).rejects.toMatchObject({ code: 'failover.source_unhealthy' });

    sandbox.faults.clear();
    const done = JSON.parse(await run('failover', 'recover', POLICY, '--wait', '--json'));
    expect(done.state).toBe('recovered');
    expect(done.banner).toBeNull();
    expect(done.totals).toMatchObject({ users: 1, recovered: 1, written: 5, failed: 0, failedUsers: 0 });

    const box = await sandboxAdmin<{ folders: { path: string[]; wellKnownName: string | null; messages: { subject: string; isDraft: boolean }[] }[] }>(sandbox, 'GET', `/microsoft/mailboxes/${encodeURIComponent(user)}`);
    const where = (subject: string) => box.folders.filter((f) => f.messages.some((m) => m.subject === subject && !m.isDraft)).map((f) => f.wellKnownName ?? f.path.join('/'));
    expect(where('Invoice during the outage')).toEqual(['inbox']);
    expect(where('Project note')).toEqual(['Outage projects']);
    expect(box.folders.find((f) => f.wellKnownName === 'sentitems')!.messages.filter((m) => !m.isDraft).length).toBeGreaterThanOrEqual(3);
  });

  it('the report as a table, JSON and CSV; a recovered failover cannot be ended', async () => {
    const table = await run('failover', 'report', POLICY);
    expect(table).toContain(user);
    expect(table).toContain('Recovered');
    expect(table).toContain('100%');
    const json = JSON.parse(await run('failover', 'report', POLICY, '--json'));
    expect(json.users).toMatchObject([{ email: user, status: 'recovered', written: 5, skipped: 0, failed: 0, progress: 100 }]);
    const csv = (await run('failover', 'report', POLICY, '--csv')).split(/\r?\n/);
    expect(csv[0]).toBe('user,google_mailbox,user_status,user_error,outcome,skip_reason,error,folder,subject,received_at,message_id,size');
    expect(csv.filter((l) => l.includes(',written back,')).length).toBe(5);
    expect(csv.some((l) => l.includes(',Outage projects,Project note,'))).toBe(true);
    await expect(run('failover', 'end', POLICY)).rejects.toMatchObject({ code: 'failover.not_active' });
    expect(await run('failover', 'status')).toBe('No outage is declared or proposed.');
  });
});
