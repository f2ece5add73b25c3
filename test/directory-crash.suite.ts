import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialect } from '../src/store/db.js';
import { directoryCrashWorld, runDirectoryCrashTrials, type DirectoryCrashWorld } from '../bench/support/directory-crash-trials.js';

/**
 * The identity inventory under SIGKILL: a real `syncwarden worker` child process syncing the
 * sandbox's large Entra tenant is killed at random moments, full and incremental syncs alike,
 * while the tenant churns between trials. After a clean finish the inventory must equal a
 * fresh full read of the tenant through the connector — no account, group, membership,
 * entitlement or grant lost or extra — the last run's counts must equal the tables', and no
 * run may be left running. (More trials: `npm run bench -- directory-crash`.)
 */
export function directoryCrashSuite(dialect: Dialect, trials: number): void {
  describe(`directory sync SIGKILL crash trials on ${dialect}`, () => {
    let world: DirectoryCrashWorld;

    beforeAll(async () => {
      world = await directoryCrashWorld({ dialect, size: { users: 5_000, groups: 500, memberships: 50_000 } });
    }, 60_000);
    afterAll(async () => {
      await world?.close();
    });

    it(`${trials} kills at random moments: nothing lost, nothing extra, counts consistent`, async () => {
      const r = await runDirectoryCrashTrials(world, { trials, minKillMs: 30, maxKillMs: 3_000, seed: dialect === 'sqlite' ? 17 : 23 });
      const detail = { tables: r.tables, lastRunCounts: r.lastRunCounts, tableCounts: r.tableCounts, runs: r.runRows };
      expect(r.trials).toBe(trials);
      // Most kills must land while a sync job is in flight, or the trials prove little.
      expect(r.killedMidWork, JSON.stringify(detail)).toBeGreaterThanOrEqual(trials / 2);
      expect(r.tables['accounts']!.truth).toBeGreaterThan(3_000);
      expect(r.tables['memberships']!.truth).toBeGreaterThan(30_000);
      expect({ lost: r.lost, extra: r.extra, duplicates: r.duplicates }, JSON.stringify(detail)).toEqual({ lost: 0, extra: 0, duplicates: 0 });
      expect(r.countsConsistent, JSON.stringify(detail)).toBe(true);
      expect(r.lastRunStatus).toBe('succeeded');
      expect(r.runsLeftRunning).toBe(0);
    }, 110_000);
  });
}
