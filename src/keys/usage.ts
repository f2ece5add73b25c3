import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { createSecretBox, type SecretBox } from './secret-box.js';
import { staticKeyring, type MasterKey } from './keyring.js';
import { sealedColumns, type SealedColumn, type SealedRow } from './sealed-columns.js';

/**
 * Which master key each stored secret is sealed with, counted from the ciphertexts' key ids
 * (`v2.<key id>.…`) without opening anything. Secrets sealed before key ids existed count as
 * `legacy`; which key opens them is found by trying (`legacyOpenedBy`).
 */
export interface ColumnUsage {
  readonly label: string;
  readonly table: string;
  /** Key id (or 'legacy') → number of stored secrets. */
  readonly byKey: Readonly<Record<string, number>>;
}

const kidExpr = (col: SealedColumn) =>
  sql<string>`CASE WHEN ${sql.ref(col.column)} LIKE 'v2.%' THEN substr(${sql.ref(col.column)}, 4, 16) ELSE 'legacy' END`;

export async function keyUsage(db: Kysely<Database>): Promise<ColumnUsage[]> {
  const out: ColumnUsage[] = [];
  for (const col of sealedColumns) {
    const rows = (await sql<{ kid: string; n: number | string }>`SELECT ${kidExpr(col)} AS kid, count(*) AS n FROM ${sql.table(col.table)} WHERE ${sql.ref(col.column)} IS NOT NULL GROUP BY 1`.execute(db)).rows;
    out.push({ label: col.label, table: col.table, byKey: Object.fromEntries(rows.map((r) => [r.kid, Number(r.n)])) });
  }
  return out;
}

export function totalsByKey(usage: readonly ColumnUsage[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const u of usage) for (const [k, n] of Object.entries(u.byKey)) out[k] = (out[k] ?? 0) + n;
  return out;
}

/** The legacy (v1) secrets that this key opens, per column label. */
export async function legacyOpenedBy(db: Kysely<Database>, key: MasterKey): Promise<Record<string, number>> {
  const box: SecretBox = createSecretBox(staticKeyring([key]));
  const out: Record<string, number> = {};
  for (const col of sealedColumns) {
    const cols = [...new Set([...col.key, ...col.reads, col.column])];
    const rows = (await sql<SealedRow>`SELECT ${sql.join(cols.map((c) => sql.ref(c)))} FROM ${sql.table(col.table)} WHERE ${sql.ref(col.column)} LIKE 'v1.%'`.execute(db)).rows;
    for (const row of rows) {
      try {
        box.open(String(row[col.column]), col.aad(row));
        out[col.label] = (out[col.label] ?? 0) + 1;
      } catch {
        // Another key's, or unreadable: not this key's.
      }
    }
  }
  return out;
}
