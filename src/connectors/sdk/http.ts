import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { refusedAddress } from '../../model/url-policy.js';
import { AppError } from '../../errors/index.js';
import { fullJitter } from '../../errors/policy.js';

/**
 * The one HTTP client every connector uses. It owns what is the same across providers:
 * timeouts, rate budgets (through a RateGate), Retry-After, exponential backoff with jitter
 * for throttling and transient failures, and turning network failures into catalogue errors.
 * What a given status *means* is the connector's business (its classify function).
 */
export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
  readonly timeoutMs?: number;
  /** Rate budgets this request spends, e.g. [{ key: 'gmail:user:a@b', cost: 25 }]. */
  readonly budgets?: readonly RateCost[];
  /**
   * Safe to send again after a network failure or a 5xx (the provider may have acted).
   * Defaults to true for GET/PUT/DELETE, false for POST/PATCH. A 429 is always retried:
   * the provider did not act on a throttled request.
   */
  readonly idempotent?: boolean;
  /** Largest body read for this request (a whole message's MIME may exceed a page's cap). */
  readonly maxResponseBytes?: number;
}

export interface RateCost {
  readonly key: string;
  readonly cost: number;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Buffer;
  text(): string;
  /** Parsed JSON, or undefined when the body is not JSON (a hostile or broken response). */
  json(): unknown;
}

/** Spends rate budgets before a request; shared across workers when backed by the database. */
export interface RateGate {
  /** Waits until the budgets allow the request and spends them (may throw a throttle error). */
  acquire(costs: readonly RateCost[]): Promise<void>;
  /** The request that acquired these budgets finished (frees concurrency slots). */
  release?(costs: readonly RateCost[]): void;
  /** The provider throttled us on these budgets until `untilMs` (epoch ms). */
  penalize(costs: readonly RateCost[], untilMs: number): void;
}

export const unlimitedGate: RateGate = {
  async acquire() {},
  penalize() {},
};

export interface HttpStats {
  requests: number;
  throttled: number;
  retries: number;
}

export interface HttpClient {
  request(req: HttpRequest): Promise<HttpResponse>;
  readonly stats: HttpStats;
}

export interface HttpClientOptions {
  /** Provider name for error messages, e.g. 'Microsoft Graph'. */
  readonly provider: string;
  readonly gate?: RateGate;
  readonly maxRetries?: number;
  readonly timeoutMs?: number;
  /** Longest Retry-After we wait in-line before surfacing the throttle to the engine. */
  readonly maxInlineWaitMs?: number;
  /**
   * Provider-specific throttling signals beyond 429/503/504 (e.g. Gmail's 403
   * userRateLimitExceeded). Return true when the response is a throttle.
   */
  readonly isThrottle?: (res: HttpResponse) => boolean;
  readonly fetch?: typeof fetch;
  /**
   * Largest response body read, counted while it streams (a hostile or broken provider can
   * send gigabytes; reading it whole once took a server from 286 MB to 1.6 GB). Default 50 MB,
   * far above any page of a listing.
   */
  readonly maxResponseBytes?: number;
  /**
   * Time one request may take in all, tries and waits included, so a silent endpoint frees
   * the worker slot (5 tries × 60 s was ~305 s). Default 120 s.
   */
  readonly budgetMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  /** Resolves a host name to its addresses (default: the system resolver), checked before each request. */
  readonly lookup?: (host: string) => Promise<string[]>;
}

const systemLookup = async (host: string): Promise<string[]> => (await dnsLookup(host, { all: true })).map((a) => a.address);
/** How long a host's checked addresses are trusted (a DNS answer is cached about as long). */
const ADDRESS_CHECK_TTL_MS = 60_000;

