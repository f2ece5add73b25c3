import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { startSyncwarden } from '../../src/runtime/start.js';
import { createLogger } from '../../src/runtime/logger.js';
import { createConnection } from '../../src/connections/service.js';
import { createPolicy } from '../../src/continuity/policies.js';
import { DEFAULT_TENANT } from '../../src/api/route.js';
import { sandboxAdmin } from './sandbox-admin.js';

export interface CliContinuityWorld {
  readonly dataDir: string;
  readonly sandbox: Sandbox;
  readonly sourceId: string;
  readonly policyId: string;
  /** The one source user the policy selects. */
  readonly user: string;
  /** The environment the `syncwarden` command runs with (the data folder, the token provider's key). */
  env(): Record<string, string>;
  close(): Promise<void>;
}

/**
 * What the continuity CLI tests start from: a data folder with a Microsoft 365 source and a
 * Google destination on the sandbox, and an enabled policy over one user (the `userIndex`-th of
 * the sandbox's), the Gmail per-user quota raised so a sync is quick. No process keeps running:
 * each command opens the data folder itself, as an admin's would.
 */
export async function cliContinuityWorld(opts: { tmpPrefix: string; userIndex: number; policyName: string }): Promise<CliContinuityWorld> {
  const dataDir = mkdtempSync(join(tmpdir(), opts.tmpPrefix));
  const keyFile = join(dataDir, 'tp.json');
  const sandbox = await startSandbox({});
  writeFileSync(keyFile, sandbox.demo.google.tokenProviderKeyJson);
  const running = await startSyncwarden({ dataDir, env: { SYNCWARDEN_GOOGLE_TOKEN_PROVIDER_KEY_FILE: keyFile }, log: createLogger('silent') });
  const ms = sandbox.demo.microsoft;
  const g = sandbox.demo.google;
  const source = await createConnection(running.rt, DEFAULT_TENANT, {
    kind: 'microsoft365', name: 'CLI source',
    config: { tenantId: ms.tenantId, clientId: ms.clientId, endpoints: { login: sandbox.urls.entra_login, graph: sandbox.urls.graph } },
    credential: { type: 'client_secret', clientSecret: ms.clientSecret },
  });
  const dest = await createConnection(running.rt, DEFAULT_TENANT, {
    kind: 'google_workspace', name: 'CLI destination',
    config: { serviceAccountEmail: g.serviceAccountEmail, adminEmail: g.adminEmail, domain: g.domain, endpoints: { oauth: sandbox.urls.google_oauth, iam: sandbox.urls.google_iam, apis: sandbox.urls.google_apis } },
    credential: { type: 'impersonation' },
  });
  const { users } = await sandboxAdmin<{ users: { userPrincipalName: string }[] }>(sandbox, 'GET', '/microsoft/users');
  const user = users[opts.userIndex]!.userPrincipalName;
  const policy = await createPolicy(running.rt, DEFAULT_TENANT, { name: opts.policyName, sourceConnectionId: source.id, destinationConnectionId: dest.id, enabled: true, selection: { mode: 'list', include: [user] } });
  await running.stop();
  await sandboxAdmin(sandbox, 'POST', '/google/quotas', { userUnitsPerMinute: 600_000 });
  return {
    dataDir,
    sandbox,
    sourceId: source.id,
    policyId: policy.id,
    user,
    env: () => ({ SYNCWARDEN_DATA: dataDir, LOG_LEVEL: 'silent', SYNCWARDEN_GOOGLE_TOKEN_PROVIDER_KEY_FILE: keyFile }),
    async close() {
      await sandbox.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
