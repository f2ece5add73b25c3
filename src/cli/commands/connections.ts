import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { listConnectionViews, testConnection } from '../../connections/service.js';
import { DEFAULT_TENANT } from '../../api/route.js';
import { table } from '../table.js';

/** `syncwarden connections …` */
export function registerConnectionCommands(program: Command, cli: CliContext): void {
  const connections = program.command('connections').description('list and test connections');
  connections
    .command('list')
    .option('--json', 'JSON output')
    .action(async (o: { json?: boolean }) => {
      await cli.withRuntime(async ({ rt }) => {
        const list = await listConnectionViews(rt, DEFAULT_TENANT);
        if (o.json) return cli.out(JSON.stringify(list, null, 2));
        if (list.length === 0) return cli.out('No connections yet. Run `npm start` for the demo tenant, or add one in the UI.');
        cli.out(table(['id', 'name', 'kind', 'role', 'status', 'last tested', 'error'], list.map((c) => [c.id, c.name, c.kind, c.role, c.status, c.lastTestedAt ?? 'never', c.lastError?.code ?? ''])));
      });
    });
  connections
    .command('test <id>')
    .option('--json', 'JSON output')
    .action(async (id: string, o: { json?: boolean }) => {
      await cli.withRuntime(async ({ rt }) => {
        const result = await testConnection(rt, DEFAULT_TENANT, id, 'cli');
        if (o.json) return cli.out(JSON.stringify(result, null, 2));
        cli.out(result.ok ? 'Connection test successful' : 'Connection test failed');
        cli.out(table(['check', 'status', 'code', 'message'], result.findings.map((f) => [f.label, f.status, f.error?.code ?? '', f.error?.message ?? f.detail ?? ''])));
        for (const f of result.findings.filter((x) => x.error)) cli.out(`\n${f.error!.code}: ${f.error!.title}\n  Fix: ${f.error!.resolution}`);
        cli.setExitCode(result.ok ? 0 : 1);
      });
    });
}
