import { z } from 'zod';
import { AppError } from '../../errors/index.js';
import type { ConnectorContext } from '../sdk/index.js';
import { accountOfArn, nameOfArn, ROLE_ARN_RE, type AwsConfig, type AwsEndpoints } from './config.js';
import { AwsCallError, SESSION_CODES, toCatalogue, type ErrorContext } from './errors.js';
import { query, type QueryCall } from './query.js';
import type { AwsCredentials } from './sigv4.js';
import { badResponse, xmlStr } from './xml.js';

/**
 * The credentials a connection signs with, and every call made with them. With assume-role
 * the base access key only calls sts:AssumeRole (and, to explain a refusal, iam:GetRole);
 * reads and writes use the role's temporary credentials, cached until five minutes before
 * they expire and renewed once when AWS calls them expired.
 */
const REFRESH_BEFORE_MS = 5 * 60_000;
const SESSION_SECONDS = 3600;

export interface Identity {
  readonly arn: string;
  readonly userId: string;
  readonly account: string;
}

export interface Answer<T> {
  readonly value: T;
  readonly date: string | null;
}

export interface CallOptions {
  /** Sign with the base access key instead of the reading credentials. */
  readonly base?: boolean;
  /** AWS error codes handed back as AwsCallError (e.g. NoSuchEntity) instead of a catalogue error. */
  readonly pass?: readonly string[];
  readonly idempotent?: boolean;
}

export interface AwsSession {
  readonly config: AwsConfig;
  readonly ctx: ConnectorContext;
  readonly base: AwsCredentials;
  readonly roleArn: string | null;
  /** GetCallerIdentity with the base key (cached). */
  baseIdentity(): Promise<Answer<Identity>>;
  /** The credentials reads and writes are signed with. */
  readingCredentials(): Promise<AwsCredentials>;
  /** Forget cached temporary credentials. */
  invalidate(): void;
  accountId(): Promise<string>;
  /** The ARN that reads and writes act as: the base user, or the role. */
  actingPrincipal(): Promise<string>;
  call<T>(service: 'iam' | 'sts', action: string, params: QueryCall['params'], schema: z.ZodType<T>, opts?: CallOptions): Promise<Answer<T>>;
}

const identitySchema = z.object({ Arn: xmlStr, UserId: xmlStr, Account: xmlStr });
const assumeSchema = z.object({
  Credentials: z.object({ AccessKeyId: xmlStr, SecretAccessKey: xmlStr, SessionToken: xmlStr, Expiration: xmlStr }),
});
const roleSchema = z.object({ Role: z.object({ Arn: xmlStr, AssumeRolePolicyDocument: xmlStr }) });

