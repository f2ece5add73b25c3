import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliRunner } from './support/cli.js';
import { startSandbox, type Sandbox } from '../src/sandbox/server.js';
import { startSyncwarden } from '../src/runtime/start.js';
import { createLogger } from '../src/runtime/logger.js';
import { createConnection } from '../src/connections/service.js';
import { DEFAULT_TENANT } from '../src/api/route.js';
import { googleDirectoryBody, scimBody } from './support/connections.js';

/** The identity inventory from the `syncwarden` command: directory status, sync, history, rules; identities list, show, explain. */
describe('syncwarden CLI: directory and identities', () => {
  let dataDir: string;
  let sandbox: Sandbox;
  let keyFile: string;
  const env = () => ({ SYNCWARDEN_DATA: dataDir, LOG_LEVEL: 'silent', SYNCWARDEN_GOOGLE_TOKEN_PROVIDER_KEY_FILE: keyFile });
  const cli = cliRunner(env);
  const run = cli.run;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sw-cli-d-'));
    keyFile = join(dataDir, 'tp.json');
    sandbox = await startSandbox({});
    writeFileSync(keyFile, sandbox.demo.google.tokenProviderKeyJson);
    const running = await startSyncwarden({ dataDir, env: { SYNCWARDEN_GOOGLE_TOKEN_PROVIDER_KEY_FILE: keyFile }, log: createLogger('silent') });
    await createConnection(running.rt, DEFAULT_TENANT, googleDirectoryBody(sandbox));
    await createConnection(running.rt, DEFAULT_TENANT, scimBody(sandbox));
    await running.stop();
  }, 60_000);
  afterAll(async () => {
    await sandbox?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('status before any sync, then sync --wait of each connection, and its history', async () => {
    const before = await run('directory', 'status');
    expect(before).toContain('Northwind Expenses');
    expect(before).toContain('never_synced');
    const queued = JSON.parse(await run('directory', 'sync', 'Northwind Expenses', '--json'));
    expect(queued.queued).toBe(true);
    const synced = await run('directory', 'sync', 'northwind expenses', '--full', '--wait');
    expect(synced).toMatch(/^Northwind Expenses: Synced/);
    const google = JSON.parse(await run('directory', 'sync', 'Northwind Google directory', '--full', '--wait', '--json'));
    expect(google.status.state).toBe('succeeded');
    const history = JSON.parse(await run('directory', 'history', 'Northwind Expenses', '--json'));
    expect(history.items[0]).toMatchObject({ status: 'succeeded', mode: 'full' });
    expect(await run('directory', 'history', 'Northwind Expenses')).toContain('succeeded');
    await expect(run('directory', 'sync', 'No such connection')).rejects.toMatchObject({ code: 'request.no_match' });
    await expect(run('directory', 'sync', 'Northwind Expenses', '--full', '--delta')).rejects.toMatchObject({ code: 'request.invalid' });
  }, 60_000);

  it('identities list (search, filters, CSV) and show, after the sync --wait correlated them', async () => {
    const list = await run('identities', 'list', '--q', 'frances shannon');
    expect(list).toContain('frances.shannon@northwind.test');
    expect(list).toContain('Northwind');
    expect(list).toContain('1 of 1 identities');
    const json = JSON.parse(await run('identities', 'list', '--connection', 'Northwind Google directory', '--status', 'active', '--json'));
    expect(json.total).toBeGreaterThan(5);
    const csv = await run('identities', 'list', '--csv', '--q', 'frances');
    expect(csv.split('\r\n')[0]).toBe('id,display name,email,employee id,type,status,accounts,connections,updated at');
    expect(csv).toContain('Frances Shannon');
    await expect(run('identities', 'list', '--type', 'robot')).rejects.toMatchObject({ code: 'request.invalid' });

    const show = await run('identities', 'show', 'frances.shannon@northwind.test');
    expect(show).toContain('Frances Shannon <frances.shannon@northwind.test>');
    expect(show).toContain('email = frances.shannon@northwind.test');
    expect(show).toContain('Groups');
    await expect(run('identities', 'show', 'nobody@nowhere.test')).rejects.toMatchObject({ code: 'request.not_found' });
  });

  it('identities explain names the scope switch that leaves an account out', async () => {
    const text = await run('identities', 'explain', 'lynn.torvalds@northwind.test');
    expect(text).toContain('Verdict: found');
    expect(text).toContain('turn on "Include disabled accounts"');
    const json = JSON.parse(await run('identities', 'explain', 'lynn.torvalds@northwind.test', '--json'));
    expect(json.rules.map((r: { rule: string }) => r.rule)).toEqual(['email', 'user_name', 'employee_id']);
  });

  it('directory rules: show and set', async () => {
    expect(await run('directory', 'rules')).toContain('Rules: email, user name, employee id');
    expect(await run('directory', 'rules', '--set', 'employee_id,email')).toContain('Rules: employee id, email, user name (off)');
    expect(JSON.parse(await run('directory', 'rules', '--json')).rules).toEqual([
      { attribute: 'employee_id', enabled: true }, { attribute: 'email', enabled: true }, { attribute: 'user_name', enabled: false },
    ]);
    await expect(run('directory', 'rules', '--set', 'phone')).rejects.toMatchObject({ code: 'request.invalid' });
  });
});
