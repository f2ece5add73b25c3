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

type JobsDb = { selectFrom: (t: 'jobs') => any; updateTable: (t: 'jobs') => any }; // eslint-disable-line @typescript-eslint/no-explicit-any

async function runningJobs(db: JobsDb): Promise<number> {
  const r = await db.selectFrom('jobs').select((eb: any) => eb.fn.countAll().as('n')).where('status', '=', 'running').executeTakeFirstOrThrow(); // eslint-disable-line @typescript-eslint/no-explicit-any
  return Number(r.n);
}

/**
 * When crash trials kill their worker. Kill moments are drawn from a window that adapts to how
 * long a trial's work lasts on this machine right now: a kill that came after the work finished
 * proves nothing, so the window shrinks below it; one that landed mid-work lets it grow back
 * (never past `maxMs`).
 */
export class KillWindow {
  private max: number;
  constructor(private readonly minMs: number, private readonly maxMs: number) {
    this.max = maxMs;
  }

  draw(rand: () => number): number {
    return this.minMs + Math.floor(rand() * Math.max(1, this.max - this.minMs));
  }

  record(delayMs: number, midWork: boolean): void {
    this.max = midWork ? Math.min(this.maxMs, Math.floor(this.max * 1.1)) : Math.max(this.minMs + 20, Math.floor(delayMs * 0.75));
  }
}

/**
 * Waits a moment drawn from `window`, then SIGKILLs the worker and expires its leases so the next
 * worker re-claims its jobs at once. `midWork` says whether a job was running at the kill. A worker
 * found between two jobs (claiming the next, a retry coming due, the next stage being queued) is
 * still mid-round, so the kill waits up to `graceMs` for it to pick work up again: on a loaded
 * machine those gaps otherwise catch a good share of the kills, and a kill in a gap proves nothing.
 */
export async function killDuringWork(db: JobsDb, w: WorkerProcess, window: KillWindow, rand: () => number, graceMs = 1_500): Promise<{ killAfterMs: number; midWork: boolean }> {
  const delay = window.draw(rand);
  await new Promise((r) => setTimeout(r, delay));
  let midWork = (await runningJobs(db)) > 0;
  const until = Date.now() + graceMs;
  while (!midWork && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 20));
    midWork = (await runningJobs(db)) > 0;
  }
  window.record(delay, midWork);
  w.child.kill('SIGKILL');
  await w.exited;
  await expireLeases(db);
  return { killAfterMs: delay, midWork };
}
