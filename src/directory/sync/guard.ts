import { z } from 'zod';
import type { Runtime } from '../../runtime/context.js';
import { AppError } from '../../errors/index.js';
import { nowIso } from '../../model/ids.js';
import { fromJson, toJson } from '../../store/json.js';
import { recordAudit } from '../../audit/audit.js';
import { requireConnection } from '../../connections/service.js';
import type { ConnectionRow } from '../../store/connections-repo.js';
import type { Net } from './pages.js';
import type { Counts } from './finalize.js';
import { planAfterRun } from './state.js';
import type { Trx, Where } from './rows.js';

/**
 * The mass-removal guard of directory syncs, as continuity has one for users: a run whose
 * complete pass no longer lists more than a set share (default 10 %) of the connection's
 * accounts, groups or memberships does not apply those removals by itself. It waits in status
 * 'held' with the numbers and a sample; an admin approves (the run finishes and removes) or
 * rejects (the run ends removing nothing; the next sync asks again if the objects are still
 * missing). A mass removal is more often a provider, paging or scope problem than real
 * departures. Removals a change feed reports one by one (Graph delta `@removed`) are the
 * provider's explicit word and are applied as they come.
 */
export const DEFAULT_MASS_REMOVAL_PERCENT = 10;

const KINDS = [
  ['accounts', 'dir_accounts'],
  ['groups', 'dir_groups'],
  ['memberships', 'dir_memberships'],
] as const;

export const heldSchema = z.object({
  v: z.literal(1),
  threshold: z.number(),
  /** Per kind: how many the connection held before the run, and how many would go. */
  kinds: z.array(z.object({ kind: z.enum(['accounts', 'groups', 'memberships']), before: z.number(), removed: z.number(), percent: z.number() })),
  sample: z.array(z.string()),
  heldAt: z.string(),
  approved: z.object({ by: z.string(), at: z.string() }).nullable().default(null),
});
export type HeldRemovals = z.infer<typeof heldSchema>;

export function parseHeld(json: string | null): HeldRemovals | null {
  if (!json) return null;
  const r = heldSchema.safeParse(fromJson<unknown>(json, null));
  return r.success ? r.data : null;
}

export function massRemovalPercentOf(row: ConnectionRow): number {
  const v = fromJson<Record<string, unknown>>(row.config_json, {})['massRemovalPercent'];
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 100 ? v : DEFAULT_MASS_REMOVAL_PERCENT;
}

/** Thrown inside the finishing transaction to roll its removals back. */
export class HoldRemovals extends Error {
  constructor(readonly held: HeldRemovals) {
    super('removals held for approval');
  }
}

/** The removals a run would apply, against the totals before it; held when any kind is over the share. */
export function judgeRemovals(threshold: number, before: Counts, net: Net, sample: readonly string[], at: string): HeldRemovals | null {
  if (threshold <= 0) return null;
  const kinds = KINDS.map(([kind, table]) => {
    const removed = Math.max(0, -(net[table] ?? 0));
    const base = before[kind];
    return { kind, before: base, removed, percent: base > 0 ? Math.round((removed / base) * 1000) / 10 : 0 };
  });
  if (!kinds.some((k) => k.removed > 0 && k.percent > threshold)) return null;
  return { v: 1, threshold, kinds, sample: sample.slice(0, 10), heldAt: at, approved: null };
}

export function describeHeld(h: HeldRemovals): string {
  return h.kinds.filter((k) => k.removed > 0).map((k) => `${k.removed} of ${k.before} ${k.kind} (${k.percent}%)`).join(', ');
}

export function heldParams(h: HeldRemovals): Record<string, string | number> {
  return { detail: describeHeld(h), threshold: h.threshold, sample: h.sample.slice(0, 3).join(', ') || 'none' };
}

async function heldRun(rt: Runtime, tenantId: string, connectionId: string): Promise<{ row: ConnectionRow; runId: string; gen: number; held: HeldRemovals }> {
  const row = await requireConnection(rt, tenantId, connectionId);
  const state = await rt.store.db.selectFrom('dir_state').select(['active_run_id']).where('tenant_id', '=', tenantId).where('connection_id', '=', connectionId).executeTakeFirst();
  const run = state?.active_run_id
    ? await rt.store.db.selectFrom('dir_runs').select(['id', 'gen', 'status', 'held_json']).where('tenant_id', '=', tenantId).where('id', '=', state.active_run_id).executeTakeFirst()
    : undefined;
  const held = run && run.status === 'held' ? parseHeld(run.held_json) : null;
  if (!run || !held) throw new AppError('directory.no_held_removals', { name: row.name });
  return { row, runId: run.id, gen: Number(run.gen), held };
}

