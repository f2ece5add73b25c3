import type { CheckResult, Page } from './types.js';

/**
 * The directory side of the connector interface: what a connector reads into the identity
 * inventory (accounts, groups, memberships, entitlements, grants, credentials) and how it
 * writes a revocation back. After Baton's model: the connector offers *streams*, each read
 * one page per call; the engine loops, checkpoints each page in the same transaction as its
 * rows, applies deletions only after a complete pass, and paces through `ctx.http` budgets.
 *
 * Records are provider-neutral. Ids are the provider's own stable ids (`externalId`); the
 * engine scopes them by connection. Vendor words stay inside the connector.
 */

export type AttributeValue = string | number | boolean | null;
export type Attributes = Readonly<Record<string, AttributeValue>>;

/** A person or workload account. `accountType` 'guest' = invited from outside (Entra B2B, SCIM userType). */
export interface DirectoryAccount {
  readonly type: 'account';
  readonly externalId: string;
  readonly accountType: 'user' | 'guest' | 'service';
  /** The sign-in name: UPN, primary email, IAM user name, SCIM userName. */
  readonly userName: string;
  readonly email: string | null;
  readonly displayName: string;
  readonly givenName: string | null;
  readonly familyName: string | null;
  readonly employeeId: string | null;
  readonly enabled: boolean;
  /** An external identity (federated from another directory, e.g. Entra '#EXT#' or a Google EXTERNAL member). */
  readonly external: boolean;
  readonly createdAt: string | null;
  readonly lastSignInAt: string | null;
  readonly attributes: Attributes;
  /**
   * Attributes this entry did not carry. A change feed may report a property only when it
   * changes (Graph's `manager@delta` on a later delta round): on a page of changes the stored
   * value stands for these; on a page of a full pass an attribute not carried is none.
   */
  readonly notCarried?: readonly string[];
}

export interface DirectoryGroup {
  readonly type: 'group';
  readonly externalId: string;
  readonly displayName: string;
  readonly email: string | null;
  readonly description: string | null;
  readonly attributes: Attributes;
}

/** A direct membership. Transitive memberships are derived by the inventory from nested direct ones. */
export interface DirectoryMembership {
  readonly type: 'membership';
  readonly groupId: string;
  readonly memberId: string;
  readonly memberType: 'account' | 'group';
  /** Provider role within the group when it has one (Google OWNER / MANAGER / MEMBER). */
  readonly role: string | null;
}

/** Something that confers access: a directory/admin role, an IAM policy, an app role. */
export interface DirectoryEntitlement {
  readonly type: 'entitlement';
  readonly externalId: string;
  readonly entitlementType: 'role' | 'policy' | 'inline_policy' | 'app_role';
  readonly displayName: string;
  readonly description: string | null;
  /** Admin-level access (Global Administrator, Super Admin, AdministratorAccess, …). */
  readonly privileged: boolean;
  readonly attributes: Attributes;
}

/** A principal holds an entitlement (role assignment, attached policy, app role assignment). */
export interface DirectoryGrant {
  readonly type: 'grant';
  readonly entitlementId: string;
  readonly principalId: string;
  readonly principalType: 'account' | 'group';
  readonly attributes: Attributes;
}

/** A credential an account holds (AWS access key): for certification and expiry, never its secret. */
export interface DirectoryCredential {
  readonly type: 'credential';
  readonly externalId: string;
  readonly accountId: string;
  readonly credentialType: 'access_key' | 'password' | 'certificate' | 'secret';
  readonly status: 'active' | 'inactive' | 'expired';
  readonly createdAt: string | null;
  readonly lastUsedAt: string | null;
  readonly attributes: Attributes;
}

/** A deletion seen in an incremental read (Graph delta `@removed`, `members@delta` removals). */
export type DirectoryRemoval =
  | { readonly type: 'removed'; readonly objectType: 'account' | 'group' | 'entitlement' | 'credential'; readonly externalId: string }
  | { readonly type: 'removed'; readonly objectType: 'membership'; readonly groupId: string; readonly memberId: string }
  | { readonly type: 'removed'; readonly objectType: 'grant'; readonly entitlementId: string; readonly principalId: string };

export type DirectoryRecord =
  | DirectoryAccount
  | DirectoryGroup
  | DirectoryMembership
  | DirectoryEntitlement
  | DirectoryGrant
  | DirectoryCredential
  | DirectoryRemoval;

export interface DirectoryStream {
  /** Stable name, e.g. 'users', 'groups', 'group_members', 'roles'. Part of persisted checkpoints. */
  readonly name: string;
  /** What the stream yields (a page may mix record types, e.g. groups with their members). */
  readonly yields: readonly DirectoryRecord['type'][];
  /**
   * Read once per group of this sync (Baton's child resources): the engine passes each
   * group's externalId as `parent`. For providers that list members per group.
   */
  readonly perGroup?: boolean;
  /**
   * The last page of a full pass carries a `deltaCursor`; reading from it returns only the
   * changes since (upserts and `removed` records). A read from an expired delta cursor throws
   * AppError 'directory.delta_expired': the engine then re-reads the stream in full.
   */
  readonly incremental?: boolean;
  /**
   * The provider may list one object on several pages of a pass by design (Graph's groups
   * delta repeats a large group with the next slice of its members). Otherwise an object
   * listed twice in one pass means the paging is broken, and the engine ends the pass.
   */
  readonly repeatsAcrossPages?: boolean;
}

/** What a certification decision revokes. Idempotent: already gone is an outcome, not an error. */
export type RevokeTarget =
  | { readonly type: 'membership'; readonly groupId: string; readonly memberId: string; readonly memberType: 'account' | 'group' }
  | { readonly type: 'grant'; readonly entitlementId: string; readonly principalId: string; readonly principalType: 'account' | 'group' }
  /** Deactivate a credential (an AWS access key: UpdateAccessKey Status=Inactive). */
  | { readonly type: 'credential'; readonly credentialId: string; readonly accountId: string }
  /** Deactivate an account at the source (SCIM `active: false`). */
  | { readonly type: 'account'; readonly accountId: string };

export type RevokeOutcome = 'revoked' | 'already_gone';

export interface DirectorySource {
  /** The doctor: one finding per prerequisite of reading (and, with write-back, writing). */
  checks(): Promise<CheckResult[]>;
  /** Streams of a full sync, in the order the engine reads them (groups before per-group streams). */
  readonly streams: readonly DirectoryStream[];
  /** One page of `stream`. cursor null starts a full pass; a deltaCursor reads changes. */
  read(stream: string, cursor: string | null, parent?: string): Promise<Page<DirectoryRecord>>;
  /**
   * Writes a revocation back to the provider. Present only when the connection has write-back
   * consent; throws a catalogue permission error when the provider refuses.
   */
  revoke?(target: RevokeTarget): Promise<RevokeOutcome>;
  /**
   * Re-reads the one resource a revocation touched (verification right after applying):
   * true while the access is still held. Present with `revoke`.
   */
  stillHeld?(target: RevokeTarget): Promise<boolean>;
}

/** Scope switches every directory connection has (the seed's "no identities appear" section). */
export interface DirectoryScope {
  readonly includeGuests: boolean;
  readonly includeExternal: boolean;
  readonly includeDisabled: boolean;
}

export const defaultDirectoryScope: DirectoryScope = { includeGuests: false, includeExternal: false, includeDisabled: false };
