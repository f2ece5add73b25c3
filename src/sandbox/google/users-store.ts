import type { DeletedUser, User, UserRecord } from './directory-model.js';
import type { Generated } from './generated.js';
import { newMailbox } from './world.js';

/**
 * One customer's users: the generated ones (by formula, possibly none) under an overlay of
 * explicit accounts — added ones, and generated ones someone touched (materialised with a
 * mailbox so Gmail and mutations have somewhere to live) — minus deleted ones (kept 20 days
 * for users.list?showDeleted=true, https://support.google.com/a/answer/1397578).
 */
export interface UsersStore {
  count(): number;
  /** A live user by primary email, alias or id. */
  get(key: string): UserRecord | undefined;
  /** The live user as a full account with a mailbox (generated ones are materialised). */
  materialise(key: string): User | undefined;
  /** The live generated user at index i (overlay-aware), or undefined when deleted. */
  generatedAt(i: number): UserRecord | undefined;
  /** Live users in email order, starting after `afterEmail` (null: from the start). */
  scan(afterEmail: string | null): Generator<UserRecord>;
  deleted(): DeletedUser[];
  /** A deleted (not yet purged) user by email or id. */
  getDeleted(key: string): DeletedUser | undefined;
  add(user: Omit<User, 'mailbox'>): User;
  delete(id: string, nowMs: number): UserRecord | undefined;
  /** Where a generated user sits (for membership arithmetic), or -1 for an added one. */
  generatedIndexOf(id: string): number;
}

export function createUsersStore(gen: Generated | null): UsersStore {
  const explicit = new Map<string, User>();
  const byEmail = new Map<string, string>();
  /** Emails of added (not generated) live users, kept sorted for the merge in scan(). */
  const addedSorted: string[] = [];
  const tombstones = new Map<string, DeletedUser>();
  const g = gen?.users;

  function indexOf(key: string): number {
    if (!g) return -1;
    const i = g.indexOfId(key);
    return i >= 0 ? i : g.indexOfEmail(key);
  }

  function get(key: string): UserRecord | undefined {
    const k = key.trim().toLowerCase();
    const id = explicit.has(k) ? k : byEmail.get(k);
    if (id) return explicit.get(id);
    const i = indexOf(k);
    if (i < 0) return undefined;
    const gid = g!.idAt(i);
    if (tombstones.has(gid)) return undefined;
    return explicit.get(gid) ?? g!.at(i);
  }

  function insertSorted(email: string): void {
    let lo = 0;
    let hi = addedSorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (addedSorted[mid]! < email) lo = mid + 1;
      else hi = mid;
    }
    addedSorted.splice(lo, 0, email);
  }

  function removeSorted(email: string): void {
    const at = addedSorted.indexOf(email);
    if (at >= 0) addedSorted.splice(at, 1);
  }

  const store: UsersStore = {
    count: () => (g ? g.count : 0) + addedSorted.length - [...tombstones.keys()].filter((id) => indexOf(id) >= 0).length,
    get,
    materialise(key) {
      const rec = get(key);
      if (!rec) return undefined;
      const have = explicit.get(rec.id);
      if (have) return have;
      const user: User = { ...rec, mailbox: newMailbox() };
      explicit.set(user.id, user);
      return user;
    },
    generatedAt(i) {
      const id = g!.idAt(i);
      if (tombstones.has(id)) return undefined;
      return explicit.get(id) ?? g!.at(i);
    },
    *scan(afterEmail) {
      let gi = g ? (afterEmail === null ? 0 : g.after(afterEmail)) : 0;
      let ai = 0;
      if (afterEmail !== null) while (ai < addedSorted.length && addedSorted[ai]! <= afterEmail) ai++;
      const gCount = g ? g.count : 0;
      while (gi < gCount || ai < addedSorted.length) {
        const gEmail = gi < gCount ? g!.emailAt(gi) : null;
        const aEmail = ai < addedSorted.length ? addedSorted[ai]! : null;
        if (gEmail !== null && (aEmail === null || gEmail < aEmail)) {
          const u = store.generatedAt(gi++);
          if (u) yield u;
        } else {
          const u = explicit.get(byEmail.get(aEmail!)!);
          ai++;
          if (u) yield u;
        }
      }
    },
    deleted: () => [...tombstones.values()],
    getDeleted(key) {
      const k = key.trim().toLowerCase();
      return tombstones.get(k) ?? [...tombstones.values()].find((d) => d.user.primaryEmail === k);
    },
    add(u) {
      const user: User = { ...u, primaryEmail: u.primaryEmail.toLowerCase(), mailbox: newMailbox() };
      explicit.set(user.id, user);
      byEmail.set(user.primaryEmail, user.id);
      for (const a of user.aliases) byEmail.set(a.toLowerCase(), user.id);
      insertSorted(user.primaryEmail);
      return user;
    },
    delete(id, nowMs) {
      const rec = get(id);
      if (!rec) return undefined;
      tombstones.set(rec.id, { user: { ...rec }, deletionTime: nowMs });
      const wasAdded = byEmail.get(rec.primaryEmail) === rec.id;
      explicit.delete(rec.id);
      if (wasAdded) {
        byEmail.delete(rec.primaryEmail);
        for (const a of rec.aliases) byEmail.delete(a.toLowerCase());
        removeSorted(rec.primaryEmail);
      }
      return rec;
    },
    generatedIndexOf(id) {
      return g ? g.indexOfId(id) : -1;
    },
  };
  return store;
}
