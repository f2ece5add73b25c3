import { createCipheriv, randomBytes } from 'node:crypto';

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
