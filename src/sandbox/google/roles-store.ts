import type { RoleAssignmentRecord, RoleRecord } from './directory-model.js';
import { mix } from './generated.js';

/**
 * Admin roles and their assignments (Admin SDK Directory roles / roleAssignments). Every
 * customer has the pre-built system roles; `_SEED_ADMIN_ROLE` is Super Admin. Privilege
 * names and service ids are modelled on the Admin console's privilege tree (M: the exact
 * names per role are not published as data).
 * https://developers.google.com/admin-sdk/directory/reference/rest/v1/roles
 * https://support.google.com/a/answer/2405986 (pre-built administrator roles)
 */
const SVC_ADMIN = '00haapch16h1ysv';
const SVC_GROUPS = '01ci93xb3tmzyin';
const SVC_REPORTS = '02afmg282jiquyg';

const SYSTEM_ROLES: readonly Omit<RoleRecord, 'roleId'>[] = [
  { roleName: '_SEED_ADMIN_ROLE', roleDescription: 'Super Admin', isSystemRole: true, isSuperAdminRole: true, rolePrivileges: [{ privilegeName: 'SUPER_ADMIN', serviceId: SVC_ADMIN }, { privilegeName: 'USERS_ALL', serviceId: SVC_ADMIN }, { privilegeName: 'GROUPS_ALL', serviceId: SVC_ADMIN }, { privilegeName: 'ROLE_MANAGEMENT', serviceId: SVC_ADMIN }, { privilegeName: 'SECURITY_SETTINGS', serviceId: SVC_ADMIN }] },
  { roleName: '_GROUPS_ADMIN_ROLE', roleDescription: 'Groups Administrator', isSystemRole: true, isSuperAdminRole: false, rolePrivileges: [{ privilegeName: 'GROUPS_ALL', serviceId: SVC_ADMIN }, { privilegeName: 'USERS_RETRIEVE', serviceId: SVC_ADMIN }, { privilegeName: 'ORGANIZATION_UNITS_RETRIEVE', serviceId: SVC_ADMIN }] },
  { roleName: '_USER_MANAGEMENT_ADMIN_ROLE', roleDescription: 'User Management Administrator', isSystemRole: true, isSuperAdminRole: false, rolePrivileges: [{ privilegeName: 'USERS_ALL', serviceId: SVC_ADMIN }, { privilegeName: 'ORGANIZATION_UNITS_RETRIEVE', serviceId: SVC_ADMIN }] },
  { roleName: '_HELP_DESK_ADMIN_ROLE', roleDescription: 'Help Desk Administrator', isSystemRole: true, isSuperAdminRole: false, rolePrivileges: [{ privilegeName: 'USERS_RETRIEVE', serviceId: SVC_ADMIN }, { privilegeName: 'USERS_RESET_PASSWORD', serviceId: SVC_ADMIN }] },
  { roleName: '_SERVICE_ADMIN_ROLE', roleDescription: 'Services Administrator', isSystemRole: true, isSuperAdminRole: false, rolePrivileges: [{ privilegeName: 'APP_ADMIN', serviceId: SVC_ADMIN }, { privilegeName: 'REPORTS_RETRIEVE', serviceId: SVC_REPORTS }] },
  { roleName: '_GROUPS_EDITOR_ROLE', roleDescription: 'Groups Editor', isSystemRole: true, isSuperAdminRole: false, rolePrivileges: [{ privilegeName: 'GROUPS_UPDATE', serviceId: SVC_GROUPS }, { privilegeName: 'GROUPS_RETRIEVE', serviceId: SVC_GROUPS }] },
  { roleName: '_GROUPS_READER_ROLE', roleDescription: 'Groups Reader', isSystemRole: true, isSuperAdminRole: false, rolePrivileges: [{ privilegeName: 'GROUPS_RETRIEVE', serviceId: SVC_GROUPS }] },
  { roleName: 'Audit Reader', roleDescription: 'Reads audit and usage reports', isSystemRole: false, isSuperAdminRole: false, rolePrivileges: [{ privilegeName: 'REPORTS_RETRIEVE', serviceId: SVC_REPORTS }] },
];

export const SUPER_ADMIN_ROLE = '_SEED_ADMIN_ROLE';

export interface RolesStore {
  roles(): readonly RoleRecord[];
  role(idOrName: string): RoleRecord | undefined;
  assignments(): RoleAssignmentRecord[];
  assignmentsOf(principalId: string): RoleAssignmentRecord[];
  assign(a: Omit<RoleAssignmentRecord, 'roleAssignmentId'>): RoleAssignmentRecord;
  unassign(roleAssignmentId: string): RoleAssignmentRecord | undefined;
  /** Forget every assignment of a principal (it was deleted). */
  forget(principalId: string): void;
  isSuperAdmin(userId: string): boolean;
  isDelegatedAdmin(userId: string): boolean;
  /** True when one of the principal's roles carries a privilege starting with one of `prefixes` (or is Super Admin). */
  hasPrivilege(userId: string, prefixes: readonly string[]): boolean;
}

export function createRolesStore(seed: number): RolesStore {
  // Role ids are 16-digit numbers, stable per customer.
  const roles: RoleRecord[] = SYSTEM_ROLES.map((r, i) => ({ ...r, roleId: `91705169967${String(mix(seed, 100 + i) % 10_000).padStart(4, '0')}${i}` }));
  const byId = new Map(roles.map((r) => [r.roleId, r]));
  const byName = new Map(roles.map((r) => [r.roleName.toLowerCase(), r]));
  const assignments = new Map<string, RoleAssignmentRecord>();
  const byPrincipal = new Map<string, Set<string>>();
  let counter = 0;

  const of = (principalId: string): RoleAssignmentRecord[] => [...(byPrincipal.get(principalId) ?? [])].map((id) => assignments.get(id)!).filter(Boolean);

  const store: RolesStore = {
    roles: () => roles,
    role: (k) => byId.get(k) ?? byName.get(k.toLowerCase()),
    assignments: () => [...assignments.values()],
    assignmentsOf: of,
    assign(a) {
      counter += 1;
      const rec: RoleAssignmentRecord = { ...a, roleAssignmentId: `70${String(mix(seed, 1_000) % 1_000_000).padStart(6, '0')}${String(counter).padStart(8, '0')}` };
      assignments.set(rec.roleAssignmentId, rec);
      let set = byPrincipal.get(rec.assignedTo);
      if (!set) byPrincipal.set(rec.assignedTo, (set = new Set()));
      set.add(rec.roleAssignmentId);
      return rec;
    },
    unassign(id) {
      const rec = assignments.get(id);
      if (!rec) return undefined;
      assignments.delete(id);
      byPrincipal.get(rec.assignedTo)?.delete(id);
      return rec;
    },
    forget(principalId) {
      for (const a of of(principalId)) store.unassign(a.roleAssignmentId);
    },
    isSuperAdmin: (userId) => of(userId).some((a) => byId.get(a.roleId)?.isSuperAdminRole),
    isDelegatedAdmin: (userId) => of(userId).some((a) => !byId.get(a.roleId)?.isSuperAdminRole),
    hasPrivilege(userId, prefixes) {
      return of(userId).some((a) => {
        const r = byId.get(a.roleId);
        return !!r && (r.isSuperAdminRole || r.rolePrivileges.some((p) => prefixes.some((x) => p.privilegeName.startsWith(x))));
      });
    },
  };
  return store;
}