export function createSession(ctx: ConnectorContext, config: AwsConfig, endpoints: AwsEndpoints): AwsSession {
  const auth = config.auth;
  const base: AwsCredentials = { accessKeyId: auth.accessKeyId, secretAccessKey: auth.secretAccessKey };
  const roleArn = auth.type === 'assume_role' ? auth.roleArn : null;
  const deps = { ctx, config, endpoints };
  let identity: Promise<Answer<Identity>> | undefined;
  let temporary: { creds: AwsCredentials; expiresMs: number } | undefined;
  let assuming: Promise<AwsCredentials> | undefined;

  const roleAccount = roleArn ? (ROLE_ARN_RE.exec(roleArn)?.[1] ?? null) : null;
  /** The base key's user, once GetCallerIdentity told it (for the console path in resolutions). */
  let knownUser: string | undefined;
  const baseUserName = (): string => knownUser ?? 'the integration user';

  function errorContext(permission: string, creds: AwsCredentials): ErrorContext {
    return { permission, accessKeyId: creds.accessKeyId, userName: baseUserName(), principal: roleArn && creds !== base ? roleArn : `the user of access key ${base.accessKeyId}`, roleArn };
  }

  async function raw<T>(service: 'iam' | 'sts', action: string, params: QueryCall['params'], schema: z.ZodType<T>, creds: AwsCredentials, budgetKey: string, idempotent = true): Promise<Answer<T>> {
    const a = await query(deps, { service, action, params, credentials: creds, budgetKey, idempotent });
    const r = schema.safeParse(a.result ?? {});
    if (!r.success) throw badResponse(`${action} answered an unexpected result (${r.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || 'result'}: ${i.message}`).join('; ')})`);
    return { value: r.data, date: a.date };
  }

  const stsBudget = (): string => `aws:sts:${roleAccount ?? `key:${base.accessKeyId}`}`;

  const session: AwsSession = {
    config,
    ctx,
    base,
    roleArn,
    baseIdentity() {
      identity ??= raw('sts', 'GetCallerIdentity', {}, identitySchema, base, stsBudget())
        .then((a) => {
          if (a.value.Arn.includes(':user/')) knownUser = nameOfArn(a.value.Arn);
          return { value: { arn: a.value.Arn, userId: a.value.UserId, account: a.value.Account }, date: a.date };
        })
        .catch((e: unknown) => {
          identity = undefined;
          throw e instanceof AwsCallError ? toCatalogue(e, errorContext('sts:GetCallerIdentity', base)) : e;
        });
      return identity;
    },
    async accountId() {
      return roleAccount ?? (await session.baseIdentity()).value.account;
    },
    async actingPrincipal() {
      return roleArn ?? (await session.baseIdentity()).value.arn;
    },
    invalidate() {
      temporary = undefined;
    },
    async readingCredentials() {
      if (auth.type === 'access_key') return base;
      if (temporary && ctx.now().getTime() < temporary.expiresMs - REFRESH_BEFORE_MS) return temporary.creds;
      assuming ??= assumeRole().finally(() => (assuming = undefined));
      return assuming;
    },
    async call(service, action, params, schema, opts = {}) {
      for (let attempt = 0; ; attempt++) {
        const creds = opts.base ? base : await session.readingCredentials();
        const budgetKey = `aws:${service}:${await session.accountId()}`;
        try {
          return await raw(service, action, params, schema, creds, budgetKey, opts.idempotent ?? true);
        } catch (e) {
          if (!(e instanceof AwsCallError)) throw e;
          // Temporary credentials AWS calls expired or unknown: assume the role again, once.
          const sessionProblem = SESSION_CODES.includes(e.code) || (e.code === 'InvalidClientTokenId' && creds.accessKeyId.startsWith('ASIA'));
          if (sessionProblem && !opts.base && roleArn && attempt === 0) {
            session.invalidate();
            continue;
          }
          if (opts.pass?.includes(e.code)) throw e;
          throw toCatalogue(e, errorContext(`${service}:${action}`, creds));
        }
      }
    },
  };

  async function assumeRole(): Promise<AwsCredentials> {
    if (auth.type !== 'assume_role') return base;
    const params = { RoleArn: auth.roleArn, RoleSessionName: auth.sessionName, ExternalId: auth.externalId, DurationSeconds: SESSION_SECONDS };
    try {
      const a = await raw('sts', 'AssumeRole', params, assumeSchema, base, stsBudget());
      const c = a.value.Credentials;
      const expiresMs = Date.parse(c.Expiration);
      if (Number.isNaN(expiresMs)) throw badResponse(`AssumeRole answered an Expiration that is not a date (${c.Expiration})`);
      const creds = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
      temporary = { creds, expiresMs };
      return creds;
    } catch (e) {
      if (!(e instanceof AwsCallError)) throw e;
      if (e.code === 'AccessDenied') throw await explainTrust(e);
      throw toCatalogue(e, errorContext('sts:AssumeRole', base));
    }
  }

  /**
   * AWS answers the same AccessDenied whether the trust policy misses the principal or the
   * external id differs. When the base key may read the role (iam:GetRole), its trust policy
   * tells which; otherwise the error names both possibilities.
   */
  async function explainTrust(e: AwsCallError): Promise<AppError> {
    if (auth.type !== 'assume_role') return toCatalogue(e, errorContext('sts:AssumeRole', base));
    const principal = /User: (arn:\S+) is not authorized/.exec(e.awsMessage)?.[1] ?? `the user of access key ${base.accessKeyId}`;
    const roleName = nameOfArn(auth.roleArn);
    const common = { roleArn: auth.roleArn, roleName, principal, externalId: auth.externalId ?? '(none configured)' };
    let document: unknown;
    try {
      const a = await raw('iam', 'GetRole', { RoleName: roleName }, roleSchema, base, `aws:iam:${accountOfArn(auth.roleArn) ?? 'unknown'}`);
      document = JSON.parse(decodeURIComponent(a.value.Role.AssumeRolePolicyDocument));
    } catch {
      return new AppError('aws.role_trust_denied', { ...common, detail: 'Syncwarden could not read the trust policy to tell which (iam:GetRole is not allowed).' }, { cause: e });
    }
    const statements = ((document as { Statement?: unknown }).Statement ?? []) as unknown[];
    const list = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);
    // The principal is trusted when named, through its own account's root (or the account id),
    // or by a wildcard ({"AWS":"*"} or "Principal":"*" — the usual third-party form, where the
    // sts:ExternalId condition is what keeps others out).
    const own = accountOfArn(principal) ?? accountOfArn(auth.roleArn);
    const naming = (Array.isArray(statements) ? statements : [statements]).filter((s): s is Record<string, unknown> => {
      if (!s || typeof s !== 'object') return false;
      const st = s as Record<string, unknown>;
      const aws = st['Principal'] === '*' ? ['*'] : list((st['Principal'] as Record<string, unknown> | undefined)?.['AWS']);
      return st['Effect'] === 'Allow' && list(st['Action']).some((x) => /^sts:(AssumeRole|\*)$|^\*$/i.test(x)) && aws.some((p) => p === '*' || p === principal || p === `arn:aws:iam::${own}:root` || p === own);
    });
    if (naming.length === 0) return new AppError('aws.role_trust_denied', { ...common, detail: `The trust policy does not name ${principal}.` }, { cause: e });
    // A statement with no external-id condition admits any external id; otherwise each names
    // the ids it accepts (StringEquals exactly, StringLike with * and ? wildcards).
    const given = auth.externalId ?? '';
    const admits = naming.some((st) => {
      const cond = (st['Condition'] ?? {}) as Record<string, Record<string, unknown> | undefined>;
      const equals = list(cond['StringEquals']?.['sts:ExternalId']);
      const like = list(cond['StringLike']?.['sts:ExternalId']);
      if (equals.length === 0 && like.length === 0) return true;
      return equals.includes(given) || like.some((p) => globMatch(p, given));
    });
    if (!admits) return new AppError('aws.external_id_mismatch', { roleArn: auth.roleArn, roleName, externalId: auth.externalId ?? '(none configured)' }, { cause: e });
    return new AppError('aws.role_trust_denied', { ...common, detail: `The trust policy names ${principal}; check that it has a policy allowing sts:AssumeRole on the role.` }, { cause: e });
  }

  return session;
}

/** IAM's StringLike: * any run of characters, ? one character, everything else literal. */
function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 's');
  return re.test(value);
}
