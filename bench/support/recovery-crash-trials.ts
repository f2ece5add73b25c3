import { DEFAULT_TENANT } from '../../src/api/route.js';
import { prng } from '../../src/sandbox/demo.js';
import { enqueue } from '../../src/engine/jobs.js';
import { cycleJob } from '../../src/continuity/policies.js';
import { setWriteBack } from '../../src/connections/service.js';
import { declareOutage, startRecovery } from '../../src/continuity/failover/failover.js';
import { assertFreshBuild } from './crash-trials.js';
import { KillWindow, killDuringWork, startWorkerProcess } from './worker-process.js';
import type { BenchWorld } from './world.js';

/**
 * Recovery crash trials: the resilience loop (outage → mail in Google → recovery → forward sync)
 * run again and again by real `syncwarden worker` child processes that are killed with SIGKILL
 * at random moments, while the sandbox and the database live in this process.
 *
 * A round declares an outage on the policy, delivers mail to (and sends mail from) the users'
 * Google mailboxes — some of it also delivered to Microsoft 365, some with an attachment that
 * needs an upload session — and starts recovery. Each trial starts a worker and kills it;
 * a new round begins whenever the last one has recovered. After a clean run:
 * - lost: a message of an outage missing from the user's Microsoft 365 mailbox;
 * - duplicated: a Message-ID more than once in a Microsoft 365 mailbox;
 * - looped: a Message-ID more than once in a Gmail mailbox (a recovered message imported back);
 * - failed: recovery items or users that ended failed (should be 0 as well).
 */
export interface RecoveryCrashOptions {
  readonly trials: number;
  readonly policyId: string;
  /** Microsoft 365 UPNs of the policy's users. */
  readonly users: readonly string[];
  readonly minKillMs: number;
  readonly maxKillMs: number;
  /** Messages delivered to or sent from each Google mailbox per round. */
  readonly perUser?: number;
  /** Share of rounds with one attachment over 3 MB (a Graph upload session). */
  readonly bigShare?: number;
  readonly seed?: number;
  readonly log?: (line: string) => void;
}

export interface RecoveryCrashResult {
  readonly trials: number;
  readonly rounds: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly looped: number;
  readonly failed: number;
  /** Messages of the outages checked in Microsoft 365. */
  readonly checked: number;
  readonly killedMidWork: number;
  /** Kills that came after the round had fully recovered: not counted as trials (the round ran again). */
  readonly finishedBeforeKill: number;
}

const norm = (id: string | null | undefined): string | null => (id ? id.trim().replace(/^<|>$/g, '').toLowerCase() : null);

interface M365Box { folders: { wellKnownName: string | null; isHidden?: boolean; messages: { internetMessageId: string | null; isDraft: boolean }[] }[] }

