/**
 * One Entra ID tenant's directory as the Graph simulator sees it: users, groups, direct
 * memberships (nested groups included), directory roles and service principals with their
 * app role assignments.
 *
 * The base data is a `Population` — explicit arrays for the small seeded tenants, formulas
 * for the large one (100,000 users need no memory until they are read). Everything the admin
 * API changes afterwards lives in an overlay with a change log (`seq`), which is what delta
 * rounds read: the base never changes, so a full round is a walk over indices and an
 * incremental round is a walk over the log.
 */

export type UserType = 'Member' | 'Guest';

export interface DirUser {
  readonly id: string;
  readonly userPrincipalName: string;
  readonly displayName: string;
  readonly givenName: string | null;
  readonly surname: string | null;
  readonly mail: string | null;
  readonly jobTitle: string | null;
  readonly department: string | null;
  readonly accountEnabled: boolean;
  readonly userType: UserType;
  readonly employeeId: string | null;
  readonly createdDateTime: string;
  readonly onPremisesImmutableId: string | null;
  /** 'PendingAcceptance' | 'Accepted' for invited guests, null for members. */
  readonly externalUserState: string | null;
  /** The user's manager (Graph's `manager` navigation property), by user id. */
  readonly managerId?: string | null;
  /** The manager last taken away (set by the admin API), so a delta round can report its removal. */
  readonly formerManagerId?: string | null;
  /**
   * The change-log position at which the manager was last set or taken away (the admin API):
   * a later delta round carries `manager@delta` only for users whose manager changed since its
   * token, as Graph reports a navigation property only when it changes. Absent: set before any token.
   */
  readonly managerSeq?: number;
}

export interface DirGroup {
  readonly id: string;
  readonly displayName: string;
  readonly description: string | null;
  readonly mail: string | null;
  readonly mailEnabled: boolean;
  readonly securityEnabled: boolean;
  readonly groupTypes: readonly string[];
  readonly createdDateTime: string;
  readonly isAssignableToRole: boolean;
  /** A dynamic group (groupTypes 'DynamicMembership'): Entra computes its members from this rule and refuses member writes. */
  readonly membershipRule?: string | null;
}

export type MemberKind = 'user' | 'group' | 'servicePrincipal';

export interface MemberRef {
  readonly kind: MemberKind;
  readonly id: string;
}

export interface DirRole {
  readonly id: string;
  readonly roleTemplateId: string;
  readonly displayName: string;
  readonly description: string;
  readonly members: MemberRef[];
}

export interface AppRoleDef {
  readonly id: string;
  readonly value: string;
  readonly displayName: string;
  readonly description: string;
}

export interface AppRoleAssignment {
  readonly id: string;
  readonly principalId: string;
  readonly principalType: 'User' | 'Group' | 'ServicePrincipal';
  readonly appRoleId: string;
  readonly createdDateTime: string;
}

export interface DirServicePrincipal {
  readonly id: string;
  readonly appId: string;
  readonly displayName: string;
  readonly servicePrincipalType: 'Application' | 'ManagedIdentity';
  readonly appRoles: readonly AppRoleDef[];
  readonly assignments: AppRoleAssignment[];
}

/** The immutable base of a tenant's directory. Indices are dense: 0..count-1. */
export interface Population {
  readonly userCount: number;
  userAt(i: number): DirUser;
  userIndex(id: string): number | undefined;
  readonly groupCount: number;
  groupAt(j: number): DirGroup;
  groupIndex(id: string): number | undefined;
  /** Direct members of group j in the base data. */
  members(j: number): MemberRef[];
  /** Groups (indices) user i is a direct member of in the base data. */
  userMemberOf(i: number): number[];
  /** Groups (indices) group j is a direct member of in the base data. */
  groupMemberOf(j: number): number[];
  readonly roles: DirRole[];
  readonly servicePrincipals: DirServicePrincipal[];
  /** Users with a mailbox (the continuity population); the rest are directory-only. */
  hasMailbox(i: number): boolean;
}

export type RemovedReason = 'changed' | 'deleted';

interface UserChange { readonly seq: number; readonly index: number }
interface GroupChange { readonly seq: number; readonly index: number }
export interface MembershipChange { readonly seq: number; readonly group: number; readonly member: MemberRef; readonly op: 'add' | 'remove' }

/**
 * A tenant's directory: the population plus the changes made since. A class because it has
 * state that lives as long as the sandbox (the overlay and the change log).
 */
export class Directory {
  private seqCounter = 0;
  private readonly addedUsers: DirUser[] = [];
  private readonly addedUserIndex = new Map<string, number>();
  private readonly addedMailboxes = new Set<number>();
  private readonly addedGroups: DirGroup[] = [];
  private readonly addedGroupIndex = new Map<string, number>();
  private readonly userPatch = new Map<number, Partial<DirUser>>();
  private readonly groupPatch = new Map<number, Partial<DirGroup>>();
  private readonly deletedUsers = new Map<number, RemovedReason>();
  private readonly deletedGroups = new Map<number, RemovedReason>();
  private readonly addedMembers = new Map<number, MemberRef[]>();
  private readonly removedMembers = new Map<number, Set<string>>();
  /** Append-only logs, ordered by seq: what delta rounds read. */
  readonly userLog: UserChange[] = [];
  readonly groupLog: GroupChange[] = [];
  readonly membershipLog: MembershipChange[] = [];

