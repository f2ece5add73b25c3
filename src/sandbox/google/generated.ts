import { prng } from '../demo.js';
import type { MemberRole, UserRecord } from './directory-model.js';

/**
 * A large Workspace customer made by formula: user i, group g and the j-th member of group g
 * are computed from their index and the seed, never stored. Creating one costs a few arrays
 * of per-group numbers (sizes and offsets), so 100,000 users, 10,000 groups and 1,000,000
 * memberships start in milliseconds and take almost no memory. Everything a mutation
 * changes lives in the overlay of the stores (users-store.ts, groups-store.ts).
 *
 * Emails are built so that index order IS email order (the lists below are sorted by the
 * exact strings that appear in the address), which makes users.list paging a binary search.
 * Memberships tile a permutation of the users: group g holds the users at permuted positions
 * [C_g, C_g + n_g) (mod N), so "is user i in group g" and "which groups hold user i" are
 * arithmetic too.
 */
export interface GeneratedSize {
  readonly users: number;
  readonly groups: number;
  /** Direct memberships in all groups: users, nested groups, external members and the customer. */
  readonly memberships: number;
}

export const LARGE_CUSTOMER: GeneratedSize = { users: 100_000, groups: 10_000, memberships: 1_000_000 };

export type GeneratedMember =
  | { readonly kind: 'user'; readonly index: number; readonly role: MemberRole }
  | { readonly kind: 'group'; readonly index: number }
  | { readonly kind: 'external'; readonly index: number }
  | { readonly kind: 'customer' };

export interface GeneratedExternal {
  readonly id: string;
  readonly email: string;
  /** Half the outside members come back typed EXTERNAL, half as a USER from another domain. */
  readonly type: 'EXTERNAL' | 'USER';
}

export interface GeneratedGroup {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly description: string;
}

export interface Generated {
  readonly size: GeneratedSize;
  readonly users: {
    readonly count: number;
    emailAt(i: number): string;
    idAt(i: number): string;
    at(i: number): UserRecord;
    indexOfEmail(email: string): number;
    indexOfId(id: string): number;
    /** The first index whose email sorts after `email` (count when none). */
    after(email: string): number;
  };
  readonly groups: {
    readonly count: number;
    emailAt(g: number): string;
    idAt(g: number): string;
    at(g: number): GeneratedGroup;
    indexOfEmail(email: string): number;
    indexOfId(id: string): number;
    after(email: string): number;
    memberCount(g: number): number;
    memberAt(g: number, pos: number): GeneratedMember;
    /** Position of the user / group / external in group g's member list, or -1. */
    positionOfUser(g: number, i: number): number;
    positionOfGroup(g: number, h: number): number;
    positionOfExternal(g: number, k: number): number;
    groupsOfUser(i: number): number[];
    groupsOfGroup(h: number): number[];
    groupsOfExternal(k: number): number[];
  };
  readonly externals: {
    readonly count: number;
    at(k: number): GeneratedExternal;
    indexOfEmail(email: string): number;
    indexOfId(id: string): number;
  };
}

// Sorted by the exact string that appears in the address followed by its separator, so that
// comparing whole addresses orders them by index (see the note above).
const GIVEN = sortFor('.', ['ada', 'alan', 'anita', 'barbara', 'bjarne', 'claude', 'dennis', 'donald', 'edsger', 'evelyn', 'frances', 'grace', 'guido', 'hedy', 'joan', 'john', 'karen', 'katherine', 'ken', 'leslie', 'linus', 'lynn', 'margaret', 'mary', 'niklaus', 'radia', 'shafi', 'sophie', 'tim', 'vint', 'alice', 'brian', 'carol', 'david', 'erin', 'frank', 'gwen', 'henry', 'irene', 'jack']);
const SURNAMES = sortFor('.', ['allen', 'backus', 'bernerslee', 'borg', 'boyd', 'cerf', 'clarke', 'conway', 'dijkstra', 'goldwasser', 'hamilton', 'hopper', 'johnson', 'keller', 'knuth', 'lamarr', 'lamport', 'liskov', 'lovelace', 'perlman', 'ritchie', 'shannon', 'sparck', 'stroustrup', 'thompson', 'torvalds', 'turing', 'vanrossum', 'wilson', 'wirth', 'abbott', 'baker', 'carter', 'dalton', 'ellis', 'fisher', 'garcia', 'hughes', 'ingram', 'jensen']);
const TOPICS = sortFor('-', ['accounting', 'design', 'engineering', 'facilities', 'finance', 'legal', 'marketing', 'operations', 'people', 'product', 'research', 'sales', 'security', 'support']);
const DEPARTMENTS = ['Engineering', 'Finance', 'Legal', 'Marketing', 'Operations', 'People', 'Product', 'Sales', 'Support'];
const TITLES = ['Analyst', 'Engineer', 'Manager', 'Specialist', 'Director', 'Associate', 'Consultant'];
const EXTERNAL_DOMAINS = ['contractors.example', 'partner-agency.example', 'gmail.com', 'auditfirm.example'];
/** A fixed "today" for generated sign-in times, so the world does not depend on the wall clock. */
const REFERENCE_MS = Date.UTC(2026, 9, 1);
const DAY_MS = 86_400_000;

