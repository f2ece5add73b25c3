import type { Runtime } from '../runtime/context.js';
import { AppError } from '../errors/index.js';
import { requireConnection } from '../connections/service.js';
import { fromJson } from '../store/json.js';
import { walkGroups, type GroupEdge, type ReachedGroup } from '../directory/identities/nesting.js';
import type { AccessKind, CampaignInput } from './input.js';
import { recommend, type Recommendation } from './recommendation.js';

/**
 * The scope query: every (account × access) a campaign's connections and kinds yield from the
 * identity inventory, after the filters. Kinds map onto the inventory per connection kind:
 * memberships (group_membership on Entra and Google, aws_group_membership, scim_group_membership,
 * direct and through nested groups), grants of entitlements (directory_role and app_role on
 * Entra, google_admin_role, aws_policy — to the account or to one of its groups) and
 * credentials (aws_access_key, active keys).
 */
export interface ScopeItem {
  connectionId: string;
  connectionName: string;
  accountId: string;
  identityId: string | null;
  userName: string;
  displayName: string;
  email: string | null;
  enabled: boolean;
  guest: boolean;
  department: string | null;
  lastActivityAt: string | null;
  managerId: string | null;
  kind: AccessKind;
  resourceId: string;
  resourceName: string;
  privileged: boolean;
  via: 'direct' | 'group';
  chain: string[];
  viaGroupId: string | null;
  since: string | null;
  recommendation: Recommendation;
}

const KINDS_BY_CONNECTION: Record<string, readonly AccessKind[]> = {
  microsoft365: ['group_membership', 'directory_role', 'app_role'],
  google_workspace: ['group_membership', 'google_admin_role'],
  aws_iam: ['aws_group_membership', 'aws_policy', 'aws_access_key'],
  scim: ['scim_group_membership'],
};

export const MEMBERSHIP_KINDS = new Set<AccessKind>(['group_membership', 'aws_group_membership', 'scim_group_membership']);
export const GRANT_TYPES: Partial<Record<AccessKind, readonly string[]>> = {
  directory_role: ['role'],
  app_role: ['app_role'],
  google_admin_role: ['role'],
  aws_policy: ['policy', 'inline_policy'],
};

export function kindsOfConnection(kind: string): readonly AccessKind[] {
  return KINDS_BY_CONNECTION[kind] ?? [];
}

export interface ConnectionScope {
  connectionId: string;
  connectionName: string;
  connectionKind: string;
  writeBack: boolean;
  items: ScopeItem[];
  /** Group owners the provider reports (membership role OWNER): group id → owner account ids. */
  groupOwners: Map<string, string[]>;
  /** Members per resource (direct holders), for the breaker's share. */
  holders: Map<string, number>;
  /** Rule-based (dynamic) groups, whose members cannot be removed one by one. */
  ruleBased: Set<string>;
}

const DAY = 86_400_000;

export const byGroupId = (a: { groupId: string }, b: { groupId: string }): number => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0);

function attr(json: string, ...names: string[]): string | null {
  const a = fromJson<Record<string, unknown>>(json, {});
  for (const n of names) {
    const v = a[n];
    if (typeof v === 'string' && v.length > 0) return v;
  }
  return null;
}

function isRuleBased(attributesJson: string): boolean {
  const a = fromJson<Record<string, unknown>>(attributesJson, {});
  const types = a['groupTypes'];
  return Boolean(a['membershipRule']) || a['dynamic'] === true || (typeof types === 'string' && types.includes('DynamicMembership')) || (Array.isArray(types) && types.includes('DynamicMembership'));
}

