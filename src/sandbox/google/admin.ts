import { randomInt } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { requestUrl } from '../http.js';
import { customerFor, fail, ok, parsed, type AdminHandler, type AdminRequest } from './admin-http.js';
import { directoryAdmin } from './admin-directory.js';
import { iamAdmin } from './admin-iam.js';
import { mailAdmin } from './admin-mail.js';
import { createCustomer, primaryDomain, seedGeneratedAdmins, type Customer } from './customer.js';
import { authorise } from './delegation.js';
import { deleteUserEverywhere, userResource } from './directory.js';
import { LARGE_CUSTOMER, mix } from './generated.js';
import { messagesForAdmin } from './gmail.js';
import { newStats } from './quotas.js';
import { SUPER_ADMIN_ROLE } from './roles-store.js';
import type { GoogleSim } from './sim.js';
import { addUser, customerOfDomain, DEMO_DIRECTORY_SCOPES, domainOf, SCOPES } from './world.js';

/**
 * The Google part of the sandbox admin API (under /google/ on the admin origin): customers
 * (the demo one, generated large ones), users, groups and roles, domain-wide delegation,
 * APIs, IAM, quotas, counters. Every route is listed in docs/sandbox.md.
 */
const newUserSchema = z.object({ primaryEmail: z.email(), givenName: z.string().min(1), familyName: z.string().min(1), isAdmin: z.boolean().optional() });
const patchUserSchema = z
  .object({ suspended: z.boolean(), archived: z.boolean(), isAdmin: z.boolean(), givenName: z.string().min(1), familyName: z.string().min(1), orgUnitPath: z.string().startsWith('/'), lastLoginTime: z.iso.datetime().nullable(), employeeId: z.string().nullable(), managerEmail: z.email().nullable() })
  .partial();
const quotasSchema = z
  .object({
    domain: z.string().min(3),
    userUnitsPerMinute: z.number().int().positive(),
    projectUnitsPerMinute: z.number().int().positive(),
    userConcurrency: z.number().int().positive(),
    newUserMailDelayMs: z.number().int().min(0),
    searchIndexLagMs: z.number().int().min(0).max(3_600_000),
    directoryQueriesPerMinute: z.number().int().positive(),
    directoryConcurrency: z.number().int().positive(),
    directoryThrottling: z.boolean(),
    directoryLatencyMs: z.number().int().min(0).max(60_000),
  })
  .partial();
const sizeSchema = z.object({ users: z.number().int().min(0).max(1_000_000), groups: z.number().int().min(0).max(100_000), memberships: z.number().int().min(0).max(10_000_000) });
const newCustomerSchema = z.object({
  domain: z.string().regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/),
  size: z.union([z.literal('large'), sizeSchema]).default('large'),
  seed: z.number().int().optional(),
  /** Authorise the demo service account for the read-only Directory scopes (settled at once). */
  delegateDemoServiceAccount: z.boolean().default(true),
});

