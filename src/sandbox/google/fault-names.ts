/** Google faults (continuity-connection-issues, Google table; provisioning; throttling; the directory). */
export const googleFaultNames = [
  'google.token_creator_missing',
  'google.service_account_deleted',
  'google.sa_disabled', // the customer's service account is disabled: "Robot is disabled."
  'google.key_deleted', // the customer's user-managed keys were deleted: "Invalid JWT Signature."
  'google.delegation_scopes_missing', // params: { scope?: string } (missing: all when absent)
  'google.delegation_propagating', // params: { scope?: string } token requests alternate refused / granted
  'google.api_disabled', // params: { api: 'gmail' | 'admin' | 'iamcredentials' }
  'google.user_create_failing',
  'google.admin_not_admin',
  'google.clock_skew', // params: { seconds?: number } Google's clock runs ahead (default 600 s)
  'google.directory_throttle', // params: { everyNth?: number, reason?: 'userRateLimitExceeded' | 'quotaExceeded' }
  'google.directory_write_throttle', // params: { everyNth?: number } Directory writes only (members.delete, roleAssignments.delete): 403 userRateLimitExceeded
  'google.repeat_page_token', // users.list / groups.list: a page read with a pageToken answers that same token as nextPageToken (never advances)
  'google.key_expired', // the customer's user-managed key expired (org policy): JWTs it signs are rejected
  'google.sso_id_token', // params: { tamper: 'signature' | 'iss' | 'aud' | 'nonce' | 'expired' | 'hd' | 'email_unverified' } the id_token of a sign-in comes back wrong that way
  'gmail.throttle', // params: { everyNth?: number }
  'gmail.reject_import', // params: { everyNth?: number }
  'gmail.history_expired', // users.history.list answers 404 for any startHistoryId (history no longer kept)
] as const;
