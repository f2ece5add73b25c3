import { z } from 'zod';
import type { Runtime } from '../../runtime/context.js';
import { nowIso } from '../../model/ids.js';
import { recordAudit } from '../../audit/audit.js';
import { invalidInput } from '../../connections/service.js';

/**
 * A policy's failover settings (table failover_settings, versioned JSON):
 * - propose: Syncwarden proposes a failover when the source connection has had an open
 *   incident of an outage kind (unreachable, 5xx, timeouts) for `proposeAfterMinutes`;
 * - autoRecover: recovery starts by itself once the source has answered every probe for
 *   `autoRecoverAfterMinutes` (off by default: an admin usually wants to confirm).
 */
export const failoverSettingsSchema = z.object({
  propose: z.boolean().default(true),
  proposeAfterMinutes: z.number().int().min(1).max(24 * 60).default(30),
  autoRecover: z.boolean().default(false),
  autoRecoverAfterMinutes: z.number().int().min(1).max(7 * 24 * 60).default(30),
});
export type FailoverSettings = z.infer<typeof failoverSettingsSchema>;
export const DEFAULT_FAILOVER_SETTINGS: FailoverSettings = failoverSettingsSchema.parse({});
const SETTINGS_V = 1;

export async function loadFailoverSettings(rt: Runtime, tenantId: string, policyId: string): Promise<FailoverSettings> {
  const row = await rt.store.db.selectFrom('failover_settings').select('settings_json').where('tenant_id', '=', tenantId).where('policy_id', '=', policyId).executeTakeFirst();
  if (!row) return DEFAULT_FAILOVER_SETTINGS;
  try {
    const parsed = failoverSettingsSchema.safeParse(JSON.parse(row.settings_json));
    return parsed.success ? parsed.data : DEFAULT_FAILOVER_SETTINGS;
  } catch {
    return DEFAULT_FAILOVER_SETTINGS;
  }
}

export async function saveFailoverSettings(rt: Runtime, tenantId: string, policyId: string, policyName: string, body: unknown, actor: string): Promise<FailoverSettings> {
  let patch;
  try {
    patch = failoverSettingsSchema.partial().strict().parse(body);
  } catch (e) {
    invalidInput(e);
  }
  const next = failoverSettingsSchema.parse({ ...(await loadFailoverSettings(rt, tenantId, policyId)), ...patch });
  const json = JSON.stringify({ v: SETTINGS_V, ...next });
  const now = nowIso(rt.now());
  await rt.store.db
    .insertInto('failover_settings')
    .values({ tenant_id: tenantId, policy_id: policyId, settings_json: json, updated_at: now })
    .onConflict((oc) => oc.columns(['tenant_id', 'policy_id']).doUpdateSet({ settings_json: json, updated_at: now }))
    .execute();
  await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
    severity: 'info', action: 'failover.settings_changed', actor, target: { type: 'policy', id: policyId, name: policyName },
    message: `Failover settings of "${policyName}": ${next.propose ? `propose a failover after ${next.proposeAfterMinutes} min of outage` : 'never propose a failover'}; ${next.autoRecover ? `start recovery by itself after ${next.autoRecoverAfterMinutes} min healthy` : 'an admin starts recovery'}`,
  }, rt.now());
  return next;
}
