import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../../test/support/store.js';
import { sealedColumns } from './sealed-columns.js';

/**
 * Every column that stores a sealed value is in the registry a key rotation works from: a
 * `*ciphertext*` column left out would keep secrets under a key `keys retire` then removes.
 */
describe('sealed columns registry', () => {
  let store: Awaited<ReturnType<typeof openTestStore>>;
  beforeAll(async () => {
    store = await openTestStore('sqlite');
  });
  afterAll(async () => store?.close());

  it('lists every *ciphertext* column of the schema, each with its primary key', async () => {
    const tables = store.sqlite!.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'kysely_%'`).all() as { name: string }[];
    const found: string[] = [];
    const keys = new Map<string, string[]>();
    for (const { name } of tables) {
      const cols = store.sqlite!.prepare(`PRAGMA table_info(${JSON.stringify(name)})`).all() as { name: string; pk: number }[];
      for (const c of cols) if (/ciphertext/.test(c.name)) found.push(`${name}.${c.name}`);
      keys.set(name, cols.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name));
    }
    expect(found.length).toBeGreaterThanOrEqual(4);
    expect(sealedColumns.map((c) => `${c.table}.${c.column}`).sort()).toEqual(found.sort());
    for (const c of sealedColumns) expect(c.key, c.table).toEqual(keys.get(c.table));
  });
});
