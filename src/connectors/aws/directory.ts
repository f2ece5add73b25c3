import { AppError } from '../../errors/index.js';
import { checkCursorAdvances, checkPageSize, type DirectoryRecord, type DirectoryStream, type Page, type RevokeOutcome, type RevokeTarget } from '../sdk/index.js';
import { nameOfArn } from './config.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { AwsCallError } from './errors.js';
import { readCredentialReport, type CredentialReport } from './credential-report.js';
import { GAAD_PHASE_FILTERS, getAccessKeyLastUsed, getAccountAuthorizationDetails, getInlinePolicy, listAccessKeys, listAttachedPolicies, listGroupsForUser, listGroups, listUsers, write, type GroupDetail, type PolicyDetail, type UserDetail } from './iam.js';
import { isPrivilegedDocument, isPrivilegedPolicy } from './privileged.js';
import type { AwsSession } from './session.js';

/**
 * The directory side of the AWS IAM connector.
 *
 * Ids: IAM's write APIs take names, not unique ids, and GetAccountAuthorizationDetails
 * lists a user's groups by name only; so records are keyed by ARN (the provider's own
 * identifier, from which the name comes back for a revocation) and carry the unique id
 * (AIDA…/AGPA…) as an attribute, which tells a recreated entity from the old one.
 * An inline policy has no ARN: its entitlement id is `<principal ARN>#<policy name>`
 * (IAM names cannot contain '#').
 *
 * Streams (one page per call; IAM has no change feed, so none is incremental):
 * - `authorization`: GetAccountAuthorizationDetails — the cheapest full read — in three
 *   phases: groups (with their policies), managed policies (entitlements), users (with
 *   group names, attached and inline policies). Groups come first so a user's group names
 *   resolve to group ARNs.
 * - `access_keys`: ListUsers, then per user ListAccessKeys; last use from the credential report
 *   (credential-report.ts: a few calls for the whole account), key by key with
 *   GetAccessKeyLastUsed only for keys the report does not cover (created since, or no report
 *   permission).
 * Password last use (the accounts' last sign-in) comes from the report too.
 */
export const STREAMS: readonly DirectoryStream[] = [
  { name: 'authorization', yields: ['group', 'entitlement', 'grant', 'account', 'membership'], incremental: false },
  { name: 'access_keys', yields: ['credential'], incremental: false },
];

const PHASE_FILTERS = GAAD_PHASE_FILTERS;
const NEXT_PHASE = { groups: 'policies', policies: 'users', users: null } as const;
/** Users per access_keys page: each costs one ListAccessKeys. */
const KEY_PAGE_USERS = 25;

const decodeDoc = (encoded: string | undefined): string | null => {
  if (!encoded) return null;
  try {
    return decodeURIComponent(encoded);
  } catch {
    return null;
  }
};

export interface AwsDirectory {
  read(stream: string, cursor: string | null): Promise<Page<DirectoryRecord>>;
  revoke(target: RevokeTarget): Promise<RevokeOutcome>;
  stillHeld(target: RevokeTarget): Promise<boolean>;
}

