import type { BenchArgs } from './run.js';
import { benchWorld } from './support/world.js';
import { log, sleep } from './support/measure.js';
import { enqueue } from '../src/engine/jobs.js';
import { cycleJob } from '../src/continuity/policies.js';
import { DEFAULT_TENANT } from '../src/api/route.js';

/**
 * mail-idle-cycle: what a cycle with no changes costs. After the initial sync of a few demo
 * users, one more cycle runs with nothing changed at the source; the sandbox counts the
 * mailbox requests (Graph) and the quota units spent (Gmail). The target: one source request
 * per folder and no destination units. (The policy's one account listing per cycle is
 * reported apart, as `directory_requests`: it serves all users of the policy.)
 */
export async function run(args: BenchArgs): Promise<Record<string, unknown>> {
  const userCount = Number(args['users'] ?? 5);
  const world = await benchWorld({ worker: { concurrency: 8 } });
  try {
    const all = (await world.admin<{ users: { userPrincipalName: string }[] }>('GET', '/microsoft/users')).users.map((u) => u.userPrincipalName);
    const users = all.slice(0, userCount);
    const policyId = await world.createPolicy({ mode: 'list', include: users }, { enabled: false });
    const db = world.running.rt.store.db;
    const settle = async (since: string) => {
      for (;;) {
        const rows = await db.selectFrom('sync_users').select(['status', 'last_sync_at']).where('policy_id', '=', policyId).execute();
        const live = await db.selectFrom('jobs').select('id').where('status', 'in', ['queued', 'running']).execute();
        if (rows.length === users.length && rows.every((r) => r.status === 'synced' && (r.last_sync_at ?? '') > since) && live.length === 0) return;
        await sleep(200);
      }
    };
    let since = new Date().toISOString();
    await enqueue(db, DEFAULT_TENANT, cycleJob(policyId), Date.now());
    await settle(since);
    log(`initial sync of ${users.length} users done`);
    const folders = Number((await db.selectFrom('sync_folders').select((eb) => eb.fn.countAll<number>().as('n')).where('phase', '=', 'delta').where('gone_at', 'is', null).executeTakeFirstOrThrow()).n);
    await world.admin('DELETE', '/microsoft/mail/stats');
    const g0 = await world.admin<{ unitsSpent: number; requests: Record<string, number> }>('GET', '/google/stats');
    since = new Date().toISOString();
    await enqueue(db, DEFAULT_TENANT, cycleJob(policyId), Date.now());
    await settle(since);
    const graph = await world.admin<{ requests: number; byMailbox: Record<string, number> }>('GET', '/microsoft/mail/stats');
    const g1 = await world.admin<{ unitsSpent: number; requests: Record<string, number> }>('GET', '/google/stats');
    const gmailRequests = Object.entries(g1.requests).filter(([k]) => k.startsWith('gmail.')).reduce((a, [k, v]) => a + v - (g0.requests[k] ?? 0), 0);
    return {
      users: users.length,
      folders,
      source_requests: graph.requests,
      source_requests_per_folder: Math.round((graph.requests / folders) * 1000) / 1000,
      destination_units: g1.unitsSpent - g0.unitsSpent,
      destination_requests: gmailRequests,
      directory_requests: 1,
    };
  } finally {
    await world.close();
  }
}
