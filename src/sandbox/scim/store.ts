/**
 * Resource storage of one SCIM tenant: a read-only *base* (seeded data, materialised for
 * the demo or computed by formula for the large size) under a small mutable *overlay* of
 * everything written since. The large size therefore costs nothing until it is read, and
 * writes in a 100,000-user tenant touch only the resources they change.
 */
export type Json = Record<string, unknown>;

/** A stored resource: its attributes without id, meta, schemas and computed ones (a user's groups). */
export interface Stored {
  readonly id: string;
  readonly data: Json;
  /** Epoch ms. */
  readonly created: number;
  readonly lastModified: number;
  /** Bumped on every change; rendered as the weak ETag W/"<version>". */
  readonly version: number;
}

/** The base of one resource type: positions 0..size-1 in natural (creation) order. */
export interface BaseSet {
  readonly size: number;
  idAt(i: number): string;
  at(i: number): Stored;
  indexOf(id: string): number | undefined;
  /** The displayName at position i without building the whole resource (a large group's members are costly). */
  displayNameAt?(i: number): string;
}

export interface Base {
  readonly users: BaseSet;
  readonly groups: BaseSet;
  /** Base group ids whose base members include memberId (a user or a group). */
  groupsOfMember(memberId: string): readonly string[];
  /** The base user id with this userName (lower-cased), if any. */
  userIdByName(lowerUserName: string): string | undefined;
}

/** One resource type: base + overlay, in natural order (base first, then created ones). */
export interface Collection {
  count(): number;
  get(id: string): Stored | undefined;
  /** The displayName of a resource, cheaply. */
  displayName(id: string): string | undefined;
  /** The resource at 0-based position p of the natural order, in O(deletions). */
  at(p: number): Stored | undefined;
  all(): Iterable<Stored>;
  /** True when the overlay holds this id (changed, created or deleted). */
  overridden(id: string): boolean;
  put(s: Stored): void;
  delete(id: string): boolean;
  /** Resources in the overlay (changed or created, alive). */
  overlayValues(): Iterable<Stored>;
}

export function createCollection(base: BaseSet): Collection {
  const overlay = new Map<string, Stored | null>();
  const created: string[] = [];
  const deletedBase: number[] = []; // sorted base positions
  const overriddenBase = new Set<number>(); // base positions the overlay holds (changed or deleted)

  function get(id: string): Stored | undefined {
    if (overlay.has(id)) return overlay.get(id) ?? undefined;
    const i = base.indexOf(id);
    return i === undefined ? undefined : base.at(i);
  }

  return {
    count: () => base.size - deletedBase.length + created.length,
    get,
    displayName(id) {
      if (!overlay.has(id) && base.displayNameAt) {
        const i = base.indexOf(id);
        if (i !== undefined) return base.displayNameAt(i);
      }
      const v = get(id)?.data['displayName'];
      return typeof v === 'string' ? v : undefined;
    },
    at(p) {
      if (p < 0) return undefined;
      const baseAlive = base.size - deletedBase.length;
      if (p < baseAlive) {
        let i = p;
        for (const d of deletedBase) {
          if (d <= i) i += 1;
          else break;
        }
        return get(base.idAt(i));
      }
      const id = created[p - baseAlive];
      return id === undefined ? undefined : get(id);
    },
    *all() {
      for (let i = 0; i < base.size; i++) {
        if (overriddenBase.has(i)) {
          const v = overlay.get(base.idAt(i));
          if (v) yield v;
        } else yield base.at(i);
      }
      for (const id of created) {
        const v = overlay.get(id);
        if (v) yield v;
      }
    },
    overridden: (id) => overlay.has(id),
    put(s) {
      if (overlay.get(s.id) === null) throw new Error(`resource ${s.id} was deleted`);
      if (!overlay.has(s.id)) {
        const i = base.indexOf(s.id);
        if (i === undefined) created.push(s.id);
        else overriddenBase.add(i);
      }
      overlay.set(s.id, s);
    },
    delete(id) {
      if (!get(id)) return false;
      overlay.set(id, null);
      const i = base.indexOf(id);
      if (i !== undefined) {
        overriddenBase.add(i);
        let at = deletedBase.findIndex((d) => d > i);
        if (at < 0) at = deletedBase.length;
        deletedBase.splice(at, 0, i);
      } else {
        const at = created.indexOf(id);
        if (at >= 0) created.splice(at, 1);
      }
      return true;
    },
    *overlayValues() {
      for (const v of overlay.values()) if (v) yield v;
    },
  };
}

/**
 * Users and groups of one tenant, with the indexes writes and reads need: userName
 * uniqueness and groups of a member (for a user's `groups` and for removing a deleted
 * resource from the groups that held it).
 */
export interface Directory {
  readonly users: Collection;
  readonly groups: Collection;
  userIdByName(userName: string): string | undefined;
  groupsOfMember(memberId: string): string[];
  putUser(s: Stored): void;
  putGroup(s: Stored): void;
  deleteUser(id: string): boolean;
  deleteGroup(id: string): boolean;
}

export function createDirectory(base: Base): Directory {
  const users = createCollection(base.users);
  const groups = createCollection(base.groups);
  const names = new Map<string, string>(); // lower userName → id, overlay users only
  const nameOf = new Map<string, string>(); // id → lower userName, overlay users only
  const memberIndex = new Map<string, Set<string>>(); // member id → overlay group ids
  const membersOf = new Map<string, string[]>(); // overlay group id → member ids

  function unindexGroup(gid: string): void {
    for (const m of membersOf.get(gid) ?? []) memberIndex.get(m)?.delete(gid);
    membersOf.delete(gid);
  }

  return {
    users,
    groups,
    userIdByName(userName) {
      const lower = userName.toLowerCase();
      const o = names.get(lower);
      if (o) return o;
      const b = base.userIdByName(lower);
      return b !== undefined && !users.overridden(b) ? b : undefined;
    },
    groupsOfMember(memberId) {
      const out = base.groupsOfMember(memberId).filter((g) => !groups.overridden(g));
      for (const g of memberIndex.get(memberId) ?? []) out.push(g);
      return out;
    },
    putUser(s) {
      const old = nameOf.get(s.id);
      if (old !== undefined) names.delete(old);
      const lower = String(s.data['userName'] ?? '').toLowerCase();
      names.set(lower, s.id);
      nameOf.set(s.id, lower);
      users.put(s);
    },
    putGroup(s) {
      unindexGroup(s.id);
      const ids = memberIds(s);
      membersOf.set(s.id, ids);
      for (const m of ids) {
        let set = memberIndex.get(m);
        if (!set) memberIndex.set(m, (set = new Set()));
        set.add(s.id);
      }
      groups.put(s);
    },
    deleteUser(id) {
      const old = nameOf.get(id);
      if (old !== undefined) names.delete(old);
      nameOf.delete(id);
      return users.delete(id);
    },
    deleteGroup(id) {
      unindexGroup(id);
      return groups.delete(id);
    },
  };
}

export function memberIds(group: Stored): string[] {
  const members = group.data['members'];
  if (!Array.isArray(members)) return [];
  return members.map((m) => String((m as Json)['value'] ?? '')).filter((v) => v !== '');
}
