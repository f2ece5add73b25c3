import { z } from 'zod';
import type { FastifyRequest } from 'fastify';
import type { Runtime } from '../../runtime/context.js';
import type { RouteSpec } from '../route.js';
import { addCredentialSchema, createConnectionSchema, switchCredentialSchema, updateConnectionSchema, writeBackSchema } from '../../connections/inputs.js';
import {
  createConnection,
  editConnection,
  getConnectionView,
  listConnectionViews,
  queueDoctor,
  removeConnection,
  requireConnection,
  setWriteBack,
  testConnection,
} from '../../connections/service.js';
import { credentialViews } from '../../connections/credentials.js';
import { addCredential, discardCredential, retireCredential, switchCredential, testCredential } from '../../connections/rotation.js';
import { supportBundle } from '../../diagnostics/bundle.js';
import { describeKinds } from '../../connections/kinds/describe.js';
import { recordAudit } from '../../audit/audit.js';
import { getConnection } from '../../store/connections-repo.js';
import type { ViewOptions } from '../../connections/service.js';
import { roleHas } from '../../auth/permissions.js';
import { bindingOf, publicBaseUrl, signConsentState, verifyConsentState, type Principal, type SecuritySettings } from '../security.js';

const idParams = z.object({ id: z.string().min(1) });
/** ?archive=true keeps the deleted connection's inventory as an archive. */
const deleteQuery = z.object({ archive: z.enum(['true', 'false']).default('false').transform((v) => v === 'true') });
const credParams = z.object({ id: z.string().min(1), credentialId: z.string().min(1) });
const consentQuery = z.object({
  state: z.string().max(300).optional(),
  admin_consent: z.string().max(10).optional(),
  tenant: z.string().max(200).optional(),
  error: z.string().max(200).optional(),
  error_description: z.string().max(2000).optional(),
});

