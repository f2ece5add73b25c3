import type { Kysely } from 'kysely';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import type { Dialect } from '../../src/store/db.js';
import { DEFAULT_TENANT } from '../../src/api/route.js';
import { bootApp } from './app.js';

export type App = Awaited<ReturnType<typeof bootApp>>;

/**
 * A sandbox and an app (no scheduler, no worker unless asked) for the identity inventory's
 * tests. The Google token provider key is wired so keyless Google connections sign in.
 */
export async function directoryWorld(dialect: Dialect, opts: { worker?: boolean; scheduler?: boolean } = {}) {
  const sandbox: Sandbox = await startSandbox({});
  const keyFile = join(tmpdir(), `sw-tp-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(keyFile, sandbox.demo.google.tokenProviderKeyJson, { mode: 0o600 });
  const app = await bootApp({
    dialect,
    env: { SYNCWARDEN_GOOGLE_TOKEN_PROVIDER_KEY_FILE: keyFile },
    ...(opts.worker ? { worker: { concurrency: 4 } } : {}),
    ...(opts.scheduler ? { scheduler: true, schedulerTickMs: 200 } : {}),
  });
  return {
    sandbox,
    app,
    tenantId: DEFAULT_TENANT,
    /** Creates a connection through the API and answers its id. */
    async connect(body: unknown): Promise<string> {
      const r = await app.api('/connections', { method: 'POST', body: JSON.stringify(body) });
      expect(r.status, r.text).toBe(201);
      return r.body.id as string;
    },
    async close() {
      await app.stop();
      await sandbox.close();
    },
  };
}

/** Every row of a connection's table, keyed for comparison (order-independent). */
export async function snapshot(app: App, connectionId: string): Promise<Record<string, string[]>> {
  const db = app.rt.store.db;
  // Rows as plain records: the seven tables' row types do not unify into one query type.
  const w = (t: 'dir_accounts' | 'dir_groups' | 'dir_memberships' | 'dir_entitlements' | 'dir_grants' | 'dir_credentials' | 'dir_excluded'): Promise<Record<string, unknown>[]> =>
    (db as unknown as Kysely<Record<string, Record<string, unknown>>>).selectFrom(t).selectAll().where('tenant_id', '=', DEFAULT_TENANT).where('connection_id', '=', connectionId).execute();
  const out: Record<string, string[]> = {};
  out['accounts'] = (await w('dir_accounts')).map((r) => `${r.external_id}|${r.user_name}|${r.email}|${r.display_name}|${r.enabled}|${r.account_type}|${r.hash}`).sort();
  out['groups'] = (await w('dir_groups')).map((r) => `${r.external_id}|${r.display_name}|${r.hash}`).sort();
  out['memberships'] = (await w('dir_memberships')).map((r) => `${r.group_id}|${r.member_id}|${r.member_type}|${r.role}`).sort();
  out['entitlements'] = (await w('dir_entitlements')).map((r) => `${r.external_id}|${r.display_name}|${r.privileged}`).sort();
  out['grants'] = (await w('dir_grants')).map((r) => `${r.entitlement_id}|${r.principal_id}|${r.principal_type}`).sort();
  out['credentials'] = (await w('dir_credentials')).map((r) => `${r.external_id}|${r.account_id}|${r.status}`).sort();
  out['excluded'] = (await w('dir_excluded')).map((r) => `${r.external_id}|${r.reason}`).sort();
  return out;
}
