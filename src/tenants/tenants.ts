import { z } from 'zod';
import type { Runtime } from '../runtime/context.js';
import { AppError } from '../errors/index.js';
import { nowIso } from '../model/ids.js';
import { recordAudit } from '../audit/audit.js';
import { isRole, type Role } from '../auth/permissions.js';
import { invalidRequest } from '../api/route.js';

/** Input checked here, for the API and the local CLI alike: a refusal is the catalogue's request.invalid. */
function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (!r.success) throw invalidRequest(r.error, 'body');
  return r.data;
}

/**
 * Several organisations in one installation (issue 12, point 4): a service provider runs one
 * Syncwarden for its customers. A tenant is an id people type (its slug: `acme`) and a name.
 * People are installation-wide (one email, one password); what they may do is a role per
 * tenant (`memberships`), so one person can be the Owner of one customer and a Viewer of
 * another. A session, an API token and a sign-in link each belong to one tenant; every
 * store function takes the tenant id first, and an id from another tenant answers 404.
 */
export const tenantIdSchema = z.string().trim().toLowerCase().regex(/^[a-z0-9][a-z0-9-]{1,39}$/, 'must be 2–40 lower-case letters, digits or dashes, starting with a letter or digit');
const nameSchema = z.string().trim().min(1).max(200);

export const createTenantSchema = z.object({ id: tenantIdSchema, name: nameSchema }).strict();
export const renameTenantSchema = z.object({ name: nameSchema }).strict();
export const switchTenantSchema = z.object({ tenant: z.string().trim().toLowerCase().min(1).max(40) }).strict();

export interface TenantView {
  id: string;
  name: string;
  createdAt: string | null;
  /** The caller's role there (absent in the installation-wide list of the local CLI). */
  role?: Role;
  /** Members (the installation-wide list only). */
  members?: number;
}

/** The tenants a person belongs to, with their role in each (tenants without a row show their id as name). */
export async function tenantsOf(rt: Runtime, userId: string): Promise<TenantView[]> {
  const rows = await rt.store.db.selectFrom('memberships').leftJoin('tenants', 'tenants.id', 'memberships.tenant_id')
    .select(['memberships.tenant_id', 'memberships.role', 'tenants.name', 'tenants.created_at'])
    .where('memberships.user_id', '=', userId).orderBy('memberships.tenant_id').execute();
  return rows.filter((r) => isRole(r.role)).map((r) => ({ id: r.tenant_id, name: r.name ?? r.tenant_id, createdAt: r.created_at ?? null, role: r.role as Role }));
}

/** Every tenant of the installation (the local CLI, which acts as the installation itself). */
export async function allTenants(rt: Runtime): Promise<TenantView[]> {
  const rows = await rt.store.db.selectFrom('tenants').select(['id', 'name', 'created_at']).orderBy('id').execute();
  const counts = await rt.store.db.selectFrom('memberships').select(['tenant_id', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('tenant_id').execute();
  const n = new Map(counts.map((c) => [c.tenant_id, Number(c.n)]));
  const out: TenantView[] = rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at, members: n.get(r.id) ?? 0 }));
  // Tenants that have members but no row (made by code before migration 0011) are listed too.
  for (const [id, members] of n) if (!rows.some((r) => r.id === id)) out.push({ id, name: id, createdAt: null, members });
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

export async function tenantView(rt: Runtime, tenantId: string): Promise<TenantView> {
  const row = await rt.store.db.selectFrom('tenants').select(['id', 'name', 'created_at']).where('id', '=', tenantId).executeTakeFirst();
  if (row) return { id: row.id, name: row.name, createdAt: row.created_at };
  const member = await rt.store.db.selectFrom('memberships').select('tenant_id').where('tenant_id', '=', tenantId).limit(1).executeTakeFirst();
  if (!member) throw new AppError('tenant.not_found', { id: tenantId });
  return { id: tenantId, name: tenantId, createdAt: null };
}

/**
 * Makes a tenant. `creator` (a signed-in Owner; null for the local CLI) becomes its Owner.
 * Audited in the new tenant's log and, for a person, in the log of the tenant they acted from.
 */
export async function createTenant(rt: Runtime, body: unknown, creator: { userId: string; email: string; fromTenantId: string } | null): Promise<TenantView> {
  const input = parse(createTenantSchema, body);
  const now = nowIso(rt.now());
  const taken = await rt.store.db.selectFrom('tenants').select('id').where('id', '=', input.id).executeTakeFirst()
    ?? await rt.store.db.selectFrom('memberships').select('tenant_id as id').where('tenant_id', '=', input.id).limit(1).executeTakeFirst();
  if (taken) throw new AppError('tenant.exists', { id: input.id });
  try {
    await rt.store.db.transaction().execute(async (trx) => {
      await trx.insertInto('tenants').values({ id: input.id, name: input.name, created_at: now, created_by: creator ? `user:${creator.email}` : 'cli', updated_at: null }).execute();
      if (creator) await trx.insertInto('memberships').values({ tenant_id: input.id, user_id: creator.userId, role: 'owner', created_at: now }).execute();
    });
  } catch (e) {
    // Two creations of the same id at once: the primary key refused the second.
    if (await rt.store.db.selectFrom('tenants').select('id').where('id', '=', input.id).executeTakeFirst()) throw new AppError('tenant.exists', { id: input.id });
    throw e;
  }
  const target = { type: 'tenant', id: input.id, name: input.name };
  await recordAudit(rt.store.db, rt.store.dialect, input.id, {
    severity: 'info', action: 'tenant.created', actor: 'admin', target,
    message: `Organisation "${input.name}" (${input.id}) created${creator ? ` by ${creator.email}, its first owner` : ' on the server'}`,
  }, rt.now());
  if (creator && creator.fromTenantId !== input.id) {
    await recordAudit(rt.store.db, rt.store.dialect, creator.fromTenantId, {
      severity: 'info', action: 'tenant.created', actor: 'admin', target,
      message: `${creator.email} created another organisation, "${input.name}" (${input.id}), and became its owner`,
    }, rt.now());
  }
  return { ...(await tenantView(rt, input.id)), ...(creator ? { role: 'owner' as const } : {}) };
}

