import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliRunner } from './support/cli.js';
import { startSandbox, type Sandbox } from '../src/sandbox/server.js';
import { startSyncwarden } from '../src/runtime/start.js';
import { createLogger } from '../src/runtime/logger.js';
import { createConnection } from '../src/connections/service.js';
import { DEFAULT_TENANT } from '../src/api/route.js';
import { scimBody } from './support/connections.js';
import { sandboxAdmin } from './support/sandbox-admin.js';

/** The mass-removal guard from the `syncwarden` command: a held sync, reject-removals, approve-removals. */
describe('syncwarden CLI: held directory removals', () => {
  let dataDir: string;
  let sandbox: Sandbox;
  const cli = cliRunner(() => ({ SYNCWARDEN_DATA: dataDir, LOG_LEVEL: 'silent' }));
  const run = cli.run;
  const NAME = 'Northwind Expenses';

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sw-cli-g-'));
    sandbox = await startSandbox({});
    const running = await startSyncwarden({ dataDir, log: createLogger('silent') });
    await createConnection(running.rt, DEFAULT_TENANT, scimBody(sandbox));
    await running.stop();
  }, 60_000);
  afterAll(async () => {
    await sandbox?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a held sync says so; reject-removals removes nothing; approve-removals lets the sync finish', async () => {
    expect(await run('directory', 'sync', NAME, '--full', '--wait')).toMatch(/^Northwind Expenses: Synced/);
    const accounts = JSON.parse(await run('directory', 'status', '--json'))[0].counts.accounts as number;
    const tenant = sandbox.demo.scim.tenant;
    const users = (await sandboxAdmin<{ resources: { id: string; active?: boolean; userType?: string }[] }>(sandbox, 'GET', `/scim/tenants/${tenant}/users`)).resources.filter((u) => u.active !== false && u.userType !== 'Guest');
    for (const u of users.slice(0, Math.ceil(accounts * 0.2))) await sandboxAdmin(sandbox, 'DELETE', `/scim/tenants/${tenant}/users/${u.id}`);

    expect(await run('directory', 'sync', NAME, '--full', '--wait')).toMatch(/Removals held for approval: \d+ of \d+ accounts/);
    expect(await run('directory', 'reject-removals', NAME)).toBe(`Held removals of ${NAME} rejected. Nothing was removed.`);
    expect(JSON.parse(await run('directory', 'status', '--json'))[0].counts.accounts).toBe(accounts);
    await expect(run('directory', 'approve-removals', NAME)).rejects.toMatchObject({ code: 'directory.no_held_removals' });

    expect(await run('directory', 'sync', NAME, '--full', '--wait')).toMatch(/Removals held for approval/);
    expect(await run('directory', 'approve-removals', NAME)).toMatch(/approved/);
    expect(await run('directory', 'sync', NAME, '--wait')).toMatch(/^Northwind Expenses: Synced/);
    expect(JSON.parse(await run('directory', 'status', '--json'))[0].counts.accounts).toBeLessThan(accounts);
  });
});
