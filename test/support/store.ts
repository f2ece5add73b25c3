import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openStore, type Dialect, type Store } from '../../src/store/db.js';

export const PG_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * A fresh, real database for one test file: a temporary SQLite file, or a private schema in
 * the PostgreSQL test database (dropped on close).
 */
export async function openTestStore(dialect: Dialect): Promise<Store & { dataDir: string; url: string | undefined; schema: string | undefined }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sw-test-'));
  if (dialect === 'sqlite') {
    const store = await openStore({ dataDir });
    return {
      ...store,
      dataDir,
      url: undefined,
      schema: undefined,
      close: async () => {
        await store.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const schema = `t_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const store = await openStore({ databaseUrl: PG_URL, pgSchema: schema, dataDir });
  return {
    ...store,
    dataDir,
    url: PG_URL,
    schema,
    close: async () => {
      await store.close();
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
