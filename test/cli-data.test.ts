import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliRunner } from './support/cli.js';
import { startSandbox, type Sandbox } from '../src/sandbox/server.js';
import { startSyncwarden, type Running } from '../src/runtime/start.js';
import { createLogger } from '../src/runtime/logger.js';
import { createConnection } from '../src/connections/service.js';
import { DEFAULT_TENANT } from '../src/api/route.js';
import { AppError } from '../src/errors/index.js';
import { formatCliError } from '../src/cli/main.js';

/**
 * The CLI started outside the server's data folder: it works on the running server's data (and
 * builds the admin-consent redirect with that server's port), or refuses and says where it
 * looked — it never makes a fresh ./data with a new master key and an empty database.
 */
describe('syncwarden CLI: which data it uses', () => {
  const home = mkdtempSync(join(tmpdir(), 'sw-cli-d-'));
  const elsewhere = join(home, 'elsewhere');
  const dataDir = join(home, 'server-data');
  // Its own folder of running servers: other test files' servers run at the same time.
  const runtimeDir = join(home, 'run');
  const cwd = process.cwd();
  let sandbox: Sandbox;
  const cli = cliRunner(() => ({ LOG_LEVEL: 'silent', SYNCWARDEN_RUNTIME_DIR: runtimeDir }));

  beforeAll(async () => {
    sandbox = await startSandbox({});
    mkdirSync(elsewhere);
    process.chdir(elsewhere);
  });
  afterAll(async () => {
    process.chdir(cwd);
    await sandbox.close();
    rmSync(home, { recursive: true, force: true });
  });

  const refusal = async (): Promise<AppError> => {
    try {
      await cli.run('connections', 'list');
    } catch (e) {
      if (e instanceof AppError) return e;
      throw e;
    }
    throw new Error('connections list did not refuse');
  };

  it('with no data here and no server running, it refuses, names the folder, and creates nothing', async () => {
    const e = await refusal();
    expect(e.code).toBe('cli.data_not_found');
    expect(formatCliError(e)).toContain(join(elsewhere, 'data'));
    expect(formatCliError(e)).toContain('SYNCWARDEN_DATA');
    expect(existsSync(join(elsewhere, 'data'))).toBe(false);
  });

  it('with a server running, it uses that server\'s data and port', async () => {
    let running: Running | undefined;
    try {
      running = await startSyncwarden({ dataDir, port: 0, env: { SYNCWARDEN_RUNTIME_DIR: runtimeDir }, log: createLogger('silent') });
      const ms = sandbox.demo.microsoft;
      const created = await createConnection(running.rt, DEFAULT_TENANT, {
        kind: 'microsoft365', role: 'directory', name: 'Entra of the running server',
        config: { tenantId: ms.tenantId, clientId: ms.clientId, endpoints: { login: sandbox.urls.entra_login, graph: sandbox.urls.graph } },
        credential: { type: 'client_secret', clientSecret: ms.clientSecret },
      });
      const listed = JSON.parse(await cli.run('connections', 'list', '--json')) as { id: string }[];
      expect(listed.map((c) => c.id)).toEqual([created.id]);
      const shown = JSON.parse(await cli.run('connections', 'show', 'Entra of the running', '--json')) as { adminConsentUrl: string | null };
      const redirect = new URL(shown.adminConsentUrl!).searchParams.get('redirect_uri');
      expect(redirect).toBe(`${running.url}/api/v1/connections/consent-callback`);
      expect(existsSync(join(elsewhere, 'data'))).toBe(false);
    } finally {
      await running?.stop();
    }
    // Once it stopped, the CLI no longer pretends to know where the data is.
    expect((await refusal()).code).toBe('cli.data_not_found');
  });
});
