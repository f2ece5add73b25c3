/** Certification campaigns (migration 0016_campaigns; see src/campaigns/). */
export interface CampaignTables {
  campaigns: CampaignsTable;
  campaign_items: CampaignItemsTable;
  campaign_history: CampaignHistoryTable;
  campaign_holds: CampaignHoldsTable;
  resource_owners: ResourceOwnersTable;
}

export interface CampaignsTable {
  tenant_id: string;
  id: string;
  name: string;
  owner_user_id: string;
  status: string;
  stage: number;
  stages: number;
  input_json: string;
  series_id: string;
  occurrence: number;
  next_start_at: string | null;
  created_by: string;
  created_at: string;
  started_at: string | null;
  stage_started_at: string | null;
  deadline: string | null;
  closed_at: string | null;
  applied_at: string | null;
  verified_at: string | null;
  apply_on_close: number;
  reminders_sent_json: string;
  escalated_at: string | null;
  updated_at: string;
}

export interface CampaignItemsTable {
  tenant_id: string;
  id: string;
  campaign_id: string;
  connection_id: string;
  account_id: string;
  identity_id: string | null;
  user_name: string;
  display_name: string;
  email: string | null;
  enabled: number;
  guest: number;
  department: string | null;
  last_activity_at: string | null;
  kind: string;
  resource_id: string;
  resource_name: string;
  privileged: number;
  via: string;
  chain_json: string;
  via_group_id: string | null;
  since: string | null;
  search: string;
  recommendation: string;
  reasons_json: string;
  stage1_reviewer_id: string | null;
  stage2_reviewer_id: string | null;
  reviewer_id: string | null;
  review_state: string;
  decision: string | null;
  justification: string | null;
  decided_at: string | null;
  decided_by: string | null;
  stage1_json: string | null;
  closed_reason: string | null;
  remediation: string;
  remediation_error_json: string | null;
  manual_steps: string | null;
  remediated_at: string | null;
  verification: string | null;
  verified_at: string | null;
  updated_at: string;
  /** Escalation 'add': a second person who may decide the item (migration 0017). */
  escalated_to: string | null;
}

export interface CampaignHistoryTable {
  tenant_id: string;
  id: string;
  campaign_id: string;
  item_id: string | null;
  at: string;
  actor: string;
  action: string;
  detail: string;
  user_id: string | null;
}

export interface CampaignHoldsTable {
  tenant_id: string;
  id: string;
  campaign_id: string;
  reasons_json: string;
  created_at: string;
  approved_by: string | null;
  approved_at: string | null;
  note: string | null;
}

export interface ResourceOwnersTable {
  tenant_id: string;
  connection_id: string;
  resource_id: string;
  user_id: string;
  created_at: string;
}
