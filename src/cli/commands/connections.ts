import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import type { Runtime } from '../../runtime/context.js';
import {
  createConnection,
  editConnection,
  getConnectionView,
  listConnectionViews,
  removeConnection,
  setWriteBack,
  testConnection,
  type ConnectionView,
  type FindingView,
} from '../../connections/service.js';
import { addCredential, retireCredential, switchCredential } from '../../connections/rotation.js';
import { credentialInventory } from '../../connections/inventory.js';
import { supportBundle } from '../../diagnostics/bundle.js';
import { listIncidentViews } from '../../diagnostics/incidents.js';
import { listChannelViews } from '../../notify/channels.js';
import { sendTestAlert } from '../../notify/outbox.js';
import { packageVersion } from '../../runtime/paths.js';
import { DEFAULT_TENANT } from '../../api/route.js';
import { cliFix, AppError } from '../../errors/index.js';
import { table } from '../table.js';
import { resolveConnection, resolveOne } from '../resolve.js';

/**
 * `syncwarden connections list|show|test|create|edit|write-back|rotate|delete|bundle`,
 * `credentials list`, `incidents list`, `alerts test`. Secrets never go on the command line
 * (shell history, the process list): they come from files or environment variables named by an
 * option.
 */
interface CredentialFlags {
  method?: string;
  pfx?: string;
  pfxPasswordEnv?: string;
  clientSecretEnv?: string;
  secretExpires?: string;
  keyFile?: string;
  keyCreated?: string;
  maxAgeDays?: string;
  tokenEnv?: string;
  accessKeyId?: string;
  secretAccessKeyEnv?: string;
  roleArn?: string;
  externalId?: string;
}

interface ScopeFlags {
  includeGuests?: boolean;
  includeExternal?: boolean;
  includeDisabled?: boolean;
}

function credentialOptions(cmd: Command): Command {
  return cmd
    .option('--method <type>', 'certificate | client_secret | impersonation | service_account_key | access_key | assume_role | bearer_token')
    .option('--pfx <file>', 'PFX (PKCS#12) file of the certificate')
    .option('--pfx-password-env <VAR>', 'environment variable holding the PFX password')
    .option('--client-secret-env <VAR>', 'environment variable holding the client secret value')
    .option('--secret-expires <date>', 'the client secret\'s or token\'s expiry date (YYYY-MM-DD)')
    .option('--key-file <file>', 'service-account key JSON file')
    .option('--key-created <date>', 'when the Google or AWS key was created (YYYY-MM-DD); learnt from the provider on test otherwise')
    .option('--max-age-days <n>', 'rotation policy for the Google or AWS key, in days (default 90)')
    .option('--token-env <VAR>', 'environment variable holding the SCIM bearer token')
    .option('--access-key-id <id>', 'AWS access key ID')
    .option('--secret-access-key-env <VAR>', 'environment variable holding the AWS secret access key')
    .option('--role-arn <arn>', 'AWS role to assume (the access key then only calls sts:AssumeRole)')
    .option('--external-id <id>', 'external ID of the role\'s trust policy');
}

function scopeOptions(cmd: Command): Command {
  return cmd
    .option('--include-guests', 'directory: read guests too (left out by default)')
    .option('--include-external', 'directory: read external identities too (left out by default)')
    .option('--include-disabled', 'directory: read disabled accounts too (left out by default)');
}

/** The scope switches given, or undefined (an edit then keeps the stored ones). */
function scopeFrom(f: ScopeFlags): Record<string, boolean> | undefined {
  const out: Record<string, boolean> = {};
  if (f.includeGuests) out['includeGuests'] = true;
  if (f.includeExternal) out['includeExternal'] = true;
  if (f.includeDisabled) out['includeDisabled'] = true;
  return Object.keys(out).length ? out : undefined;
}

function fromEnv(env: NodeJS.ProcessEnv, name: string | undefined, what: string): string | undefined {
  if (!name) return undefined;
  const v = env[name];
  if (v === undefined) throw new AppError('request.invalid', { detail: `the environment variable ${name} (${what}) is not set` });
  return v;
}

