import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { listSyncUsers, dashboard } from '../../continuity/views.js';
import { listPolicyViews } from '../../continuity/policies.js';
import { enqueue } from '../../engine/jobs.js';
import { DEFAULT_TENANT } from '../../api/route.js';
import { table } from '../table.js';

/** `syncwarden sync run` and `syncwarden status`. */
export function registerContinuityCommands(program: Command, cli: CliContext): void {
  const sync = program.command('sync').description('run sync cycles');
  sync
    .command('run')
    .description('run a cycle of every enabled policy (or --policy) now and wait for it to finish')
    .option('--policy <id>', 'only this policy')
    .option('--json', 'JSON output')
    .action(async (o: { policy?: string; json?: boolean }) => {
      await cli.withRuntime(
        async ({ rt, worker }) => {
          const policies = (await listPolicyViews(rt, DEFAULT_TENANT)).filter((p) => (o.policy ? p.id === o.policy : p.enabled));
          for (const p of policies) await enqueue(rt.store.db, DEFAULT_TENANT, { kind: 'policy.cycle', dedupeKey: `cycle:${p.id}`, payload: { policyId: p.id } });
          await worker!.drain();
          const d = await dashboard(rt, DEFAULT_TENANT);
          if (o.json) return cli.out(JSON.stringify({ policiesRun: policies.length, ...d }));
          cli.out(`Ran ${policies.length} polic${policies.length === 1 ? 'y' : 'ies'}.`);
          cli.out(table(['status', 'users'], Object.entries(d.users)));
          cli.out(`Items imported in total: ${d.itemsImported}`);
        },
        { worker: { concurrency: 4 } },
      );
    });

  program
    .command('status')
    .description('per-user sync status')
    .option('--status <s>', 'filter: pending, initial_sync, synced, failed, excluded')
    .option('--json', 'JSON output')
    .action(async (o: { status?: string; json?: boolean }) => {
      await cli.withRuntime(async ({ rt }) => {
        const r = await listSyncUsers(rt, DEFAULT_TENANT, { status: o.status, limit: 1000, offset: 0 });
        if (o.json) return cli.out(JSON.stringify(r, null, 2));
        if (r.users.length === 0) return cli.out('No users yet: enable a policy and wait for its first cycle.');
        cli.out(table(['user', 'status', 'exported', 'imported', 'failed items', 'last sync', 'error'], r.users.map((u) => [u.email, u.status, u.exported, u.imported, u.failedItems, u.lastSyncAt ?? '', u.lastError?.code ?? ''])));
        cli.out(`\n${Object.entries(r.counts).map(([k, v]) => `${k}: ${v}`).join('  ')}`);
      });
    });
}
