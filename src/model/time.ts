/**
 * How a moment is written for an admin in text the server composes (explanations, messages):
 * one convention everywhere, date and minute with the time zone named — "2026-12-06 17:01 UTC".
 * Servers and admins are rarely in one time zone, so the zone is always said.
 */
export function formatUtc(iso: string | null | undefined, none = 'never'): string {
  if (!iso) return none;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
