import { z } from 'zod';
import { AppError } from '../../errors/index.js';
import type { HttpClient, HttpResponse, RateCost } from '../sdk/index.js';
import { DEFAULT_GRAPH, type MicrosoftConnectorConfig } from './config.js';
import type { TokenSource } from './token.js';

/**
 * Calls Microsoft Graph and classifies its answers by status and `error.code` (never the
 * message): https://learn.microsoft.com/graph/errors. `permission` names the application
 * permission a call needs, so a 403 becomes "add permission X" rather than a shrug.
 */
const graphErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string().optional() }) });

export interface GraphCall {
  /** Path under /v1.0 (e.g. '/users'), or an absolute nextLink/deltaLink to follow as is. */
  readonly path: string;
  readonly permission: string;
  readonly headers?: Record<string, string>;
  readonly budgets?: readonly RateCost[];
  /** 404 is an answer (null) rather than an error. */
  readonly notFoundIsNull?: boolean;
  /** Which catalogue a throttle or an expired delta maps to: mail (continuity, default) or directory (inventory). */
  readonly area?: 'mail' | 'directory';
  readonly method?: 'GET' | 'POST' | 'DELETE';
  readonly body?: string;
  /** Statuses returned to the caller as answers instead of being classified as errors. */
  readonly accept?: readonly number[];
  /** Largest body read (a message's MIME may exceed a listing page's cap). */
  readonly maxResponseBytes?: number;
}

export interface GraphClient {
  get(call: GraphCall): Promise<HttpResponse | null>;
  getJson<T>(call: GraphCall, schema: z.ZodType<T>): Promise<T | null>;
  base: string;
}

export function createGraphClient(http: HttpClient, config: MicrosoftConnectorConfig, tokens: TokenSource): GraphClient {
  const base = `${config.endpoints?.graph ?? DEFAULT_GRAPH}/v1.0`;

  async function get(call: GraphCall): Promise<HttpResponse | null> {
    const url = /^https?:\/\//.test(call.path) ? call.path : base + call.path;
    for (let attempt = 0; ; attempt++) {
      const token = await tokens.get();
      const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...(call.body !== undefined ? { 'content-type': 'application/json' } : {}), ...call.headers };
      const res = await http.request({ method: call.method ?? 'GET', url, headers, body: call.body, budgets: call.budgets, ...(call.maxResponseBytes ? { maxResponseBytes: call.maxResponseBytes } : {}) });
      if ((res.status >= 200 && res.status < 300) || call.accept?.includes(res.status)) return res;
      const code = graphErrorBody.safeParse(res.json()).data?.error.code ?? '';
      if (res.status === 401 && attempt === 0) {
        // A token revoked or rotated under us: get a fresh one once.
        tokens.invalidate();
        continue;
      }
      throw classify(res, code, call);
    }
  }

  function classify(res: HttpResponse, code: string, call: GraphCall): AppError | never {
    const retryAfter = res.headers.get('retry-after');
    switch (true) {
      case res.status === 401:
        return new AppError('provider.unauthenticated', { provider: 'Microsoft Graph' });
      case res.status === 403 && (code === 'Authorization_RequestDenied' || code === 'ErrorAccessDenied' || code === 'AccessDenied'):
        return new AppError('m365.permission_missing', { permission: call.permission });
      case code === 'MailboxNotEnabledForRESTAPI' || code === 'ErrorMailboxNotEnabledForRESTAPI':
        return new AppError('m365.mailbox_not_enabled');
      case res.status === 410 || code === 'SyncStateNotFound' || code === 'syncStateNotFound' || code === 'resyncRequired' || code === 'SyncStateInvalid':
        return call.area === 'directory' ? new AppError('directory.delta_expired', { what: 'the Entra ID directory' }) : new AppError('sync.delta_expired', { what: 'a mail folder' });
      case res.status === 429: {
        const retryAfterMs = retryAfter ? Math.ceil(Number(retryAfter) * 1000) || undefined : undefined;
        return call.area === 'directory'
          ? new AppError('directory.rate_limited', { provider: 'Microsoft Graph' }, { retryAfterMs })
          : new AppError('sync.rate_limited', { provider: 'Microsoft 365' }, { retryAfterMs });
      }
      case res.status === 404:
        return new AppError(call.notFoundIsNull ? 'request.not_found' : 'provider.bad_response', { provider: 'Microsoft Graph', entity: 'object', id: call.path, detail: `404 ${code}` });
      case res.status >= 500:
        return new AppError('provider.unavailable', { provider: 'Microsoft Graph', status: res.status });
      default:
        return new AppError('provider.bad_response', { provider: 'Microsoft Graph', detail: `HTTP ${res.status} ${code}`.trim() });
    }
  }

  return {
    base,
    get,
    async getJson(call, schema) {
      let res: HttpResponse | null;
      try {
        res = await get(call);
      } catch (e) {
        if (call.notFoundIsNull && e instanceof AppError && e.code === 'request.not_found') return null;
        throw e;
      }
      if (!res) return null;
      const parsed = schema.safeParse(res.json());
      if (!parsed.success) {
        throw new AppError('provider.bad_response', { provider: 'Microsoft Graph', detail: `unexpected response shape (${parsed.error.issues[0]?.path.join('.') ?? ''}: ${parsed.error.issues[0]?.message ?? ''})` });
      }
      return parsed.data;
    },
  };
}
