#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { startSyncwarden, type Running, type StartOptions } from '../runtime/start.js';
import { packageVersion } from '../runtime/paths.js';
import { createLogger } from '../runtime/logger.js';
import { toAppError, renderError } from '../errors/index.js';
import { escapeTerminal } from '../model/text.js';
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
import { callRemote, RemoteError } from './remote.js';
import { runActing } from '../auth/context.js';
import { AppError } from '../errors/index.js';
import { userInfo } from 'node:os';

/**
 * The `syncwarden` command. Settings come from the environment (12-factor): PORT (8080),
 * SYNCWARDEN_DATA (./data), DATABASE_URL (PostgreSQL; embedded SQLite when unset),
 * SYNCWARDEN_SANDBOX_PORT (8090, first of nine), SYNCWARDEN_MASTER_KEY or SYNCWARDEN_MASTER_KEY_FILE
 * (the master keyring), SYNCWARDEN_AUDIT_ANCHOR_FILE, HOST (127.0.0.1); SYNCWARDEN_URL and
 * SYNCWARDEN_TOKEN point it at a remote server's API instead (cli/remote.ts).
 *
 * On the data folder the CLI acts as the installation's local operator: whoever can run it
 * there can read the database and the keyring anyway, so it signs in as nobody and its audit
 * entries name `cli:<os user>`.
 * Each area registers its own command group from commands/.
 */
/** How long a SIGTERM may take before the process exits anyway (the bound: 10 s). */
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
  const cli: CliContext = {
    env,
    dataDir,
    databaseUrl,
    port: Number(env['PORT'] ?? 8080),
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
    async withRuntime<T>(fn: (running: Running) => Promise<T>, opts: Partial<StartOptions> = {}): Promise<T> {
      if (remote) throw new AppError('cli.local_only', { command: process.argv.slice(2, 4).join(' ') || 'this command', url: remote.url });
      const running = await startSyncwarden({ dataDir, databaseUrl, env, log: createLogger(env['LOG_LEVEL'] ?? 'warn'), ...opts });
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
  return program;
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** Runs the CLI; errors print as catalogue errors with their fix. */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  await buildProgram(env).parseAsync(argv);
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
if (invokedDirectly) runCli(process.argv).catch((e: unknown) => {
  const err = toAppError(e);
  const r = err instanceof RemoteError ? { code: err.code, ...err.rendered } : renderError(err.code, err.params);
  globalThis.console.error(escapeTerminal(`${r.code}: ${r.title}\n${r.message}\nFix: ${r.resolution}`));
  process.exit(1);
});
