import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../src/sandbox/server.js';
import { bootApp } from './support/app.js';
import { cliRunner } from './support/cli.js';
import { scimBody } from './support/connections.js';
import { setFault, waitFor } from './support/sandbox-admin.js';

/**
 * Finding 5 of issue 10: a SCIM app (a gateway in front of it) that echoes the Authorization
 * header and the bare token in its error text. The error shown by the API and the CLI, and
 * every error stored in the database, carries no token.
 */
describe('provider text is scrubbed where errors are made', () => {
  let sandbox: Sandbox;
  let app: Awaited<ReturnType<typeof bootApp>>;
  const cli = cliRunner(() => ({ SYNCWARDEN_DATA: app.dataDir, LOG_LEVEL: 'silent' }));

  beforeAll(async () => {
    sandbox = await startSandbox({});
    app = await bootApp({ worker: { concurrency: 1 } });
  });
  afterAll(async () => {
    await app?.stop();
    await sandbox?.close();
  });

  it('an echoed Authorization header and token reach neither the API, the CLI nor the database', async () => {
    const token = sandbox.demo.scim.token;
    const c = await app.api('/connections', { method: 'POST', body: JSON.stringify(scimBody(sandbox)) });
    expect(c.status, c.text).toBe(201);
    await setFault(sandbox, 'scim.echo_authorization');
    const tested = await app.api(`/connections/${c.body.id}/test`, { method: 'POST' });
    expect(tested.status, tested.text).toBe(200);
    expect(tested.body.ok).toBe(false);
    expect(tested.text).not.toContain(token);
    const shown = await app.api(`/connections/${c.body.id}`);
    // The error is the real one (the app answered 500), with the provider's words minus the token.
    expect(shown.body.lastError.code).toBe('scim.unreachable');
    expect(shown.body.lastError.message).toContain('[redacted]');
    expect(shown.text).not.toContain(token);

    // A directory sync through the same fault: the run's error and the job's error.
    const sync = await app.api(`/connections/${c.body.id}/directory/sync`, { method: 'POST', body: JSON.stringify({ mode: 'full' }) });
    expect(sync.status, sync.text).toBe(202);
    await waitFor('the run to fail', async () => {
      const row = await app.rt.store.db.selectFrom('dir_runs').select(['status']).where('connection_id', '=', c.body.id).executeTakeFirst();
      return row && row.status !== 'running' && row.status !== 'queued' ? row : undefined;
    });

    const cliText = await cli.run('connections', 'show', c.body.id);
    expect(cliText).toContain('scim.unreachable');
    expect(cliText).not.toContain(token);
    expect(await cli.run('connections', 'show', c.body.id, '--json')).not.toContain(token);

    const db = app.rt.store.db;
    const stored = [
      ...(await db.selectFrom('connections').select(['last_error_json as e', 'last_findings_json as f']).execute()).flatMap((r) => [r.e, r.f]),
      ...(await db.selectFrom('connection_credentials').select('last_findings_json as f').execute()).map((r) => r.f),
      ...(await db.selectFrom('jobs').select('last_error_json as e').execute()).map((r) => r.e),
      ...(await db.selectFrom('dir_runs').select('error_json as e').execute()).map((r) => r.e),
      ...(await db.selectFrom('audit_events').select(['message', 'params_json']).execute()).flatMap((r) => [r.message, r.params_json]),
    ].filter((x): x is string => typeof x === 'string');
    expect(stored.some((s) => s.includes('[redacted]'))).toBe(true);
    for (const s of stored) expect(s).not.toContain(token);
  }, 60_000);
});
