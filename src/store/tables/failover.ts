/** Failover and reverse recovery sync (migration 0014). Portable types only (see schema.ts). */
export interface FailoverTables {
  failover_settings: FailoverSettingsTable;
  failovers: FailoversTable;
  recovery_users: RecoveryUsersTable;
  recovery_items: RecoveryItemsTable;
}

export interface FailoverSettingsTable {
  tenant_id: string;
  policy_id: string;
  settings_json: string;
  updated_at: string;
}

export interface FailoversTable {
  tenant_id: string;
  id: string;
  policy_id: string;
  /** proposed | active | recovering | recovered | dismissed */
  state: string;
  outage_since: string;
  /** declared | proposed */
  origin: string;
  reason: string | null;
  incident_id: string | null;
  proposed_at: string | null;
  declared_at: string | null;
  declared_by: string | null;
  last_probe_at: string | null;
  last_probe_error_json: string | null;
  healthy_since: string | null;
  probe_failures: number;
  next_probe_at: string | null;
  recovery_started_at: string | null;
  recovery_started_by: string | null;
  recovered_at: string | null;
  ended_at: string | null;
  ended_by: string | null;
  created_at: string;
  updated_at: string;
}

export interface RecoveryUsersTable {
  tenant_id: string;
  id: string;
  failover_id: string;
  sync_user_id: string;
  email: string;
  destination_email: string;
  source_user_id: string;
  start_history_id: string | null;
  gap_since: string | null;
  cursor_json: string | null;
  /** pending | recovering | throttled | recovered | failed */
  status: string;
  found: number;
  written: number;
  skipped: number;
  failed: number;
  bytes: number;
  folders_json: string | null;
  error_json: string | null;
  attempts: number;
  next_run_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  updated_at: string;
}

export interface RecoveryItemsTable {
  tenant_id: string;
  id: string;
  recovery_user_id: string;
  sync_user_id: string;
  gmail_id: string;
  internet_message_id: string | null;
  /** found | pending | written | skipped | failed */
  state: string;
  skip_reason: string | null;
  folder: string | null;
  destination_id: string | null;
  subject: string | null;
  size: number | null;
  received_at: string | null;
  error_json: string | null;
  attempts: number;
  created_at: string;
  updated_at: string;
}
