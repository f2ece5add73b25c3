import { sql } from 'kysely';
import type { Runtime } from '../runtime/context.js';
import { AppError } from '../errors/index.js';
import { requireConnection } from '../connections/service.js';
import { fromJson } from '../store/json.js';
import { walkGroups, type GroupEdge } from '../directory/identities/nesting.js';
import type { AccessKind, CampaignInput } from './input.js';
import { byGroupId, GRANT_TYPES, grantedAccess, kindsOfConnection, loadGrantsAndKeys, MEMBERSHIP_KINDS } from './scope.js';
import { ownReasons } from './recommendation.js';
import { ownerCandidates, resolveReviewer, selfEmailsOf, type Directory, type ReviewerMode } from './assign.js';
import { chooseReviewer, spreadOf, type ReviewerChoice } from './reviewers.js';
import type { People } from './people.js';

/**
 * What the snapshot computes in JavaScript before SQL expands it: one row per account (its
 * facts, its own recommendation reasons, its reviewers), one per group (name, privileged), the
 * items that are not direct memberships (nested memberships, grants, keys: few next to direct
 * memberships), and owner-mode reviewer tables. Memory grows with accounts and groups, not with
 * memberships: the million direct memberships never leave the database (snapshot-sql.ts).
 */
export interface AccountFact {
  seq: number;
  connectionId: string;
  accountId: string;
  identityId: string | null;
  userName: string;
  displayName: string;
  email: string | null;
  enabled: number;
  guest: number;
  department: string | null;
  /** The department as JSON string content (no quotes), for the peer sentence built in SQL. */
  deptEsc: string | null;
  deptSize: number;
  lastActivityAt: string | null;
  /** The membership kind its direct memberships become, or null (kind not asked, or filtered out). */
  memKind: AccessKind | null;
  /** Lower-case `display user email ` to which SQL appends the resource's lower-case name. */
  search: string;
  /** Own reasons as JSON array elements joined by commas ('' when none). */
  rev: string;
  ok: string;
  spread: number;
  /** Per stage: the reviewer (manager or named mode), or the fallback when no owner is found (owner mode). */
  r1: string | null;
  r2: string | null;
  /**
   * The first stage's choice, for the preview: 1 when r1 is the fallback standing in; why the
   * mode found nobody (manager, named), or in owner mode only the ending that the fallback adds
   * to "the resource has no owner" ('' when the fallback takes the item).
   */
  fb1: number;
  why1: string | null;
}

export interface ExtraItem {
  acct: AccountFact;
  kind: AccessKind;
  resourceId: string;
  resourceName: string;
  privileged: number;
  via: 'direct' | 'group';
  chainJson: string;
  viaGroupId: string | null;
  since: string | null;
  lastActivityAt: string | null;
  rev: string;
  ok: string;
}

export interface SnapshotFacts {
  accounts: AccountFact[];
  /** `hasOwners`: the provider reports owners of the group (owner mode's "why" for the fallback). */
  resources: { connectionId: string; resourceId: string; name: string; privileged: number; hasOwners: number }[];
  extras: ExtraItem[];
  /** Owner mode: a resource's candidates in preference order (pos 0..n-1). */
  owners: { stage: number; connectionId: string; resourceId: string; pos: number; userId: string; n: number }[];
  /** Owner mode: (account, resource) pairs where an owner is the person themself, chosen in full here. */
  exceptions: { stage: number; acct: AccountFact; resourceId: string; userId: string | null; fb: number; why: string | null }[];
  /**
   * Connections where a group member's id is also an account's id: only there must SQL read each
   * membership's member_type (which the member index does not cover). Elsewhere the join on
   * member id alone finds exactly the account's memberships.
   */
  memberTypeNeeded: Set<string>;
}

const DAY = 86_400_000;
const json = (reasons: string[]) => reasons.map((r) => JSON.stringify(r)).join(',');

function attr(attrs: Record<string, unknown>, ...names: string[]): string | null {
  for (const n of names) {
    const v = attrs[n];
    if (typeof v === 'string' && v.length > 0) return v;
  }
  return null;
}

