import type { Selectable } from 'kysely';
import type { Runtime } from '../../runtime/context.js';
import type { DirStateTable } from '../../store/schema.js';
import { nowIso } from '../../model/ids.js';

export type DirStateRow = Selectable<DirStateTable>;

/**
 * How often the inventory refreshes a connection. Incremental providers (Graph delta) read
 * changes every 15 minutes and re-read in full daily (a full pass is what notices anything a
 * change feed missed); the others re-read every hour, which costs little when nothing changed
 * (unchanged pages are recognised by their fingerprint and not rewritten).
 */
export const DELTA_EVERY_MS = 15 * 60_000;
export const REFRESH_EVERY_MS = 60 * 60_000;
export const FULL_EVERY_MS = 24 * 60 * 60_000;
/** After a failed run: try again after this long (the doctor and alerts tell the admin meanwhile). */
export const RETRY_FAILED_MS = 15 * 60_000;

export async function ensureState(rt: Runtime, tenantId: string, connectionId: string): Promise<DirStateRow> {
  const get = () => rt.store.db.selectFrom('dir_state').selectAll().where('tenant_id', '=', tenantId).where('connection_id', '=', connectionId).executeTakeFirst();
  const found = await get();
  if (found) return found;
  await rt.store.db
    .insertInto('dir_state')
    .values({ tenant_id: tenantId, connection_id: connectionId, gen: 0, delta_json: null, active_run_id: null, last_run_id: null, last_success_at: null, last_full_at: null, next_full_at: null, next_delta_at: null, throttled_until: null, throttle_json: null, updated_at: nowIso(rt.now()) })
    .onConflict((oc) => oc.doNothing())
    .execute();
  return (await get())!;
}

/** The next scheduled syncs after a run ends. */
export function planAfterRun(nowMs: number, r: { full: boolean; incremental: boolean; failed?: boolean; state: DirStateRow }): Partial<Selectable<DirStateTable>> {
  if (r.failed) return { next_delta_at: nowIso(nowMs + RETRY_FAILED_MS) };
  const plan: Partial<Selectable<DirStateTable>> = { next_delta_at: nowIso(nowMs + (r.incremental ? DELTA_EVERY_MS : REFRESH_EVERY_MS)) };
  if (r.full) {
    plan.last_full_at = nowIso(nowMs);
    plan.next_full_at = nowIso(nowMs + FULL_EVERY_MS);
  }
  return plan;
}
