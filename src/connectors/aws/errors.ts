import { z } from 'zod';
import { AppError } from '../../errors/index.js';
import type { HttpResponse } from '../sdk/index.js';
import { parseXml, PROVIDER } from './xml.js';

/**
 * AWS's query-protocol error body (providers.md §4.4):
 * `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`.
 * Classification keys on the code (and, for SignatureDoesNotMatch, on whether the message
 * is about time), never on the message alone.
 */
export class AwsCallError extends Error {
  override readonly name = 'AwsCallError';
  constructor(readonly action: string, readonly status: number, readonly code: string, readonly awsMessage: string) {
    super(`${action}: ${code}: ${awsMessage}`);
  }
}

const errorSchema = z.object({
  ErrorResponse: z.object({ Error: z.object({ Code: z.string(), Message: z.string().optional(), Type: z.string().optional() }) }),
});

export function parseAwsError(action: string, res: HttpResponse): AwsCallError | AppError {
  if (res.status >= 500 && !res.text().includes('<ErrorResponse')) return new AppError('provider.unavailable', { provider: PROVIDER, status: `HTTP ${res.status}` });
  let doc: unknown;
  try {
    doc = parseXml(res.body, action);
  } catch (e) {
    return e as AppError;
  }
  const r = errorSchema.safeParse(doc);
  if (!r.success) return new AppError('provider.bad_response', { provider: PROVIDER, detail: `${action} answered HTTP ${res.status} without an AWS ErrorResponse` });
  return new AwsCallError(action, res.status, r.data.ErrorResponse.Error.Code, r.data.ErrorResponse.Error.Message ?? '');
}

const THROTTLE_CODES = ['Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException', 'RequestThrottled'];

/**
 * IAM and STS throttle with HTTP 400 and code Throttling ("Rate exceeded"), not 429; for the
 * shared HTTP client, so it backs off in-line on the account's budget.
 */
export function isAwsThrottle(res: HttpResponse): boolean {
  if (res.status !== 400 && res.status !== 429 && res.status !== 503) return false;
  if (res.body.length > 64 * 1024) return false;
  const m = /<Code>\s*([A-Za-z]+)\s*<\/Code>/.exec(res.text());
  return !!m && THROTTLE_CODES.includes(m[1]!);
}

export const SESSION_CODES = ['ExpiredToken', 'ExpiredTokenException', 'RequestExpired'];

/** Who the caller is, for messages: the ARN AWS names in an AccessDenied, else what we know. */
export function principalOf(e: AwsCallError, fallback: string): string {
  return /User: (arn:\S+) is not authorized/.exec(e.awsMessage)?.[1] ?? fallback;
}

/** The IAM console path of a principal's page: Users > name, or Roles > name. */
export function principalPath(arn: string): string {
  const m = /:(user|role|assumed-role)\/(?:.*\/)?([^/]+?)(?:\/[^/]+)?$/.exec(arn);
  if (!m) return `Users > ${arn}`;
  if (m[1] === 'user') return `Users > ${arn.slice(arn.lastIndexOf('/') + 1)}`;
  const role = m[1] === 'assumed-role' ? arn.split('/')[1]! : arn.slice(arn.lastIndexOf('/') + 1);
  return `Roles > ${role}`;
}

export interface ErrorContext {
  /** 'iam:ListUsers' etc. */
  readonly permission: string;
  readonly accessKeyId: string;
  readonly userName: string;
  readonly principal: string;
  readonly roleArn: string | null;
}

/** An AWS error as a catalogue error. */
export function toCatalogue(e: AwsCallError, c: ErrorContext): AppError {
  const code = e.code;
  if (THROTTLE_CODES.includes(code)) return new AppError('aws.throttled', { service: c.permission.startsWith('sts:') ? 'STS' : 'IAM' }, { cause: e });
  if (code === 'InvalidClientTokenId' || code === 'UnrecognizedClientException') {
    if (c.accessKeyId.startsWith('ASIA')) return new AppError('aws.session_expired', { roleArn: c.roleArn ?? 'the role' }, { cause: e });
    return new AppError('aws.access_key_invalid', { accessKeyId: c.accessKeyId, userName: c.userName }, { cause: e });
  }
  if (code === 'SignatureDoesNotMatch') {
    if (/^Signature (expired|not yet current)/.test(e.awsMessage)) return new AppError('aws.clock_skew', { detail: `AWS refused the request: ${e.awsMessage}` }, { cause: e });
    return new AppError('aws.secret_key_wrong', { accessKeyId: c.accessKeyId, userName: c.userName }, { cause: e });
  }
  if (SESSION_CODES.includes(code)) return new AppError('aws.session_expired', { roleArn: c.roleArn ?? 'the role' }, { cause: e });
  if (code === 'AccessDenied' || code === 'AccessDeniedException') {
    const principal = principalOf(e, c.principal);
    return new AppError('aws.action_denied', { action: c.permission, principal, principalPath: principalPath(principal) }, { cause: e });
  }
  if (e.status >= 500 || code === 'ServiceFailure' || code === 'ServiceUnavailable' || code === 'InternalFailure') {
    return new AppError('provider.unavailable', { provider: PROVIDER, status: `${code} (HTTP ${e.status})` }, { cause: e });
  }
  return new AppError('aws.request_rejected', { action: c.permission, awsCode: code, awsMessage: e.awsMessage.slice(0, 300) }, { cause: e });
}
