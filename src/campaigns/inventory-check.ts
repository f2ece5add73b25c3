import type { Runtime } from '../runtime/context.js';
import type { ItemRow } from './store.js';

const MEMBERSHIP_KINDS = new Set(['group_membership', 'aws_group_membership', 'scim_group_membership']);

/**
 * Is the access an item names still in the identity inventory? Direct memberships and grants by
 * their row, an access key while it is active, access through a group by the account's
 * membership of the group it comes through. Checked in chunks; answers the ids still present.
 */
export async function stillInInventory(rt: Runtime, tenantId: string, items: Pick<ItemRow, 'id' | 'connection_id' | 'kind' | 'resource_id' | 'account_id' | 'via' | 'via_group_id'>[]): Promise<Set<string>> {
  const db = rt.store.db;
  const present = new Set<string>();
  const byConn = new Map<string, typeof items>();
  for (const it of items) byConn.set(it.connection_id, [...(byConn.get(it.connection_id) ?? []), it]);
  for (const [connectionId, list] of byConn) {
    const members = list.filter((i) => MEMBERSHIP_KINDS.has(i.kind) || (i.via === 'group' && i.via_group_id));
    const grants = list.filter((i) => !MEMBERSHIP_KINDS.has(i.kind) && i.kind !== 'aws_access_key' && i.via !== 'group');
    const keys = list.filter((i) => i.kind === 'aws_access_key');
    for (let k = 0; k < members.length; k += 500) {
      const part = members.slice(k, k + 500);
      const groupOf = (i: (typeof part)[number]) => (i.via === 'group' && i.via_group_id ? i.via_group_id : i.resource_id);
      const rows = await db.selectFrom('dir_memberships').select(['group_id', 'member_id']).where('tenant_id', '=', tenantId).where('connection_id', '=', connectionId)
        .where('member_id', 'in', [...new Set(part.map((i) => i.account_id))]).where('group_id', 'in', [...new Set(part.map(groupOf))]).execute();
      const set = new Set(rows.map((r) => `${r.group_id}\u0001${r.member_id}`));
      for (const i of part) if (set.has(`${groupOf(i)}\u0001${i.account_id}`)) present.add(i.id);
    }
    for (let k = 0; k < grants.length; k += 500) {
      const part = grants.slice(k, k + 500);
      const rows = await db.selectFrom('dir_grants').select(['entitlement_id', 'principal_id']).where('tenant_id', '=', tenantId).where('connection_id', '=', connectionId)
        .where('principal_id', 'in', [...new Set(part.map((i) => i.account_id))]).where('entitlement_id', 'in', [...new Set(part.map((i) => i.resource_id))]).execute();
      const set = new Set(rows.map((r) => `${r.entitlement_id}\u0001${r.principal_id}`));
      for (const i of part) if (set.has(`${i.resource_id}\u0001${i.account_id}`)) present.add(i.id);
    }
    for (let k = 0; k < keys.length; k += 500) {
      const part = keys.slice(k, k + 500);
      const rows = await db.selectFrom('dir_credentials').select(['external_id']).where('tenant_id', '=', tenantId).where('connection_id', '=', connectionId).where('status', '=', 'active')
        .where('external_id', 'in', part.map((i) => i.resource_id)).execute();
      const set = new Set(rows.map((r) => r.external_id));
      for (const i of part) if (set.has(i.resource_id)) present.add(i.id);
    }
  }
  return present;
}