export function connectionRoutes(rt: Runtime, version: string, security: SecuritySettings): RouteSpec[] {
  /**
   * How views are built for this caller: links from the public URL (never a Host header the
   * host check did not vet), consent states bound to the caller's session or token.
   */
  const viewOpts = (request: FastifyRequest, principal: Principal | null): ViewOptions => ({
    baseUrl: publicBaseUrl(request, security),
    consentState: (id: string) => signConsentState(rt, id, principal ? bindingOf(principal) : 'anonymous'),
  });
  /** Operators see connections but not their credentials (not even the metadata). */
  const forRole = <T extends object>(principal: Principal | null, view: T): T => {
    if (principal && roleHas(principal.role, 'credentials.read')) return view;
    const { credential: _c, credentials: _cs, ...rest } = view as T & { credential?: unknown; credentials?: unknown };
    return rest as T;
  };
  return [
    {
      method: 'GET', url: '/connections', permission: 'connections.read', tag: 'Connections', summary: 'List connections (status, credential in use with its expiry, open incident)',
      handler: async ({ tenantId, request, principal }) => ({ connections: (await listConnectionViews(rt, tenantId, viewOpts(request, principal))).map((v) => forRole(principal, v)) }),
    },
    {
      method: 'GET', url: '/connection-kinds', permission: 'overview.read', tag: 'Connections', summary: 'The connection kinds: roles with their read and write-back permissions, credential methods',
      handler: async () => ({ kinds: describeKinds() }),
    },
    {
      method: 'POST', url: '/connections', permission: 'connections.manage', tag: 'Connections', summary: 'Create a connection; the doctor runs on save (queued)', body: createConnectionSchema, status: 201,
      handler: ({ actor, tenantId, body, request, principal }) => createConnection(rt, tenantId, body, actor, viewOpts(request, principal)),
    },
    {
      method: 'GET', url: '/connections/consent-callback', permission: 'connections.manage', tag: 'Connections', summary: 'Where the provider\'s admin-consent page returns to; records the outcome and re-tests', query: consentQuery,
      handler: async ({ actor, tenantId, query, reply, principal }) => {
        const q = query as z.infer<typeof consentQuery>;
        // The state names the connection whose card had the link, signed and bound to the
        // session (or token) that fetched that card: a link forged on another site, replayed
        // later or opened in another session records nothing (auth.consent_state_invalid).
        const connectionId = verifyConsentState(rt, q.state, principal);
        const connection = (await getConnection(rt.store.db, tenantId, connectionId)) ?? null;
        if (connection) {
          const granted = q.admin_consent?.toLowerCase() === 'true' && !q.error;
          await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
            severity: granted ? 'info' : 'warning',
            action: granted ? 'connection.admin_consent_granted' : 'connection.admin_consent_refused',
            actor,
            target: { type: 'connection', id: connection.id, name: connection.name },
            message: granted ? `Admin consent granted for "${connection.name}" (tenant ${q.tenant ?? 'unknown'})` : `Admin consent for "${connection.name}" was not granted: ${q.error ?? 'no answer'}${q.error_description ? ` (${q.error_description.slice(0, 300)})` : ''}`,
          });
          if (granted) await queueDoctor(rt, tenantId, connection.id, 'save');
        }
        return reply.redirect('/#/connections', 302);
      },
    },
    {
      method: 'GET', url: '/connections/:id', permission: 'connections.read', tag: 'Connections', summary: 'Get a connection', params: idParams,
      handler: async ({ tenantId, params, request, principal }) => forRole(principal, await getConnectionView(rt, tenantId, params['id']!, viewOpts(request, principal))),
    },
    {
      method: 'PATCH', url: '/connections/:id', permission: 'connections.manage', tag: 'Connections', summary: 'Edit a connection (a credential here replaces the one in use at once; the old one is kept as previous)', params: idParams, body: updateConnectionSchema,
      handler: ({ actor, tenantId, params, body, request, principal }) => editConnection(rt, tenantId, params['id']!, body, actor, viewOpts(request, principal)),
    },
    {
      method: 'DELETE', url: '/connections/:id', permission: 'connections.manage', tag: 'Connections', summary: 'Delete a connection: cancels its jobs and runs, removes its credentials and its inventory (archived with ?archive=true) and the identities left with no account', params: idParams, query: deleteQuery, status: 204,
      handler: async ({ tenantId, params, query, actor }) => {
        await removeConnection(rt, tenantId, params['id']!, actor, { archive: query['archive'] === true });
      },
    },
    {
      method: 'POST', url: '/connections/:id/test', permission: 'connections.test', tag: 'Connections', summary: 'Test connection: the doctor, one finding per prerequisite', params: idParams,
      handler: async ({ actor, tenantId, params, request, principal }) => {
        const r = await testConnection(rt, tenantId, params['id']!, actor, 'manual', viewOpts(request, principal));
        return 'connection' in r ? { ...r, connection: forRole(principal, r.connection) } : r;
      },
    },
    {
      method: 'POST', url: '/connections/:id/write-back', permission: 'connections.manage', tag: 'Connections', summary: 'Consent to (or revoke) write-back: its own flag, permissions and audit event', params: idParams, body: writeBackSchema,
      handler: ({ actor, tenantId, params, body, request, principal }) => setWriteBack(rt, tenantId, params['id']!, body, actor, viewOpts(request, principal)),
    },
    {
      method: 'GET', url: '/connections/:id/bundle', permission: 'credentials.read', tag: 'Connections', summary: 'Download the support bundle (JSON, no secrets)', params: idParams,
      handler: async ({ actor, tenantId, params, reply }) => {
        const b = await supportBundle(rt, tenantId, params['id']!, { version });
        await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
          severity: 'info', action: 'connection.bundle_downloaded', actor, target: { type: 'connection', id: params['id']! },
          message: `Support bundle downloaded (${b.filename})`,
        });
        return reply.header('content-disposition', `attachment; filename="${b.filename}"`).type('application/json; charset=utf-8').send(b.json);
      },
    },
    {
      method: 'GET', url: '/connections/:id/credentials', permission: 'credentials.read', tag: 'Credentials', summary: 'A connection\'s credentials (current, pending, previous, retired), never a secret', params: idParams,
      handler: async ({ tenantId, params }) => ({ credentials: await credentialViews(rt, tenantId, await requireConnection(rt, tenantId, params['id']!)) }),
    },
    {
      method: 'POST', url: '/connections/:id/credentials', permission: 'credentials.manage', tag: 'Credentials', summary: 'Rotation step 1: add a new credential (pending) and test it on its own', params: idParams, body: addCredentialSchema, status: 201,
      handler: ({ tenantId, params, body }) => addCredential(rt, tenantId, params['id']!, body),
    },
    {
      method: 'POST', url: '/connections/:id/credentials/:credentialId/test', permission: 'credentials.manage', tag: 'Credentials', summary: 'Rotation step 2: test one credential on its own', params: credParams,
      handler: ({ tenantId, params }) => testCredential(rt, tenantId, params['id']!, params['credentialId']!),
    },
    {
      method: 'POST', url: '/connections/:id/credentials/:credentialId/switch', permission: 'credentials.manage', tag: 'Credentials', summary: 'Rotation step 3: switch to the credential (or roll back to the previous one); re-runs blocked work at once', params: credParams, body: switchCredentialSchema,
      handler: ({ tenantId, params, body }) => switchCredential(rt, tenantId, params['id']!, params['credentialId']!, body),
    },
    {
      method: 'POST', url: '/connections/:id/credentials/:credentialId/retire', permission: 'credentials.manage', tag: 'Credentials', summary: 'Rotation step 4: retire the old credential (its secret is wiped)', params: credParams,
      handler: ({ tenantId, params }) => retireCredential(rt, tenantId, params['id']!, params['credentialId']!),
    },
    {
      method: 'DELETE', url: '/connections/:id/credentials/:credentialId', permission: 'credentials.manage', tag: 'Credentials', summary: 'Discard a pending credential', params: credParams, status: 204,
      handler: async ({ tenantId, params }) => {
        await discardCredential(rt, tenantId, params['id']!, params['credentialId']!);
      },
    },
  ];
}