export function createHttpClient(opts: HttpClientOptions): HttpClient {
  const gate = opts.gate ?? unlimitedGate;
  const maxRetries = opts.maxRetries ?? 4;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const maxInlineWaitMs = opts.maxInlineWaitMs ?? 30_000;
  const doFetch = opts.fetch ?? fetch;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = opts.random ?? Math.random;
  const maxResponseBytes = opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const budgetMs = opts.budgetMs ?? DEFAULT_BUDGET_MS;
  const stats: HttpStats = { requests: 0, throttled: 0, retries: 0 };
  const lookup = opts.lookup ?? systemLookup;
  const checkedHosts = new Map<string, number>();

  /**
   * The URL policy checked the host as written when it was saved; here what the name resolves
   * to is checked, so a DNS record pointing at 169.254.169.254 gets no credential. (A name
   * that fails to resolve is left to fetch, which reports it as the network error it is.)
   */
  async function checkAddress(rawUrl: string): Promise<void> {
    const host = new URL(rawUrl).hostname.replace(/^\[|\]$/g, '').toLowerCase();
    const seen = checkedHosts.get(host);
    if (seen !== undefined && Date.now() - seen < ADDRESS_CHECK_TTL_MS) return;
    const addresses = isIP(host) !== 0 ? [host] : host === 'localhost' || host.endsWith('.localhost') ? [] : await lookup(host).catch(() => []);
    for (const address of addresses) {
      const why = refusedAddress(address);
      if (why) throw new AppError('provider.address_refused', { provider: opts.provider, host, address, why });
    }
    checkedHosts.set(host, Date.now());
  }

  async function once(req: HttpRequest, remainingMs: number): Promise<HttpResponse> {
    const budgets = req.budgets?.length ? req.budgets : undefined;
    await checkAddress(req.url);
    if (budgets) await gate.acquire(budgets);
    try {
      stats.requests += 1;
      // The signal covers the body too: a body that trickles in ends with the attempt.
      const res = await doFetch(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body,
        signal: AbortSignal.timeout(Math.max(1, Math.min(req.timeoutMs ?? timeoutMs, remainingMs))),
        redirect: 'manual',
      });
      const body = await readCapped(res, req.maxResponseBytes ?? maxResponseBytes, opts.provider, `${req.method} ${redactUrl(req.url).split('?')[0]}`);
      return toResponse(res.status, res.headers, body);
    } finally {
      if (budgets) gate.release?.(budgets);
    }
  }

  async function request(req: HttpRequest): Promise<HttpResponse> {
    const idempotent = req.idempotent ?? (req.method === 'GET' || req.method === 'PUT' || req.method === 'DELETE');
    const deadline = Date.now() + budgetMs;
    const overBudget = (e?: unknown) =>
      new AppError('provider.time_budget_exceeded', { provider: opts.provider, what: `${req.method} ${redactUrl(req.url).split('?')[0]}`, seconds: Math.round(budgetMs / 1000) }, e === undefined ? {} : { cause: e });
    let attempt = 0;
    for (;;) {
      let res: HttpResponse;
      try {
        if (deadline - Date.now() <= 0) throw overBudget();
        res = await once(req, deadline - Date.now());
      } catch (e) {
        if (e instanceof AppError) throw e;
        // The attempt was cut short by what was left of the request's budget.
        if (deadline - Date.now() <= 0) throw overBudget(e);
        if (idempotent && attempt < maxRetries) {
          attempt += 1;
          stats.retries += 1;
          const wait = fullJitter(attempt, 250, 10_000, random);
          if (wait >= deadline - Date.now()) throw overBudget(e);
          await sleep(wait);
          continue;
        }
        throw new AppError(
          'provider.unavailable',
          { provider: opts.provider, status: describeNetworkError(e) },
          { cause: e },
        );
      }
      const throttled = res.status === 429 || (opts.isThrottle?.(res) ?? false);
      const transient = res.status === 503 || res.status === 504 || (res.status >= 500 && idempotent);
      if (!throttled && !transient) return res;
      if (throttled) stats.throttled += 1;
      const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), Date.now());
      if (throttled && retryAfterMs !== undefined && req.budgets?.length) {
        gate.penalize(req.budgets, Date.now() + retryAfterMs);
      }
      const canRetry = attempt < maxRetries && (throttled || idempotent);
      const delay = retryAfterMs ?? fullJitter(attempt + 1, 500, 20_000, random);
      // A wait the budget cannot cover surfaces the answer as it is (the engine reschedules).
      if (!canRetry || delay > maxInlineWaitMs || delay >= deadline - Date.now()) return res;
      attempt += 1;
      stats.retries += 1;
      await sleep(delay);
    }
  }

  return { request, stats };
}

export const DEFAULT_MAX_RESPONSE_BYTES = 50 * 1024 * 1024;
export const DEFAULT_BUDGET_MS = 120_000;

/**
 * Reads a body, counting bytes as they arrive and stopping (cancelling the stream) at the cap:
 * an oversized body is never held, whatever its Content-Length says (it may say nothing).
 */
async function readCapped(res: Response, limit: number, provider: string, what: string): Promise<Buffer> {
  const tooLarge = () => new AppError('provider.response_too_large', { provider, what, limit: `${Math.round(limit / 1024 / 1024)} MB` });
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    await res.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (!res.body) return Buffer.alloc(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

function toResponse(status: number, headers: Headers, body: Buffer): HttpResponse {
  let parsed: unknown;
  let parsedOnce = false;
  return {
    status,
    headers,
    body,
    text: () => body.toString('utf8'),
    json: () => {
      if (!parsedOnce) {
        parsedOnce = true;
        try {
          parsed = JSON.parse(body.toString('utf8'));
        } catch {
          parsed = undefined;
        }
      }
      return parsed;
    },
  };
}

/**
 * Retry-After is either delta-seconds (Graph sends fractional ones, e.g. "2.128") or an
 * HTTP-date (RFC 9110 §10.2.3). Returns milliseconds, or undefined when absent or garbage.
 */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.ceil(Number(v) * 1000);
  const date = Date.parse(v);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

function describeNetworkError(e: unknown): string {
  if (e instanceof Error) {
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'no answer (timeout)';
    const cause = (e as { cause?: { code?: string } }).cause;
    if (cause?.code) return `a network error (${cause.code})`;
    return `a network error (${e.message})`;
  }
  return 'a network error';
}

/** Redacts secrets from a URL before it is logged or stored. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    for (const k of [...u.searchParams.keys()]) {
      if (/token|secret|assertion|password|key|sig/i.test(k)) u.searchParams.set(k, '[redacted]');
    }
    return u.toString();
  } catch {
    return '[unparseable url]';
  }
}
