import type { Selectable } from 'kysely';
import type { Runtime } from '../../runtime/context.js';
import type { DirAccountsTable } from '../../store/tables/directory.js';
import { AppError } from '../../errors/index.js';
import { fromJson } from '../../store/json.js';
import { connectionRefs, viewIdentity, type ConnectionRef, type IdentityRecord, type IdentityRow } from './queries.js';
import { walkGroups, type GroupEdge } from './nesting.js';
import type { MatchedBy } from '../correlation/link.js';
import { identityTypeRule, type IdentityTypeRule } from './type-rule.js';

/**
 * One identity: its accounts in every connection, the groups each account is in (directly or
 * through nested groups, with the chain of names), what it is entitled to (granted to the
 * account, or to one of those groups — named), and its credentials (AWS access keys).
 */
export interface AccountView {
  connectionId: string;
  connectionName: string;
  kind: string;
  externalId: string;
  userName: string;
  email: string | null;
  displayName: string;
  accountType: string;
  enabled: boolean;
  external: boolean;
  employeeId: string | null;
  lastSignInAt: string | null;
  matchedBy: MatchedBy | null;
}

export interface GroupView {
  connectionId: string;
  connectionName: string;
  externalId: string;
  displayName: string;
  email: string | null;
  via: 'direct' | 'nested';
  path: string[];
  role: string | null;
}

export interface EntitlementView {
  connectionId: string;
  connectionName: string;
  externalId: string;
  displayName: string;
  entitlementType: string;
  privileged: boolean;
  via: 'direct' | 'group';
  viaGroup: string | null;
}

export interface CredentialView {
  connectionId: string;
  externalId: string;
  credentialType: string;
  status: string;
  createdAt: string | null;
  lastUsedAt: string | null;
}

export interface IdentityDetail {
  identity: IdentityRow;
  accounts: AccountView[];
  groups: GroupView[];
  entitlements: EntitlementView[];
  credentials: CredentialView[];
  /** Why the identity is a person, a guest or a service, and the admin's override if any. */
  typeRule: IdentityTypeRule;
}

type AccountRecord = Selectable<DirAccountsTable>;

export function viewAccount(a: AccountRecord, refs: ReadonlyMap<string, ConnectionRef>): AccountView {
  const ref = refs.get(a.connection_id);
  return {
    connectionId: a.connection_id,
    connectionName: ref?.name ?? '(deleted connection)',
    kind: ref?.kind ?? 'unknown',
    externalId: a.external_id,
    userName: a.user_name,
    email: a.email,
    displayName: a.display_name,
    accountType: a.account_type,
    enabled: Number(a.enabled) === 1,
    external: Number(a.external) === 1,
    employeeId: a.employee_id,
    lastSignInAt: a.last_sign_in_at,
    matchedBy: fromJson<MatchedBy | null>(a.match_json, null),
  };
}

/** By identity id, or by an email or user name of one of its accounts. */
export async function findIdentity(rt: Runtime, tenantId: string, key: string): Promise<IdentityRecord | undefined> {
  const db = rt.store.db;
  const byId = await db.selectFrom('identities').selectAll().where('tenant_id', '=', tenantId).where('id', '=', key).executeTakeFirst();
  if (byId) return byId;
  const k = key.trim().toLowerCase();
  const byEmail = await db.selectFrom('identities').selectAll().where('tenant_id', '=', tenantId).where('email', '=', k).orderBy('created_at').executeTakeFirst();
  if (byEmail) return byEmail;
  const account = await db
    .selectFrom('dir_accounts')
    .select('identity_id')
    .where('tenant_id', '=', tenantId)
    .where('identity_id', 'is not', null)
    .where((eb) => eb.or([eb(eb.fn('lower', ['email']), '=', k), eb(eb.fn('lower', ['user_name']), '=', k)]))
    .executeTakeFirst();
  if (!account?.identity_id) return undefined;
  return db.selectFrom('identities').selectAll().where('tenant_id', '=', tenantId).where('id', '=', account.identity_id).executeTakeFirst();
}

export async function identityDetail(rt: Runtime, tenantId: string, key: string): Promise<IdentityDetail> {
  const row = await findIdentity(rt, tenantId, key);
  if (!row) throw new AppError('request.not_found', { entity: 'identity', id: key });
  const refs = await connectionRefs(rt, tenantId);
  const accounts = await rt.store.db.selectFrom('dir_accounts').selectAll().where('tenant_id', '=', tenantId).where('identity_id', '=', row.id).orderBy('connection_id').orderBy('external_id').execute();
  const groups: GroupView[] = [];
  const entitlements: EntitlementView[] = [];
  const credentials: CredentialView[] = [];
  for (const a of accounts) {
    const name = refs.get(a.connection_id)?.name ?? '(deleted connection)';
    const reached = await groupsOf(rt, tenantId, a.connection_id, a.external_id);
    const groupRows = await groupRecords(rt, tenantId, a.connection_id, [...new Set(reached.flatMap((g) => g.path))]);
    const label = (id: string) => groupRows.get(id)?.display_name ?? id;
    for (const g of reached) {
      const info = groupRows.get(g.groupId);
      groups.push({ connectionId: a.connection_id, connectionName: name, externalId: g.groupId, displayName: label(g.groupId), email: info?.email ?? null, via: g.via, path: g.path.map(label), role: g.role });
    }
    entitlements.push(...(await entitlementsOf(rt, tenantId, a.connection_id, name, a.external_id, reached.map((g) => g.groupId), label)));
    const creds = await rt.store.db.selectFrom('dir_credentials').selectAll().where('tenant_id', '=', tenantId).where('connection_id', '=', a.connection_id).where('account_id', '=', a.external_id).orderBy('external_id').execute();
    for (const c of creds) credentials.push({ connectionId: c.connection_id, externalId: c.external_id, credentialType: c.credential_type, status: c.status, createdAt: c.source_created_at, lastUsedAt: c.last_used_at });
  }
  return { identity: viewIdentity(row, refs), accounts: accounts.map((a) => viewAccount(a, refs)), groups, entitlements, credentials, typeRule: await identityTypeRule(rt, tenantId, row.id, row.identity_type) };
}

