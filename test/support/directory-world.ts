import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { DEFAULT_TENANT } from '../../src/api/route.js';
import { runDirectorySync } from '../../src/directory/sync/run.js';
import { correlateIdentities } from '../../src/directory/correlation/correlate.js';
import { bootApp } from './app.js';
import type { Dialect } from '../../src/store/db.js';
import { sandboxAdmin, setFault } from './sandbox-admin.js';
import { awsBody, entraDirectoryBody, googleDirectoryBody, scimBody } from './connections.js';

/**
 * The identity inventory's test world: the sandbox's Entra directory tenant (fabrikam.test),
 * the Google demo customer and the SCIM demo app (which share ten northwind.test people by
 * email), the AWS demo account, each synced in full and correlated. Added through the admin
 * APIs so every rule has a case:
 * - Riley Cross: Entra and SCIM accounts with different emails and the same employee id;
 * - Jo Upn: an Entra UPN that is the Google primary email (the Entra mail differs): user name;
 * - Sam Split: Google and SCIM accounts with different emails and nothing else shared: split;
 * plus a SCIM connection that never synced and one whose only sync failed (403).
 */
export interface DirectoryWorld {
  sandbox: Sandbox;
  app: Awaited<ReturnType<typeof bootApp>>;
  ids: { entra: string; google: string; scim: string; aws: string; never: string; failing: string };
  close(): Promise<void>;
}

export async function directoryWorld(dialect: Dialect = 'sqlite'): Promise<DirectoryWorld> {
  const sandbox = await startSandbox({});
  const keyFile = join(tmpdir(), `sw-tp-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(keyFile, sandbox.demo.google.tokenProviderKeyJson, { mode: 0o600 });
  const app = await bootApp({ dialect, env: { SYNCWARDEN_GOOGLE_TOKEN_PROVIDER_KEY_FILE: keyFile } });
  const scimTenant = sandbox.demo.scim.tenant;
  const fabrikam = sandbox.demo.microsoft.directoryTenantId;

  await sandboxAdmin(sandbox, 'POST', `/microsoft/tenants/${fabrikam}/users`, { userPrincipalName: 'riley.cross@fabrikam.test', displayName: 'Riley Cross', mail: 'riley.cross@fabrikam.test', employeeId: 'EMP-9001' });
  await sandboxAdmin(sandbox, 'POST', `/scim/tenants/${scimTenant}/users`, { userName: 'riley.cross@northwind.test', givenName: 'Riley', familyName: 'Cross', email: 'riley.cross@northwind.test', employeeNumber: 'EMP-9001' });
  await sandboxAdmin(sandbox, 'POST', `/microsoft/tenants/${fabrikam}/users`, { userPrincipalName: 'jo.upn@northwind.test', displayName: 'Jo Upn', mail: 'jo.mail@fabrikam.test' });
  await sandboxAdmin(sandbox, 'POST', '/google/users', { primaryEmail: 'jo.upn@northwind.test', givenName: 'Jo', familyName: 'Upn' });
  await sandboxAdmin(sandbox, 'POST', '/google/users', { primaryEmail: 'sam.split@northwind.test', givenName: 'Sam', familyName: 'Split' });
  await sandboxAdmin(sandbox, 'POST', `/scim/tenants/${scimTenant}/users`, { userName: 'sam.split@fabrikam.test', givenName: 'Sam', familyName: 'Split', email: 'sam.split@fabrikam.test' });

  const create = async (body: unknown): Promise<string> => {
    const r = await app.api('/connections', { method: 'POST', body: JSON.stringify(body) });
    if (r.status !== 201) throw new Error(`creating a connection: ${r.status} ${r.text}`);
    return r.body.id as string;
  };
  const ids = {
    entra: await create(entraDirectoryBody(sandbox)),
    google: await create(googleDirectoryBody(sandbox)),
    scim: await create(scimBody(sandbox)),
    aws: await create(awsBody(sandbox)),
    never: await create(scimBody(sandbox, { name: 'Never synced app' })),
    failing: '',
  };
  const failing = await sandboxAdmin<{ token: { token: string } }>(sandbox, 'POST', '/scim/tenants', { id: 'failing-app', displayName: 'Failing app', size: 'demo' });
  ids.failing = await create(scimBody(sandbox, { name: 'Failing app', config: { baseUrl: sandbox.demo.scim.baseUrl.replace(scimTenant, 'failing-app') }, credential: { type: 'bearer_token', token: failing.token.token } }));
  for (const id of [ids.entra, ids.google, ids.scim, ids.aws]) {
    const run = await runDirectorySync(app.rt, DEFAULT_TENANT, id, { mode: 'full' });
    if (run.status !== 'succeeded') throw new Error(`sync of ${id} ended ${run.status}: ${JSON.stringify(run.error)}`);
  }
  await setFault(sandbox, 'scim.forbidden', 'failing-app');
  await runDirectorySync(app.rt, DEFAULT_TENANT, ids.failing, { mode: 'full', http: { maxRetries: 0 } });
  await correlateIdentities(app.rt, DEFAULT_TENANT);
  return {
    sandbox, app, ids,
    async close() {
      await app.stop();
      await sandbox.close();
    },
  };
}
