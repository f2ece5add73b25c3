import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSecretBox } from './secret-box.js';
import { decodeKey, loadMasterKey } from './master-key.js';

describe('secret box', () => {
  const box = createSecretBox(randomBytes(32));

  it('round-trips and never contains the plaintext', () => {
    const sealed = box.seal('s3cr3t-value', 'default/conn_1');
    expect(sealed.startsWith('v1.')).toBe(true);
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

  it('refuses a tampered ciphertext and another key', () => {
    const sealed = box.seal('value', 'aad');
    const parts = sealed.split('.');
    const ct = Buffer.from(parts[3]!, 'base64url');
    ct[0] = ct[0]! ^ 1;
    expect(() => box.open([parts[0], parts[1], parts[2], ct.toString('base64url')].join('.'), 'aad')).toThrow();
    expect(() => createSecretBox(randomBytes(32)).open(sealed, 'aad')).toThrow();
  });
});

describe('master key', () => {
  it('creates a 0600 key file once and reuses it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-key-'));
    const a = loadMasterKey({}, dir);
    const b = loadMasterKey({}, dir);
    expect(a.source).toBe('file');
    expect(a.key.equals(b.key)).toBe(true);
    expect(statSync(join(dir, 'master.key')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'master.key'), 'utf8').trim().length).toBeGreaterThan(40);
  });

  it('prefers the environment and validates its length', () => {
    const hex = randomBytes(32).toString('hex');
    expect(loadMasterKey({ SYNCWARDEN_MASTER_KEY: hex }, '/nonexistent-not-used').key.toString('hex')).toBe(hex);
    expect(() => decodeKey('too-short')).toThrow(/32 bytes/);
  });
});