/** Reads one connection's slice of the inventory and answers its items (filters applied). */
export async function scopeConnection(rt: Runtime, tenantId: string, connectionId: string, input: CampaignInput, memberOf: Set<string> | null): Promise<ConnectionScope> {
  const row = await requireConnection(rt, tenantId, connectionId);
  if (row.role !== 'directory') throw new AppError('directory.not_directory', { name: row.name, role: row.role.replace(/_/g, ' ') });
  const db = rt.store.db;
  const kinds = input.kinds.filter((k) => kindsOfConnection(row.kind).includes(k));
  const filters = input.filters ?? {};
  const nowMs = rt.now();
  const out: ConnectionScope = { connectionId, connectionName: row.name, connectionKind: row.kind, writeBack: Number(row.write_back) === 1, items: [], groupOwners: new Map(), holders: new Map(), ruleBased: new Set() };
  if (kinds.length === 0) return out;

  const accounts = await db.selectFrom('dir_accounts')
    .select(['external_id', 'identity_id', 'user_name', 'display_name', 'email', 'enabled', 'external', 'account_type', 'last_sign_in_at', 'attributes_json'])
    .where('tenant_id', '=', tenantId).where('connection_id', '=', connectionId).execute();
  const groups = new Map<string, string>();
  for (const g of await db.selectFrom('dir_groups').select(['external_id', 'display_name', 'attributes_json']).where('tenant_id', '=', tenantId).where('connection_id', '=', connectionId).execute()) {
    groups.set(g.external_id, g.display_name);
    if (isRuleBased(g.attributes_json)) out.ruleBased.add(g.external_id);
  }
  const parents = new Map<string, GroupEdge[]>();
  const key = (type: string, id: string) => (type === 'account' ? `a\u0001${id}` : `g\u0001${id}`);
  for (const m of await db.selectFrom('dir_memberships').select(['group_id', 'member_id', 'member_type', 'role']).where('tenant_id', '=', tenantId).where('connection_id', '=', connectionId).execute()) {
    const k = key(m.member_type, m.member_id);
    let list = parents.get(k);
    if (!list) parents.set(k, (list = []));
    list.push({ groupId: m.group_id, memberId: m.member_id, role: m.role });
    if (m.member_type === 'account') {
      out.holders.set(m.group_id, (out.holders.get(m.group_id) ?? 0) + 1);
      if (m.role && m.role.toLowerCase() === 'owner') {
        let owners = out.groupOwners.get(m.group_id);
        if (!owners) out.groupOwners.set(m.group_id, (owners = []));
        owners.push(m.member_id);
      }
    }
  }
  // Code-unit order of group ids: when two groups lead to the same access, the walk keeps the
  // first, the same one on either database and in snapshot-facts.ts.
  for (const list of parents.values()) list.sort(byGroupId);
  const { entitlements, grantsByPrincipal, privilegedGroups, credentials } = await loadGrantsAndKeys(rt, tenantId, connectionId, kinds, Boolean(filters.privilegedOnly), {
    grant: (g) => g.principal_type === 'account' && out.holders.set(g.entitlement_id, (out.holders.get(g.entitlement_id) ?? 0) + 1),
    key: (id) => out.holders.set(id, 1),
  });

  const inactiveBefore = filters.inactiveDays ? nowMs - filters.inactiveDays * DAY : null;
  const raw: Omit<ScopeItem, 'recommendation'>[] = [];
  const keyFacts = new Map<number, { created: string | null; lastUsed: string | null }>();
  const departmentSize = new Map<string, number>();
  for (const a of accounts) {
    const department = attr(a.attributes_json, 'department');
    if (department && Number(a.enabled) === 1) departmentSize.set(department, (departmentSize.get(department) ?? 0) + 1);
  }
  for (const a of accounts) {
    const guest = a.account_type === 'guest' || Number(a.external) === 1;
    if (filters.guestsOnly && !guest) continue;
    if (memberOf && !memberOf.has(a.identity_id ?? `${connectionId}\u0001${a.external_id}`)) continue;
    const accountInactive = inactiveBefore !== null && a.last_sign_in_at !== null && Date.parse(a.last_sign_in_at) < inactiveBefore;
    const reached: ReachedGroup[] = walkGroups(a.external_id, (id) => parents.get(id === a.external_id ? key('account', id) : key('group', id)) ?? []);
    const base = {
      connectionId, connectionName: row.name, accountId: a.external_id, identityId: a.identity_id, userName: a.user_name, displayName: a.display_name,
      email: a.email, enabled: Number(a.enabled) === 1, guest, department: attr(a.attributes_json, 'department'), lastActivityAt: a.last_sign_in_at,
      managerId: attr(a.attributes_json, 'managerId', 'manager'), since: null,
    };
    const chainNames = (path: string[]) => path.map((g) => groups.get(g) ?? g);
    for (const kind of kinds) {
      if (MEMBERSHIP_KINDS.has(kind)) {
        if (inactiveBefore !== null && !accountInactive) continue;
        for (const g of reached) {
          const privileged = privilegedGroups.has(g.groupId);
          if (filters.privilegedOnly && !privileged) continue;
          raw.push({ ...base, kind, resourceId: g.groupId, resourceName: groups.get(g.groupId) ?? g.groupId, privileged, via: g.via === 'direct' ? 'direct' : 'group', chain: chainNames(g.path), viaGroupId: g.via === 'direct' ? null : g.path[0]! });
        }
      } else if (GRANT_TYPES[kind]) {
        if (inactiveBefore !== null && !accountInactive) continue;
        for (const g of grantedAccess(kind, a.external_id, reached, entitlements, grantsByPrincipal, Boolean(filters.privilegedOnly))) {
          raw.push({ ...base, kind, resourceId: g.entitlementId, resourceName: g.name, privileged: g.privileged, via: g.via, chain: chainNames(g.path), viaGroupId: g.via === 'group' ? g.path[0]! : null });
        }
      } else if (kind === 'aws_access_key') {
        if (filters.privilegedOnly) continue;
        for (const c of credentials.get(a.external_id) ?? []) {
          const last = c.lastUsed ?? c.created;
          if (inactiveBefore !== null && !(last !== null && Date.parse(last) < inactiveBefore)) continue;
          keyFacts.set(raw.length, { created: c.created, lastUsed: c.lastUsed });
          raw.push({ ...base, kind, resourceId: c.id, resourceName: `Access key ${c.id.slice(0, 4)}…${c.id.slice(-4)}`, privileged: false, via: 'direct', chain: [], viaGroupId: null, since: c.created, lastActivityAt: c.lastUsed ?? base.lastActivityAt });
        }
      }
    }
  }
  // Peers: how many enabled people of each department hold each resource.
  const holdersByDept = new Map<string, number>();
  for (const r of raw) if (r.department && r.enabled) holdersByDept.set(`${r.resourceId}\u0001${r.department}`, (holdersByDept.get(`${r.resourceId}\u0001${r.department}`) ?? 0) + 1);
  out.items = raw.map((r, i) => {
    const key = keyFacts.get(i);
    const rec = recommend({
      enabled: r.enabled, guest: r.guest, lastSignInAt: r.kind === 'aws_access_key' ? null : r.lastActivityAt, department: r.department,
      departmentSize: r.department ? (departmentSize.get(r.department) ?? 0) : 0,
      departmentHolders: r.department ? (holdersByDept.get(`${r.resourceId}\u0001${r.department}`) ?? 0) : 0,
      ...(key ? { isKey: true, keyLastUsedAt: key.lastUsed, keyCreatedAt: key.created } : {}),
    }, nowMs);
    return { ...r, recommendation: rec };
  });
  return out;
}

