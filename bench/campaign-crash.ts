import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchArgs } from './run.js';
import { log, sleep } from './support/measure.js';
import { expireLeases, startWorkerProcess, type WorkerProcess } from './support/worker-process.js';
import { startSandbox } from '../src/sandbox/server.js';
import { startSyncwarden } from '../src/runtime/start.js';
import { createLogger } from '../src/runtime/logger.js';
import { createConnection, setWriteBack } from '../src/connections/service.js';
import { runDirectorySync } from '../src/directory/sync/run.js';
import { DEFAULT_TENANT } from '../src/api/route.js';
import { createUser } from '../src/auth/users.js';
import { createCampaign, startCampaign } from '../src/campaigns/lifecycle.js';
import { closeCampaign } from '../src/campaigns/close.js';
import { applyCampaign } from '../src/campaigns/apply.js';
import { decide } from '../src/campaigns/reviews.js';

const T = DEFAULT_TENANT;

/**
 * campaign-crash: SIGKILL trials of real `syncwarden worker` processes while a campaign's
 * revocations are applied (write-back to the sandbox's SCIM app) and, at the same moment, the
 * next campaign's decisions are taken. The worker holding the apply job is killed; another
 * worker process finishes the apply, and the app is read directly: `lost_decisions` (a decision acknowledged to the reviewer and not
 * stored), `double_applied` (a membership removed that no decision revoked), and
 * `inconsistent_items` (an item whose remediation disagrees with the app: Success but still a
 * member, or revoked access left in place). Memberships are put back between trials. One
 * sandbox and one database serve every trial; a trial takes a few seconds.
 *
 * `--trials 100` by default (the issue's target is ≥ 100); `--verbose` logs each trial's phases.
 */