export function googleAdmin(sim: GoogleSim) {
  const handlers: AdminHandler[] = [customersAdmin, mailAdmin, usersAdmin, mailboxAdmin, quotasAdmin, statsAdmin, directoryAdmin, iamAdmin];
  return async (req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> => {
    if (!path.startsWith('/google/')) return false;
    const a: AdminRequest = { sim, req, res, method: req.method ?? 'GET', parts: path.split('/').slice(2).map(decodeURIComponent), url: requestUrl(req) };
    for (const h of handlers) if (await h(a)) return true;
    return false;
  };
}

export function customerSummary(c: Customer): Record<string, unknown> {
  return { customerId: c.id, domain: primaryDomain(c), domains: c.domains, kind: c.kind, users: c.users.count(), groups: c.groups.count(), generatedMemberships: c.generated?.size.memberships ?? null, adminEmail: `admin@${primaryDomain(c)}`, directoryQuota: c.directoryQuota };
}

async function customersAdmin(a: AdminRequest): Promise<boolean> {
  const { sim, method, parts } = a;
  if (parts[0] !== 'customers') return false;
  if (parts.length === 1 && method === 'GET') return ok(a, 200, { customers: [...sim.world.customers.values()].map(customerSummary) });
  if (parts.length === 1 && method === 'POST') {
    const b = await parsed(a, newCustomerSchema);
    if (!b) return true;
    if (customerOfDomain(sim.world, b.domain)) return fail(a, 409, `a customer already owns ${b.domain}`);
    const seed = b.seed ?? mix(sim.ctx.seed, b.domain.length * 7919 + b.domain.charCodeAt(0));
    const id = `C0${(mix(seed, 1) % 36 ** 7).toString(36).padStart(7, '0')}`;
    const c = createCustomer({ id, domains: [b.domain], seed, size: b.size === 'large' ? LARGE_CUSTOMER : b.size });
    seedGeneratedAdmins(c, seed, `1${String(mix(seed, 2) % 10 ** 9).padStart(9, '0')}${String(mix(seed, 3) % 10 ** 11).padStart(11, '0')}`, Date.UTC(2019, 4, 1));
    if (b.delegateDemoServiceAccount) {
      const demoSa = [...sim.world.serviceAccounts.values()].find((s) => s.projectId === sim.world.customerProjectId);
      if (demoSa) authorise(c.delegation, demoSa.uniqueId, [...DEMO_DIRECTORY_SCOPES, SCOPES.directoryUser], 0, 0);
    }
    sim.world.customers.set(c.id, c);
    return ok(a, 201, customerSummary(c));
  }
  if (parts.length === 2 && method === 'DELETE') {
    const c = customerOfDomain(sim.world, parts[1]!);
    if (!c) return fail(a, 404, `no customer owns ${parts[1]}`);
    if (c.id === sim.world.customerId) return fail(a, 400, 'the demo customer cannot be removed');
    sim.world.customers.delete(c.id);
    return ok(a, 200, { deleted: c.id });
  }
  return false;
}

async function usersAdmin(a: AdminRequest): Promise<boolean> {
  const { sim, method, parts, url } = a;
  if (parts[0] !== 'users' || parts.length > 2) return false;
  if (parts.length === 1 && method === 'GET') {
    const c = customerFor(a, url.searchParams.get('domain'));
    if (!c) return fail(a, 404, 'no such customer');
    const limit = Math.min(Number(url.searchParams.get('limit') ?? 1000) || 1000, 10_000);
    const users = [];
    for (const u of c.users.scan(null)) {
      if (users.length >= limit) break;
      users.push(userResource(sim, c, u));
    }
    return ok(a, 200, { users });
  }
  if (parts.length === 1 && method === 'POST') {
    const b = await parsed(a, newUserSchema);
    if (!b) return true;
    const c = customerOfDomain(sim.world, domainOf(b.primaryEmail));
    if (!c) return fail(a, 400, `domain of ${b.primaryEmail} is not a customer's`);
    if (c.users.get(b.primaryEmail)) return fail(a, 409, `user ${b.primaryEmail} exists`);
    const user = addUser(c, { id: `1${Array.from({ length: 20 }, () => randomInt(10)).join('')}`, primaryEmail: b.primaryEmail, givenName: b.givenName, familyName: b.familyName, creationTime: sim.now() });
    if (b.isAdmin) c.roles.assign({ roleId: c.roles.role(SUPER_ADMIN_ROLE)!.roleId, assignedTo: user.id, assigneeType: 'USER', scopeType: 'CUSTOMER' });
    return ok(a, 201, userResource(sim, c, user));
  }
  const c = customerFor(a, parts[1]!);
  const user = c?.users.get(parts[1]!);
  if (!c || !user) return fail(a, 404, `no Google user ${parts[1]}`);
  if (method === 'GET') return ok(a, 200, userResource(sim, c, user));
  if (method === 'DELETE') {
    deleteUserEverywhere(c, user.id, sim.now());
    return ok(a, 200, { deleted: user.id });
  }
  if (method === 'PATCH') {
    const b = await parsed(a, patchUserSchema);
    if (!b) return true;
    const u = c.users.materialise(user.id)!;
    if (b.suspended !== undefined) u.suspended = b.suspended;
    if (b.archived !== undefined) u.archived = b.archived;
    if (b.givenName) u.givenName = b.givenName;
    if (b.familyName) u.familyName = b.familyName;
    if (b.orgUnitPath) u.orgUnitPath = b.orgUnitPath;
    if (b.lastLoginTime !== undefined) u.lastLoginTime = b.lastLoginTime === null ? null : Date.parse(b.lastLoginTime);
    if (b.employeeId !== undefined) u.externalIds = [...u.externalIds.filter((e) => e.type !== 'organization'), ...(b.employeeId ? [{ value: b.employeeId, type: 'organization' }] : [])];
    if (b.managerEmail !== undefined) u.relations = [...u.relations.filter((r) => r.type !== 'manager'), ...(b.managerEmail ? [{ value: b.managerEmail.toLowerCase(), type: 'manager' }] : [])];
    if (b.isAdmin !== undefined) {
      const superAdmin = c.roles.role(SUPER_ADMIN_ROLE)!;
      const held = c.roles.assignmentsOf(u.id).filter((x) => x.roleId === superAdmin.roleId);
      if (b.isAdmin && held.length === 0) c.roles.assign({ roleId: superAdmin.roleId, assignedTo: u.id, assigneeType: 'USER', scopeType: 'CUSTOMER' });
      if (!b.isAdmin) for (const x of held) c.roles.unassign(x.roleAssignmentId);
    }
    return ok(a, 200, userResource(sim, c, u));
  }
  return false;
}

async function mailboxAdmin(a: AdminRequest): Promise<boolean> {
  const { parts, method } = a;
  if (parts[0] !== 'users' || parts.length !== 3 || method !== 'GET' || (parts[2] !== 'messages' && parts[2] !== 'labels')) return false;
  const c = customerFor(a, parts[1]!);
  const user = c?.users.materialise(parts[1]!);
  if (!user) return fail(a, 404, `no Google user ${parts[1]}`);
  return parts[2] === 'messages' ? ok(a, 200, { messages: messagesForAdmin(user) }) : ok(a, 200, { labels: [...user.mailbox.labels.values()] });
}

async function quotasAdmin(a: AdminRequest): Promise<boolean> {
  const { sim, parts, method } = a;
  if (parts[0] !== 'quotas' || parts.length !== 1 || (method !== 'POST' && method !== 'GET')) return false;
  if (method === 'POST') {
    const b = await parsed(a, quotasSchema);
    if (!b) return true;
    const targets = b.domain ? [customerFor(a, b.domain)] : [...sim.world.customers.values()];
    if (targets.some((t) => !t)) return fail(a, 404, `no customer owns ${b.domain}`);
    const q = sim.world.quotas;
    if (b.userUnitsPerMinute !== undefined) q.userUnitsPerMinute = b.userUnitsPerMinute;
    if (b.projectUnitsPerMinute !== undefined) q.projectUnitsPerMinute = b.projectUnitsPerMinute;
    if (b.userConcurrency !== undefined) q.userConcurrency = b.userConcurrency;
    if (b.newUserMailDelayMs !== undefined) q.newUserMailDelayMs = b.newUserMailDelayMs;
    if (b.searchIndexLagMs !== undefined) q.searchIndexLagMs = b.searchIndexLagMs;
    for (const c of targets as Customer[]) {
      const d = c.directoryQuota;
      if (b.directoryQueriesPerMinute !== undefined) d.queriesPerMinute = b.directoryQueriesPerMinute;
      if (b.directoryConcurrency !== undefined) d.concurrency = b.directoryConcurrency;
      if (b.directoryThrottling !== undefined) d.enabled = b.directoryThrottling;
      if (b.directoryLatencyMs !== undefined) d.latencyMs = b.directoryLatencyMs;
    }
    // New limits start from a clean window, so a test's small quota means what it says.
    sim.windows.reset();
  }
  return ok(a, 200, {
    quotas: { ...sim.world.quotas, directoryQueriesPerMinute: sim.world.customers.get(sim.world.customerId)!.directoryQuota.queriesPerMinute },
    directory: Object.fromEntries([...sim.world.customers.values()].map((c) => [primaryDomain(c), c.directoryQuota])),
  });
}

async function statsAdmin(a: AdminRequest): Promise<boolean> {
  if (a.parts[0] !== 'stats' || a.parts.length !== 1) return false;
  if (a.method === 'DELETE') a.sim.stats = newStats();
  return ok(a, 200, a.sim.stats);
}
