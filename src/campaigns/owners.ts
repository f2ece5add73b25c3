import { z } from 'zod';
import type { Runtime } from '../runtime/context.js';
import { AppError } from '../errors/index.js';
import { nowIso } from '../model/ids.js';
import { requireConnection } from '../connections/service.js';
import { invalidInput } from '../connections/credentials.js';
import { loadPeople, personOf, type Person } from './people.js';
import { audit } from './store.js';

/**
 * Owners set in Syncwarden: who reviews a group's or role's access in a campaign's owner mode
 * (src/campaigns/assign.ts reads `resource_owners`), for resources whose provider reports no
 * owner (roles, app roles, SCIM groups) or reports the wrong one. They add to the owners the
 * provider reports; the set is replaced whole, and each change is audited with before and after.
 */
export const ownersBodySchema = z.object({ userIds: z.array(z.string().trim().min(1).max(100)).max(50) });
export type OwnersBody = z.infer<typeof ownersBodySchema>;

export interface ResourceOwnersView {
  connectionId: string;
  resourceId: string;
  resourceName: string;
  /** group, or the entitlement's type (role, app_role, policy, …). */
  resourceType: string;
  /** Set in Syncwarden. */
  owners: Person[];
  /** As the provider reports them (group members with the owner role): account ids and names. */
  reported: { accountId: string; name: string }[];
}

interface Resource { id: string; name: string; type: string }

async function requireResource(rt: Runtime, tenantId: string, connectionId: string, resourceId: string): Promise<Resource> {
  await requireConnection(rt, tenantId, connectionId);
  const db = rt.store.db;
  const g = await db.selectFrom('dir_groups').select(['external_id', 'display_name']).where('tenant_id', '=', tenantId).where('connection_id', '=', connectionId).where('external_id', '=', resourceId).executeTakeFirst();
  if (g) return { id: g.external_id, name: g.display_name, type: 'group' };
  const e = await db.selectFrom('dir_entitlements').select(['external_id', 'display_name', 'entitlement_type']).where('tenant_id', '=', tenantId).where('connection_id', '=', connectionId).where('external_id', '=', resourceId).executeTakeFirst();
  if (e) return { id: e.external_id, name: e.display_name, type: e.entitlement_type };
  throw new AppError('request.not_found', { entity: 'group or role of this connection', id: resourceId });
}

async function view(rt: Runtime, tenantId: string, connectionId: string, r: Resource, people?: Awaited<ReturnType<typeof loadPeople>>): Promise<ResourceOwnersView> {
  const db = rt.store.db;
  const p = people ?? (await loadPeople(rt, tenantId));
  const set = await db.selectFrom('resource_owners').select('user_id').where('tenant_id', '=', tenantId).where('connection_id', '=', connectionId).where('resource_id', '=', r.id).orderBy('created_at').orderBy('user_id').execute();
  const reported = r.type !== 'group' ? [] : await db.selectFrom('dir_memberships')
    .innerJoin('dir_accounts', (j) => j.onRef('dir_accounts.tenant_id', '=', 'dir_memberships.tenant_id').onRef('dir_accounts.connection_id', '=', 'dir_memberships.connection_id').onRef('dir_accounts.external_id', '=', 'dir_memberships.member_id'))
    .select(['dir_accounts.external_id', 'dir_accounts.user_name', 'dir_memberships.role'])
    .where('dir_memberships.tenant_id', '=', tenantId).where('dir_memberships.connection_id', '=', connectionId).where('dir_memberships.group_id', '=', r.id).where('dir_memberships.member_type', '=', 'account')
    .execute();
  return {
    connectionId, resourceId: r.id, resourceName: r.name, resourceType: r.type,
    owners: set.map((o) => personOf(p, o.user_id)!),
    reported: reported.filter((m) => (m.role ?? '').toLowerCase() === 'owner').map((m) => ({ accountId: m.external_id, name: m.user_name })),
  };
}

export async function getOwners(rt: Runtime, tenantId: string, connectionId: string, resourceId: string): Promise<ResourceOwnersView> {
  return view(rt, tenantId, connectionId, await requireResource(rt, tenantId, connectionId, resourceId));
}

/** Every resource of a connection with owners set in Syncwarden. */
export async function listOwners(rt: Runtime, tenantId: string, connectionId: string): Promise<{ items: ResourceOwnersView[] }> {
  await requireConnection(rt, tenantId, connectionId);
  const ids = await rt.store.db.selectFrom('resource_owners').select('resource_id').distinct().where('tenant_id', '=', tenantId).where('connection_id', '=', connectionId).orderBy('resource_id').execute();
  const people = await loadPeople(rt, tenantId);
  const items: ResourceOwnersView[] = [];
  for (const { resource_id } of ids) {
    // An owner set on a group the provider has since deleted is still shown (and can be cleared).
    const r = await requireResource(rt, tenantId, connectionId, resource_id).catch(() => ({ id: resource_id, name: `(gone from the directory) ${resource_id}`, type: 'group' }));
    items.push(await view(rt, tenantId, connectionId, r, people));
  }
  return { items };
}

/** Replaces the owners set in Syncwarden (an empty list clears them); audited with before and after. */
export async function setOwners(rt: Runtime, tenantId: string, connectionId: string, resourceId: string, body: unknown, actor: string): Promise<ResourceOwnersView> {
  // The resource first: a foreign or unknown id answers 404 whatever the body says.
  const r = await requireResource(rt, tenantId, connectionId, resourceId);
  let input: OwnersBody;
  try {
    input = ownersBodySchema.parse(body);
  } catch (e) {
    invalidInput(e);
  }
  const people = await loadPeople(rt, tenantId);
  const wanted = [...new Set(input.userIds)];
  for (const id of wanted) {
    const p = people.byId.get(id);
    // Owners review access: only a user who can sign in to this tenant.
    if (!p || !people.byEmail.has(p.email.toLowerCase())) throw new AppError('campaigns.no_reviewer', { user: id, detail: 'no enabled user of this tenant has this id' });
  }
  const before = await view(rt, tenantId, connectionId, r, people);
  const now = nowIso(rt.now());
  await rt.store.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('resource_owners').where('tenant_id', '=', tenantId).where('connection_id', '=', connectionId).where('resource_id', '=', r.id).execute();
    if (wanted.length > 0) await trx.insertInto('resource_owners').values(wanted.map((user_id) => ({ tenant_id: tenantId, connection_id: connectionId, resource_id: r.id, user_id, created_at: now }))).execute();
  });
  const after = await view(rt, tenantId, connectionId, r, people);
  const names = (v: ResourceOwnersView) => (v.owners.length ? v.owners.map((o) => o.email || o.displayName).join(', ') : 'none');
  if (names(before) !== names(after)) {
    await audit(rt, tenantId, {
      severity: 'info', action: 'resource.owners_set', actor, target: { type: 'resource', id: `${connectionId}/${r.id}`, name: r.name },
      message: `Owners of "${r.name}" set in Syncwarden: ${names(before)} → ${names(after)}`,
    });
  }
  return after;
}
