import type { Runtime } from '../runtime/context.js';
import { AppError } from '../errors/index.js';
import { auditSealerOf, storeAuditMacKeys } from '../audit/sealing.js';
import { writeKeyringFile } from './keyring.js';
import { describeSource, keyringWritable } from './source.js';
import { holderName, liveHolders } from './holders.js';
import { keyUsage, legacyOpenedBy } from './usage.js';
import { recentRotations, rotationState } from './rotation.js';
import { recordKeyEvent } from './events.js';

export interface RetireResult {
  readonly keyId: string;
  /** True when Syncwarden removed it from the keyring file; false: remove it from the configuration yourself. */
  readonly removed: boolean;
  readonly source: string;
}

/**
 * `syncwarden keys retire <id>`: removes an old master key once nothing needs it — no stored
 * secret sealed with it (legacy ones found by trying), no process sealing with it, no rotation
 * running. Its audit MAC key is kept sealed under the remaining keys first, so the audit entries
 * it signed stay verifiable.
 */
export async function retireKey(rt: Runtime, keyId: string, actor = 'cli'): Promise<RetireResult> {
  const db = rt.store.db;
  const ring = rt.secrets.keyring;
  ring.refresh();
  const source = describeSource(ring);
  const key = ring.get(keyId);
  if (!key) throw new AppError('keys.key_unknown', { keyId, source });
  if (ring.state().primary.id === keyId) throw new AppError('keys.key_is_primary', { keyId, where: `this keyring (${source})` });
  const sealing = (await liveHolders(db)).filter((h) => h.primary_kid === keyId);
  if (sealing.length) throw new AppError('keys.key_is_primary', { keyId, where: sealing.map((h) => `process ${holderName(h)}`).join(', ') });
  const running = (await recentRotations(db, 1)).find((r) => rotationState(r) === 'running');
  if (running) throw new AppError('keys.rotation_running', { id: running.id, keyId: running.target_kid, owner: `${running.owner_host} pid ${running.owner_pid}`, updatedAt: running.updated_at });

  const sealer = auditSealerOf(db);
  if (sealer) await storeAuditMacKeys(db, sealer, rt.now());
  const inUse: Record<string, number> = {};
  for (const u of await keyUsage(db)) if (u.byKey[keyId]) inUse[u.label] = u.byKey[keyId]!;
  for (const [label, n] of Object.entries(await legacyOpenedBy(db, key))) inUse[label] = (inUse[label] ?? 0) + n;
  const count = Object.values(inUse).reduce((a, b) => a + b, 0);
  if (count > 0) throw new AppError('keys.key_in_use', { keyId, count, where: Object.entries(inUse).map(([l, n]) => `${n} ${l}`).join(', ') });

  let removed = false;
  if (ring.source.type === 'file' && keyringWritable(ring)) {
    writeKeyringFile(ring.source.path, ring.state().keys.filter((k) => k.id !== keyId));
    ring.refresh();
    removed = true;
  }
  await recordKeyEvent(rt, 'info', 'keys.retired', `Master key ${keyId} retired: no stored secret used it${removed ? '; removed from the keyring file' : '; remove it from every process\'s configuration'}`, actor);
  return { keyId, removed, source };
}
