/** Google faults (continuity-connection-issues, Google table; provisioning; throttling). */
export const googleFaultNames = [
  'google.token_creator_missing',
  'google.service_account_deleted',
  'google.delegation_scopes_missing', // params: { scope?: string } (missing: all when absent)
  'google.api_disabled', // params: { api: 'gmail' | 'admin' | 'iamcredentials' }
  'google.user_create_failing',
  'google.admin_not_admin',
  'google.delegation_propagating', // params: { scope?: string } token requests for the scope are refused and granted in turn
  'google.key_expired', // the customer's user-managed key expired (org policy): JWTs it signs are rejected
  'gmail.throttle', // params: { everyNth?: number }
  'gmail.reject_import', // params: { everyNth?: number }
] as const;
