import { z } from 'zod';
import type { Runtime } from '../runtime/context.js';
import type { JobHandler } from '../engine/worker.js';
import { enqueue, enqueueNow } from '../engine/jobs.js';
import { duePolicies } from '../store/policies-repo.js';
import { nowIso } from '../model/ids.js';
import { runPolicyCycle } from './cycle.js';
import { withPriority } from '../engine/rate-priority.js';
import { DEFAULT_SLICE_MS, syncMailbox } from './mailbox-sync.js';
import { deleteDestinationAccount } from './lifecycle.js';
import { cycleJob } from './policies.js';
import { recoverUser } from './failover/recovery.js';
import { probeDueFailovers, proposeDueFailovers, resumeStalledRecoveries } from './failover/failover.js';

const cyclePayload = z.object({ policyId: z.string() });
/** Stable for other areas (connections re-queue blocked users with it): kind 'user.sync', key 'user:<id>'. */
const userPayload = z.object({ syncUserId: z.string() });

export interface ContinuityOptions {
  /** Time slice of one mailbox run (fair sharing between users). */
  readonly sliceMs?: number;
}

/** The continuity job kinds and their handlers; payloads are validated at the boundary. */
export function continuityHandlers(rt: Runtime, opts: ContinuityOptions = {}): Record<string, JobHandler> {
  const sliceMs = opts.sliceMs ?? DEFAULT_SLICE_MS;
  return {
    'policy.cycle': (ctx, payload) => runPolicyCycle(rt, ctx.tenantId, cyclePayload.parse(payload).policyId),
    'user.sync': (ctx, payload) => {
      const run = () => syncMailbox(rt, ctx.tenantId, userPayload.parse(payload).syncUserId, ctx.signal, { sliceMs });
      // Its last run died with its worker (or failed): this one goes first at the shared
      // budgets until its first write, so a takeover costs the user the lease and little more.
      // (A run that yields normally gives its attempt back: the next run is an ordinary one.)
      return ctx.job.attempts > 1 ? withPriority(run) : run();
    },
    'account.delete': (ctx, payload) => deleteDestinationAccount(rt, ctx.tenantId, userPayload.parse(payload).syncUserId),
    'recovery.user': (ctx, payload) => recoverUser(rt, ctx.tenantId, recoveryPayload.parse(payload).recoveryUserId, ctx.signal, { sliceMs }),
  };
}

const recoveryPayload = z.object({ recoveryUserId: z.string() });

/** Failover's periodic work (any process may run it: compare-and-set in the database): proposals, gentle probes, stalled recoveries. */
export function failoverTasks(rt: Runtime): (() => Promise<unknown>)[] {
  return [() => proposeDueFailovers(rt), () => probeDueFailovers(rt), () => resumeStalledRecoveries(rt)];
}

/**
 * Queues the mailbox sync of one user now. A job already queued for later (a backoff, a
 * throttle) is brought forward instead, since an admin asked for it now; a running one runs
 * again when it ends. True when a job will start now.
 */
export async function queueUserSync(rt: Runtime, tenantId: string, syncUserId: string): Promise<boolean> {
  return enqueueNow(rt.store.db, tenantId, { kind: 'user.sync', dedupeKey: `user:${syncUserId}`, payload: { syncUserId } }, rt.now());
}

/**
 * Queues a cycle for every enabled policy that is due. The compare-and-set on next_cycle_at
 * makes this safe to run from several processes at once: only one wins each due slot.
 */
export async function queueDueCycles(rt: Runtime): Promise<number> {
  const nowMs = rt.now();
  const now = nowIso(nowMs);
  let queued = 0;
  for (const policy of await duePolicies(rt.store.db, now)) {
    const next = nowIso(nowMs + Number(policy.schedule_minutes) * 60_000);
    let claim = rt.store.db.updateTable('policies').set({ next_cycle_at: next }).where('tenant_id', '=', policy.tenant_id).where('id', '=', policy.id);
    claim = policy.next_cycle_at === null ? claim.where('next_cycle_at', 'is', null) : claim.where('next_cycle_at', '=', policy.next_cycle_at);
    const won = await claim.executeTakeFirst();
    if (Number(won.numUpdatedRows) !== 1) continue;
    if (await enqueue(rt.store.db, policy.tenant_id, cycleJob(policy.id), nowMs)) queued += 1;
  }
  return queued;
}
