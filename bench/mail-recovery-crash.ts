import type { BenchArgs } from './run.js';
import { benchWorld } from './support/world.js';
import { runRecoveryCrashTrials, syncOnce } from './support/recovery-crash-trials.js';
import { log } from './support/measure.js';

/**
 * mail-recovery-crash: SIGKILL trials of reverse recovery (see support/recovery-crash-trials.ts).
 * Real `syncwarden worker` children are killed at random moments while they write outages' mail
 * back to Microsoft 365 and resume forward sync; round after round, an outage is declared, mail
 * reaches and leaves the Google mailboxes, and recovery starts. After a clean run: every
 * message of every outage is in Microsoft 365 (lost), once (duplicated), and no Gmail mailbox
 * holds a Message-ID twice (looped: a recovered message imported back).
 */
export async function run(args: BenchArgs): Promise<Record<string, unknown>> {
  const trials = Number(args['trials'] ?? 120);
  const world = await benchWorld({ budgets: { destinationUser: { unitsPerMinute: 600_000 } }, googleQuotas: { userUnitsPerMinute: 600_000 } });
  try {
    const all = (await world.admin<{ users: { userPrincipalName: string }[] }>('GET', '/microsoft/users')).users.map((u) => u.userPrincipalName);
    const users = [all[3]!, all[7]!, all[14]!, all[19]!];
    const policyId = await world.createPolicy({ mode: 'list', include: users }, { enabled: true, initialWindowDays: 30 });
    await syncOnce(world, policyId);
    const r = await runRecoveryCrashTrials(world, { trials, policyId, users, minKillMs: 200, maxKillMs: 3_000, perUser: Number(args['perUser'] ?? 6), seed: Number(args['seed'] ?? 314), log });
    return { trials: r.trials, lost: r.lost, duplicated: r.duplicated, looped: r.looped, failed: r.failed, rounds: r.rounds, messages_checked: r.checked, killed_mid_work: r.killedMidWork, finished_before_kill: r.finishedBeforeKill };
  } finally {
    await world.close();
  }
}
