import { randomBytes } from 'node:crypto';
import type { BaseWorld, SpecialGroup, SpecialUser } from './generate.js';
import { uniqueId, type ManagedPolicy } from './policy.js';
import { groupArn, userArn, type GroupRec, type InlinePolicy, type KeyLastUsed, type KeyRec, type PrincipalKind, type RoleRec, type UserRec } from './records.js';

/**
 * The account as IAM answers it: the base world (generate.ts) under an overlay of changes
 * made through the admin API or by write-back (removed memberships, detached policies, new
 * users, deactivated keys …). Names compare case-insensitively, as IAM's do.
 *
 * Users and groups have *positions* (specials, then generated, then added), which is the
 * order List calls page through; a removed entity leaves a hole that paging skips.
 */
type Origin = { kind: 'special'; s: SpecialUser | SpecialGroup } | { kind: 'gen'; i: number } | { kind: 'added' };

interface UserRef {
  readonly rec: UserRec;
  readonly origin: Origin;
}
interface GroupRef {
  readonly rec: GroupRec;
  readonly origin: Origin;
}

const lc = (s: string): string => s.toLowerCase();
const mkey = (group: string, user: string): string => `${lc(group)}\u0000${lc(user)}`;
const pkey = (kind: PrincipalKind, name: string): string => `${kind}:${lc(name)}`;

export interface KeyPatch {
  status?: 'Active' | 'Inactive';
  createDateMs?: number;
  lastUsed?: KeyLastUsed | null;
}

export interface AccountWorld {
  readonly base: BaseWorld;
  readonly accountId: string;
  userPositions(): number;
  userAtPosition(pos: number): UserRec | undefined;
  findUser(name: string): UserRec | undefined;
  addUser(name: string, path: string, nowMs: number): UserRec;
  removeUser(name: string): boolean;
  groupPositions(): number;
  groupAtPosition(pos: number): GroupRec | undefined;
  findGroup(name: string): GroupRec | undefined;
  addGroup(name: string, path: string, nowMs: number): GroupRec;
  removeGroup(name: string): boolean;
  groupsOfUser(userName: string): GroupRec[];
  usersOfGroup(groupName: string): UserRec[];
  isMember(groupName: string, userName: string): boolean;
  addMembership(groupName: string, userName: string): void;
  removeMembership(groupName: string, userName: string): boolean;
  attached(kind: PrincipalKind, name: string): string[];
  attach(kind: PrincipalKind, name: string, arn: string): void;
  detach(kind: PrincipalKind, name: string, arn: string): boolean;
  inline(kind: PrincipalKind, name: string): InlinePolicy[];
  putInline(kind: PrincipalKind, name: string, policy: InlinePolicy): void;
  deleteInline(kind: PrincipalKind, name: string, policyName: string): boolean;
  keysOf(userName: string): KeyRec[];
  findKey(accessKeyId: string): KeyRec | undefined;
  patchKey(accessKeyId: string, patch: KeyPatch): KeyRec | undefined;
  addKey(userName: string, nowMs: number): KeyRec;
  policies(): readonly ManagedPolicy[];
  findPolicy(arn: string): ManagedPolicy | undefined;
  /** Users, groups and roles the policy is attached to (counts the whole account). */
  attachmentCount(arn: string): number;
  roles(): readonly RoleRec[];
  findRole(name: string): RoleRec | undefined;
}

