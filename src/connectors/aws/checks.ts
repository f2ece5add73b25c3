import { AppError, toAppError } from '../../errors/index.js';
import type { CheckResult } from '../sdk/index.js';
import { nameOfArn } from './config.js';
import { AwsCallError, principalPath, toCatalogue } from './errors.js';
import { GAAD_PHASE_FILTERS, generateCredentialReport, getAccessKeyLastUsed, getCallerIdentity, getCredentialReport, getAccountAuthorizationDetails, listAccessKeys, listGroups, listUsers, simulatePrincipalPolicy } from './iam.js';
import type { AwsSession } from './session.js';

/**
 * The connection doctor: one finding per prerequisite, in the order an admin sets them up,
 * each failing with its own catalogue code. A check whose prerequisite failed is 'skipped',
 * so exactly the broken link shows. Nothing is written: write-back permissions are checked
 * with iam:SimulatePrincipalPolicy.
 */
export const READ_ACTIONS = ['iam:ListUsers', 'iam:ListGroups', 'iam:GetAccountAuthorizationDetails', 'iam:ListAccessKeys', 'iam:GetAccessKeyLastUsed', 'iam:GenerateCredentialReport', 'iam:GetCredentialReport'] as const;
export const WRITE_ACTIONS = ['iam:RemoveUserFromGroup', 'iam:DetachUserPolicy', 'iam:DetachGroupPolicy', 'iam:DeleteUserPolicy', 'iam:UpdateAccessKey'] as const;
export const CHECK_IDS = ['credential', 'clock', 'role_trust', 'role_session', 'access_key_age', ...READ_ACTIONS.map((a) => `action:${a}`), ...WRITE_ACTIONS.map((a) => `action:${a}`)];

const SKEW_WARN_MS = 5 * 60_000;
const KEY_AGE_WARN_DAYS = 90;
const DAY = 86_400_000;

