import { createHmac, hkdfSync } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { writeFileAtomic } from '../runtime/atomic-file.js';
import { AppError } from '../errors/index.js';

/**
 * The master keyring: every master key a process may open secrets with, by key id, and the one
 * it seals new secrets with (the primary). Several keys exist at once only during a rotation:
 * while `syncwarden keys rotate` re-encrypts, every process must open both the old and the new
 * key, whichever a row happens to be under at that moment.
 *
 * A key id is derived from the key (an HMAC of a fixed label), so every process names the same
 * key the same way without configuring ids, and an id says nothing usable about the key.
 */
export interface MasterKey {
  readonly id: string;
  readonly key: Buffer;
}

export type KeySource =
  | { readonly type: 'env'; readonly variable: 'SYNCWARDEN_MASTER_KEY' }
  /** A keyring file: SYNCWARDEN_MASTER_KEY_FILE, or master.key in the data folder. */
  | { readonly type: 'file'; readonly path: string; readonly origin: 'SYNCWARDEN_MASTER_KEY_FILE' | 'data folder' }
  | { readonly type: 'memory' };

export interface KeyringState {
  /** Seals new secrets: the first key of the configuration. */
  readonly primary: MasterKey;
  /** Every key, the primary first. */
  readonly keys: readonly MasterKey[];
}

export interface Keyring {
  readonly source: KeySource;
  /** The keys as last read (a file-backed keyring looks at its file at most once a second). */
  state(): KeyringState;
  /** A key by id; re-reads a file-backed keyring once when the id is unknown (another process may have just added it). */
  get(id: string): MasterKey | undefined;
  /** Re-reads the file now if it changed; returns whether the keys changed. */
  refresh(): boolean;
}

export const KEY_BYTES = 32;

export function keyIdOf(key: Buffer): string {
  return createHmac('sha256', key).update('syncwarden.master-key-id/v1').digest('hex').slice(0, 16);
}

export function masterKey(key: Buffer): MasterKey {
  if (key.length !== KEY_BYTES) throw new AppError('keys.invalid', { source: 'the keyring', detail: `a master key must be ${KEY_BYTES} bytes (AES-256), got ${key.length}` });
  return { id: keyIdOf(key), key };
}

/** A 32-byte key written as 64 hex characters or base64 (the format `master.key` always had). */
export function decodeKey(text: string, where = 'SYNCWARDEN_MASTER_KEY'): Buffer {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : /^[A-Za-z0-9+/_-]+={0,2}$/.test(t) ? Buffer.from(t, 'base64') : Buffer.alloc(0);
  if (key.length !== KEY_BYTES) {
    throw new AppError('keys.invalid', { source: where, detail: `each master key must be ${KEY_BYTES} bytes, written as 64 hex characters or base64` });
  }
  return key;
}

/**
 * The keyring file format (version 1): one key per line, 32 bytes as base64 or hex; `#` starts
 * a comment; the first key is the primary. A file holding a single key — `master.key` as every
 * earlier version wrote it — is a keyring of one.
 */
export function parseKeyring(text: string, where: string): MasterKey[] {
  const keys: MasterKey[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) continue;
    const k = masterKey(decodeKey(line, where));
    if (!keys.some((x) => x.id === k.id)) keys.push(k);
  }
  if (keys.length === 0) throw new AppError('keys.invalid', { source: where, detail: 'it holds no key' });
  return keys;
}

export function formatKeyring(keys: readonly MasterKey[], notes: ReadonlyMap<string, string> = new Map()): string {
  const lines = [
    '# Syncwarden master keyring (format 1). One key per line: 32 bytes, base64 or hex.',
    '# The first key seals new secrets; the others only open secrets sealed before a rotation.',
    '# `syncwarden keys status` shows which keys stored secrets still use; `keys retire` removes one.',
  ];
  for (const k of keys) lines.push(`${k.key.toString('base64')}  # key id ${k.id}${notes.get(k.id) ? `, ${notes.get(k.id)}` : ''}`);
  return lines.join('\n') + '\n';
}

/** Replaces a keyring file atomically (a reader sees the old or the new file, never half of one). */
export function writeKeyringFile(path: string, keys: readonly MasterKey[], notes?: ReadonlyMap<string, string>): void {
  writeFileAtomic(path, formatKeyring(keys, notes));
}

/** The audit log's MAC key of a master key (HKDF: never the master key itself). */
export function auditMacKeyOf(key: MasterKey): Buffer {
  return Buffer.from(hkdfSync('sha256', key.key, 'syncwarden', 'syncwarden.audit-mac/v1', 32));
}

/** A fixed keyring (the environment, tests). */
export function staticKeyring(keys: readonly MasterKey[], source: KeySource = { type: 'memory' }): Keyring {
  if (keys.length === 0) throw new AppError('keys.invalid', { source: 'the keyring', detail: 'it holds no key' });
  const state: KeyringState = { primary: keys[0]!, keys };
  return { source, state: () => state, get: (id) => keys.find((k) => k.id === id), refresh: () => false };
}

/**
 * A keyring read from a file and re-read when the file changes (a rotation in another process
 * rewrote it). A file that became unreadable keeps the keys last read, so a half-finished edit
 * by hand cannot take secrets away from a running process.
 */
export function fileKeyring(path: string, origin: 'SYNCWARDEN_MASTER_KEY_FILE' | 'data folder', onReloadError: (e: unknown) => void = () => undefined): Keyring {
  const source: KeySource = { type: 'file', path, origin };
  let stamp = fileStamp(path);
  let state = toState(parseKeyring(readFileSync(path, 'utf8'), path));
  let lastLook = Date.now();

  function reload(): boolean {
    lastLook = Date.now();
    const now = fileStamp(path);
    if (now === stamp) return false;
    try {
      const next = toState(parseKeyring(readFileSync(path, 'utf8'), path));
      stamp = now;
      const changed = next.keys.map((k) => k.id).join() !== state.keys.map((k) => k.id).join();
      state = next;
      return changed;
    } catch (e) {
      onReloadError(e);
      return false;
    }
  }

  return {
    source,
    state() {
      if (Date.now() - lastLook >= 1_000) reload();
      return state;
    },
    get(id) {
      return state.keys.find((k) => k.id === id) ?? (reload(), state.keys.find((k) => k.id === id));
    },
    refresh: reload,
  };
}

function toState(keys: MasterKey[]): KeyringState {
  return { primary: keys[0]!, keys };
}

function fileStamp(path: string): string {
  try {
    const s = statSync(path);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return 'missing';
  }
}
