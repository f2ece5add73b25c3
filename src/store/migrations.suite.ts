import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Migrator, sql } from 'kysely';
import { MIGRATION_NAMES, migrationProvider, type Dialect } from './db.js';
import { openTestStore } from '../../test/support/store.js';

/**
 * Every migration's `down` undoes its `up`: from the latest schema, each is rolled back in
 * turn (newest first) until nothing of ours is left, then all apply again — on the database
 * under test, SQLite's FTS tables and triggers and PostgreSQL's trigram indexes included.
 */
export function migrationsSuite(dialect: Dialect): void {
  describe(`migrations on ${dialect}: each rolls back, then all apply again`, () => {
    let store: Awaited<ReturnType<typeof openTestStore>>;
    beforeAll(async () => {
      store = await openTestStore(dialect);
    });
    afterAll(async () => store.close());

    const ours = async (): Promise<string[]> => {
      if (dialect === 'sqlite') {
        const r = await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type IN ('table', 'index', 'trigger', 'view') AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'kysely_%' ORDER BY name`.execute(store.db);
        return r.rows.map((x) => x.name);
      }
      const r = await sql<{ name: string }>`SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'i', 'v', 'm', 'S') AND c.relname NOT LIKE 'kysely_%' ORDER BY 1`.execute(store.db);
      return r.rows.map((x) => x.name);
    };

    it('rolls back every migration, newest first, leaving nothing; then migrates to the latest again', async () => {
      const schema = dialect === 'postgres' ? store.schema : undefined;
      const migrator = new Migrator({ db: store.db, provider: migrationProvider, allowUnorderedMigrations: true, ...(schema ? { migrationTableSchema: schema } : {}) });
      const before = await ours();
      expect(before.length).toBeGreaterThan(40);
      for (const name of [...MIGRATION_NAMES].reverse()) {
        const r = await migrator.migrateDown();
        expect(r.error, `${name} down: ${String(r.error)}`).toBeUndefined();
        expect(r.results?.map((x) => [x.migrationName, x.direction, x.status])).toEqual([[name, 'Down', 'Success']]);
      }
      expect(await ours()).toEqual([]);
      const up = await migrator.migrateToLatest();
      expect(up.error).toBeUndefined();
      expect(up.results?.map((x) => x.migrationName)).toEqual([...MIGRATION_NAMES]);
      expect(await ours()).toEqual(before);
    }, 120_000);
  });
}