export function emptyFacts(): SnapshotFacts {
  return { accounts: [], resources: [], extras: [], owners: [], exceptions: [], memberTypeNeeded: new Set() };
}

/** Adds one connection's facts (filters applied as scope.ts applies them). */
export async function connectionFacts(rt: Runtime, tenantId: string, connectionId: string, input: CampaignInput, memberOf: Set<string> | null, dir: Directory, people: People, out: SnapshotFacts): Promise<void> {
  const row = await requireConnection(rt, tenantId, connectionId);
  if (row.role !== 'directory') throw new AppError('directory.not_directory', { name: row.name, role: row.role.replace(/_/g, ' ') });
  const db = rt.store.db;
  const kinds = input.kinds.filter((k) => kindsOfConnection(row.kind).includes(k));
  if (kinds.length === 0) return;
  const filters = input.filters ?? {};
  const nowMs = rt.now();
  const memKind = kinds.find((k) => MEMBERSHIP_KINDS.has(k)) ?? null;
  const stages: (ReviewerMode | null)[] = [input.reviewers, input.secondStage ?? null];
  const fallbackId = input.reviewers.fallbackUserId;
  const fallback = people.byId.get(fallbackId) ?? null;

  const groups = new Map<string, string>();
  for (const g of await db.selectFrom('dir_groups').select(['external_id', 'display_name']).where('tenant_id', '=', tenantId).where('connection_id', '=', connectionId).execute()) groups.set(g.external_id, g.display_name);
  // Group-in-group edges: few, kept in memory for the upward walk.
  const parents = new Map<string, GroupEdge[]>();
  const key = (type: string, id: string) => (type === 'account' ? `a\u0001${id}` : `g\u0001${id}`);
  const edge = (k: string, e: GroupEdge) => {
    let list = parents.get(k);
    if (!list) parents.set(k, (list = []));
    list.push(e);
  };
  const relevant = new Set<string>();
  const groupMembers = new Set<string>();
  // A scan of the table (WITHOUT ROWID on SQLite: the rows in key order) beats the member index, which would fetch every row for its member_type.
  const memberships = rt.store.dialect === 'sqlite' ? sql.raw('dir_memberships NOT INDEXED') : sql.raw('dir_memberships');
  for (const m of (await sql<GroupEdge & { group_id: string; member_id: string; role: string | null }>`SELECT group_id, member_id, role FROM ${memberships} WHERE tenant_id = ${tenantId} AND connection_id = ${connectionId} AND member_type = 'group'`.execute(db)).rows) {
    groupMembers.add(m.member_id);
    edge(key('group', m.member_id), { groupId: m.group_id, memberId: m.member_id, role: m.role });
    relevant.add(m.group_id).add(m.member_id);
  }
  const wantsGrants = kinds.some((k) => GRANT_TYPES[k]);
  const { entitlements, grantsByPrincipal, privilegedGroups, credentials } = await loadGrantsAndKeys(rt, tenantId, connectionId, kinds, Boolean(filters.privilegedOnly), {
    grant: (g) => void (g.principal_type === 'group' && wantsGrants && relevant.add(g.principal_id)),
  });
  // Accounts' memberships of the groups that matter beyond the direct membership itself
  // (nested, or granted something): the walk needs them; all other direct memberships stay in SQL.
  const rel = [...relevant];
  for (let i = 0; i < rel.length; i += 500) {
    for (const m of await db.selectFrom('dir_memberships').select(['group_id', 'member_id', 'role']).where('tenant_id', '=', tenantId).where('connection_id', '=', connectionId).where('member_type', '=', 'account').where('group_id', 'in', rel.slice(i, i + 500)).execute()) {
      edge(key('account', m.member_id), { groupId: m.group_id, memberId: m.member_id, role: m.role });
    }
  }
  // In group id order, as scope.ts has them: the walk keeps the first group that leads to an access.
  for (const list of parents.values()) list.sort(byGroupId);
  // Owner mode: candidates per resource, and which emails are candidates (the self check's exceptions).
  const ownerStages = stages.map((m, i) => (m?.mode === 'owner' ? i + 1 : 0)).filter((s) => s > 0);
  const candidatesOf = new Map<string, ReturnType<typeof ownerCandidates>>();
  const resourcesOfEmail = new Map<string, Set<string>>();
  const groupOwners = new Map<string, string[]>();
  if (ownerStages.length > 0) {
    for (const m of await db.selectFrom('dir_memberships').select(['group_id', 'member_id', 'role']).where('tenant_id', '=', tenantId).where('connection_id', '=', connectionId).where('member_type', '=', 'account').where('role', 'is not', null).execute()) {
      if (m.role!.toLowerCase() !== 'owner') continue;
      groupOwners.set(m.group_id, [...(groupOwners.get(m.group_id) ?? []), m.member_id]);
    }
    const resources = new Set(groupOwners.keys());
    for (const k of dir.ownersSet.keys()) if (k.startsWith(`${connectionId}\u0001`)) resources.add(k.slice(connectionId.length + 1));
    for (const r of resources) {
      const cands = ownerCandidates(dir, people, { groupOwners }, connectionId, r);
      if (cands.length === 0) continue;
      candidatesOf.set(r, cands);
      for (const s of ownerStages) cands.forEach((c, pos) => out.owners.push({ stage: s, connectionId, resourceId: r, pos, userId: c.userId, n: cands.length }));
      for (const c of cands) {
        const e = c.email.toLowerCase();
        resourcesOfEmail.set(e, (resourcesOfEmail.get(e) ?? new Set()).add(r));
      }
    }
  }
  for (const [id, name] of groups) out.resources.push({ connectionId, resourceId: id, name, privileged: privilegedGroups.has(id) ? 1 : 0, hasOwners: groupOwners.has(id) ? 1 : 0 });

  const accounts = await db.selectFrom('dir_accounts')
    .select(['external_id', 'identity_id', 'user_name', 'display_name', 'email', 'enabled', 'external', 'account_type', 'last_sign_in_at', 'attributes_json'])
    .where('tenant_id', '=', tenantId).where('connection_id', '=', connectionId).execute();
  if (accounts.some((a) => groupMembers.has(a.external_id))) out.memberTypeNeeded.add(connectionId);
  const attrsOf = accounts.map((a) => fromJson<Record<string, unknown>>(a.attributes_json, {}));
  const departmentSize = new Map<string, number>();
  accounts.forEach((a, i) => {
    const d = attr(attrsOf[i]!, 'department');
    if (d && Number(a.enabled) === 1) departmentSize.set(d, (departmentSize.get(d) ?? 0) + 1);
  });
  const inactiveBefore = filters.inactiveDays ? nowMs - filters.inactiveDays * DAY : null;
  const chainJson = (path: string[]) => JSON.stringify(path.map((g) => groups.get(g) ?? g));
  accounts.forEach((a, i) => {
    const guest = a.account_type === 'guest' || Number(a.external) === 1;
    if (filters.guestsOnly && !guest) return;
    if (memberOf && !memberOf.has(a.identity_id ?? `${connectionId}\u0001${a.external_id}`)) return;
    const accountInactive = inactiveBefore !== null && a.last_sign_in_at !== null && Date.parse(a.last_sign_in_at) < inactiveBefore;
    const attrs = attrsOf[i]!;
    attrsOf[i] = undefined as never;
    const department = attr(attrs, 'department');
    const enabled = Number(a.enabled) === 1;
    const own = ownReasons({ enabled, guest, lastSignInAt: a.last_sign_in_at }, nowMs);
    const item = { connectionId, accountId: a.external_id, identityId: a.identity_id, email: a.email, userName: a.user_name, managerId: attr(attrs, 'managerId', 'manager'), resourceId: '' };
    const spread = spreadOf(a.identity_id ?? `${connectionId}/${a.external_id}`);
    const selfEmails = selfEmailsOf(dir, item);
    const choose = (mode: ReviewerMode | null): ReviewerChoice | null => {
      if (!mode) return null;
      if (mode.mode === 'owner') return chooseReviewer({ selfEmails, candidates: [], fallback, spread }, '');
      return resolveReviewer(dir, people, { groupOwners: new Map() }, item, mode, fallbackId);
    };
    const first = choose(stages[0]!);
    const fact: AccountFact = {
      seq: 0, connectionId, accountId: a.external_id, identityId: a.identity_id, userName: a.user_name, displayName: a.display_name, email: a.email,
      enabled: enabled ? 1 : 0, guest: guest ? 1 : 0, department, deptEsc: department === null ? null : JSON.stringify(department).slice(1, -1),
      deptSize: department ? (departmentSize.get(department) ?? 0) : 0, lastActivityAt: a.last_sign_in_at,
      memKind: memKind && (inactiveBefore === null || accountInactive) ? memKind : null,
      search: `${a.display_name} ${a.user_name} ${a.email ?? ''} `.toLowerCase(), rev: json(own.risk), ok: json(own.ok), spread,
      r1: first?.userId ?? null, r2: choose(stages[1]!)?.userId ?? null,
      fb1: first?.via === 'fallback' ? 1 : 0, why1: first && first.via !== 'mode' ? first.why : null,
    };
    out.accounts.push(fact);
    for (const s of ownerStages) {
      const seen = new Set<string>();
      for (const e of selfEmails) {
        for (const r of resourcesOfEmail.get(e) ?? []) {
          if (seen.has(r)) continue;
          seen.add(r);
          const c = chooseReviewer({ selfEmails, candidates: candidatesOf.get(r)!, fallback, spread }, '');
          out.exceptions.push({ stage: s, acct: fact, resourceId: r, userId: c.userId, fb: c.via === 'fallback' ? 1 : 0, why: c.via === 'mode' ? null : c.why });
        }
      }
    }

    const extra = (e: Omit<ExtraItem, 'acct' | 'lastActivityAt' | 'rev' | 'ok' | 'since'> & Partial<ExtraItem>) => out.extras.push({ acct: fact, since: null, lastActivityAt: a.last_sign_in_at, rev: fact.rev, ok: fact.ok, ...e });
    const reached = parents.has(key('account', a.external_id)) ? walkGroups(a.external_id, (id) => parents.get(id === a.external_id ? key('account', id) : key('group', id)) ?? []) : [];
    for (const kind of kinds) {
      if (MEMBERSHIP_KINDS.has(kind)) {
        if (!fact.memKind) continue;
        // Direct memberships come from SQL; the walk adds the nested ones.
        for (const g of reached) {
          if (g.via === 'direct') continue;
          const privileged = privilegedGroups.has(g.groupId);
          if (filters.privilegedOnly && !privileged) continue;
          extra({ kind, resourceId: g.groupId, resourceName: groups.get(g.groupId) ?? g.groupId, privileged: privileged ? 1 : 0, via: 'group', chainJson: chainJson(g.path), viaGroupId: g.path[0]! });
        }
      } else if (GRANT_TYPES[kind]) {
        if (inactiveBefore !== null && !accountInactive) continue;
        for (const g of grantedAccess(kind, a.external_id, reached, entitlements, grantsByPrincipal, Boolean(filters.privilegedOnly))) {
          extra({ kind, resourceId: g.entitlementId, resourceName: g.name, privileged: g.privileged ? 1 : 0, via: g.via, chainJson: chainJson(g.path), viaGroupId: g.via === 'group' ? g.path[0]! : null });
        }
      } else if (kind === 'aws_access_key') {
        if (filters.privilegedOnly) continue;
        for (const c of credentials.get(a.external_id) ?? []) {
          const last = c.lastUsed ?? c.created;
          if (inactiveBefore !== null && !(last !== null && Date.parse(last) < inactiveBefore)) continue;
          const keyOwn = ownReasons({ enabled, guest, lastSignInAt: null, isKey: true, keyLastUsedAt: c.lastUsed, keyCreatedAt: c.created }, nowMs);
          extra({ kind, resourceId: c.id, resourceName: `Access key ${c.id.slice(0, 4)}…${c.id.slice(-4)}`, privileged: 0, via: 'direct', chainJson: '[]', viaGroupId: null, since: c.created, lastActivityAt: c.lastUsed ?? a.last_sign_in_at, rev: json(keyOwn.risk), ok: json(keyOwn.ok) });
        }
      }
    }
  });
}