/**
 * "Members of a group" (filter): the identities (or, for uncorrelated accounts,
 * connection + account) holding the group directly or through nested groups.
 */
const principalKey = (type: string, id: string) => (type === 'account' ? `a\u0001${id}` : `g\u0001${id}`);

/**
 * What both the reference scope and the set-based start read beside the memberships: the
 * connection's entitlements (privileged by the provider's flag or an admin name), its grants
 * by principal (keys as in the membership walk), the groups granted something privileged, and
 * active access keys by account. `seen` lets each caller count what it needs as rows pass.
 */
export async function loadGrantsAndKeys(
  rt: Runtime, tenantId: string, connectionId: string, kinds: readonly AccessKind[], privilegedOnly: boolean,
  seen: { grant?: (g: { entitlement_id: string; principal_id: string; principal_type: string }) => void; key?: (id: string) => void } = {},
) {
  const db = rt.store.db;
  const entitlements = new Map<string, { name: string; type: string; privileged: boolean }>();
  const grantsByPrincipal = new Map<string, string[]>();
  const privilegedGroups = new Set<string>();
  if (kinds.some((k) => GRANT_TYPES[k]) || privilegedOnly) {
    for (const e of await db.selectFrom('dir_entitlements').select(['external_id', 'display_name', 'entitlement_type', 'privileged']).where('tenant_id', '=', tenantId).where('connection_id', '=', connectionId).execute()) {
      entitlements.set(e.external_id, { name: e.display_name, type: e.entitlement_type, privileged: Number(e.privileged) === 1 || /admin/i.test(e.display_name) });
    }
    for (const g of await db.selectFrom('dir_grants').select(['entitlement_id', 'principal_id', 'principal_type']).where('tenant_id', '=', tenantId).where('connection_id', '=', connectionId).execute()) {
      const k = principalKey(g.principal_type, g.principal_id);
      let list = grantsByPrincipal.get(k);
      if (!list) grantsByPrincipal.set(k, (list = []));
      list.push(g.entitlement_id);
      if (g.principal_type === 'group' && entitlements.get(g.entitlement_id)?.privileged) privilegedGroups.add(g.principal_id);
      seen.grant?.(g);
    }
  }
  const credentials = new Map<string, { id: string; created: string | null; lastUsed: string | null }[]>();
  if (kinds.includes('aws_access_key')) {
    for (const c of await db.selectFrom('dir_credentials').select(['external_id', 'account_id', 'status', 'source_created_at', 'last_used_at', 'credential_type']).where('tenant_id', '=', tenantId).where('connection_id', '=', connectionId).execute()) {
      if (c.credential_type !== 'access_key' || c.status !== 'active') continue;
      let list = credentials.get(c.account_id);
      if (!list) credentials.set(c.account_id, (list = []));
      list.push({ id: c.external_id, created: c.source_created_at, lastUsed: c.last_used_at });
      seen.key?.(c.external_id);
    }
  }
  return { entitlements, grantsByPrincipal, privilegedGroups, credentials };
}

