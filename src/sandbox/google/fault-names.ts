/** Google faults (continuity-connection-issues, Google table; provisioning; throttling). */
export const googleFaultNames = [
  'google.token_creator_missing',
  'google.service_account_deleted',
  'google.delegation_scopes_missing', // params: { scope?: string } (missing: all when absent)
  'google.api_disabled', // params: { api: 'gmail' | 'admin' | 'iamcredentials' }
  'google.user_create_failing',
  'google.admin_not_admin',
  'gmail.throttle', // params: { everyNth?: number }
  'gmail.reject_import', // params: { everyNth?: number }
] as const;
