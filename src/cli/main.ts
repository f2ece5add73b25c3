#!/usr/bin/env node
import { existsSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { startSyncwarden, type Running, type StartOptions } from '../runtime/start.js';
import { packageVersion } from '../runtime/paths.js';
import { createLogger } from '../runtime/logger.js';
import { AppError, toAppError, renderError } from '../errors/index.js';
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

/**
 * The `syncwarden` command. Settings come from the environment (12-factor): PORT (8080),
 * SYNCWARDEN_DATA (./data; one-shot commands find a running server's folder, see findDataDir), DATABASE_URL (PostgreSQL; embedded SQLite when unset),
 * SYNCWARDEN_SANDBOX_PORT (8090, first of nine), SYNCWARDEN_MASTER_KEY or SYNCWARDEN_MASTER_KEY_FILE
 * (the master keyring), SYNCWARDEN_AUDIT_ANCHOR_FILE, HOST (127.0.0.1).
 * Each area registers its own command group from commands/.
 */
export function buildProgram(
  env: NodeJS.ProcessEnv,
  out: (line: string) => void = (l) => console.log(l),
  setExitCode: (code: number) => void = (code) => {
    process.exitCode = code;
  },
): Command {
  const dataDir = env['SYNCWARDEN_DATA'] ?? './data';
  const databaseUrl = env['DATABASE_URL'] || undefined;
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
    out,
    setExitCode,
    serverUrl(): string {
      return (usedDataDir && serverOf(usedDataDir)?.url) || `http://localhost:${port}`;
    },
    async withRuntime<T>(fn: (running: Running) => Promise<T>, opts: Partial<StartOptions> = {}): Promise<T> {
      usedDataDir ??= findDataDir(env, databaseUrl);
      const running = await startSyncwarden({ dataDir: usedDataDir, databaseUrl, env, log: createLogger(env['LOG_LEVEL'] ?? 'warn'), ...opts });
      try {
        return await fn(running);
      } finally {
        await running.stop();
      }
    },
    keepRunning(running: Running): void {
      const stop = () => {
        void running.stop().finally(() => process.exit(0));
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
  return program;
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
  globalThis.console.error(formatCliError(e));
  process.exit(1);
});