function sortFor(sep: string, words: string[]): string[] {
  return [...new Set(words)].sort((a, b) => cmp(a + sep, b + sep));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** murmur3's finaliser: a cheap, well-mixed 32-bit hash of (seed, n). */
export function mix(seed: number, n: number): number {
  let h = (seed ^ Math.imul(n + 0x9e3779b9, 0x85ebca6b)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

function modInverse(a: number, n: number): number {
  if (n === 1) return 0;
  let [t, newT, r, newR] = [0, 1, n, a];
  while (newR !== 0) {
    const q = Math.floor(r / newR);
    [t, newT] = [newT, t - q * newT];
    [r, newR] = [newR, r - q * newR];
  }
  return ((t % n) + n) % n;
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

export function createGenerated(seed: number, domain: string, size: GeneratedSize): Generated {
  const N = Math.max(0, Math.floor(size.users));
  const G = Math.max(0, Math.floor(size.groups));
  const rand = prng(seed ^ 0x51ab1e);
  const tag7 = pad(mix(seed, 7) % 10_000_000, 7);
  const tag4 = (mix(seed, 4) % 36 ** 4).toString(36).padStart(4, '0');

  // ── users ──
  const combos = GIVEN.length * SURNAMES.length;
  const K = Math.max(1, Math.ceil(N / combos));
  const kDigits = String(K - 1).length;
  const perGiven = SURNAMES.length * K;
  const givenIndex = new Map(GIVEN.map((g, i) => [g, i]));
  const surnameIndex = new Map(SURNAMES.map((s, i) => [s, i]));

  const userLocal = (i: number): { given: string; surname: string; local: string } => {
    const given = GIVEN[Math.floor(i / perGiven)]!;
    const rem = i % perGiven;
    const surname = SURNAMES[Math.floor(rem / K)]!;
    return { given, surname, local: `${given}.${surname}.${pad(rem % K, kDigits)}` };
  };
  const userEmail = (i: number): string => `${userLocal(i).local}@${domain}`;
  const userId = (i: number): string => `1${tag7}${pad(i, 13)}`;

  const users: Generated['users'] = {
    count: N,
    emailAt: userEmail,
    idAt: userId,
    at(i) {
      const { given, surname } = userLocal(i);
      const h = mix(seed, i * 4 + 1);
      const h2 = mix(seed, i * 4 + 2);
      const suspended = h % 50 === 0;
      const neverSignedIn = (h >>> 8) % 20 === 0;
      const dept = DEPARTMENTS[h2 % DEPARTMENTS.length]!;
      return {
        id: userId(i),
        primaryEmail: userEmail(i),
        givenName: cap(given),
        familyName: cap(surname),
        suspended,
        archived: !suspended && (h >>> 12) % 200 === 0,
        creationTime: Date.UTC(2018, 0, 1) + (h2 % 2_500) * DAY_MS + (h % 86_400) * 1000,
        lastLoginTime: neverSignedIn ? null : REFERENCE_MS - ((h >>> 4) % (90 * 24 * 60)) * 60_000,
        changePasswordAtNextLogin: false,
        aliases: [],
        orgUnitPath: `/${dept}`,
        externalIds: (h >>> 20) % 10 === 0 ? [] : [{ value: `E${pad(i + 1, 6)}`, type: 'organization' }],
        organizations: [{ title: TITLES[(h2 >>> 8) % TITLES.length]!, department: dept, primary: true }],
        // An org chart: eight reports per manager, by address as the console stores it; a tenth have none.
        relations: i > 0 && (h2 >>> 20) % 10 !== 0 ? [{ value: userEmail(Math.floor((i - 1) / 8)), type: 'manager' }] : [],
        isEnrolledIn2Sv: (h2 >>> 16) % 3 !== 0,
      };
    },
    indexOfEmail(email) {
      const at = email.lastIndexOf('@');
      if (at < 0 || email.slice(at + 1) !== domain) return -1;
      const m = /^([a-z]+)\.([a-z]+)\.(\d+)$/.exec(email.slice(0, at));
      if (!m || m[3]!.length !== kDigits) return -1;
      const gi = givenIndex.get(m[1]!);
      const si = surnameIndex.get(m[2]!);
      const k = Number(m[3]);
      if (gi === undefined || si === undefined || k >= K) return -1;
      const i = gi * perGiven + si * K + k;
      return i < N ? i : -1;
    },
    indexOfId(id) {
      if (id.length !== 21 || !id.startsWith(`1${tag7}`) || !/^\d+$/.test(id)) return -1;
      const i = Number(id.slice(8));
      return i < N ? i : -1;
    },
    after(email) {
      return lowerBound(N, (i) => userEmail(i) > email);
    },
  };

  // ── externals (members from outside the customer) ──
  const P = G === 0 ? 0 : Math.max(32, Math.ceil(G / 10));
  const externals: Generated['externals'] = {
    count: P,
    at(k) {
      return { id: `1${tag7}9${pad(k, 12)}`, email: `guest${pad(k, 5)}@${EXTERNAL_DOMAINS[k % EXTERNAL_DOMAINS.length]}`, type: k % 2 === 0 ? 'EXTERNAL' : 'USER' };
    },
    indexOfEmail(email) {
      const m = /^guest(\d{5})@(.+)$/.exec(email);
      if (!m) return -1;
      const k = Number(m[1]);
      return k < P && EXTERNAL_DOMAINS[k % EXTERNAL_DOMAINS.length] === m[2] ? k : -1;
    },
    indexOfId(id) {
      if (id.length !== 21 || !id.startsWith(`1${tag7}9`) || !/^\d+$/.test(id)) return -1;
      const k = Number(id.slice(9));
      return k < P ? k : -1;
    },
  };

  // ── group plan: per group, how many nested groups, external members and users ──
  const nested = new Uint8Array(G);
  const ext = new Uint8Array(G);
  const userCount = new Int32Array(G);
  const offset = new Float64Array(G); // C_g: where group g's users start in the tiling
  const childOffset = (g: number): number => g % 5;
  const childAt = (g: number, t: number): number => g + 1 + 7 * t + childOffset(g);
  const MAX_NESTED = 3;
  let fixed = G > 0 ? 1 : 0; // group 0 has the CUSTOMER member (everyone in the customer)
  const weights = new Float64Array(G);
  let weightSum = 0;
  for (let g = 0; g < G; g++) {
    if (rand() < 0.05) {
      const want = 1 + Math.floor(rand() * MAX_NESTED);
      let n = 0;
      while (n < want && childAt(g, n) < G) n++;
      nested[g] = n;
    }
    if (P > 0 && rand() < 0.03) ext[g] = 1 + Math.floor(rand() * 2);
    fixed += nested[g]! + ext[g]!;
    // A heavy tail: most groups are small, a few hold thousands.
    const w = 1 / (0.015 + rand()) ** 1.6;
    weights[g] = w;
    weightSum += w;
  }
  const targetUsers = Math.max(0, Math.floor(size.memberships) - fixed);
  let assigned = 0;
  for (let g = 0; g < G; g++) {
    userCount[g] = Math.min(N, Math.floor((targetUsers * weights[g]!) / weightSum));
    assigned += userCount[g]!;
  }
  // Hand out the rounding remainder one by one (never beyond N per group).
  for (let g = 0, guard = 0; assigned < targetUsers && N > 0 && guard < targetUsers + G; g = (g + 1) % G, guard++) {
    if (userCount[g]! < N) {
      userCount[g] = userCount[g]! + 1;
      assigned += 1;
    }
  }
  let total = 0;
  for (let g = 0; g < G; g++) {
    offset[g] = total;
    total += userCount[g]!;
  }
  const tiled = total;

  // The permutation of users: x → (a·x + b) mod N, a coprime with N.
  let a = N > 1 ? (mix(seed, 11) % (N - 1)) + 1 : 1;
  while (N > 1 && gcd(a, N) !== 1) a = (a % (N - 1)) + 1;
  const b = N > 0 ? mix(seed, 13) % N : 0;
  const aInv = N > 0 ? modInverse(a % N, N) : 0;
  const perm = (x: number): number => (a * x + b) % N;
  const unperm = (u: number): number => (aInv * ((u - b + N) % N)) % N;

  const topicsPer = Math.max(1, Math.ceil(G / TOPICS.length));
  const jDigits = String(topicsPer - 1).length;
  const topicIndex = new Map(TOPICS.map((t, i) => [t, i]));
  const groupEmail = (g: number): string => `${TOPICS[Math.floor(g / topicsPer)]}-${pad(g % topicsPer, jDigits)}@${domain}`;
  const groupId = (g: number): string => `0${tag4}${g.toString(36).padStart(10, '0')}`;
  const extAt = (g: number, t: number): number => (mix(seed, g * 8 + 3) + t * 13) % P;
  const headCount = (g: number): number => nested[g]! + ext[g]! + (g === 0 ? 1 : 0);

  /** The group whose tile holds cumulative position c, or -1. */
  const groupAtTile = (c: number): number => {
    if (c >= tiled) return -1;
    const g = lowerBound(G, (k) => offset[k]! > c) - 1;
    return g >= 0 && c < offset[g]! + userCount[g]! ? g : -1;
  };

  const groups: Generated['groups'] = {
    count: G,
    emailAt: groupEmail,
    idAt: groupId,
    at(g) {
      const topic = TOPICS[Math.floor(g / topicsPer)]!;
      return { id: groupId(g), email: groupEmail(g), name: `${cap(topic)} ${g % topicsPer}`, description: g === 0 ? 'Everyone in the organisation' : `${cap(topic)} team ${g % topicsPer}` };
    },
    indexOfEmail(email) {
      const at = email.lastIndexOf('@');
      if (at < 0 || email.slice(at + 1) !== domain) return -1;
      const m = /^([a-z]+)-(\d+)$/.exec(email.slice(0, at));
      if (!m || m[2]!.length !== jDigits) return -1;
      const ti = topicIndex.get(m[1]!);
      const j = Number(m[2]);
      if (ti === undefined || j >= topicsPer) return -1;
      const g = ti * topicsPer + j;
      return g < G ? g : -1;
    },
    indexOfId(id) {
      if (id.length !== 15 || !id.startsWith(`0${tag4}`)) return -1;
      const g = parseInt(id.slice(5), 36);
      return Number.isInteger(g) && g >= 0 && g < G && groupId(g) === id ? g : -1;
    },
    after(email) {
      return lowerBound(G, (g) => groupEmail(g) > email);
    },
    memberCount: (g) => headCount(g) + userCount[g]!,
    memberAt(g, pos) {
      if (pos < nested[g]!) return { kind: 'group', index: childAt(g, pos) };
      let p = pos - nested[g]!;
      if (p < ext[g]!) return { kind: 'external', index: extAt(g, p) };
      p -= ext[g]!;
      if (g === 0) {
        if (p === 0) return { kind: 'customer' };
        p -= 1;
      }
      const role: MemberRole = p === 0 ? 'OWNER' : userCount[g]! > 20 && p <= 2 ? 'MANAGER' : 'MEMBER';
      return { kind: 'user', index: perm((offset[g]! + p) % N), role };
    },
    positionOfUser(g, i) {
      if (N === 0 || userCount[g]! === 0) return -1;
      const x = unperm(i);
      // x + t·N for the wrap-arounds of the tiling.
      const start = offset[g]!;
      const end = start + userCount[g]!;
      let c = start - (start % N) + x;
      if (c < start) c += N;
      return c < end ? headCount(g) + (c - start) : -1;
    },
    positionOfGroup(g, h) {
      for (let t = 0; t < nested[g]!; t++) if (childAt(g, t) === h) return t;
      return -1;
    },
    positionOfExternal(g, k) {
      for (let t = 0; t < ext[g]!; t++) if (extAt(g, t) === k) return nested[g]! + t;
      return -1;
    },
    groupsOfUser(i) {
      if (N === 0) return [];
      const out: number[] = [];
      for (let c = unperm(i); c < tiled; c += N) {
        const g = groupAtTile(c);
        if (g >= 0) out.push(g);
      }
      return out;
    },
    groupsOfGroup(h) {
      const out: number[] = [];
      for (let g = Math.max(0, h - 1 - 7 * MAX_NESTED - 5); g < h; g++) if (groups.positionOfGroup(g, h) >= 0) out.push(g);
      return out;
    },
    groupsOfExternal(k) {
      const out: number[] = [];
      for (let g = 0; g < G; g++) if (ext[g]! > 0 && groups.positionOfExternal(g, k) >= 0) out.push(g);
      return out;
    },
  };

  return { size: { users: N, groups: G, memberships: tiled + fixed }, users, groups, externals };
}

/** The first index in [0, n) for which `isAfter` holds (it must be monotonic); n when none. */
export function lowerBound(n: number, isAfter: (i: number) => boolean): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (isAfter(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
