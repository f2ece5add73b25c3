import type { Runtime } from '../../runtime/context.js';
import { AppError } from '../../errors/index.js';
import { recordAudit } from '../../audit/audit.js';
import { runActing } from '../context.js';
import type { ClientMeta } from '../sessions.js';

/**
 * A tenant that requires single sign-on refuses password sign-in for its users, before any
 * password is hashed; the refusal is audited like a failed sign-in. The break-glass stays: a
 * one-time sign-in link from the server (`syncwarden users reset-password <email>`).
 */
export async function refusePasswordWhenSsoRequired(rt: Runtime, tenantId: string, email: string, meta: ClientMeta): Promise<never> {
  const normal = email.trim().toLowerCase();
  await runActing({ actor: 'anonymous', address: meta.address, userAgent: meta.userAgent }, () => recordAudit(rt.store.db, rt.store.dialect, tenantId, {
    severity: 'warning', action: 'auth.sign_in_failed', actor: 'anonymous', message: `Password sign-in refused for ${normal.slice(0, 254)}: this organisation requires single sign-on`,
  }, rt.now()));
  throw new AppError('auth.sso_required', {});
}
