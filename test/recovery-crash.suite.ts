import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialect } from '../src/store/db.js';
import { benchWorld, type BenchWorld } from '../bench/support/world.js';
import { runRecoveryCrashTrials, syncOnce } from '../bench/support/recovery-crash-trials.js';
import { pgUrlWithSchema, dropSchema } from './support/pg-schema.js';

/**
 * Reverse recovery exactly once under SIGKILL: real `syncwarden worker` children are killed at
 * random moments while they write outages' mail back to Microsoft 365 and resume forward sync.
 * After a clean run nothing is lost, nothing duplicated in Microsoft 365, nothing looped back
 * into Gmail. (More trials run in `npm run bench -- mail-recovery-crash`.)
 */
/** `minRounds`: outage rounds that must have recovered during the trials (the slower database gets through fewer). */
export function recoveryCrashSuite(dialect: Dialect, trials: number, minRounds: number): void {
  describe(`recovery SIGKILL crash trials on ${dialect}`, () => {
    let world: BenchWorld;
    let schema: string | undefined;
    let users: string[];
    let policyId: string;

    beforeAll(async () => {
      let databaseUrl: string | undefined;
      if (dialect === 'postgres') ({ url: databaseUrl, schema } = await pgUrlWithSchema());
      world = await benchWorld({ databaseUrl, budgets: { destinationUser: { unitsPerMinute: 600_000 } }, googleQuotas: { userUnitsPerMinute: 600_000 } });
      const all = (await world.admin<{ users: { userPrincipalName: string }[] }>('GET', '/microsoft/users')).users.map((u) => u.userPrincipalName);
      users = [all[3]!, all[14]!, all[19]!];
      policyId = await world.createPolicy({ mode: 'list', include: users }, { enabled: true, initialWindowDays: 30 });
      await syncOnce(world, policyId);
    }, 300_000);
    afterAll(async () => {
      await world?.close();
      if (schema) await dropSchema(schema);
    });

    it(`${trials} kills during recovery rounds: nothing lost, duplicated or looped`, async () => {
      const r = await runRecoveryCrashTrials(world, { trials, policyId, users, minKillMs: 200, maxKillMs: 3_000, perUser: 5, bigShare: 0.3, seed: dialect === 'sqlite' ? 21 : 23 });
      expect(r.trials).toBe(trials);
      expect(r.rounds).toBeGreaterThanOrEqual(minRounds);
      // Most kills must land while work is in flight, or the trials prove little.
      expect(r.killedMidWork).toBeGreaterThan(trials / 2);
      expect(r.checked).toBeGreaterThanOrEqual(r.rounds * (users.length * 5 + 1));
      expect({ lost: r.lost, duplicated: r.duplicated, looped: r.looped, failed: r.failed }).toEqual({ lost: 0, duplicated: 0, looped: 0, failed: 0 });
    }, 900_000);
  });
}
