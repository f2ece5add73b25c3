import { DEMO, demoPeople } from '../demo.js';
import type { Base, BaseSet, Json, Stored } from './store.js';
import { URN } from './urns.js';

/**
 * Seeded, deterministic tenant data. Ids look like the GUIDs real apps hand out but encode
 * their position, so the large size can find a resource by id without storing anything.
 */
export type SizeSpec =
  | { readonly kind: 'empty' }
  | { readonly kind: 'demo' }
  | { readonly kind: 'large'; readonly users: number; readonly groups: number; readonly membershipsPerUser: number };

export const LARGE_DEFAULT = { kind: 'large', users: 100_000, groups: 10_000, membershipsPerUser: 10 } as const satisfies SizeSpec;

/** Seeded resources were created in 2024; their timestamps do not depend on the clock. */
const EPOCH = Date.UTC(2024, 0, 8, 9, 0, 0);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A 32-bit mix (the finaliser of MurmurHash3). */
function mix(a: number, b: number): number {
  let x = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ b;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const hex = (n: number, len: number): string => (n >>> 0).toString(16).padStart(8, '0').slice(-len);
const ID_RE = /^([0-9a-f]{8})-[0-9a-f]{4}-4[0-9a-f]{3}-([89ab])[0-9a-f]{3}-([0-9a-f]{6})([0-9a-f]{6})$/;
const VARIANT = { user: '8', group: 'a' } as const;
const KIND = { user: 1, group: 2 } as const;

/**
 * A GUID-shaped id for base position i. The last group is i (two 24-bit halves) masked
 * with the salt, so ids look random but decode without a lookup; the first group is a hash
 * of the position that verifies the decoding.
 */
export function baseId(salt: number, kind: 'user' | 'group', i: number): string {
  const k = KIND[kind];
  const a = mix(salt + k, i);
  const b = mix(a, i + k);
  const lo = (i % 0x1000000) ^ (mix(salt, k) & 0xffffff);
  const hi = Math.floor(i / 0x1000000) ^ (mix(salt, k + 7) & 0xffffff);
  return `${hex(a, 8)}-${hex(b, 4)}-4${hex(b >>> 16, 3)}-${VARIANT[kind]}${hex(b >>> 4, 3)}-${hex(hi, 6)}${hex(lo, 6)}`;
}

export function baseIndex(salt: number, kind: 'user' | 'group', id: string, size: number): number | undefined {
  const m = ID_RE.exec(id);
  if (!m || m[2] !== VARIANT[kind]) return undefined;
  const k = KIND[kind];
  const lo = parseInt(m[4]!, 16) ^ (mix(salt, k) & 0xffffff);
  const hi = parseInt(m[3]!, 16) ^ (mix(salt, k + 7) & 0xffffff);
  const i = hi * 0x1000000 + lo;
  if (!(i < size) || hex(mix(salt + k, i), 8) !== m[1]) return undefined;
  return i;
}

const DEPARTMENTS = ['Engineering', 'Sales', 'Finance', 'Support', 'Marketing', 'Operations'] as const;
const TITLES: Record<(typeof DEPARTMENTS)[number], readonly string[]> = {
  Engineering: ['Software Engineer', 'Senior Software Engineer', 'Site Reliability Engineer', 'QA Engineer'],
  Sales: ['Account Executive', 'Sales Development Representative', 'Sales Engineer'],
  Finance: ['Accountant', 'Financial Analyst', 'Payroll Specialist'],
  Support: ['Support Specialist', 'Support Engineer', 'Customer Success Manager'],
  Marketing: ['Marketing Manager', 'Content Strategist', 'Designer'],
  Operations: ['Operations Analyst', 'IT Administrator', 'Office Manager'],
};
const GIVEN = ['Ada', 'Grace', 'Alan', 'Barbara', 'Edsger', 'Frances', 'Donald', 'Radia', 'Ken', 'Margaret', 'John', 'Hedy', 'Tim', 'Katherine', 'Linus', 'Shafi', 'Leslie', 'Sophie', 'Dennis', 'Joan', 'Vint', 'Anita', 'Bjarne', 'Karen', 'Guido', 'Lynn', 'Niklaus', 'Mary', 'Claude', 'Evelyn'];
const SURNAMES = ['Lovelace', 'Hopper', 'Turing', 'Liskov', 'Dijkstra', 'Allen', 'Knuth', 'Perlman', 'Thompson', 'Hamilton', 'Backus', 'Lamarr', 'Berners-Lee', 'Johnson', 'Torvalds', 'Goldwasser', 'Lamport', 'Wilson', 'Ritchie', 'Clarke', 'Cerf', 'Borg', 'Stroustrup', 'Sparck', 'van Rossum', 'Conway', 'Wirth', 'Keller', 'Shannon', 'Boyd'];

interface PersonSpec {
  readonly given: string;
  readonly family: string;
  readonly userName: string;
  readonly email: string;
  readonly externalId: string;
  readonly userType: 'Employee' | 'Contractor' | 'Guest';
  readonly active: boolean;
  readonly title: string;
  readonly department: string | null;
  readonly employeeNumber: string | null;
  readonly managerIndex: number | null;
  readonly phone: string | null;
}

function userData(p: PersonSpec, managerId: string | null): Json {
  const data: Json = {
    externalId: p.externalId,
    userName: p.userName,
    name: { formatted: `${p.given} ${p.family}`, familyName: p.family, givenName: p.given },
    displayName: `${p.given} ${p.family}`,
    title: p.title,
    userType: p.userType,
    preferredLanguage: 'en-US',
    locale: 'en-US',
    timezone: 'Europe/London',
    active: p.active,
    emails: [{ value: p.email, type: 'work', primary: true }],
  };
  if (p.phone) data['phoneNumbers'] = [{ value: p.phone, type: 'work' }];
  if (p.department !== null || p.employeeNumber !== null) {
    const ext: Json = { organization: 'Northwind Traders' };
    if (p.employeeNumber !== null) ext['employeeNumber'] = p.employeeNumber;
    if (p.department !== null) {
      ext['department'] = p.department;
      ext['costCenter'] = `CC-${(DEPARTMENTS.indexOf(p.department as (typeof DEPARTMENTS)[number]) + 1) * 100}`;
    }
    if (managerId) ext['manager'] = { value: managerId };
    data[URN.enterprise] = ext;
  }
  return data;
}

function memberList(entries: readonly { value: string; type: 'User' | 'Group' }[]): Json[] {
  return entries.map((e) => ({ value: e.value, type: e.type }));
}

/** A base over materialised arrays (the demo and empty sizes). */
function arrayBase(salt: number, users: Stored[], groups: Stored[], userNames: Map<string, string>): Base {
  const set = (kind: 'user' | 'group', items: Stored[]): BaseSet => ({
    size: items.length,
    idAt: (i) => items[i]!.id,
    at: (i) => items[i]!,
    indexOf: (id) => baseIndex(salt, kind, id, items.length),
  });
  const byMember = new Map<string, string[]>();
  for (const g of groups) {
    for (const m of (g.data['members'] as Json[] | undefined) ?? []) {
      const v = String(m['value']);
      const list = byMember.get(v) ?? [];
      list.push(g.id);
      byMember.set(v, list);
    }
  }
  return {
    users: set('user', users),
    groups: set('group', groups),
    groupsOfMember: (id) => byMember.get(id) ?? [],
    userIdByName: (lower) => userNames.get(lower),
  };
}

export function emptyBase(salt: number): Base {
  return arrayBase(salt, [], [], new Map());
}

/** Domain of the demo tenant's guests (invited from a partner company). */
export const GUEST_DOMAIN = 'fabrikam.test';

/**
 * The demo tenant: Northwind's expense app, provisioned from its directory. 56 staff (the
 * first 25 are the people of the Microsoft 365 demo tenant, same addresses, so an inventory
 * can correlate them), 4 guests from a partner, about one in nine inactive; 11 groups, one
 * nested ("Expense Approvers" holds "Managers").
 */
export function demoBase(seed: number, salt: number): Base {
  const staff = demoPeople(seed, 56);
  const guests = demoPeople(seed + 17, 4);
  const specs: PersonSpec[] = [];
  staff.forEach((p, i) => {
    const department = DEPARTMENTS[i % DEPARTMENTS.length]!;
    const head = i < DEPARTMENTS.length;
    specs.push({
      given: p.givenName,
      family: p.surname,
      userName: `${p.localPart}@${DEMO.domain}`,
      email: `${p.localPart}@${DEMO.domain}`,
      externalId: p.localPart,
      userType: i % 11 === 10 ? 'Contractor' : 'Employee',
      active: i % 9 !== 8,
      title: head ? `Head of ${department}` : TITLES[department][i % TITLES[department].length]!,
      department,
      employeeNumber: `NW${1001 + i}`,
      // Department heads report to the first head; everyone else to their department's head.
      managerIndex: i === 0 ? null : head ? 0 : i % DEPARTMENTS.length,
      phone: i % 3 === 0 ? `+44 20 7946 ${String(100 + i).padStart(4, '0')}` : null,
    });
  });
  guests.forEach((p, i) => {
    specs.push({
      given: p.givenName,
      family: p.surname,
      userName: `${p.localPart}@${GUEST_DOMAIN}`,
      email: `${p.localPart}@${GUEST_DOMAIN}`,
      externalId: `${p.localPart}_${GUEST_DOMAIN.replace('.', '_')}#EXT#`,
      userType: 'Guest',
      active: i !== 3,
      title: 'External auditor',
      department: null,
      employeeNumber: null,
      managerIndex: null,
      phone: null,
    });
  });
  const uid = (i: number): string => baseId(salt, 'user', i);
  const users: Stored[] = specs.map((p, i) => ({
    id: uid(i),
    data: userData(p, p.managerIndex === null ? null : uid(p.managerIndex)),
    created: EPOCH + i * HOUR,
    lastModified: EPOCH + i * HOUR + (i % 30) * DAY,
    version: 1,
  }));
  const staffIdx = specs.map((_, i) => i).filter((i) => specs[i]!.userType !== 'Guest');
  const u = (i: number) => ({ value: uid(i), type: 'User' as const });
  const groupSpecs: { name: string; members: { value: string; type: 'User' | 'Group' }[] }[] = [
    { name: 'All Staff', members: staffIdx.filter((i) => specs[i]!.active).map(u) },
    ...DEPARTMENTS.map((d) => ({ name: d, members: staffIdx.filter((i) => specs[i]!.department === d).map(u) })),
    { name: 'Managers', members: DEPARTMENTS.map((_, i) => u(i)) },
    { name: 'App Administrators', members: [u(0), u(7), u(13)] },
    { name: 'External Partners', members: specs.map((_, i) => i).filter((i) => specs[i]!.userType === 'Guest').map(u) },
  ];
  const managersId = baseId(salt, 'group', 7);
  groupSpecs.push({ name: 'Expense Approvers', members: [{ value: managersId, type: 'Group' }, u(8), u(14)] });
  const groups: Stored[] = groupSpecs.map((g, i) => ({
    id: baseId(salt, 'group', i),
    data: { externalId: `grp-${g.name.toLowerCase().replace(/[^a-z]+/g, '-')}`, displayName: g.name, members: memberList(g.members) },
    created: EPOCH + i * DAY,
    lastModified: EPOCH + (i + 40) * DAY,
    version: 1,
  }));
  const names = new Map(users.map((s) => [String(s.data['userName']).toLowerCase(), s.id]));
  return arrayBase(salt, users, groups, names);
}

export const LARGE_DOMAIN = 'bigcorp.test';

/**
 * The large size, computed by formula: user i, group g; user u belongs to groups
 * (u + j) mod G for j < membershipsPerUser, so group g's members are the users
 * ≡ g - j (mod G). Every 100th group also holds the next group (nesting).
 */
export function largeBase(salt: number, spec: Extract<SizeSpec, { kind: 'large' }>): Base {
  const U = spec.users;
  const G = Math.max(1, spec.groups);
  const K = Math.min(spec.membershipsPerUser, G);
  const uid = (i: number): string => baseId(salt, 'user', i);
  const gid = (g: number): string => baseId(salt, 'group', g);
  const person = (i: number): PersonSpec => {
    const h = mix(salt, i);
    const given = GIVEN[h % GIVEN.length]!;
    const family = SURNAMES[(h >>> 8) % SURNAMES.length]!;
    const local = `${given}.${family}`.toLowerCase().replace(/[^a-z.]/g, '');
    const guest = i % 50 === 49;
    const department = DEPARTMENTS[i % DEPARTMENTS.length]!;
    const email = `${local}.${i}@${guest ? GUEST_DOMAIN : LARGE_DOMAIN}`;
    return {
      given,
      family,
      userName: `${local}.${i}@${LARGE_DOMAIN}`,
      email,
      externalId: `ext-${i}`,
      userType: guest ? 'Guest' : 'Employee',
      active: i % 20 !== 19,
      title: TITLES[department][(h >>> 16) % TITLES[department].length]!,
      department: guest ? null : department,
      employeeNumber: guest ? null : String(100000 + i),
      managerIndex: guest || i % 10 === 0 ? null : i - (i % 10),
      phone: null,
    };
  };
  const users: BaseSet = {
    size: U,
    idAt: uid,
    at: (i) => {
      const p = person(i);
      return { id: uid(i), data: userData(p, p.managerIndex === null ? null : uid(p.managerIndex)), created: EPOCH + i * 60_000, lastModified: EPOCH + i * 60_000 + (i % 90) * DAY, version: 1 };
    },
    indexOf: (id) => baseIndex(salt, 'user', id, U),
    displayNameAt: (i) => {
      const p = person(i);
      return `${p.given} ${p.family}`;
    },
  };
  const groupName = (g: number): string => `${DEPARTMENTS[g % DEPARTMENTS.length]} team ${g}`;
  const membersOfGroup = (g: number): Json[] => {
    const out: Json[] = [];
    for (let j = 0; j < K; j++) {
      for (let u = (((g - j) % G) + G) % G; u < U; u += G) out.push({ value: uid(u), type: 'User' });
    }
    if (g % 100 === 0 && g + 1 < G) out.push({ value: gid(g + 1), type: 'Group' });
    return out;
  };
  const groups: BaseSet = {
    size: G,
    idAt: gid,
    at: (g) => ({
      id: gid(g),
      data: { externalId: `team-${g}`, displayName: groupName(g), members: membersOfGroup(g) },
      created: EPOCH + g * HOUR,
      lastModified: EPOCH + g * HOUR + (g % 60) * DAY,
      version: 1,
    }),
    indexOf: (id) => baseIndex(salt, 'group', id, G),
    displayNameAt: groupName,
  };
  return {
    users,
    groups,
    groupsOfMember(id) {
      const u = users.indexOf(id);
      if (u !== undefined) {
        const set = new Set<number>();
        for (let j = 0; j < K; j++) set.add((u + j) % G);
        return [...set].map(gid);
      }
      const g = groups.indexOf(id);
      if (g !== undefined && g > 0 && (g - 1) % 100 === 0) return [gid(g - 1)];
      return [];
    },
    userIdByName(lower) {
      const m = /\.(\d+)@/.exec(lower);
      if (!m) return undefined;
      const i = Number(m[1]);
      if (!(i < U)) return undefined;
      return person(i).userName.toLowerCase() === lower ? uid(i) : undefined;
    },
  };
}

export function baseFor(size: SizeSpec, seed: number, salt: number): Base {
  switch (size.kind) {
    case 'empty':
      return emptyBase(salt);
    case 'demo':
      return demoBase(seed, salt);
    case 'large':
      return largeBase(salt, size);
  }
}
