import type { BenchArgs } from './run.js';
import { benchWorld } from './support/world.js';
import { log, sleep } from './support/measure.js';
import { DEFAULT_TENANT } from '../src/api/route.js';
import { setWriteBack } from '../src/connections/service.js';
import { declareOutage, startRecovery } from '../src/continuity/failover/failover.js';

/**
 * mail-recovery: how close reverse recovery runs to the Graph limit that binds it — Outlook's
 * requests per app and mailbox per window (10,000 per 10 minutes) — and how many of its
 * requests Graph throttles. `users` bench mailboxes are synced, an outage is declared,
 * `messages` messages per user reach or leave their Gmail (a tenth with an attachment), then
 * recovery runs to the end.
 *
 * Time is scaled down so the limit binds within minutes: the sandbox's window and the
 * source-mailbox budget are both `windowSeconds` long (default 60 s) with `quota` requests
 * (default 600) — the same pacing code against the same rule, 10× faster. quota_fraction is
 * the sustained rate after the first window (the sliding window lets the first one fill
 * faster) over the limit's rate, averaged over mailboxes; throttled_share is Graph's 429s over
 * all Graph mail requests during recovery.
 */
export async function run(args: BenchArgs): Promise<Record<string, unknown>> {
  const users = Number(args['users'] ?? 3);
  const messages = Number(args['messages'] ?? 600);
  const quota = Number(args['quota'] ?? 600);
  const windowSeconds = Number(args['windowSeconds'] ?? 60);
  const world = await benchWorld({
    worker: { concurrency: 8 },
    budgets: { destinationUser: { unitsPerMinute: 600_000 }, sourceMailbox: { requests: quota, windowMinutes: Math.max(1, Math.round(windowSeconds / 60)) } },
    googleQuotas: { userUnitsPerMinute: 600_000 },
  });
  try {
    const rt = world.running.rt;
    await world.admin('POST', '/microsoft/quotas', { requestsPer10Min: quota, windowMs: windowSeconds * 1000 });
    const added = (await world.admin<{ users: string[] }>('POST', '/microsoft/mail/users', { count: users, prefix: 'recov' })).users;
    const policyId = await world.createPolicy({ mode: 'list', include: added }, { enabled: true });
    const db = rt.store.db;
    for (;;) {
      const rows = await db.selectFrom('sync_users').select(['status', 'destination_email']).where('policy_id', '=', policyId).execute();
      if (rows.length === users && rows.every((r) => r.status === 'synced')) break;
      await sleep(250);
    }
    const google = (await db.selectFrom('sync_users').select(['email', 'destination_email']).where('policy_id', '=', policyId).execute()).map((r) => r.destination_email);
    await world.admin('POST', '/microsoft/consent', { permissions: ['User.Read.All', 'Mail.Read', 'Mail.ReadWrite'] });
    await setWriteBack(rt, DEFAULT_TENANT, world.sourceId, { enabled: true }, 'bench');
    await world.admin('POST', '/faults', { scope: '*', name: 'm365.outage', params: {} });
    await declareOutage(rt, DEFAULT_TENANT, policyId, {}, 'bench');
    for (const g of google) await world.admin('POST', `/google/users/${encodeURIComponent(g)}/mail/bulk`, { count: messages, sentShare: 0.3, attachmentShare: 0.1, attachmentBytes: 30_000, labels: ['Outage'], labelShare: 0.2 });
    await world.admin('DELETE', '/faults');
    // Wait out the window the forward syncs spent, so recovery starts on an empty one.
    await sleep(windowSeconds * 1000);
    const stats0 = await world.admin<{ requests: number; throttled: number; byMailbox: Record<string, number> }>('DELETE', '/microsoft/mail/stats');
    void stats0;
    const t0 = Date.now();
    await startRecovery(rt, DEFAULT_TENANT, policyId, 'bench');
    let atWindow: Record<string, number> | null = null;
    for (;;) {
      const fo = await db.selectFrom('failovers').select('state').where('policy_id', '=', policyId).orderBy('created_at', 'desc').executeTakeFirstOrThrow();
      if (!atWindow && Date.now() - t0 >= windowSeconds * 1000) atWindow = { ...(await world.admin<{ byMailbox: Record<string, number> }>('GET', '/microsoft/mail/stats')).byMailbox };
      if (fo.state === 'recovered') break;
      await sleep(200);
    }
    const elapsed = (Date.now() - t0) / 1000;
    const stats = await world.admin<{ requests: number; throttled: number; byMailbox: Record<string, number> }>('GET', '/microsoft/mail/stats');
    const totals = await db.selectFrom('recovery_users').select(['written', 'skipped', 'failed']).execute();
    const written = totals.reduce((s, r) => s + Number(r.written), 0);
    const failed = totals.reduce((s, r) => s + Number(r.failed), 0);
    // Sustained rate after the first window, per mailbox, over the limit's rate.
    const limitRate = quota / windowSeconds;
    const after = elapsed - windowSeconds;
    const fractions = added.map((upn) => (atWindow && after > 5 ? ((stats.byMailbox[upn] ?? 0) - (atWindow[upn] ?? 0)) / after / limitRate : (stats.byMailbox[upn] ?? 0) / Math.max(elapsed, windowSeconds) / limitRate));
    const result = {
      users, messages, quota_per_window: quota, window_seconds: windowSeconds,
      quota_fraction: Number((fractions.reduce((s, f) => s + f, 0) / fractions.length).toFixed(3)),
      throttled_share: Number((stats.throttled / Math.max(1, stats.requests)).toFixed(4)),
      graph_requests: stats.requests, throttled: stats.throttled, written, failed, seconds: Number(elapsed.toFixed(1)),
      messages_per_second: Number((written / elapsed).toFixed(1)),
    };
    log(`mail-recovery: ${JSON.stringify(result)}`);
    return result;
  } finally {
    await world.close();
  }
}
