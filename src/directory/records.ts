import { hash } from 'node:crypto';
import type { DirectoryAccount, DirectoryRecord, DirectoryScope } from '../connectors/sdk/index.js';
import { exclusionOf } from './scope.js';

/** The tables a page writes to; each has its natural key within a connection. */
export type ObjectTable = 'dir_accounts' | 'dir_groups' | 'dir_memberships' | 'dir_entitlements' | 'dir_grants' | 'dir_credentials' | 'dir_excluded';

export const OBJECT_TABLES: readonly ObjectTable[] = ['dir_accounts', 'dir_groups', 'dir_memberships', 'dir_entitlements', 'dir_grants', 'dir_credentials', 'dir_excluded'];

export const KEY_COLUMNS: Readonly<Record<ObjectTable, readonly string[]>> = {
  dir_accounts: ['external_id'],
  dir_groups: ['external_id'],
  dir_memberships: ['group_id', 'member_id'],
  dir_entitlements: ['external_id'],
  dir_grants: ['entitlement_id', 'principal_id'],
  dir_credentials: ['external_id'],
  dir_excluded: ['external_id'],
};

/** Tables whose rows carry a content hash (pair tables are present or absent, nothing else). */
export const HASHED: ReadonlySet<ObjectTable> = new Set(['dir_accounts', 'dir_groups', 'dir_entitlements', 'dir_credentials']);

/** One row to write: its table, its key as one string, its columns (without tenant, connection, page, gen). */
export interface StagedRow {
  readonly table: ObjectTable;
  readonly key: string;
  readonly hash: string;
  readonly columns: Record<string, string | number | null>;
  /** An account whose entry did not carry some attributes (`notCarried`): a page of changes keeps their stored values (mergeNotCarried). */
  readonly notCarried?: { readonly record: DirectoryAccount; readonly scope: DirectoryScope };
}

export type Removal = { readonly remove: true; readonly table: ObjectTable; readonly key: string };

/**
 * A content fingerprint. One-shot `crypto.hash` on a flat string: about ten times faster than
 * `createHash().update()` on a concatenated one, which matters at a million records a sync.
 */
export function hashOf(text: string): string {
  return hash('sha1', text, 'base64url').slice(0, 22);
}

/** Pair keys join with a character no provider id contains. */
export function pairKey(a: string, b: string): string {
  return `${a}\u0001${b}`;
}

export function splitKey(key: string): string[] {
  return key.split('\u0001');
}

const attrs = (a: Readonly<Record<string, unknown>>): string => JSON.stringify(a);

/**
 * A connector record as the row it becomes, with the scope applied: an account the scope
 * leaves out becomes a dir_excluded row (so the question "why is she missing?" has an answer).
 * Content hashes cover the whole record, so any attribute change counts as a change.
 */
