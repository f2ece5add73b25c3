/**
 * The master keyring's processes and rotations, and the audit log's signed checkpoints,
 * settings and retired MAC keys (migration 0012). Portable types only (see schema.ts).
 */
export interface KeysAuditTables {
  audit_checkpoints: AuditCheckpointsTable;
  audit_settings: AuditSettingsTable;
  audit_mac_keys: AuditMacKeysTable;
  key_holders: KeyHoldersTable;
  key_rotations: KeyRotationsTable;
}

/** A MACed statement about a tenant's chain: 'legacy' (entries up to seq may lack a MAC) or 'retention' (entries up to seq were deleted; the kept history chains from hash). */
export interface AuditCheckpointsTable {
  tenant_id: string;
  kind: string;
  seq: number;
  hash: string;
  at: string;
  detail_json: string | null;
  mac_kid: string;
  mac: string;
}

export interface AuditSettingsTable {
  tenant_id: string;
  /** Delete entries older than this many days (null: keep everything). */
  retention_days: number | null;
  updated_at: string;
  updated_by: string;
  /** When the daily verification runs next (compare-and-set across processes). */
  next_verify_at: string | null;
  last_verified_at: string | null;
  last_verify_ok: number | null;
  /** The last verification report (src/audit/verify.ts), as JSON. */
  last_verify_json: string | null;
}

/** The audit MAC key of a master key, sealed with the keyring (so it outlives the master key's retirement). */
export interface AuditMacKeysTable {
  kid: string;
  ciphertext: string;
  created_at: string;
}

/** A running Syncwarden process and the keys it holds (heartbeat; rows of dead processes go stale). */
export interface KeyHoldersTable {
  id: string;
  host: string;
  pid: number;
  /** 'start' | 'serve' | 'worker' | 'cli' */
  kind: string;
  version: string;
  primary_kid: string;
  /** Every key id it holds, space-separated, the primary first. */
  kids: string;
  started_at: string;
  seen_at: string;
}

export interface KeyRotationsTable {
  id: string;
  target_kid: string;
  /** 'running' | 'completed' | 'interrupted' | 'superseded' */
  status: string;
  owner_id: string;
  owner_host: string;
  owner_pid: number;
  started_at: string;
  updated_at: string;
  finished_at: string | null;
  total: number;
  done: number;
  /** Rows changed by someone else meanwhile (re-sealed by their writer instead). */
  skipped: number;
  /** Rows no key of the ring opens (named in unreadable_json). */
  unreadable: number;
  unreadable_json: string | null;
  /** How many times a crashed run was picked up again. */
  resumed: number;
}
