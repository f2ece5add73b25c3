import { DEMO, demoPeople, prng } from '../demo.js';
import type { SandboxContext } from '../types.js';
import type { GoogleCredentials, SandboxKey } from './credentials.js';
import { systemLabels } from './labels-catalog.js';
import { HistoryMap } from './gmail-history.js';
import type { QuotaSettings } from './quotas.js';
import { createCustomer, primaryDomain, type Customer } from './customer.js';
import { authorise, DEFAULT_PROPAGATION_MS } from './delegation.js';
import type { User, UserRecord } from './directory-model.js';
import { SUPER_ADMIN_ROLE } from './roles-store.js';

export type { User, UserRecord } from './directory-model.js';

/**
 * The Google side of the sandbox, all in memory: Workspace customers (the demo one and any
 * generated ones), their users, groups, roles and mailboxes, and GCP (projects, service
 * accounts, IAM bindings).
 */

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
  /** Keys an admin created (and can delete or rotate); the token endpoint accepts any of them. */
  userManagedKeys: SandboxKey[];
  deleted: boolean;
  /** A disabled account keeps its keys and bindings but cannot sign in ("Robot is disabled."). */
  disabled: boolean;
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
  /** More names this mailbox's Gmail refuses (admin `POST …/labels/reserved`): its list is longer than anyone's, and localized. */
  reservedLabelNames?: Set<string>;
}

export interface GoogleWorld {
  /** The demo customer (northwind.test), which continuity uses. */
  readonly customerId: string;
  /** The demo customer's GCP project (the one the seed's "API not enabled" row is about). */
  readonly customerProjectId: string;
  /** The demo customer's domains. */
  readonly domains: string[];
  readonly customers: Map<string, Customer>;
  readonly projects: Map<string, Project>;
  readonly serviceAccounts: Map<string, ServiceAccount>;
  /** `${member}\u0000${targetServiceAccount}` pairs holding roles/iam.serviceAccountTokenCreator. */
  readonly tokenCreators: Set<string>;
  readonly quotas: QuotaSettings;
  /** How long a delegation change takes to settle (see delegation.ts). */
  propagationMs: number;
  counter: number;
}

const AUTH = 'https://www.googleapis.com/auth/';
export const SCOPES = {
  directoryUser: `${AUTH}admin.directory.user`,
  directoryUserReadonly: `${AUTH}admin.directory.user.readonly`,
  directoryGroup: `${AUTH}admin.directory.group`,
  directoryGroupReadonly: `${AUTH}admin.directory.group.readonly`,
  directoryGroupMember: `${AUTH}admin.directory.group.member`,
  directoryGroupMemberReadonly: `${AUTH}admin.directory.group.member.readonly`,
  directoryRoleManagement: `${AUTH}admin.directory.rolemanagement`,
  directoryRoleManagementReadonly: `${AUTH}admin.directory.rolemanagement.readonly`,
  gmailModify: `${AUTH}gmail.modify`,
  gmailInsert: `${AUTH}gmail.insert`,
  gmailReadonly: `${AUTH}gmail.readonly`,
  gmailLabels: `${AUTH}gmail.labels`,
  gmailMetadata: `${AUTH}gmail.metadata`,
  mailGoogleCom: 'https://mail.google.com/',
  cloudPlatform: `${AUTH}cloud-platform`,
  iam: `${AUTH}iam`,
} as const;

/** What the demo customer authorised for Syncwarden's service account: continuity's two, and read access for the inventory. */
export const DEMO_CONTINUITY_SCOPES = [SCOPES.directoryUser, SCOPES.gmailModify] as const;
export const DEMO_DIRECTORY_SCOPES = [SCOPES.directoryUserReadonly, SCOPES.directoryGroupReadonly, SCOPES.directoryRoleManagementReadonly] as const;

/** How many of the demo people already have a Google account at start (the rest get created by Syncwarden). */
export const PRE_EXISTING_USERS = 10;

export const DEFAULT_QUOTAS: QuotaSettings = {
  // developers.google.com/workspace/gmail/api/reference/quota (2026 variant: 6,000/user/min)
  userUnitsPerMinute: 6_000,
  projectUnitsPerMinute: 1_200_000,
  userConcurrency: 10,
  newUserMailDelayMs: 0,
  // Gmail's search index trails imports by seconds, sometimes minutes; on by default so that
  // every test and benchmark meets it (gmail-index.ts). 0 turns it off.
  searchIndexLagMs: 5_000,
};

