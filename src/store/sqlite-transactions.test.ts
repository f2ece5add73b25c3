import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from './db.js';

/**
 * Two processes on one embedded database (the server and a worker) are two connections to one
 * file. A transaction that reads, then writes, must not be invalidated by the other's commit in
 * between: with SQLite's deferred BEGIN that write failed at once with SQLITE_BUSY_SNAPSHOT
 * ("database is locked", not retried by busy_timeout), which failed directory syncs in the
 * campaign-crash trials.
 */
describe('SQLite transactions', () => {
  const dirs: string[] = [];
  const stores: Store[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('a transaction that reads first holds the write lock: the other connection waits, the transaction commits', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sw-sqlite-trx-'));
    dirs.push(dataDir);
    const a = await openStore({ dataDir });
    const b = await openStore({ dataDir });
    stores.push(a, b);
    // The other connection gives up quickly instead of blocking this (single) thread 5 s.
    b.sqlite!.pragma('busy_timeout = 50');
    const row = (key: string) => ({ tenant_id: 't', id: key, kind: 'k', dedupe_key: key, payload_json: '{}', status: 'queued', run_at: '2026-01-01T00:00:00.000Z', attempts: 0, created_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:00.000Z' });
    let otherWrite: 'committed' | 'waited' = 'committed';
    await a.db.transaction().execute(async (trx) => {
      await trx.selectFrom('jobs').select('id').execute();
      try {
        await b.db.insertInto('jobs').values(row('from-b')).execute();
      } catch (e) {
        expect(String((e as { code?: string }).code)).toMatch(/^SQLITE_BUSY/);
        otherWrite = 'waited';
      }
      await trx.insertInto('jobs').values(row('from-a')).execute();
    });
    expect(otherWrite).toBe('waited');
    // The other connection writes once the transaction committed.
    await b.db.insertInto('jobs').values(row('from-b')).execute();
    expect((await a.db.selectFrom('jobs').select('id').orderBy('id').execute()).map((r) => r.id)).toEqual(['from-a', 'from-b']);
  });
});
