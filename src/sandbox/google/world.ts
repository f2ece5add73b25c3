import { DEMO, demoPeople, prng } from '../demo.js';
import type { SandboxContext } from '../types.js';
import type { GoogleCredentials, SandboxKey } from './credentials.js';
import { systemLabels } from './labels-catalog.js';
import type { QuotaSettings } from './quotas.js';

/** The Google side of the demo, all in memory: a Workspace customer, its users and mailboxes, and GCP. */

export type GoogleApi = 'gmail' | 'admin' | 'iamcredentials';

export interface Project {
  readonly id: string;
  readonly number: string;
  readonly enabledApis: Set<GoogleApi>;
}

export interface ServiceAccount {
  readonly email: string;
  /** The numeric unique id, which is also the OAuth client id authorised for delegation. */
  readonly uniqueId: string;
  readonly projectId: string;
  readonly googleManagedKey: SandboxKey;
  readonly userManagedKeys: SandboxKey[];
  deleted: boolean;
}

export interface Label {
  readonly id: string;
  name: string;
  readonly type: 'system' | 'user';
  messageListVisibility?: string;
  labelListVisibility?: string;
}

export interface StoredMessage {
  readonly id: string;
  readonly threadId: string;
  labelIds: string[];
  readonly raw: Buffer;
  readonly rfc822MessageId: string | null;
  readonly inReplyTo: string | null;
  readonly internalDate: number;
  readonly subject: string;
  readonly snippet: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly historyId: string;
}

export interface Mailbox {
  readonly labels: Map<string, Label>;
  readonly messages: Map<string, StoredMessage>;
}

export interface User {
  readonly id: string;
  primaryEmail: string;
  givenName: string;
  familyName: string;
  isAdmin: boolean;
  suspended: boolean;
  readonly creationTime: number;
  changePasswordAtNextLogin: boolean;
  readonly aliases: string[];
  readonly orgUnitPath: string;
  readonly mailbox: Mailbox;
}

export interface GoogleWorld {
  readonly customerId: string;
  /** The customer's GCP project (the one the seed's "API not enabled" row is about). */
  readonly customerProjectId: string;
  readonly domains: string[];
  readonly users: Map<string, User>;
  readonly projects: Map<string, Project>;
  readonly serviceAccounts: Map<string, ServiceAccount>;
  /** `${member}\u0000${targetServiceAccount}` pairs holding roles/iam.serviceAccountTokenCreator. */
  readonly tokenCreators: Set<string>;
  /** Domain-wide delegation: OAuth client id → authorised scopes (exact strings). */
  readonly delegation: Map<string, Set<string>>;
  readonly quotas: QuotaSettings;
  counter: number;
}

export const SCOPES = {
  directoryUser: 'https://www.googleapis.com/auth/admin.directory.user',
  directoryUserReadonly: 'https://www.googleapis.com/auth/admin.directory.user.readonly',
  gmailModify: 'https://www.googleapis.com/auth/gmail.modify',
  gmailInsert: 'https://www.googleapis.com/auth/gmail.insert',
  gmailReadonly: 'https://www.googleapis.com/auth/gmail.readonly',
  gmailLabels: 'https://www.googleapis.com/auth/gmail.labels',
  gmailMetadata: 'https://www.googleapis.com/auth/gmail.metadata',
  mailGoogleCom: 'https://mail.google.com/',
  cloudPlatform: 'https://www.googleapis.com/auth/cloud-platform',
  iam: 'https://www.googleapis.com/auth/iam',
} as const;

/** How many of the demo people already have a Google account at start (the rest get created by Syncwarden). */
export const PRE_EXISTING_USERS = 10;

export const DEFAULT_QUOTAS: QuotaSettings = {
  // developers.google.com/workspace/gmail/api/reference/quota (2026 variant: 6,000/user/min)
  userUnitsPerMinute: 6_000,
  projectUnitsPerMinute: 1_200_000,
  userConcurrency: 10,
  // developers.google.com/admin-sdk/directory/v1/limits
  directoryQueriesPerMinute: 2_400,
  newUserMailDelayMs: 0,
};

export function numericId(rand: () => number, digits: number): string {
  let s = String(1 + Math.floor(rand() * 9));
  while (s.length < digits) s += String(Math.floor(rand() * 10));
  return s;
}

