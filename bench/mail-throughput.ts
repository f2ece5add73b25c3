import type { BenchArgs } from './run.js';
import { benchWorld } from './support/world.js';
import { jain, log, round, sleep } from './support/measure.js';

/**
 * mail-throughput: how close the sync runs to the destination's quota — never above it.
 * Two runs against the sandbox with Gmail's real limits on (import = 25 units):
 * - one user at the per-user quota (6,000 units / minute = 4 messages / s);
 * - 50 users sharing a per-project quota that binds before their per-user ones
 *   (default 60,000 units / minute = 40 messages / s), which measures fair sharing too.
 * Figures are ratios: messages/s against the binding quota in messages/s, the share of
 * provider requests answered "throttled", and Jain's index of per-user throughput.
 */
interface Run {
  readonly users: number;
  readonly binding: 'user' | 'project';
  readonly msgs_per_s: number;
  readonly quota_fraction: number;
  readonly units_fraction: number;
  readonly throttled_share: number;
  readonly fairness: number;
}

async function measure(opts: { users: number; perUserUnits: number; projectUnits: number; messagesPerUser: number; workers: number; measureS: number }): Promise<Run> {
  const world = await benchWorld({
    worker: { concurrency: opts.workers },
    budgets: { destinationUser: { unitsPerMinute: opts.perUserUnits }, destinationProject: { unitsPerMinute: opts.projectUnits } },
    googleQuotas: { userUnitsPerMinute: opts.perUserUnits, projectUnitsPerMinute: opts.projectUnits },
  });
  try {
    const { users } = await world.admin<{ users: string[] }>('POST', '/microsoft/mail/users', { count: opts.users, prefix: `tp${opts.users}` });
    for (const upn of users) await world.admin('POST', `/microsoft/mailboxes/${upn}/bulk`, { count: opts.messagesPerUser, withinDays: 7, folders: ['inbox', 'archive', 'sentitems'] });
    log(`${opts.users} user(s), ${opts.messagesPerUser} messages each; quotas ${opts.perUserUnits}/user/min, ${opts.projectUnits}/project/min`);
    await world.createPolicy({ mode: 'list', include: users }, { enabled: true });
    // Counted at the destination (what Gmail holds), not in Syncwarden's ledger.
    const held = async (): Promise<Map<string, number>> => {
      const out = new Map<string, number>();
      for (const u of users) {
        const r = await world.admin<{ messages: unknown[] }>('GET', `/google/users/${encodeURIComponent(u)}/messages`).catch(() => ({ messages: [] }));
        out.set(u, r.messages.length);
      }
      return out;
    };
    // The clock starts at the first import (accounts, folders and labels made) and the rate is
    // taken over the whole span from there: a window-based quota is met over time, and a span
    // that left out the first seconds would leave out the budget they spent.
    const warmStart = Date.now();
    for (;;) {
      const s = await world.admin<{ imports: number }>('GET', '/google/stats');
      if (s.imports > 0) break;
      if (Date.now() - warmStart > 300_000) throw new Error('no import within 5 minutes');
      await sleep(50);
    }
    const g0 = await world.admin<{ throttled: number; requests: Record<string, number>; unitsSpent: number; imports: number }>('GET', '/google/stats');
    const m0 = await world.admin<{ requests: number; throttled: number }>('GET', '/microsoft/mail/stats');
    const t0 = Date.now();
    const before = await held();
    let last = g0.imports;
    while (Date.now() - t0 < opts.measureS * 1000) {
      await sleep(Math.min(10_000, opts.measureS * 1000 - (Date.now() - t0)));
      const s = await world.admin<{ imports: number }>('GET', '/google/stats');
      log(`  +${((Date.now() - t0) / 1000).toFixed(0)} s: ${s.imports - last} imports`);
      last = s.imports;
    }
    const g1 = await world.admin<{ throttled: number; requests: Record<string, number>; unitsSpent: number; imports: number }>('GET', '/google/stats');
    const m1 = await world.admin<{ requests: number; throttled: number }>('GET', '/microsoft/mail/stats');
    const seconds = (Date.now() - t0) / 1000;
    const after = await held();
    const perUser = users.map((u) => (after.get(u) ?? 0) - (before.get(u) ?? 0));
    const imported = g1.imports - g0.imports;
    if (users.some((u) => (after.get(u) ?? 0) >= opts.messagesPerUser)) log('warning: a user ran out of backlog during the measurement');
    const gReq = Object.values(g1.requests).reduce((a, x) => a + x, 0) - Object.values(g0.requests).reduce((a, x) => a + x, 0);
    const requests = gReq + (m1.requests - m0.requests);
    const throttled = g1.throttled - g0.throttled + (m1.throttled - m0.throttled);
    const userMsgsPerS = opts.perUserUnits / 60 / 25;
    const projectMsgsPerS = opts.projectUnits / 60 / 25;
    const binding = userMsgsPerS * opts.users <= projectMsgsPerS ? 'user' : 'project';
    const bindingMsgsPerS = Math.min(userMsgsPerS * opts.users, projectMsgsPerS);
    const bindingUnitsPerS = bindingMsgsPerS * 25;
    const run: Run = {
      users: opts.users,
      binding,
      msgs_per_s: round(imported / seconds, 2),
      quota_fraction: round(imported / seconds / bindingMsgsPerS),
      units_fraction: round((g1.unitsSpent - g0.unitsSpent) / seconds / bindingUnitsPerS),
      throttled_share: round(requests === 0 ? 0 : throttled / requests, 4),
      fairness: round(jain(perUser)),
    };
    log(JSON.stringify(run));
    return run;
  } finally {
    await world.close();
  }
}

export async function run(args: BenchArgs): Promise<Record<string, unknown>> {
  const measureS = Number(args['seconds'] ?? 90);
  const one = await measure({ users: 1, perUserUnits: 6_000, projectUnits: 1_200_000, messagesPerUser: Math.ceil(measureS * 4 * 1.6) + 200, workers: 4, measureS });
  const manyUsers = Number(args['users'] ?? 50);
  const projectUnits = Number(args['project-units'] ?? 60_000);
  const many = await measure({ users: manyUsers, perUserUnits: 6_000, projectUnits, messagesPerUser: Math.ceil(((projectUnits / 60 / 25) * (measureS + 40) * 1.4) / manyUsers) + 20, workers: Number(args['workers'] ?? manyUsers), measureS });
  return {
    users: many.users,
    binding: many.binding,
    quota_fraction: many.quota_fraction,
    throttled_share: many.throttled_share,
    fairness: many.fairness,
    msgs_per_s: many.msgs_per_s,
    units_fraction: many.units_fraction,
    one_user: one,
    quota: { user_units_per_min: 6_000, project_units_per_min: projectUnits, import_units: 25 },
  };
}
