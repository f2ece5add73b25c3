import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { startSandbox } from '../../sandbox/server.js';
import { serviceNames } from '../../sandbox/types.js';
import { table } from '../table.js';

/**
 * `syncwarden sandbox`: the provider simulators alone, and `syncwarden sandbox fault …` to
 * switch the help articles' failure causes on and off in a running sandbox through its admin
 * API (the admin origin is the last of the sandbox's consecutive ports).
 */
export function registerSandboxCommands(program: Command, cli: CliContext): void {
  const sandbox = program
    .command('sandbox')
    .description('run the provider simulators alone and print their base URLs; `sandbox fault …` injects failures')
    .option('--json', 'print one JSON object of base URLs')
    .option('-p, --port <n>', 'first port (0 = any free ports)', String(cli.sandboxPort))
    // `sandbox fault on … --json` is the subcommand's own --json, not this command's.
    .enablePositionalOptions()
    .action(async (o: { json?: boolean; port: string }) => {
      const running = await startSandbox({ basePort: Number(o.port), stateDir: `${cli.dataDir}/sandbox` });
      const { admin, ...providers } = running.urls;
      if (o.json) cli.out(JSON.stringify({ ...providers, admin }));
      else cli.out(table(['service', 'base URL'], Object.entries(running.urls)));
      const stop = () => void running.close().finally(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });

  const defaultAdmin = `http://127.0.0.1:${cli.sandboxPort + serviceNames.indexOf('admin')}`;
  const fault = sandbox
    .command('fault')
    .description('switch a failure cause on or off in a running sandbox (see docs/sandbox.md for the names)')
    .option('--admin <url>', 'the sandbox admin origin', cli.env['SYNCWARDEN_SANDBOX_ADMIN'] ?? defaultAdmin);

  const adminUrl = (): string => String(fault.opts<{ admin: string }>().admin).replace(/\/$/, '');
  const call = async (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<unknown> => {
    let res: Response;
    try {
      res = await fetch(`${adminUrl()}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new Error(`no sandbox answers at ${adminUrl()} (${(e as Error).message}); start one with \`syncwarden sandbox\` or \`npm start\`, or pass --admin`);
    }
    const json = (await res.json().catch(() => ({}))) as { error?: string };
    if (!res.ok) throw new Error(`sandbox refused: ${json.error ?? res.status}`);
    return json;
  };
  const printFaults = (json: unknown, asJson: boolean | undefined): void => {
    const faults = (json as { faults?: { scope: string; name: string; params: Record<string, unknown> }[] }).faults ?? [];
    if (asJson) return cli.out(JSON.stringify(faults));
    if (faults.length === 0) return cli.out('No faults are on.');
    cli.out(table(['fault', 'scope', 'params'], faults.map((f) => [f.name, f.scope, JSON.stringify(f.params)])));
  };

  fault
    .command('list')
    .description('the faults that are on, and every name that can be switched on')
    .option('--json', 'JSON output')
    .action(async (o: { json?: boolean }) => {
      const on = await call('GET', '/faults');
      printFaults(on, o.json);
      if (!o.json) {
        const names = ((await call('GET', '/')) as { faults?: string[] }).faults ?? [];
        cli.out(`\nAvailable: ${names.join(', ')}`);
      }
    });

  fault
    .command('on <name>')
    .description('switch a fault on, e.g. `sandbox fault on m365.certificate_expired --scope <tenant id>`')
    .option('--scope <scope>', 'tenant id, domain, account, SCIM tenant, or * for all', '*')
    .option('--param <key=value...>', 'fault parameters (numbers and true/false are typed)')
    .option('--json', 'JSON output')
    .action(async (name: string, o: { scope: string; param?: string[]; json?: boolean }) => {
      printFaults(await call('POST', '/faults', { name, scope: o.scope, params: parseParams(o.param ?? []) }), o.json);
    });

  fault
    .command('off [name]')
    .description('switch one fault off (or every fault, with no name)')
    .option('--scope <scope>', 'only in this scope')
    .option('--json', 'JSON output')
    .action(async (name: string | undefined, o: { scope?: string; json?: boolean }) => {
      const json = name
        ? await call('POST', '/faults', { name, scope: o.scope ?? '*', on: false })
        : await call('DELETE', `/faults${o.scope ? `?scope=${encodeURIComponent(o.scope)}` : ''}`);
      printFaults(json, o.json);
    });
}

/** `k=v` pairs; numbers and booleans become typed so simulators can compare them. */
export function parseParams(pairs: readonly string[]): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const pair of pairs) {
    const i = pair.indexOf('=');
    if (i <= 0) throw new Error(`--param ${pair}: expected key=value`);
    const key = pair.slice(0, i);
    const raw = pair.slice(i + 1);
    out[key] = raw === 'true' ? true : raw === 'false' ? false : raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  }
  return out;
}
