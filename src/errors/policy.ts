import { catalogue, type ErrorCode, type ErrorKind, type RetryRule } from './catalogue.js';

/** Log level of a failure, by kind. Exhaustive: a new kind must choose. */
export function logLevelOf(code: ErrorCode): 'warn' | 'error' {
  const kind: ErrorKind = catalogue[code].kind;
  switch (kind) {
    case 'throttle':
    case 'transient':
    case 'item':
    case 'not_found':
    case 'invalid_input':
      return 'warn';
    case 'credential':
    case 'permission':
    case 'configuration':
    case 'internal':
      return 'error';
  }
}

/** Audit severity of a failure. */
export function severityOf(code: ErrorCode): 'warning' | 'error' {
  return logLevelOf(code) === 'warn' ? 'warning' : 'error';
}

export type RetryDecision =
  | { retry: false }
  | { retry: true; delayMs: number };

/**
 * The retry policy, as a pure function: given the code, how many attempts were made and the
 * provider's Retry-After, decide whether and when to retry within the current cycle.
 * `random` is injected so tests are deterministic.
 */
export function retryDecision(
  code: ErrorCode,
  attempt: number,
  retryAfterMs: number | undefined,
  opts: { maxAttempts?: number; baseMs?: number; capMs?: number; random?: () => number } = {},
): RetryDecision {
  const maxAttempts = opts.maxAttempts ?? 6;
  const baseMs = opts.baseMs ?? 500;
  const capMs = opts.capMs ?? 60_000;
  const random = opts.random ?? Math.random;
  if (attempt >= maxAttempts) return { retry: false };
  const rule: RetryRule = catalogue[code].retry;
  switch (rule) {
    case 'never':
    case 'next_cycle':
      return { retry: false };
    case 'retry_after':
      if (retryAfterMs !== undefined) return { retry: true, delayMs: Math.min(retryAfterMs, capMs * 5) };
      return { retry: true, delayMs: fullJitter(attempt, baseMs, capMs, random) };
    case 'backoff':
      return { retry: true, delayMs: fullJitter(attempt, baseMs, capMs, random) };
  }
}

/** "Full jitter" exponential backoff (AWS Architecture Blog, Exponential Backoff And Jitter). */
export function fullJitter(attempt: number, baseMs: number, capMs: number, random: () => number): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}
