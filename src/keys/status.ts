import type { Runtime } from '../runtime/context.js';
import { describeSource, keyringWritable } from './source.js';
import { liveHolders, holderName } from './holders.js';
import { keyUsage, legacyOpenedBy, totalsByKey, type ColumnUsage } from './usage.js';
import { recentRotations, rotationState } from './rotation.js';

/** `syncwarden keys status` / `GET /api/v1/keys`: keys, what uses them, processes, rotations — never a key. */
export interface KeyStatus {
  readonly keyring: { readonly source: string; readonly writable: boolean; readonly primary: string };
  readonly keys: readonly { readonly id: string; readonly primary: boolean; readonly secrets: number; readonly legacySecrets: number }[];
  /** Per kind of secret: key id (or 'legacy') → count. */
  readonly usage: readonly ColumnUsage[];
  /** Key ids secrets are sealed with that this keyring does not have. */
  readonly unknownKeys: readonly { readonly id: string; readonly secrets: number }[];
  readonly auditSigningKeys: readonly { readonly id: string; readonly inKeyring: boolean }[];
  readonly processes: readonly { readonly id: string; readonly name: string; readonly kind: string; readonly version: string; readonly primary: string; readonly keys: readonly string[]; readonly seenAt: string }[];
  readonly rotations: readonly {
    readonly id: string; readonly targetKeyId: string; readonly state: string; readonly startedAt: string; readonly finishedAt: string | null;
    readonly done: number; readonly total: number; readonly skipped: number; readonly unreadable: number; readonly unreadableRows: readonly string[]; readonly resumed: number;
  }[];
  /** What to do next, in words. */
  readonly advice: readonly string[];
}

export async function keyStatus(rt: Runtime): Promise<KeyStatus> {
  const db = rt.store.db;
  const ring = rt.secrets.keyring;
  ring.refresh();
  const state = ring.state();
  const usage = await keyUsage(db);
  const totals = totalsByKey(usage);
  const keys = [];
  for (const k of state.keys) {
    const legacy = totals['legacy'] ? Object.values(await legacyOpenedBy(db, k)).reduce((a, b) => a + b, 0) : 0;
    keys.push({ id: k.id, primary: k.id === state.primary.id, secrets: totals[k.id] ?? 0, legacySecrets: legacy });
  }
  const unknownKeys = Object.entries(totals).filter(([id]) => id !== 'legacy' && !state.keys.some((k) => k.id === id)).map(([id, secrets]) => ({ id, secrets }));
  const stored = (await db.selectFrom('audit_mac_keys').select('kid').orderBy('created_at').execute()).map((r) => r.kid);
  const holders = await liveHolders(db);
  const rotations = (await recentRotations(db)).map((r) => ({
    id: r.id, targetKeyId: r.target_kid, state: rotationState(r), startedAt: r.started_at, finishedAt: r.finished_at,
    done: Number(r.done), total: Number(r.total), skipped: Number(r.skipped), unreadable: Number(r.unreadable),
    unreadableRows: r.unreadable_json ? (JSON.parse(r.unreadable_json) as { row: string }[]).map((u) => u.row) : [], resumed: Number(r.resumed),
  }));

  const advice: string[] = [];
  const interrupted = rotations.find((r) => r.state === 'interrupted');
  if (interrupted) advice.push(`The rotation to key ${interrupted.targetKeyId} was interrupted at ${interrupted.done} of ${interrupted.total}: run \`syncwarden keys rotate\` to resume it.`);
  const running = rotations.find((r) => r.state === 'running');
  if (running) advice.push(`A rotation to key ${running.targetKeyId} is running: ${running.done} of ${running.total} re-encrypted.`);
  const notPrimary = Object.entries(totals).filter(([id]) => id !== state.primary.id).reduce((a, [, n]) => a + n, 0);
  if (!running && !interrupted && notPrimary > 0) advice.push(`${notPrimary} stored secret(s) are not under the primary key ${state.primary.id} yet: run \`syncwarden keys rotate --no-new-key\`.`);
  for (const k of keys) if (!k.primary && k.secrets === 0 && k.legacySecrets === 0 && !running) advice.push(`Key ${k.id} is no longer used by any stored secret: \`syncwarden keys retire ${k.id}\`.`);
  for (const u of unknownKeys) advice.push(`${u.secrets} stored secret(s) are sealed with key ${u.id}, which this keyring does not have: they cannot be opened here.`);
  for (const h of holders) {
    if (h.primary_kid !== state.primary.id) advice.push(`Process ${holderName(h)} seals with key ${h.primary_kid}, not ${state.primary.id}: give it the same keyring.`);
  }
  return {
    keyring: { source: describeSource(ring), writable: keyringWritable(ring), primary: state.primary.id },
    keys,
    usage,
    unknownKeys,
    auditSigningKeys: [...new Set([...stored, ...state.keys.map((k) => k.id)])].map((id) => ({ id, inKeyring: state.keys.some((k) => k.id === id) })),
    processes: holders.map((h) => ({ id: h.id, name: holderName(h), kind: h.kind, version: h.version, primary: h.primary_kid, keys: h.kids.split(' '), seenAt: h.seen_at })),
    rotations,
    advice,
  };
}
