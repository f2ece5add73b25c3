import type { ErrorDefinition } from '../definition.js';

/**
 * The audit log's integrity (`syncwarden audit verify`, `GET /audit/verify`, the daily check).
 * Each names the first entry that does not hold; someone who can write the database but not
 * the master keyring or the data folder's anchor file cannot hide a change. (Audit log integrity)
 */
export const auditErrors = {
  'audit.entry_altered': {
    title: 'Audit entry changed',
    cause: 'Audit entry #{seq} ({entry}) no longer matches its hash: it was changed after it was written.',
    resolution: 'Treat it as a security incident: restore the database from a backup taken before {at} or investigate who can write the database. Export the log (`syncwarden audit export`) to keep the evidence.',
    scope: 'request', kind: 'internal', retry: 'never', http: 409,
  },
  'audit.chain_link_broken': {
    title: 'Audit history reordered or cut',
    cause: 'Audit entry #{seq} ({entry}) does not follow the entry before it: entries were deleted, inserted or reordered.',
    resolution: 'Treat it as a security incident: compare with a backup or an earlier export, and investigate who can write the database.',
    scope: 'request', kind: 'internal', retry: 'never', http: 409,
  },
  'audit.entry_missing': {
    title: 'Audit entry missing',
    cause: 'Audit entry #{seq} is missing: {detail}.',
    resolution: 'Treat it as a security incident: restore the missing entries from a backup or an earlier export, and investigate who can write the database. After restoring a database backup on purpose, run `syncwarden audit reanchor` to accept the shorter history.',
    scope: 'request', kind: 'internal', retry: 'never', http: 409,
  },
  'audit.signature_invalid': {
    title: 'Audit entry not signed by Syncwarden',
    cause: 'Audit entry #{seq} ({entry}) {detail}: the entry, or the history before it, was rewritten by someone without the master key.',
    resolution: 'Treat it as a security incident: entries from #{seq} on cannot be trusted. Compare with a backup or an earlier export, and investigate who can write the database.',
    scope: 'request', kind: 'internal', retry: 'never', http: 409,
  },
  'audit.signing_key_unknown': {
    title: 'Audit signing key not available',
    cause: 'Audit entry #{seq} is signed with key {keyId}, which is neither in this process\'s keyring nor kept sealed in the database.',
    resolution: 'Run the check from a process that has the whole keyring (`syncwarden keys status` lists it). If the key was removed by hand without `syncwarden keys retire`, put it back in the keyring and retire it properly.',
    scope: 'request', kind: 'configuration', retry: 'never', http: 409,
  },
  'audit.checkpoint_invalid': {
    title: 'Audit checkpoint not valid',
    cause: 'The {kind} checkpoint at entry #{seq} {detail}.',
    resolution: 'Treat it as a security incident: checkpoints are only written by Syncwarden with the master key. Investigate who can write the database.',
    scope: 'request', kind: 'internal', retry: 'never', http: 409,
  },
  'audit.retention_refused': {
    title: 'Retention not applied to a broken log',
    cause: 'Old audit entries were not deleted because the log does not verify: {detail}.',
    resolution: 'Resolve the integrity problem first (`syncwarden audit verify`); retention resumes by itself once the log verifies.',
    scope: 'request', kind: 'internal', retry: 'never', http: 409,
  },
} as const satisfies Record<string, ErrorDefinition>;
