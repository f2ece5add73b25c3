import { z } from 'zod';
import type { Runtime } from '../runtime/context.js';
import type { JobHandler } from '../engine/worker.js';
import { nowIso, newId } from '../model/ids.js';
import { APPLY_JOB, applyCampaign, runApply } from './apply.js';
import { closeCampaign, finishClosing } from './close.js';
import { startCampaign } from './lifecycle.js';
import { verifyAfterSync } from './verify.js';
import { escalateDue, sendDueReminders } from './notices.js';
import { audit } from './store.js';
import { fromJson } from '../store/json.js';

const applyPayload = z.object({ campaignId: z.string(), connectionId: z.string() });

export function campaignHandlers(rt: Runtime): Record<string, JobHandler> {
  return {
    [APPLY_JOB]: async (ctx, payload) => {
      const p = applyPayload.parse(payload);
      const out = await runApply(rt, ctx.tenantId, p.campaignId, p.connectionId, ctx.signal);
      return out.again ? { type: 'again', runAt: out.again } : { type: 'done' };
    },
  };
}

/**
 * Closes stages whose deadline passed (compare-and-set inside closeCampaign). A campaign set to
 * apply on close starts its apply when its last stage closes — through applyCampaign, so the
 * circuit breaker still holds a large one for an admin. One campaign failing does not stop the others.
 */
export async function closeDue(rt: Runtime): Promise<number> {
  const due = await rt.store.db.selectFrom('campaigns').select(['tenant_id', 'id', 'input_json', 'stage', 'stages']).where('status', '=', 'running').where('deadline', '<=', nowIso(rt.now())).execute();
  let n = 0;
  for (const c of due) {
    const lastStage = Number(c.stage) >= Number(c.stages);
    const apply = lastStage && fromJson<{ applyOnClose?: boolean }>(c.input_json, {}).applyOnClose === true;
    try {
      await closeCampaign(rt, c.tenant_id, c.id, { apply }, 'system');
      n++;
    } catch (e) {
      rt.log.warn({ err: e, campaign: c.id }, 'a campaign past its deadline could not be closed; the next tick tries again');
    }
  }
  // Left `closing` by a process that died while finalizing the items: finished here, ten
  // minutes after the close began (a live close is normally done by then; if not, finishing
  // it twice is harmless — every step is idempotent and only one run flips it to closed).
  const stale = await rt.store.db.selectFrom('campaigns').select(['tenant_id', 'id']).where('status', '=', 'closing').where('updated_at', '<', nowIso(rt.now() - 10 * 60_000)).execute();
  for (const c of stale) {
    try {
      await finishClosing(rt, c.tenant_id, c.id, 'system');
    } catch (e) {
      rt.log.warn({ err: e, campaign: c.id }, 'a campaign left closing could not be finished; the next tick tries again');
    }
  }
  // Closed with the apply asked for (apply_on_close) but never started: a crash between the two
  // steps, or an apply that failed. Started here, so the deadline's apply is not lost.
  const stranded = await rt.store.db.selectFrom('campaigns').select(['tenant_id', 'id']).where('status', '=', 'closed').where('apply_on_close', '=', 1).execute();
  for (const c of stranded) {
    try {
      await applyCampaign(rt, c.tenant_id, c.id, 'system');
    } catch (e) {
      rt.log.warn({ err: e, campaign: c.id }, 'the apply of a closed campaign could not start; the next tick tries again');
    }
  }
  return n;
}

/**
 * Recurrence: at a campaign's `next_start_at` the next occurrence is created with the same
 * settings and started — once this occurrence has closed: one still running (a duration longer
 * than the period) holds the next back until its deadline closes it, so a reviewer never has two
 * occurrences of one campaign open at once. Compare-and-set on next_start_at, so one process creates it.
 */
export async function startDueOccurrences(rt: Runtime): Promise<number> {
  const db = rt.store.db;
  const nowMs = rt.now();
  const due = await db.selectFrom('campaigns').selectAll().where('next_start_at', '<=', nowIso(nowMs)).where('status', 'not in', ['draft', 'starting', 'running', 'closing']).execute();
  let n = 0;
  for (const c of due) {
    const claimed = await db.updateTable('campaigns').set({ next_start_at: null }).where('tenant_id', '=', c.tenant_id).where('id', '=', c.id).where('next_start_at', '=', c.next_start_at).executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) continue;
    const id = newId('camp', nowMs);
    const occurrence = Number(c.occurrence) + 1;
    const base = c.name.replace(/ #\d+$/, '');
    await db.insertInto('campaigns').values({
      ...c, id, name: `${base} #${occurrence}`, status: 'draft', stage: 1, occurrence, next_start_at: null, created_by: 'system', created_at: nowIso(nowMs),
      started_at: null, stage_started_at: null, deadline: null, closed_at: null, applied_at: null, verified_at: null, apply_on_close: 0, reminders_sent_json: '[]', escalated_at: null, updated_at: nowIso(nowMs),
    }).execute();
    await audit(rt, c.tenant_id, { severity: 'info', action: 'campaign.recurred', actor: 'system', target: { type: 'campaign', id, name: `${base} #${occurrence}` }, message: `Occurrence ${occurrence} of the recurring campaign "${base}" created` });
    try {
      await startCampaign(rt, c.tenant_id, id, 'system');
    } catch (e) {
      rt.log.warn({ err: e, campaign: id }, 'the next occurrence of a recurring campaign could not start');
    }
    n++;
  }
  return n;
}

/** Scheduler tasks, each safe to run from every process. */
export function campaignTasks(rt: Runtime, opts: { publicUrl?: string } = {}): (() => Promise<unknown>)[] {
  return [() => closeDue(rt), () => verifyAfterSync(rt), () => sendDueReminders(rt, opts), () => escalateDue(rt), () => startDueOccurrences(rt)];
}
