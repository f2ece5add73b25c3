import { rememberSecret } from '../errors/index.js';
import type { Runtime } from '../runtime/context.js';
import { nowIso } from '../model/ids.js';

/**
 * Secrets that belong to the installation rather than to one connection — today the Google
 * token provider's key, the identity that mints tokens for customers' service accounts.
 */
export type PlatformSecretName = 'google_token_provider_key';

/** What a platform secret is sealed for (src/keys/sealed-columns.ts re-encrypts it on rotation). */
export const platformSecretAad = (tenantId: string, name: string): string => `${tenantId}/platform/${name}`;

export async function setPlatformSecret(rt: Runtime, tenantId: string, name: PlatformSecretName, value: string): Promise<void> {
  const ciphertext = rt.secrets.seal(value, platformSecretAad(tenantId, name));
  await rt.store.db
    .insertInto('secrets')
    .values({ tenant_id: tenantId, name, ciphertext, updated_at: nowIso(rt.now()) })
    .onConflict((oc) => oc.columns(['tenant_id', 'name']).doUpdateSet({ ciphertext, updated_at: nowIso(rt.now()) }))
    .execute();
}

export async function getPlatformSecret(rt: Runtime, tenantId: string, name: PlatformSecretName): Promise<string | null> {
  const row = await rt.store.db.selectFrom('secrets').select('ciphertext').where('tenant_id', '=', tenantId).where('name', '=', name).executeTakeFirst();
  if (!row) return null;
  const value = rt.secrets.open(row.ciphertext, platformSecretAad(tenantId, name));
  rememberSecret(value);
  return value;
}
