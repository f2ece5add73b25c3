import type { Running, StartOptions } from '../runtime/start.js';

/** What every command group gets: settings from the environment and the output helpers. */
export interface CliContext {
  readonly env: NodeJS.ProcessEnv;
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly port: number;
  readonly host: string;
  readonly sandboxPort: number;
  out(line: string): void;
  setExitCode(code: number): void;
  /** The URL of the server serving the data in use (its real port), for links such as the admin-consent redirect. */
  serverUrl(): string;
  /** Opens the store (and what opts ask for) for a one-shot command, and closes it after. */
  withRuntime<T>(fn: (running: Running) => Promise<T>, opts?: Partial<StartOptions>): Promise<T>;
  /** Keeps a long-running process alive until SIGINT/SIGTERM, then stops it cleanly. */
  keepRunning(running: Running): void;
}