/** A credential input from the flags, or undefined when none was given. */
function credentialFrom(f: CredentialFlags, env: NodeJS.ProcessEnv): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  if (f.pfx) {
    out['type'] = 'certificate';
    out['pfxBase64'] = readFileSync(f.pfx).toString('base64');
    out['pfxPassword'] = fromEnv(env, f.pfxPasswordEnv, 'PFX password') ?? '';
  }
  if (f.clientSecretEnv) {
    out['type'] = 'client_secret';
    out['clientSecret'] = fromEnv(env, f.clientSecretEnv, 'client secret');
  }
  if (f.keyFile) {
    out['type'] = 'service_account_key';
    out['keyJson'] = readFileSync(f.keyFile, 'utf8');
  }
  if (f.tokenEnv) {
    out['type'] = 'bearer_token';
    out['token'] = fromEnv(env, f.tokenEnv, 'bearer token');
  }
  // AWS: each part on its own, so an edit can change the role ARN or external id alone.
  if (f.secretAccessKeyEnv) {
    out['type'] = f.roleArn ? 'assume_role' : 'access_key';
    out['secretAccessKey'] = fromEnv(env, f.secretAccessKeyEnv, 'secret access key');
  }
  if (f.accessKeyId) out['accessKeyId'] = f.accessKeyId;
  if (f.roleArn) out['roleArn'] = f.roleArn;
  if (f.externalId) out['externalId'] = f.externalId;
  if (f.keyCreated) out['createdAt'] = f.keyCreated;
  if (f.maxAgeDays) out['maxAgeDays'] = Number(f.maxAgeDays);
  if (f.secretExpires) out['expiresAt'] = f.secretExpires;
  if (f.method) out['type'] = f.method;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** `--set key=value` pairs into a config object (endpoints.login=… nests). */
function settings(pairs: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i < 1) throw new AppError('request.invalid', { detail: `--set ${p}: use key=value` });
    const path = p.slice(0, i).split('.');
    let node = out;
    for (const k of path.slice(0, -1)) node = (node[k] ??= {}) as Record<string, unknown>;
    const value = p.slice(i + 1);
    // The scope switches are booleans: scope.includeGuests=false.
    node[path.at(-1)!] = path[0] === 'scope' && (value === 'true' || value === 'false') ? value === 'true' : value;
  }
  return out;
}

const collect = (v: string, prev: string[]) => [...prev, v];

function expiryText(c: ConnectionView): string {
  if (!c.credential || c.daysLeft === null) return '';
  const noun = c.credential.expiry.basis === 'age_policy' ? 'rotation due' : 'expires';
  return c.daysLeft < 0 ? `${noun} ${-c.daysLeft} days ago` : `${noun} in ${c.daysLeft} days`;
}

function scopeText(c: ConnectionView): string {
  const s = c.scope!;
  const out = [!s.includeGuests && 'guests', !s.includeExternal && 'external identities', !s.includeDisabled && 'disabled accounts'].filter(Boolean);
  const counted = c.scopeExcluded ? ` (last full read left out ${c.scopeExcluded.guests} guests, ${c.scopeExcluded.external} external, ${c.scopeExcluded.disabled} disabled)` : '';
  return out.length ? `members only; ${out.join(', ')} left out${counted}` : 'every account';
}

function printFindings(cli: CliContext, findings: FindingView[]): void {
  cli.out(table(['check', 'status', 'code', 'detail'], findings.map((f) => [f.label, f.status, f.error?.code ?? '', f.error?.message ?? f.detail ?? ''])));
  for (const f of findings.filter((x) => x.error && x.status !== 'pass')) cli.out(`\n${f.error!.code}: ${f.error!.title}\n  Cause: ${f.error!.message}\n  Fix: ${cliFix(f.error!)}`);
}

function readBody(file: string | undefined): Record<string, unknown> {
  if (!file) return {};
  const text = file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
  return JSON.parse(text) as Record<string, unknown>;
}

/**
 * On the data folder (rt) or, with SYNCWARDEN_URL + SYNCWARDEN_TOKEN, through that server's
 * API (rt null): the token's tenant, names resolved among its connections only.
 */
async function withConnections(cli: CliContext, fn: (rt: Runtime | null) => Promise<void>): Promise<void> {
  if (cli.remote) return fn(null);
  return cli.withRuntime(async ({ rt }) => fn(rt));
}

async function remoteConnections(cli: CliContext): Promise<Awaited<ReturnType<typeof listConnectionViews>>> {
  const r = await cli.callApi<Awaited<ReturnType<typeof listConnectionViews>> | { connections: Awaited<ReturnType<typeof listConnectionViews>> }>('GET', '/connections');
  return Array.isArray(r) ? r : r.connections;
}

