import type { Kysely, Selectable } from 'kysely';
import type { AuditCheckpointsTable, Database } from '../store/schema.js';
import type { AnchorRecord } from './anchors.js';
import { checkpointMac } from './hash.js';
import type { AuditSealer } from './sealing.js';

/**
 * Signed statements about a tenant's chain, each pinning (seq, hash):
 * - `legacy`: entries up to `seq` were written before entries carried a MAC; they are verified
 *   through the hash chain up to this pinned hash instead (made once, at the first signed append);
 * - `retention`: entries up to `seq` were deleted by the retention setting; the kept history
 *   starts at `seq + 1` and chains from `hash`.
 */
export type CheckpointKind = 'legacy' | 'retention';
export type CheckpointRow = Selectable<AuditCheckpointsTable>;

export function signCheckpoint(sealer: AuditSealer, c: { tenantId: string; kind: CheckpointKind; seq: number; hash: string; at: string; detail: Record<string, unknown> | null }): CheckpointRow {
  const { kid, key } = sealer.signingKey();
  const detailJson = c.detail ? JSON.stringify(c.detail) : null;
  return {
    tenant_id: c.tenantId,
    kind: c.kind,
    seq: c.seq,
    hash: c.hash,
    at: c.at,
    detail_json: detailJson,
    mac_kid: kid,
    mac: checkpointMac(key, { tenantId: c.tenantId, kind: c.kind, seq: c.seq, hash: c.hash, at: c.at, detailJson }),
  };
}

export async function insertCheckpoint(db: Kysely<Database>, row: CheckpointRow): Promise<void> {
  await db.insertInto('audit_checkpoints').values(row).onConflict((oc) => oc.columns(['tenant_id', 'kind', 'seq']).doNothing()).execute();
}

export async function checkpointsOf(db: Kysely<Database>, tenantId: string): Promise<CheckpointRow[]> {
  return db.selectFrom('audit_checkpoints').selectAll().where('tenant_id', '=', tenantId).orderBy('seq').execute();
}

export function checkpointAnchor(row: CheckpointRow): AnchorRecord {
  return { v: 1, type: 'checkpoint', tenant: row.tenant_id, kind: row.kind, seq: Number(row.seq), hash: row.hash, at: row.at, detail: row.detail_json, kid: row.mac_kid, mac: row.mac };
}
