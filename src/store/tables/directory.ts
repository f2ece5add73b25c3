/** The identity inventory (migration 0005_directory; see src/directory/). */
export interface DirectoryTables {
  dir_accounts: DirAccountsTable;
  dir_groups: DirGroupsTable;
  dir_memberships: DirMembershipsTable;
  dir_entitlements: DirEntitlementsTable;
  dir_grants: DirGrantsTable;
  dir_credentials: DirCredentialsTable;
  dir_excluded: DirExcludedTable;
  dir_pages: DirPagesTable;
  dir_runs: DirRunsTable;
  dir_state: DirStateTable;
  identities: IdentitiesTable;
  directory_settings: DirectorySettingsTable;
}

interface DirObject {
  tenant_id: string;
  connection_id: string;
  /** The page of the last full pass the row came from (`stream[/parent]#n`), or 'delta'. */
  page_key: string;
  /** The run generation that last saw the row. */
  gen: number;
}

export interface DirAccountsTable extends DirObject {
  external_id: string;
  account_type: string;
  user_name: string;
  email: string | null;
  display_name: string;
  given_name: string | null;
  family_name: string | null;
  employee_id: string | null;
  enabled: number;
  external: number;
  source_created_at: string | null;
  last_sign_in_at: string | null;
  attributes_json: string;
  identity_id: string | null;
  match_json: string | null;
  hash: string;
  first_seen_at: string;
  updated_at: string;
}

export interface DirGroupsTable extends DirObject {
  external_id: string;
  display_name: string;
  email: string | null;
  description: string | null;
  attributes_json: string;
  hash: string;
  updated_at: string;
}

export interface DirMembershipsTable extends DirObject {
  group_id: string;
  member_id: string;
  member_type: string;
  role: string | null;
}

export interface DirEntitlementsTable extends DirObject {
  external_id: string;
  entitlement_type: string;
  display_name: string;
  description: string | null;
  privileged: number;
  attributes_json: string;
  hash: string;
  updated_at: string;
}

export interface DirGrantsTable extends DirObject {
  entitlement_id: string;
  principal_id: string;
  principal_type: string;
  attributes_json: string;
}

export interface DirCredentialsTable extends DirObject {
  external_id: string;
  account_id: string;
  credential_type: string;
  status: string;
  source_created_at: string | null;
  last_used_at: string | null;
  attributes_json: string;
  hash: string;
  updated_at: string;
}

export interface DirExcludedTable extends DirObject {
  external_id: string;
  reason: string;
  user_name: string;
  email: string | null;
  display_name: string;
}

export interface DirPagesTable {
  tenant_id: string;
  connection_id: string;
  page_key: string;
  hash: string | null;
  gen: number;
  /** The last run that found the page unchanged and kept its rows without rewriting them. */
  kept_gen: number;
  objects: number;
}

export interface DirRunsTable {
  tenant_id: string;
  id: string;
  connection_id: string;
  mode: string;
  trigger: string;
  status: string;
  gen: number;
  checkpoint_json: string;
  objects_read: number;
  pages_read: number;
  pages_unchanged: number;
  added: number;
  changed: number;
  removed: number;
  counts_json: string | null;
  excluded_json: string | null;
  checks_json: string | null;
  error_json: string | null;
  resume_at: string | null;
  started_at: string;
  updated_at: string;
  finished_at: string | null;
  /** A run held by the mass-removal guard: what it would remove (migration 0006). */
  held_json: string | null;
}

export interface DirStateTable {
  tenant_id: string;
  connection_id: string;
  gen: number;
  delta_json: string | null;
  active_run_id: string | null;
  last_run_id: string | null;
  last_success_at: string | null;
  last_full_at: string | null;
  next_full_at: string | null;
  next_delta_at: string | null;
  throttled_until: string | null;
  throttle_json: string | null;
  updated_at: string;
}

export interface IdentitiesTable {
  tenant_id: string;
  id: string;
  display_name: string;
  email: string | null;
  employee_id: string | null;
  identity_type: string;
  status: string;
  accounts: number;
  connections_json: string;
  search: string;
  created_at: string;
  updated_at: string;
}

export interface DirectorySettingsTable {
  tenant_id: string;
  rules_json: string;
  correlated_at: string | null;
  updated_at: string;
}
