import { hostname } from 'node:os';
import type { Kysely, Selectable } from 'kysely';
import type { Database, KeyHoldersTable } from '../store/schema.js';
import { newId, nowIso } from '../model/ids.js';
import type { Keyring } from './keyring.js';

/**
 * Every running Syncwarden process says, every few seconds, which master keys it holds. A
 * rotation re-encrypts only once every live process can open the new key (else those processes
 * would lose their credentials mid-flight), and `keys status` shows who lacks what. The beat also
 * re-reads a file keyring, so a process picks up a key another process added within one beat.
 */
export type HolderRow = Selectable<KeyHoldersTable>;
export type HolderKind = 'start' | 'serve' | 'worker' | 'cli';

export const HEARTBEAT_MS = 10_000;
/** A holder not seen for this long is presumed gone (three beats and a margin). */
export const HOLDER_LIVE_MS = 35_000;

export interface KeyHolder {
  readonly id: string;
  /** Beats now (re-reading the keyring first). */
  beat(): Promise<void>;
  stop(): Promise<void>;
}

export async function startKeyHolder(
  db: Kysely<Database>,
  keyring: Keyring,
  opts: { kind: HolderKind; version: string; heartbeatMs?: number; onError?: (e: unknown) => void },
): Promise<KeyHolder> {
  const id = newId('proc');
  const startedAt = nowIso();
  const host = hostname();
  let stopped = false;
  const beat = async () => {
    keyring.refresh();
    const state = keyring.state();
    const row = { id, host, pid: process.pid, kind: opts.kind, version: opts.version, primary_kid: state.primary.id, kids: state.keys.map((k) => k.id).join(' '), started_at: startedAt, seen_at: nowIso() };
    await db.insertInto('key_holders').values(row).onConflict((oc) => oc.column('id').doUpdateSet({ primary_kid: row.primary_kid, kids: row.kids, seen_at: row.seen_at })).execute();
    // Rows of processes gone for an hour are history nobody needs.
    await db.deleteFrom('key_holders').where('seen_at', '<', nowIso(Date.now() - 3_600_000)).execute();
  };
  await beat();
  let running: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    running = beat().catch((e: unknown) => opts.onError?.(e));
  }, opts.heartbeatMs ?? HEARTBEAT_MS);
  timer.unref();
  return {
    id,
    beat,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      await running;
      await db.deleteFrom('key_holders').where('id', '=', id).execute();
    },
  };
}

/**
 * Whether a holder is alive: seen recently and, when it runs on this machine, its process still
 * exists (so a process killed a moment ago does not hold a rotation up for half a minute).
 */
export function holderAlive(row: Pick<HolderRow, 'host' | 'pid' | 'seen_at'>, nowMs = Date.now()): boolean {
  if (Date.parse(row.seen_at) < nowMs - HOLDER_LIVE_MS) return false;
  return row.host !== hostname() || processExists(Number(row.pid));
}

export function processExists(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function liveHolders(db: Kysely<Database>, nowMs = Date.now()): Promise<HolderRow[]> {
  const rows = await db.selectFrom('key_holders').selectAll().where('seen_at', '>=', nowIso(nowMs - HOLDER_LIVE_MS)).orderBy('started_at').execute();
  return rows.filter((r) => holderAlive(r, nowMs));
}

export function holderName(h: Pick<HolderRow, 'kind' | 'host' | 'pid'>): string {
  return `${h.kind} on ${h.host} (pid ${h.pid})`;
}
