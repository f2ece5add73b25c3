import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The master key comes from SYNCWARDEN_MASTER_KEY (32 bytes as base64 or hex) — what a
 * scaled-out deployment must use, so every process shares it — or from a key file created
 * with mode 0600 in the data directory on first start (embedded mode).
 */
export function loadMasterKey(env: NodeJS.ProcessEnv, dataDir: string): { key: Buffer; source: 'env' | 'file' } {
  const fromEnv = env['SYNCWARDEN_MASTER_KEY'];
  if (fromEnv) return { key: decodeKey(fromEnv), source: 'env' };
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'master.key');
  if (!existsSync(file)) {
    writeFileSync(file, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  }
  return { key: decodeKey(readFileSync(file, 'utf8').trim()), source: 'file' };
}

export function decodeKey(text: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if (key.length !== 32) {
    throw new Error('SYNCWARDEN_MASTER_KEY must be 32 bytes, written as 64 hex characters or base64');
  }
  return key;
}
