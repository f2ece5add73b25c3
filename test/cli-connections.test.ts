import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliRunner } from './support/cli.js';
import { startSandbox, type Sandbox } from '../src/sandbox/server.js';
import { startSyncwarden } from '../src/runtime/start.js';
import { createLogger } from '../src/runtime/logger.js';
import { createChannel } from '../src/notify/channels.js';
import { createPolicy } from '../src/continuity/policies.js';
import { createConnection } from '../src/connections/service.js';
import { DEFAULT_TENANT } from '../src/api/route.js';
import { startWebhookReceiver } from './support/receivers.js';

/** The connection, credential, incident and alert commands, against a real data directory and the sandbox. */
describe('syncwarden connections / credentials / incidents / alerts', () => {
  let dataDir: string;
  let sandbox: Sandbox;
  let hook: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let id: string;
  const PFX_PW_VAR = 'SW_TEST_PFX_PASSWORD';
  const SECRET_VAR = 'SW_TEST_CLIENT_SECRET';
  const AWS_VAR = 'SW_TEST_AWS_SECRET';
  const SCIM_VAR = 'SW_TEST_SCIM_TOKEN';
  const env = () => ({
    SYNCWARDEN_DATA: dataDir, LOG_LEVEL: 'silent',
    [PFX_PW_VAR]: sandbox.demo.microsoft.pfxPassword, [SECRET_VAR]: sandbox.demo.microsoft.clientSecret,
    [AWS_VAR]: sandbox.demo.aws.secretAccessKey, [SCIM_VAR]: sandbox.demo.scim.token,
  });
  const cli = cliRunner(env);
  const run = cli.run;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sw-cli2-'));
    sandbox = await startSandbox({});
    hook = await startWebhookReceiver();
    writeFileSync(join(dataDir, 'northwind.pfx'), Buffer.from(sandbox.demo.microsoft.pfxBase64, 'base64'));
  });
  afterAll(async () => {
    await hook.close();
    await sandbox.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('connections create: settings as --set, the PFX from a file and its password from the environment; then the doctor', async () => {
    const ms = sandbox.demo.microsoft;
    const out = await run(
      'connections', 'create', '--kind', 'microsoft365', '--name', 'CLI M365',
      '--set', `tenantId=${ms.tenantId}`, '--set', `clientId=${ms.clientId}`, '--set', `endpoints.login=${sandbox.urls.entra_login}`, '--set', `endpoints.graph=${sandbox.urls.graph}`,
      '--pfx', join(dataDir, 'northwind.pfx'), '--pfx-password-env', PFX_PW_VAR,
    );
    expect(out).toContain('Connection test successful');
    expect(cli.exitCode).toBe(0);
    id = /Created (conn_\w+)/.exec(out)![1]!;
    const list = await run('connections', 'list');
    expect(list).toMatch(/CLI M365\s+microsoft365\s+continuity_source\s+active\s+certificate\s+expires in 36\d days/);
    expect(list).not.toContain(ms.pfxPassword);
  });

  it('connections show and test, with the cause and fix when it fails', async () => {
    const show = await run('connections', 'show', id);
    expect(show).toContain('Admin consent: ');
    expect(show).toContain('adminconsent?client_id=');
    expect(show).toContain('Write-back: off (read-only)');
    sandbox.faults.set('*', 'm365.consent_revoked');
    const failed = await run('connections', 'test', id);
    sandbox.faults.clear();
    expect(cli.exitCode).toBe(1);
    expect(failed.split('\n')[0]).toBe('Connection test failed');
    expect(failed).toContain('m365.permission_missing: Insufficient permissions');
    expect(failed).toContain('Fix: In Entra ID open the app registration > API permissions');
  });

  it('connections rotate: add → test alone → switch, then retire the old one', async () => {
    const out = await run('connections', 'rotate', id, '--client-secret-env', SECRET_VAR, '--json');
    expect(cli.exitCode).toBe(0);
    const r = JSON.parse(out) as { added: { test: { ok: boolean } }; switched: { connection: { credential: { type: string }; credentials: { id: string; state: string }[] } } };
    expect(r.added.test.ok).toBe(true);
    expect(r.switched.connection.credential.type).toBe('client_secret');
    const previous = r.switched.connection.credentials.find((c) => c.state === 'previous')!;
    expect(await run('connections', 'retire', id, previous.id)).toContain('Retired');
    // Secrets come from the environment, never the command line; a missing variable is named.
    await expect(run('connections', 'rotate', id, '--pfx', join(dataDir, 'northwind.pfx'), '--pfx-password-env', 'SW_NOT_SET')).rejects.toThrow(/SW_NOT_SET/);
  }, 30_000);

  it('credentials list, incidents list and alerts test', async () => {
    const creds = JSON.parse(await run('credentials', 'list', '--json')) as { connectionName: string; state: string; type: string }[];
    expect(creds.map((c) => `${c.connectionName}:${c.state}:${c.type}`)).toEqual(['CLI M365:current:client_secret']);
    // The consent test above broke a connection that had worked: an incident, resolved by the rotation.
    expect(await run('incidents', 'list')).toMatch(/CLI M365\s+resolved\s+\S+\s+\S+\s+0\s+m365.permission_missing/);
    expect(await run('incidents', 'list', '--state', 'open')).toBe('No open incidents.');
    // Put the connection in service behind a policy, then break it: an incident.
    const running = await startSyncwarden({ dataDir, env: {}, log: createLogger('silent') });
    const g = sandbox.demo.google;
    const dest = await createConnection(running.rt, DEFAULT_TENANT, {
      kind: 'google_workspace', name: 'CLI Google',
      config: { serviceAccountEmail: g.serviceAccountEmail, adminEmail: g.adminEmail, domain: g.domain, endpoints: { oauth: sandbox.urls.google_oauth, iam: sandbox.urls.google_iam, apis: sandbox.urls.google_apis } },
      credential: { type: 'service_account_key', keyJson: g.serviceAccountKeyJson },
    });
    await createPolicy(running.rt, DEFAULT_TENANT, { name: 'P', sourceConnectionId: id, destinationConnectionId: dest.id });
    await createChannel(running.rt, DEFAULT_TENANT, { type: 'webhook', name: 'CLI hook', config: { url: hook.url }, secret: 'cli-hook-secret-0123456789' });
    await running.stop();
    sandbox.faults.set('*', 'm365.secret_expired');
    await run('connections', 'test', id);
    sandbox.faults.clear();
    const incidents = await run('incidents', 'list', '--state', 'open');
    expect(incidents).toMatch(/CLI M365\s+open/);
    expect(incidents).toContain('Fix: Create a new client secret');
    const alerts = await run('alerts', 'test');
    expect(alerts).toMatch(/CLI hook\s+webhook\s+sent/);
    expect(hook.hooks.some((h) => h.headers['x-syncwarden-event'] === 'alert.test')).toBe(true);
    const healed = await run('connections', 'test', id);
    expect(healed).toMatch(/Incident inc_\w+ resolved/);
  }, 30_000);

  it('connections bundle writes a file without secrets; delete removes the connection', async () => {
    const file = join(dataDir, 'bundle.json');
    expect(await run('connections', 'bundle', id, '--out', file)).toContain('no secrets inside');
    const text = readFileSync(file, 'utf8');
    const bundle = JSON.parse(text) as { connection: { name: string }; recentChanges: { action: string }[] };
    expect(bundle.connection.name).toBe('CLI M365');
    expect(bundle.recentChanges.map((e) => e.action)).toContain('credential.switched');
    for (const s of [sandbox.demo.microsoft.clientSecret, sandbox.demo.microsoft.pfxPassword]) expect(text).not.toContain(s);
    await expect(run('connections', 'delete', id)).rejects.toThrow(/used by the policy "P"/);
  });

  it('connections create --kind aws_iam|scim --role directory: secrets from the environment, scope switches, write-back consent, partial edits', async () => {
    const a = sandbox.demo.aws;
    const aws = await run(
      'connections', 'create', '--kind', 'aws_iam', '--role', 'directory', '--name', 'CLI AWS',
      '--set', `accountId=${a.accountId}`, '--set', `endpoints.iam=${sandbox.urls.aws_iam}`, '--set', `endpoints.sts=${sandbox.urls.aws_sts}`,
      '--access-key-id', a.accessKeyId, '--secret-access-key-env', AWS_VAR, '--role-arn', a.roleArn, '--external-id', a.externalId, '--include-guests',
    );
    expect(aws).toContain('Connection test successful');
    expect(cli.exitCode).toBe(0);
    const awsId = /Created (conn_\w+)/.exec(aws)![1]!;
    const scim = await run('connections', 'create', '--kind', 'scim', '--role', 'directory', '--name', 'CLI SCIM', '--set', `baseUrl=${sandbox.demo.scim.baseUrl}`, '--token-env', SCIM_VAR, '--secret-expires', '2031-01-31');
    expect(scim).toContain('Connection test successful');
    const scimId = /Created (conn_\w+)/.exec(scim)![1]!;

    const show = await run('connections', 'show', scimId);
    expect(show).toContain('SCIM 2.0, directory, active');
    expect(show).toContain('Write-back: off (read-only); turning it on adds PATCH /Groups');
    expect(show).toContain('Scope: members only; guests, external identities, disabled accounts left out');
    expect(await run('connections', 'show', awsId)).toContain('Scope: members only; external identities, disabled accounts left out');
    const on = await run('connections', 'write-back', scimId, 'on');
    expect(on).toContain('Write-back consented on "CLI SCIM". It needs, in addition: PATCH /Groups.');
    expect(await run('connections', 'test', scimId)).toContain('Connection test successful');

    // Only the external id changes; the key and its secret are kept.
    await run('connections', 'edit', awsId, '--external-id', 'not-the-right-one', '--set', 'scope.includeGuests=false');
    const failed = await run('connections', 'test', awsId);
    expect(cli.exitCode).toBe(1);
    expect(failed).toContain('aws.external_id_mismatch: External ID does not match the role');
    const view = JSON.parse(await run('connections', 'show', awsId, '--json')) as { scope: Record<string, boolean>; credential: { meta: Record<string, unknown> } };
    expect(view.scope).toEqual({ includeGuests: false, includeExternal: false, includeDisabled: false });
    expect(view.credential.meta).toMatchObject({ accessKeyId: a.accessKeyId, externalId: 'not-the-right-one' });

    const list = await run('credentials', 'list');
    expect(list).toMatch(/CLI AWS\s+access key \S+ \(assumes arn:aws:iam::\d{12}:role\/SyncwardenAudit\)\s+current\s+\S+\s+\d+\s+ok\s+age_policy/);
    expect(list).toMatch(/CLI SCIM\s+SCIM bearer token\s+current\s+2031-01-31/);
    for (const secret of [a.secretAccessKey, sandbox.demo.scim.token]) {
      expect(list).not.toContain(secret);
      expect(await run('connections', 'bundle', awsId, '--json')).not.toContain(secret);
    }
  }, 30_000);
});