export function numericId(rand: () => number, digits: number): string {
  let s = String(1 + Math.floor(rand() * 9));
  while (s.length < digits) s += String(Math.floor(rand() * 10));
  return s;
}

export function newMailbox(): Mailbox {
  const labels = new Map<string, Label>();
  for (const l of systemLabels()) labels.set(l.id, l);
  // A HistoryMap logs Gmail's mailbox history as messages change (gmail-history.ts).
  return { labels, messages: new HistoryMap() };
}

export function seedWorld(ctx: SandboxContext, creds: GoogleCredentials): GoogleWorld {
  const rand = prng(ctx.seed ^ 0x600613);
  const g = DEMO.google;
  const tpProjectNumber = numericId(rand, 12);
  const tpUniqueId = numericId(rand, 21);
  const demo = createCustomer({ id: g.customerId, domains: [DEMO.domain], seed: ctx.seed });
  const world: GoogleWorld = {
    customerId: g.customerId,
    customerProjectId: g.projectId,
    domains: demo.domains,
    customers: new Map([[demo.id, demo]]),
    projects: new Map([
      [g.projectId, { id: g.projectId, number: g.projectNumber, enabledApis: new Set<GoogleApi>(['gmail', 'admin', 'iamcredentials']) }],
      [DEMO.tokenProvider.projectId, { id: DEMO.tokenProvider.projectId, number: tpProjectNumber, enabledApis: new Set<GoogleApi>(['iamcredentials']) }],
    ]),
    serviceAccounts: new Map([
      [g.serviceAccountEmail, { email: g.serviceAccountEmail, uniqueId: g.serviceAccountClientId, projectId: g.projectId, googleManagedKey: creds.customerGoogleManaged, userManagedKeys: [creds.customerUserManaged], deleted: false, disabled: false }],
      [DEMO.tokenProvider.email, { email: DEMO.tokenProvider.email, uniqueId: tpUniqueId, projectId: DEMO.tokenProvider.projectId, googleManagedKey: creds.tokenProviderGoogleManaged, userManagedKeys: [creds.tokenProviderUserManaged], deleted: false, disabled: false }],
    ]),
    tokenCreators: new Set([tokenCreatorKey(DEMO.tokenProvider.email, g.serviceAccountEmail)]),
    quotas: { ...DEFAULT_QUOTAS },
    propagationMs: DEFAULT_PROPAGATION_MS,
    counter: 0,
  };
  // Authorised long ago: settled, no propagation.
  authorise(demo.delegation, g.serviceAccountClientId, [...DEMO_CONTINUITY_SCOPES, ...DEMO_DIRECTORY_SCOPES], 0, 0);
  // A fixed creation date for the seeded accounts keeps the world deterministic.
  const seededAt = Date.UTC(2024, 0, 15, 9, 0, 0);
  const admin = addUser(demo, { primaryEmail: g.adminEmail, givenName: 'Northwind', familyName: 'Admin', id: numericId(rand, 21), creationTime: seededAt });
  demo.roles.assign({ roleId: demo.roles.role(SUPER_ADMIN_ROLE)!.roleId, assignedTo: admin.id, assigneeType: 'USER', scopeType: 'CUSTOMER' });
  const people: User[] = [];
  for (const [i, p] of demoPeople(ctx.seed, DEMO.userCount).slice(0, PRE_EXISTING_USERS).entries()) {
    const u = addUser(demo, { primaryEmail: `${p.localPart}@${DEMO.domain}`, givenName: p.givenName, familyName: p.surname, id: numericId(rand, 21), creationTime: seededAt });
    u.externalIds = [{ value: `NW${String(i + 1).padStart(4, '0')}`, type: 'organization' }];
    people.push(u);
  }
  seedDemoGroups(ctx.seed, demo, admin, people);
  return world;
}

/**
 * The demo customer's groups: everyone (the CUSTOMER member), all staff, a nested pair with
 * outside members, and an admins group holding a role; plus a Help Desk admin. None of it
 * changes what continuity sees (users and mailboxes).
 */