const IN_LIMIT = 1000;

/** Memberships loaded one level at a time upward from the account, then walked in memory. */
async function groupsOf(rt: Runtime, tenantId: string, connectionId: string, accountId: string) {
  const parents = new Map<string, GroupEdge[]>();
  const key = (type: string, id: string) => `${type}\u0001${id}`;
  let frontier: { type: 'account' | 'group'; ids: string[] } = { type: 'account', ids: [accountId] };
  const asked = new Set<string>();
  while (frontier.ids.length > 0) {
    const next = new Set<string>();
    for (let i = 0; i < frontier.ids.length; i += IN_LIMIT) {
      const part = frontier.ids.slice(i, i + IN_LIMIT);
      const rows = await rt.store.db
        .selectFrom('dir_memberships')
        .select(['group_id', 'member_id', 'role'])
        .where('tenant_id', '=', tenantId)
        .where('connection_id', '=', connectionId)
        .where('member_type', '=', frontier.type)
        .where('member_id', 'in', part)
        .orderBy('group_id')
        .execute();
      for (const r of rows) {
        const k = key(frontier.type, r.member_id);
        let list = parents.get(k);
        if (!list) parents.set(k, (list = []));
        list.push({ groupId: r.group_id, memberId: r.member_id, role: r.role });
        if (!asked.has(r.group_id)) next.add(r.group_id);
      }
    }
    for (const id of frontier.type === 'group' ? frontier.ids : []) asked.add(id);
    frontier = { type: 'group', ids: [...next].filter((id) => !asked.has(id)) };
  }
  return walkGroups(accountId, (id) => parents.get(id === accountId ? key('account', id) : key('group', id)) ?? []);
}

async function groupRecords(rt: Runtime, tenantId: string, connectionId: string, ids: string[]) {
  const out = new Map<string, { display_name: string; email: string | null }>();
  for (let i = 0; i < ids.length; i += IN_LIMIT) {
    const rows = await rt.store.db.selectFrom('dir_groups').select(['external_id', 'display_name', 'email']).where('tenant_id', '=', tenantId).where('connection_id', '=', connectionId).where('external_id', 'in', ids.slice(i, i + IN_LIMIT)).execute();
    for (const r of rows) out.set(r.external_id, r);
  }
  return out;
}

async function entitlementsOf(rt: Runtime, tenantId: string, connectionId: string, connectionName: string, accountId: string, groupIds: string[], label: (id: string) => string): Promise<EntitlementView[]> {
  const db = rt.store.db;
  const grants: { entitlement_id: string; principal_id: string; principal_type: string }[] = [];
  const principals: [string, string[]][] = [['account', [accountId]], ['group', groupIds]];
  for (const [type, ids] of principals) {
    for (let i = 0; i < ids.length; i += IN_LIMIT) {
      grants.push(...(await db.selectFrom('dir_grants').select(['entitlement_id', 'principal_id', 'principal_type']).where('tenant_id', '=', tenantId).where('connection_id', '=', connectionId).where('principal_type', '=', type).where('principal_id', 'in', ids.slice(i, i + IN_LIMIT)).execute()));
    }
  }
  const entIds = [...new Set(grants.map((g) => g.entitlement_id))];
  const ents = new Map<string, { display_name: string; entitlement_type: string; privileged: number }>();
  for (let i = 0; i < entIds.length; i += IN_LIMIT) {
    for (const e of await db.selectFrom('dir_entitlements').select(['external_id', 'display_name', 'entitlement_type', 'privileged']).where('tenant_id', '=', tenantId).where('connection_id', '=', connectionId).where('external_id', 'in', entIds.slice(i, i + IN_LIMIT)).execute()) ents.set(e.external_id, e);
  }
  return grants.map((g) => {
    const e = ents.get(g.entitlement_id);
    return {
      connectionId, connectionName, externalId: g.entitlement_id,
      displayName: e?.display_name ?? g.entitlement_id,
      entitlementType: e?.entitlement_type ?? 'unknown',
      privileged: Number(e?.privileged ?? 0) === 1,
      via: g.principal_type === 'account' ? 'direct' : 'group',
      viaGroup: g.principal_type === 'account' ? null : label(g.principal_id),
    };
  });
}
