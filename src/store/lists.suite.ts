import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../../test/support/store.js';
import type { Dialect, Store } from './db.js';
import { after, countUpTo, decodeCursor, encodeCursor, type SortKey } from './keyset.js';
import { searchCount, searchPage, textMatches } from './text-search.js';
import { querySyncUsers, type SyncUserRow } from './sync-repo.js';

/**
 * The long lists' paging and search (migration 0018) on a real database: keyset pages walk
 * the whole filtered list exactly once in order (ties on the name broken by id), the trigram
 * search finds substrings anywhere and follows inserts, renames and deletes, and counts stop
 * at their cap.
 */
export function listsSuite(dialect: Dialect): void {
  describe(`long lists on ${dialect}`, () => {
    let store: Store & { close(): Promise<void> };
    const T = 'tenant_a';
    const now = new Date().toISOString();
    const row = (i: number, name: string, status: string): Omit<SyncUserRow, never> => ({
      tenant_id: T, id: `su_${String(i).padStart(4, '0')}`, policy_id: i % 2 ? 'p1' : 'p2', source_user_id: `s${i}`, email: `user${i}@source.test`,
      display_name: name, given_name: null, surname: null, destination_email: `u${i}@standby.test`, destination_user_id: null, status,
      exported: 0, imported: 0, failed_items: 0, last_error_json: null, last_sync_at: null, next_sync_at: null, created_at: now, updated_at: now,
      throttled_by: null, consecutive_failures: 0, transient_retries: 0, last_attempt_at: null, destination_created: 0, destination_ready_at: null,
      excluded_at: null, exclusion_reason: null, delete_after: null, destination_deleted_at: null, window_start: null, folders_listed_at: null,
      imported_bytes: 0, category_labels_json: null, cycle_started_at: null,
    });
    const NAMES = ['Ava Smith', 'Ben Jones', 'Ava Smith', 'Zoë Ångström', "O'Brien \"Bob\"", 'ava smithson', '100% Sure_Thing'];

    beforeAll(async () => {
      store = await openTestStore(dialect);
      const rows = Array.from({ length: 257 }, (_, i) => row(i, NAMES[i % NAMES.length]!, i % 3 ? 'synced' : 'failed'));
      for (let i = 0; i < rows.length; i += 100) await store.db.insertInto('sync_users').values(rows.slice(i, i + 100)).execute();
      // Another tenant's look-alike rows never show.
      await store.db.insertInto('sync_users').values({ ...row(999, 'Ava Smith', 'synced'), tenant_id: 'tenant_b' }).execute();
    }, 60_000);
    afterAll(async () => store?.close());

    async function walk(q: { status?: string; q?: string }, limit: number): Promise<string[]> {
      const ids: string[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 1000; pages++) {
        const r = await querySyncUsers(store.db, T, { ...q, limit, cursor });
        ids.push(...r.rows.map((u) => u.id));
        if (!r.nextCursor) return ids;
        cursor = r.nextCursor;
      }
      throw new Error('paging did not end');
    }

    it('keyset pages cover the filtered list once, in name then id order', async () => {
      const all = await store.db.selectFrom('sync_users').select(['id', 'display_name', 'status']).where('tenant_id', '=', T).execute();
      const ordered = (rows: typeof all) => [...rows].sort((a, b) => (a.display_name < b.display_name ? -1 : a.display_name > b.display_name ? 1 : a.id < b.id ? -1 : 1)).map((r) => r.id);
      // The database's collation decides the order; compare with its own ORDER BY.
      const dbOrder = (await store.db.selectFrom('sync_users').select('id').where('tenant_id', '=', T).orderBy('display_name').orderBy('id').execute()).map((r) => r.id);
      expect(await walk({}, 10)).toEqual(dbOrder);
      expect(new Set(dbOrder).size).toBe(257);
      expect(ordered(all).length).toBe(257);
      const failed = (await store.db.selectFrom('sync_users').select('id').where('tenant_id', '=', T).where('status', '=', 'failed').orderBy('display_name').orderBy('id').execute()).map((r) => r.id);
      expect(await walk({ status: 'failed' }, 7)).toEqual(failed);
      expect(failed.length).toBe(86);
    });

    it('searches substrings anywhere, case-insensitively, taking wildcards literally', async () => {
      const count = async (q: string) => (await walk({ q }, 50)).length;
      expect(await count('ava smith')).toBe(3 * 37 - 1); // 'Ava Smith' ×2 and 'ava smithson' per 7 rows, 257 rows
      expect(await count('SMITHSON')).toBe(36);
      expect(await count('ngstr')).toBe(37);
      expect(await count('"bob"')).toBe(37);
      expect(await count('100%')).toBe(36);
      expect(await count('e_t')).toBe(36); // literally in 'Sure_Thing'
      expect(await count('s_r')).toBe(0); // '_' is not a wildcard ('sur' would match one)
      expect(await count('e%t')).toBe(0); // nor is '%'
      expect(await count('%')).toBe(36);
      expect(await count('u12@stand')).toBe(1); // the destination address
      expect(await count('user250@source')).toBe(1);
      expect(await count('zz')).toBe(0); // shorter than a trigram: scanned
    });

    it('a search page is the one-query page, whichever steps found it (walk, trigram matches, both)', async () => {
      const filtered = (status?: string) => () => {
        let q = store.db.selectFrom('sync_users').where('tenant_id', '=', T);
        if (status) q = q.where('status', '=', status);
        return q;
      };
      // The plain form, whose planner-dependent cost searchPage avoids: the rows it must give.
      const expected = async (q: string, status: string | undefined, key: SortKey | undefined, take: number) => {
        const base = filtered(status)().where(textMatches(store.db, 'sync_users', q));
        return (await (key ? base.where(after(['display_name', 'id'], key)) : base).select('id').orderBy('display_name').orderBy('id').limit(take).execute()).map((r) => r.id);
      };
      const terms = ['ava', 'ava smith', 'smithson', 'a', 'av', '100%', 'e_t', 's_r', '"bob"', "o'b", 'zz', 'user1', 'ngstr', 'ÅNGSTRÖM', 'zoë', 'nobody here'];
      // rare 0: every term walks (SQLite); rare 10,000: every term reads its trigram matches. Walks of 3
      // and 40 rows run out before most pages fill and continue from the trigram matches.
      const stepsList = [{ walk: 3, rare: 0 }, { walk: 40, rare: 0 }, { walk: 1000, rare: 0 }, { walk: 3, rare: 10_000 }];
      let pagesSeen = 0;
      for (const q of terms) for (const status of [undefined, 'failed']) for (const steps of stepsList) for (const take of [1, 8, 51]) {
        let key: SortKey | undefined;
        for (let guard = 0; guard < 400; guard++) {
          const rows = await searchPage<SyncUserRow>(store.db, 'sync_users', q, take, key, filtered(status), { steps, tenantOnly: status ? undefined : T });
          expect(rows.map((r) => r.id), `${q} ${status} ${JSON.stringify(steps)} ${take} after ${JSON.stringify(key)}`).toEqual(await expected(q, status, key, take));
          pagesSeen++;
          if (rows.length < take) break;
          key = [rows[rows.length - 1]!.display_name, rows[rows.length - 1]!.id];
        }
      }
      expect(pagesSeen).toBeGreaterThan(1000);
      // The total: the trigram matches joined (SQLite) count what the plain form counts, capped alike.
      for (const q of terms) for (const status of [undefined, 'failed']) for (const cap of [5, 100, 10_000]) {
        expect(await searchCount(store.db, 'sync_users', q, filtered(status), cap), `${q} ${status} ${cap}`).toEqual(await countUpTo(store.db, filtered(status)().where(textMatches(store.db, 'sync_users', q)).selectAll(), cap));
      }
    }, 120_000);

    it('a common term across many pages and a rare one, at the real step sizes', async () => {
      const C = 'tenant_c';
      // 2,600 matches: more than the trigram count under which SQLite sorts the matches directly.
      const rows = Array.from({ length: 2700 }, (_, i) => ({ ...row(i, i % 27 === 5 ? `Rare Quokka ${i}` : `Common Name ${(i * 7919) % 2700}`, 'synced'), tenant_id: C }));
      for (let i = 0; i < rows.length; i += 300) await store.db.insertInto('sync_users').values(rows.slice(i, i + 300)).execute();
      const all = async (q: string, limit: number) => {
        const ids: string[] = [];
        let cursor: string | undefined;
        let first: { total: number; totalExact: boolean } | undefined;
        for (let pages = 0; pages < 1000; pages++) {
          const r = await querySyncUsers(store.db, C, { q, limit, cursor });
          first ??= r;
          ids.push(...r.rows.map((u) => u.id));
          if (!r.nextCursor) return { ids, total: first.total, exact: first.totalExact };
          cursor = r.nextCursor;
        }
        throw new Error('paging did not end');
      };
      const order = async (q: string) => (await store.db.selectFrom('sync_users').select('id').where('tenant_id', '=', C).where(textMatches(store.db, 'sync_users', q)).orderBy('display_name').orderBy('id').execute()).map((r) => r.id);
      const common = await all('common name', 200);
      expect(common.ids).toEqual(await order('common name'));
      expect(common).toMatchObject({ total: 2600, exact: true });
      expect(common.ids.length).toBe(2600);
      const rare = await all('quokka', 30);
      expect(rare.ids).toEqual(await order('quokka'));
      expect(rare).toMatchObject({ total: 100, exact: true });
      expect((await all('co', 500)).ids).toEqual(await order('co')); // under a trigram: the walk alone
    }, 120_000);

    it("a search total read from the trigram index alone while the table holds one tenant's rows", async () => {
      const own = await openTestStore(dialect);
      try {
        const rows = Array.from({ length: 60 }, (_, i) => row(i, NAMES[i % NAMES.length]!, 'synced'));
        await own.db.insertInto('sync_users').values(rows).execute();
        const filtered = () => own.db.selectFrom('sync_users').where('tenant_id', '=', T);
        const plain = (q: string, cap: number) => countUpTo(own.db, filtered().where(textMatches(own.db, 'sync_users', q)).selectAll(), cap);
        const terms = ['ava smith', 'smithson', '100%', 'zz', 'nobody'];
        for (const q of terms) for (const cap of [3, 1000]) expect(await searchCount(own.db, 'sync_users', q, filtered, cap, T), `${q} ${cap}`).toEqual(await plain(q, cap));
        expect(await searchCount(own.db, 'sync_users', 'ava smith', filtered, 1000, T)).toEqual({ total: 26, exact: true });
        // Another tenant's look-alikes, before and after this tenant in the index: not counted.
        await own.db.insertInto('sync_users').values([{ ...row(900, 'Ava Smith', 'synced'), tenant_id: 'a_first' }, { ...row(901, 'Ava Smith', 'synced'), tenant_id: 'z_last' }]).execute();
        for (const q of terms) expect(await searchCount(own.db, 'sync_users', q, filtered, 1000, T), q).toEqual(await plain(q, 1000));
        expect(await searchCount(own.db, 'sync_users', 'ava smith', filtered, 1000, T)).toEqual({ total: 26, exact: true });
      } finally {
        await own.close();
      }
    });

    it('the search follows renames, new rows and deletions', async () => {
      await store.db.updateTable('sync_users').set({ display_name: 'Quentin Quartz' }).where('tenant_id', '=', T).where('id', '=', 'su_0001').execute();
      expect(await walk({ q: 'quartz' }, 50)).toEqual(['su_0001']);
      expect(await walk({ q: 'ben jones' }, 500)).not.toContain('su_0001');
      await store.db.insertInto('sync_users').values(row(5000, 'Quasar Quartz', 'synced')).execute();
      expect(await walk({ q: 'quartz' }, 50)).toEqual(['su_5000', 'su_0001']);
      await store.db.deleteFrom('sync_users').where('tenant_id', '=', T).where('id', '=', 'su_0001').execute();
      expect(await walk({ q: 'quartz' }, 50)).toEqual(['su_5000']);
      // Addresses are searched too: a new one is found, the old one no longer.
      await store.db.updateTable('sync_users').set({ email: 'stardust.q@example.test' }).where('tenant_id', '=', T).where('id', '=', 'su_5000').execute();
      expect(await walk({ q: 'stardust.q' }, 50)).toEqual(['su_5000']);
      await store.db.updateTable('sync_users').set({ destination_email: 'nebula.q@example.test', email: 'plain.q@example.test' }).where('tenant_id', '=', T).where('id', '=', 'su_5000').execute();
      expect(await walk({ q: 'stardust.q' }, 50)).toEqual([]);
      expect(await walk({ q: 'nebula.q' }, 50)).toEqual(['su_5000']);
      // A status update leaves the search as it was.
      await store.db.updateTable('sync_users').set({ status: 'failed' }).where('tenant_id', '=', T).where('id', '=', 'su_5000').execute();
      expect(await walk({ q: 'nebula.q' }, 50)).toEqual(['su_5000']);
      // The totals say the same (on PostgreSQL they are read from the copy of migration 0022).
      const total = async (q: string) => (await querySyncUsers(store.db, T, { q, limit: 10 })).total;
      expect([await total('nebula.q'), await total('stardust.q'), await total('quartz'), await total('quentin')]).toEqual([1, 0, 1, 0]);
    });

    it('counts stop at the cap; a foreign or forged cursor is refused', async () => {
      const all = store.db.selectFrom('sync_users').selectAll().where('tenant_id', '=', T);
      expect(await countUpTo(store.db, all, 100)).toEqual({ total: 100, exact: false });
      expect(await countUpTo(store.db, all, 1000)).toEqual({ total: 257, exact: true });
      const r = await querySyncUsers(store.db, T, { limit: 5 });
      expect(r.totalExact).toBe(true);
      expect(r.total).toBe(257);
      expect(decodeCursor(encodeCursor(['a', 'b']), 2)).toEqual(['a', 'b']);
      expect(() => decodeCursor('bm90IGpzb24', 2)).toThrow(/cursor/);
      expect(() => decodeCursor(encodeCursor(['a']), 2)).toThrow(/cursor/);
      await expect(querySyncUsers(store.db, T, { limit: 5, cursor: encodeCursor([{ x: 1 } as unknown as string, 'b']) })).rejects.toThrow(/cursor/);
    });
  });
}
