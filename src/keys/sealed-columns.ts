import { aadFor } from '../connections/credentials.js';
import { platformSecretAad } from '../connections/platform-secrets.js';
import { channelAad } from '../notify/channels.js';
import { auditMacKeyAad } from '../audit/sealing.js';

/**
 * Every column that holds a sealed value (src/keys/secret-box.ts), with how to find its rows and
 * the associated data each row is sealed for. A key rotation re-encrypts exactly these; `keys
 * status` counts them per key; `keys retire` refuses while one still uses the key. A new sealed
 * column must be added here — `sealed-columns.test.ts` fails for a `*ciphertext*` column that is
 * not (the associated-data function should be the one its writer seals with, imported, not copied).
 */
export interface SealedColumn {
  /** How an admin calls these secrets. */
  readonly label: string;
  readonly table: string;
  readonly column: string;
  /** The primary key, for keyset paging and compare-and-set updates. */
  readonly key: readonly string[];
  /** Other columns the associated data needs. */
  readonly reads: readonly string[];
  aad(row: SealedRow): string;
  /** When re-sealing: the associated data to seal for and columns to set with it (defaults: `aad(row)`, nothing). */
  reseal?(row: SealedRow): { aad: string; set: Readonly<Record<string, string | number>> };
}

export type SealedRow = Readonly<Record<string, unknown>>;

const str = (row: SealedRow, c: string): string => String(row[c]);

export const sealedColumns: readonly SealedColumn[] = [
  {
    label: 'connection credentials',
    table: 'connection_credentials',
    column: 'secret_ciphertext',
    key: ['tenant_id', 'id'],
    reads: ['connection_id', 'aad_scheme'],
    aad: (row) => aadFor(str(row, 'tenant_id'), { id: str(row, 'id'), connection_id: str(row, 'connection_id'), aad_scheme: Number(row['aad_scheme']) }),
    // A credential still sealed for its connection only (scheme 0, from before migration 0004)
    // moves to its own associated data while it is re-sealed anyway.
    reseal: (row) => ({ aad: aadFor(str(row, 'tenant_id'), { id: str(row, 'id'), connection_id: str(row, 'connection_id'), aad_scheme: 1 }), set: { aad_scheme: 1 } }),
  },
  {
    label: 'installation secrets',
    table: 'secrets',
    column: 'ciphertext',
    key: ['tenant_id', 'name'],
    reads: [],
    aad: (row) => platformSecretAad(str(row, 'tenant_id'), str(row, 'name')),
  },
  {
    label: 'alert channel secrets',
    table: 'alert_channels',
    column: 'secret_ciphertext',
    key: ['tenant_id', 'id'],
    reads: [],
    aad: (row) => channelAad(str(row, 'tenant_id'), str(row, 'id')),
  },
  {
    label: 'audit signing keys',
    table: 'audit_mac_keys',
    column: 'ciphertext',
    key: ['kid'],
    reads: [],
    aad: (row) => auditMacKeyAad(str(row, 'kid')),
  },
];
