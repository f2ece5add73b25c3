/** Continuity: policies, the users they sync, their folders and the item ledger. */
export interface ContinuityTables {
  policies: PoliciesTable;
  sync_users: SyncUsersTable;
  sync_folders: SyncFoldersTable;
  items: ItemsTable;
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