export async function run(args: BenchArgs): Promise<Record<string, unknown>> {
  const trials = Number(args['trials'] ?? 100);
  const verbose = args['verbose'] === 'true';
  const sandbox = await startSandbox({});
  const dataDir = mkdtempSync(join(tmpdir(), 'sw-bench-ccrash-'));
  const running = await startSyncwarden({ dataDir, log: createLogger('error'), env: {} });
  const rt = running.rt;
  const scimTenant = sandbox.demo.scim.tenant;
  const admin = async <X>(method: string, path: string): Promise<X> => {
    const res = await fetch(`${sandbox.urls.admin}${path}`, { method });
    return (await res.json()) as X;
  };
  const isMember = async (g: string, u: string) => (await admin<{ member: boolean }>('GET', `/scim/tenants/${scimTenant}/groups/${g}/members/${u}`)).member;
  let lost = 0;
  let doubled = 0;
  let inconsistent = 0;
  let killedDuring = 0;
  let checked = 0;
  let unfinished = 0;
  let removedElsewhere = 0;
  const workers: WorkerProcess[] = [];
  try {
    const conn = await createConnection(rt, T, { kind: 'scim', name: 'Expenses', role: 'directory', config: { baseUrl: sandbox.demo.scim.baseUrl, massRemovalPercent: 100 }, credential: { type: 'bearer_token', token: sandbox.demo.scim.token } }, 'bench');
    await setWriteBack(rt, T, conn.id, { enabled: true }, 'bench');
    const reviewer = (await createUser(rt, T, { email: 'reviewer@bench.test', role: 'admin', password: 'Tulip-stapler-orbit-42' }, null)).id;
    const who = { userId: reviewer, actor: 'bench', admin: false };
    const newCampaign = async (n: number) => {
      const sync = await runDirectorySync(rt, T, conn.id, { mode: 'full' });
      if (sync.status !== 'succeeded') throw new Error(`sync ${sync.status}`);
      const c = await createCampaign(rt, T, { name: `Trial ${n}`, connectionIds: [conn.id], kinds: ['scim_group_membership'], reviewers: { mode: 'named', userIds: [reviewer], fallbackUserId: reviewer }, durationDays: 7, noResponse: 'keep', justification: 'on_revoke', breaker: { maxShareOfResource: 1, maxPerConnection: 100_000 } }, { userId: reviewer, actor: 'bench' });
      await startCampaign(rt, T, c.id, 'bench');
      return c.id;
    };
    let next = await newCampaign(0);
    // Two worker processes are up at every moment: the one that claims the apply job is killed,
    // the other finishes it once the dead one's lease is expired, and a replacement starts at
    // once, so that its start (seconds on a busy machine) overlaps the rest of the trial
    // instead of adding to it.
    const spawn = () => startWorkerProcess({ dataDir, databaseUrl: undefined }, 2);
    workers.push(spawn(), spawn());
    for (let t = 1; t <= trials; t++) {
      const current = next;
      await Promise.all(workers.map((x) => x.ready));
      let lap = Date.now();
      const phases: string[] = [];
      const mark = (name: string) => {
        const at = Date.now();
        phases.push(`${name} ${at - lap} ms`);
        lap = at;
      };
      const items = await rt.store.db.selectFrom('campaign_items').select(['id', 'resource_id', 'account_id', 'via']).where('campaign_id', '=', current).orderBy('id').execute();
      const direct = items.filter((i) => i.via === 'direct');
      const revoke = direct.filter((_, k) => (k * 7 + t) % 3 === 0);
      const revokeIds = new Set(revoke.map((r) => r.id));
      await decide(rt, T, who, { filter: { campaign: current }, decision: 'approve' }, false);
      if (revoke.length > 0) await decide(rt, T, who, { itemIds: revoke.map((r) => r.id), decision: 'revoke', justification: `trial ${t}` }, false);
      await closeCampaign(rt, T, current, { apply: false }, 'bench');
      // A worker (idle until now) claims the apply job as soon as it is queued; it applies
      // while the next campaign is started and its decisions are taken here, and is killed at
      // a random moment.
      await applyCampaign(rt, T, current, 'bench');
      mark('close+queue');
      next = await newCampaign(t);
      mark('next campaign');
      const acknowledged = new Map<string, string>();
      const nextItems = (await rt.store.db.selectFrom('campaign_items').select('id').where('campaign_id', '=', next).orderBy('id').execute()).map((r) => r.id);
      const deciding = (async () => {
        for (let k = 0; k < nextItems.length; k += 5) {
          const ids = nextItems.slice(k, k + 5);
          const d = (k / 5) % 2 === 0 ? 'approve' : 'revoke';
          await decide(rt, T, who, { itemIds: ids, decision: d, justification: 'x' }, false);
          for (const id of ids) acknowledged.set(id, d);
        }
      })();
      // The kill lands at a random moment after the worker began the apply (a kill before its
      // first claim would only test the queue).
      let victim: WorkerProcess | undefined;
      for (let waited = 0; waited < 5_000 && !victim; waited += 10) {
        const job = await rt.store.db.selectFrom('jobs').select('lease_owner').where('dedupe_key', 'like', `campaign-apply:${current}:%`).where('status', '=', 'running').executeTakeFirst();
        const begun = await rt.store.db.selectFrom('campaign_items').select('id').where('campaign_id', '=', current).where('remediation', '!=', 'open').where('decision', '=', 'revoke').limit(1).executeTakeFirst();
        if (job && begun) victim = workers.find((x) => x.id() === job.lease_owner);
        if (!victim) await sleep(10);
      }
      mark('worker began');
      // Without a holder (the apply ended or parked before we saw it), a worker is killed all the same.
      victim ??= workers[0]!;
      await sleep(Math.floor(Math.random() * 300));
      victim.child.kill('SIGKILL');
      await victim.exited;
      // Killed during the apply: the dead worker still holds the job's lease and revocations are left.
      const held = await rt.store.db.selectFrom('jobs').select('lease_owner').where('dedupe_key', 'like', `campaign-apply:${current}:%`).where('status', '=', 'running').executeTakeFirst();
      const left = await rt.store.db.selectFrom('campaign_items').select('id').where('campaign_id', '=', current).where('remediation', 'in', ['open', 'applying']).limit(1).executeTakeFirst();
      const applying = held?.lease_owner === victim.id() && left !== undefined;
      if (applying) killedDuring++;
      await expireLeases(rt.store.db);
      workers.splice(workers.indexOf(victim), 1, spawn());
      await deciding;
      for (const [id, d] of acknowledged) {
        const row = await rt.store.db.selectFrom('campaign_items').select('decision').where('id', '=', id).executeTakeFirst();
        if (row?.decision !== d) lost++;
      }
      mark('checks');
      let finished = false;
      for (let waited = 0; waited < 60_000; waited += 100) {
        const c = await rt.store.db.selectFrom('campaigns').select('status').where('id', '=', current).executeTakeFirstOrThrow();
        if (c.status === 'applied' || c.status === 'verified') {
          finished = true;
          break;
        }
        if (verbose && waited % 1_000 === 0) {
          const job = await rt.store.db.selectFrom('jobs').select(['status', 'run_at', 'attempts', 'lease_owner']).where('dedupe_key', 'like', `campaign-apply:${current}:%`).executeTakeFirst();
          const by = await rt.store.db.selectFrom('campaign_items').select(['remediation', (eb) => eb.fn.countAll<number>().as('n')]).where('campaign_id', '=', current).where('decision', '=', 'revoke').groupBy('remediation').execute();
          log(`  ${waited} ms: job ${JSON.stringify(job)} items ${by.map((r) => `${r.remediation} ${r.n}`).join(', ')}`);
        }
        await sleep(100);
      }
      if (!finished) unfinished++;
      mark('apply finished');
      // Compare with the app, item by item; then put every removed membership back.
      const rows = await rt.store.db.selectFrom('campaign_items').select(['id', 'resource_id', 'account_id', 'remediation', 'remediation_error_json', 'verification', 'closed_reason', 'decision']).where('campaign_id', '=', current).where('via', '=', 'direct').execute();
      for (const r of rows) {
        const member = await isMember(r.resource_id, r.account_id);
        checked++;
        if (revokeIds.has(r.id)) {
          if (r.closed_reason === 'removed_elsewhere') removedElsewhere++;
          if (member || r.remediation !== 'success') {
            inconsistent++;
            // Say what disagreed, so a finding can be chased.
            log(`  inconsistent item ${r.id}: decision ${r.decision}, remediation ${r.remediation}, verification ${r.verification}, closed ${r.closed_reason}, still a member ${member}; error ${r.remediation_error_json ?? '-'}`);
          }
          await admin('PUT', `/scim/tenants/${scimTenant}/groups/${r.resource_id}/members/${r.account_id}`);
        } else if (!member) {
          doubled++;
          await admin('PUT', `/scim/tenants/${scimTenant}/groups/${r.resource_id}/members/${r.account_id}`);
        }
      }
      mark('compared');
      if (verbose) log(phases.join(', '));
      // The inventory reads the put-back memberships now: otherwise a sync the scheduler ran in a
      // worker after the apply and before the put-back leaves them missing from the inventory,
      // and closing the next campaign (rightly, by its snapshot rule) calls them Removed elsewhere.
      const resync = await runDirectorySync(rt, T, conn.id, { mode: 'full' });
      if (resync.status !== 'succeeded') throw new Error(`sync ${resync.status}`);
      log(`trial ${t}: ${revoke.length} revocations, ${acknowledged.size} decisions meanwhile; killed ${applying ? 'during' : 'after'} the apply; lost ${lost}, double ${doubled}, inconsistent ${inconsistent}${finished ? '' : ', NOT FINISHED in 60 s'}`);
      // The next campaign's own decisions are replaced by the next trial's; its snapshot predates the re-adds, which the next sync restores.
    }
    for (const x of workers.splice(0)) {
      x.child.kill('SIGTERM');
      await x.exited;
    }
    return { trials, killed_during_apply: killedDuring, items_checked: checked, unfinished_applies: unfinished, revoked_closed_as_removed_elsewhere: removedElsewhere, lost_decisions: lost, double_applied: doubled, inconsistent_items: inconsistent };
  } finally {
    for (const x of workers) {
      x.child.kill('SIGKILL');
      await x.exited;
    }
    await running.stop();
    await sandbox.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
