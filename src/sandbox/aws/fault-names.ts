/**
 * AWS faults, scoped by AWS account id (or '*'). Each makes IAM/STS answer with the real
 * code, HTTP status and message of the failure it stands for (providers.md §4.4).
 */
export const awsFaultNames = [
  'aws.access_key_invalid', // params: { accessKeyId? } the key is unknown to AWS (deleted): InvalidClientTokenId 403
  'aws.access_key_inactive', // params: { accessKeyId? } the key was deactivated: InvalidClientTokenId 403 (AWS says the same)
  'aws.secret_rotated', // params: { accessKeyId? } AWS holds another secret for the key: SignatureDoesNotMatch 403
  'aws.session_expired', // temporary credentials count as expired: ExpiredToken 403
  'aws.action_denied', // params: { action: 'iam:ListUsers' } no identity policy allows it: AccessDenied 403
  'aws.trust_broken', // the role's trust policy no longer names the caller: AccessDenied on sts:AssumeRole
  'aws.external_id_mismatch', // the role's trust policy expects another sts:ExternalId: AccessDenied on sts:AssumeRole
  'aws.repeat_marker', // GetAccountAuthorizationDetails / ListUsers never advance: IsTruncated true, and the Marker of the page just read (a first page: a Marker back to its own start)
  'aws.caller_elsewhere', // the integration user lives in another account (cross-account assume-role): ListAccessKeys / GetAccessKeyLastUsed on it answer NoSuchEntity 404 here
  'aws.trust_wildcard', // the role trusts {"AWS":"*"} with an sts:ExternalId condition (the usual third-party form) instead of naming the user
  'aws.gaad_sparse', // GetAccountAuthorizationDetails leaves PolicyName and PolicyId out of Policies (optional in IAM's model; the name is in the ARN)
  'aws.throttle', // params: { everyNth? } Throttling 400 "Rate exceeded"
  'aws.write_throttle', // params: { everyNth? } IAM writes only (RemoveUserFromGroup, Detach*/Delete*Policy, UpdateAccessKey, …): Throttling 400 "Rate exceeded"
  'aws.clock_skew', // params: { seconds } the server clock runs this far ahead (negative: behind)
  'aws.bad_response', // params: { kind: 'truncated' | 'wrong_root' | 'huge' | 'not_xml', everyNth? } a broken 200 answer
] as const;
