import type { BenchArgs } from './run.js';
import { directoryCrashWorld, runDirectoryCrashTrials } from './support/directory-crash-trials.js';
import { log } from './support/measure.js';

/**
 * directory-crash: SIGKILL trials of the identity inventory's sync (see
 * support/directory-crash-trials.ts). A `syncwarden worker` child syncing the sandbox's large
 * Entra tenant is killed at random moments while the tenant churns between trials; after a
 * clean finish the inventory is compared with a fresh full read of the tenant.
 *
 * `--trials N` (default 40), `--db sqlite|postgres` (default sqlite), `--seed`, `--users`,
 * `--groups`, `--memberships` (default 5,000 / 500 / 50,000), `--churn-while-paused
 * always|except-groups|never` (default always: see DirectoryCrashOptions).
 */
export async function run(args: BenchArgs): Promise<Record<string, unknown>> {
  const trials = Number(args['trials'] ?? 40);
  const dialect = (args['db'] ?? 'sqlite') as 'sqlite' | 'postgres';
  const size = { users: Number(args['users'] ?? 5_000), groups: Number(args['groups'] ?? 500), memberships: Number(args['memberships'] ?? 50_000) };
  const t0 = Date.now();
  const world = await directoryCrashWorld({ dialect, size });
  log(`world ready in ${Date.now() - t0} ms`);
  try {
    const r = await runDirectoryCrashTrials(world, { trials, minKillMs: 30, maxKillMs: 3_000, seed: Number(args['seed'] ?? 99), churnWhilePaused: (args['churn-while-paused'] ?? 'always') as 'always' | 'except-groups' | 'never', log });
    if (r.lost + r.extra + r.duplicates > 0 || !r.countsConsistent) {
      log(JSON.stringify({ tables: r.tables, lastRunCounts: r.lastRunCounts, tableCounts: r.tableCounts }));
      for (const row of r.runRows) log(JSON.stringify(row));
    }
    return {
      db: dialect, trials: r.trials, lost: r.lost, extra: r.extra, duplicates: r.duplicates, killed_mid_work: r.killedMidWork,
      objects_checked: r.objectsChecked, counts_consistent: r.countsConsistent, runs_left_running: r.runsLeftRunning,
      churns: r.churns, paused_pass_churns: r.pausedPassChurns, skipped_churns: r.skippedChurns, runs: r.runs, settle_runs: r.settleRuns, inventory: r.tableCounts,
    };
  } finally {
    await world.close();
  }
}
