import { z } from 'zod';
import type { Runtime } from '../runtime/context.js';
import type { JobHandler } from '../engine/worker.js';
import { enqueue } from '../engine/jobs.js';
import { nowIso } from '../model/ids.js';
import { stepDirectorySync, type SyncMode, type SyncTrigger } from './sync/run.js';
import { CORRELATE_JOB } from './correlation/rules.js';
import { queueDueDirectorySyncs, SYNC_JOB, syncJob } from './schedule.js';
import { correlateIdentities } from './correlation/correlate.js';

const syncPayload = z.object({
  connectionId: z.string(),
  mode: z.enum(['auto', 'full', 'delta']).default('auto'),
  trigger: z.enum(['manual', 'schedule']).default('schedule'),
});

/** The identity inventory's job kinds; payloads validated at the boundary. */
export function directoryHandlers(rt: Runtime): Record<string, JobHandler> {
  return {
    [SYNC_JOB]: async (ctx, payload) => {
      const p = syncPayload.parse(payload);
      const out = await stepDirectorySync(rt, ctx.tenantId, p.connectionId, { mode: p.mode, trigger: p.trigger, signal: ctx.signal });
      if (out.status === 'throttled') return { type: 'again', runAt: out.resumeAt };
      // Stopped between pages (lease lost, shutdown): the checkpoint stands; carry on soon.
      if (out.status === 'interrupted') return { type: 'again', runAt: new Date(rt.now() + 1_000) };
      return { type: 'done' };
    },
    [CORRELATE_JOB]: async (ctx) => {
      await correlateIdentities(rt, ctx.tenantId);
      return { type: 'done' };
    },
  };
}

/** Scheduler tasks: due syncs, staggered per provider quota. */
export function directoryTasks(rt: Runtime): (() => Promise<unknown>)[] {
  return [() => queueDueDirectorySyncs(rt)];
}

/**
 * Queues a sync of one connection now (an admin asked). A sync queued for later (a throttle's
 * resume time) is brought forward with the mode asked for; a running one is left to finish.
 */
export async function queueDirectorySync(rt: Runtime, tenantId: string, connectionId: string, mode: SyncMode = 'auto', trigger: SyncTrigger = 'manual'): Promise<boolean> {
  const job = syncJob(connectionId, mode, trigger);
  if (await enqueue(rt.store.db, tenantId, job, rt.now())) return true;
  const r = await rt.store.db
    .updateTable('jobs')
    .set({ run_at: nowIso(rt.now()), payload_json: JSON.stringify(job.payload), updated_at: nowIso(rt.now()) })
    .where('tenant_id', '=', tenantId)
    .where('dedupe_key', '=', job.dedupeKey)
    .where('status', '=', 'queued')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
