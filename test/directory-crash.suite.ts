import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialect } from '../src/store/db.js';
import { DEFAULT_TENANT } from '../src/api/route.js';
import { compareInventory, directoryCrashWorld, runDirectoryCrashTrials, type DirectoryCrashWorld } from '../bench/support/directory-crash-trials.js';

/**
 * The identity inventory under SIGKILL: a real `syncwarden worker` child process syncing the
 * sandbox's large Entra tenant is killed at random moments, full and incremental syncs alike,
 * while the tenant churns between trials. After a clean finish the inventory must equal a
 * fresh full read of the tenant through the connector — no account, group, membership,
 * entitlement or grant lost or extra — the last run's counts must equal the tables', and no
 * run may be left running. The tenant churns at any pause, inside a group's members too.
 * (More trials: `npm run bench -- directory-crash`.)
 */
export function directoryCrashSuite(dialect: Dialect, trials: number, size: { users: number; groups: number; memberships: number }): void {
  describe(`directory sync SIGKILL crash trials on ${dialect}`, () => {
    let world: DirectoryCrashWorld;

    beforeAll(async () => {
      world = await directoryCrashWorld({ dialect, size });
    }, 60_000);
    afterAll(async () => {
      await world?.close();
    });

    it(`${trials} kills at random moments: nothing lost, nothing extra, counts consistent`, async () => {
      const r = await runDirectoryCrashTrials(world, { trials, minKillMs: 30, maxKillMs: 3_000, seed: dialect === 'sqlite' ? 17 : 23 });
      const detail = JSON.stringify({ tables: r.tables, lastRunCounts: r.lastRunCounts, tableCounts: r.tableCounts, kills: r.kills, runs: r.runRows });
      expect(r.trials).toBe(trials);
      // Most kills must land while a sync run is in flight, or the trials prove little.
      expect(r.killedMidWork, detail).toBeGreaterThanOrEqual(trials / 2);
      // The default scope leaves a few guests, external and disabled accounts out; nearly everything else is in.
      expect(r.tables['accounts']!.truth).toBeGreaterThan(size.users * 0.8);
      expect(r.tables['memberships']!.truth).toBeGreaterThan(size.memberships * 0.8);
      expect(r.tables['grants']!.truth).toBeGreaterThan(0);
      expect({ lost: r.lost, extra: r.extra, duplicates: r.duplicates }, detail).toEqual({ lost: 0, extra: 0, duplicates: 0 });
      expect(r.countsConsistent, detail).toBe(true);
      expect(r.lastRunStatus).toBe('succeeded');
      expect(r.runsLeftRunning).toBe(0);

      // The comparison can fail: one membership taken out and one grant made up are both seen.
      const db = world.running.rt.store.db;
      const m = await db.selectFrom('dir_memberships').selectAll().where('connection_id', '=', world.connectionId).limit(1).executeTakeFirstOrThrow();
      await db.deleteFrom('dir_memberships').where('tenant_id', '=', DEFAULT_TENANT).where('connection_id', '=', world.connectionId).where('group_id', '=', m.group_id).where('member_id', '=', m.member_id).execute();
      const g = await db.selectFrom('dir_grants').selectAll().where('connection_id', '=', world.connectionId).limit(1).executeTakeFirstOrThrow();
      await db.insertInto('dir_grants').values({ ...g, principal_id: 'ghost-principal' }).execute();
      const tampered = await compareInventory(world);
      expect({ lost: tampered.lost, extra: tampered.extra, memberships: tampered.tables['memberships']!.lost, grants: tampered.tables['grants']!.extra, countsConsistent: tampered.countsConsistent })
        .toEqual({ lost: 1, extra: 1, memberships: 1, grants: 1, countsConsistent: false });
    }, 110_000);
  });
}
