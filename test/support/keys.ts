import { createCipheriv, randomBytes } from 'node:crypto';
import type { Runtime } from '../../src/runtime/context.js';
import { openSecret } from '../../src/connections/credentials.js';
import { getPlatformSecret } from '../../src/connections/platform-secrets.js';
import { channelSecret } from '../../src/notify/channels.js';
import { getChannel } from '../../src/store/alerts-repo.js';

/**
 * A secret sealed the way every version before key ids did (`v1.<iv>.<tag>.<ct>`, AES-256-GCM
 * with the row's associated data), for tests of what an upgraded installation holds.
 */
export function sealV1(key: Buffer, plaintext: string, aad: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(aad));
  const ct = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
  return ['v1', iv.toString('base64url'), c.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
}

/** One stored secret a test knows the value of, and how the product opens it. */
export interface KnownSecret {
  readonly tenant: string;
  readonly kind: 'credential' | 'channel' | 'platform';
  readonly id: string;
  value: string;
  /** A new value being saved right now (its edit may have committed before `value` is updated). */
  pending?: string | undefined;
}

/** Opens a known secret the way the product does (credentials, alert channels, platform secrets). */
export async function openKnown(rt: Runtime, e: KnownSecret): Promise<string | null> {
  switch (e.kind) {
    case 'credential': {
      const row = await rt.store.db.selectFrom('connection_credentials').selectAll().where('tenant_id', '=', e.tenant).where('id', '=', e.id).executeTakeFirstOrThrow();
      return openSecret(rt, e.tenant, row)?.['clientSecret'] ?? null;
    }
    case 'channel':
      return channelSecret(rt, e.tenant, (await getChannel(rt.store.db, e.tenant, e.id))!);
    case 'platform':
      return getPlatformSecret(rt, e.tenant, 'google_token_provider_key');
  }
}

/** Every known secret that does not open to its value, as `where: what it gave`. */
export async function wrongSecrets(rt: Runtime, known: ReadonlyMap<string, KnownSecret>): Promise<string[]> {
  const wrong: string[] = [];
  for (const [where, e] of known) {
    const got = await openKnown(rt, e).catch((err: unknown) => `error: ${String(err)}`);
    if (got !== e.value && (e.pending === undefined || got !== e.pending)) wrong.push(`${where}: ${got}`);
  }
  return wrong;
}
