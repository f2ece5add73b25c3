import { z } from 'zod';
import { customerFor, fail, ok, parsed, type AdminRequest } from './admin-http.js';
import { keyFileJson, newSandboxKey } from './credentials.js';
import { authorise, listed, revoke } from './delegation.js';
import type { GoogleSim } from './sim.js';
import { tokenCreatorKey, type GoogleApi, type ServiceAccount } from './world.js';

/**
 * Admin routes for what lives in the Admin console's security pages and in GCP: domain-wide
 * delegation (with propagation), APIs per project, the Token Creator binding, service
 * accounts (disable, delete, undelete) and their keys (create, delete).
 */
const delegationSchema = z.object({
  domain: z.string().optional(),
  /** The OAuth client id; the demo customer's service account when absent. */
  clientId: z.string().regex(/^\d+$/).optional(),
  scopes: z.array(z.string().min(1)).optional(),
  /** How long this change takes to settle; the world's default when absent (0 = at once). */
  propagationMs: z.number().int().min(0).optional(),
});
const propagationSchema = z.object({ propagationMs: z.number().int().min(0) });
const apiSchema = z.object({ project: z.string().optional(), api: z.enum(['gmail', 'admin', 'iamcredentials']), enabled: z.boolean() });
const tokenCreatorSchema = z.object({ member: z.string().min(3), serviceAccount: z.string().min(3), granted: z.boolean() });
const serviceAccountSchema = z.object({ disabled: z.boolean(), deleted: z.boolean() }).partial();

export async function iamAdmin(a: AdminRequest): Promise<boolean> {
  switch (a.parts[0]) {
    case 'delegation':
      return delegation(a);
    case 'apis':
      return apis(a);
    case 'token-creators':
      return tokenCreators(a);
    case 'service-accounts':
      return serviceAccounts(a);
    default:
      return false;
  }
}

function demoServiceAccount(sim: GoogleSim): ServiceAccount {
  return [...sim.world.serviceAccounts.values()].find((s) => s.projectId === sim.world.customerProjectId)!;
}

async function delegation(a: AdminRequest): Promise<boolean> {
  const { sim, parts, method, url } = a;
  if (parts.length === 1 && method === 'GET') {
    const c = customerFor(a, url.searchParams.get('domain'));
    if (!c) return fail(a, 404, 'no such customer');
    const now = sim.now();
    return ok(a, 200, { customerId: c.id, propagationMs: sim.world.propagationMs, clients: Object.fromEntries([...c.delegation.keys()].map((id) => [id, listed(c.delegation, id, now)])) });
  }
  if (parts.length === 2 && parts[1] === 'propagation' && method === 'POST') {
    const b = await parsed(a, propagationSchema);
    if (!b) return true;
    sim.world.propagationMs = b.propagationMs;
    return ok(a, 200, { propagationMs: b.propagationMs });
  }
  if (parts.length === 2 && (parts[1] === 'authorise' || parts[1] === 'revoke') && method === 'POST') {
    const b = await parsed(a, delegationSchema);
    if (!b) return true;
    const c = customerFor(a, b.domain);
    if (!c) return fail(a, 404, `no customer owns ${b.domain}`);
    const clientId = b.clientId ?? demoServiceAccount(sim).uniqueId;
    const propagationMs = b.propagationMs ?? sim.world.propagationMs;
    if (parts[1] === 'authorise') {
      if (!b.scopes?.length) return fail(a, 400, 'scopes: at least one scope to authorise');
      authorise(c.delegation, clientId, b.scopes, sim.now(), propagationMs);
    } else revoke(c.delegation, clientId, b.scopes, sim.now(), propagationMs);
    return ok(a, 200, { clientId, scopes: listed(c.delegation, clientId, sim.now()) });
  }
  return false;
}

async function apis(a: AdminRequest): Promise<boolean> {
  const { sim, parts, method } = a;
  if (parts.length !== 1 || method !== 'POST') return false;
  const b = await parsed(a, apiSchema);
  if (!b) return true;
  const project = sim.world.projects.get(b.project ?? sim.world.customerProjectId);
  if (!project) return fail(a, 404, `no project ${b.project}`);
  if (b.enabled) project.enabledApis.add(b.api as GoogleApi);
  else project.enabledApis.delete(b.api as GoogleApi);
  return ok(a, 200, { project: project.id, enabledApis: [...project.enabledApis] });
}

async function tokenCreators(a: AdminRequest): Promise<boolean> {
  const { sim, parts, method } = a;
  if (parts.length !== 1) return false;
  if (method === 'GET') return ok(a, 200, { bindings: [...sim.world.tokenCreators].map((k) => { const [member, serviceAccount] = k.split('\u0000'); return { member, serviceAccount }; }) });
  if (method !== 'POST') return false;
  const b = await parsed(a, tokenCreatorSchema);
  if (!b) return true;
  const key = tokenCreatorKey(b.member, b.serviceAccount);
  if (b.granted) sim.world.tokenCreators.add(key);
  else sim.world.tokenCreators.delete(key);
  return ok(a, 200, { member: b.member, serviceAccount: b.serviceAccount, granted: b.granted });
}

async function serviceAccounts(a: AdminRequest): Promise<boolean> {
  const { sim, parts, method } = a;
  if (parts.length < 2) return false;
  const sa = sim.world.serviceAccounts.get(parts[1]!.toLowerCase());
  if (!sa) return fail(a, 404, `no service account ${parts[1]}`);
  const summary = () => ({ email: sa.email, uniqueId: sa.uniqueId, projectId: sa.projectId, disabled: sa.disabled, deleted: sa.deleted, keys: sa.userManagedKeys.map((k) => ({ keyId: k.keyId, createdAt: k.createdAt ?? null })) });
  if (parts.length === 2 && method === 'GET') return ok(a, 200, summary());
  if (parts.length === 2 && method === 'POST') {
    const b = await parsed(a, serviceAccountSchema);
    if (!b) return true;
    if (b.disabled !== undefined) sa.disabled = b.disabled;
    if (b.deleted !== undefined) sa.deleted = b.deleted;
    return ok(a, 200, summary());
  }
  if (parts[2] !== 'keys') return false;
  if (parts.length === 3 && method === 'POST') {
    // A new user-managed key, downloaded once as the console does; the old ones stay valid until deleted.
    const key = newSandboxKey(sim.now());
    sa.userManagedKeys = [...sa.userManagedKeys, key];
    return ok(a, 201, { keyId: key.keyId, createdAt: key.createdAt, keyJson: keyFileJson({ projectId: sa.projectId, email: sa.email, clientId: sa.uniqueId, key, tokenUri: 'https://oauth2.googleapis.com/token' }) });
  }
  if (parts.length === 4 && method === 'DELETE') {
    const before = sa.userManagedKeys.length;
    sa.userManagedKeys = sa.userManagedKeys.filter((k) => k.keyId !== parts[3]);
    if (sa.userManagedKeys.length === before) return fail(a, 404, `no key ${parts[3]}`);
    return ok(a, 200, summary());
  }
  return false;
}
