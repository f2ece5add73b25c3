import type { GroupRecord, MemberRecord, MemberRole, MemberType } from './directory-model.js';
import type { Generated, GeneratedMember } from './generated.js';
import type { UsersStore } from './users-store.js';

/**
 * One customer's groups and their direct members: generated ones by formula, with an
 * overlay for added groups, added members (kept in insertion order after the generated
 * ones, tombstoned rather than spliced so a page position never shifts under a reader) and
 * removed members. Member positions are the paging cursor of members.list.
 */
export interface StoredMember {
  readonly id: string;
  readonly email: string | null;
  readonly role: MemberRole;
  readonly type: MemberType;
}

export interface GroupsStore {
  count(): number;
  get(key: string): GroupRecord | undefined;
  scan(afterEmail: string | null): Generator<GroupRecord>;
  add(group: GroupRecord): GroupRecord;
  delete(id: string): boolean;
  /** Live direct members (deleted users and groups drop out). */
  memberCount(groupId: string): number;
  /** Direct members from position `from` on, with the position after each. */
  members(groupId: string, from: number): Generator<{ readonly next: number; readonly member: MemberRecord }>;
  findMember(groupId: string, memberId: string): MemberRecord | undefined;
  addMember(groupId: string, member: StoredMember): void;
  removeMember(groupId: string, memberId: string): boolean;
  /** Groups the member (user, group or outsider id) is a direct member of. */
  groupsOf(memberId: string): GroupRecord[];
  /** The id of an added member from outside the customer, by its address or id. */
  outsiderId(key: string): string | undefined;
}

interface Overlay {
  readonly removed: Set<string>;
  removedGenerated: number;
  readonly added: { m: StoredMember; gone: boolean }[];
}

