import { AppError } from '../../errors/index.js';
import type { HttpResponse } from '../sdk/index.js';

/**
 * Reading Google's error bodies (providers.md §3.5): the legacy `errors[].reason` and the
 * AIP-193 `status` / `details[]` (ErrorInfo reason + metadata). Classification keys on
 * status, reason and ErrorInfo — never on the message alone.
 * https://cloud.google.com/apis/design/errors
 */
export const PROVIDER = 'Google Workspace';

export interface GoogleApiError {
  readonly httpStatus: number;
  readonly message: string;
  readonly status: string | null;
  readonly reasons: readonly string[];
  readonly errorInfo: { reason: string; domain: string; metadata: Record<string, string> } | null;
}

export function parseGoogleError(res: HttpResponse): GoogleApiError | null {
  const body = res.json() as { error?: unknown } | undefined;
  const e = body && typeof body === 'object' ? (body as { error?: unknown }).error : undefined;
  if (!e || typeof e !== 'object') return null;
  const err = e as { message?: unknown; status?: unknown; errors?: unknown; details?: unknown };
  const reasons = Array.isArray(err.errors) ? err.errors.map((x) => (x && typeof x === 'object' ? String((x as { reason?: unknown }).reason ?? '') : '')).filter(Boolean) : [];
  let errorInfo: GoogleApiError['errorInfo'] = null;
  if (Array.isArray(err.details)) {
    for (const d of err.details) {
      if (d && typeof d === 'object' && String((d as Record<string, unknown>)['@type']).endsWith('google.rpc.ErrorInfo')) {
        const di = d as { reason?: unknown; domain?: unknown; metadata?: unknown };
        const metadata: Record<string, string> = {};
        if (di.metadata && typeof di.metadata === 'object') for (const [k, v] of Object.entries(di.metadata)) metadata[k] = String(v);
        errorInfo = { reason: String(di.reason ?? ''), domain: String(di.domain ?? ''), metadata };
        break;
      }
    }
  }
  return { httpStatus: res.status, message: typeof err.message === 'string' ? err.message : '', status: typeof err.status === 'string' ? err.status : null, reasons, errorInfo };
}

const THROTTLE_REASONS = ['userRateLimitExceeded', 'rateLimitExceeded', 'quotaExceeded', 'userRateLimitExceededUnreg', 'rateLimitExceededUnreg'];

/**
 * Gmail and the Admin SDK throttle with 403 (userRateLimitExceeded, rateLimitExceeded,
 * quotaExceeded) as well as 429 (developers.google.com/workspace/gmail/api/guides/handle-errors).
 * The Directory answers 403 userRateLimitExceeded past its queries per minute per user and
 * 403 quotaExceeded past its concurrent-request limit, both without Retry-After
 * (developers.google.com/admin-sdk/directory/v1/limits). For the HTTP client, so it backs off in-line.
 */
export function isGoogleThrottle(res: HttpResponse): boolean {
  if (res.status === 429) return true;
  if (res.status !== 403) return false;
  const e = parseGoogleError(res);
  return !!e && (e.reasons.some((r) => THROTTLE_REASONS.includes(r)) || e.errorInfo?.reason === 'RATE_LIMIT_EXCEEDED' || e.status === 'RESOURCE_EXHAUSTED');
}

/** Which Directory limit a throttled response names, for the admin: the per-minute one or the concurrency one. */
export function directoryLimitOf(res: HttpResponse): 'queries per minute per user' | 'concurrent requests' {
  return parseGoogleError(res)?.reasons.includes('quotaExceeded') ? 'concurrent requests' : 'queries per minute per user';
}

/**
 * How long Google asked us to wait: Retry-After when sent, else the time in Gmail's
 * "User-rate limit exceeded.  Retry after <RFC 3339>" message, which is the only place the
 * mailbox-level limit states it.
 */
export function retryAfterMsOf(res: HttpResponse, nowMs: number): number | undefined {
  const h = res.headers.get('retry-after');
  if (h) {
    if (/^\d+(\.\d+)?$/.test(h.trim())) return Math.ceil(Number(h) * 1000);
    const d = Date.parse(h);
    if (!Number.isNaN(d)) return Math.max(0, d - nowMs);
  }
  const m = /Retry after (\d{4}-\d{2}-\d{2}T[0-9:.]+Z)/.exec(parseGoogleError(res)?.message ?? '');
  if (m) return Math.max(0, Date.parse(m[1]!) - nowMs);
  return undefined;
}

/** The API is disabled in the consumer project (errors[] accessNotConfigured / ErrorInfo SERVICE_DISABLED). */
export function apiDisabledError(e: GoogleApiError, fallbackApi: string): AppError | null {
  if (e.errorInfo?.reason !== 'SERVICE_DISABLED' && !e.reasons.includes('accessNotConfigured')) return null;
  const md = e.errorInfo?.metadata ?? {};
  return new AppError('google.api_disabled', { api: md['serviceTitle'] ?? md['service'] ?? fallbackApi, project: md['consumer'] ?? md['containerInfo'] ?? 'the service account\'s project' });
}

/**
 * What every Google API call shares: throttling, API disabled, rejected token, outages and
 * unreadable bodies. Returns null when the method's own classifier must decide.
 */
export function commonError(res: HttpResponse, api: string, nowMs: number): AppError | null {
  if (res.status >= 500) return new AppError('provider.unavailable', { provider: PROVIDER, status: `HTTP ${res.status}` });
  const e = parseGoogleError(res);
  if (!e) return new AppError('provider.bad_response', { provider: PROVIDER, detail: `HTTP ${res.status} with a body that is not a Google error` });
  if (isGoogleThrottle(res)) return new AppError('sync.rate_limited', { provider: PROVIDER }, { retryAfterMs: retryAfterMsOf(res, nowMs) });
  const disabled = apiDisabledError(e, api);
  if (disabled) return disabled;
  if (res.status === 401) return new AppError('provider.unauthenticated', { provider: PROVIDER });
  return null;
}

export function badResponse(detail: string): AppError {
  return new AppError('provider.bad_response', { provider: PROVIDER, detail });
}

export function describe(e: GoogleApiError | null, res: HttpResponse): string {
  if (!e) return `HTTP ${res.status}`;
  return `${e.message || `HTTP ${res.status}`}${e.reasons[0] ? ` (${e.reasons[0]})` : ''}`;
}
