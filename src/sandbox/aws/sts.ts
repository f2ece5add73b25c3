import type { ActionSpec, Call } from './call.js';
import { parsePolicy, wildcardMatch } from './policy.js';
import { callerArn } from './sim.js';
import { effectiveRole } from './trust.js';
import { AwsError, isoSeconds, validationError } from './xml.js';

/**
 * STS (2011-06-15; providers.md §4.3): GetCallerIdentity, and AssumeRole with the role's
 * trust policy evaluated — the principal must be the caller (or the account root, with an
 * identity policy allowing sts:AssumeRole) and a `sts:ExternalId` condition must match.
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
 */
function denied(call: Call, roleArn: string): AwsError {
  return new AwsError(403, 'AccessDenied', `User: ${callerArn(call.world, call.caller)} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
}

const asList = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

function assumeRole(call: Call) {
  const p = call.params;
  const roleArn = p.required('RoleArn');
  const sessionName = p.required('RoleSessionName');
  if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) {
    throw validationError(`1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`);
  }
  const duration = p.int('DurationSeconds', 900, 43200, 3600);
  const externalId = p.get('ExternalId');
  if (externalId !== undefined && !/^[\w+=,.@:/-]{2,1224}$/.test(externalId)) {
    throw validationError(`1 validation error detected: Value '${externalId}' at 'externalId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*`);
  }
  const m = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([\w+=,.@-]+)$/.exec(roleArn);
  if (!m) throw validationError(`${roleArn} is invalid`);
  const stored = m[1] === call.world.accountId ? call.world.findRole(m[2]!) : undefined;
  if (!stored || stored.arn !== roleArn) throw denied(call, roleArn);
  const role = effectiveRole(call.sim, stored);

  const caller = call.caller;
  // Who the caller is for a trust policy: the user, or for a role session the role itself.
  const principals = caller.kind === 'user' ? [caller.user.arn] : [caller.role.arn, callerArn(call.world, caller)];
  const root = `arn:aws:iam::${call.world.accountId}:root`;
  let trusted = false;
  for (const s of parsePolicy(role.trustDocument).Statement) {
    if (s.Effect !== 'Allow' || !asList(s.Action).some((a) => wildcardMatch(a, 'sts:AssumeRole', true))) continue;
    const aws = asList((s.Principal as { AWS?: unknown } | undefined)?.AWS);
    // {"AWS":"*"} (or "Principal":"*") trusts any AWS principal; the condition then decides.
    const named = aws.some((x) => x === '*' || principals.includes(x)) || s.Principal === '*';
    const viaRoot = aws.includes(root) || aws.includes(call.world.accountId);
    if (!named && !(viaRoot && call.sim.decide(caller, 'sts:AssumeRole', roleArn) === 'allowed')) continue;
    const wanted = s.Condition?.['StringEquals']?.['sts:ExternalId'];
    if (wanted !== undefined && !asList(wanted).includes(externalId ?? '\u0000')) continue;
    trusted = true;
  }
  if (!trusted) throw denied(call, roleArn);
  if (duration > role.maxSessionDuration) throw validationError('The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
  const session = call.sim.newSession(stored, sessionName, duration);
  return {
    AssumedRoleUser: { AssumedRoleId: session.assumedRoleId, Arn: `arn:aws:sts::${call.world.accountId}:assumed-role/${role.roleName}/${sessionName}` },
    Credentials: { AccessKeyId: session.accessKeyId, SecretAccessKey: session.secret, SessionToken: session.token, Expiration: isoSeconds(session.expirationMs) },
  };
}

export const stsActions: Readonly<Record<string, ActionSpec>> = {
  // No IAM permission is needed: "No permissions are required to perform this operation."
  GetCallerIdentity: {
    handler: (c) => ({
      Arn: callerArn(c.world, c.caller),
      UserId: c.caller.kind === 'user' ? c.caller.user.userId : c.caller.session.assumedRoleId,
      Account: c.world.accountId,
    }),
  },
  AssumeRole: { handler: assumeRole },
};
