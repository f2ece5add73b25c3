import type { Runtime } from './context.js';
import type { Sandbox } from '../sandbox/server.js';
import { listConnections } from '../store/connections-repo.js';
import { createConnection, testConnection } from '../connections/service.js';
import { getPlatformSecret, setPlatformSecret } from '../connections/platform-secrets.js';
import { createPolicy } from '../continuity/policies.js';
import { ensureDemoSso } from '../auth/sso/demo.js';

export const DEMO_SOURCE_NAME = 'Northwind Microsoft 365 (sandbox)';
export const DEMO_DESTINATION_NAME = 'Northwind standby Google Workspace (sandbox)';
export const DEMO_DIRECTORY_NAMES = {
  entra: 'Fabrikam Entra ID directory (sandbox)',
  google: 'Northwind Google Workspace directory (sandbox)',
  aws: 'Northwind AWS account (sandbox)',
  scim: 'Northwind Expenses SCIM app (sandbox)',
} as const;

/**
 * Wires a fresh installation to the sandbox so `npm start` shows a working product: the
 * token provider identity, a Microsoft 365 source (certificate), a Google Workspace
 * destination (keyless), both tested, and an enabled policy for all users — once, when the
 * tenant has no connections. Then the directory connections of the identity inventory (see
 * ensureDemoDirectories). Returns whether anything was created.
 */
export async function ensureDemoTenant(rt: Runtime, tenantId: string, sandbox: Sandbox): Promise<boolean> {
  let created = false;
  if ((await listConnections(rt.store.db, tenantId)).length === 0) {
    await ensureDemoContinuity(rt, tenantId, sandbox);
    created = true;
  }
  if (await ensureDemoSso(rt, tenantId, sandbox)) created = true;
  return (await ensureDemoDirectories(rt, tenantId, sandbox)) > 0 || created;
}

async function ensureDemoContinuity(rt: Runtime, tenantId: string, sandbox: Sandbox): Promise<void> {
  const ms = sandbox.demo.microsoft;
  const g = sandbox.demo.google;
  await setPlatformSecret(rt, tenantId, 'google_token_provider_key', g.tokenProviderKeyJson);
  const source = await createConnection(
    rt,
    tenantId,
    {
      kind: 'microsoft365',
      name: DEMO_SOURCE_NAME,
      role: 'continuity_source',
      config: { tenantId: ms.tenantId, clientId: ms.clientId, endpoints: { login: sandbox.urls.entra_login, graph: sandbox.urls.graph } },
      credential: { type: 'certificate', pfxBase64: ms.pfxBase64, pfxPassword: ms.pfxPassword },
    },
    'system',
  );
  const destination = await createConnection(
    rt,
    tenantId,
    {
      kind: 'google_workspace',
      name: DEMO_DESTINATION_NAME,
      role: 'continuity_destination',
      config: {
        serviceAccountEmail: g.serviceAccountEmail,
        adminEmail: g.adminEmail,
        domain: g.domain,
        endpoints: { oauth: sandbox.urls.google_oauth, iam: sandbox.urls.google_iam, apis: sandbox.urls.google_apis },
      },
      credential: { type: 'impersonation' },
    },
    'system',
  );
  await testConnection(rt, tenantId, source.id, 'system');
  await testConnection(rt, tenantId, destination.id, 'system');
  await createPolicy(
    rt,
    tenantId,
    { name: 'All Northwind users', sourceConnectionId: source.id, destinationConnectionId: destination.id, scheduleMinutes: 15, initialWindowDays: 30, enabled: true },
    'system',
  );
}

/**
 * The demo's directory connections, read-only, each tested: Entra ID's directory-only tenant
 * (fabrikam.test, where the app holds the read grants), the Google Workspace customer (keyless,
 * read-only Directory scopes), the AWS account (assume-role with the external id) and the SCIM
 * demo app (its read-only token). Each is made once: one the admin deleted is not made again
 * (its creation is in the audit log). Returns how many were created.
 */
export async function ensureDemoDirectories(rt: Runtime, tenantId: string, sandbox: Sandbox): Promise<number> {
  const ms = sandbox.demo.microsoft;
  const g = sandbox.demo.google;
  const a = sandbox.demo.aws;
  const s = sandbox.demo.scim;
  const bodies = [
    {
      kind: 'microsoft365',
      name: DEMO_DIRECTORY_NAMES.entra,
      role: 'directory',
      config: { tenantId: ms.directoryTenantId, clientId: ms.clientId, endpoints: { login: sandbox.urls.entra_login, graph: sandbox.urls.graph } },
      credential: { type: 'certificate', pfxBase64: ms.pfxBase64, pfxPassword: ms.pfxPassword },
    },
    {
      kind: 'google_workspace',
      name: DEMO_DIRECTORY_NAMES.google,
      role: 'directory',
      config: {
        serviceAccountEmail: g.serviceAccountEmail,
        adminEmail: g.adminEmail,
        domain: g.domain,
        endpoints: { oauth: sandbox.urls.google_oauth, iam: sandbox.urls.google_iam, apis: sandbox.urls.google_apis },
      },
      credential: { type: 'impersonation' },
    },
    {
      kind: 'aws_iam',
      name: DEMO_DIRECTORY_NAMES.aws,
      role: 'directory',
      config: { accountId: a.accountId, region: a.region, endpoints: { iam: sandbox.urls.aws_iam, sts: sandbox.urls.aws_sts } },
      credential: { type: 'assume_role', accessKeyId: a.accessKeyId, secretAccessKey: a.secretAccessKey, roleArn: a.roleArn, externalId: a.externalId },
    },
    {
      kind: 'scim',
      name: DEMO_DIRECTORY_NAMES.scim,
      role: 'directory',
      config: { baseUrl: s.baseUrl },
      credential: { type: 'bearer_token', token: s.readOnlyToken },
    },
  ];
  const existing = new Set((await listConnections(rt.store.db, tenantId)).map((c) => c.name));
  const made: string[] = [];
  for (const body of bodies) {
    if (existing.has(body.name) || (await createdBefore(rt, tenantId, body.name))) continue;
    // Keyless sign-in needs the token provider (an installation from before the directory demo may lack it).
    if (body.kind === 'google_workspace' && !(await getPlatformSecret(rt, tenantId, 'google_token_provider_key'))) await setPlatformSecret(rt, tenantId, 'google_token_provider_key', g.tokenProviderKeyJson);
    made.push((await createConnection(rt, tenantId, body, 'system')).id);
  }
  for (const id of made) await testConnection(rt, tenantId, id, 'system');
  return made.length;
}

async function createdBefore(rt: Runtime, tenantId: string, name: string): Promise<boolean> {
  const row = await rt.store.db
    .selectFrom('audit_events')
    .select('action')
    .where('tenant_id', '=', tenantId)
    .where('action', '=', 'connection.created')
    .where('target_name', '=', name)
    .executeTakeFirst();
  return row !== undefined;
}
