import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSecretBox, sealedKeyId, SecretUnreadable } from './secret-box.js';
import { masterKey, staticKeyring } from './keyring.js';
import { sealV1 } from '../../test/support/keys.js';


describe('secret box', () => {
  const k1 = masterKey(randomBytes(32));
  const k2 = masterKey(randomBytes(32));
  const box = createSecretBox(k1.key);

  it('round-trips, names its key, and never contains the plaintext', () => {
    const sealed = box.seal('s3cr3t-value', 'default/conn_1');
    expect(sealed.startsWith(`v2.${k1.id}.`)).toBe(true);
    expect(sealedKeyId(sealed)).toBe(k1.id);
    expect(sealed).not.toContain('s3cr3t');
    expect(box.open(sealed, 'default/conn_1')).toBe('s3cr3t-value');
  });

  it('uses a fresh IV each time', () => {
    expect(box.seal('x', 'a')).not.toBe(box.seal('x', 'a'));
  });

  it('refuses a ciphertext moved to another row', () => {
    const sealed = box.seal('value', 'default/conn_1');
    expect(() => box.open(sealed, 'default/conn_2')).toThrow();
  });

  it('refuses a tampered ciphertext, a truncated tag and another key', () => {
    const sealed = box.seal('value', 'aad');
    const parts = sealed.split('.');
    const ct = Buffer.from(parts[4]!, 'base64url');
    ct[0] = ct[0]! ^ 1;
    expect(() => box.open([...parts.slice(0, 4), ct.toString('base64url')].join('.'), 'aad')).toThrow();
    const shortTag = Buffer.from(parts[3]!, 'base64url').subarray(0, 4).toString('base64url');
    expect(() => box.open([parts[0], parts[1], parts[2], shortTag, parts[4]].join('.'), 'aad')).toThrow();
    expect(() => createSecretBox(randomBytes(32)).open(sealed, 'aad')).toThrow(SecretUnreadable);
  });

  it('a keyring seals with its primary and opens with any of its keys', () => {
    const old = createSecretBox(staticKeyring([k1]));
    const both = createSecretBox(staticKeyring([k2, k1]));
    const sealedOld = old.seal('old secret', 'aad');
    const sealedNew = both.seal('new secret', 'aad');
    expect(sealedKeyId(sealedNew)).toBe(k2.id);
    expect(both.open(sealedOld, 'aad')).toBe('old secret');
    expect(both.open(sealedNew, 'aad')).toBe('new secret');
    // The old keyring alone cannot open what the new key sealed, and says which key it lacks.
    try {
      old.open(sealedNew, 'aad');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SecretUnreadable);
      expect((e as SecretUnreadable).keyId).toBe(k2.id);
    }
  });

  it('opens ciphertexts from before key ids with whichever key of the ring sealed them', () => {
    const legacy = sealV1(k1.key, 'legacy secret', 'default/platform/x');
    expect(sealedKeyId(legacy)).toBe('legacy');
    expect(createSecretBox(staticKeyring([k2, k1])).open(legacy, 'default/platform/x')).toBe('legacy secret');
    expect(() => createSecretBox(staticKeyring([k2])).open(legacy, 'default/platform/x')).toThrow(SecretUnreadable);
    expect(() => createSecretBox(staticKeyring([k2, k1])).open(legacy, 'default/platform/y')).toThrow(SecretUnreadable);
  });

  it('rejects what is not a sealed value', () => {
    expect(sealedKeyId('plain')).toBeNull();
    expect(() => box.open('plain', 'aad')).toThrow(SecretUnreadable);
    expect(() => box.open('v2.zz.a.b.c', 'aad')).toThrow(SecretUnreadable);
  });
});