export function newMailbox(): Mailbox {
  const labels = new Map<string, Label>();
  for (const l of systemLabels()) labels.set(l.id, l);
  return { labels, messages: new Map() };
}

export function seedWorld(ctx: SandboxContext, creds: GoogleCredentials): GoogleWorld {
  const rand = prng(ctx.seed ^ 0x600613);
  const g = DEMO.google;
  const tpProjectNumber = numericId(rand, 12);
  const tpUniqueId = numericId(rand, 21);
  const world: GoogleWorld = {
    customerId: g.customerId,
    customerProjectId: g.projectId,
    domains: [DEMO.domain],
    users: new Map(),
    projects: new Map([
      [g.projectId, { id: g.projectId, number: g.projectNumber, enabledApis: new Set<GoogleApi>(['gmail', 'admin', 'iamcredentials']) }],
      [DEMO.tokenProvider.projectId, { id: DEMO.tokenProvider.projectId, number: tpProjectNumber, enabledApis: new Set<GoogleApi>(['iamcredentials']) }],
    ]),
    serviceAccounts: new Map([
      [g.serviceAccountEmail, { email: g.serviceAccountEmail, uniqueId: g.serviceAccountClientId, projectId: g.projectId, googleManagedKey: creds.customerGoogleManaged, userManagedKeys: [creds.customerUserManaged], deleted: false }],
      [DEMO.tokenProvider.email, { email: DEMO.tokenProvider.email, uniqueId: tpUniqueId, projectId: DEMO.tokenProvider.projectId, googleManagedKey: creds.tokenProviderGoogleManaged, userManagedKeys: [creds.tokenProviderUserManaged], deleted: false }],
    ]),
    tokenCreators: new Set([tokenCreatorKey(DEMO.tokenProvider.email, g.serviceAccountEmail)]),
    delegation: new Map([[g.serviceAccountClientId, new Set<string>([SCOPES.directoryUser, SCOPES.gmailModify])]]),
    quotas: { ...DEFAULT_QUOTAS },
    counter: 0,
  };
  // A fixed creation date for the seeded accounts keeps the world deterministic.
  const seededAt = Date.UTC(2024, 0, 15, 9, 0, 0);
  addUser(world, { primaryEmail: g.adminEmail, givenName: 'Northwind', familyName: 'Admin', isAdmin: true, id: numericId(rand, 21), creationTime: seededAt });
  for (const p of demoPeople(ctx.seed, DEMO.userCount).slice(0, PRE_EXISTING_USERS)) {
    addUser(world, { primaryEmail: `${p.localPart}@${DEMO.domain}`, givenName: p.givenName, familyName: p.surname, isAdmin: false, id: numericId(rand, 21), creationTime: seededAt });
  }
  return world;
}

export function tokenCreatorKey(member: string, target: string): string {
  return `${member.toLowerCase()}\u0000${target.toLowerCase()}`;
}

export function addUser(
  world: GoogleWorld,
  u: { primaryEmail: string; givenName: string; familyName: string; isAdmin: boolean; id: string; creationTime: number; changePasswordAtNextLogin?: boolean },
): User {
  const user: User = {
    id: u.id,
    primaryEmail: u.primaryEmail.toLowerCase(),
    givenName: u.givenName,
    familyName: u.familyName,
    isAdmin: u.isAdmin,
    suspended: false,
    creationTime: u.creationTime,
    changePasswordAtNextLogin: u.changePasswordAtNextLogin ?? false,
    aliases: [],
    orgUnitPath: '/',
    mailbox: newMailbox(),
  };
  world.users.set(user.id, user);
  return user;
}

/** users.get accepts the primary email, an alias or the unique id. */
export function findUser(world: GoogleWorld, key: string): User | undefined {
  const k = key.trim().toLowerCase();
  const byId = world.users.get(k);
  if (byId) return byId;
  for (const u of world.users.values()) {
    if (u.primaryEmail === k || u.aliases.includes(k)) return u;
  }
  return undefined;
}

export function domainOf(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase();
}

/** A fresh id in Gmail's style (16 hex digits), unique within the world. */
export function nextHexId(world: GoogleWorld, nowMs: number): string {
  world.counter += 1;
  return (BigInt(nowMs) * 4096n + BigInt(world.counter % 4096)).toString(16).padStart(16, '0');
}
