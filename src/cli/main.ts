#!/usr/bin/env node
import { existsSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { startSyncwarden, type Running, type StartOptions } from '../runtime/start.js';
import { packageVersion } from '../runtime/paths.js';
import { createLogger } from '../runtime/logger.js';
import { AppError, toAppError, renderError } from '../errors/index.js';
import { escapeTerminal } from '../model/text.js';
import { runningServers, serverOf } from '../runtime/server-registry.js';
import type { CliContext } from './context.js';
import { registerProcessCommands } from './commands/processes.js';
import { registerSandboxCommands } from './commands/sandbox.js';
import { registerConnectionCommands } from './commands/connections.js';
import { registerContinuityCommands } from './commands/continuity.js';
import { registerDirectoryCommands } from './commands/directory.js';
import { registerFailoverCommands, registerSandboxMailCommands } from './commands/failover.js';
import { registerKeyCommands } from './commands/keys.js';
import { registerAuditCommands } from './commands/audit.js';
import { registerUserCommands } from './commands/users.js';
import { registerTenantCommands } from './commands/tenants.js';
import { registerCampaignCommands } from './commands/campaigns.js';
import { registerOwnerCommands } from './commands/owners.js';
import { registerReviewCommands } from './commands/reviews.js';
import { callRemote, RemoteError } from './remote.js';
import { runActing } from '../auth/context.js';
import { userInfo } from 'node:os';

/**
 * The `syncwarden` command. Settings come from the environment (12-factor): PORT (8080),
 * SYNCWARDEN_DATA (./data; one-shot commands find a running server's folder, see findDataDir), DATABASE_URL (PostgreSQL; embedded SQLite when unset),
 * SYNCWARDEN_SANDBOX_PORT (8090, first of nine), SYNCWARDEN_MASTER_KEY or SYNCWARDEN_MASTER_KEY_FILE
 * (the master keyring), SYNCWARDEN_AUDIT_ANCHOR_FILE, HOST (127.0.0.1); SYNCWARDEN_URL and
 * SYNCWARDEN_TOKEN point it at a remote server's API instead (cli/remote.ts).
 *
 * On the data folder the CLI acts as the installation's local operator: whoever can run it
 * there can read the database and the keyring anyway, so it signs in as nobody and its audit
 * entries name `cli:<os user>`.
 * Each area registers its own command group from commands/.
 */
/** How long a SIGTERM may take before the process exits anyway (the issue's bound: 10 s). */
export const SHUTDOWN_MS = 9_000;

export function buildProgram(
  env: NodeJS.ProcessEnv,
  out: (line: string) => void = (l) => console.log(l),
  setExitCode: (code: number) => void = (code) => {
    process.exitCode = code;
  },
): Command {
  const dataDir = env['SYNCWARDEN_DATA'] ?? './data';
  const databaseUrl = env['DATABASE_URL'] || undefined;
  const remote = env['SYNCWARDEN_URL'] ? { url: env['SYNCWARDEN_URL'], token: env['SYNCWARDEN_TOKEN'] ?? '' } : null;
  const localActor = { actor: `cli:${osUser()}`, address: 'local', userAgent: `syncwarden-cli/${packageVersion()}` };
  const port = Number(env['PORT'] ?? 8080);
  // The data folder a one-shot command works on, found once per command (see findDataDir).
  let usedDataDir: string | undefined;
  const cli: CliContext = {
    env,
    dataDir,
    databaseUrl,
    port,
    host: env['HOST'] ?? '127.0.0.1',
    sandboxPort: Number(env['SYNCWARDEN_SANDBOX_PORT'] ?? 8090),
    remote,
    // Every line goes through one escape: names, provider text and messages may hold terminal
    // control sequences (ESC [ …), which would otherwise move the cursor or rewrite the screen.
    out: (line: string) => out(escapeTerminal(line)),
    setExitCode,
    async callApi<T>(method: string, path: string, body?: unknown): Promise<T> {
      if (!remote) throw new Error('callApi without SYNCWARDEN_URL');
      return callRemote<T>(remote, method, path, body);
    },
    serverUrl(): string {
      return (usedDataDir && serverOf(usedDataDir)?.url) || `http://localhost:${port}`;
    },
    async withRuntime<T>(fn: (running: Running) => Promise<T>, opts: Partial<StartOptions> = {}): Promise<T> {
      if (remote) throw new AppError('cli.local_only', { command: process.argv.slice(2, 4).join(' ') || 'this command', url: remote.url });
      usedDataDir ??= findDataDir(env, databaseUrl);
      const running = await startSyncwarden({ dataDir: usedDataDir, databaseUrl, env, log: createLogger(env['LOG_LEVEL'] ?? 'warn'), ...opts });
      try {
        // Everything the command records in the audit log names the local operator.
        return await runActing(localActor, () => fn(running));
      } finally {
        await running.stop();
      }
    },
    keepRunning(running: Running): void {
      let stopping = false;
      const stop = (signal: NodeJS.Signals) => {
        if (stopping) return;
        stopping = true;
        // Graceful: stop claiming, let running jobs finish their page and hand their leases
        // back (worker.stop), close the API; an orchestrator's grace period is typically 30 s,
        // so after SHUTDOWN_MS we exit anyway and the leases expire on their own.
        running.rt.log.info({ signal }, 'stopping: finishing the current pages and releasing job leases');
        const force = setTimeout(() => {
          running.rt.log.warn({ afterMs: SHUTDOWN_MS }, 'did not stop in time; exiting (unfinished leases expire by themselves)');
          process.exit(1);
        }, SHUTDOWN_MS);
        force.unref();
        running.stop().then(
          () => process.exit(0),
          (e: unknown) => {
            running.rt.log.error({ err: e }, 'error while stopping');
            process.exit(1);
          },
        );
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
  };

  const program = new Command('syncwarden').version(packageVersion()).description('Microsoft 365 → Google Workspace continuity, and identity certification, that diagnose themselves')
    // Subcommands reuse option names such as --json; positional options keep them apart.
    .enablePositionalOptions();
  registerProcessCommands(program, cli);
  registerSandboxCommands(program, cli);
  registerConnectionCommands(program, cli);
  registerContinuityCommands(program, cli);
  registerDirectoryCommands(program, cli);
  registerFailoverCommands(program, cli);
  registerSandboxMailCommands(program, cli);
  registerKeyCommands(program, cli);
  registerAuditCommands(program, cli);
  registerUserCommands(program, cli);
  registerTenantCommands(program, cli);
  registerCampaignCommands(program, cli);
  registerOwnerCommands(program, cli);
  registerReviewCommands(program, cli);
  return program;
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/**
 * The data folder of a one-shot command. SYNCWARDEN_DATA when set; else ./data when it holds a
 * database (or the database is PostgreSQL); else the data folder of the one Syncwarden server
 * running on this machine. Never a fresh ./data: a new master key and an empty database would
 * answer "No connections yet" about an installation that has them.
 */
export function findDataDir(env: NodeJS.ProcessEnv, databaseUrl: string | undefined): string {
  if (env['SYNCWARDEN_DATA']) return env['SYNCWARDEN_DATA'];
  const local = resolve('data');
  if (databaseUrl || existsSync(join(local, 'syncwarden.db'))) return local;
  const servers = runningServers(env);
  if (servers.length === 1) {
    process.stderr.write(`Using the data folder of the Syncwarden server running at ${servers[0]!.url}: ${servers[0]!.dataDir}\n`);
    return servers[0]!.dataDir;
  }
  throw new AppError('cli.data_not_found', {
    looked: local,
    servers: servers.length ? `; ${servers.length} Syncwarden servers are running (${servers.map((s) => `${s.url} on ${s.dataDir}`).join(', ')}), so it would be a guess` : ' and no Syncwarden server is running on this machine',
  });
}

/** Runs the CLI; errors print as catalogue errors with their fix. */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  await buildProgram(env).parseAsync(argv);
}

/** A failure as the command prints it: code, title, cause and the fix in the terminal's words. */
export function formatCliError(e: unknown): string {
  const err = toAppError(e);
  const r = renderError(err.code, err.params, 'cli');
  return `${r.code}: ${r.title}\n${r.message}\nFix: ${r.resolution}`;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
if (invokedDirectly) runCli(process.argv).catch((e: unknown) => {
  const err = toAppError(e);
  const text = err instanceof RemoteError ? `${err.code}: ${err.rendered.title}\n${err.rendered.message}\nFix: ${err.rendered.resolution}` : formatCliError(err);
  globalThis.console.error(escapeTerminal(text));
  process.exit(1);
});
