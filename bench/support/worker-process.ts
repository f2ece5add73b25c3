import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../../src/runtime/paths.js';

export const CLI = (): string => join(packageRoot(), 'dist', 'src', 'cli', 'main.js');

export interface WorkerProcess {
  readonly child: ChildProcess;
  /** Resolves once the worker said it started; rejects if it exited first. */
  readonly ready: Promise<void>;
  readonly exited: Promise<void>;
  /** The worker's id (its jobs' lease owner), once it said it started. */
  id(): string | undefined;
}

/**
 * A real `syncwarden worker` child process against a store (the crash trials kill it with
 * SIGKILL). SQLite when `databaseUrl` is undefined: the child opens the same data directory.
 */
export function startWorkerProcess(store: { dataDir: string; databaseUrl: string | undefined }, concurrency: number, onStderr: (text: string) => void = () => undefined): WorkerProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, SYNCWARDEN_DATA: store.dataDir, LOG_LEVEL: 'error' };
  if (store.databaseUrl) env['DATABASE_URL'] = store.databaseUrl;
  else delete env['DATABASE_URL'];
  const child = spawn(process.execPath, [CLI(), 'worker', '-c', String(concurrency)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let id: string | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /worker (\S+) started/.exec(out);
      if (m) {
        id = m[1];
        resolve();
      }
    });
    child.once('exit', (code, signal) => reject(new Error(`worker exited before it was ready (${code ?? signal}): ${out}`)));
  });
  child.stderr!.on('data', (d: Buffer) => onStderr(d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  ready.catch(() => undefined);
  return { child, ready, exited, id: () => id };
}

/** A killed worker keeps its lease until it expires (30 s by default); expire it now so the next worker re-claims the job at once. */
export async function expireLeases(db: { updateTable: (t: 'jobs') => any }): Promise<void> { // eslint-disable-line @typescript-eslint/no-explicit-any
  await db.updateTable('jobs').set({ lease_until: '1970-01-01T00:00:00.000Z' }).where('status', '=', 'running').execute();
}
