import { z } from 'zod';
import type { Runtime } from '../runtime/context.js';
import type { JobHandler } from '../engine/worker.js';
import { enqueue } from '../engine/jobs.js';
import { duePolicies } from '../store/policies-repo.js';
import { nowIso } from '../model/ids.js';
import { runPolicyCycle } from './cycle.js';
import { syncMailbox } from './mailbox-sync.js';

const cyclePayload = z.object({ policyId: z.string() });
const userPayload = z.object({ syncUserId: z.string() });

/** The continuity job kinds and their handlers; payloads are validated at the boundary. */
export function continuityHandlers(rt: Runtime): Record<string, JobHandler> {
  return {
    'policy.cycle': (ctx, payload) => runPolicyCycle(rt, ctx.tenantId, cyclePayload.parse(payload).policyId),
    'user.sync': (ctx, payload) => syncMailbox(rt, ctx.tenantId, userPayload.parse(payload).syncUserId, ctx.signal, ctx.job.attempts),
  };
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
    if (await enqueue(rt.store.db, policy.tenant_id, { kind: 'policy.cycle', dedupeKey: `cycle:${policy.id}`, payload: { policyId: policy.id } }, nowMs)) queued += 1;
  }
  return queued;
}