export function createWorld(base: BaseWorld): AccountWorld {
  const acct = base.accountId;
  const gen = base.gen;
  const S = base.specialUsers.length;
  const SG = base.specialGroups.length;
  const specialUserByName = new Map(base.specialUsers.map((s, i) => [lc(s.user.userName), i]));
  const specialGroupByName = new Map(base.specialGroups.map((s, i) => [lc(s.group.groupName), i]));
  const specialMembers = new Map<string, string[]>();
  for (const s of base.specialUsers) for (const g of s.groups) specialMembers.set(lc(g), [...(specialMembers.get(lc(g)) ?? []), s.user.userName]);
  const specialKeyOwner = new Map<string, number>();
  base.specialUsers.forEach((s, i) => s.keys.forEach((k) => specialKeyOwner.set(k.accessKeyId, i)));

  // The overlay.
  const addedUsers: UserRec[] = [];
  const addedUserByName = new Map<string, number>();
  const removedUsers = new Set<string>();
  const addedGroups: GroupRec[] = [];
  const addedGroupByName = new Map<string, number>();
  const removedGroups = new Set<string>();
  const memberAdded = new Set<string>();
  const memberRemoved = new Set<string>();
  const addedByUser = new Map<string, Set<string>>();
  const addedByGroup = new Map<string, Set<string>>();
  const attachAdded = new Map<string, string[]>();
  const attachRemoved = new Map<string, Set<string>>();
  const inlineAdded = new Map<string, InlinePolicy[]>();
  const inlineRemoved = new Map<string, Set<string>>();
  const keyPatches = new Map<string, KeyPatch>();
  const addedKeys = new Map<string, KeyRec>();
  /** Bumped by every change, so derived caches know when to recompute. */
  let version = 0;
  let counts: { version: number; map: Map<string, number> } | undefined;

  function userRef(name: string): UserRef | undefined {
    const n = lc(name);
    const a = addedUserByName.get(n);
    if (a !== undefined) return { rec: addedUsers[a]!, origin: { kind: 'added' } };
    if (removedUsers.has(n)) return undefined;
    const s = specialUserByName.get(n);
    if (s !== undefined) return { rec: base.specialUsers[s]!.user, origin: { kind: 'special', s: base.specialUsers[s]! } };
    // Generated names are lower-case; IAM names compare case-insensitively.
    const j = gen.userIndex(n);
    return j >= 0 ? { rec: gen.userAt(j), origin: { kind: 'gen', i: j } } : undefined;
  }

  function groupRef(name: string): GroupRef | undefined {
    const n = lc(name);
    const a = addedGroupByName.get(n);
    if (a !== undefined) return { rec: addedGroups[a]!, origin: { kind: 'added' } };
    if (removedGroups.has(n)) return undefined;
    const s = specialGroupByName.get(n);
    if (s !== undefined) return { rec: base.specialGroups[s]!.group, origin: { kind: 'special', s: base.specialGroups[s]! } };
    const j = gen.groupIndex(n);
    return j >= 0 ? { rec: gen.groupAt(j), origin: { kind: 'gen', i: j } } : undefined;
  }

  function baseIsMember(g: GroupRef, u: UserRef): boolean {
    if (g.origin.kind === 'special' && u.origin.kind === 'special') return (u.origin.s as SpecialUser).groups.some((x) => lc(x) === lc(g.rec.groupName));
    if (g.origin.kind === 'gen' && u.origin.kind === 'gen') return gen.groupsOfUser(u.origin.i).includes(g.origin.i);
    return false;
  }

  function clearPrincipal(kind: PrincipalKind, name: string): void {
    const k = pkey(kind, name);
    attachAdded.delete(k);
    attachRemoved.delete(k);
    inlineAdded.delete(k);
    inlineRemoved.delete(k);
  }

  function baseAttached(kind: PrincipalKind, name: string): string[] {
    if (kind === 'role') return [...(base.roles.find((r) => lc(r.roleName) === lc(name))?.attached ?? [])];
    const ref = kind === 'user' ? userRef(name) : groupRef(name);
    if (!ref) return [];
    if (ref.origin.kind === 'special') return [...ref.origin.s.attached];
    if (ref.origin.kind === 'gen') return kind === 'user' ? gen.userAttached(ref.origin.i) : gen.groupAttached(ref.origin.i);
    return [];
  }

  function baseInline(kind: PrincipalKind, name: string): InlinePolicy[] {
    if (kind === 'role') return [...(base.roles.find((r) => lc(r.roleName) === lc(name))?.inline ?? [])];
    const ref = kind === 'user' ? userRef(name) : groupRef(name);
    if (!ref) return [];
    if (ref.origin.kind === 'special') return [...ref.origin.s.inline];
    if (ref.origin.kind === 'gen') return kind === 'user' ? gen.userInline(ref.origin.i) : gen.groupInline(ref.origin.i);
    return [];
  }

  function applyPatch(k: KeyRec): KeyRec {
    const p = keyPatches.get(k.accessKeyId);
    return p ? { ...k, ...p } as KeyRec : k;
  }

  function baseKeys(u: UserRef): KeyRec[] {
    if (u.origin.kind === 'special') return [...(u.origin.s as SpecialUser).keys];
    if (u.origin.kind === 'gen') return gen.keysOfUser(u.origin.i);
    return [];
  }

  const world: AccountWorld = {
    base,
    accountId: acct,
    userPositions: () => S + gen.users + addedUsers.length,
    userAtPosition(pos) {
      let rec: UserRec | undefined;
      if (pos < S) rec = base.specialUsers[pos]?.user;
      else if (pos < S + gen.users) rec = gen.userAt(pos - S);
      else {
        rec = addedUsers[pos - S - gen.users];
        return rec && addedUserByName.get(lc(rec.userName)) === pos - S - gen.users ? rec : undefined;
      }
      if (!rec || removedUsers.has(lc(rec.userName)) || addedUserByName.has(lc(rec.userName))) return undefined;
      return rec;
    },
    findUser: (name) => userRef(name)?.rec,
    addUser(name, path, nowMs) {
      version++;
      const n = lc(name);
      const rec: UserRec = { userName: name, userId: uniqueId('AIDA', acct, 'added-user', name, nowMs, randomBytes(4).toString('hex')), path, arn: userArn(acct, path, name), createDateMs: nowMs, passwordLastUsedMs: null };
      addedUsers.push(rec);
      addedUserByName.set(n, addedUsers.length - 1);
      return rec;
    },
    removeUser(name) {
      version++;
      const ref = userRef(name);
      if (!ref) return false;
      const n = lc(name);
      if (ref.origin.kind === 'added') addedUserByName.delete(n);
      else removedUsers.add(n);
      clearPrincipal('user', name);
      for (const g of addedByUser.get(n) ?? []) {
        memberAdded.delete(mkey(g, n));
        addedByGroup.get(g)?.delete(n);
      }
      addedByUser.delete(n);
      for (const k of [...addedKeys.values()]) if (lc(k.userName) === n) addedKeys.delete(k.accessKeyId);
      return true;
    },
    groupPositions: () => SG + gen.groups + addedGroups.length,
    groupAtPosition(pos) {
      let rec: GroupRec | undefined;
      if (pos < SG) rec = base.specialGroups[pos]?.group;
      else if (pos < SG + gen.groups) rec = gen.groupAt(pos - SG);
      else {
        rec = addedGroups[pos - SG - gen.groups];
        return rec && addedGroupByName.get(lc(rec.groupName)) === pos - SG - gen.groups ? rec : undefined;
      }
      if (!rec || removedGroups.has(lc(rec.groupName)) || addedGroupByName.has(lc(rec.groupName))) return undefined;
      return rec;
    },
    findGroup: (name) => groupRef(name)?.rec,
    addGroup(name, path, nowMs) {
      version++;
      const rec: GroupRec = { groupName: name, groupId: uniqueId('AGPA', acct, 'added-group', name, nowMs, randomBytes(4).toString('hex')), path, arn: groupArn(acct, path, name), createDateMs: nowMs };
      addedGroups.push(rec);
      addedGroupByName.set(lc(name), addedGroups.length - 1);
      return rec;
    },
    removeGroup(name) {
      version++;
      const ref = groupRef(name);
      if (!ref) return false;
      const n = lc(name);
      if (ref.origin.kind === 'added') addedGroupByName.delete(n);
      else removedGroups.add(n);
      clearPrincipal('group', name);
      for (const u of addedByGroup.get(n) ?? []) {
        memberAdded.delete(mkey(n, u));
        addedByUser.get(u)?.delete(n);
      }
      addedByGroup.delete(n);
      return true;
    },
    groupsOfUser(userName) {
      const u = userRef(userName);
      if (!u) return [];
      const out: GroupRec[] = [];
      const seen = new Set<string>();
      const push = (g: GroupRec | undefined): void => {
        if (!g || seen.has(lc(g.groupName)) || memberRemoved.has(mkey(g.groupName, userName))) return;
        seen.add(lc(g.groupName));
        out.push(g);
      };
      if (u.origin.kind === 'special') for (const g of (u.origin.s as SpecialUser).groups) push(groupRef(g)?.origin.kind === 'special' ? groupRef(g)!.rec : undefined);
      if (u.origin.kind === 'gen') for (const j of gen.groupsOfUser(u.origin.i)) push(groupRef(gen.groupAt(j).groupName)?.origin.kind === 'gen' ? gen.groupAt(j) : undefined);
      for (const g of addedByUser.get(lc(userName)) ?? []) push(groupRef(g)?.rec);
      return out;
    },
    usersOfGroup(groupName) {
      const g = groupRef(groupName);
      if (!g) return [];
      const out: UserRec[] = [];
      const seen = new Set<string>();
      const push = (u: UserRef | undefined): void => {
        if (!u || seen.has(lc(u.rec.userName)) || memberRemoved.has(mkey(groupName, u.rec.userName))) return;
        seen.add(lc(u.rec.userName));
        out.push(u.rec);
      };
      if (g.origin.kind === 'special') for (const n of specialMembers.get(lc(g.rec.groupName)) ?? []) { const u = userRef(n); push(u?.origin.kind === 'special' ? u : undefined); }
      if (g.origin.kind === 'gen') for (const i of gen.usersOfGroup(g.origin.i)) { const u = userRef(gen.userAt(i).userName); push(u?.origin.kind === 'gen' ? u : undefined); }
      for (const n of addedByGroup.get(lc(groupName)) ?? []) push(userRef(n));
      return out;
    },
    isMember(groupName, userName) {
      const g = groupRef(groupName);
      const u = userRef(userName);
      if (!g || !u) return false;
      const k = mkey(groupName, userName);
      if (memberRemoved.has(k)) return false;
      return memberAdded.has(k) || baseIsMember(g, u);
    },
    addMembership(groupName, userName) {
      version++;
      const k = mkey(groupName, userName);
      memberRemoved.delete(k);
      const g = groupRef(groupName)!;
      const u = userRef(userName)!;
      if (baseIsMember(g, u)) return;
      memberAdded.add(k);
      (addedByUser.get(lc(userName)) ?? addedByUser.set(lc(userName), new Set()).get(lc(userName))!).add(lc(groupName));
      (addedByGroup.get(lc(groupName)) ?? addedByGroup.set(lc(groupName), new Set()).get(lc(groupName))!).add(lc(userName));
    },
    removeMembership(groupName, userName) {
      version++;
      if (!world.isMember(groupName, userName)) return false;
      const k = mkey(groupName, userName);
      if (memberAdded.delete(k)) {
        addedByUser.get(lc(userName))?.delete(lc(groupName));
        addedByGroup.get(lc(groupName))?.delete(lc(userName));
      } else memberRemoved.add(k);
      return true;
    },
    attached(kind, name) {
      const k = pkey(kind, name);
      const removed = attachRemoved.get(k) ?? new Set<string>();
      const out = baseAttached(kind, name).filter((a) => !removed.has(a));
      for (const a of attachAdded.get(k) ?? []) if (!out.includes(a)) out.push(a);
      return out;
    },
    attach(kind, name, arn) {
      version++;
      const k = pkey(kind, name);
      attachRemoved.get(k)?.delete(arn);
      if (world.attached(kind, name).includes(arn)) return;
      attachAdded.set(k, [...(attachAdded.get(k) ?? []), arn]);
    },
    detach(kind, name, arn) {
      version++;
      if (!world.attached(kind, name).includes(arn)) return false;
      const k = pkey(kind, name);
      const added = attachAdded.get(k);
      if (added?.includes(arn)) attachAdded.set(k, added.filter((a) => a !== arn));
      if (baseAttached(kind, name).includes(arn)) (attachRemoved.get(k) ?? attachRemoved.set(k, new Set()).get(k)!).add(arn);
      return true;
    },
    inline(kind, name) {
      const k = pkey(kind, name);
      const removed = inlineRemoved.get(k) ?? new Set<string>();
      const added = inlineAdded.get(k) ?? [];
      const out = baseInline(kind, name).filter((p) => !removed.has(p.policyName) && !added.some((a) => a.policyName === p.policyName));
      return [...out, ...added];
    },
    putInline(kind, name, policy) {
      version++;
      const k = pkey(kind, name);
      inlineRemoved.get(k)?.delete(policy.policyName);
      inlineAdded.set(k, [...(inlineAdded.get(k) ?? []).filter((p) => p.policyName !== policy.policyName), policy]);
    },
    deleteInline(kind, name, policyName) {
      version++;
      if (!world.inline(kind, name).some((p) => p.policyName === policyName)) return false;
      const k = pkey(kind, name);
      inlineAdded.set(k, (inlineAdded.get(k) ?? []).filter((p) => p.policyName !== policyName));
      if (baseInline(kind, name).some((p) => p.policyName === policyName)) (inlineRemoved.get(k) ?? inlineRemoved.set(k, new Set()).get(k)!).add(policyName);
      return true;
    },
    keysOf(userName) {
      const u = userRef(userName);
      if (!u) return [];
      const own = [...addedKeys.values()].filter((k) => lc(k.userName) === lc(userName));
      return [...baseKeys(u), ...own].map(applyPatch);
    },
    findKey(id) {
      const added = addedKeys.get(id);
      if (added) return applyPatch(added);
      const s = specialKeyOwner.get(id);
      if (s !== undefined) {
        const owner = base.specialUsers[s]!;
        const ref = userRef(owner.user.userName);
        if (ref?.origin.kind !== 'special') return undefined;
        return applyPatch(owner.keys.find((k) => k.accessKeyId === id)!);
      }
      const g = gen.keyOwner(id);
      if (!g) return undefined;
      const ref = userRef(gen.userAt(g.i).userName);
      if (ref?.origin.kind !== 'gen') return undefined;
      return applyPatch(gen.keysOfUser(g.i)[g.k]!);
    },
    patchKey(id, patch) {
      if (!world.findKey(id)) return undefined;
      keyPatches.set(id, { ...(keyPatches.get(id) ?? {}), ...patch });
      return world.findKey(id);
    },
    addKey(userName, nowMs) {
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
      const bytes = randomBytes(16);
      const id = `AKIA${[...bytes].map((b) => alphabet[b % 32]).join('')}`;
      const rec: KeyRec = { accessKeyId: id, secret: randomBytes(30).toString('base64').slice(0, 40), userName: world.findUser(userName)!.userName, status: 'Active', createDateMs: nowMs, lastUsed: null };
      addedKeys.set(id, rec);
      return rec;
    },
    policies: () => base.policies,
    findPolicy: (arn) => base.policies.find((p) => p.arn === arn),
    attachmentCount(arn) {
      // One pass over the account per change (a 100,000-user account takes a moment), cached.
      if (!counts || counts.version !== version) {
        const map = new Map<string, number>();
        const bump = (arns: string[]): void => arns.forEach((a) => map.set(a, (map.get(a) ?? 0) + 1));
        const touched = (kind: PrincipalKind, name: string): boolean => attachAdded.has(pkey(kind, name)) || attachRemoved.has(pkey(kind, name));
        for (let pos = 0; pos < world.userPositions(); pos++) {
          if (pos >= S && pos < S + gen.users) {
            // Generated users: the formula, unless the overlay changed or shadowed this one.
            const i = pos - S;
            const n = lc(gen.userName(i));
            if (removedUsers.has(n) || addedUserByName.has(n)) continue;
            bump(touched('user', n) ? world.attached('user', n) : gen.userAttached(i));
            continue;
          }
          const u = world.userAtPosition(pos);
          if (u) bump(world.attached('user', u.userName));
        }
        for (let pos = 0; pos < world.groupPositions(); pos++) {
          if (pos >= SG && pos < SG + gen.groups) {
            const j = pos - SG;
            const n = lc(gen.groupName(j));
            if (removedGroups.has(n) || addedGroupByName.has(n)) continue;
            bump(touched('group', n) ? world.attached('group', n) : gen.groupAttached(j));
            continue;
          }
          const g = world.groupAtPosition(pos);
          if (g) bump(world.attached('group', g.groupName));
        }
        for (const r of base.roles) bump(world.attached('role', r.roleName));
        counts = { version, map };
      }
      return counts.map.get(arn) ?? 0;
    },
    roles: () => base.roles,
    findRole: (name) => base.roles.find((r) => lc(r.roleName) === lc(name)),
  };
  return world;
}
