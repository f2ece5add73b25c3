import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { AppError } from '../errors/index.js';
import { decodeKey, fileKeyring, formatKeyring, masterKey, staticKeyring, type Keyring } from './keyring.js';

/**
 * Where the master keyring comes from, in this order:
 * 1. `SYNCWARDEN_MASTER_KEY` — one key, or several separated by commas (the first seals);
 * 2. `SYNCWARDEN_MASTER_KEY_FILE` — a keyring file (see keyring.ts), e.g. a mounted secret that
 *    every process of a scaled-out installation reads;
 * 3. `master.key` in the data folder, created with mode 0600 on first start (embedded mode).
 * Setting both variables is refused: which one would seal new secrets?
 */
export function loadKeyring(env: NodeJS.ProcessEnv, dataDir: string, onReloadError?: (e: unknown) => void): Keyring {
  const fromEnv = env['SYNCWARDEN_MASTER_KEY'];
  const file = env['SYNCWARDEN_MASTER_KEY_FILE'];
  if (fromEnv && file) throw new AppError('keys.config_conflict');
  if (fromEnv) {
    const keys = fromEnv.split(/[\s,]+/).filter(Boolean).map((k) => masterKey(decodeKey(k, 'SYNCWARDEN_MASTER_KEY')));
    return staticKeyring(keys.filter((k, i) => keys.findIndex((x) => x.id === k.id) === i), { type: 'env', variable: 'SYNCWARDEN_MASTER_KEY' });
  }
  if (file) {
    const path = resolve(file);
    if (!existsSync(path)) throw new AppError('keys.invalid', { source: 'SYNCWARDEN_MASTER_KEY_FILE', detail: `${path} does not exist` });
    return fileKeyring(path, 'SYNCWARDEN_MASTER_KEY_FILE', onReloadError);
  }
  mkdirSync(dataDir, { recursive: true });
  const path = join(resolve(dataDir), 'master.key');
  if (!existsSync(path)) {
    try {
      writeFileSync(path, formatKeyring([masterKey(randomBytes(32))]), { mode: 0o600, flag: 'wx' });
    } catch (e) {
      // Another process of this data folder created it first: use theirs.
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  return fileKeyring(path, 'data folder', onReloadError);
}

/** Whether `keys rotate` can add a key itself: a keyring file it may replace. */
export function keyringWritable(ring: Keyring): boolean {
  if (ring.source.type !== 'file') return false;
  try {
    accessSync(ring.source.path, constants.W_OK);
    accessSync(dirname(ring.source.path), constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export function describeSource(ring: Keyring): string {
  switch (ring.source.type) {
    case 'env':
      return 'the environment (SYNCWARDEN_MASTER_KEY)';
    case 'file':
      return ring.source.origin === 'data folder' ? `the data folder's key file (${ring.source.path})` : `SYNCWARDEN_MASTER_KEY_FILE (${ring.source.path})`;
    case 'memory':
      return 'memory';
  }
}
