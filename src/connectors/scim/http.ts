import type { z } from 'zod';
import { AppError, isAppError } from '../../errors/index.js';
import { parseRetryAfter, type ConnectorContext, type HttpResponse, type RateCost } from '../sdk/index.js';
import type { ScimConfig } from './config.js';
import { ERROR_SCHEMA, scimError, type ScimErrorBody } from './wire.js';

/**
 * One SCIM request through `ctx.http`, and what its answers mean. Every request spends the
 * budget of its base URL, so connections to the same app share one pace; 429 + Retry-After
 * is honoured by the client (in-line for short waits) and surfaces as scim.throttled.
 */
export const PROVIDER = 'SCIM app';

export interface ScimDeps {
  readonly ctx: ConnectorContext;
  readonly config: ScimConfig;
  readonly budgets: readonly RateCost[];
}

export function scimDeps(ctx: ConnectorContext, config: ScimConfig): ScimDeps {
  return { ctx, config, budgets: [{ key: `scim:${config.baseUrl.toLowerCase()}`, cost: 1 }] };
}

export interface CallOptions {
  readonly query?: Readonly<Record<string, string | number>>;
  readonly body?: unknown;
  readonly idempotent?: boolean;
}

export async function scimCall(deps: ScimDeps, method: 'GET' | 'POST' | 'PATCH', path: string, opts: CallOptions = {}): Promise<HttpResponse> {
  const q = opts.query ? new URLSearchParams(Object.entries(opts.query).map(([k, v]): [string, string] => [k, String(v)])).toString() : '';
  try {
    return await deps.ctx.http.request({
      method,
      url: `${deps.config.baseUrl}${path}${q ? `?${q}` : ''}`,
      headers: {
        authorization: `Bearer ${deps.config.token}`,
        accept: 'application/scim+json, application/json;q=0.9',
        ...(opts.body !== undefined ? { 'content-type': 'application/scim+json' } : {}),
      },
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      budgets: deps.budgets,
      ...(opts.idempotent !== undefined ? { idempotent: opts.idempotent } : {}),
    });
  } catch (e) {
    // No answer at all (refused, DNS, timeout): the base URL or the network.
    if (isAppError(e) && e.code === 'provider.unavailable') throw new AppError('scim.unreachable', { baseUrl: deps.config.baseUrl, status: String(e.params['status'] ?? 'no answer') }, { cause: e });
    throw e;
  }
}

/** An HTML answer (a sign-in page, a web server's 404): the URL is not a SCIM endpoint. */
export function looksHtml(res: HttpResponse): boolean {
  const type = res.headers.get('content-type') ?? '';
  if (/html/i.test(type)) return true;
  const head = res.body.subarray(0, 256).toString('utf8').trimStart().toLowerCase();
  return head.startsWith('<!doctype html') || head.startsWith('<html');
}

/** The RFC 7644 §3.12 error body, or null when the answer is not one (a web server's JSON 404, say). */
export function parseScimError(res: HttpResponse): ScimErrorBody | null {
  const r = scimError.safeParse(res.json());
  if (!r.success) return null;
  return r.data.schemas?.includes(ERROR_SCHEMA) || (r.data.status !== null && r.data.status !== undefined) ? r.data : null;
}

export function notScim(deps: ScimDeps, res: HttpResponse, where: string): AppError {
  return new AppError('scim.not_scim', { baseUrl: deps.config.baseUrl, what: `${looksHtml(res) ? 'an HTML page' : 'something else'} (HTTP ${res.status} for ${where})` });
}

export function badResponse(detail: string): AppError {
  return new AppError('provider.bad_response', { provider: PROVIDER, detail: detail.slice(0, 300) });
}

/** The token was refused: expired (by the date on the connection, or as the server says) or not valid. */
export function tokenError(deps: ScimDeps, res: HttpResponse): AppError {
  const exp = deps.config.tokenExpiresAt;
  const expiredByDate = exp !== undefined && Date.parse(exp) <= deps.ctx.now().getTime();
  // RFC 6750 §3 gives no code for expiry; servers say it in error_description or the SCIM detail.
  const says = `${res.headers.get('www-authenticate') ?? ''} ${parseScimError(res)?.detail ?? ''}`;
  if (expiredByDate || /expired/i.test(says)) {
    return new AppError('scim.token_expired', { baseUrl: deps.config.baseUrl, expiredAt: exp ? ` on ${exp.slice(0, 10)}` : '' });
  }
  return new AppError('scim.token_invalid', { baseUrl: deps.config.baseUrl });
}

/**
 * What a non-success answer means for a read of `what` ('users', 'groups', …). Callers
 * handle the statuses that mean something particular to them (404 of one group, 501 PATCH)
 * before calling this.
 */
export function failure(deps: ScimDeps, res: HttpResponse, what: string, where: string): AppError {
  if (looksHtml(res)) return notScim(deps, res, where);
  const baseUrl = deps.config.baseUrl;
  if (res.status === 401) return tokenError(deps, res);
  if (res.status === 403) return new AppError('scim.forbidden', { baseUrl, what });
  if (res.status === 429) return new AppError('scim.throttled', { baseUrl }, { retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), deps.ctx.now().getTime()) });
  if (res.status >= 500) return new AppError('scim.unreachable', { baseUrl, status: `HTTP ${res.status}${detailOf(res)}` });
  // A list endpoint that does not exist: the base URL is wrong.
  if (res.status === 404 && !parseScimError(res)) return notScim(deps, res, where);
  return badResponse(`${where} answered HTTP ${res.status}${detailOf(res)}`);
}

function detailOf(res: HttpResponse): string {
  const e = parseScimError(res);
  if (!e?.detail) return '';
  return ` (${e.scimType ? `${e.scimType}: ` : ''}${e.detail.slice(0, 200)})`;
}

/** Parses a success body with `schema`; HTML → scim.not_scim, anything malformed → provider.bad_response. */
export function parseBody<S extends z.ZodType>(deps: ScimDeps, res: HttpResponse, schema: S, where: string): z.output<S> {
  if (looksHtml(res)) throw notScim(deps, res, where);
  const json = res.json();
  if (json === undefined) throw badResponse(`${where} answered a body that is not JSON`);
  const r = schema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw badResponse(`${where} answered JSON that is not what SCIM defines (${issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'invalid'})`);
  }
  return r.data;
}
