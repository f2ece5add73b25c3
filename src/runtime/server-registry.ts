import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';

/**
 * Where a running Syncwarden server can be found by the `syncwarden` command on the same
 * machine: each serving process writes one small file (its pid, URL and data folder) into the
 * data folder (`server.json`) and into a per-user folder of running servers, and removes both
 * when it stops. The CLI reads them to work on the server's data when it is started elsewhere,
 * and to build links (the admin-consent redirect) with the port the server really listens on.
 * Nothing secret is in them.
 */
const serverFile = z.object({ pid: z.number().int().positive(), url: z.string().url(), dataDir: z.string().min(1), startedAt: z.string() });
export type ServerFile = z.infer<typeof serverFile>;

/** The per-user folder of running servers (`SYNCWARDEN_RUNTIME_DIR`, else one in the temp folder). */
export function runtimeDir(env: NodeJS.ProcessEnv): string {
  if (env['SYNCWARDEN_RUNTIME_DIR']) return resolve(env['SYNCWARDEN_RUNTIME_DIR']);
  let user = 'user';
  try {
    user = String(userInfo().uid >= 0 ? userInfo().uid : userInfo().username);
  } catch {
    // No user entry (some containers): one shared folder name is still correct for this machine.
  }
  return join(tmpdir(), `syncwarden-${user}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function read(file: string): ServerFile | null {
  try {
    const parsed = serverFile.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success && alive(parsed.data.pid) ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Records this serving process; returns how to remove the record. */
export function registerServer(env: NodeJS.ProcessEnv, dataDir: string, url: string): () => void {
  const entry: ServerFile = { pid: process.pid, url, dataDir: resolve(dataDir), startedAt: new Date().toISOString() };
  const files = [join(entry.dataDir, 'server.json')];
  try {
    const dir = runtimeDir(env);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    files.push(join(dir, `${process.pid}.json`));
  } catch {
    // A read-only temp folder: the data folder's record still serves links.
  }
  for (const f of files) {
    try {
      writeFileSync(f, JSON.stringify(entry) + '\n');
    } catch {
      // Best effort: without the record the CLI falls back to PORT and asks for SYNCWARDEN_DATA.
    }
  }
  return () => {
    for (const f of files) {
      // Only our own record: a newer server may have replaced server.json meanwhile.
      if (read(f)?.pid === process.pid) rmSync(f, { force: true });
    }
  };
}

/** The server serving this data folder, when one is running. */
export function serverOf(dataDir: string): ServerFile | null {
  return read(join(resolve(dataDir), 'server.json'));
}

/** Every running server of this user on this machine. */
export function runningServers(env: NodeJS.ProcessEnv): ServerFile[] {
  const dir = runtimeDir(env);
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => /^\d+\.json$/.test(n));
  } catch {
    return [];
  }
  const out: ServerFile[] = [];
  for (const n of names) {
    const s = read(join(dir, n));
    if (s) out.push(s);
    // A record whose process is gone (killed without cleanup) is stale: tidy it.
    else rmSync(join(dir, n), { force: true });
  }
  return out;
}
