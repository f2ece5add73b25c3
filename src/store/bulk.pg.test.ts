import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openTestStore } from '../../test/support/store.js';
import type { Store } from './db.js';
import { DeferredWrites, deleteByKeys, selectByKeys, unnestUpsert, unnestUpsertSql, type ArrayColumn } from './bulk.js';

/**
 * The set-based statements on a real PostgreSQL: upserts over unnested arrays insert, update
 * only what changed (no new row version otherwise), keep text with quotes, commas and braces
 * intact; key lookups and deletes find exactly the given keys (pairs included) of one tenant's
 * connection; deferred writes go out as one statement and a second write to a table sends
 * the first.
 */
describe('bulk statements on postgres', () => {
  let store: Store;
  const W = { tenant_id: 'tenant_a', connection_id: 'c1' };
  const memberships = (pairs: [string, string, string | null][], page: string, gen: number) => ({
    table: 'dir_memberships',
    constants: { ...W, page_key: page, gen },
    arrays: [
      { name: 'group_id', type: 'text', values: pairs.map((p) => p[0]) },
      { name: 'member_id', type: 'text', values: pairs.map((p) => p[1]) },
      { name: 'member_type', type: 'text', values: pairs.map(() => 'account') },
      { name: 'role', type: 'text', values: pairs.map((p) => p[2]) },
    ] satisfies ArrayColumn[],
    conflict: ['tenant_id', 'connection_id', 'group_id', 'member_id'],
    update: { member_type: null, role: null, page_key: null, gen: null },
  });
  const rows = async () =>
    (await sql<{ group_id: string; member_id: string; role: string | null; page_key: string; gen: number; xmin: string }>`SELECT group_id, member_id, role, page_key, gen, xmin::text AS xmin FROM dir_memberships WHERE tenant_id = 'tenant_a' ORDER BY group_id, member_id`.execute(store.db)).rows;

  beforeAll(async () => {
    store = await openTestStore('postgres');
  }, 60_000);
  afterAll(async () => store?.close());

  it('inserts, then updates only the rows that changed', async () => {
    const odd = 'a "quoted", {braced} \\ back\\slash, ✓';
    await unnestUpsert(store.db, memberships([['g1', 'u1', null], ['g1', 'u2', 'owner'], ['g2', odd, null]], 'groups#0', 1));
    const first = await rows();
    expect(first.map((r) => [r.group_id, r.member_id, r.role, r.page_key, Number(r.gen)])).toEqual([
      ['g1', 'u1', null, 'groups#0', 1],
      ['g1', 'u2', 'owner', 'groups#0', 1],
      ['g2', odd, null, 'groups#0', 1],
    ]);
    // The same rows again (a resumed page): nothing rewritten. One changed role: that row only.
    await unnestUpsert(store.db, memberships([['g1', 'u1', null], ['g1', 'u2', 'member'], ['g2', odd, null]], 'groups#0', 1));
    const second = await rows();
    expect(second.map((r) => r.role)).toEqual([null, 'member', null]);
    expect(second[0]!.xmin).toBe(first[0]!.xmin);
    expect(second[2]!.xmin).toBe(first[2]!.xmin);
    expect(second[1]!.xmin).not.toBe(first[1]!.xmin);
  });

  it('finds and deletes exactly the given keys of one connection', async () => {
    await unnestUpsert(store.db, { ...memberships([['g1', 'u1', null]], 'groups#0', 1), constants: { tenant_id: 'tenant_b', connection_id: 'c1', page_key: 'groups#0', gen: 1 } });
    const keys: ArrayColumn[] = [
      { name: 'group_id', type: 'text', values: ['g1', 'g1', 'g9'] },
      { name: 'member_id', type: 'text', values: ['u1', 'u9', 'u1'] },
    ];
    const found = await selectByKeys<{ group_id: string; member_id: string }>(store.db, 'dir_memberships', W, keys, ['group_id', 'member_id']);
    expect(found).toEqual([{ group_id: 'g1', member_id: 'u1' }]);
    const byGroup = await selectByKeys<{ member_id: string }>(store.db, 'dir_memberships', W, [{ name: 'group_id', type: 'text', values: ['g1', 'g3'] }], ['member_id']);
    expect(byGroup.map((r) => r.member_id).sort()).toEqual(['u1', 'u2']);
    expect(await deleteByKeys(store.db, 'dir_memberships', W, keys)).toBe(1);
    expect((await rows()).map((r) => r.member_id)).toEqual(['u2', 'a "quoted", {braced} \\ back\\slash, ✓']);
    // The other tenant's row with the same key is still there.
    const other = await sql<{ n: string }>`SELECT count(*) AS n FROM dir_memberships WHERE tenant_id = 'tenant_b'`.execute(store.db);
    expect(Number(other.rows[0]!.n)).toBe(1);
  });

  it('sends deferred writes together, and a second write to a table first sends the one before', async () => {
    await store.db.transaction().execute(async (trx) => {
      const d = new DeferredWrites(trx);
      await d.add('dir_memberships', unnestUpsertSql(memberships([['g5', 'u1', null]], 'groups#1', 2)));
      await d.add('dir_pages', unnestUpsertSql({ table: 'dir_pages', constants: { ...W, gen: 2, kept_gen: 0 }, arrays: [{ name: 'page_key', type: 'text', values: ['groups#1'] }, { name: 'hash', type: 'text', values: ['h1'] }, { name: 'objects', type: 'int4', values: [1] }] }));
      // The same membership on a later page of the batch: sent as its own statement after the first.
      await d.add('dir_memberships', unnestUpsertSql(memberships([['g5', 'u1', 'owner']], 'groups#2', 2)));
      await d.flush();
    });
    const g5 = (await rows()).filter((r) => r.group_id === 'g5');
    expect(g5.map((r) => [r.role, r.page_key])).toEqual([['owner', 'groups#2']]);
    const page = await store.db.selectFrom('dir_pages').select(['hash', 'objects']).where('tenant_id', '=', 'tenant_a').where('page_key', '=', 'groups#1').executeTakeFirst();
    expect(page).toEqual({ hash: 'h1', objects: 1 });
  });
});
