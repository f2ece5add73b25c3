/** The IAM entities the simulator holds (dates as epoch ms; rendered by the handlers). */
export interface UserRec {
  readonly userName: string;
  readonly userId: string;
  readonly path: string;
  readonly arn: string;
  readonly createDateMs: number;
  readonly passwordLastUsedMs: number | null;
}

export interface GroupRec {
  readonly groupName: string;
  readonly groupId: string;
  readonly path: string;
  readonly arn: string;
  readonly createDateMs: number;
}

export interface InlinePolicy {
  readonly policyName: string;
  /** JSON text. */
  readonly document: string;
}

export interface KeyLastUsed {
  readonly dateMs: number;
  readonly service: string;
  readonly region: string;
}

export interface KeyRec {
  readonly accessKeyId: string;
  readonly secret: string;
  readonly userName: string;
  readonly status: 'Active' | 'Inactive';
  readonly createDateMs: number;
  readonly lastUsed: KeyLastUsed | null;
}

export interface RoleRec {
  readonly roleName: string;
  readonly roleId: string;
  readonly path: string;
  readonly arn: string;
  readonly createDateMs: number;
  readonly description: string;
  readonly maxSessionDuration: number;
  /** The trust policy (AssumeRolePolicyDocument), JSON text. */
  readonly trustDocument: string;
  readonly attached: readonly string[];
  readonly inline: readonly InlinePolicy[];
}

export type PrincipalKind = 'user' | 'group' | 'role';

export const userArn = (account: string, path: string, name: string): string => `arn:aws:iam::${account}:user${path}${name}`;
export const groupArn = (account: string, path: string, name: string): string => `arn:aws:iam::${account}:group${path}${name}`;
export const roleArn = (account: string, path: string, name: string): string => `arn:aws:iam::${account}:role${path}${name}`;
export const customerPolicyArn = (account: string, path: string, name: string): string => `arn:aws:iam::${account}:policy${path}${name}`;

/** IAM names: 1–64 (users) / 1–128 (groups, policies) of [\w+=,.@-]. */
export const NAME_RE = /^[\w+=,.@-]+$/;
/** IAM paths: '/' or '/…/' of printable ASCII. */
export const PATH_RE = /^(\/|\/[\u0021-\u007E]+\/)$/;
