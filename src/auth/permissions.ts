/**
 * THE permission table (issue 12, point 3): every API route declares one permission
 * (RouteSpec.permission, required), and this table alone says which role holds it. The
 * route × role test (test/permissions.test.ts) walks every route of the OpenAPI document
 * against it.
 *
 * - `public`: answers without sign-in (health, the sign-in endpoints themselves).
 * - `session`: any signed-in person, whatever their role (their own account, sessions, tokens).
 * Every other permission is held by the roles listed.
 */
export const ROLES = ['owner', 'admin', 'operator', 'viewer', 'reviewer'] as const;
export type Role = (typeof ROLES)[number];

/** Rank, highest first: a token or an invitation may carry a role at most its maker's. */
const RANK: Record<Role, number> = { owner: 5, admin: 4, operator: 3, viewer: 2, reviewer: 1 };

export function roleAtMost(role: Role, ceiling: Role): boolean {
  return RANK[role] <= RANK[ceiling];
}

/** The lower of two roles (a token used after its owner was demoted acts with the lower). */
export function lowerRole(a: Role, b: Role): Role {
  return RANK[a] <= RANK[b] ? a : b;
}

const ALL: readonly Role[] = ROLES;
const STAFF: readonly Role[] = ['owner', 'admin', 'operator', 'viewer'];
const ADMINS: readonly Role[] = ['owner', 'admin'];

export const PERMISSIONS = {
  public: ALL,
  session: ALL,
  /** Dashboard, the error catalogue, connection kinds: what every staff page shows. */
  'overview.read': STAFF,
  /** Connections without their credentials (status, findings, consent links). */
  'connections.read': STAFF,
  /** Run the doctor on a connection. */
  'connections.test': ['owner', 'admin', 'operator'],
  /** Create, edit, delete connections; write-back consent; admin-consent callback. */
  'connections.manage': ADMINS,
  /** Credential metadata (type, thumbprint, expiry — never a secret) and support bundles. */
  'credentials.read': ['owner', 'admin', 'viewer'],
  /** Add, test, switch, retire, delete credentials. */
  'credentials.manage': ADMINS,
  /** Policies, sync status, items, explain, budgets, failovers, recovery reports, incidents. */
  'sync.read': STAFF,
  /** Run a policy now, retry a user or its failed items, reconcile, run a directory sync, probe. */
  'sync.run': ['owner', 'admin', 'operator'],
  /** Create and edit policies, budgets, held cycles, failover settings and declarations, correlation rules. */
  'policies.manage': ADMINS,
  /** Identities, directory runs, correlation rules. */
  'directory.read': STAFF,
  'alerts.read': STAFF,
  'alerts.manage': ADMINS,
  'audit.read': ['owner', 'admin', 'viewer'],
  'audit.export': ['owner', 'admin', 'viewer'],
  'audit.manage': ['owner'],
  /** The master keyring's state: installation-wide (every tenant's secrets). */
  'keys.manage': ['owner'],
  'users.read': ['owner', 'admin', 'viewer'],
  /** Create, change the role of, disable users and reset their password (never above one's own role). */
  'users.manage': ADMINS,
  /** Every user's API tokens (each person manages their own under `session`). */
  'tokens.manage': ADMINS,
  /** Certification campaigns: list, detail, progress, report (issue 13). */
  'campaigns.read': STAFF,
  /** Create, start, close, apply campaigns; approve a held apply (an admin, never the reviewer). */
  'campaigns.manage': ADMINS,
  /** My reviews: one's own review items only, and decisions on them (any signed-in person can be a reviewer). */
  'reviews.own': ALL,
  /** Create another organisation (tenant; the creator becomes its owner) and rename one you own. */
  'tenants.manage': ['owner'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

export function roleHas(role: Role, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly Role[]).includes(role);
}

export function isRole(v: unknown): v is Role {
  return typeof v === 'string' && (ROLES as readonly string[]).includes(v);
}
