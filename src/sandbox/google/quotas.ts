/**
 * Usage limits as Google enforces them, measured with the sandbox clock:
 * - Gmail: quota units per user per minute and per project per minute, and a per-user
 *   concurrency cap (developers.google.com/workspace/gmail/api/reference/quota);
 * - Directory: queries per minute per user per project and a concurrency cap, per customer
 *   (customer.ts DirectoryQuota; developers.google.com/admin-sdk/directory/v1/limits).
 * Windows slide over the last 60 s, so the time a caller must wait is exact: the moment
 * enough of the oldest spending leaves the window.
 */
export interface QuotaSettings {
  userUnitsPerMinute: number;
  projectUnitsPerMinute: number;
  userConcurrency: number;
  /** How long after creation a new user's Gmail answers "Mail service not enabled". */
  newUserMailDelayMs: number;
  /** How long a message added through the API stays invisible to searches (gmail-index.ts). */
  searchIndexLagMs: number;
}

export const WINDOW_MS = 60_000;

export interface SlidingWindows {
  /** Spends `units` under `limit` in the last minute; returns the epoch ms when it could succeed instead. */
  spend(key: string, units: number, limit: number, nowMs: number): { ok: true } | { ok: false; retryAtMs: number };
  reset(): void;
}

export function slidingWindows(): SlidingWindows {
  const log = new Map<string, { t: number; u: number }[]>();
  return {
    spend(key, units, limit, nowMs) {
      const entries = (log.get(key) ?? []).filter((e) => e.t > nowMs - WINDOW_MS);
      log.set(key, entries);
      const used = entries.reduce((s, e) => s + e.u, 0);
      if (used + units <= limit) {
        entries.push({ t: nowMs, u: units });
        return { ok: true };
      }
      // Free the oldest entries until the request fits; it fits then, 60 s after the last freed one.
      let freed = used;
      for (const e of entries) {
        freed -= e.u;
        if (freed + units <= limit) return { ok: false, retryAtMs: e.t + WINDOW_MS };
      }
      return { ok: false, retryAtMs: nowMs + WINDOW_MS };
    },
    reset() {
      log.clear();
    },
  };
}

export interface Concurrency {
  /** Takes a slot, or returns null when `limit` requests for the key are already in flight. */
  enter(key: string, limit: number): (() => void) | null;
}

export function concurrency(): Concurrency {
  const inFlight = new Map<string, number>();
  return {
    enter(key, limit) {
      const n = inFlight.get(key) ?? 0;
      if (n >= limit) return null;
      inFlight.set(key, n + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const left = (inFlight.get(key) ?? 1) - 1;
        if (left <= 0) inFlight.delete(key);
        else inFlight.set(key, left);
      };
    },
  };
}

/** Counters for benchmarks (GET /google/stats). */
export interface GoogleStats {
  requests: Record<string, number>;
  throttled: number;
  throttledByReason: Record<string, number>;
  unitsSpent: number;
  /** Messages imported successfully (messages.import answered 200). */
  imports: number;
}

export function newStats(): GoogleStats {
  return { requests: {}, throttled: 0, throttledByReason: {}, unitsSpent: 0, imports: 0 };
}
