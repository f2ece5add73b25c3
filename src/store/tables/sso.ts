/** Single sign-on settings, identity links and sign-ins in flight (migration 0013). */
export interface SsoTables {
  sso_providers: SsoProvidersTable;
  sso_policies: SsoPoliciesTable;
  sso_identities: SsoIdentitiesTable;
  sso_attempts: SsoAttemptsTable;
}

export interface SsoProvidersTable {
  tenant_id: string;
  /** microsoft | google */
  provider: string;
  enabled: number;
  client_id: string;
  /** Entra directory (tenant) id, or Google hosted domain (null: any). */
  directory: string | null;
  /** Base URL of the provider (null: the real one). */
  authority: string | null;
  updated_at: string;
}

export interface SsoPoliciesTable {
  tenant_id: string;
  required: number;
  updated_at: string;
}

export interface SsoIdentitiesTable {
  provider: string;
  /** Entra: `<tid>/<oid>`; Google: `sub`. */
  subject: string;
  user_id: string;
  email: string;
  created_at: string;
}

export interface SsoAttemptsTable {
  id: string;
  /** SHA-256 of the state sent to the provider. */
  state_hash: string;
  /** SHA-256 of the pre-session cookie the state is bound to. */
  binding_hash: string;
  tenant_id: string;
  provider: string;
  nonce: string;
  code_verifier: string;
  /** Built from the public URL when the sign-in started; the code is redeemed with the same. */
  redirect_uri: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}
