import { z } from 'zod';
import type { Runtime } from '../runtime/context.js';
import type { JobHandler } from '../engine/worker.js';
import { enqueue } from '../engine/jobs.js';
import { nowIso } from '../model/ids.js';
import { getConnection } from '../store/connections-repo.js';
import { DOCTOR_JOB } from '../connections/service.js';
import { DELIVER_JOB, deliverAlert, markAlertFailed, requeueStaleAlerts } from '../notify/outbox.js';
import { queueExpiryReminders, queueIncidentReminders } from '../notify/reminders.js';
import { runConnectionTest, type TestTrigger } from './connection-test.js';
import { detectMassFailures } from './mass-failures.js';

/**
 * The doctor and alert jobs, and the periodic tasks that queue them. Every task is safe from
 * several processes at once: the doctor claims its slot by compare-and-set on
 * connections.next_doctor_at, alerts by their unique dedupe key, incidents by their partial
 * unique index.
 */
const doctorPayload = z.object({ connectionId: z.string(), trigger: z.enum(['manual', 'save', 'daily', 'recheck', 'rotation']) });
const alertPayload = z.object({ alertId: z.string() });
/** After this many attempts an alert is given up on (the worker's retry policy stops at 6). */
const ALERT_MAX_ATTEMPTS = 6;

export function diagnosticsHandlers(rt: Runtime): Record<string, JobHandler> {
  return {
    [DOCTOR_JOB]: async (ctx, payload) => {
      const p = doctorPayload.parse(payload);
      const connection = await getConnection(rt.store.db, ctx.tenantId, p.connectionId);
      if (connection) await runConnectionTest(rt, ctx.tenantId, connection, 'system', p.trigger as TestTrigger);
      return { type: 'done' };
    },
    [DELIVER_JOB]: async (ctx, payload) => {
      const p = alertPayload.parse(payload);
      try {
        await deliverAlert(rt, ctx.tenantId, p.alertId);
      } catch (e) {
        if (ctx.job.attempts >= ALERT_MAX_ATTEMPTS) {
          await markAlertFailed(rt, ctx.tenantId, p.alertId);
          return { type: 'done' };
        }
        throw e;
      }
      return { type: 'done' };
    },
  };
}

/**
 * Queues the doctor for every connection whose scheduled run is due: daily when healthy, every
 * 15 minutes while its incident is open (so a fix made at the provider resolves it by itself).
 */
export async function queueDueDoctorRuns(rt: Runtime): Promise<number> {
  const nowMs = rt.now();
  const now = nowIso(nowMs);
  const due = await rt.store.db
    .selectFrom('connections')
    .select(['tenant_id', 'id', 'next_doctor_at', 'status'])
    .where((eb) => eb.or([eb('next_doctor_at', 'is', null), eb('next_doctor_at', '<=', now)]))
    .execute();
  let queued = 0;
  for (const c of due) {
    // Claim this slot: only the process whose update matches the old value queues the run.
    const next = nowIso(nowMs + 24 * 60 * 60_000);
    let claim = rt.store.db.updateTable('connections').set({ next_doctor_at: next }).where('tenant_id', '=', c.tenant_id).where('id', '=', c.id);
    claim = c.next_doctor_at === null ? claim.where('next_doctor_at', 'is', null) : claim.where('next_doctor_at', '=', c.next_doctor_at);
    const won = await claim.executeTakeFirst();
    if (Number(won.numUpdatedRows) !== 1) continue;
    const trigger: TestTrigger = c.status === 'error' ? 'recheck' : 'daily';
    if (await enqueue(rt.store.db, c.tenant_id, { kind: DOCTOR_JOB, dedupeKey: `doctor:${c.id}`, payload: { connectionId: c.id, trigger } }, rt.now())) queued += 1;
  }
  return queued;
}

/**
 * The scheduler tasks of this area, for runtime/start.ts. None needs the scheduler's tick
 * (seconds): each runs at most every `everyMs`, so they stay out of the workers' way.
 */
export function diagnosticsTasks(rt: Runtime, everyMs = 15_000): (() => Promise<unknown>)[] {
  return [
    throttled(everyMs, () => queueDueDoctorRuns(rt)),
    throttled(everyMs, () => detectMassFailures(rt)),
    throttled(everyMs * 4, () => queueExpiryReminders(rt)),
    throttled(everyMs * 4, () => queueIncidentReminders(rt)),
    throttled(everyMs * 4, () => requeueStaleAlerts(rt)),
  ];
}

function throttled(everyMs: number, task: () => Promise<unknown>): () => Promise<unknown> {
  let last = -Infinity;
  return async () => {
    // Wall clock: the scheduler's own pace, not the (movable) business clock.
    if (Date.now() - last < everyMs) return undefined;
    last = Date.now();
    return task();
  };
}
