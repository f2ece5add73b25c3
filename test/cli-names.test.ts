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
import { AppError } from '../src/errors/index.js';
import { formatCliError } from '../src/cli/main.js';

/**
 * The CLI as an admin types it: connections by id, name or the start of a name (several
 * matches are named, never guessed), exit codes that mean the same with and without --json,
 * and messages written for a terminal.
 */
describe('syncwarden CLI: names, exit codes, messages', () => {
  let dataDir: string;
  let sandbox: Sandbox;
  const ids: Record<string, string> = {};
  const cli = cliRunner(() => ({ SYNCWARDEN_DATA: dataDir, LOG_LEVEL: 'silent' }));
  const run = cli.run;
  const failure = async (...args: string[]): Promise<AppError> => {
    try {
      await run(...args);
    } catch (e) {
      if (e instanceof AppError) return e;
      throw e;
    }
    throw new Error(`${args.join(' ')} did not fail`);
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sw-cli-n-'));
    sandbox = await startSandbox({});
    const running = await startSyncwarden({ dataDir, env: {}, log: createLogger('silent') });
    const ms = sandbox.demo.microsoft;
    for (const name of ['Contoso mail source', 'Contoso mail source (backup)', 'Fabrikam directory (sandbox)']) {
      ids[name] = (await createConnection(running.rt, DEFAULT_TENANT, {
        kind: 'microsoft365', name, role: name.startsWith('Fabrikam') ? 'directory' : 'continuity_source',
        config: { tenantId: ms.tenantId, clientId: ms.clientId, endpoints: { login: sandbox.urls.entra_login, graph: sandbox.urls.graph } },
        credential: { type: 'client_secret', clientSecret: ms.clientSecret },
      })).id;
    }
    await running.stop();
  });
  afterAll(async () => {
    await sandbox.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a connection by id, exact name (any case) or the unambiguous start of its name', async () => {
    const show = async (key: string) => (JSON.parse(await run('connections', 'show', key, '--json')) as { id: string }).id;
    expect(await show(ids['Fabrikam directory (sandbox)']!)).toBe(ids['Fabrikam directory (sandbox)']);
    expect(await show('Fabrikam directory')).toBe(ids['Fabrikam directory (sandbox)']);
    expect(await show('fabrikam')).toBe(ids['Fabrikam directory (sandbox)']);
    // An exact name wins over a longer name it begins.
    expect(await show('contoso mail source')).toBe(ids['Contoso mail source']);
    expect(await show('Contoso mail source (b')).toBe(ids['Contoso mail source (backup)']);
  });

  it('several matches are refused with the candidates named; no match names what exists', async () => {
    const ambiguous = await failure('connections', 'show', 'Contoso');
    expect(ambiguous.code).toBe('request.ambiguous');
    const text = formatCliError(ambiguous);
    expect(text).toContain('"Contoso mail source"');
    expect(text).toContain('"Contoso mail source (backup)"');
    const none = await failure('connections', 'test', 'Northwind');
    expect(none.code).toBe('request.no_match');
    expect(formatCliError(none)).toContain('"Fabrikam directory (sandbox)"');
  });

  it('connections test exits 1 when a check fails, with and without --json', async () => {
    expect((await run('connections', 'test', 'Contoso mail source', '--json')).length).toBeGreaterThan(0);
    expect(cli.exitCode).toBe(0);
    sandbox.faults.set('*', 'm365.secret_expired');
    try {
      const json = JSON.parse(await run('connections', 'test', 'Contoso mail source', '--json')) as { ok: boolean };
      expect(json.ok).toBe(false);
      expect(cli.exitCode).toBe(1);
      await run('connections', 'test', 'Contoso mail source');
      expect(cli.exitCode).toBe(1);
    } finally {
      sandbox.faults.clear();
    }
  });

  it('messages fit the terminal: no "Reload the page", no "(any)" channel', async () => {
    const notFound = formatCliError(new AppError('connection.not_found', { id: 'x' }));
    expect(notFound).not.toMatch(/Reload|page/);
    expect(notFound).toContain('syncwarden connections list');
    const noChannel = await failure('alerts', 'test');
    expect(noChannel.code).toBe('alerts.no_channel');
    const text = formatCliError(noChannel);
    expect(text).not.toContain('(any)');
    expect(text).toContain('syncwarden alerts test');
  });
});
