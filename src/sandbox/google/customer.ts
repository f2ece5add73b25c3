import type { Delegation } from './delegation.js';
import type { UserRecord } from './directory-model.js';
import { createGenerated, mix, type Generated, type GeneratedSize } from './generated.js';
import { createGroupsStore, type GroupsStore } from './groups-store.js';
import { createRolesStore, SUPER_ADMIN_ROLE, type RolesStore } from './roles-store.js';
import { createUsersStore, type UsersStore } from './users-store.js';

/**
 * A Google Workspace customer (one Admin console): its domains, directory, admin roles,
 * the domain-wide delegation its admins granted, and the Directory API limits Google applies
 * to calls about it. The sandbox holds the demo customer and, on request, generated ones.
 */
export interface DirectoryQuota {
  /** Queries per minute per user per project (developers.google.com/admin-sdk/directory/v1/limits). */
  queriesPerMinute: number;
  /** Requests in flight at once; beyond it Google answers 403 quotaExceeded. Google does not publish the number. */
  concurrency: number;
  /** false switches both limits off (benchmarks measuring the engine's own cost). */
  enabled: boolean;
  /** Time each Directory call takes inside the simulator, holding its concurrency slot. */
  latencyMs: number;
}

export const DEFAULT_DIRECTORY_QUOTA: DirectoryQuota = { queriesPerMinute: 2_400, concurrency: 10, enabled: true, latencyMs: 0 };

export interface Customer {
  readonly id: string;
  /** Primary domain first; faults are scoped by it. */
  readonly domains: string[];
  readonly kind: 'demo' | 'generated';
  readonly generated: Generated | null;
  readonly users: UsersStore;
  readonly groups: GroupsStore;
  readonly roles: RolesStore;
  readonly delegation: Delegation;
  readonly directoryQuota: DirectoryQuota;
}

export function createCustomer(args: { id: string; domains: string[]; seed: number; size?: GeneratedSize }): Customer {
  const generated = args.size ? createGenerated(args.seed, args.domains[0]!, args.size) : null;
  const users = createUsersStore(generated);
  return {
    id: args.id,
    domains: args.domains.map((d) => d.toLowerCase()),
    kind: generated ? 'generated' : 'demo',
    generated,
    users,
    groups: createGroupsStore(generated, users, args.id),
    roles: createRolesStore(args.seed),
    delegation: new Map(),
    directoryQuota: { ...DEFAULT_DIRECTORY_QUOTA },
  };
}

export function primaryDomain(c: Customer): string {
  return c.domains[0]!;
}

/**
 * The admin accounts of a generated customer: an explicit admin@domain Super Admin, a few
 * generated Super Admins, every 500th user holding a delegated role, and three groups
 * holding Groups Reader — all deterministic.
 */
export function seedGeneratedAdmins(c: Customer, seed: number, adminId: string, createdMs: number): UserRecord {
  const domain = primaryDomain(c);
  const admin = c.users.add({
    id: adminId,
    primaryEmail: `admin@${domain}`,
    givenName: 'Directory',
    familyName: 'Admin',
    suspended: false,
    archived: false,
    creationTime: createdMs,
    lastLoginTime: createdMs,
    changePasswordAtNextLogin: false,
    aliases: [],
    orgUnitPath: '/',
    externalIds: [],
    organizations: [],
    relations: [],
    isEnrolledIn2Sv: true,
  });
  const superAdmin = c.roles.role(SUPER_ADMIN_ROLE)!;
  c.roles.assign({ roleId: superAdmin.roleId, assignedTo: admin.id, assigneeType: 'USER', scopeType: 'CUSTOMER' });
  const g = c.generated;
  if (!g) return admin;
  const n = g.users.count;
  for (let k = 0; k < 4 && n > 0; k++) {
    const i = (Math.floor((n * k) / 4) + 7) % n;
    c.roles.assign({ roleId: superAdmin.roleId, assignedTo: g.users.idAt(i), assigneeType: 'USER', scopeType: 'CUSTOMER' });
  }
  const delegated = c.roles.roles().filter((r) => !r.isSuperAdminRole);
  for (let i = 3; i < n; i += 500) {
    const role = delegated[mix(seed, i) % delegated.length]!;
    c.roles.assign({ roleId: role.roleId, assignedTo: g.users.idAt(i), assigneeType: 'USER', scopeType: 'CUSTOMER' });
  }
  const reader = c.roles.role('_GROUPS_READER_ROLE')!;
  for (let k = 0; k < 3 && k < g.groups.count; k++) {
    c.roles.assign({ roleId: reader.roleId, assignedTo: g.groups.idAt(Math.floor((g.groups.count * k) / 3)), assigneeType: 'GROUP', scopeType: 'CUSTOMER' });
  }
  return admin;
}
