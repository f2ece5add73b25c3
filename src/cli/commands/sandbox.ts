import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { startSandbox } from '../../sandbox/server.js';
import { table } from '../table.js';

/** `syncwarden sandbox`: the provider simulators alone. */
export function registerSandboxCommands(program: Command, cli: CliContext): void {
  program
    .command('sandbox')
    .description('run the provider simulators alone and print their base URLs')
    .option('--json', 'print one JSON object of base URLs')
    .option('-p, --port <n>', 'first port (0 = any free ports)', String(cli.sandboxPort))
    .action(async (o: { json?: boolean; port: string }) => {
      const sandbox = await startSandbox({ basePort: Number(o.port), stateDir: `${cli.dataDir}/sandbox` });
      const { admin, ...providers } = sandbox.urls;
      if (o.json) cli.out(JSON.stringify({ ...providers, admin }));
      else cli.out(table(['service', 'base URL'], Object.entries(sandbox.urls)));
      const stop = () => void sandbox.close().finally(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