export function stage(record: DirectoryRecord, scope: DirectoryScope): StagedRow | Removal | null {
  // What an entry did not carry is not content: the same account hashes the same either way.
  const json = () => (record.type === 'account' && record.notCarried ? JSON.stringify({ ...record, notCarried: undefined }) : JSON.stringify(record));
  switch (record.type) {
    case 'account': {
      const reason = exclusionOf(record, scope);
      if (reason) {
        return {
          table: 'dir_excluded', key: record.externalId, hash: reason,
          columns: { external_id: record.externalId, reason, user_name: record.userName, email: record.email, display_name: record.displayName },
        };
      }
      return {
        table: 'dir_accounts', key: record.externalId, hash: hashOf(json()),
        columns: {
          external_id: record.externalId, account_type: record.accountType, user_name: record.userName, email: record.email,
          display_name: record.displayName, given_name: record.givenName, family_name: record.familyName, employee_id: record.employeeId,
          enabled: record.enabled ? 1 : 0, external: record.external ? 1 : 0, source_created_at: record.createdAt,
          last_sign_in_at: record.lastSignInAt, attributes_json: attrs(record.attributes),
        },
        ...(record.notCarried?.length ? { notCarried: { record, scope } } : {}),
      };
    }
    case 'group':
      return {
        table: 'dir_groups', key: record.externalId, hash: hashOf(json()),
        columns: { external_id: record.externalId, display_name: record.displayName, email: record.email, description: record.description, attributes_json: attrs(record.attributes) },
      };
    case 'membership':
      return {
        table: 'dir_memberships', key: pairKey(record.groupId, record.memberId), hash: record.role ?? '',
        columns: { group_id: record.groupId, member_id: record.memberId, member_type: record.memberType, role: record.role },
      };
    case 'entitlement':
      return {
        table: 'dir_entitlements', key: record.externalId, hash: hashOf(json()),
        columns: {
          external_id: record.externalId, entitlement_type: record.entitlementType, display_name: record.displayName,
          description: record.description, privileged: record.privileged ? 1 : 0, attributes_json: attrs(record.attributes),
        },
      };
    case 'grant':
      return {
        table: 'dir_grants', key: pairKey(record.entitlementId, record.principalId), hash: '',
        columns: { entitlement_id: record.entitlementId, principal_id: record.principalId, principal_type: record.principalType, attributes_json: attrs(record.attributes) },
      };
    case 'credential':
      return {
        table: 'dir_credentials', key: record.externalId, hash: hashOf(json()),
        columns: {
          external_id: record.externalId, account_id: record.accountId, credential_type: record.credentialType, status: record.status,
          source_created_at: record.createdAt, last_used_at: record.lastUsedAt, attributes_json: attrs(record.attributes),
        },
      };
    case 'removed':
      switch (record.objectType) {
        case 'account': return { remove: true, table: 'dir_accounts', key: record.externalId };
        case 'group': return { remove: true, table: 'dir_groups', key: record.externalId };
        case 'entitlement': return { remove: true, table: 'dir_entitlements', key: record.externalId };
        case 'credential': return { remove: true, table: 'dir_credentials', key: record.externalId };
        case 'membership': return { remove: true, table: 'dir_memberships', key: pairKey(record.groupId, record.memberId) };
        case 'grant': return { remove: true, table: 'dir_grants', key: pairKey(record.entitlementId, record.principalId) };
      }
  }
  return null;
}

export function isRemoval(x: StagedRow | Removal): x is Removal {
  return 'remove' in x;
}

/**
 * A page's fingerprint: a 64-bit hash (two 32-bit FNV-1a lanes with different primes) over
 * every key and value of every record, in order. Change detection only (not security): a
 * walk over the records costs a tenth of serialising them and hashing the text, which at a
 * million records is most of a re-sync where nothing changed.
 */
export function fingerprintOf(items: readonly unknown[]): string {
  let a = 0x811c9dc5 | 0;
  let b = 0x050c5d1f | 0;
  const mix = (s: string) => {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      a = Math.imul(a ^ c, 16777619);
      b = Math.imul(b ^ c, 2246822507);
    }
    a = Math.imul(a ^ 0x1f, 16777619); // field separator
    b = Math.imul(b ^ 0x1f, 2246822507);
  };
  const walk = (v: unknown): void => {
    if (v === null || v === undefined) mix(v === null ? '\u0000n' : '\u0000u');
    else if (typeof v === 'string') mix(v);
    else if (typeof v === 'number' || typeof v === 'boolean') mix(`\u0000${String(v)}`);
    else if (Array.isArray(v)) {
      mix(`\u0000[${v.length}`);
      for (const x of v) walk(x);
    } else if (typeof v === 'object') {
      for (const k in v as Record<string, unknown>) {
        mix(k);
        walk((v as Record<string, unknown>)[k]);
      }
      mix('\u0000}');
    }
  };
  walk(items);
  return `${(a >>> 0).toString(36)}.${(b >>> 0).toString(36)}.${items.length}`;
}