function seedDemoGroups(seed: number, c: Customer, admin: User, people: readonly User[]): void {
  const rand = prng(seed ^ 0x6a0b5);
  const gid = (): string => `0${Array.from({ length: 14 }, () => '0123456789abcdefghijklmnopqrstuvwxyz'[Math.floor(rand() * 36)]).join('')}`;
  const domain = primaryDomain(c);
  const group = (local: string, name: string, description: string) => c.groups.add({ id: gid(), email: `${local}@${domain}`, name, description, aliases: [], adminCreated: true });
  const user = (u: UserRecord, role: 'OWNER' | 'MANAGER' | 'MEMBER' = 'MEMBER') => ({ id: u.id, email: u.primaryEmail, role, type: 'USER' as const });
  const everyone = group('everyone', 'Everyone', 'Every account in Northwind');
  c.groups.addMember(everyone.id, { id: c.id, email: null, role: 'MEMBER', type: 'CUSTOMER' });
  const staff = group('staff', 'All staff', 'All Northwind staff');
  c.groups.addMember(staff.id, user(admin, 'OWNER'));
  for (const p of people) c.groups.addMember(staff.id, user(p));
  const engineering = group('engineering', 'Engineering', 'Engineering team');
  people.slice(0, 5).forEach((p, i) => c.groups.addMember(engineering.id, user(p, i === 0 ? 'OWNER' : i === 1 ? 'MANAGER' : 'MEMBER')));
  const projects = group('projects', 'Projects', 'Project Apollo, with partners');
  c.groups.addMember(projects.id, { id: engineering.id, email: engineering.email, role: 'MEMBER', type: 'GROUP' });
  c.groups.addMember(projects.id, user(people[5]!, 'OWNER'));
  // Outside members: one shows as a USER of another domain, one as EXTERNAL.
  c.groups.addMember(projects.id, { id: numericId(rand, 21), email: 'partner@contoso.test', role: 'MEMBER', type: 'USER' });
  c.groups.addMember(projects.id, { id: numericId(rand, 21), email: 'auditor@fabrikam.test', role: 'MEMBER', type: 'EXTERNAL' });
  const itAdmins = group('it-admins', 'IT admins', 'Administrators of the Northwind tenant');
  c.groups.addMember(itAdmins.id, user(admin, 'OWNER'));
  c.groups.addMember(itAdmins.id, user(people[6]!));
  c.roles.assign({ roleId: c.roles.role('_HELP_DESK_ADMIN_ROLE')!.roleId, assignedTo: people[6]!.id, assigneeType: 'USER', scopeType: 'CUSTOMER' });
  c.roles.assign({ roleId: c.roles.role('_GROUPS_READER_ROLE')!.roleId, assignedTo: itAdmins.id, assigneeType: 'GROUP', scopeType: 'CUSTOMER' });
}

export function tokenCreatorKey(member: string, target: string): string {
  return `${member.toLowerCase()}\u0000${target.toLowerCase()}`;
}

export function addUser(
  c: Customer,
  u: { primaryEmail: string; givenName: string; familyName: string; id: string; creationTime: number; changePasswordAtNextLogin?: boolean },
): User {
  return c.users.add({
    id: u.id,
    primaryEmail: u.primaryEmail.toLowerCase(),
    givenName: u.givenName,
    familyName: u.familyName,
    suspended: false,
    archived: false,
    creationTime: u.creationTime,
    lastLoginTime: null,
    changePasswordAtNextLogin: u.changePasswordAtNextLogin ?? false,
    aliases: [],
    orgUnitPath: '/',
    externalIds: [],
    organizations: [],
    relations: [],
    isEnrolledIn2Sv: false,
  });
}

export function domainOf(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase();
}

/** The customer owning the domain, or undefined. */
export function customerOfDomain(world: GoogleWorld, domain: string): Customer | undefined {
  const d = domain.toLowerCase();
  for (const c of world.customers.values()) if (c.domains.includes(d)) return c;
  return undefined;
}

/** A live user of any customer by primary email, alias or id. */
export function lookupUser(world: GoogleWorld, key: string): { customer: Customer; user: UserRecord } | undefined {
  const k = key.trim().toLowerCase();
  if (k.includes('@')) {
    const c = customerOfDomain(world, domainOf(k));
    const user = c?.users.get(k);
    return c && user ? { customer: c, user } : undefined;
  }
  for (const c of world.customers.values()) {
    const user = c.users.get(k);
    if (user) return { customer: c, user };
  }
  return undefined;
}

/** The user with a mailbox (a generated account is materialised on first use), for Gmail. */
export function findUser(world: GoogleWorld, key: string): User | undefined {
  const hit = lookupUser(world, key);
  return hit ? hit.customer.users.materialise(hit.user.id) : undefined;
}

/** A fresh id in Gmail's style (16 hex digits), unique within the world. */
export function nextHexId(world: GoogleWorld, nowMs: number): string {
  world.counter += 1;
  return (BigInt(nowMs) * 4096n + BigInt(world.counter % 4096)).toString(16).padStart(16, '0');
}