export async function runChecks(s: AwsSession): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const auth = s.config.auth;
  const add = (r: CheckResult): void => void out.push(r);
  const pass = (id: string, label: string, detail?: string): void => add({ id, label, status: 'pass', ...(detail ? { detail } : {}) });
  // Every call error is classified: an AwsCallError handed back raw (NoSuchEntity and the like,
  // for callers that expect it) becomes its catalogue error, never internal.unexpected.
  const classify = (e: unknown, permission: string): AppError =>
    e instanceof AwsCallError
      ? toCatalogue(e, { permission, accessKeyId: auth.accessKeyId, userName: 'the integration user', principal: s.roleArn ?? `the user of access key ${auth.accessKeyId}`, roleArn: s.roleArn })
      : toAppError(e);
  const fail = (id: string, label: string, e: unknown): void => add({ id, label, status: 'fail', error: classify(e, id.startsWith('action:') ? id.slice('action:'.length) : id).toJSON() });
  const skip = (id: string, label: string, detail: string): void => add({ id, label, status: 'skipped', detail });
  const L: Record<string, string> = {
    credential: `Sign in to AWS with access key ${auth.accessKeyId}`,
    clock: "This server's clock agrees with AWS (within 5 minutes)",
    role_trust: auth.type === 'assume_role' ? `Assume role ${auth.roleArn}${auth.externalId ? ' with the external ID' : ''}` : 'Assume a role',
    role_session: "Sign in with the role's temporary credentials",
    access_key_age: `Age of access key ${auth.accessKeyId}`,
  };
  for (const a of [...READ_ACTIONS, ...WRITE_ACTIONS]) L[`action:${a}`] = `${READ_ACTIONS.includes(a as never) ? 'Read' : 'Write back'}: ${a} is allowed`;
  const rest = (detail: string): void => {
    for (const id of CHECK_IDS) if (!out.some((c) => c.id === id)) skip(id, L[id]!, detail);
  };

  // 1. The access key, and the clock (AWS refuses signatures more than 15 minutes off).
  let identity;
  try {
    identity = await s.baseIdentity();
  } catch (e) {
    const err = toAppError(e);
    if (err.code === 'aws.clock_skew') {
      fail('clock', L['clock']!, err);
      skip('credential', L['credential']!, 'cannot be tested while the clock is off');
    } else fail('credential', L['credential']!, err);
    rest('needs a successful sign-in with the access key');
    return out;
  }
  pass('credential', L['credential']!, `signed in as ${identity.value.arn}`);
  const date = identity.date ? Date.parse(identity.date) : NaN;
  if (Number.isNaN(date)) pass('clock', L['clock']!, 'AWS sent no Date header to compare with');
  else {
    const skew = date - s.ctx.now().getTime();
    const text = `AWS's clock is ${Math.round(Math.abs(skew) / 1000)} s ${skew >= 0 ? 'ahead of' : 'behind'} this server's`;
    if (Math.abs(skew) > SKEW_WARN_MS) add({ id: 'clock', label: L['clock']!, status: 'warning', detail: text, error: new AppError('aws.clock_skew', { detail: text }).toJSON() });
    else pass('clock', L['clock']!, text);
  }

  // 2. The role: trust (and external id), then its temporary credentials.
  if (auth.type === 'assume_role') {
    s.invalidate();
    let creds;
    try {
      creds = await s.readingCredentials();
      pass('role_trust', L['role_trust']!);
    } catch (e) {
      fail('role_trust', L['role_trust']!, e);
      rest('needs the role to be assumed');
      return out;
    }
    try {
      const me = await getCallerIdentity(s);
      pass('role_session', L['role_session']!, `acting as ${me.value.Arn} (key ${creds.accessKeyId})`);
    } catch (e) {
      fail('role_session', L['role_session']!, e);
      rest("needs the role's temporary credentials to work");
      return out;
    }
  } else {
    skip('role_trust', L['role_trust']!, 'not used by the access-key method');
    skip('role_session', L['role_session']!, 'not used by the access-key method');
  }

  // 3. The access key's age (credential expiry tracking); needs iam:ListAccessKeys on its own user.
  try {
    const keys = await listAccessKeys(s, undefined, 100, undefined, { base: true });
    const own = keys.value.AccessKeyMetadata.find((k) => k.AccessKeyId === auth.accessKeyId);
    const created = own ? Date.parse(own.CreateDate) : NaN;
    if (Number.isNaN(created)) skip('access_key_age', L['access_key_age']!, 'AWS did not list the key');
    else {
      const ageDays = Math.floor((s.ctx.now().getTime() - created) / DAY);
      const detail = `created ${own!.CreateDate} (${ageDays} days ago)`;
      if (ageDays > KEY_AGE_WARN_DAYS) add({ id: 'access_key_age', label: L['access_key_age']!, status: 'warning', detail, error: new AppError('aws.access_key_old', { accessKeyId: auth.accessKeyId, ageDays, createdAt: own!.CreateDate, userName: own!.UserName }).toJSON() });
      else pass('access_key_age', L['access_key_age']!, detail);
    }
  } catch (e) {
    // Not a prerequisite of reading: report why the age is unknown without failing.
    skip('access_key_age', L['access_key_age']!, `cannot be read: ${classify(e, 'iam:ListAccessKeys').message}`);
  }

  // 4. Each read action, with the credentials reads use, asking for one item — the same calls
  // the sync makes: the users and keys of the account read. With a cross-account role the
  // integration user is not in that account, so it is not the one asked about.
  const baseUser = auth.type === 'access_key' && identity.value.arn.includes(':user/') ? nameOfArn(identity.value.arn) : undefined;
  let sampleUser: string | undefined;
  let sampleKey: string | undefined;
  // NoSuchEntity comes after the permission check: the action is allowed, the entity is gone.
  const gone = (e: unknown): boolean => e instanceof AwsCallError && e.code === 'NoSuchEntity';
  const probes: Record<(typeof READ_ACTIONS)[number], () => Promise<string | undefined>> = {
    'iam:ListUsers': async () => {
      sampleUser = (await listUsers(s, 1, undefined)).value.Users[0]?.UserName;
      return undefined;
    },
    'iam:ListGroups': async () => void (await listGroups(s, 1, undefined)),
    // Each phase's filter, read with the sync's parser: what the sync cannot parse fails here too.
    'iam:GetAccountAuthorizationDetails': async () => {
      for (const filter of Object.values(GAAD_PHASE_FILTERS)) await getAccountAuthorizationDetails(s, filter, 1, undefined);
      return undefined;
    },
    'iam:ListAccessKeys': async () => {
      const user = sampleUser ?? baseUser;
      if (user === undefined) return 'not asked: the account read lists no user to ask about';
      try {
        sampleKey = (await listAccessKeys(s, user, 1, undefined)).value.AccessKeyMetadata[0]?.AccessKeyId;
        return undefined;
      } catch (e) {
        if (gone(e)) return `allowed (the user ${user} is not in the account read)`;
        throw e;
      }
    },
    'iam:GetAccessKeyLastUsed': async () => {
      const key = sampleKey ?? auth.accessKeyId;
      try {
        await getAccessKeyLastUsed(s, key);
        return undefined;
      } catch (e) {
        if (gone(e)) return `allowed (the access key ${key} is not in the account read)`;
        throw e;
      }
    },
    // Generating is what the sync does first; a report not there yet still proves the permission.
    'iam:GenerateCredentialReport': async () => void (await generateCredentialReport(s)),
    'iam:GetCredentialReport': async () => {
      try {
        await getCredentialReport(s);
      } catch (e) {
        if (!(e instanceof AwsCallError && ['ReportNotPresent', 'ReportInProgress', 'ReportExpired'].includes(e.code))) throw e;
      }
      return undefined;
    },
  };
  for (const action of READ_ACTIONS) {
    try {
      const detail = await probes[action]();
      if (detail?.startsWith('not asked')) skip(`action:${action}`, L[`action:${action}`]!, detail);
      else pass(`action:${action}`, L[`action:${action}`]!, detail);
    } catch (e) {
      fail(`action:${action}`, L[`action:${action}`]!, e);
    }
  }

  // 5. Write-back, simulated for the principal that writes (the role, or the user).
  if (!s.config.writeBack) {
    for (const a of WRITE_ACTIONS) skip(`action:${a}`, L[`action:${a}`]!, 'write-back is off for this connection');
    return out;
  }
  const principal = await s.actingPrincipal();
  try {
    const sim = await simulatePrincipalPolicy(s, principal, WRITE_ACTIONS);
    for (const a of WRITE_ACTIONS) {
      const r = sim.value.EvaluationResults.find((x) => x.EvalActionName.toLowerCase() === a.toLowerCase());
      if (r?.EvalDecision === 'allowed') pass(`action:${a}`, L[`action:${a}`]!, 'allowed by the policy simulator');
      else fail(`action:${a}`, L[`action:${a}`]!, new AppError('aws.action_denied', { action: a, principal, principalPath: principalPath(principal) }));
    }
  } catch (e) {
    const err = toAppError(e);
    for (const a of WRITE_ACTIONS) add({ id: `action:${a}`, label: L[`action:${a}`]!, status: 'warning', detail: `cannot be verified without writing: ${err.message}`, error: err.toJSON() });
  }
  return out;
}
