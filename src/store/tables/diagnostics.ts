/**
 * Connections' credentials (several per connection, for overlap rotation), connection-level
 * incidents, alert channels and the alert outbox. Portable types only (see schema.ts).
 */
export interface DiagnosticsTables {
  connection_credentials: ConnectionCredentialsTable;
  incidents: IncidentsTable;
  alert_channels: AlertChannelsTable;
  alerts: AlertsTable;
}

export interface ConnectionCredentialsTable {
  tenant_id: string;
  id: string;
  connection_id: string;
  /** 'pending' (added, not yet in use) → 'current' → 'previous' (kept for rollback) → 'retired' (secret wiped). */
  state: string;
  /** The auth method: certificate, client_secret, impersonation, service_account_key, access_key, assume_role, bearer_token. */
  method: string;
  /** Non-secret facts: subject, thumbprint, key id, expiry, age basis. */
  meta_json: string;
  /** The secret part, AES-256-GCM sealed; null for keyless methods and once retired. */
  secret_ciphertext: string | null;
  /** 1: sealed for tenant/connection/credential; 0: sealed for tenant/connection (before migration 0004). */
  aad_scheme: number;
  /** When the credential stops working (certificate notAfter, secret end date, policy age limit). */
  expires_at: string | null;
  /** When the credential itself was created (certificate notBefore, key creation), when known. */
  issued_at: string | null;
  created_at: string;
  created_by: string;
  activated_at: string | null;
  retired_at: string | null;
  last_tested_at: string | null;
  /** 1 passed, 0 failed, null never tested on its own. */
  last_test_ok: number | null;
  last_findings_json: string | null;
  updated_at: string;
}

export interface IncidentsTable {
  tenant_id: string;
  id: string;
  connection_id: string;
  /** 'open' | 'resolved'; at most one open incident per connection (partial unique index). */
  state: string;
  /** The connection-level error (catalogue code + params), the latest seen. */
  code: string;
  params_json: string;
  /** What opened it: 'test' (the doctor), 'sync' (a sync hit a connection error), 'user_failures' (many users, one error). */
  trigger: string;
  detail: string | null;
  opened_at: string;
  last_seen_at: string;
  occurrences: number;
  affected_users: number;
  resolved_at: string | null;
  resolved_by: string | null;
  updated_at: string;
}

export interface AlertChannelsTable {
  tenant_id: string;
  id: string;
  /** 'email' | 'webhook' */
  type: string;
  name: string;
  enabled: number;
  /** Non-secret settings: SMTP host, port, TLS mode, user, from, to — or the webhook URL. */
  config_json: string;
  /** SMTP password or webhook signing secret, sealed; null when none. */
  secret_ciphertext: string | null;
  created_at: string;
  updated_at: string;
}

/** The alert outbox: one row per change of state (unique dedupe key), delivered to every channel. */
export interface AlertsTable {
  tenant_id: string;
  id: string;
  dedupe_key: string;
  event: string;
  subject_type: string;
  subject_id: string;
  subject_name: string;
  /** The alert as sent (never a secret). */
  payload_json: string;
  /** 'queued' | 'sent' | 'failed' | 'no_channels' */
  status: string;
  attempts: number;
  /** channel id → 'sent' | error text, so a retry only resends what failed. */
  deliveries_json: string;
  last_error_json: string | null;
  created_at: string;
  sent_at: string | null;
  updated_at: string;
}
