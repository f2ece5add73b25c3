import { createHmac } from 'node:crypto';
import { demoPeople, prng } from '../demo.js';
import { allow, awsManagedPolicies, doc, DIRECTORY_READ_ACTIONS, uniqueId, WRITE_BACK_ACTIONS, type ManagedPolicy } from './policy.js';
import { customerPolicyArn, groupArn, roleArn, userArn, type GroupRec, type InlinePolicy, type KeyRec, type RoleRec, type UserRec } from './records.js';

/**
 * The seeded account, deterministic from the sandbox seed. Two parts:
 * - *specials*: hand-shaped entities held in memory (the demo's ~40 people and service
 *   identities, 8 groups; in the large size only the service identities);
 * - *generated*: `users` × `groups` entities computed by formula on demand, so a
 *   100,000-user / 1,000,000-membership account starts at once and costs no memory until read.
 * Mutations from the admin API live in an overlay (world.ts), never here.
 */
export type WorldSize = 'demo' | 'large';

export interface SizeSpec {
  readonly size: WorldSize;
  /** Formula-generated users, groups and memberships (0 for the demo). */
  readonly users: number;
  readonly groups: number;
  readonly memberships: number;
}

export const DEMO_SIZE: SizeSpec = { size: 'demo', users: 0, groups: 0, memberships: 0 };
export const LARGE_SIZE: SizeSpec = { size: 'large', users: 100_000, groups: 10_000, memberships: 1_000_000 };

export interface SpecialUser {
  readonly user: UserRec;
  readonly groups: readonly string[];
  readonly attached: readonly string[];
  readonly inline: readonly InlinePolicy[];
  readonly keys: readonly KeyRec[];
}

export interface SpecialGroup {
  readonly group: GroupRec;
  readonly attached: readonly string[];
  readonly inline: readonly InlinePolicy[];
}

export interface Integration {
  readonly userName: string;
  readonly userArn: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly roleName: string;
  readonly roleArn: string;
  readonly externalId: string;
  readonly readPolicyArn: string;
  readonly writeBackPolicyArn: string;
}

export interface BaseWorld {
  readonly accountId: string;
  readonly seed: number;
  readonly spec: SizeSpec;
  readonly startMs: number;
  readonly specialUsers: readonly SpecialUser[];
  readonly specialGroups: readonly SpecialGroup[];
  readonly gen: Generated;
  readonly policies: readonly ManagedPolicy[];
  readonly roles: readonly RoleRec[];
  readonly integration: Integration;
}

const DAY = 86_400_000;

/** The 12-digit account id of the seed. */
export function accountIdOf(seed: number): string {
  const r = prng(seed ^ 0x5eed_a3b5);
  return String(100_000_000_000 + Math.floor(r() * 899_999_999_999));
}

/** A 40-character secret access key, derived from the seed so restarts keep keys valid. */
function secretFor(seed: number, accessKeyId: string): string {
  return createHmac('sha256', `aws-sandbox-${seed}`).update(accessKeyId).digest('base64').replace(/=+$/, '').slice(0, 40).padEnd(40, 'Q');
}

function keyId(rand: () => number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let s = 'AKIA';
  for (let i = 0; i < 16; i++) s += alphabet[Math.floor(rand() * 32)];
  return s;
}

/** FNV-1a over a number, for per-index formulas. */
export function hash32(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    let x = p | 0;
    for (let i = 0; i < 4; i++) {
      h ^= x & 0xff;
      h = Math.imul(h, 0x01000193);
      x >>>= 8;
    }
  }
  return h >>> 0;
}

