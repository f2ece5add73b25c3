/** Entra ID + Graph faults (continuity-connection-issues, Microsoft table; user lifecycle; throttling). */
export const microsoftFaultNames = [
  'm365.certificate_expired',
  'm365.wrong_certificate',
  'm365.certificate_not_uploaded',
  'm365.permission_removed', // params: { permission: 'Mail.Read' }
  'm365.consent_revoked',
  'm365.app_deleted',
  'm365.secret_expired',
  'm365.user_deleted', // params: { user: upn }
  'm365.user_disabled', // params: { user: upn }
  'm365.user_renamed', // params: { user: upn, to: newUpn }
  'graph.throttle', // params: { retryAfterSeconds?: number, everyNth?: number }
  'graph.delta_expired', // next delta/nextLink use answers 410 once per folder
  'm365.outage', // params: { mode?: 'error' | 'timeout' | 'mixed', status?: number, ms?: number } Graph answers 5xx or never answers (a Microsoft 365 outage)
  // Directory (inventory)
  'm365.consent_denied', // the admin cancels on the admin consent page
  'graph.directory_delta_expired', // users/groups delta: every $deltatoken/$skiptoken use answers 410 Gone + Location
  'graph.identity_throttle', // params: { retryAfterSeconds?: number, everyNth?: number } identity & access 429
  'graph.repeat_next_link', // users/groups delta: a page read from a $skiptoken answers that same link as its @odata.nextLink (the listing never advances)
  'm365.sso_id_token', // params: { tamper: 'signature' | 'iss' | 'aud' | 'nonce' | 'expired' | 'tid' } the id_token of a sign-in comes back wrong that way
  'graph.membership_write_denied', // DELETE/POST …/members/$ref answers 403 even with the permission (e.g. a role-assignable group)
  'graph.role_write_denied', // DELETE/POST /directoryRoles/{id}/members/…/$ref answers 403 Authorization_RequestDenied even with RoleManagement.ReadWrite.Directory
  'graph.app_role_write_denied', // DELETE /servicePrincipals/{id}/appRoleAssignedTo/{id} answers 403 Authorization_RequestDenied even with AppRoleAssignment.ReadWrite.All
  'graph.write_throttle', // params: { retryAfterSeconds?: number, everyNth?: number } identity & access writes (DELETE/POST) answer 429 WriteLimitExceeded
] as const;