/** Renames a tenant (its id, which people type, stays). */
export async function renameTenant(rt: Runtime, tenantId: string, body: unknown): Promise<TenantView> {
  const input = parse(renameTenantSchema, body);
  const before = await tenantView(rt, tenantId);
  const now = nowIso(rt.now());
  if (before.createdAt === null) {
    await rt.store.db.insertInto('tenants').values({ id: tenantId, name: input.name, created_at: now, created_by: null, updated_at: now }).onConflict((oc) => oc.doNothing()).execute();
  }
  await rt.store.db.updateTable('tenants').set({ name: input.name, updated_at: now }).where('id', '=', tenantId).execute();
  if (before.name !== input.name) {
    await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
      severity: 'info', action: 'tenant.renamed', actor: 'admin', target: { type: 'tenant', id: tenantId, name: input.name },
      message: `Organisation ${tenantId} renamed: "${before.name}" → "${input.name}"`,
    }, rt.now());
  }
  return tenantView(rt, tenantId);
}

/**
 * Which tenant a password sign-in opens: the one asked for, else the last used (if the person
 * still belongs to it), else the only one. Null: the person belongs to none (or not to the one
 * asked for). Throws tenant.choose when it is ambiguous — called only after the password was
 * checked, so it tells nothing to someone who does not know it.
 */
export async function signInTenant(rt: Runtime, userId: string, requested: string | null): Promise<string | null> {
  const mine = await tenantsOf(rt, userId);
  if (requested) return mine.some((t) => t.id === requested.trim().toLowerCase()) ? requested.trim().toLowerCase() : null;
  if (mine.length === 0) return null;
  if (mine.length === 1) return mine[0]!.id;
  const last = (await rt.store.db.selectFrom('users').select('last_tenant_id').where('id', '=', userId).executeTakeFirst())?.last_tenant_id;
  if (last && mine.some((t) => t.id === last)) return last;
  throw new AppError('tenant.choose', {});
}

/** Remembers the tenant a person last signed in to or switched to. */
export async function rememberTenant(rt: Runtime, userId: string, tenantId: string): Promise<void> {
  await rt.store.db.updateTable('users').set({ last_tenant_id: tenantId }).where('id', '=', userId).execute();
}

/**
 * Moves a browser session to another tenant where the person has a role (404 otherwise: a
 * tenant one does not belong to is not told apart from one that does not exist). Audited in
 * both tenants' logs.
 */
export async function switchTenant(rt: Runtime, session: { sessionId: string; userId: string; email: string; tenantId: string }, body: unknown): Promise<TenantView> {
  const input = parse(switchTenantSchema, body);
  const target = (await tenantsOf(rt, session.userId)).find((t) => t.id === input.tenant);
  if (!target) throw new AppError('tenant.not_found', { id: input.tenant });
  if (target.id === session.tenantId) return target;
  await rt.store.db.updateTable('sessions').set({ tenant_id: target.id }).where('id', '=', session.sessionId).where('user_id', '=', session.userId).execute();
  await rememberTenant(rt, session.userId, target.id);
  const from = await tenantView(rt, session.tenantId).catch(() => ({ id: session.tenantId, name: session.tenantId }));
  await recordAudit(rt.store.db, rt.store.dialect, session.tenantId, {
    severity: 'info', action: 'tenant.switched', actor: 'admin', target: { type: 'tenant', id: target.id, name: target.name },
    message: `${session.email} switched from this organisation to "${target.name}" (${target.id})`,
  }, rt.now());
  await recordAudit(rt.store.db, rt.store.dialect, target.id, {
    severity: 'info', action: 'tenant.switched', actor: 'admin', target: { type: 'tenant', id: target.id, name: target.name },
    message: `${session.email} switched to this organisation from "${from.name}" (${from.id}) as ${target.role}`,
  }, rt.now());
  return target;
}

/** The other tenants a person belongs to (besides `tenantId`): a shared account is changed only by the installation's operator. */
export async function otherTenantsOf(rt: Runtime, userId: string, tenantId: string): Promise<string[]> {
  const rows = await rt.store.db.selectFrom('memberships').select('tenant_id').where('user_id', '=', userId).where('tenant_id', '!=', tenantId).execute();
  return rows.map((r) => r.tenant_id);
}
