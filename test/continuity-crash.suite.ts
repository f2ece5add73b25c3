import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialect } from '../src/store/db.js';
import { benchWorld, type BenchWorld } from '../bench/support/world.js';
import { runCrashTrials } from '../bench/support/crash-trials.js';
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
  });
}
