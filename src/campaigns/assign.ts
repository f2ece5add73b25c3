import type { Runtime } from '../runtime/context.js';
import type { CampaignInput } from './input.js';
import type { ConnectionScope, ScopeItem } from './scope.js';
import { chooseReviewer, spreadOf, type ReviewerChoice } from './reviewers.js';
import type { People, Person } from './people.js';

type Mode = { mode: 'manager' | 'owner' | 'named'; userIds?: string[] | undefined };

/**
 * Loads what reviewer resolution needs: every account's emails by identity (the self check and
 * the manager's Syncwarden user), per connection the accounts by external id (the manager
 * attribute names one), and the owners set in Syncwarden.
 */
export interface Directory {
  emailsOfIdentity: Map<string, Set<string>>;
  accountsByConnection: Map<string, Map<string, { identityId: string | null; emails: string[]; managerId: string | null }>>;
  ownersSet: Map<string, string[]>;
}

const emailish = (v: string | null | undefined): string[] => (v && v.includes('@') ? [v.toLowerCase()] : []);

export async function loadDirectory(rt: Runtime, tenantId: string, connectionIds: readonly string[], opts: { managers?: boolean } = {}): Promise<Directory> {
  // Without managers to resolve, the attributes (the longest column) are not read at all.
  const managers = opts.managers ?? true;
  const db = rt.store.db;
  const emailsOfIdentity = new Map<string, Set<string>>();
  const accountsByConnection = new Map<string, Map<string, { identityId: string | null; emails: string[]; managerId: string | null }>>();
  const wanted = new Set(connectionIds);
  const rows = managers
    ? await db.selectFrom('dir_accounts').select(['connection_id', 'external_id', 'identity_id', 'email', 'user_name', 'attributes_json']).where('tenant_id', '=', tenantId).execute()
    : (await db.selectFrom('dir_accounts').select(['connection_id', 'external_id', 'identity_id', 'email', 'user_name']).where('tenant_id', '=', tenantId).execute()).map((a) => ({ ...a, attributes_json: '' }));
  for (const a of rows) {
    const emails = [...emailish(a.email), ...emailish(a.user_name)];
    if (a.identity_id) {
      let set = emailsOfIdentity.get(a.identity_id);
      if (!set) emailsOfIdentity.set(a.identity_id, (set = new Set()));
      for (const e of emails) set.add(e);
    }
    if (wanted.has(a.connection_id)) {
      let m = accountsByConnection.get(a.connection_id);
      if (!m) accountsByConnection.set(a.connection_id, (m = new Map()));
      // The manager attribute is only read for the self-check's and manager's needs; parsed lazily below.
      m.set(a.external_id, { identityId: a.identity_id, emails, managerId: a.attributes_json.includes('anager') ? managerOf(a.attributes_json) : null });
    }
  }
  const ownersSet = new Map<string, string[]>();
  for (const o of await db.selectFrom('resource_owners').select(['connection_id', 'resource_id', 'user_id']).where('tenant_id', '=', tenantId).execute()) {
    const k = `${o.connection_id}\u0001${o.resource_id}`;
    ownersSet.set(k, [...(ownersSet.get(k) ?? []), o.user_id]);
  }
  return { emailsOfIdentity, accountsByConnection, ownersSet };
}

function managerOf(json: string): string | null {
  try {
    const a = JSON.parse(json) as Record<string, unknown>;
    const v = a['managerId'] ?? a['manager'];
    return typeof v === 'string' && v ? v : null;
  } catch {
    return null;
  }
}

/** Every email of the person an item is about (all accounts of its identity). */
export function selfEmailsOf(dir: Directory, item: Pick<ScopeItem, 'identityId' | 'email' | 'userName'>): Set<string> {
  const set = new Set<string>([...emailish(item.email), ...emailish(item.userName)]);
  if (item.identityId) for (const e of dir.emailsOfIdentity.get(item.identityId) ?? []) set.add(e);
  return set;
}

