import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Sandbox } from '../../src/sandbox/server.js';

/**
 * The sandbox in a child process, as the providers are to a real installation: another
 * machine's CPU. Benchmarks that measure the engine's cost use it, so the figures are not
 * the sum of both sides on one event loop, and peak RSS is Syncwarden's alone.
 */
export interface SandboxProcess {
  readonly urls: Sandbox['urls'];
  readonly demo: Sandbox['demo'];
  admin<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

export async function startSandboxProcess(): Promise<SandboxProcess> {
  const child: ChildProcess = fork(fileURLToPath(new URL('./sandbox-child.js', import.meta.url)), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const ready = await new Promise<{ urls: Sandbox['urls']; demo: Sandbox['demo'] }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { urls: Sandbox['urls']; demo: Sandbox['demo'] }));
    child.once('exit', (code) => reject(new Error(`the sandbox process exited (${code}) before it was ready`)));
  });
  const admin = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const send = () => fetch(`${ready.urls.admin}${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    // A pooled connection the sandbox closed while this process's event loop was held by a long
    // synchronous SQLite statement is only found dead when used: once more on a fresh one.
    const res = await send().catch(async (e: unknown) => {
      if (e instanceof TypeError) return send();
      throw e;
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`sandbox admin ${method} ${path} → ${res.status}: ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  return {
    ...ready,
    admin,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
