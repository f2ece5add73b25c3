import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The canonical forms an audit entry is hashed in, and the MACs that sign chain heads and
 * checkpoints. Persisted formats: an entry records its form in `hash_version`.
 *
 * - Form 1 (`hash_version` null, entries written before migration 0012): a fixed list of columns.
 * - Form 2: every column of the row except the hash and its MAC, by name, null columns left out.
 *   A column added later (the actor's address, say) is covered without a new form, and entries
 *   written before it existed keep their hash — which is why audit columns are always added
 *   nullable, without a default (a default would change every older entry's form).
 */
export const GENESIS = '0'.repeat(64);
export const HASH_VERSION = 2;

/** Columns that are not part of the hashed content: the hash itself and the MAC over it. */
const BOOKKEEPING = new Set(['hash', 'mac', 'mac_kid']);
const V1_COLUMNS = ['tenant_id', 'id', 'seq', 'at', 'severity', 'action', 'actor', 'target_type', 'target_id', 'target_name', 'message', 'code', 'params_json', 'prev_hash'] as const;

export type AuditColumnValue = string | number | null;
export type AuditRowLike = Readonly<Record<string, unknown>>;

export function hashOf(row: AuditRowLike): string {
  const version = row['hash_version'] === null || row['hash_version'] === undefined ? 1 : Number(row['hash_version']);
  const canonical = version === 1 ? JSON.stringify(V1_COLUMNS.map((c) => row[c])) : canonicalV2(row);
  return createHash('sha256').update(canonical).digest('hex');
}

/** Form 2: `[name, value]` pairs sorted by name (JSON, so no two rows share a form). */
export function canonicalV2(row: AuditRowLike): string {
  const pairs: [string, AuditColumnValue][] = [];
  for (const name of Object.keys(row).sort()) {
    if (BOOKKEEPING.has(name)) continue;
    const v = normalise(name, row[name]);
    if (v !== null) pairs.push([name, v]);
  }
  return `syncwarden.audit-entry/v2\n${JSON.stringify(pairs)}`;
}

/**
 * Columns a form-1 entry holds a value in that form 1 does not hash. Such an entry predates
 * those columns, so they must be empty; a value there was written afterwards.
 */
export function uncoveredColumns(row: AuditRowLike): string[] {
  if (row['hash_version'] !== null && row['hash_version'] !== undefined) return [];
  const covered = new Set<string>([...V1_COLUMNS, ...BOOKKEEPING, 'hash_version']);
  return Object.keys(row).filter((k) => !covered.has(k) && row[k] !== null && row[k] !== undefined);
}

function normalise(name: string, v: unknown): AuditColumnValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'number') return v;
  // A PostgreSQL bigint arrives as a string, a boolean column as a boolean: audit columns are
  // text or 32-bit integers only (src/store/schema.ts), and anything else would hash differently
  // on the two databases.
  if (typeof v === 'bigint') return Number(v);
  throw new Error(`audit column ${name} holds a ${typeof v}: audit columns are text or integers`);
}

/** The MAC over a chain head: this tenant's entry `seq` has hash `hash`. */
export function headMac(key: Buffer, tenantId: string, seq: number, hash: string): string {
  return mac(key, ['syncwarden.audit-head/v1', tenantId, String(seq), hash]);
}

export interface CheckpointFields {
  readonly tenantId: string;
  readonly kind: string;
  readonly seq: number;
  readonly hash: string;
  readonly at: string;
  readonly detailJson: string | null;
}

export function checkpointMac(key: Buffer, c: CheckpointFields): string {
  return mac(key, ['syncwarden.audit-checkpoint/v1', c.tenantId, c.kind, String(c.seq), c.hash, c.at, c.detailJson ?? '']);
}

export function macMatches(expected: string, given: string | null | undefined): boolean {
  if (!given) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

function mac(key: Buffer, parts: readonly string[]): string {
  return createHmac('sha256', key).update(parts.join('\n')).digest('base64url');
}
