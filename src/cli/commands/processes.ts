import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { startSyncwarden, type Running } from '../../runtime/start.js';
import { packageVersion } from '../../runtime/paths.js';
import { leaseMsFrom } from '../../engine/worker.js';

/** The first owner's one-time sign-in link: how a newcomer gets in after `npm start`. */
function announceFirstSignIn(cli: CliContext, running: Running): void {
  if (!running.firstSignIn) return;
  cli.out('');
  cli.out(`Sign in as ${running.firstSignIn.email} (the first owner) by opening this one-time link within 24 hours:`);
  cli.out(`  ${running.firstSignIn.url}`);
  cli.out('Then set a password under your account menu. A new link: `syncwarden users reset-password ' + running.firstSignIn.email + '`.');
  cli.out('');
}

/** The long-running processes: start (everything), serve (API + UI), worker. */
export function registerProcessCommands(program: Command, cli: CliContext): void {
  program
    .command('start')
    .description('everything in one process: API + UI, scheduler, workers, and the sandbox demo tenant')
    .option('--no-demo', 'do not run the sandbox and demo tenant')
    .action(async (o: { demo: boolean }) => {
      const running = await startSyncwarden({
        dataDir: cli.dataDir, databaseUrl: cli.databaseUrl, port: cli.port, host: cli.host,
        sandbox: o.demo && cli.env['SYNCWARDEN_DEMO'] !== '0' ? { basePort: cli.sandboxPort, demo: true } : undefined,
        worker: { concurrency: Number(cli.env['SYNCWARDEN_WORKERS'] ?? 16), leaseMs: leaseMsFrom(cli.env) },
        scheduler: true,
      });
      cli.out(`Syncwarden ${packageVersion()} is running: ${running.url}`);
      announceFirstSignIn(cli, running);
      cli.keepRunning(running);
    });

  program
    .command('serve')
    .description('API + UI only (stateless; run workers separately against DATABASE_URL)')
    .action(async () => {
      const running = await startSyncwarden({ dataDir: cli.dataDir, databaseUrl: cli.databaseUrl, port: cli.port, host: cli.host, scheduler: false });
      cli.out(`Syncwarden API listening on ${running.url}`);
      announceFirstSignIn(cli, running);
      cli.keepRunning(running);
    });

  program
    .command('worker')
    .description('a worker process: claims jobs and runs the scheduler (any number, sharing DATABASE_URL)')
    .option('-c, --concurrency <n>', 'jobs at once (mailbox jobs mostly wait on rate budgets: many per process is normal)', '16')
    .action(async (o: { concurrency: string }) => {
      const running = await startSyncwarden({ dataDir: cli.dataDir, databaseUrl: cli.databaseUrl, worker: { concurrency: Number(o.concurrency), leaseMs: leaseMsFrom(cli.env) }, scheduler: true });
      cli.out(`worker ${running.worker?.id} started`);
      cli.keepRunning(running);
    });
}
