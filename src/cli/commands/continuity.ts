import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import type { Runtime } from '../../runtime/context.js';
import { dashboard, listSyncUsers, listUserItems, syncStatuses, syncUserDetail } from '../../continuity/views.js';
import { approveHeldCycle, cycleJob, listPolicyViews, rejectHeldCycle } from '../../continuity/policies.js';
import { previewPolicy } from '../../continuity/preview.js';
import { explainUser } from '../../continuity/explain.js';
import { reconcileUser } from '../../continuity/reconcile.js';
import { retryFailedItems, retryUserNow } from '../../continuity/actions.js';
import { loadBudgets, saveBudgets } from '../../continuity/budgets.js';
import { STATUS_LABELS, isSyncStatus } from '../../continuity/status.js';
import { enqueue } from '../../engine/jobs.js';
import { DEFAULT_TENANT } from '../../api/route.js';
import { cliFix, AppError } from '../../errors/index.js';
import { table } from '../table.js';
import { resolveConnection, resolvePolicy } from '../resolve.js';

const T = DEFAULT_TENANT;
const list = (v: string | undefined): string[] | undefined => (v === undefined ? undefined : v.split(',').map((s) => s.trim()).filter(Boolean));
const label = (s: string) => (isSyncStatus(s) ? STATUS_LABELS[s] : s);

/**
 * Continuity from the command line: `sync run`, `status`, one user's detail, items, retry,
 * explain and reconciliation; policies (list, preview, held cycles); rate budgets; the
 * dashboard. Tables for people, `--json` for scripts, everywhere.
 */