async function remoteConnectionId(cli: CliContext, key: string): Promise<string> {
  return resolveOne('connection', key, (await remoteConnections(cli)).map((c) => ({ id: c.id, name: c.name }))).id;
}

export function registerConnectionCommands(program: Command, cli: CliContext): void {
  const connections = program.command('connections').description('connections: list, show, test, create, edit, rotate, delete, support bundle');

  connections
    .command('list')
    .option('--json', 'JSON output')
    .action(async (o: { json?: boolean }) => {
      await withConnections(cli, async (rt) => {
        const list = rt ? await listConnectionViews(rt, DEFAULT_TENANT, { baseUrl: cli.serverUrl() }) : await remoteConnections(cli);
        if (o.json) return cli.out(JSON.stringify(list, null, 2));
        if (list.length === 0) return cli.out('No connections yet. Run `npm start` for the demo tenant, or add one in the UI.');
        cli.out(
          table(
            ['id', 'name', 'kind', 'role', 'status', 'credential', 'expiry', 'last tested', 'error'],
            list.map((c) => [c.id, c.name, c.kind, c.role, c.status, c.credential?.type ?? '', expiryText(c), c.lastTestedAt ?? 'never', c.incident ? `${c.lastError?.code ?? ''} (incident)` : (c.lastError?.code ?? '')]),
          ),
        );
      });
    });

  connections
    .command('show <connection>')
    .option('--json', 'JSON output')
    .action(async (key: string, o: { json?: boolean }) => {
      await withConnections(cli, async (rt) => {
        const id = rt ? await resolveConnection(rt, DEFAULT_TENANT, key) : await remoteConnectionId(cli, key);
        const c = rt ? await getConnectionView(rt, DEFAULT_TENANT, id, { baseUrl: cli.serverUrl() }) : await cli.callApi<Awaited<ReturnType<typeof getConnectionView>>>('GET', `/connections/${encodeURIComponent(id)}`);
        if (o.json) return cli.out(JSON.stringify(c, null, 2));
        cli.out(`${c.name} — ${c.kindName}, ${c.role.replace(/_/g, ' ')}, ${c.status}${c.incident ? `, incident since ${c.incident.since}` : ''}`);
        for (const s of c.summary) cli.out(`  ${s.label}: ${s.value}`);
        cli.out(`  Write-back: ${c.writeBack.enabled ? `consented by ${c.writeBack.consentedBy} at ${c.writeBack.consentedAt}` : c.writeBack.available ? `off (read-only); turning it on adds ${c.writeBack.permissions.join(', ')}` : 'off (read-only)'}`);
        cli.out(`  Permissions: ${c.permissions.read.join(', ')}${c.writeBack.enabled ? `; write-back: ${c.permissions.writeBack.join(', ')}` : ''}`);
        if (c.scope) cli.out(`  Scope: ${scopeText(c)}`);
        if (c.adminConsentUrl) cli.out(`  Admin consent: ${c.adminConsentUrl}`);
        cli.out('');
        cli.out(table(['credential', 'state', 'method', 'what', 'expires', 'days left', 'last test'], (c.credentials ?? []).map((x) => [x.id, x.state, x.type, x.expiry.what, x.expiresAt?.slice(0, 10) ?? '', x.daysLeft ?? '', x.lastTestOk === null ? '' : x.lastTestOk ? 'passed' : 'failed'])));
        if (c.lastError) cli.out(`\n${c.lastError.code}: ${c.lastError.title}\n  Cause: ${c.lastError.message}\n  Fix: ${cliFix(c.lastError)}`);
        if (c.findings) {
          cli.out(`\nLast test (${c.lastTestedAt}):`);
          printFindings(cli, c.findings);
        }
      });
    });

  connections
    .command('test <connection>')
    .option('--json', 'JSON output')
    .action(async (key: string, o: { json?: boolean }) => {
      await withConnections(cli, async (rt) => {
        const id = rt ? await resolveConnection(rt, DEFAULT_TENANT, key) : await remoteConnectionId(cli, key);
        const result = rt ? await testConnection(rt, DEFAULT_TENANT, id, 'cli') : await cli.callApi<Awaited<ReturnType<typeof testConnection>>>('POST', `/connections/${encodeURIComponent(id)}/test`);
        // The exit code means the same with and without --json: scripts branch on it.
        cli.setExitCode(result.ok ? 0 : 1);
        if (o.json) return cli.out(JSON.stringify(result, null, 2));
        cli.out(result.ok ? 'Connection test successful' : 'Connection test failed');
        printFindings(cli, result.findings);
        if (result.incident?.opened) cli.out(`\nIncident opened: ${result.incident.id}`);
        if (result.resolvedIncident) cli.out(`\nIncident ${result.resolvedIncident} resolved; ${result.requeuedUsers} blocked user(s) queued now`);
      });
    });

  scopeOptions(credentialOptions(
    connections
      .command('create')
      .description('create a connection from --file (the API body) and/or options, then test it (read-only: write-back is its own consent, `connections write-back`)')
      .option('--file <file>', 'JSON body as for POST /api/v1/connections ("-" = stdin)')
      .option('--kind <kind>', 'microsoft365 | google_workspace | aws_iam | scim')
      .option('--name <name>', 'connection name')
      .option('--role <role>', 'continuity_source | continuity_destination | directory (aws_iam and scim: directory)')
      .option('--set <key=value>', 'a setting, e.g. tenantId=…, endpoints.login=…, baseUrl=…, accountId=… (repeatable)', collect, []),
  ))
    .option('--json', 'JSON output')
    .action(async (o: CredentialFlags & ScopeFlags & { file?: string; kind?: string; name?: string; role?: string; set: string[]; json?: boolean }) => {
      await cli.withRuntime(async ({ rt }) => {
        const body = readBody(o.file);
        if (o.kind) body['kind'] = o.kind;
        if (o.name) body['name'] = o.name;
        if (o.role) body['role'] = o.role;
        const scope = scopeFrom(o);
        body['config'] = { ...((body['config'] as Record<string, unknown>) ?? {}), ...settings(o.set), ...(scope ? { scope } : {}) };
        body['credential'] = { ...((body['credential'] as Record<string, unknown>) ?? {}), ...(credentialFrom(o, cli.env) ?? {}) };
        const created = await createConnection(rt, DEFAULT_TENANT, body, 'cli');
        const test = await testConnection(rt, DEFAULT_TENANT, created.id, 'cli', 'save');
        cli.setExitCode(test.ok ? 0 : 1);
        if (o.json) return cli.out(JSON.stringify(test, null, 2));
        cli.out(`Created ${created.id} (${created.name})`);
        cli.out(test.ok ? 'Connection test successful' : 'Connection test failed');
        printFindings(cli, test.findings);
      });
    });

  scopeOptions(credentialOptions(
    connections
      .command('edit <connection>')
      .description('rename, change settings or scope, or replace the credential in use (the old one is kept as previous; parts not given are kept)')
      .option('--name <name>', 'new name')
      .option('--set <key=value>', 'a setting to change (repeatable); scope.includeGuests=false turns a switch off', collect, []),
  ))
    .option('--json', 'JSON output')
    .action(async (key: string, o: CredentialFlags & ScopeFlags & { name?: string; set: string[]; json?: boolean }) => {
      await cli.withRuntime(async ({ rt }) => {
        const id = await resolveConnection(rt, DEFAULT_TENANT, key);
        const credential = credentialFrom(o, cli.env);
        const config = settings(o.set);
        const scope = scopeFrom(o);
        if (scope) config['scope'] = { ...((config['scope'] as Record<string, unknown>) ?? {}), ...scope };
        const edited = await editConnection(rt, DEFAULT_TENANT, id, { ...(o.name ? { name: o.name } : {}), ...(Object.keys(config).length ? { config } : {}), ...(credential ? { credential } : {}) }, 'cli');
        if (o.json) return cli.out(JSON.stringify(edited, null, 2));
        cli.out(`Edited ${edited.name}; status ${edited.status}. Use \`syncwarden connections test ${id}\`.`);
      });
    });

  connections
    .command('write-back <connection> <on|off>')
    .description('consent to write-back on a directory connection (revocations are written to the provider), or turn it off; audited')
    .option('--json', 'JSON output')
    .action(async (key: string, state: string, o: { json?: boolean }) => {
      if (state !== 'on' && state !== 'off') throw new AppError('request.invalid', { detail: 'write-back: on or off' });
      await cli.withRuntime(async ({ rt }) => {
        const id = await resolveConnection(rt, DEFAULT_TENANT, key);
        const c = await setWriteBack(rt, DEFAULT_TENANT, id, { enabled: state === 'on' }, 'cli', { baseUrl: cli.serverUrl() });
        if (o.json) return cli.out(JSON.stringify(c, null, 2));
        if (!c.writeBack.enabled) return cli.out(`Write-back is off on "${c.name}": read-only.`);
        cli.out(`Write-back consented on "${c.name}". It needs, in addition: ${c.writeBack.permissions.join(', ')}.`);
        if (c.writeBack.howTo) cli.out(c.writeBack.howTo);
        if (c.writeBack.adminConsentUrl) cli.out(`Admin consent: ${c.writeBack.adminConsentUrl}`);
        cli.out(`Then run \`syncwarden connections test ${id}\`.`);
      });
    });

  credentialOptions(
    connections
      .command('rotate <connection>')
      .description('rotate with overlap: add the new credential, test it alone, switch, optionally retire the old one')
      .option('--no-switch', 'only add and test the new credential')
      .option('--retire-old', 'retire the old credential after switching')
      .option('--force', 'switch even if the new credential failed its test'),
  )
    .option('--json', 'JSON output')
    .action(async (key: string, o: CredentialFlags & { switch: boolean; retireOld?: boolean; force?: boolean; json?: boolean }) => {
      await cli.withRuntime(async ({ rt }) => {
        const id = await resolveConnection(rt, DEFAULT_TENANT, key);
        const credential = credentialFrom(o, cli.env);
        if (!credential) throw new AppError('request.invalid', { detail: 'give the new credential: --pfx, --client-secret-env, --key-file, --token-env, --access-key-id with --secret-access-key-env, or --method impersonation' });
        const added = await addCredential(rt, DEFAULT_TENANT, id, credential, 'cli');
        const out: Record<string, unknown> = { added };
        if (!o.json) {
          cli.out(`Added ${added.credential.id} (${added.credential.label}); tested on its own: ${added.test.ok ? 'passed' : 'failed'}`);
          printFindings(cli, added.test.findings);
        }
        if (o.switch && (added.test.ok || o.force)) {
          const switched = await switchCredential(rt, DEFAULT_TENANT, id, added.credential.id, { force: !!o.force, retirePrevious: !!o.retireOld }, 'cli');
          out['switched'] = switched;
          if (!o.json) {
            cli.out(`\nSwitched: "${switched.connection.name}" now signs in with ${added.credential.label}; connection test ${switched.test.ok ? 'successful' : 'failed'}.`);
            if (switched.resolvedIncident) cli.out(`Incident ${switched.resolvedIncident} resolved; ${switched.requeuedUsers} blocked user(s) queued now.`);
            const previous = switched.connection.credentials.find((c) => c.state === 'previous');
            if (previous) cli.out(`The old credential ${previous.id} is kept for rollback; retire it with \`syncwarden connections retire ${id} ${previous.id}\`.`);
            else if (o.retireOld) cli.out('The old credential was retired and its secret wiped. Delete it with the provider too.');
          }
          cli.setExitCode(switched.test.ok ? 0 : 1);
        } else {
          if (!o.json && o.switch) cli.out('\nNot switched: the new credential failed its test (use --force to switch anyway).');
          cli.setExitCode(added.test.ok ? 0 : 1);
        }
        if (o.json) cli.out(JSON.stringify(out, null, 2));
      });
    });

  connections
    .command('retire <connection> <credentialId>')
    .description('retire a previous credential (its secret is wiped)')
    .option('--json', 'JSON output')
    .action(async (key: string, credentialId: string, o: { json?: boolean }) => {
      await cli.withRuntime(async ({ rt }) => {
        const id = await resolveConnection(rt, DEFAULT_TENANT, key);
        const r = await retireCredential(rt, DEFAULT_TENANT, id, credentialId, 'cli');
        cli.out(o.json ? JSON.stringify(r, null, 2) : `Retired ${r.id}; delete it with the provider too.`);
      });
    });

  connections
    .command('delete <connection>')
    .description('delete a connection: cancels its syncs, removes its credentials, its inventory and the identities left with no account')
    .option('--archive', 'keep its inventory as an archive instead of removing it')
    .option('--json', 'JSON output')
    .action(async (key: string, o: { json?: boolean; archive?: boolean }) => {
      await withConnections(cli, async (rt) => {
        const id = rt ? await resolveConnection(rt, DEFAULT_TENANT, key) : await remoteConnectionId(cli, key);
        if (rt) await removeConnection(rt, DEFAULT_TENANT, id, 'cli', { archive: o.archive === true });
        else await cli.callApi('DELETE', `/connections/${encodeURIComponent(id)}${o.archive ? '?archive=true' : ''}`);
        cli.out(o.json ? JSON.stringify({ deleted: id }) : `Deleted ${id}`);
      });
    });

  connections
    .command('bundle <connection>')
    .description('write the support bundle (JSON, no secrets) to a file, or "-" for stdout')
    .option('--out <file>', 'where to write it (default: the suggested file name here)')
    .option('--json', 'print the bundle to stdout')
    .action(async (key: string, o: { out?: string; json?: boolean }) => {
      await cli.withRuntime(async ({ rt }) => {
        const id = await resolveConnection(rt, DEFAULT_TENANT, key);
        const b = await supportBundle(rt, DEFAULT_TENANT, id, { version: packageVersion() });
        if (o.json || o.out === '-') return cli.out(b.json);
        const file = o.out ?? b.filename;
        writeFileSync(file, b.json + '\n', { mode: 0o600 });
        cli.out(`Support bundle written to ${file} (no secrets inside)`);
      });
    });

  program
    .command('credentials')
    .description('the credential expiry inventory')
    .command('list')
    .option('--status <s>', 'expired | expiring | ok | unknown')
    .option('--within <days>', 'only credentials expiring within this many days')
    .option('--json', 'JSON output')
    .action(async (o: { status?: 'expired' | 'expiring' | 'ok' | 'unknown'; within?: string; json?: boolean }) => {
      await cli.withRuntime(async ({ rt }) => {
        const list = await credentialInventory(rt, DEFAULT_TENANT, { ...(o.status ? { status: o.status } : {}), ...(o.within ? { within: Number(o.within) } : {}) });
        if (o.json) return cli.out(JSON.stringify(list, null, 2));
        if (list.length === 0) return cli.out('No credentials match.');
        cli.out(table(['connection', 'credential', 'state', 'expires', 'days left', 'status', 'basis'], list.map((c) => [c.connectionName, c.expiry.what, c.state, c.expiresAt?.slice(0, 10) ?? '', c.daysLeft ?? '', c.status, c.expiry.basis])));
      });
    });

  program
    .command('incidents')
    .description('connection incidents')
    .command('list')
    .option('--state <s>', 'open | resolved')
    .option('--json', 'JSON output')
    .action(async (o: { state?: 'open' | 'resolved'; json?: boolean }) => {
      await cli.withRuntime(async ({ rt }) => {
        const list = await listIncidentViews(rt, DEFAULT_TENANT, { state: o.state });
        if (o.json) return cli.out(JSON.stringify(list, null, 2));
        if (list.length === 0) return cli.out(o.state === 'open' ? 'No open incidents.' : 'No incidents.');
        cli.out(table(['incident', 'connection', 'state', 'since', 'resolved', 'users blocked', 'error'], list.map((i) => [i.id, i.connectionName, i.state, i.since, i.resolvedAt ?? '', i.affectedUsers, i.error?.code ?? ''])));
        for (const i of list.filter((x) => x.state === 'open' && x.error)) cli.out(`\n${i.connectionName}: ${i.error!.title}\n  Cause: ${i.error!.message}\n  Fix: ${cliFix(i.error!)}`);
      });
    });

  program
    .command('alerts')
    .description('alert channels')
    .command('test [channelId]')
    .description('send a test alert to one channel, or to every channel')
    .option('--json', 'JSON output')
    .action(async (channelId: string | undefined, o: { json?: boolean }) => {
      await cli.withRuntime(async ({ rt }) => {
        const all = await listChannelViews(rt, DEFAULT_TENANT);
        if (all.length === 0) throw new AppError('alerts.no_channel', { detail: 'none is set up yet' });
        const channels = channelId ? [resolveOne('alert channel', channelId, all)] : all;
        const results = [];
        for (const c of channels) results.push({ channel: c.id, name: c.name, type: c.type, ...(await sendTestAlert(rt, DEFAULT_TENANT, c.id, 'cli')) });
        if (o.json) cli.out(JSON.stringify(results, null, 2));
        else cli.out(table(['channel', 'type', 'result'], results.map((r) => [r.name, r.type, r.ok ? 'sent' : `failed: ${r.error?.message ?? ''}`])));
        cli.setExitCode(results.every((r) => r.ok) ? 0 : 1);
      });
    });
}