/**
 * Approves the held removals: the run becomes runnable again and finishes on the next step
 * (queued here), removing what it found missing. Audited.
 */
export async function approveHeldRemovals(rt: Runtime, tenantId: string, connectionId: string, actor = 'admin'): Promise<{ runId: string; approved: HeldRemovals }> {
  const { row, runId, held } = await heldRun(rt, tenantId, connectionId);
  const now = nowIso(rt.now());
  const approved: HeldRemovals = { ...held, approved: { by: actor, at: now } };
  const r = await rt.store.db.updateTable('dir_runs').set({ status: 'running', held_json: toJson(approved), error_json: null, updated_at: now }).where('tenant_id', '=', tenantId).where('id', '=', runId).where('status', '=', 'held').executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) throw new AppError('directory.no_held_removals', { name: row.name });
  await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
    severity: 'warning', action: 'directory.removals_approved', actor, target: { type: 'connection', id: connectionId, name: row.name },
    message: `Held removals of "${row.name}" approved: ${describeHeld(held)} will be removed`,
  }, rt.now());
  // Late import: jobs.ts imports the sync, which imports this file.
  const { queueDirectorySync } = await import('../jobs.js');
  await queueDirectorySync(rt, tenantId, connectionId, 'auto', 'manual');
  return { runId, approved };
}

/**
 * Rejects the held removals: the run ends removing nothing. The pages it rewrote lose their
 * fingerprint, so the next sync reads them again and, if the objects are still missing,
 * asks again rather than keeping stale rows unnoticed. Audited.
 */
export async function rejectHeldRemovals(rt: Runtime, tenantId: string, connectionId: string, actor = 'admin'): Promise<{ runId: string; rejected: HeldRemovals }> {
  const { row, runId, gen, held } = await heldRun(rt, tenantId, connectionId);
  const now = nowIso(rt.now());
  const w: Where = { tenantId, connectionId };
  await rt.store.db.transaction().execute(async (trx) => {
    const r = await trx
      .updateTable('dir_runs')
      .set({ status: 'failed', error_json: toJson({ code: 'directory.removals_held', params: { ...heldParams(held), rejected: `rejected by ${actor}` } }), finished_at: now, updated_at: now })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', runId)
      .where('status', '=', 'held')
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) throw new AppError('directory.no_held_removals', { name: row.name });
    await forgetPagesOf(trx, w, gen);
    const state = await trx.selectFrom('dir_state').selectAll().where('tenant_id', '=', tenantId).where('connection_id', '=', connectionId).executeTakeFirstOrThrow();
    await trx
      .updateTable('dir_state')
      .set({ active_run_id: null, last_run_id: runId, updated_at: now, ...planAfterRun(rt.now(), { failed: true, full: false, incremental: false, state }) })
      .where('tenant_id', '=', tenantId)
      .where('connection_id', '=', connectionId)
      .execute();
  });
  await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
    severity: 'info', action: 'directory.removals_rejected', actor, target: { type: 'connection', id: connectionId, name: row.name },
    message: `Held removals of "${row.name}" rejected: nothing removed (${describeHeld(held)} were missing from the provider's listing)`,
  }, rt.now());
  return { runId, rejected: held };
}

/**
 * Pages a run that did not complete wrote lose their fingerprint: rows it left behind on them
 * (objects that pass no longer listed) are looked at again by the next complete pass instead
 * of being kept with a page whose fingerprint says "unchanged".
 */
export async function forgetPagesOf(db: Trx, w: Where, gen: number): Promise<void> {
  await db.updateTable('dir_pages').set({ hash: null }).where('tenant_id', '=', w.tenantId).where('connection_id', '=', w.connectionId).where('gen', '=', gen).where('kept_gen', '<>', gen).execute();
}

export function heldView(json: string | null): HeldRemovals | null {
  return parseHeld(json);
}
