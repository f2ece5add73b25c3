import type { Generated } from 'kysely';

/** Tables every area uses: tenants, connections, the job queue, the audit log, secrets, rate budgets. */
export interface CoreTables {
  tenants: TenantsTable;
  connections: ConnectionsTable;
  jobs: JobsTable;
  audit_events: AuditEventsTable;
  audit_heads: AuditHeadsTable;
  secrets: SecretsTable;
}

export interface TenantsTable {
  /** The slug people type (`syncwarden tenants create acme`); 'default' for the first tenant. */
  id: string;
  name: string;
  created_at: string;
  /** Migration 0011: the actor who made it (null for the default tenant). */
  created_by: string | null;
  updated_at: string | null;
}

export interface ConnectionsTable {
  tenant_id: string;
  id: string;
  name: string;
  kind: string;
  role: string;
  config_json: string;
  /** Credentials live in connection_credentials (tables/diagnostics.ts), several per connection. */
  status: string;
  last_tested_at: string | null;
  last_error_json: string | null;
  last_findings_json: string | null;
  /** Last time the doctor passed: a connection that once worked is "in service". */
  last_ok_at: string | null;
  /** Write-back consent (its own flag, audit event and permission list); 0 = read-only. */
  write_back: number;
  write_back_at: string | null;
  write_back_by: string | null;
  /** When the scheduled doctor runs next (compare-and-set across processes). */
  next_doctor_at: string | null;
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
  /** 1 when the job was asked for again while it ran: it is queued once more when it ends (migration 0019). */
  rerun: Generated<number>;
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
  /** Canonical form of `hash`: null = the first (a fixed column list), 2 = every non-null column (src/audit/hash.ts). */
  hash_version: number | null;
  /** Key id (the master key's) and MAC of the chain head this entry made; null only on entries from before MACs. */
  mac_kid: string | null;
  mac: string | null;
  /** The address and user agent of the request that caused the entry (null outside a request). */
  actor_address: string | null;
  actor_agent: string | null;
}

export interface AuditHeadsTable {
  tenant_id: string;
  seq: number;
  hash: string;
  /** Entries up to this seq may lack a MAC (written before MACs; pinned by a 'legacy' checkpoint); null until the first MACed append. */
  legacy_seq: number | null;
}

/** Platform-level secrets (e.g. the token provider's key), encrypted like connection secrets. */
export interface SecretsTable {
  tenant_id: string;
  name: string;
  ciphertext: string;
  updated_at: string;
}
