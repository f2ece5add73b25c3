import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { masterKey, staticKeyring, type Keyring, type MasterKey } from './keyring.js';

/**
 * Secrets at rest: AES-256-GCM with a random 96-bit IV per write. The associated data binds
 * a ciphertext to the row it belongs to (tenant + owner id), so a ciphertext copied into
 * another row fails to open instead of silently lending its credential.
 *
 * Formats (versioned, the version first):
 * - `v2.<key id>.<iv b64url>.<tag b64url>.<ciphertext b64url>` — sealed with the keyring's key of that id;
 * - `v1.<iv>.<tag>.<ciphertext>` — written before keys had ids: opened by trying each key of the
 *   ring (GCM's tag rejects a wrong key), so the key that sealed it may be anywhere in the ring.
 */
export interface SecretBox {
  /** Seals with the keyring's primary key. */
  seal(plaintext: string, aad: string): string;
  /** Opens with whichever key of the ring sealed it; throws when no key opens it. */
  open(sealed: string, aad: string): string;
  readonly keyring: Keyring;
}

/** `legacy` for a v1 ciphertext (no key id), the key id for v2, null when it is not a sealed value. */
export function sealedKeyId(sealed: string): string | 'legacy' | null {
  if (sealed.startsWith('v1.')) return 'legacy';
  const m = /^v2\.([0-9a-f]{16})\./.exec(sealed);
  return m ? m[1]! : null;
}

export class SecretUnreadable extends Error {
  constructor(readonly reason: 'format' | 'unknown_key' | 'no_key_opens', readonly keyId: string | null) {
    super(reason === 'unknown_key' ? `sealed with master key ${keyId}, which is not in this keyring` : reason === 'format' ? 'unknown secret format' : 'no key of the keyring opens this secret');
  }
}

export function createSecretBox(keys: Buffer | Keyring): SecretBox {
  const keyring = Buffer.isBuffer(keys) ? staticKeyring([masterKey(keys)]) : keys;
  return {
    keyring,
    seal(plaintext, aad) {
      return sealWith(keyring.state().primary, plaintext, aad);
    },
    open(sealed, aad) {
      const parts = sealed.split('.');
      if (parts[0] === 'v2' && parts.length === 5) {
        const key = keyring.get(parts[1]!);
        if (!key) throw new SecretUnreadable('unknown_key', parts[1]!);
        return openWith(key.key, parts[2]!, parts[3]!, parts[4]!, aad);
      }
      if (parts[0] === 'v1' && parts.length === 4) {
        for (const key of keyring.state().keys) {
          try {
            return openWith(key.key, parts[1]!, parts[2]!, parts[3]!, aad);
          } catch {
            // Not this key (or tampered): GCM's tag said no. Try the next one.
          }
        }
        throw new SecretUnreadable('no_key_opens', null);
      }
      throw new SecretUnreadable('format', null);
    },
  };
}

export function sealWith(key: MasterKey, plaintext: string, aad: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key.key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return ['v2', key.id, iv.toString('base64url'), tag.toString('base64url'), ct.toString('base64url')].join('.');
}

function openWith(key: Buffer, iv: string, tag: string, ct: string, aad: string): string {
  // A full 16-byte tag only: Node otherwise accepts truncated tags, which are easier to forge.
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), { authTagLength: 16 });
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
}