export function registerContinuityCommands(program: Command, cli: CliContext): void {
  const sync = program.command('sync').description('run sync cycles and look into one user');
  sync
    .command('run')
    .description('run a cycle of every enabled policy (or --policy) now and wait for it to finish')
    .option('--policy <policy>', 'only this policy (id, name or the start of its name)')
    .option('--json', 'JSON output')
    .action(async (o: { policy?: string; json?: boolean }) => {
      await cli.withRuntime(
        async ({ rt, worker }) => {
          const only = o.policy ? (await resolvePolicy(rt, T, o.policy)).id : undefined;
          const policies = (await listPolicyViews(rt, T)).filter((p) => (only ? p.id === only : p.enabled));
          for (const p of policies) await enqueue(rt.store.db, T, { ...cycleJob(p.id), again: true }, rt.now());
          await worker!.drain();
          const d = await dashboard(rt, T);
          if (o.json) return cli.out(JSON.stringify({ policiesRun: policies.length, ...d }));
          cli.out(`Ran ${policies.length} polic${policies.length === 1 ? 'y' : 'ies'}.`);
          cli.out(table(['status', 'users'], Object.entries(d.users).map(([k, v]) => [label(k), v])));
          cli.out(`Items imported in total: ${d.itemsImported}`);
        },
        { worker: { concurrency: 8 } },
      );
    });

  sync
    .command('show <user>')
    .description('one user (id or address): status, error with its fix, counts, folders')
    .option('--json', 'JSON output')
    .action(async (user: string, o: { json?: boolean }) => {
      await cli.withRuntime(async ({ rt }) => {
        const d = await syncUserDetail(rt, T, user);
        if (o.json) return cli.out(JSON.stringify(d, null, 2));
        cli.out(`${d.displayName} <${d.email}> → ${d.destinationEmail}`);
        cli.out(`Status: ${label(d.status)}${d.throttledBy ? ` by ${d.throttledBy}, resumes ${d.resumesAt}` : ''}`);
        if (d.lastError) cli.out(`Error ${d.lastError.code}: ${d.lastError.title}\n  ${d.lastError.message}\n  Fix: ${cliFix(d.lastError)}`);
        cli.out(`Exported ${d.exported}, imported ${d.imported}, failed items ${d.failedItems}. Last successful sync ${d.lastSyncAt ?? 'never'}, next ${d.nextSyncAt ?? '—'}.`);
        cli.out(table(['folder', 'label', 'phase', 'in window', 'imported', 'failed'], d.folders.map((f) => [f.name, f.label ?? '', f.phase, f.windowTotal ?? '', f.imported, f.failed])));
      });
    });

  sync
    .command('items <user>')
    .description('the items view: items that could not sync, with their error codes')
    .option('--state <state>', 'failed (default), pending or imported', 'failed')
    .option('--json', 'JSON output')
    .action(async (user: string, o: { state: string; json?: boolean }) => {
      await cli.withRuntime(async ({ rt }) => {
        if (!['failed', 'pending', 'imported'].includes(o.state)) throw new AppError('request.invalid', { detail: `--state must be failed, pending or imported` });
        const r = await listUserItems(rt, T, user, { state: o.state, limit: 1000 });
        if (o.json) return cli.out(JSON.stringify(r, null, 2));
        if (r.items.length === 0) return cli.out(`No ${o.state} items.`);
        cli.out(table(['subject', 'folder', 'code', 'message'], r.items.map((i) => [i.subject ?? '(no subject)', i.folder, i.error?.code ?? '', i.error?.message ?? ''])));
      });
    });

  sync
    .command('retry-failed <user>')
    .description('"Retry failed items": queue the user\'s failed items and sync them now')
    .option('--json', 'JSON output')
    .action(async (user: string, o: { json?: boolean }) => {
      await cli.withRuntime(
        async ({ rt, worker }) => {
          const r = await retryFailedItems(rt, T, user);
          await worker!.drain();
          const left = await listUserItems(rt, T, user, { state: 'failed', limit: 1000 });
          if (o.json) return cli.out(JSON.stringify({ retried: r.queued, stillFailing: left.total }));
          cli.out(`Retried ${r.queued} item(s); ${left.total} still cannot sync.`);
        },
        { worker: { concurrency: 4 } },
      );
    });

  sync
    .command('retry <user>')
    .description('sync this user now (also lifts the wait of a quarantined user)')
    .option('--json', 'JSON output')
    .action(async (user: string, o: { json?: boolean }) => {
      await cli.withRuntime(
        async ({ rt, worker }) => {
          await retryUserNow(rt, T, user);
          await worker!.drain();
          const d = await syncUserDetail(rt, T, user);
          if (o.json) return cli.out(JSON.stringify({ status: d.status, lastError: d.lastError }));
          cli.out(`${d.email}: ${label(d.status)}${d.lastError ? ` — ${d.lastError.code}: ${d.lastError.title}` : ''}`);
        },
        { worker: { concurrency: 4 } },
      );
    });

  sync
    .command('explain <user>')
    .description("why isn't this user syncing? policy match → destination account → connections → last error")
    .option('--json', 'JSON output')
    .action(async (user: string, o: { json?: boolean }) => {
      await cli.withRuntime(async ({ rt }) => {
        const e = await explainUser(rt, T, user);
        if (o.json) return cli.out(JSON.stringify(e, null, 2));
        cli.out(e.verdict);
        for (const s of e.steps) {
          const mark = s.status === 'pass' ? '✓' : s.status === 'fail' ? '✗' : s.status === 'warning' ? '!' : '·';
          cli.out(`${mark} ${s.title}: ${s.detail}`);
          if (s.error) cli.out(`    ${s.error.code}: ${s.error.message}\n    Fix: ${cliFix(s.error)}`);
        }
      });
    });

  sync
    .command('reconcile <user>')
    .description('compare source and destination per folder and classify every gap')
    .option('--json', 'JSON output')
    .action(async (user: string, o: { json?: boolean }) => {
      await cli.withRuntime(async ({ rt }) => {
        const r = await reconcileUser(rt, T, user);
        if (o.json) return cli.out(JSON.stringify(r, null, 2));
        cli.out(table(['folder', 'source', 'destination', 'matched', 'gaps'], r.folders.map((f) => [f.name, f.reconciliation.source, f.reconciliation.destination, f.reconciliation.matched, f.reconciliation.gaps.map((g) => `${g.class} ${g.count}`).join(', ')])));
      });
    });

  program
    .command('status')
    .description('per-user sync status')
    .option('--status <s>', `filter: ${syncStatuses.join(', ')}`)
    .option('--policy <policy>', 'only this policy (id, name or the start of its name)')
    .option('--json', 'JSON output')
    .action(async (o: { status?: string; policy?: string; json?: boolean }) => {
      await cli.withRuntime(async ({ rt }) => {
        if (o.status && !isSyncStatus(o.status)) throw new AppError('request.invalid', { detail: `--status must be one of ${syncStatuses.join(', ')}` });
        const policyId = o.policy ? (await resolvePolicy(rt, T, o.policy)).id : undefined;
        const r = await listSyncUsers(rt, T, { status: o.status, policyId, limit: 1000 });
        if (o.json) return cli.out(JSON.stringify(r, null, 2));
        if (r.users.length === 0) {
          // An empty filter result is not an empty installation: say which one it is.
          const all = Object.values(r.counts).reduce((a, b) => a + b, 0);
          if (all > 0 || o.status) return cli.out(o.status ? `No users are ${label(o.status)}${all > 0 ? ` (${Object.entries(r.counts).filter(([, v]) => v > 0).map(([k, v]) => `${label(k)}: ${v}`).join(', ')})` : ''}.` : 'No users match.');
          return cli.out('No users yet: enable a policy (`syncwarden policies list`) and wait for its first cycle, or run `syncwarden sync run`.');
        }
        cli.out(
          table(
            ['user', 'status', 'exported', 'imported', 'failed items', 'last successful sync', 'next sync', 'error'],
            r.users.map((u) => [u.email, `${label(u.status)}${u.throttledBy ? ` by ${u.throttledBy}` : ''}`, u.exported, u.imported, u.failedItems, u.lastSyncAt ?? 'never', u.nextSyncAt ?? '—', u.lastError?.code ?? '']),
          ),
        );
        if (r.total > r.users.length) cli.out(`\nShowing the first ${r.users.length} of ${r.total}${r.totalExact ? '' : '+'} users (by name); narrow the list with --status or --policy, or page through all of them with the API (GET /sync/users?cursor=…).`);
        cli.out(`\n${Object.entries(r.counts).map(([k, v]) => `${label(k)}: ${v}`).join('  ')}`);
      });
    });

  program
    .command('dashboard')
    .description('data and users synced, changes in 24 h, failed users, oldest successful sync')
    .option('--json', 'JSON output')
    .action(async (o: { json?: boolean }) => {
      await cli.withRuntime(async ({ rt }) => {
        const d = await dashboard(rt, T);
        if (o.json) return cli.out(JSON.stringify(d, null, 2));
        cli.out(
          table(['figure', 'value'], [
            ['data synced', `${(d.dataSyncedBytes / 1_048_576).toFixed(1)} MB (${d.itemsImported} items)`],
            ['users synced', d.usersSynced],
            ['changes in 24 h', `${d.changes24h.total} (${d.changes24h.imported} new, ${d.changes24h.changed} changed, ${d.changes24h.deleted} deleted)`],
            ['failed users', d.failedUsers],
            ['oldest successful sync', d.oldestSuccessfulSync ?? 'none yet'],
          ]),
        );
      });
    });

  const policies = program.command('policies').description('continuity policies');
  policies
    .command('list')
    .option('--json', 'JSON output')
    .action(async (o: { json?: boolean }) => {
      // Remotely (SYNCWARDEN_URL + SYNCWARDEN_TOKEN): the token's tenant, through the API.
      const run = cli.remote ? async (fn: (rt: null) => Promise<void>) => fn(null) : async (fn: (rt: Runtime) => Promise<void>) => cli.withRuntime(async ({ rt }) => fn(rt));
      await (run as (fn: (rt: Runtime | null) => Promise<void>) => Promise<void>)(async (rt) => {
        const ps = rt ? await listPolicyViews(rt, T) : (await cli.callApi<{ policies: Awaited<ReturnType<typeof listPolicyViews>> }>('GET', '/policies')).policies;
        if (o.json) return cli.out(JSON.stringify(ps, null, 2));
        cli.out(table(['id', 'name', 'enabled', 'users', 'every', 'window', 'held'], ps.map((p) => [p.id, p.name, p.enabled ? 'yes' : 'no', p.selection.mode, `${p.scheduleMinutes} min`, `${p.initialWindowDays} d`, p.heldCycle ? `${p.heldCycle.removals.length} removals` : ''])));
      });
    });

  policies
    .command('preview [policy]')
    .description('preview a rule change (or a new policy with --source and --destination) before saving it')
    .option('--source <connection>', 'source connection (new policy): id, name or the start of its name')
    .option('--destination <connection>', 'destination connection (new policy): id, name or the start of its name')
    .option('--mode <mode>', 'all, rules or list')
    .option('--include <emails>', 'comma-separated')
    .option('--exclude <emails>', 'comma-separated')
    .option('--groups <groups>', 'comma-separated group names or ids (mode rules)')
    .option('--deletion-delay <days>', 'days before a removed user\'s Google account is deleted')
    .option('--json', 'JSON output')
    .action(async (policyKey: string | undefined, o: { source?: string; destination?: string; mode?: string; include?: string; exclude?: string; groups?: string; deletionDelay?: string; json?: boolean }) => {
      await cli.withRuntime(async ({ rt }) => {
        const policyId = policyKey ? (await resolvePolicy(rt, T, policyKey)).id : undefined;
        const base = policyId ? (await listPolicyViews(rt, T)).find((p) => p.id === policyId) : undefined;
        const selection = { ...(base?.selection ?? {}), ...(o.mode ? { mode: o.mode } : {}), ...(o.include ? { include: list(o.include) } : {}), ...(o.exclude ? { exclude: list(o.exclude) } : {}), ...(o.groups ? { groups: list(o.groups) } : {}) };
        const p = await previewPolicy(rt, T, {
          ...(policyId ? { policyId } : {}),
          ...(o.source ? { sourceConnectionId: await resolveConnection(rt, T, o.source) } : {}),
          ...(o.destination ? { destinationConnectionId: await resolveConnection(rt, T, o.destination) } : {}),
          selection,
          ...(o.deletionDelay !== undefined ? { deletionDelayDays: Number(o.deletionDelay) } : {}),
        });
        if (o.json) return cli.out(JSON.stringify(p, null, 2));
        cli.out(`${p.selected} user(s) selected (${p.current} now): +${p.added.length} added, −${p.removed.length} removed, ${p.accountsToCreate} Google account(s) to create, ${p.accountsToDelete.length} scheduled for deletion.`);
        if (p.held) cli.out(`The mass-deletion guard would hold this cycle: ${p.held.percent}% of users removed (limit ${p.held.threshold}%).`);
        for (const a of p.added) cli.out(`+ ${a.email}${a.createsAccount ? ' (creates a Google account)' : ''}`);
        for (const r of p.removed) cli.out(`− ${r.email} (${r.reason.replace(/_/g, ' ')})${r.deleteAfter ? `, Google account deleted after ${r.deleteAfter}` : ''}`);
      });
    });

  for (const [name, fn, verb] of [['approve', approveHeldCycle, 'approved'], ['reject', rejectHeldCycle, 'rejected']] as const) {
    policies
      .command(`${name} <policy>`)
      .description(`${name} the cycle the mass-deletion guard held`)
      .option('--json', 'JSON output')
      .action(async (policyKey: string, o: { json?: boolean }) => {
        await cli.withRuntime(async ({ rt }) => {
          const p = await fn(rt, T, (await resolvePolicy(rt, T, policyKey)).id, 'cli');
          if (o.json) return cli.out(JSON.stringify(p, null, 2));
          cli.out(`Held cycle of "${p.name}" ${verb}.`);
        });
      });
  }

  const budgets = program.command('budgets').description('rate budgets: the provider quotas Syncwarden paces to');
  budgets
    .command('show')
    .option('--json', 'JSON output')
    .action(async (o: { json?: boolean }) => {
      await cli.withRuntime(async ({ rt }) => {
        const b = await loadBudgets(rt, T);
        if (o.json) return cli.out(JSON.stringify(b, null, 2));
        cli.out(table(['budget', 'limit'], [
          ['source mailbox', `${b.sourceMailbox.requests} requests / ${b.sourceMailbox.windowMinutes} min, ${b.sourceMailbox.concurrent} at once`],
          ['destination user', `${b.destinationUser.unitsPerMinute} units / min`],
          ['destination project', `${b.destinationProject.unitsPerMinute} units / min`],
        ]));
      });
    });
  budgets
    .command('set')
    .option('--source-requests <n>')
    .option('--source-window-minutes <n>')
    .option('--source-concurrent <n>')
    .option('--destination-user-units <n>', 'quota units per user per minute')
    .option('--destination-project-units <n>', 'quota units per project per minute')
    .option('--json', 'JSON output')
    .action(async (o: Record<string, string | boolean | undefined>) => {
      await cli.withRuntime(async ({ rt }) => {
        const n = (k: string) => (typeof o[k] === 'string' ? Number(o[k]) : undefined);
        const strip = <V extends Record<string, number | undefined>>(v: V) => Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined));
        const b = await saveBudgets(rt, T, {
          sourceMailbox: strip({ requests: n('sourceRequests'), windowMinutes: n('sourceWindowMinutes'), concurrent: n('sourceConcurrent') }),
          destinationUser: strip({ unitsPerMinute: n('destinationUserUnits') }),
          destinationProject: strip({ unitsPerMinute: n('destinationProjectUnits') }),
        }, 'cli');
        cli.out(o['json'] ? JSON.stringify(b, null, 2) : 'Rate budgets saved.');
      });
    });
}
