/**
 * The demo tenant both vendors' simulators agree on: a Microsoft 365 tenant whose users
 * Syncwarden keeps fed into a standby Google Workspace on the same primary domain.
 * Everything is derived from the seed, so a restart yields the same people and mailboxes.
 */
export const DEMO = {
  seed: 20261124,
  userCount: 25,
  domain: 'northwind.test',
  microsoft: {
    tenantId: '8d3f0c4e-51a7-4e8b-9c2d-6a1b7e90f3aa',
    clientId: '2b7c9e14-0f3d-4a6b-8e51-c4d2a9f07b13',
    appName: 'Syncwarden Continuity',
  },
  google: {
    projectId: 'northwind-standby',
    projectNumber: '480213957361',
    customerId: 'C03nw7k2q',
    serviceAccountEmail: 'syncwarden-continuity@northwind-standby.iam.gserviceaccount.com',
    serviceAccountClientId: '104729385610293847561',
    adminEmail: 'admin@northwind.test',
  },
  /** Syncwarden's own identity that mints tokens for customers' service accounts (keyless). */
  tokenProvider: {
    email: 'syncwarden-tp@syncwarden-platform.iam.gserviceaccount.com',
    projectId: 'syncwarden-platform',
  },
} as const;

export interface DemoPerson {
  readonly givenName: string;
  readonly surname: string;
  /** local part of the email / UPN, e.g. 'ada.lovelace' */
  readonly localPart: string;
}

const GIVEN = ['Ada', 'Grace', 'Alan', 'Barbara', 'Edsger', 'Frances', 'Donald', 'Radia', 'Ken', 'Margaret', 'John', 'Hedy', 'Tim', 'Katherine', 'Linus', 'Shafi', 'Leslie', 'Sophie', 'Dennis', 'Joan', 'Vint', 'Anita', 'Bjarne', 'Karen', 'Guido', 'Lynn', 'Niklaus', 'Mary', 'Claude', 'Evelyn'];
const SURNAMES = ['Lovelace', 'Hopper', 'Turing', 'Liskov', 'Dijkstra', 'Allen', 'Knuth', 'Perlman', 'Thompson', 'Hamilton', 'Backus', 'Lamarr', 'Berners-Lee', 'Johnson', 'Torvalds', 'Goldwasser', 'Lamport', 'Wilson', 'Ritchie', 'Clarke', 'Cerf', 'Borg', 'Stroustrup', 'Sparck', 'van Rossum', 'Conway', 'Wirth', 'Keller', 'Shannon', 'Boyd'];

/** mulberry32: a tiny, well-known deterministic PRNG; good enough for demo data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` distinct people, deterministic from `seed`. */
export function demoPeople(seed: number, count: number): DemoPerson[] {
  const rand = prng(seed);
  const seen = new Set<string>();
  const people: DemoPerson[] = [];
  while (people.length < count) {
    const givenName = GIVEN[Math.floor(rand() * GIVEN.length)]!;
    const surname = SURNAMES[Math.floor(rand() * SURNAMES.length)]!;
    let localPart = `${givenName}.${surname}`.toLowerCase().replace(/[^a-z.]/g, '');
    if (seen.has(localPart)) localPart = `${localPart}${people.length}`;
    seen.add(localPart);
    people.push({ givenName, surname, localPart });
  }
  return people;
}
