/**
 * SCIM faults. Scope = the SCIM tenant id (one simulated app), or '*'.
 * Each answers with what a real SCIM service sends in that situation (RFC 7644 §3.12 error
 * bodies, RFC 6750 WWW-Authenticate on 401).
 */
export const scimFaultNames = [
  'scim.token_invalid', // every token of the tenant is unknown: 401 invalid_token
  'scim.token_expired', // every token of the tenant has expired: 401 invalid_token "expired"
  'scim.forbidden', // tokens lose their rights on /Users and /Groups: 403
  'scim.throttle', // params: { everyNth?: number, retryAfterSeconds?: number } 429 + Retry-After
  'scim.unavailable', // 503 with a SCIM error body
  'scim.not_scim', // the base URL answers an HTML page, as a wrong URL would
  'scim.patch_unsupported', // ServiceProviderConfig patch.supported=false and PATCH → 501
  'scim.echo_authorization', // a careless gateway: 500 whose SCIM detail echoes the Authorization header and the bare token
] as const;