  constructor(
    readonly tenantId: string,
    readonly domain: string,
    readonly displayName: string,
    readonly population: Population,
  ) {}

  get seq(): number {
    return this.seqCounter;
  }

  private bump(): number {
    this.seqCounter += 1;
    return this.seqCounter;
  }

  // ── users ──

  get userTotal(): number {
    return this.population.userCount + this.addedUsers.length;
  }

  /** The live user at index i (patched), or undefined when deleted or out of range. */
  userAt(i: number): DirUser | undefined {
    if (i < 0 || i >= this.userTotal || this.deletedUsers.has(i)) return undefined;
    return this.userRaw(i);
  }

  private userRaw(i: number): DirUser {
    const base = i < this.population.userCount ? this.population.userAt(i) : this.addedUsers[i - this.population.userCount]!;
    const patch = this.userPatch.get(i);
    return patch ? { ...base, ...patch } : base;
  }

  userIdAt(i: number): string {
    return i < this.population.userCount ? this.population.userAt(i).id : this.addedUsers[i - this.population.userCount]!.id;
  }

  userIndex(idOrUpn: string): number | undefined {
    const k = idOrUpn.toLowerCase();
    const byId = this.population.userIndex(k) ?? this.addedUserIndex.get(k);
    if (byId !== undefined) return byId;
    if (!k.includes('@')) return undefined;
    // By UPN: the small tenants only (a linear scan would be wrong for 100,000 users).
    if (this.userTotal > 5_000) return undefined;
    for (let i = 0; i < this.userTotal; i++) if (this.userRaw(i).userPrincipalName.toLowerCase() === k) return i;
    return undefined;
  }

  userDeletedReason(i: number): RemovedReason | undefined {
    return this.deletedUsers.get(i);
  }

  hasMailbox(i: number): boolean {
    return i < this.population.userCount ? this.population.hasMailbox(i) : this.addedMailboxes.has(i);
  }

  /** `mailbox`: the user is licensed for Exchange Online (continuity benchmarks add such users). */
  addUser(u: DirUser, opts: { mailbox?: boolean } = {}): number {
    const i = this.userTotal;
    if (opts.mailbox) this.addedMailboxes.add(i);
    this.addedUsers.push(u);
    this.addedUserIndex.set(u.id.toLowerCase(), i);
    this.userLog.push({ seq: this.bump(), index: i });
    return i;
  }

  updateUser(i: number, patch: Partial<DirUser>): boolean {
    if (!this.userAt(i)) return false;
    this.userPatch.set(i, { ...this.userPatch.get(i), ...patch, id: this.userIdAt(i) });
    this.userLog.push({ seq: this.bump(), index: i });
    return true;
  }

  /** 'changed' = soft delete (restorable for 30 days), 'deleted' = permanent. */
  deleteUser(i: number, reason: RemovedReason = 'changed'): boolean {
    if (!this.userAt(i)) return false;
    this.deletedUsers.set(i, reason);
    this.userLog.push({ seq: this.bump(), index: i });
    return true;
  }

  // ── groups ──

  get groupTotal(): number {
    return this.population.groupCount + this.addedGroups.length;
  }

  groupAt(j: number): DirGroup | undefined {
    if (j < 0 || j >= this.groupTotal || this.deletedGroups.has(j)) return undefined;
    const base = j < this.population.groupCount ? this.population.groupAt(j) : this.addedGroups[j - this.population.groupCount]!;
    const patch = this.groupPatch.get(j);
    return patch ? { ...base, ...patch } : base;
  }

  groupIdAt(j: number): string {
    return j < this.population.groupCount ? this.population.groupAt(j).id : this.addedGroups[j - this.population.groupCount]!.id;
  }

  groupIndex(id: string): number | undefined {
    const k = id.toLowerCase();
    return this.population.groupIndex(k) ?? this.addedGroupIndex.get(k);
  }

  groupDeletedReason(j: number): RemovedReason | undefined {
    return this.deletedGroups.get(j);
  }

  addGroup(g: DirGroup): number {
    const j = this.groupTotal;
    this.addedGroups.push(g);
    this.addedGroupIndex.set(g.id.toLowerCase(), j);
    this.groupLog.push({ seq: this.bump(), index: j });
    return j;
  }

  updateGroup(j: number, patch: Partial<DirGroup>): boolean {
    if (!this.groupAt(j)) return false;
    this.groupPatch.set(j, { ...this.groupPatch.get(j), ...patch, id: this.groupIdAt(j) });
    this.groupLog.push({ seq: this.bump(), index: j });
    return true;
  }

