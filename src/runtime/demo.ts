import type { Runtime } from './context.js';
import type { Sandbox } from '../sandbox/server.js';
import { listConnections } from '../store/connections-repo.js';
import { createConnection, testConnection } from '../connections/service.js';
import { setPlatformSecret } from '../connections/platform-secrets.js';
import { createPolicy } from '../continuity/policies.js';

export const DEMO_SOURCE_NAME = 'Northwind Microsoft 365 (sandbox)';
export const DEMO_DESTINATION_NAME = 'Northwind standby Google Workspace (sandbox)';

/**
 * Wires a fresh installation to the sandbox so `npm start` shows a working product: the
 * token provider identity, a Microsoft 365 source (certificate), a Google Workspace
 * destination (keyless), both tested, and an enabled policy for all users. Runs once: it
 * does nothing when the tenant already has connections.
 */
export async function ensureDemoTenant(rt: Runtime, tenantId: string, sandbox: Sandbox): Promise<boolean> {
  if ((await listConnections(rt.store.db, tenantId)).length > 0) return false;
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
  return true;
}
