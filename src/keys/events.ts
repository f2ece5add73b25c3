import type { Runtime } from '../runtime/context.js';
import { recordAudit, type Severity } from '../audit/audit.js';
import { DEFAULT_TENANT } from '../api/route.js';

/**
 * Key operations concern the whole installation: every tenant's secrets are re-encrypted, so
 * each tenant's audit log records them.
 */
export async function recordKeyEvent(rt: Runtime, severity: Severity, action: string, message: string, actor = 'cli'): Promise<void> {
  const tenants = new Set([DEFAULT_TENANT, ...(await rt.store.db.selectFrom('audit_heads').select('tenant_id').execute()).map((r) => r.tenant_id)]);
  for (const tenantId of tenants) {
    await recordAudit(rt.store.db, rt.store.dialect, tenantId, { severity, action, actor, target: { type: 'master_keyring', id: 'installation', name: 'Master keyring' }, message }, rt.now());
  }
}