/**
 * The grants of one kind an account holds, directly or through the groups it reaches (each
 * entitlement once, the direct grant first, then in the walk's order), after the privileged filter.
 */
export function grantedAccess(
  kind: AccessKind, accountId: string, reached: readonly { groupId: string; path: string[] }[],
  entitlements: ReadonlyMap<string, { name: string; type: string; privileged: boolean }>, grantsByPrincipal: ReadonlyMap<string, string[]>, privilegedOnly: boolean,
): { entitlementId: string; name: string; privileged: boolean; via: 'direct' | 'group'; path: string[] }[] {
  const types = GRANT_TYPES[kind] ?? [];
  const out: { entitlementId: string; name: string; privileged: boolean; via: 'direct' | 'group'; path: string[] }[] = [];
  const seen = new Set<string>();
  const add = (entId: string, via: 'direct' | 'group', path: string[]) => {
    const e = entitlements.get(entId);
    if (!e || !types.includes(e.type) || seen.has(entId)) return;
    if (privilegedOnly && !e.privileged) return;
    seen.add(entId);
    out.push({ entitlementId: entId, name: e.name, privileged: e.privileged, via, path });
  };
  for (const id of grantsByPrincipal.get(principalKey('account', accountId)) ?? []) add(id, 'direct', []);
  for (const g of reached) for (const id of grantsByPrincipal.get(principalKey('group', g.groupId)) ?? []) add(id, 'group', g.path);
  return out;
}

export async function membersOfGroup(rt: Runtime, tenantId: string, connectionId: string, groupId: string): Promise<Set<string>> {
  const db = rt.store.db;
  const out = new Set<string>();
  let frontier = [groupId];
  const seen = new Set(frontier);
  const accounts: string[] = [];
  while (frontier.length > 0) {
    const rows = await db.selectFrom('dir_memberships').select(['member_id', 'member_type']).where('tenant_id', '=', tenantId).where('connection_id', '=', connectionId).where('group_id', 'in', frontier).execute();
    frontier = [];
    for (const r of rows) {
      if (r.member_type === 'account') accounts.push(r.member_id);
      else if (!seen.has(r.member_id)) {
        seen.add(r.member_id);
        frontier.push(r.member_id);
      }
    }
  }
  for (let i = 0; i < accounts.length; i += 1000) {
    const rows = await db.selectFrom('dir_accounts').select(['external_id', 'identity_id']).where('tenant_id', '=', tenantId).where('connection_id', '=', connectionId).where('external_id', 'in', accounts.slice(i, i + 1000)).execute();
    for (const r of rows) out.add(r.identity_id ?? `${connectionId}\u0001${r.external_id}`);
  }
  return out;
}