/** The Syncwarden users an account is (by any email of its identity). */
export function usersOfAccount(dir: Directory, people: People, connectionId: string, accountId: string): Person[] {
  const acc = dir.accountsByConnection.get(connectionId)?.get(accountId);
  if (!acc) return [];
  const emails = new Set(acc.emails);
  if (acc.identityId) for (const e of dir.emailsOfIdentity.get(acc.identityId) ?? []) emails.add(e);
  const out: Person[] = [];
  for (const e of emails) {
    const p = people.byEmail.get(e);
    if (p && !out.some((o) => o.userId === p.userId)) out.push(p);
  }
  return out;
}

/**
 * The manager(s) of an account as Syncwarden users: manager attribute → account → identity →
 * user by email. Entra and SCIM name the manager by id; Google names them by address
 * (`relations[type=manager].value`), which is looked up among the connection's accounts
 * (so all the manager's addresses count), else taken as the person's own address.
 */
export function managersOf(dir: Directory, people: People, connectionId: string, accountId: string, managerId: string | null): Person[] {
  const mid = managerId ?? dir.accountsByConnection.get(connectionId)?.get(accountId)?.managerId ?? null;
  if (!mid) return [];
  const byId = usersOfAccount(dir, people, connectionId, mid);
  if (byId.length > 0 || !mid.includes('@')) return byId;
  const address = mid.toLowerCase();
  const account = accountsByEmail(dir, connectionId).get(address);
  if (account) return usersOfAccount(dir, people, connectionId, account);
  const person = people.byEmail.get(address);
  return person ? [person] : [];
}

const emailIndexes = new WeakMap<Directory, Map<string, Map<string, string>>>();

/** A connection's accounts by address, built once per loaded directory (only when a manager is named by address). */
function accountsByEmail(dir: Directory, connectionId: string): Map<string, string> {
  let perConnection = emailIndexes.get(dir);
  if (!perConnection) emailIndexes.set(dir, (perConnection = new Map()));
  let index = perConnection.get(connectionId);
  if (!index) {
    index = new Map();
    for (const [id, acc] of dir.accountsByConnection.get(connectionId) ?? []) for (const e of acc.emails) if (!index.has(e)) index.set(e, id);
    perConnection.set(connectionId, index);
  }
  return index;
}

/** A resource's owners as Syncwarden users: owners set in Syncwarden first, then those the provider reports. */
export function ownerCandidates(dir: Directory, people: People, scope: Pick<ConnectionScope, 'groupOwners'>, connectionId: string, resourceId: string): Person[] {
  const set = (dir.ownersSet.get(`${connectionId}\u0001${resourceId}`) ?? []).map((id) => people.byId.get(id)).filter((p): p is Person => Boolean(p));
  const reported = (scope.groupOwners.get(resourceId) ?? []).flatMap((acc) => usersOfAccount(dir, people, connectionId, acc));
  return [...set, ...reported.filter((p) => !set.some((s) => s.userId === p.userId))];
}

export function resolveReviewer(dir: Directory, people: People, scope: Pick<ConnectionScope, 'groupOwners'>, item: Pick<ScopeItem, 'connectionId' | 'accountId' | 'managerId' | 'resourceId' | 'identityId' | 'email' | 'userName'>, mode: Mode, fallbackUserId: string | null): ReviewerChoice {
  const fallback = fallbackUserId ? people.byId.get(fallbackUserId) ?? null : null;
  let candidates: Person[] = [];
  let why = '';
  if (mode.mode === 'manager') {
    candidates = managersOf(dir, people, item.connectionId, item.accountId, item.managerId);
    why = item.managerId ? 'the manager has no Syncwarden user' : 'the account has no manager in the directory';
  } else if (mode.mode === 'owner') {
    candidates = ownerCandidates(dir, people, scope, item.connectionId, item.resourceId);
    why = scope.groupOwners.has(item.resourceId) ? 'the resource\'s owners have no Syncwarden user' : 'the resource has no owner';
  } else {
    candidates = (mode.userIds ?? []).map((id) => people.byId.get(id)).filter((p): p is Person => Boolean(p));
    why = 'none of the named reviewers is a Syncwarden user';
  }
  return chooseReviewer({ selfEmails: selfEmailsOf(dir, item), candidates, fallback, spread: spreadOf(item.identityId ?? `${item.connectionId}/${item.accountId}`) }, why);
}

export type { Mode as ReviewerMode, CampaignInput };
