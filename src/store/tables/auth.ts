/** Users, roles per tenant, sessions, sign-in links, API tokens and the sign-in throttle (migration 0010). */
export interface AuthTables {
  users: UsersTable;
  memberships: MembershipsTable;
  sessions: SessionsTable;
  sign_in_links: SignInLinksTable;
  api_tokens: ApiTokensTable;
  sign_in_throttle: SignInThrottleTable;
}

export interface UsersTable {
  id: string;
  email: string;
  display_name: string;
  /** scrypt, self-describing (src/auth/passwords.ts); null: signs in by link only until a password is set. */
  password_hash: string | null;
  password_changed_at: string | null;
  disabled_at: string | null;
  created_at: string;
  updated_at: string;
  /** Migration 0011: the tenant of their last sign-in or switch (a password sign-in lands there). */
  last_tenant_id: string | null;
}

export interface MembershipsTable {
  tenant_id: string;
  user_id: string;
  /** owner | admin | operator | viewer | reviewer (src/auth/permissions.ts). */
  role: string;
  created_at: string;
}

export interface SessionsTable {
  /** Public id (shown in "your sessions", bound into signed states); the cookie holds another secret. */
  id: string;
  /** SHA-256 of the cookie's secret. */
  token_hash: string;
  user_id: string;
  tenant_id: string;
  csrf_token: string;
  created_at: string;
  last_seen_at: string;
  /** The absolute end; the idle end is last_seen_at + the idle timeout. */
  expires_at: string;
  address: string | null;
  user_agent: string | null;
  ended_at: string | null;
}

export interface SignInLinksTable {
  id: string;
  token_hash: string;
  user_id: string;
  tenant_id: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

export interface ApiTokensTable {
  id: string;
  tenant_id: string;
  user_id: string;
  name: string;
  role: string;
  token_hash: string;
  created_at: string;
  expires_at: string;
  last_used_at: string | null;
  last_used_address: string | null;
  revoked_at: string | null;
}

export interface SignInThrottleTable {
  /** 'account:<email>' or 'address:<ip>'. */
  key: string;
  failures: number;
  window_start: string;
  locked_until: string | null;
}
