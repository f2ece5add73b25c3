import type { Running, StartOptions } from '../runtime/start.js';

/** What every command group gets: settings from the environment and the output helpers. */
export interface CliContext {
  readonly env: NodeJS.ProcessEnv;
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly port: number;
  readonly host: string;
  readonly sandboxPort: number;
  /**
   * SYNCWARDEN_URL + SYNCWARDEN_TOKEN: the CLI talks to that server's API with an API token
   * instead of opening the data folder (only commands that offer it; others refuse).
   */
  readonly remote: { readonly url: string; readonly token: string } | null;
  /** A call to the remote server's API (cli/remote.ts); throws its catalogue error. */
  callApi<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  out(line: string): void;
  setExitCode(code: number): void;
  /** The URL of the server serving the data in use (its real port), for links such as the admin-consent redirect. */
  serverUrl(): string;
  /** Opens the store (and what opts ask for) for a one-shot command, and closes it after. */
  withRuntime<T>(fn: (running: Running) => Promise<T>, opts?: Partial<StartOptions>): Promise<T>;
  /** Keeps a long-running process alive until SIGINT/SIGTERM, then stops it cleanly. */
  keepRunning(running: Running): void;
}