export function createDirectory(s: AwsSession): AwsDirectory {
  /** Group name → ARN, filled by the groups phase (or by ListGroups after a restart). */
  const groupArns = new Map<string, string>();
  let groupsComplete = false;
  /** The credential report of this pass: undefined = not read yet, null = unavailable. */
  let report: CredentialReport | null | undefined;
  async function credentialReport(): Promise<CredentialReport | null> {
    if (report === undefined) report = await readCredentialReport(s);
    return report;
  }

  async function loadGroupArns(): Promise<void> {
    groupArns.clear();
    let marker: string | undefined;
    do {
      const page = await listGroups(s, 1000, marker);
      for (const g of page.value.Groups) groupArns.set(g.GroupName.toLowerCase(), g.Arn);
      marker = page.value.IsTruncated ? page.value.Marker : undefined;
      if (page.value.IsTruncated && !marker) throw new AppError('provider.bad_response', { provider: 'AWS IAM', detail: 'ListGroups said IsTruncated without a Marker' });
    } while (marker);
    groupsComplete = true;
  }

  function inlineRecords(principalArn: string, principalName: string, principalType: 'account' | 'group', policies: readonly { PolicyName: string; PolicyDocument: string }[]): DirectoryRecord[] {
    return policies.flatMap((p): DirectoryRecord[] => {
      const id = `${principalArn}#${p.PolicyName}`;
      const document = decodeDoc(p.PolicyDocument);
      return [
        { type: 'entitlement', externalId: id, entitlementType: 'inline_policy', displayName: `${p.PolicyName} (inline on ${principalName})`, description: null, privileged: isPrivilegedDocument(document), attributes: { principalArn, policyName: p.PolicyName, document } },
        { type: 'grant', entitlementId: id, principalId: principalArn, principalType, attributes: { inline: true } },
      ];
    });
  }

  function groupRecords(g: GroupDetail): DirectoryRecord[] {
    groupArns.set(g.GroupName.toLowerCase(), g.Arn);
    return [
      { type: 'group', externalId: g.Arn, displayName: g.GroupName, email: null, description: null, attributes: { groupId: g.GroupId, path: g.Path, createdAt: g.CreateDate } },
      ...g.AttachedManagedPolicies.map((p): DirectoryRecord => ({ type: 'grant', entitlementId: p.PolicyArn, principalId: g.Arn, principalType: 'group', attributes: { inline: false } })),
      ...inlineRecords(g.Arn, g.GroupName, 'group', g.GroupPolicyList),
    ];
  }

  function policyRecord(p: PolicyDetail): DirectoryRecord {
    const current = p.PolicyVersionList.find((v) => v.IsDefaultVersion) ?? p.PolicyVersionList[0];
    return {
      type: 'entitlement',
      externalId: p.Arn,
      entitlementType: 'policy',
      displayName: p.PolicyName,
      description: p.Description ?? null,
      privileged: isPrivilegedPolicy(p.Arn, decodeDoc(current?.Document)),
      attributes: { policyId: p.PolicyId, path: p.Path, awsManaged: /^arn:aws[\w-]*:iam::aws:/.test(p.Arn), attachmentCount: p.AttachmentCount ?? null, defaultVersionId: p.DefaultVersionId ?? null },
    };
  }

  /**
   * IAM has no "service account" flag: workloads are told apart by convention — a path such as
   * /service-accounts/ or /system/, or a tag `type` / `account-type` naming a service. People
   * are everything else.
   */
  function serviceUser(path: string, tags: readonly { Key: string; Value?: string | undefined }[]): boolean {
    if (/\/(service|services|service-accounts?|svc|system|bots?|automation|workloads?)\//i.test(path)) return true;
    const t = tags.find((x) => /^(type|account-?type|usage)$/i.test(x.Key))?.Value ?? '';
    return /^(service|svc|system|bot|automation|workload)/i.test(t);
  }

  async function userRecords(u: UserDetail): Promise<DirectoryRecord[]> {
    const email = u.Tags.find((t) => t.Key.toLowerCase() === 'email')?.Value ?? null;
    const out: DirectoryRecord[] = [
      {
        type: 'account',
        externalId: u.Arn,
        accountType: serviceUser(u.Path, u.Tags) ? 'service' : 'user',
        userName: u.UserName,
        email: email || null,
        displayName: u.UserName,
        givenName: null,
        familyName: null,
        employeeId: null,
        // An IAM user has no enabled flag; its access keys carry their own status (credentials).
        enabled: true,
        external: false,
        createdAt: u.CreateDate,
        // GetAccountAuthorizationDetails has no PasswordLastUsed: the credential report has it.
        lastSignInAt: report?.users.get(u.Arn)?.passwordLastUsedAt ?? null,
        attributes: { userId: u.UserId, path: u.Path, permissionsBoundary: u.PermissionsBoundary?.PermissionsBoundaryArn ?? null },
      },
    ];
    for (const name of u.GroupList) {
      let arn = groupArns.get(name.toLowerCase());
      if (!arn) {
        // A group created after the groups phase; refresh the names once per page.
        await loadGroupArns();
        arn = groupArns.get(name.toLowerCase());
      }
      // Still unknown: deleted while we read; the next pass settles it.
      if (arn) out.push({ type: 'membership', groupId: arn, memberId: u.Arn, memberType: 'account', role: null });
    }
    for (const p of u.AttachedManagedPolicies) out.push({ type: 'grant', entitlementId: p.PolicyArn, principalId: u.Arn, principalType: 'account', attributes: { inline: false } });
    out.push(...inlineRecords(u.Arn, u.UserName, 'account', u.UserPolicyList));
    return out;
  }

  async function readAuthorization(cursor: string | null): Promise<Page<DirectoryRecord>> {
    const c = cursor ? decodeCursor('authorization', cursor) : { phase: 'groups' as const, marker: null };
    const phase = c.phase;
    if (phase === 'keys') throw new AppError('request.invalid', { detail: 'an access_keys cursor was given to the authorization stream' });
    if (phase === 'groups' && c.marker === null) {
      groupArns.clear();
      groupsComplete = false;
      report = undefined;
    }
    if (phase === 'users' && !groupsComplete) await loadGroupArns();
    if (phase === 'users') await credentialReport();
    const page = await getAccountAuthorizationDetails(s, PHASE_FILTERS[phase], s.config.pageSize, c.marker ?? undefined);
    const v = page.value;
    // Checked as read (sdk/paging.ts): at most MaxItems entries, and a Marker that moves on.
    const where = `GetAccountAuthorizationDetails (${phase}${c.marker ? ', a page after the first' : ', first page'})`;
    checkPageSize('AWS IAM', where, v.UserDetailList.length + v.GroupDetailList.length + v.Policies.length, s.config.pageSize);
    checkCursorAdvances('AWS IAM', where, c.marker, v.IsTruncated ? v.Marker : null);
    const items: DirectoryRecord[] = [];
    if (phase === 'groups') for (const g of v.GroupDetailList) items.push(...groupRecords(g));
    if (phase === 'policies') for (const p of v.Policies) items.push(policyRecord(p));
    if (phase === 'users') for (const u of v.UserDetailList) items.push(...(await userRecords(u)));
    if (v.IsTruncated && !v.Marker) throw new AppError('provider.bad_response', { provider: 'AWS IAM', detail: 'GetAccountAuthorizationDetails said IsTruncated without a Marker' });
    let next: string | null;
    if (v.IsTruncated) next = encodeCursor({ stream: 'authorization', phase, marker: v.Marker! });
    else {
      if (phase === 'groups') groupsComplete = true;
      const after = NEXT_PHASE[phase];
      next = after ? encodeCursor({ stream: 'authorization', phase: after, marker: null }) : null;
    }
    return { items, next, deltaCursor: null };
  }

  async function readAccessKeys(cursor: string | null): Promise<Page<DirectoryRecord>> {
    const c = cursor ? decodeCursor('access_keys', cursor) : { marker: null };
    const fromReport = await credentialReport();
    const page = await listUsers(s, Math.min(KEY_PAGE_USERS, s.config.pageSize), c.marker ?? undefined);
    const items: DirectoryRecord[] = [];
    for (const u of page.value.Users) {
      let marker: string | undefined;
      do {
        let keys;
        try {
          keys = await listAccessKeys(s, u.UserName, 100, marker);
        } catch (e) {
          // Deleted since ListUsers: nothing to report for them.
          if (e instanceof AwsCallError && e.code === 'NoSuchEntity') break;
          throw e;
        }
        const reported = fromReport?.users.get(u.Arn)?.keys ?? [];
        for (const k of keys.value.AccessKeyMetadata) {
          let last: { LastUsedDate?: string | undefined; ServiceName: string; Region: string } | null = null;
          // The report knows keys by slot; a key is its slot's when the creation times agree.
          const slot = reported.find((r) => r.lastRotated !== null && sameSecond(r.lastRotated, k.CreateDate));
          if (slot) last = { ...(slot.lastUsedAt ? { LastUsedDate: slot.lastUsedAt } : {}), ServiceName: slot.service ?? 'N/A', Region: slot.region ?? 'N/A' };
          else {
            try {
              last = (await getAccessKeyLastUsed(s, k.AccessKeyId)).value.AccessKeyLastUsed;
            } catch (e) {
              if (!(e instanceof AwsCallError && e.code === 'NoSuchEntity')) throw e;
              continue;
            }
          }
          // Never used: ServiceName and Region are "N/A" and there is no date.
          const used = last.ServiceName !== 'N/A';
          items.push({
            type: 'credential',
            externalId: k.AccessKeyId,
            accountId: u.Arn,
            credentialType: 'access_key',
            status: k.Status === 'Active' ? 'active' : k.Status === 'Inactive' ? 'inactive' : 'expired',
            createdAt: k.CreateDate,
            lastUsedAt: last.LastUsedDate ?? null,
            attributes: { userName: u.UserName, lastUsedService: used ? last.ServiceName : null, lastUsedRegion: used ? last.Region : null },
          });
        }
        marker = keys.value.IsTruncated ? keys.value.Marker : undefined;
      } while (marker);
    }
    if (page.value.IsTruncated && !page.value.Marker) throw new AppError('provider.bad_response', { provider: 'AWS IAM', detail: 'ListUsers said IsTruncated without a Marker' });
    return { items, next: page.value.IsTruncated ? encodeCursor({ stream: 'access_keys', phase: 'keys', marker: page.value.Marker! }) : null, deltaCursor: null };
  }

  return {
    async read(stream, cursor) {
      switch (stream) {
        case 'authorization':
          return readAuthorization(cursor);
        case 'access_keys':
          return readAccessKeys(cursor);
        default:
          throw new AppError('request.invalid', { detail: `the AWS IAM connector has no stream ${stream}` });
      }
    },

    async revoke(target) {
      let action: Parameters<typeof write>[1];
      let params: Record<string, string>;
      if (target.type === 'membership') {
        // IAM groups hold users only; there is no nesting to undo.
        if (target.memberType !== 'account') throw new AppError('request.invalid', { detail: 'IAM groups cannot contain groups' });
        action = 'RemoveUserFromGroup';
        params = { GroupName: nameOfArn(target.groupId), UserName: nameOfArn(target.memberId) };
      } else if (target.type === 'grant') {
        const hash = target.entitlementId.lastIndexOf('#');
        const principal = nameOfArn(target.principalId);
        const user = target.principalType === 'account';
        if (hash >= 0) {
          action = user ? 'DeleteUserPolicy' : 'DeleteGroupPolicy';
          params = { [user ? 'UserName' : 'GroupName']: principal, PolicyName: target.entitlementId.slice(hash + 1) };
        } else {
          action = user ? 'DetachUserPolicy' : 'DetachGroupPolicy';
          params = { [user ? 'UserName' : 'GroupName']: principal, PolicyArn: target.entitlementId };
        }
      } else if (target.type === 'credential') {
        // Deactivate, never delete: the key can be reactivated if the decision was wrong.
        // UpdateAccessKey to Inactive succeeds on an inactive key too, so look first to tell already_gone.
        if (!(await keyActive(target.credentialId, target.accountId))) return 'already_gone';
        action = 'UpdateAccessKey';
        params = { UserName: nameOfArn(target.accountId), AccessKeyId: target.credentialId, Status: 'Inactive' };
      } else {
        throw new AppError('directory.revoke_unsupported', { what: 'deactivating an IAM user (Syncwarden removes its access and keys instead)' });
      }
      try {
        await write(s, action, params);
        return 'revoked';
      } catch (e) {
        if (e instanceof AwsCallError && e.code === 'NoSuchEntity') return 'already_gone';
        throw e;
      }
    },

    /** Re-reads the one resource a revocation touched; a principal that no longer exists holds nothing. */
    async stillHeld(target) {
      const gone = (e: unknown): false => {
        if (e instanceof AwsCallError && e.code === 'NoSuchEntity') return false;
        throw e;
      };
      if (target.type === 'membership') {
        const want = nameOfArn(target.groupId).toLowerCase();
        try {
          let marker: string | undefined;
          do {
            const page = await listGroupsForUser(s, nameOfArn(target.memberId), marker);
            if (page.value.Groups.some((g) => g.Arn === target.groupId || g.GroupName.toLowerCase() === want)) return true;
            marker = page.value.IsTruncated ? page.value.Marker : undefined;
          } while (marker);
          return false;
        } catch (e) {
          return gone(e);
        }
      }
      if (target.type === 'grant') {
        const hash = target.entitlementId.lastIndexOf('#');
        const kind = target.principalType === 'account' ? 'user' : 'group';
        const principal = nameOfArn(target.principalId);
        try {
          if (hash >= 0) {
            await getInlinePolicy(s, kind, principal, target.entitlementId.slice(hash + 1));
            return true;
          }
          let marker: string | undefined;
          do {
            const page = await listAttachedPolicies(s, kind, principal, marker);
            if (page.value.AttachedPolicies.some((p) => p.PolicyArn === target.entitlementId)) return true;
            marker = page.value.IsTruncated ? page.value.Marker : undefined;
          } while (marker);
          return false;
        } catch (e) {
          return gone(e);
        }
      }
      if (target.type === 'credential') return keyActive(target.credentialId, target.accountId);
      throw new AppError('directory.revoke_unsupported', { what: 'deactivating an IAM user (Syncwarden removes its access and keys instead)' });
    },
  };

  /** Whether the key is listed Active for its user (ListAccessKeys; a user gone holds no key). */
  async function keyActive(accessKeyId: string, userArn: string): Promise<boolean> {
    try {
      let marker: string | undefined;
      do {
        const page = await listAccessKeys(s, nameOfArn(userArn), 100, marker);
        const k = page.value.AccessKeyMetadata.find((x) => x.AccessKeyId === accessKeyId);
        if (k) return k.Status === 'Active';
        marker = page.value.IsTruncated ? page.value.Marker : undefined;
      } while (marker);
      return false;
    } catch (e) {
      if (e instanceof AwsCallError && e.code === 'NoSuchEntity') return false;
      throw e;
    }
  }
}

/** Two timestamps of the same second (the report and ListAccessKeys write dates differently). */
function sameSecond(a: string, b: string): boolean {
  const x = Date.parse(a);
  const y = Date.parse(b);
  return !Number.isNaN(x) && Math.floor(x / 1000) === Math.floor(y / 1000);
}
