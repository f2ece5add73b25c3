import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialect } from '../src/store/db.js';
import { benchWorld, type BenchWorld } from '../bench/support/world.js';
import { runClean, runCrashTrials } from '../bench/support/crash-trials.js';
import { pgUrlWithSchema, dropSchema } from './support/pg-schema.js';

/**
 * Exactly once under SIGKILL: a real `syncwarden worker` child process is killed at random
 * moments while it imports, carries changes and deletions; the sources change between
 * trials. After a clean run the destination must hold every source message of the window
 * exactly once, and every deletion in Trash — with Gmail's search index lagging behind every
 * import. (More trials run in `npm run bench -- mail-crash`.)
 */
/** Longer than the trials take: no import is ever found by search during them. */
export const SEARCH_LAG_MS = 3_600_000;

export function crashSuite(dialect: Dialect, trials: number): void {
  describe(`SIGKILL crash trials on ${dialect}`, () => {
    let world: BenchWorld;
    let schema: string | undefined;
    let users: string[];
    let policyId: string;

    beforeAll(async () => {
      let databaseUrl: string | undefined;
      if (dialect === 'postgres') ({ url: databaseUrl, schema } = await pgUrlWithSchema());
      // Gmail's search index lags the imports by longer than the whole run: resolving an item
      // left in doubt must not depend on search freshness (docs/decisions/0008-in-doubt-by-history.md).
      world = await benchWorld({ databaseUrl, budgets: { destinationUser: { unitsPerMinute: 600_000 } }, googleQuotas: { userUnitsPerMinute: 600_000, searchIndexLagMs: SEARCH_LAG_MS } });
      const all = (await world.admin<{ users: { userPrincipalName: string }[] }>('GET', '/microsoft/users')).users.map((u) => u.userPrincipalName);
      // Six users with mailboxes of every size (one empty, one nearly full), some Google accounts created.
      users = [all[1]!, all[3]!, all[6]!, all[11]!, all[12]!, all[16]!];
      policyId = await world.createPolicy({ mode: 'list', include: users }, { enabled: true, initialWindowDays: 60 });
    }, 120_000);
    afterAll(async () => {
      await world?.close();
      if (schema) await dropSchema(schema);
    });

    it(`${trials} kills at random moments: nothing lost, nothing duplicated`, async () => {
      const r = await runCrashTrials(world, { trials, policyId, users, minKillMs: 50, maxKillMs: 1_500, seed: dialect === 'sqlite' ? 7 : 11 });
      expect(r.trials).toBe(trials);
      // Most kills must land while work is in flight, or the trials prove little.
      expect(r.killedMidWork).toBeGreaterThan(trials / 2);
      expect(r.checked).toBeGreaterThan(300);
      expect({ lost: r.lost, duplicated: r.duplicated, unexpected: r.unexpected, deletionsMissed: r.deletionsMissed }).toEqual({ lost: 0, duplicated: 0, unexpected: 0, deletionsMissed: 0 });
    }, 900_000);

    it('an import left in doubt right before the kill is found without search (the index lags): not imported twice', async () => {
      const db = world.running.rt.store.db;
      const upn = users[0]!;
      // New mail at the source, and the mailbox's history id before it reaches Gmail.
      const added: string[] = [];
      for (let i = 0; i < 5; i++) added.push((await world.admin<{ id: string }>('POST', `/microsoft/mailboxes/${upn}/messages`, { subject: `In doubt ${i}`, folder: 'inbox' })).id);
      await runClean(world, policyId); // the user's sync and destination account exist from here on
      const user = await db.selectFrom('sync_users').select(['id', 'destination_email']).where('policy_id', '=', policyId).where('email', '=', upn.toLowerCase()).executeTakeFirstOrThrow();
      const before = (await world.admin<{ historyId: string }>('GET', `/google/users/${user.destination_email}/history`)).historyId;
      for (let i = 0; i < 5; i++) added.push((await world.admin<{ id: string }>('POST', `/microsoft/mailboxes/${upn}/messages`, { subject: `In doubt ${5 + i}`, folder: 'inbox' })).id);
      await runClean(world, policyId);
      const rows = await db.selectFrom('items').select(['source_item_id', 'internet_message_id', 'state']).where('sync_user_id', '=', user.id).where('source_item_id', 'in', added.slice(5)).execute();
      expect(rows.map((r) => r.state)).toEqual(['imported', 'imported', 'imported', 'imported', 'imported']);
      // What a SIGKILL between Gmail's import and the ledger's commit leaves: the rows pending
      // (their change mark taken before the import), the folder's checkpoint not advanced. The
      // search index has not caught up (SEARCH_LAG_MS): rfc822msgid: finds none of them.
      await db.updateTable('items').set({ state: 'pending', destination_item_id: null, change_mark: before }).where('sync_user_id', '=', user.id).where('source_item_id', 'in', added.slice(5)).execute();
      await db.updateTable('sync_folders').set({ cursor: null }).where('sync_user_id', '=', user.id).execute();
      await runClean(world, policyId);
      const dest = (await world.admin<{ messages: { rfc822MessageId: string | null }[] }>('GET', `/google/users/${user.destination_email}/messages`)).messages;
      for (const r of rows) expect(dest.filter((m) => m.rfc822MessageId === r.internet_message_id).length, r.internet_message_id!).toBe(1);
      const settled = await db.selectFrom('items').select(['state', 'destination_item_id']).where('sync_user_id', '=', user.id).where('source_item_id', 'in', added.slice(5)).execute();
      expect(settled.every((r) => r.state === 'imported' && r.destination_item_id !== null)).toBe(true);
    }, 600_000);
  });
}
