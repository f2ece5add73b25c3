import type { Sandbox } from '../../src/sandbox/server.js';

/** Calls the sandbox admin API (faults, quotas, inspection) over HTTP, as a test would from outside. */
export async function sandboxAdmin<T = any>(sandbox: Sandbox, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${sandbox.urls.admin}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`sandbox admin ${method} ${path} → ${res.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

export async function setFault(sandbox: Sandbox, name: string, scope = '*', params: Record<string, string | number | boolean> = {}): Promise<void> {
  await sandboxAdmin(sandbox, 'POST', '/faults', { scope, name, params });
}

export async function clearFaults(sandbox: Sandbox): Promise<void> {
  await sandboxAdmin(sandbox, 'DELETE', '/faults');
}

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
