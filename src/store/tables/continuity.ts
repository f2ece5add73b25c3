/** Continuity: policies, the users they sync, their folders and the item ledger. */
export interface ContinuityTables {
  policies: PoliciesTable;
  sync_users: SyncUsersTable;
  sync_folders: SyncFoldersTable;
  items: ItemsTable;
  sync_activity: SyncActivityTable;
  continuity_settings: ContinuitySettingsTable;
  /** Sliding-window rate budgets (engine/rate-budget.ts); here because continuity drives them. */
  rate_windows: RateWindowsTable;
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
  /** Days after a user leaves the policy before the Google account Syncwarden created is deleted; null = never. */
  deletion_delay_days: number | null;
  /** A cycle that would remove more than this share (percent) of the policy's users is held for approval. */
  mass_deletion_percent: number;
  held_cycle_json: string | null;
  approved_removals_json: string | null;
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
  /** Last successful sync. */
  last_sync_at: string | null;
  next_sync_at: string | null;
  created_at: string;
  updated_at: string;
  throttled_by: string | null;
  consecutive_failures: number;
  transient_retries: number;
  last_attempt_at: string | null;
  destination_created: number;
  destination_ready_at: string | null;
  excluded_at: string | null;
  exclusion_reason: string | null;
  delete_after: string | null;
  destination_deleted_at: string | null;
  window_start: string | null;
  folders_listed_at: string | null;
  imported_bytes: number;
  category_labels_json: string | null;
  cycle_started_at: string | null;
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
  label_name: string | null;
  window_total: number | null;
  reconcile_json: string | null;
  reconciled_at: string | null;
  gone_at: string | null;
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
  received_at: string | null;
  labels_json: string | null;
  state_json: string | null;
  draft_id: string | null;
  removed_at: string | null;
  deleted_at: string | null;
  attempts: number;
  /** The destination's change-log position read before the write (0008_item_change_mark). */
  change_mark: string | null;
}

export interface SyncActivityTable {
  tenant_id: string;
  hour: string;
  imported: number;
  changed: number;
  deleted: number;
  bytes: number;
}

export interface ContinuitySettingsTable {
  tenant_id: string;
  budgets_json: string;
  updated_at: string;
}

export interface RateWindowsTable {
  key: string;
  /** [[slot index, units], …] spent in the current window. */
  slots_json: string;
  /** The provider throttled this budget until then (Retry-After), epoch ms. */
  blocked_until_ms: number;
  /** Requests with priority (an in-doubt item after a crash) wait for this key until then; others stand back (epoch ms). */
  priority_until_ms: number;
}