function customerPolicies(accountId: string, startMs: number): ManagedPolicy[] {
  const p = (name: string, path: string, description: string, document: string, ageDays: number): ManagedPolicy => ({
    policyName: name,
    policyId: uniqueId('ANPA', accountId, name),
    arn: customerPolicyArn(accountId, path, name),
    path,
    description,
    document,
    awsManaged: false,
    createDateMs: startMs - ageDays * DAY,
    updateDateMs: startMs - Math.floor(ageDays / 2) * DAY,
  });
  return [
    p('SyncwardenDirectoryRead', '/syncwarden/', 'Lets Syncwarden read users, groups, policies and access keys for access reviews.', doc(allow([...DIRECTORY_READ_ACTIONS])), 30),
    p('SyncwardenWriteBack', '/syncwarden/', 'Lets Syncwarden remove memberships and policies that a reviewer revoked.', doc(allow([...WRITE_BACK_ACTIONS])), 30),
    p('DataLakeRead', '/', 'Read access to the analytics data lake.', doc(allow(['s3:GetObject', 's3:ListBucket'], ['arn:aws:s3:::northwind-datalake', 'arn:aws:s3:::northwind-datalake/*'])), 400),
    p('DeployPipeline', '/', 'Deploys the web stack through CloudFormation.', doc(allow(['cloudformation:*', 'codepipeline:*', 's3:PutObject', 's3:GetObject'], ['arn:aws:cloudformation:*:*:stack/web-*', 'arn:aws:codepipeline:*:*:web-*', 'arn:aws:s3:::northwind-artifacts/*'])), 700),
    p('LegacyFullAccess', '/legacy/', 'Created during the 2019 migration. Do not attach.', doc(allow('*', '*')), 2100),
    p('SupportTools', '/', 'Support cases and read-only EC2 for the support desk.', doc(allow(['support:*', 'ec2:Describe*'])), 250),
  ];
}

/**
 * Formula-generated users/groups. User i is in groups (a·i + k·step) mod G for k < M,
 * a coprime with G, so group j's members come back by inverting the formula.
 */
