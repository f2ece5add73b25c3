import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors/index.js';
import { decodeKey, fileKeyring, keyIdOf, masterKey, parseKeyring, writeKeyringFile } from './keyring.js';
import { keyringWritable, loadKeyring } from './source.js';
import { createSecretBox } from './secret-box.js';

const dir = () => mkdtempSync(join(tmpdir(), 'sw-key-'));
const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return e instanceof AppError ? e.code : `not an AppError: ${String(e)}`;
  }
  return 'no error';
};

describe('master keyring', () => {
  it('derives a stable 16-hex key id that is not the key', () => {
    const key = randomBytes(32);
    expect(keyIdOf(key)).toMatch(/^[0-9a-f]{16}$/);
    expect(keyIdOf(Buffer.from(key))).toBe(keyIdOf(key));
    expect(keyIdOf(randomBytes(32))).not.toBe(keyIdOf(key));
    expect(key.toString('hex')).not.toContain(keyIdOf(key));
  });

  it('decodes hex and base64 keys and refuses anything else with a catalogue error', () => {
    const key = randomBytes(32);
    expect(decodeKey(key.toString('hex')).equals(key)).toBe(true);
    expect(decodeKey(key.toString('base64')).equals(key)).toBe(true);
    expect(code(() => decodeKey('too-short'))).toBe('keys.invalid');
    expect(code(() => decodeKey(randomBytes(16).toString('base64')))).toBe('keys.invalid');
  });

  it('reads a keyring file: one key per line, comments, the first is the primary; the old one-line master.key is a keyring of one', () => {
    const a = masterKey(randomBytes(32));
    const b = masterKey(randomBytes(32));
    const ring = parseKeyring(`# comment\n${b.key.toString('base64')}  # key id ${b.id}\n\n${a.key.toString('hex')}\n${b.key.toString('base64')}\n`, 'test');
    expect(ring.map((k) => k.id)).toEqual([b.id, a.id]);
    expect(parseKeyring(`${a.key.toString('base64')}\n`, 'test').map((k) => k.id)).toEqual([a.id]);
    expect(code(() => parseKeyring('# nothing\n', 'test'))).toBe('keys.invalid');
  });

  it('creates master.key in the data folder once, mode 0600, and reuses it', () => {
    const d = dir();
    const first = loadKeyring({}, d);
    const again = loadKeyring({}, d);
    expect(first.source).toEqual({ type: 'file', path: join(d, 'master.key'), origin: 'data folder' });
    expect(again.state().primary.id).toBe(first.state().primary.id);
    expect(statSync(join(d, 'master.key')).mode & 0o777).toBe(0o600);
    expect(keyringWritable(first)).toBe(true);
  });

  it('keeps reading a master.key written by earlier versions (one base64 line)', () => {
    const d = dir();
    const key = randomBytes(32);
    writeFileSync(join(d, 'master.key'), key.toString('base64') + '\n', { mode: 0o600 });
    expect(loadKeyring({}, d).state().primary.key.equals(key)).toBe(true);
  });

  it('takes several keys from SYNCWARDEN_MASTER_KEY, a file from SYNCWARDEN_MASTER_KEY_FILE, and refuses both at once', () => {
    const a = randomBytes(32);
    const b = randomBytes(32);
    const env = loadKeyring({ SYNCWARDEN_MASTER_KEY: `${b.toString('hex')}, ${a.toString('base64')}` }, '/nonexistent-not-used');
    expect(env.state().keys.map((k) => k.id)).toEqual([keyIdOf(b), keyIdOf(a)]);
    expect(keyringWritable(env)).toBe(false);
    const d = dir();
    const file = join(d, 'ring');
    writeKeyringFile(file, [masterKey(a)]);
    const fromFile = loadKeyring({ SYNCWARDEN_MASTER_KEY_FILE: file }, '/nonexistent-not-used');
    expect(fromFile.state().primary.id).toBe(keyIdOf(a));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(code(() => loadKeyring({ SYNCWARDEN_MASTER_KEY: a.toString('hex'), SYNCWARDEN_MASTER_KEY_FILE: file }, d))).toBe('keys.config_conflict');
    expect(code(() => loadKeyring({ SYNCWARDEN_MASTER_KEY_FILE: join(d, 'missing') }, d))).toBe('keys.invalid');
  });

  it('a file keyring picks up a key another process added, and keeps its keys when the file is broken', () => {
    const d = dir();
    const file = join(d, 'ring');
    const a = masterKey(randomBytes(32));
    const b = masterKey(randomBytes(32));
    writeKeyringFile(file, [a]);
    const ring = fileKeyring(file, 'SYNCWARDEN_MASTER_KEY_FILE');
    const box = createSecretBox(ring);
    // Another process adds b first and seals with it: this process opens it (the unknown id re-reads the file).
    writeKeyringFile(file, [b, a]);
    const other = createSecretBox(fileKeyring(file, 'SYNCWARDEN_MASTER_KEY_FILE'));
    expect(box.open(other.seal('sealed by the other process', 'aad'), 'aad')).toBe('sealed by the other process');
    expect(ring.state().primary.id).toBe(b.id);
    const errors: unknown[] = [];
    const watched = fileKeyring(file, 'SYNCWARDEN_MASTER_KEY_FILE', (e) => errors.push(e));
    writeFileSync(file, 'half-written\n');
    expect(watched.refresh()).toBe(false);
    expect(watched.state().keys.map((k) => k.id)).toEqual([b.id, a.id]);
    expect(errors).toHaveLength(1);
    expect(readFileSync(file, 'utf8')).toBe('half-written\n');
  });
});
