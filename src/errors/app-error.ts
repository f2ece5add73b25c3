import { catalogue, isErrorCode, type ErrorCode } from './catalogue.js';
import { scrubText } from './scrub.js';

/** Values substituted into a catalogue entry's {placeholders}. Never put a secret here. */
export type ErrorParams = Readonly<Record<string, string | number | boolean | null | undefined>>;

/**
 * The one error type that crosses module boundaries. It carries a catalogue code and the
 * params to render it; the message is derived, never parsed.
 */
export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: ErrorCode;
  readonly params: ErrorParams;
  /** Milliseconds the provider asked us to wait (Retry-After), when it did. */
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, params: ErrorParams = {}, options: { cause?: unknown; retryAfterMs?: number } = {}) {
    // Params often carry provider text (an error body, a status line): scrubbed here, where
    // every error is made, so no stored or shown copy can carry a secret the provider echoed.
    super(renderText(catalogue[code].cause, scrubParams(params)), options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.params = scrubParams(params);
    this.retryAfterMs = options.retryAfterMs;
  }

  toJSON(): StoredError {
    return { code: this.code, params: this.params };
  }
}

function scrubParams(params: ErrorParams): ErrorParams {
  const out: Record<string, string | number | boolean | null | undefined> = {};
  for (const [k, v] of Object.entries(params)) out[k] = typeof v === 'string' ? scrubText(v) : v;
  return out;
}

/** What we persist: code + params, rendered late. */
export interface StoredError {
  code: ErrorCode;
  params: ErrorParams;
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

/**
 * PostgreSQL ends one of two transactions that wait for each other's row locks with
 * "deadlock detected" (SQLSTATE 40P01), and a serializable one that lost a race with 40001;
 * nothing of the ended transaction is kept, and running it again is the documented answer.
 */
const CONFLICT_SQLSTATES = new Set(['40P01', '40001']);

export function isDatabaseConflict(e: unknown): boolean {
  return typeof e === 'object' && e !== null && CONFLICT_SQLSTATES.has(String((e as { code?: unknown }).code));
}

/** Wraps anything thrown into an AppError so no failure is ever dropped unclassified. */
export function toAppError(e: unknown): AppError {
  if (e instanceof AppError) return e;
  if (isDatabaseConflict(e)) return new AppError('store.conflict', { detail: e instanceof Error ? e.message.slice(0, 200) : 'conflict' }, { cause: e });
  const detail = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return new AppError('internal.unexpected', { detail: detail.slice(0, 500) }, { cause: e });
}

export function renderText(template: string, params: ErrorParams): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => {
    const v = params[key];
    return v === undefined || v === null ? whole.replace(/[{}]/g, '') : String(v);
  });
}

/** Parses a stored error (from the database) back; unknown codes become internal.unexpected. */
export function parseStoredError(raw: unknown): StoredError | null {
  if (raw === null || raw === undefined) return null;
  const value = typeof raw === 'string' ? safeJson(raw) : raw;
  if (typeof value !== 'object' || value === null) return null;
  const { code, params } = value as { code?: unknown; params?: unknown };
  if (typeof code !== 'string') return null;
  const safeParams = (typeof params === 'object' && params !== null ? params : {}) as ErrorParams;
  if (!isErrorCode(code)) return { code: 'internal.unexpected', params: { detail: `unknown error code ${code}` } };
  // Rows written before the scrubber existed (or by an older version) are scrubbed as they are read.
  return { code, params: scrubParams(safeParams) };
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return null;
  }
}
