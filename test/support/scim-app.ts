import type { Sandbox } from '../../src/sandbox/server.js';
import { createHttpClient, type DirectorySource } from '../../src/connectors/sdk/index.js';
import { scimConnector } from '../../src/connectors/scim/index.js';
import { sandboxAdmin } from './sandbox-admin.js';

type J = Record<string, any>;

/** One SCIM app of the sandbox, made for one test: its base URL, bearer token, groups and users. */
export interface ScimApp {
  readonly id: string;
  readonly baseUrl: string;
  readonly token: string;
  readonly groups: J[];
  readonly users: J[];
}

let made = 0;

/** A fresh demo-sized SCIM app without its rate limit (a test that wants 429 turns it on), with the sandbox `options`. */
export async function scimApp(sb: Sandbox, options: J = {}): Promise<ScimApp> {
  const id = `app-${process.pid}-${++made}`;
  const t = await sandboxAdmin<J>(sb, 'POST', '/scim/tenants', { id, size: 'demo' });
  await sandboxAdmin(sb, 'POST', `/scim/tenants/${id}/rate-limit`, { enabled: false });
  if (Object.keys(options).length) await sandboxAdmin(sb, 'POST', `/scim/tenants/${id}/options`, options);
  const groups = (await sandboxAdmin<J>(sb, 'GET', `/scim/tenants/${id}/groups`))['resources'] as J[];
  const users = (await sandboxAdmin<J>(sb, 'GET', `/scim/tenants/${id}/users`))['resources'] as J[];
  return { id, baseUrl: t['baseUrl'], token: t['token']['token'], groups, users };
}

/** The SCIM connector on `app` with write-back consented; retries' sleeps are recorded, not slept. */
export function scimWriteSource(app: ScimApp, sleeps: number[] = [], over: J = {}): DirectorySource {
  const http = createHttpClient({ provider: 'SCIM app', sleep: async (ms) => void sleeps.push(ms) });
  return scimConnector.create({ http, now: () => new Date() }, { baseUrl: app.baseUrl, token: app.token, writeBack: true, ...over });
}

/** How many PATCH requests the app received on a route ('PATCH /Groups/{id}', 'PATCH /Users/{id}'). */
export async function scimPatches(sb: Sandbox, app: ScimApp, route: string): Promise<number> {
  return ((await sandboxAdmin<J>(sb, 'GET', `/scim/tenants/${app.id}/stats`))['byRoute'][route] as number | undefined) ?? 0;
}