export function createGroupsStore(gen: Generated | null, users: UsersStore, customerId: string): GroupsStore {
  const explicit = new Map<string, GroupRecord>();
  const byEmail = new Map<string, string>();
  const addedSorted: string[] = [];
  const deletedIds = new Set<string>();
  const overlays = new Map<string, Overlay>();
  /** Reverse index of added memberships: member id → group ids. */
  const memberOf = new Map<string, Set<string>>();
  const gg = gen?.groups;

  const overlay = (groupId: string): Overlay => {
    let o = overlays.get(groupId);
    if (!o) {
      o = { removed: new Set(), removedGenerated: 0, added: [] };
      overlays.set(groupId, o);
    }
    return o;
  };

  function generatedIndex(key: string): number {
    if (!gg) return -1;
    const g = gg.indexOfId(key);
    return g >= 0 ? g : gg.indexOfEmail(key);
  }

  function get(key: string): GroupRecord | undefined {
    const k = key.trim().toLowerCase();
    const id = explicit.has(k) ? k : byEmail.get(k);
    if (id) return explicit.get(id);
    const g = generatedIndex(k);
    if (g < 0) return undefined;
    const rec = gg!.at(g);
    if (deletedIds.has(rec.id)) return undefined;
    return explicit.get(rec.id) ?? { ...rec, aliases: [], adminCreated: true };
  }

  const genCount = (groupId: string): number => {
    const g = gg ? gg.indexOfId(groupId) : -1;
    return g >= 0 ? gg!.memberCount(g) : 0;
  };

  function render(m: GeneratedMember): MemberRecord | undefined {
    switch (m.kind) {
      case 'user': {
        const u = users.generatedAt(m.index);
        return u ? { id: u.id, email: u.primaryEmail, role: m.role, type: 'USER', status: u.suspended ? 'SUSPENDED' : 'ACTIVE' } : undefined;
      }
      case 'group': {
        const id = gg!.idAt(m.index);
        if (deletedIds.has(id)) return undefined;
        return { id, email: gg!.emailAt(m.index), role: 'MEMBER', type: 'GROUP', status: 'ACTIVE' };
      }
      case 'external': {
        const x = gen!.externals.at(m.index);
        return { id: x.id, email: x.email, role: 'MEMBER', type: x.type, status: 'ACTIVE' };
      }
      case 'customer':
        return { id: customerId, email: null, role: 'MEMBER', type: 'CUSTOMER', status: null };
    }
  }

  /** An added member as it reads now: a deleted user or group drops out, a suspension shows. */
  function live(m: StoredMember): MemberRecord | undefined {
    if (m.type === 'GROUP') return get(m.id) ? { ...m, status: 'ACTIVE' } : undefined;
    if (m.type === 'CUSTOMER') return { ...m, status: null };
    const u = users.get(m.id);
    if (u) return { ...m, email: u.primaryEmail, status: u.suspended ? 'SUSPENDED' : 'ACTIVE' };
    // Not one of the customer's users: an outsider, unless it was a user since deleted.
    if (users.getDeleted(m.id)) return undefined;
    return { ...m, status: 'ACTIVE' };
  }

  /** Position of a generated member in group g, or -1. */
  function generatedPosition(g: number, memberId: string): number {
    if (!gen) return -1;
    const ui = users.generatedIndexOf(memberId);
    if (ui >= 0) return gen.groups.positionOfUser(g, ui);
    const h = gen.groups.indexOfId(memberId);
    if (h >= 0) return gen.groups.positionOfGroup(g, h);
    const k = gen.externals.indexOfId(memberId);
    if (k >= 0) return gen.groups.positionOfExternal(g, k);
    if (memberId === customerId && g === 0 && gen.groups.count > 0) {
      for (let p = 0; p < gen.groups.memberCount(0); p++) if (gen.groups.memberAt(0, p).kind === 'customer') return p;
    }
    return -1;
  }

  const store: GroupsStore = {
    count: () => (gg ? gg.count : 0) + addedSorted.length - [...deletedIds].filter((id) => generatedIndex(id) >= 0).length,
    get,
    *scan(afterEmail) {
      let gi = gg ? (afterEmail === null ? 0 : gg.after(afterEmail)) : 0;
      let ai = 0;
      if (afterEmail !== null) while (ai < addedSorted.length && addedSorted[ai]! <= afterEmail) ai++;
      const total = gg ? gg.count : 0;
      while (gi < total || ai < addedSorted.length) {
        const gEmail = gi < total ? gg!.emailAt(gi) : null;
        const aEmail = ai < addedSorted.length ? addedSorted[ai]! : null;
        if (gEmail !== null && (aEmail === null || gEmail < aEmail)) {
          const id = gg!.idAt(gi);
          if (!deletedIds.has(id)) yield explicit.get(id) ?? { ...gg!.at(gi), aliases: [], adminCreated: true };
          gi++;
        } else {
          const g = explicit.get(byEmail.get(aEmail!)!);
          ai++;
          if (g) yield g;
        }
      }
    },
    add(group) {
      const rec = { ...group, email: group.email.toLowerCase() };
      explicit.set(rec.id, rec);
      byEmail.set(rec.email, rec.id);
      for (const a of rec.aliases) byEmail.set(a.toLowerCase(), rec.id);
      let lo = 0;
      let hi = addedSorted.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (addedSorted[mid]! < rec.email) lo = mid + 1;
        else hi = mid;
      }
      addedSorted.splice(lo, 0, rec.email);
      return rec;
    },
    delete(id) {
      const g = get(id);
      if (!g) return false;
      // Google removes a deleted group from the groups it belonged to.
      for (const parent of store.groupsOf(g.id)) store.removeMember(parent.id, g.id);
      deletedIds.add(g.id);
      if (byEmail.get(g.email) === g.id) {
        byEmail.delete(g.email);
        const at = addedSorted.indexOf(g.email);
        if (at >= 0) addedSorted.splice(at, 1);
      }
      explicit.delete(g.id);
      return true;
    },
    memberCount(groupId) {
      const o = overlays.get(groupId);
      const added = o ? o.added.filter((a) => !a.gone && live(a.m)).length : 0;
      return genCount(groupId) - (o?.removedGenerated ?? 0) + added;
    },
    *members(groupId, from) {
      const gIndex = gg ? gg.indexOfId(groupId) : -1;
      const base = gIndex >= 0 ? gg!.memberCount(gIndex) : 0;
      const o = overlays.get(groupId);
      for (let pos = from; pos < base; pos++) {
        const m = render(gg!.memberAt(gIndex, pos));
        if (m && !o?.removed.has(m.id)) yield { next: pos + 1, member: m };
      }
      if (!o) return;
      for (let k = Math.max(0, from - base); k < o.added.length; k++) {
        const a = o.added[k]!;
        const m = a.gone ? undefined : live(a.m);
        if (m) yield { next: base + k + 1, member: m };
      }
    },
    findMember(groupId, memberId) {
      const o = overlays.get(groupId);
      const added = o?.added.find((a) => !a.gone && a.m.id === memberId);
      if (added) return live(added.m);
      if (o?.removed.has(memberId)) return undefined;
      const gIndex = gg ? gg.indexOfId(groupId) : -1;
      if (gIndex < 0) return undefined;
      const pos = generatedPosition(gIndex, memberId);
      return pos >= 0 ? render(gg!.memberAt(gIndex, pos)) : undefined;
    },
    addMember(groupId, member) {
      const o = overlay(groupId);
      const gIndex = gg ? gg.indexOfId(groupId) : -1;
      // Re-adding a removed generated member restores it in place.
      if (o.removed.has(member.id) && gIndex >= 0 && generatedPosition(gIndex, member.id) >= 0) {
        o.removed.delete(member.id);
        o.removedGenerated -= 1;
        return;
      }
      o.added.push({ m: member, gone: false });
      let set = memberOf.get(member.id);
      if (!set) memberOf.set(member.id, (set = new Set()));
      set.add(groupId);
    },
    removeMember(groupId, memberId) {
      const o = overlay(groupId);
      const added = o.added.find((a) => !a.gone && a.m.id === memberId);
      if (added) {
        added.gone = true;
        memberOf.get(memberId)?.delete(groupId);
        return true;
      }
      if (o.removed.has(memberId)) return false;
      const gIndex = gg ? gg.indexOfId(groupId) : -1;
      if (gIndex < 0 || generatedPosition(gIndex, memberId) < 0) return false;
      o.removed.add(memberId);
      o.removedGenerated += 1;
      return true;
    },
    groupsOf(memberId) {
      const ids = new Set<string>();
      if (gen) {
        const ui = users.generatedIndexOf(memberId);
        const h = gen.groups.indexOfId(memberId);
        const k = gen.externals.indexOfId(memberId);
        const gens = ui >= 0 ? gen.groups.groupsOfUser(ui) : h >= 0 ? gen.groups.groupsOfGroup(h) : k >= 0 ? gen.groups.groupsOfExternal(k) : memberId === customerId && gen.groups.count > 0 ? [0] : [];
        for (const g of gens) {
          const id = gen.groups.idAt(g);
          if (!overlays.get(id)?.removed.has(memberId)) ids.add(id);
        }
      }
      for (const id of memberOf.get(memberId) ?? []) ids.add(id);
      const out: GroupRecord[] = [];
      for (const id of ids) {
        const g = get(id);
        if (g) out.push(g);
      }
      return out.sort((a, b) => (a.email < b.email ? -1 : a.email > b.email ? 1 : 0));
    },
    outsiderId(key) {
      const k = key.trim().toLowerCase();
      for (const o of overlays.values()) {
        for (const a of o.added) {
          if ((a.m.type === 'USER' || a.m.type === 'EXTERNAL') && (a.m.email === k || a.m.id === k) && !users.get(a.m.id)) return a.m.id;
        }
      }
      return undefined;
    },
  };
  return store;
}
