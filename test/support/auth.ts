import type { Runtime } from '../../src/runtime/context.js';
import { DEFAULT_TENANT } from '../../src/api/route.js';
import type { Role } from '../../src/auth/permissions.js';
import { createUser, findUserByEmail } from '../../src/auth/users.js';
import { createApiToken } from '../../src/auth/tokens.js';
import { createSession, DEFAULT_SESSION_SETTINGS } from '../../src/auth/sessions.js';
import { runActing } from '../../src/auth/context.js';

export type ApiAnswer = { status: number; body: any; text: string; headers: Headers };
export type ApiFn = (path: string, init?: RequestInit) => Promise<ApiAnswer>;

/** Test set-up acts as the local operator, as the CLI on the data folder does. */
const SETUP = { actor: 'system:test-setup', address: null, userAgent: null };

/** A user with this role in the default tenant (made once per email), through the real service. */
export async function ensureUser(rt: Runtime, role: Role, email = `${role}@example.test`): Promise<string> {
  const existing = await findUserByEmail(rt, email);
  if (existing) return existing.id;
  return runActing(SETUP, async () => (await createUser(rt, DEFAULT_TENANT, { email, role, password: "Tulip-stapler-orbit-42" }, null)).id);
}

/** An API token of that user, limited to their role. */
export async function tokenFor(rt: Runtime, userId: string, role: Role, name = `test-${role}`): Promise<string> {
  return runActing(SETUP, async () => (await createApiToken(rt, DEFAULT_TENANT, userId, { name, role, expiresInDays: 365 })).token);
}

/** A signed-in browser session of that user: the cookie and the CSRF token the page echoes. */
export async function sessionFor(rt: Runtime, userId: string): Promise<{ token: string; csrf: string; expiresAt: string }> {
  return createSession(rt, userId, DEFAULT_TENANT, { address: '127.0.0.1', userAgent: 'test' }, DEFAULT_SESSION_SETTINGS);
}

/** The product's API at `baseUrl`, as `headers` authenticate it (none: anonymous). */
export function apiClient(baseUrl: string, auth: Record<string, string>): ApiFn {
  return async (path, init = {}) => {
    const headers = { ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...auth, ...((init.headers as Record<string, string> | undefined) ?? {}) };
    const res = await fetch(`${baseUrl}/api/v1${path}`, { ...init, headers });
    const text = await res.text();
    let body: unknown = undefined;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status: res.status, body, text, headers: res.headers };
  };
}
