import { z } from 'zod';
import type { Runtime } from '../../runtime/context.js';
import { AppError } from '../../errors/index.js';
import { recordAudit } from '../../audit/audit.js';
import { nowIso } from '../../model/ids.js';
import { invalidInput } from '../../connections/credentials.js';
import { correlateIdentities } from '../correlation/correlate.js';
import { identityTypeRule, type IdentityTypeRule } from './type-rule.js';
import { findIdentity } from './detail.js';
import { retryOnConflict } from '../../store/retry.js';

export const typeOverrideSchema = z.object({
  type: z.enum(['person', 'guest', 'service', 'auto']),
  reason: z.string().trim().max(500).optional(),
});

/**
 * Sets (or, with 'auto', removes) an admin's override of an identity's type. Audited; the
 * identity's type changes at once, and later correlations keep it.
 */
export async function setIdentityType(rt: Runtime, tenantId: string, key: string, input: unknown, actor = 'admin'): Promise<IdentityTypeRule> {
  let body: z.infer<typeof typeOverrideSchema>;
  try {
    body = typeOverrideSchema.parse(input);
  } catch (e) {
    invalidInput(e);
  }
  const row = await findIdentity(rt, tenantId, key);
  if (!row) throw new AppError('request.not_found', { entity: 'identity', id: key });
  const db = rt.store.db;
  const now = nowIso(rt.now());
  const before = row.identity_type;
  if (body.type === 'auto') {
    await db.deleteFrom('identity_type_overrides').where('tenant_id', '=', tenantId).where('identity_id', '=', row.id).execute();
    await correlateIdentities(rt, tenantId);
  } else {
    const values = { tenant_id: tenantId, identity_id: row.id, identity_type: body.type, reason: body.reason || null, set_by: actor, set_at: now };
    // Runs again from nothing if PostgreSQL ends it as a deadlock with a correlation job.
    await retryOnConflict(() => db.transaction().execute(async (trx) => {
      await trx.insertInto('identity_type_overrides').values(values).onConflict((oc) => oc.columns(['tenant_id', 'identity_id']).doUpdateSet({ identity_type: values.identity_type, reason: values.reason, set_by: actor, set_at: now })).execute();
      await trx.updateTable('identities').set({ identity_type: body.type, updated_at: now }).where('tenant_id', '=', tenantId).where('id', '=', row.id).execute();
    }));
  }
  const after = (await db.selectFrom('identities').select('identity_type').where('tenant_id', '=', tenantId).where('id', '=', row.id).executeTakeFirst())?.identity_type ?? body.type;
  await recordAudit(db, rt.store.dialect, tenantId, {
    severity: 'info',
    action: 'directory.identity_type_set',
    actor,
    target: { type: 'identity', id: row.id, name: row.display_name },
    message: body.type === 'auto' ? `Type of "${row.display_name}" back to the evidence: ${after} (was ${before})` : `Type of "${row.display_name}" set to ${body.type} (was ${before})${body.reason ? `: ${body.reason}` : ''}`,
  }, rt.now());
  return identityTypeRule(rt, tenantId, row.id, after);
}
