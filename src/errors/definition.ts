/** What a failure blocks: one item, one user's sync, or everything behind a connection. */
export type ErrorScope = 'item' | 'user' | 'connection' | 'request';

/**
 * When the engine may try again:
 * - `never`: a person must change something first (wrong secret, missing permission).
 * - `next_cycle`: do not retry now; the next scheduled cycle tries again.
 * - `backoff`: retry soon with exponential backoff (transient provider trouble).
 * - `retry_after`: retry after the provider's Retry-After (throttling).
 */
export type RetryRule = 'never' | 'next_cycle' | 'backoff' | 'retry_after';

/** The family of a failure; drives log level and run status. */
export type ErrorKind =
  | 'credential'
  | 'permission'
  | 'configuration'
  | 'throttle'
  | 'transient'
  | 'not_found'
  | 'item'
  | 'invalid_input'
  | 'internal';

export interface ErrorDefinition {
  readonly title: string;
  /** Why it happens, for an admin. May contain {param} placeholders. */
  readonly cause: string;
  /** What to do, for an admin. May contain {param} placeholders. */
  readonly resolution: string;
  /**
   * What to do when the error is printed by the `syncwarden` command, for the few errors whose
   * fix names a page or a menu of the UI (words that do not fit a terminal). Falls back to
   * `resolution`.
   */
  readonly cliResolution?: string;
  readonly scope: ErrorScope;
  readonly kind: ErrorKind;
  readonly retry: RetryRule;
  /** HTTP status when this error answers an API request. */
  readonly http: number;
  /** The help article the entry comes from, when it comes from one. */
  readonly source?: 'continuity-connection-issues' | 'continuity-sync-issues' | 'certification-center-directory-connections';
}
