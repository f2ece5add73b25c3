import type { Mailbox } from './world.js';

/**
 * What a Workspace customer's directory holds, as the Admin SDK Directory API shows it.
 * Records are plain data; a `User` additionally owns a Gmail mailbox, which only accounts
 * someone touched carry (a generated customer's 100,000 users are records made on demand).
 * https://developers.google.com/admin-sdk/directory/reference/rest/v1/users
 */
export interface ExternalId {
  readonly value: string;
  /** 'organization' is the employee id (admin console: Employee information > Employee ID). */
  readonly type: string;
}

/**
 * A user's relation (Admin console: User information > Employee details > Manager). For
 * `type: 'manager'` the value is the manager's email address, as the console stores it.
 */
export interface Relation {
  readonly value: string;
  readonly type: string;
  readonly customType?: string;
}

export interface Organization {
  readonly title?: string;
  readonly department?: string;
  readonly primary?: boolean;
}

export interface UserRecord {
  readonly id: string;
  primaryEmail: string;
  givenName: string;
  familyName: string;
  suspended: boolean;
  archived: boolean;
  readonly creationTime: number;
  /** Epoch ms of the last sign-in; null = never (the API then says 1970-01-01T00:00:00.000Z). */
  lastLoginTime: number | null;
  changePasswordAtNextLogin: boolean;
  readonly aliases: string[];
  orgUnitPath: string;
  externalIds: ExternalId[];
  organizations: Organization[];
  relations: Relation[];
  isEnrolledIn2Sv: boolean;
}

export interface User extends UserRecord {
  readonly mailbox: Mailbox;
}

export interface DeletedUser {
  readonly user: UserRecord;
  readonly deletionTime: number;
}

export interface GroupRecord {
  readonly id: string;
  email: string;
  name: string;
  description: string;
  readonly aliases: string[];
  readonly adminCreated: boolean;
}

export type MemberRole = 'OWNER' | 'MANAGER' | 'MEMBER';
/** https://developers.google.com/admin-sdk/directory/reference/rest/v1/members */
export type MemberType = 'USER' | 'GROUP' | 'CUSTOMER' | 'EXTERNAL';

export interface MemberRecord {
  readonly id: string;
  /** Absent for a CUSTOMER member (it stands for every user of the customer). */
  readonly email: string | null;
  readonly role: MemberRole;
  readonly type: MemberType;
  readonly status: 'ACTIVE' | 'SUSPENDED' | 'UNKNOWN' | null;
}

export interface RolePrivilege {
  readonly privilegeName: string;
  readonly serviceId: string;
}

export interface RoleRecord {
  readonly roleId: string;
  readonly roleName: string;
  readonly roleDescription: string;
  readonly rolePrivileges: readonly RolePrivilege[];
  readonly isSystemRole: boolean;
  readonly isSuperAdminRole: boolean;
}

export interface RoleAssignmentRecord {
  readonly roleAssignmentId: string;
  readonly roleId: string;
  /** The user id or group id holding the role. */
  readonly assignedTo: string;
  readonly assigneeType: 'USER' | 'GROUP';
  readonly scopeType: 'CUSTOMER' | 'ORG_UNIT';
  readonly orgUnitId?: string;
}
