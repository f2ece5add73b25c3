import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { declareOutage, dismissFailover, latestFailover, openFailoverViews, startRecovery, viewFailover, type FailoverView } from '../../continuity/failover/failover.js';
import { recoveryReport, recoveryReportCsv } from '../../continuity/failover/report.js';
import { loadFailoverSettings, saveFailoverSettings } from '../../continuity/failover/settings.js';
import { DEFAULT_TENANT } from '../../api/route.js';
import type { Runtime } from '../../runtime/context.js';
import { table } from '../table.js';
import { resolvePolicy } from '../resolve.js';

const T = DEFAULT_TENANT;
const STATUS: Record<string, string> = { pending: 'Waiting', recovering: 'Recovering', throttled: 'Recovering (throttled)', recovered: 'Recovered', failed: 'Failed' };

/** A policy by id, name or the start of its name. */
const policyOf = (rt: Runtime, key: string) => resolvePolicy(rt, T, key);

function summary(f: FailoverView): string {
  const t = f.totals;
  return [
    f.banner ?? `Failover of "${f.policyName}": ${f.state}`,
    `State: ${f.state}${f.lastProbeAt ? `; last probe ${f.lastProbeAt} ${f.lastProbeError ? `failed (${f.lastProbeError.code})` : 'succeeded'}` : ''}${f.healthySince ? `; healthy since ${f.healthySince}` : ''}`,
    `Users ${t.users}: ${t.recovered} recovered, ${t.recovering} recovering, ${t.failedUsers} failed. Messages found ${t.found}: ${t.written} written back, ${t.skipped} skipped, ${t.failed} failed.`,
  ].join('\n');
}

/**
 * `syncwarden failover …`: declare a Microsoft 365 outage on a policy, see it, end it, start
 * recovery, and the recovery report (table, JSON or CSV). Policies by id or name.
 */
export function registerFailoverCommands(program: Command, cli: CliContext): void {
  const fo = program.command('failover').description('Microsoft 365 outages: declare, recover the mail written in Google Workspace meanwhile, report');

  fo.command('status')
    .description('open failovers (outages declared or proposed, recoveries running)')
    .option('--json', 'JSON output')
    .action(async (o: { json?: boolean }) => {
      await cli.withRuntime(async ({ rt }) => {
        const open = await openFailoverViews(rt, T);
        if (o.json) return cli.out(JSON.stringify(open, null, 2));
        if (open.length === 0) return cli.out('No outage is declared or proposed.');
        for (const f of open) cli.out(summary(f));
      });
    });

  fo.command('declare <policy>')
    .description('declare an outage (or confirm Syncwarden\'s proposal): users work in Google Workspace')
    .option('--since <iso>', 'when Microsoft 365 began failing (default: now, or the proposal\'s start)')
    .option('--reason <text>', 'a note for the audit log')
    .option('--json', 'JSON output')
    .action(async (policy: string, o: { since?: string; reason?: string; json?: boolean }) => {
      await cli.withRuntime(async ({ rt }) => {
        const p = await policyOf(rt, policy);
        const f = await viewFailover(rt, T, await declareOutage(rt, T, p.id, { since: o.since, reason: o.reason }, 'cli'));
        cli.out(o.json ? JSON.stringify(f, null, 2) : summary(f));
      });
    });

  fo.command('end <policy>')
    .description('dismiss a proposal, or end an outage without recovery')
    .action(async (policy: string) => {
      await cli.withRuntime(async ({ rt }) => {
        const p = await policyOf(rt, policy);
        cli.out(summary(await viewFailover(rt, T, await dismissFailover(rt, T, p.id, 'cli'))));
      });
    });

  fo.command('recover <policy>')
    .description('start recovery: write the outage\'s mail back to Microsoft 365 (add --wait to run it here to the end)')
    .option('--wait', 'run the recovery in this process and wait for it to finish')
    .option('--json', 'JSON output')
    .action(async (policy: string, o: { wait?: boolean; json?: boolean }) => {
      await cli.withRuntime(
        async ({ rt, worker }) => {
          const p = await policyOf(rt, policy);
          const started = await startRecovery(rt, T, p.id, 'cli');
          if (o.wait) await worker!.drain();
          const f = await viewFailover(rt, T, (await latestFailover(rt, T, p.id)) ?? started);
          cli.out(o.json ? JSON.stringify(f, null, 2) : summary(f));
        },
        o.wait ? { worker: { concurrency: 4 } } : {},
      );
    });

  fo.command('report <policy>')
    .description('the recovery report: each user (Recovering with progress, Recovered, Failed with its code); --csv for one line per message')
    .option('--csv', 'CSV, one line per message')
    .option('--json', 'JSON output')
    .action(async (policy: string, o: { csv?: boolean; json?: boolean }) => {
      await cli.withRuntime(async ({ rt }) => {
        const p = await policyOf(rt, policy);
        if (o.csv) return cli.out((await recoveryReportCsv(rt, T, p.id)).trimEnd());
        const r = await recoveryReport(rt, T, p.id);
        if (o.json) return cli.out(JSON.stringify(r, null, 2));
        cli.out(summary(r.failover));
        cli.out(table(['user', 'status', 'progress', 'found', 'written', 'skipped', 'failed', 'error'], r.users.map((u) => [u.email, STATUS[u.status] ?? u.status, `${u.progress}%`, u.found, u.written, u.skipped, u.failed, u.error?.code ?? ''])));
      });
    });

  fo.command('settings <policy>')
    .description('show or change when Syncwarden proposes a failover and whether recovery starts by itself')
    .option('--propose-after <minutes>', 'propose after this many minutes of outage (0 = never propose)')
    .option('--auto-recover-after <minutes>', 'start recovery by itself after this many healthy minutes (0 = never)')
    .option('--json', 'JSON output')
    .action(async (policy: string, o: { proposeAfter?: string; autoRecoverAfter?: string; json?: boolean }) => {
      await cli.withRuntime(async ({ rt }) => {
        const p = await policyOf(rt, policy);
        const patch: Record<string, unknown> = {};
        if (o.proposeAfter !== undefined) Object.assign(patch, Number(o.proposeAfter) === 0 ? { propose: false } : { propose: true, proposeAfterMinutes: Number(o.proposeAfter) });
        if (o.autoRecoverAfter !== undefined) Object.assign(patch, Number(o.autoRecoverAfter) === 0 ? { autoRecover: false } : { autoRecover: true, autoRecoverAfterMinutes: Number(o.autoRecoverAfter) });
        const s = Object.keys(patch).length ? await saveFailoverSettings(rt, T, p.id, p.name, patch, 'cli') : await loadFailoverSettings(rt, T, p.id);
        if (o.json) return cli.out(JSON.stringify(s));
        cli.out(`Propose a failover: ${s.propose ? `after ${s.proposeAfterMinutes} min of outage` : 'never'}. Start recovery by itself: ${s.autoRecover ? `after ${s.autoRecoverAfterMinutes} min healthy` : 'no (an admin starts it)'}.`);
      });
    });
}

