import type { Runtime } from '../runtime/context.js';
import type { CampaignInput } from './input.js';

const MONTHS: Record<string, number> = { monthly: 1, quarterly: 3, half_yearly: 6, yearly: 12 };

/** Adds calendar months in UTC, clamping to the month's last day (31 Jan + 1 month = 28/29 Feb). */
export function addMonths(ms: number, months: number): number {
  const d = new Date(ms);
  const target = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, 1, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()));
  const last = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d.getUTCDate(), last));
  return target.getTime();
}

/**
 * When the occurrence after `occurrence` starts, or null: one-off, the `times` occurrences are
 * done, or the date is past `until`. Counted from the series' first start (occurrence k starts
 * at first + k periods), not from the previous start: chaining from the previous start would
 * drift with the month-end clamp (31 Jan → 28 Feb → 28 Mar …) and with a scheduler tick late.
 * A slot already past (the server was off) is skipped rather than started late in a burst.
 */
export function nextOccurrenceAt(input: Pick<CampaignInput, 'recurrence'>, seriesStartMs: number, occurrence: number, nowMs = seriesStartMs): number | null {
  const r = input.recurrence;
  if (!r || r.every === 'none') return null;
  if (r.times !== undefined && occurrence >= r.times) return null;
  const months = MONTHS[r.every]!;
  let k = occurrence;
  let next = addMonths(seriesStartMs, months * k);
  while (next <= nowMs) next = addMonths(seriesStartMs, months * ++k);
  if (r.until) {
    const until = Date.parse(r.until.length === 10 ? `${r.until}T23:59:59.999Z` : r.until);
    if (next > until) return null;
  }
  return next;
}

/** When the series a campaign belongs to first started (its own start for the first occurrence). */
export async function seriesStartMs(rt: Runtime, tenantId: string, seriesId: string, campaignId: string, nowMs: number): Promise<number> {
  if (seriesId === campaignId) return nowMs;
  const first = await rt.store.db.selectFrom('campaigns').select('started_at').where('tenant_id', '=', tenantId).where('id', '=', seriesId).executeTakeFirst();
  return first?.started_at ? Date.parse(first.started_at) : nowMs;
}
