import type { Runtime } from '../runtime/context.js';
import { enqueue } from '../engine/jobs.js';
import { nowIso } from '../model/ids.js';
import { quotaKeyOf } from './sync/quota-key.js';
import type { SyncMode, SyncTrigger } from './sync/run.js';

export const SYNC_JOB = 'directory.sync';
/** A full sync of a connection waits this long when another one on the same quota is mid-run. */
export const STAGGER_MS = 10 * 60_000;

export function syncJob(connectionId: string, mode: SyncMode, trigger: SyncTrigger) {
  return { kind: SYNC_JOB, dedupeKey: `dirsync:${connectionId}`, payload: { connectionId, mode, trigger } };
}

interface Candidate {
  tenantId: string;
  id: string;
  createdAt: string;
  quotaKey: string;
  nextFullAt: string | null;
  nextDeltaAt: string | null;
  activeFull: boolean;
}

/**
 * Queues the directory syncs that are due, for every tenant. Staggering is the scheduler's,
 * not the admin's: connections that spend the same provider quota (quotaKeyOf) never run
 * their full syncs at once — a due one waits while another on the same quota is mid-run, and
 * first syncs of connections added together are spread STAGGER_MS apart. Compare-and-set on
 * the due time makes it safe from any number of processes.
 */
export async function queueDueDirectorySyncs(rt: Runtime): Promise<number> {
  const nowMs = rt.now();
  const now = nowIso(nowMs);
  const conns = await rt.store.db
    .selectFrom('connections as c')
    .leftJoin('dir_state as s', (j) => j.onRef('s.tenant_id', '=', 'c.tenant_id').onRef('s.connection_id', '=', 'c.id'))
    .leftJoin('dir_runs as r', (j) => j.onRef('r.tenant_id', '=', 's.tenant_id').onRef('r.id', '=', 's.active_run_id'))
    .select(['c.tenant_id', 'c.id', 'c.kind', 'c.config_json', 'c.created_at', 'c.status', 's.next_full_at', 's.next_delta_at', 's.connection_id as has_state', 'r.mode as active_mode', 'r.status as active_status'])
    .where('c.role', '=', 'directory')
    .execute();
  const candidates: Candidate[] = conns.map((c) => ({
    tenantId: c.tenant_id, id: c.id, createdAt: c.created_at, quotaKey: `${c.tenant_id}|${quotaKeyOf(c)}`,
    nextFullAt: c.has_state ? c.next_full_at : null, nextDeltaAt: c.has_state ? c.next_delta_at : null, // A run held by the mass-removal guard spends no quota while it waits for an admin.
    activeFull: c.active_mode === 'full' && c.active_status !== 'held',
  }));
  const busy = new Set(candidates.filter((c) => c.activeFull).map((c) => c.quotaKey));
  let queued = 0;
  // Never synced: the first full sync, spread across connections on one quota.
  const fresh = candidates.filter((c) => c.nextFullAt === null);
  const slot = new Map<string, number>();
  for (const c of fresh.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))) {
    const n = slot.get(c.quotaKey) ?? (busy.has(c.quotaKey) ? 1 : 0);
    slot.set(c.quotaKey, n + 1);
    await rt.store.db
      .insertInto('dir_state')
      .values({ tenant_id: c.tenantId, connection_id: c.id, gen: 0, delta_json: null, active_run_id: null, last_run_id: null, last_success_at: null, last_full_at: null, next_full_at: nowIso(nowMs + n * STAGGER_MS), next_delta_at: null, throttled_until: null, throttle_json: null, updated_at: now })
      .onConflict((oc) => oc.doNothing())
      .execute();
    // A state row made by a status view before any schedule: give it its first slot.
    await rt.store.db.updateTable('dir_state').set({ next_full_at: nowIso(nowMs + n * STAGGER_MS) }).where('tenant_id', '=', c.tenantId).where('connection_id', '=', c.id).where('next_full_at', 'is', null).execute();
    c.nextFullAt = nowIso(nowMs + n * STAGGER_MS);
  }
  const started = new Set<string>();
  for (const c of candidates) {
    const fullDue = c.nextFullAt !== null && c.nextFullAt <= now;
    const deltaDue = c.nextDeltaAt !== null && c.nextDeltaAt <= now;
    if (!fullDue && !deltaDue) continue;
    if (fullDue && (busy.has(c.quotaKey) || started.has(c.quotaKey)) && !c.activeFull) {
      // Another full sync spends this quota right now: come back later rather than halve both.
      await casTime(rt, c, 'next_full_at', c.nextFullAt!, nowIso(nowMs + STAGGER_MS));
      continue;
    }
    const column = fullDue ? 'next_full_at' : 'next_delta_at';
    const was = fullDue ? c.nextFullAt! : c.nextDeltaAt!;
    // Pushed on: the run itself sets the real next times when it ends.
    if (!(await casTime(rt, c, column, was, nowIso(nowMs + (fullDue ? 24 * 3_600_000 : 3_600_000))))) continue;
    if (fullDue) started.add(c.quotaKey);
    if (await enqueue(rt.store.db, c.tenantId, syncJob(c.id, fullDue ? 'full' : 'auto', 'schedule'), nowMs)) queued += 1;
  }
  return queued;
}

async function casTime(rt: Runtime, c: Candidate, column: 'next_full_at' | 'next_delta_at', was: string, next: string): Promise<boolean> {
  const r = await rt.store.db
    .updateTable('dir_state')
    .set({ [column]: next })
    .where('tenant_id', '=', c.tenantId)
    .where('connection_id', '=', c.id)
    .where(column, '=', was)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}
