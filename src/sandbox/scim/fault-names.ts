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
  'scim.write_throttle', // params: { everyNth?: number, retryAfterSeconds?: number } writes only (PATCH/PUT/POST/DELETE): 429 + Retry-After
  'scim.write_forbidden', // writes answer 403 (a token or client whose rights were narrowed to read)
  'scim.unavailable', // 503 with a SCIM error body
  'scim.not_scim', // the base URL answers an HTML page, as a wrong URL would
  'scim.patch_unsupported', // ServiceProviderConfig patch.supported=false and PATCH → 501
  // Broken paging (issue 10): lists that a client must not read as a complete pass.
  'scim.ignore_start_index', // params: { echoStartIndex?: boolean } every list answers page 1 with the true totalResults (startIndex 1, or the asked one when echoStartIndex)
  'scim.endless_paging', // params: { total?: number (default 1e12), newIds?: boolean } totalResults as given; the same page forever, or new ids on every page
  'scim.duplicate_ids', // the last resource of every list page repeats the first one's id
  'scim.huge_response', // params: { mb?: number (default 200) } list answers stream a body of that size, generated lazily
  'scim.echo_authorization', // a careless gateway: 500 whose SCIM detail echoes the Authorization header and the bare token
] as const;