  deleteGroup(j: number, reason: RemovedReason = 'changed'): boolean {
    if (!this.groupAt(j)) return false;
    this.deletedGroups.set(j, reason);
    this.groupLog.push({ seq: this.bump(), index: j });
    return true;
  }

  // ── memberships ──

  /** Live direct members of group j (deleted members left out, as Graph leaves them out). */
  members(j: number): MemberRef[] {
    if (!this.groupAt(j)) return [];
    const removed = this.removedMembers.get(j);
    const base = j < this.population.groupCount ? this.population.members(j) : [];
    const out: MemberRef[] = [];
    for (const m of removed ? base.filter((r) => !removed.has(r.id)) : base) if (this.refAlive(m)) out.push(m);
    for (const m of this.addedMembers.get(j) ?? []) if (this.refAlive(m)) out.push(m);
    return out;
  }

  isMember(j: number, memberId: string): MemberRef | undefined {
    return this.members(j).find((m) => m.id === memberId.toLowerCase() || m.id === memberId);
  }

  addMember(j: number, ref: MemberRef): boolean {
    if (!this.groupAt(j) || this.isMember(j, ref.id)) return false;
    const removed = this.removedMembers.get(j);
    const base = j < this.population.groupCount ? this.population.members(j) : [];
    if (removed?.has(ref.id) && base.some((b) => b.id === ref.id)) removed.delete(ref.id);
    else this.addedMembers.set(j, [...(this.addedMembers.get(j) ?? []), ref]);
    this.membershipLog.push({ seq: this.bump(), group: j, member: ref, op: 'add' });
    return true;
  }

  removeMember(j: number, memberId: string): boolean {
    const ref = this.isMember(j, memberId);
    if (!ref) return false;
    const added = this.addedMembers.get(j);
    if (added?.some((a) => a.id === ref.id)) this.addedMembers.set(j, added.filter((a) => a.id !== ref.id));
    else {
      const set = this.removedMembers.get(j) ?? new Set<string>();
      set.add(ref.id);
      this.removedMembers.set(j, set);
    }
    this.membershipLog.push({ seq: this.bump(), group: j, member: ref, op: 'remove' });
    return true;
  }

  /** Groups (indices) the object is a direct member of. */
  memberOf(ref: MemberRef): number[] {
    const out = new Set<number>();
    if (ref.kind === 'user') {
      const i = this.userIndex(ref.id);
      if (i !== undefined && i < this.population.userCount) for (const j of this.population.userMemberOf(i)) out.add(j);
    } else if (ref.kind === 'group') {
      const j = this.groupIndex(ref.id);
      if (j !== undefined && j < this.population.groupCount) for (const p of this.population.groupMemberOf(j)) out.add(p);
    }
    for (const [j, set] of this.removedMembers) if (set.has(ref.id)) out.delete(j);
    for (const [j, list] of this.addedMembers) if (list.some((m) => m.id === ref.id)) out.add(j);
    return [...out].filter((j) => this.groupAt(j) !== undefined).sort((a, b) => a - b);
  }

  /** Every member reachable through nested groups, each once (groups included, as Graph lists them). */
  transitiveMembers(j: number): MemberRef[] {
    const seen = new Set<string>();
    const out: MemberRef[] = [];
    const stack = [j];
    const visited = new Set<number>([j]);
    while (stack.length) {
      const g = stack.pop()!;
      for (const m of this.members(g)) {
        if (!seen.has(m.id)) {
          seen.add(m.id);
          out.push(m);
        }
        if (m.kind === 'group') {
          const child = this.groupIndex(m.id);
          if (child !== undefined && !visited.has(child)) {
            visited.add(child);
            stack.push(child);
          }
        }
      }
    }
    return out;
  }

  transitiveMemberOf(ref: MemberRef): number[] {
    const out = new Set<number>();
    const stack = this.memberOf(ref);
    while (stack.length) {
      const j = stack.pop()!;
      if (out.has(j)) continue;
      out.add(j);
      stack.push(...this.memberOf({ kind: 'group', id: this.groupIdAt(j) }));
    }
    return [...out].sort((a, b) => a - b);
  }

  /** The member still exists (a deleted user or group is no group's member, as in Entra). */
  refAlive(m: MemberRef): boolean {
    if (m.kind === 'user') {
      const i = this.userIndex(m.id);
      return i !== undefined && !this.deletedUsers.has(i);
    }
    if (m.kind === 'group') {
      const j = this.groupIndex(m.id);
      return j !== undefined && !this.deletedGroups.has(j);
    }
    return true;
  }

  /** Resolves a directory object id to its kind (user, group or service principal). */
  kindOf(id: string): MemberKind | undefined {
    if (this.userIndex(id) !== undefined) return 'user';
    if (this.groupIndex(id) !== undefined) return 'group';
    if (this.population.servicePrincipals.some((s) => s.id === id)) return 'servicePrincipal';
    return undefined;
  }
}

/** First log entry with seq > after (logs are ordered by seq). */
export function logStart<T extends { seq: number }>(log: readonly T[], after: number): number {
  let lo = 0;
  let hi = log.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (log[mid]!.seq <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