/** Syncs the policy's users with a clean worker (forward sync), so each has a Google mailbox. */
export async function syncOnce(world: BenchWorld, policyId: string, timeoutMs = 300_000): Promise<void> {
  assertFreshBuild();
  const db = world.running.rt.store.db;
  await enqueue(db, DEFAULT_TENANT, cycleJob(policyId), Date.now());
  const w = startWorkerProcess(world, 4);
  await w.ready;
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const rows = await db.selectFrom('sync_users').select(['status']).where('policy_id', '=', policyId).execute();
      if (rows.length > 0 && rows.every((r) => r.status === 'synced')) break;
      if (Date.now() > deadline) throw new Error(`forward sync did not finish: ${JSON.stringify(rows)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    w.child.kill('SIGTERM');
    await w.exited;
  }
}

export async function runRecoveryCrashTrials(world: BenchWorld, opts: RecoveryCrashOptions): Promise<RecoveryCrashResult> {
  assertFreshBuild();
  const rt = world.running.rt;
  const db = rt.store.db;
  const rand = prng(opts.seed ?? 1414);
  const log = opts.log ?? (() => undefined);
  const perUser = opts.perUser ?? 6;
  const bigShare = opts.bigShare ?? 0.1;
  const big = Buffer.alloc(3 * 1024 * 1024 + 4096, 0x5a).toString('base64');
  const google = new Map<string, string>();
  for (const u of await db.selectFrom('sync_users').select(['email', 'destination_email']).where('policy_id', '=', opts.policyId).execute()) google.set(u.email.toLowerCase(), u.destination_email);
  // Recovery writes back with write-back consented and Mail.ReadWrite granted.
  await world.admin('POST', '/microsoft/consent', { permissions: ['User.Read.All', 'Mail.Read', 'Mail.ReadWrite'] });
  await setWriteBack(rt, DEFAULT_TENANT, world.sourceId, { enabled: true }, 'bench');

  /** Per M365 user: normalized Message-IDs that must end up in Microsoft 365 exactly once. */
  const expected = new Map<string, Set<string>>(opts.users.map((u) => [u.toLowerCase(), new Set<string>()]));
  let rounds = 0;
  const startRound = async (): Promise<void> => {
    rounds += 1;
    await declareOutage(rt, DEFAULT_TENANT, opts.policyId, { reason: `crash round ${rounds}` }, 'bench');
    let bigLeft = rand() < bigShare ? 1 : 0;
    for (const upn of opts.users) {
      const g = google.get(upn.toLowerCase())!;
      for (let i = 0; i < perUser; i++) {
        const out = rand() < 0.35;
        const body: Record<string, unknown> = {
          direction: out ? 'out' : 'in', subject: `Round ${rounds} ${out ? 'sent' : 'received'} ${i}`, text: `round ${rounds} message ${i}`,
          read: rand() < 0.5, starred: rand() < 0.2, ...(out ? { to: ['partner@fabrikam.test'] } : {}), ...(rand() < 0.2 ? { labels: [`Crash/${rounds % 3}`] } : {}),
        };
        if (bigLeft > 0 && !out) {
          body['attachments'] = [{ filename: 'big.bin', contentType: 'application/octet-stream', base64: big }];
          bigLeft -= 1;
        } else if (rand() < 0.15) body['attachments'] = [{ filename: 'note.txt', contentType: 'text/plain', base64: Buffer.from(`attachment ${rounds}/${i}`).toString('base64') }];
        const m = await world.admin<{ rfc822MessageId: string }>('POST', `/google/users/${encodeURIComponent(g)}/mail`, body);
        expected.get(upn.toLowerCase())!.add(norm(m.rfc822MessageId)!);
      }
    }
    // Delivered to both mailboxes: recovery must skip it as already present.
    const upn = opts.users[Math.floor(rand() * opts.users.length)]!;
    const dual = await world.admin<{ internetMessageId: string }>('POST', `/microsoft/mailboxes/${encodeURIComponent(upn)}/messages`, { subject: `Round ${rounds} dual delivery`, folder: 'inbox' });
    await world.admin('POST', `/google/users/${encodeURIComponent(google.get(upn.toLowerCase())!)}/mail`, { direction: 'in', subject: `Round ${rounds} dual delivery`, messageId: dual.internetMessageId });
    expected.get(upn.toLowerCase())!.add(norm(dual.internetMessageId)!);
    await startRecovery(rt, DEFAULT_TENANT, opts.policyId, 'bench');
  };
  const openFailover = async () => db.selectFrom('failovers').select(['state']).where('policy_id', '=', opts.policyId).where('state', 'in', ['proposed', 'active', 'recovering']).executeTakeFirst();

  let killedMidWork = 0;
  let t = 0;
  let finishedFirst = 0;
  const window = new KillWindow(opts.minKillMs, opts.maxKillMs);
  // A kill that comes after the round has fully recovered (on a fast machine a round of a few
  // messages takes well under a second) interrupts nothing: it is not a trial. The round starts
  // again and the kill window shrinks; a bounded number of such misses.
  while (t < opts.trials && finishedFirst < opts.trials * 2) {
    if (!(await openFailover())) await startRound();
    const w = startWorkerProcess(world, 4);
    await w.ready;
    const { killAfterMs: killAfter, midWork } = await killDuringWork(db, w, window, rand);
    const ru = await db.selectFrom('recovery_users').select(['status', 'written', 'found', 'next_run_at']).execute();
    const progress = `recovery users ${ru.filter((r) => r.status === 'recovered').length}/${ru.length} recovered, ${ru.reduce((a, r) => a + Number(r.written), 0)} written`;
    if (!midWork && !(await openFailover())) {
      finishedFirst += 1;
      log(`recovery round ${rounds} finished before the kill (after ${killAfter} ms): not a trial; ${progress}`);
      continue;
    }
    t += 1;
    if (midWork) killedMidWork += 1;
    log(`recovery trial ${t}/${opts.trials} (round ${rounds}): killed after ${killAfter} ms${midWork ? ' mid-work' : ' idle'}; ${progress}`);
  }

  // A clean run finishes the last recovery and the forward sync after it.
  await enqueue(db, DEFAULT_TENANT, cycleJob(opts.policyId), Date.now());
  const w = startWorkerProcess(world, 4);
  await w.ready;
  const deadline = Date.now() + 300_000;
  try {
    for (;;) {
      const open = await openFailover();
      const live = await db.selectFrom('jobs').select(['status', 'run_at']).where('status', 'in', ['queued', 'running']).execute();
      const users = await db.selectFrom('sync_users').select(['status']).where('policy_id', '=', opts.policyId).execute();
      const due = live.filter((j) => j.status === 'running' || j.run_at <= new Date(Date.now() + 1000).toISOString());
      if (!open && due.length === 0 && users.every((u) => u.status === 'synced')) break;
      if (Date.now() > deadline) throw new Error(`the clean run did not finish: failover ${open?.state ?? 'none'}, users ${JSON.stringify(users)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    // One more forward cycle after everything settled: a loop would show now if anywhere.
    await enqueue(db, DEFAULT_TENANT, cycleJob(opts.policyId), Date.now());
    for (;;) {
      const live = await db.selectFrom('jobs').select(['status', 'run_at']).where('status', 'in', ['queued', 'running']).execute();
      if (live.filter((j) => j.status === 'running' || j.run_at <= new Date(Date.now() + 1000).toISOString()).length === 0) break;
      if (Date.now() > deadline) throw new Error('the last forward cycle did not finish');
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    w.child.kill('SIGTERM');
    await w.exited;
  }

  let lost = 0;
  let duplicated = 0;
  let looped = 0;
  let checked = 0;
  for (const upn of opts.users) {
    const want = expected.get(upn.toLowerCase())!;
    const box = await world.admin<M365Box>('GET', `/microsoft/mailboxes/${encodeURIComponent(upn)}`);
    const inM365 = new Map<string, number>();
    for (const f of box.folders) for (const m of f.messages) {
      const id = norm(m.internetMessageId);
      if (id) inM365.set(id, (inM365.get(id) ?? 0) + 1);
    }
    for (const id of want) if (!inM365.has(id)) lost += 1;
    for (const [, n] of inM365) if (n > 1) duplicated += n - 1;
    const gmail = (await world.admin<{ messages: { rfc822MessageId: string | null }[] }>('GET', `/google/users/${encodeURIComponent(google.get(upn.toLowerCase())!)}/messages`)).messages;
    const inGmail = new Map<string, number>();
    for (const m of gmail) {
      const id = norm(m.rfc822MessageId);
      if (id) inGmail.set(id, (inGmail.get(id) ?? 0) + 1);
    }
    for (const [, n] of inGmail) if (n > 1) looped += n - 1;
    checked += want.size;
  }
  const failedItems = await db.selectFrom('recovery_items').select((eb) => eb.fn.countAll<number>().as('n')).where('state', '=', 'failed').executeTakeFirstOrThrow();
  const failedUsers = await db.selectFrom('recovery_users').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'failed').executeTakeFirstOrThrow();
  return { trials: t, rounds, lost, duplicated, looped, failed: Number(failedItems.n) + Number(failedUsers.n), checked, killedMidWork, finishedBeforeKill: finishedFirst };
}