export interface Generated {
  readonly users: number;
  readonly groups: number;
  readonly perUser: number;
  userAt(i: number): UserRec;
  groupAt(j: number): GroupRec;
  /** Names alone (cheap: no ids hashed). */
  userName(i: number): string;
  groupName(j: number): string;
  /** Index of a generated user by name, or -1. */
  userIndex(name: string): number;
  groupIndex(name: string): number;
  groupsOfUser(i: number): number[];
  /** Sorted. */
  usersOfGroup(j: number): number[];
  userAttached(i: number): string[];
  groupAttached(j: number): string[];
  userInline(i: number): InlinePolicy[];
  groupInline(j: number): InlinePolicy[];
  keysOfUser(i: number): KeyRec[];
  /** Generated key ids encode their owner: AKIAZ + 9-digit user index + key number + 5 check chars. */
  keyOwner(accessKeyId: string): { i: number; k: number } | null;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function modInverse(a: number, m: number): number {
  let [r0, r1, s0, s1] = [a % m, m, 1, 0];
  while (r1 !== 0) {
    const q = Math.floor(r0 / r1);
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return ((s0 % m) + m) % m;
}

function generated(accountId: string, seed: number, spec: SizeSpec, startMs: number, managed: (name: string) => string): Generated {
  const N = spec.users;
  const G = spec.groups;
  const M = N === 0 || G === 0 ? 0 : Math.min(G, Math.max(0, Math.round(spec.memberships / N)));
  const step = M === 0 ? 0 : Math.max(1, Math.floor(G / M));
  const a = G === 0 ? 1 : ([7, 11, 13, 17, 19, 23, 29, 31, 37].find((p) => gcd(p, G) === 1) ?? 1);
  const aInv = G === 0 ? 1 : modInverse(a, G);
  const pad = (n: number, w: number): string => String(n).padStart(w, '0');
  const check = (i: number, k: number): string => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
    let h = hash32(seed, i, k, 77);
    let s = '';
    for (let c = 0; c < 5; c++) {
      s += alphabet[h & 31];
      h >>>= 5;
    }
    return s;
  };
  const userName = (i: number): string => `user-${pad(i + 1, 6)}`;
  const groupName = (j: number): string => `group-${pad(j + 1, 5)}`;
  const userPath = (i: number): string => (i % 10 === 9 ? '/contractors/' : '/');
  const groupPath = (j: number): string => (j % 10 === 0 ? `/dept-${j % 7}/` : '/');
  return {
    users: N,
    groups: G,
    perUser: M,
    userName,
    groupName,
    userAt(i) {
      const h = hash32(seed, i, 1);
      const name = userName(i);
      const path = userPath(i);
      const created = startMs - ((h % 1500) + 1) * DAY;
      return {
        userName: name,
        userId: uniqueId('AIDA', accountId, 'gen-user', i),
        path,
        arn: userArn(accountId, path, name),
        createDateMs: created,
        passwordLastUsedMs: h % 4 === 0 ? null : Math.max(created, startMs - ((h >>> 8) % 60) * DAY - ((h >>> 16) % 86_400) * 1000),
      };
    },
    groupAt(j) {
      const name = groupName(j);
      const path = groupPath(j);
      return { groupName: name, groupId: uniqueId('AGPA', accountId, 'gen-group', j), path, arn: groupArn(accountId, path, name), createDateMs: startMs - ((hash32(seed, j, 2) % 2000) + 30) * DAY };
    },
    userIndex(name) {
      const m = /^user-(\d{6})$/.exec(name);
      if (!m) return -1;
      const i = Number(m[1]) - 1;
      return i >= 0 && i < N ? i : -1;
    },
    groupIndex(name) {
      const m = /^group-(\d{5})$/.exec(name);
      if (!m) return -1;
      const j = Number(m[1]) - 1;
      return j >= 0 && j < G ? j : -1;
    },
    groupsOfUser(i) {
      const out: number[] = [];
      for (let k = 0; k < M; k++) out.push((((a * i + k * step) % G) + G) % G);
      return out;
    },
    usersOfGroup(j) {
      const out: number[] = [];
      for (let k = 0; k < M; k++) {
        const i0 = (((((j - k * step) % G) + G) % G) * aInv) % G;
        for (let i = i0; i < N; i += G) out.push(i);
      }
      return out.sort((x, y) => x - y);
    },
    userAttached(i) {
      const out: string[] = [];
      if (i % 97 === 0) out.push(managed('ReadOnlyAccess'));
      if (i % 1009 === 5) out.push(managed('AdministratorAccess'));
      return out;
    },
    groupAttached(j) {
      const out = [managed(['ReadOnlyAccess', 'PowerUserAccess', 'DataLakeRead'][j % 3]!)];
      if (j % 50 === 7) out.push(managed('AdministratorAccess'));
      return out;
    },
    userInline(i) {
      return i % 250 === 3 ? [{ policyName: 'scratch-s3', document: doc(allow('s3:*', [`arn:aws:s3:::scratch-${i}`, `arn:aws:s3:::scratch-${i}/*`])) }] : [];
    },
    groupInline(j) {
      return j % 100 === 1 ? [{ policyName: 'team-tools', document: doc(allow(['ssm:StartSession', 'ec2:Describe*'])) }] : [];
    },
    keysOfUser(i) {
      const h = hash32(seed, i, 3);
      const count = h % 3;
      const out: KeyRec[] = [];
      for (let k = 0; k < count; k++) {
        const hk = hash32(seed, i, k, 4);
        const id = `AKIAZ${pad(i, 9)}${k}${check(i, k)}`;
        const created = startMs - ((hk % 700) + 1) * DAY;
        out.push({
          accessKeyId: id,
          secret: secretFor(seed, id),
          userName: userName(i),
          status: hk % 10 === 0 ? 'Inactive' : 'Active',
          createDateMs: created,
          lastUsed: hk % 5 === 0 ? null : { dateMs: Math.max(created, startMs - ((hk >>> 8) % 30) * DAY), service: ['iam', 's3', 'ec2', 'sts'][(hk >>> 4) % 4]!, region: 'us-east-1' },
        });
      }
      return out;
    },
    keyOwner(id) {
      const m = /^AKIAZ(\d{9})(\d)([A-Z2-7]{5})$/.exec(id);
      if (!m) return null;
      const i = Number(m[1]);
      const k = Number(m[2]);
      if (i >= N || check(i, k) !== m[3] || k >= hash32(seed, i, 3) % 3) return null;
      return { i, k };
    },
  };
}

/** Builds the base (read-only) world of an account. */
export function seedBase(seed: number, spec: SizeSpec, startMs: number): BaseWorld {
  const accountId = accountIdOf(seed);
  const rand = prng(seed ^ 0x0a3b_5c7d);
  const policies = [...awsManagedPolicies(), ...customerPolicies(accountId, startMs)];
  const managed = (name: string): string => {
    const p = policies.find((x) => x.policyName === name);
    if (!p) throw new Error(`no managed policy ${name}`);
    return p.arn;
  };
  const days = (n: number): number => startMs - n * DAY;
  const hex = createHmac('sha256', `aws-external-id-${seed}`).update('SyncwardenAudit').digest('hex');

  const mkUser = (userName: string, path: string, createdDaysAgo: number, passwordLastUsedDaysAgo: number | null): UserRec => ({
    userName,
    userId: uniqueId('AIDA', accountId, 'user', userName),
    path,
    arn: userArn(accountId, path, userName),
    createDateMs: days(createdDaysAgo),
    passwordLastUsedMs: passwordLastUsedDaysAgo === null ? null : days(passwordLastUsedDaysAgo) - Math.floor(rand() * 80_000) * 1000,
  });
  const mkKey = (user: string, ageDays: number, lastUsedDaysAgo: number | null, status: 'Active' | 'Inactive' = 'Active', service = 'iam'): KeyRec => {
    const id = keyId(rand);
    return {
      accessKeyId: id,
      secret: secretFor(seed, id),
      userName: user,
      status,
      createDateMs: days(ageDays) - Math.floor(rand() * 80_000) * 1000,
      lastUsed: lastUsedDaysAgo === null ? null : { dateMs: days(lastUsedDaysAgo) - Math.floor(rand() * 80_000) * 1000, service, region: 'us-east-1' },
    };
  };

  // Service identities, present in every size.
  const integrationKey = mkKey('syncwarden-integration', 30, null);
  const integrationUser = mkUser('syncwarden-integration', '/service-accounts/', 30, null);
  const role: RoleRec = {
    roleName: 'SyncwardenAudit',
    roleId: uniqueId('AROA', accountId, 'role', 'SyncwardenAudit'),
    path: '/',
    arn: roleArn(accountId, '/', 'SyncwardenAudit'),
    createDateMs: days(30),
    description: 'Assumed by Syncwarden to read the directory and write back access-review decisions.',
    maxSessionDuration: 3600,
    trustDocument: doc({ Effect: 'Allow', Principal: { AWS: integrationUser.arn }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': `syncwarden-${hex.slice(0, 20)}` } } }),
    attached: [managed('SyncwardenDirectoryRead'), managed('SyncwardenWriteBack')],
    inline: [],
  };
  const orgRole: RoleRec = {
    roleName: 'OrganizationAccountAccessRole',
    roleId: uniqueId('AROA', accountId, 'role', 'OrganizationAccountAccessRole'),
    path: '/',
    arn: roleArn(accountId, '/', 'OrganizationAccountAccessRole'),
    createDateMs: days(1900),
    description: '',
    maxSessionDuration: 3600,
    trustDocument: doc({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'sts:AssumeRole' }),
    attached: [managed('AdministratorAccess')],
    inline: [],
  };
  const service: SpecialUser[] = [
    { user: mkUser('breakglass-admin', '/', 1800, 200), groups: [], attached: [managed('AdministratorAccess')], inline: [], keys: [] },
    {
      user: integrationUser,
      groups: [],
      attached: [managed('SyncwardenDirectoryRead')],
      inline: [{ policyName: 'AssumeSyncwardenAudit', document: doc(allow('sts:AssumeRole', role.arn)) }],
      keys: [integrationKey],
    },
    { user: mkUser('ci-deployer', '/service-accounts/', 420, null), groups: [], attached: [managed('DeployPipeline')], inline: [], keys: [mkKey('ci-deployer', 400, 1, 'Active', 'cloudformation')] },
    { user: mkUser('backup-agent', '/service-accounts/', 20, null), groups: [], attached: [], inline: [{ policyName: 'backup-s3', document: doc(allow(['s3:PutObject', 's3:ListBucket'], ['arn:aws:s3:::northwind-backups', 'arn:aws:s3:::northwind-backups/*'])) }], keys: [mkKey('backup-agent', 20, null)] },
  ];

  const specialGroups: SpecialGroup[] = [];
  const people: SpecialUser[] = [];
  if (spec.size === 'demo') {
    const g = (groupName: string, path: string, createdDaysAgo: number, attached: string[], inline: InlinePolicy[] = []): SpecialGroup => ({
      group: { groupName, groupId: uniqueId('AGPA', accountId, 'group', groupName), path, arn: groupArn(accountId, path, groupName), createDateMs: days(createdDaysAgo) },
      attached,
      inline,
    });
    specialGroups.push(
      g('Admins', '/', 1800, [managed('AdministratorAccess')]),
      g('Developers', '/engineering/', 1500, [managed('PowerUserAccess')], [{ policyName: 'deny-prod-delete', document: doc({ Effect: 'Deny', Action: ['rds:DeleteDBInstance', 's3:DeleteBucket'], Resource: '*' }) }]),
      g('DataScience', '/engineering/', 900, [managed('DataLakeRead'), managed('ReadOnlyAccess')]),
      g('ReadOnly', '/', 1700, [managed('ReadOnlyAccess')]),
      g('SecurityAuditors', '/security/', 1200, [managed('SecurityAudit')]),
      g('IAMAdmins', '/security/', 1200, [managed('IAMFullAccess')]),
      g('Billing', '/finance/', 1100, [managed('Billing')]),
      g('Support', '/', 600, [managed('SupportTools')], [{ policyName: 'case-management', document: doc(allow(['support:*'])) }]),
    );
    const names = specialGroups.map((x) => x.group.groupName);
    const ordinary = ['Developers', 'DataScience', 'ReadOnly', 'SecurityAuditors', 'Billing', 'Support'];
    demoPeople(seed ^ 0x00a5_a5a5, 36).forEach((p, n) => {
      const path = n % 3 === 0 ? '/engineering/' : '/';
      const user = mkUser(p.localPart, path, 60 + Math.floor(rand() * 1400), rand() < 0.7 ? Math.floor(rand() * 30) : null);
      const groups = new Set<string>();
      if (n === 0 || n === 1) groups.add('Admins');
      if (n === 2) groups.add('IAMAdmins');
      if (n !== 35) {
        const count = 1 + Math.floor(rand() * 3);
        for (let c = 0; c < count; c++) groups.add(ordinary[Math.floor(rand() * ordinary.length)]!);
      }
      const attached: string[] = [];
      if (n === 3) attached.push(managed('ReadOnlyAccess'));
      if (n === 7) attached.push(managed('LegacyFullAccess'));
      const inline: InlinePolicy[] = [];
      if (n === 5) inline.push({ policyName: 'emergency-access', document: doc(allow('*', '*')) });
      if (n === 11) inline.push({ policyName: 's3-scratch', document: doc(allow('s3:*', ['arn:aws:s3:::scratch-ada', 'arn:aws:s3:::scratch-ada/*'])) });
      const keys: KeyRec[] = [];
      const keyCount = n === 35 ? 2 : Math.floor(rand() * 3);
      for (let k = 0; k < keyCount; k++) {
        const age = 1 + Math.floor(rand() * 85);
        const used = rand() < 0.3 ? null : Math.floor(rand() * Math.min(age, 20));
        keys.push(mkKey(user.userName, age, used, rand() < 0.1 ? 'Inactive' : 'Active', ['iam', 's3', 'ec2', 'sts'][Math.floor(rand() * 4)]!));
      }
      people.push({ user, groups: names.filter((x) => groups.has(x)), attached, inline, keys });
    });
  }
  const specialUsers = [...people, ...service].sort((x, y) => (x.user.userName.toLowerCase() < y.user.userName.toLowerCase() ? -1 : 1));
  const externalId = JSON.parse(role.trustDocument).Statement[0].Condition.StringEquals['sts:ExternalId'] as string;
  return {
    accountId,
    seed,
    spec,
    startMs,
    specialUsers,
    specialGroups,
    gen: generated(accountId, seed, spec, startMs, managed),
    policies,
    roles: [role, orgRole],
    integration: {
      userName: integrationUser.userName,
      userArn: integrationUser.arn,
      accessKeyId: integrationKey.accessKeyId,
      secretAccessKey: integrationKey.secret,
      roleName: role.roleName,
      roleArn: role.arn,
      externalId,
      readPolicyArn: managed('SyncwardenDirectoryRead'),
      writeBackPolicyArn: managed('SyncwardenWriteBack'),
    },
  };
}