/** `syncwarden sandbox mail …`: mail reaching or leaving a Google user during a simulated outage. */
export function registerSandboxMailCommands(program: Command, cli: CliContext): void {
  const sandbox = program.commands.find((c) => c.name() === 'sandbox');
  if (!sandbox) return;
  const fault = sandbox.commands.find((c) => c.name() === 'fault');
  const adminUrl = (): string => String(fault?.opts<{ admin?: string }>().admin ?? cli.env['SYNCWARDEN_SANDBOX_ADMIN'] ?? '').replace(/\/$/, '');
  const mail = sandbox.command('mail').description('deliver mail to, or send mail from, a Google user (as during a Microsoft 365 outage)').option('--admin <url>', 'the sandbox admin origin');
  const send = async (direction: 'in' | 'out', user: string, o: { subject?: string; label?: string[]; count?: string; admin?: string }) => {
    const base = (mail.opts<{ admin?: string }>().admin ?? adminUrl()).replace(/\/$/, '');
    if (!base) throw new Error('pass --admin <url> (the sandbox admin origin) or set SYNCWARDEN_SANDBOX_ADMIN');
    const count = Number(o.count ?? 1);
    const path = count > 1 ? `/google/users/${encodeURIComponent(user)}/mail/bulk` : `/google/users/${encodeURIComponent(user)}/mail`;
    const body = count > 1 ? { count, sentShare: direction === 'out' ? 1 : 0, labels: o.label ?? [], labelShare: o.label?.length ? 1 : 0 } : { direction, subject: o.subject ?? (direction === 'in' ? 'Mail during the outage' : 'Sent during the outage'), labels: o.label ?? [] };
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (!res.ok) throw new Error(`sandbox refused: ${String(json['error'] ?? res.status)}`);
    cli.out(count > 1 ? `${String(json['added'])} message(s) ${direction === 'in' ? 'delivered to' : 'sent by'} ${user}.` : `${direction === 'in' ? 'Delivered to' : 'Sent by'} ${user}: ${String(json['rfc822MessageId'])}`);
  };
  const collect = (v: string, prev: string[] = []) => [...prev, v];
  mail.command('deliver <user>').description('a message reaches the Google user (Inbox, unread)').option('--subject <s>').option('--label <name>', 'a Gmail label (repeatable)', collect).option('--count <n>', 'this many messages').action((user: string, o) => send('in', user, o));
  mail.command('send <user>').description('the Google user sends a message (Sent)').option('--subject <s>').option('--label <name>', 'a Gmail label (repeatable)', collect).option('--count <n>', 'this many messages').action((user: string, o) => send('out', user, o));
}
