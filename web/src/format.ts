/** "3 minutes ago", "in 12 minutes", "just now" — relative to `now`. */
export function relativeTime(iso: string | null, now: number = Date.now()): string {
  if (!iso) return 'never';
  const diff = Date.parse(iso) - now;
  const abs = Math.abs(diff);
  if (abs < 45_000) return 'just now';
  const units: [number, string][] = [[86_400_000, 'day'], [3_600_000, 'hour'], [60_000, 'minute']];
  for (const [ms, name] of units) {
    if (abs >= ms) {
      const n = Math.round(abs / ms);
      const label = `${n} ${name}${n === 1 ? '' : 's'}`;
      return diff < 0 ? `${label} ago` : `in ${label}`;
    }
  }
  return 'just now';
}

/**
 * A moment as the whole product writes it: date and minute with the time zone named,
 * "2026-12-06 17:01 UTC" — the server's messages use the same convention (src/model/time.ts),
 * so one screen never mixes local time, "17:01 UTC" and ISO.
 */
export function formatTime(iso: string | null | undefined, none = 'never'): string {
  if (!iso) return none;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** Whole days from now until `iso` (negative when past). */
export function daysUntil(iso: string, now: number = Date.now()): number {
  return Math.floor((Date.parse(iso) - now) / 86_400_000);
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export const STATUS_LABELS: Record<string, string> = {
  pending: 'Pending', initial_sync: 'Initial Sync', synced: 'Synced', failed: 'Failed', excluded: 'Excluded',
  throttled: 'Throttled', blocked: 'Blocked by connection', quarantined: 'Quarantined',
  active: 'Active', error: 'Error', not_tested: 'Not tested',
  pass: 'Passed', fail: 'Failed', warning: 'Warning', skipped: 'Skipped',
  info: 'Info',
  // Failover and recovery.
  proposed: 'Proposed', recovering: 'Recovering', recovered: 'Recovered', dismissed: 'Ended',
  written: 'Written back', found: 'Found',
};

/** 1536 → "1.5 KB"; bytes in the units people read. */
export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}
