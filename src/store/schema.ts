/**
 * Table types for Kysely. Portable across SQLite and PostgreSQL: ids are app-generated text,
 * timestamps are ISO-8601 UTC text (sortable), JSON is text, booleans are integers 0/1,
 * counters are 32-bit integers. No serial columns.
 */
export interface Database {
  tenants: TenantsTable;
  connections: ConnectionsTable;
  policies: PoliciesTable;
  sync_users: SyncUsersTable;
  sync_folders: SyncFoldersTable;
  items: ItemsTable;
  jobs: JobsTable;
  audit_events: AuditEventsTable;
  audit_heads: AuditHeadsTable;
  secrets: SecretsTable;
  rate_buckets: RateBucketsTable;
}

export interface TenantsTable {
  id: string;
  name: string;
  created_at: string;
}

export interface ConnectionsTable {
  tenant_id: string;
  id: string;
  name: string;
  kind: string;
  role: string;
  config_json: string;
  credential_type: string;
  /** Non-secret facts about the credential (certificate subject, thumbprint, expiry). */
  credential_meta_json: string;
  /** The secret part, AES-256-GCM encrypted (see connections/secret-box.ts). */
  secret_ciphertext: string | null;
  status: string;
  last_tested_at: string | null;
  last_error_json: string | null;
  last_findings_json: string | null;
  created_at: string;
  updated_at: string;
}

export interface PoliciesTable {
  tenant_id: string;
  id: string;
  name: string;
  source_connection_id: string;
  destination_connection_id: string;
  selection_json: string;
  schedule_minutes: number;
  initial_window_days: number;
  enabled: number;
  last_cycle_at: string | null;
  next_cycle_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface SyncUsersTable {
  tenant_id: string;
  id: string;
  policy_id: string;
  source_user_id: string;
  email: string;
  display_name: string;
  given_name: string | null;
  surname: string | null;
  destination_email: string;
  destination_user_id: string | null;
  status: string;
  exported: number;
  imported: number;
  failed_items: number;
  last_error_json: string | null;
  last_sync_at: string | null;
  next_sync_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface SyncFoldersTable {
  tenant_id: string;
  id: string;
  sync_user_id: string;
  source_folder_id: string;
  display_name: string;
  path_json: string;
  well_known: string | null;
  label_ids_json: string;
  /** Versioned opaque cursor of the source (see continuity/checkpoint.ts). */
  cursor: string | null;
  phase: string;
  exported: number;
  imported: number;
  updated_at: string;
}

export interface ItemsTable {
  tenant_id: string;
  id: string;
  sync_user_id: string;
  source_item_id: string;
  source_folder_id: string;
  internet_message_id: string | null;
  destination_item_id: string | null;
  state: string;
  subject: string | null;
  size: number | null;
  error_json: string | null;
  created_at: string;
  updated_at: string;
}

export interface JobsTable {
  tenant_id: string;
  id: string;
  kind: string;
  /** Dedupe key: at most one queued/running job per (tenant, key). */
  dedupe_key: string;
  payload_json: string;
  status: string;
  run_at: string;
  attempts: number;
  lease_owner: string | null;
  lease_until: string | null;
  last_error_json: string | null;
  created_at: string;
  updated_at: string;
}

export interface AuditEventsTable {
  tenant_id: string;
  id: string;
  seq: number;
  at: string;
  severity: string;
  action: string;
  actor: string;
  target_type: string | null;
  target_id: string | null;
  target_name: string | null;
  message: string;
  code: string | null;
  params_json: string | null;
  prev_hash: string;
  hash: string;
}

export interface AuditHeadsTable {
  tenant_id: string;
  seq: number;
  hash: string;
}

/** Platform-level secrets (e.g. the token provider's key), encrypted like connection secrets. */
export interface SecretsTable {
  tenant_id: string;
  name: string;
  ciphertext: string;
  updated_at: string;
}

export interface RateBucketsTable {
  key: string;
  tokens: number;
  updated_ms: number;
  /** The provider throttled this budget until then (Retry-After), epoch ms. */
  blocked_until_ms: number;
}
