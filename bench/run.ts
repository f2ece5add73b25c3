#!/usr/bin/env node
/**
 * `npm run bench -- <name> [--option value …]` (after `npm run build`): runs one benchmark
 * against the sandbox with its quotas on and prints exactly one JSON line of figures to
 * stdout; progress goes to stderr. `npm run bench -- list` names them.
 *
 * The registry is a plain map: a benchmark is a file exporting `run(args)`.
 */
import { availableParallelism, loadavg } from 'node:os';
import { run as mailThroughput } from './mail-throughput.js';
import { run as mailIdleCycle } from './mail-idle-cycle.js';
import { run as mailCrash } from './mail-crash.js';
import { run as mailRecovery } from './mail-recovery.js';
import { run as mailRecoveryCrash } from './mail-recovery-crash.js';
import { run as directorySync } from './directory-sync.js';
import { run as directoryCrash } from './directory-crash.js';
import { run as auditIntegrity } from './audit-integrity.js';
import { run as apiLatency } from './api-latency.js';
import { run as mailScaleout } from './mail-scaleout.js';
import { run as campaignScale } from './campaign-scale.js';
import { run as campaignCrash } from './campaign-crash.js';
import { run as correlation } from './correlation.js';

export type BenchArgs = Readonly<Record<string, string>>;
/** One line of figures, or several (one per database, say). */
export type Benchmark = (args: BenchArgs) => Promise<Record<string, unknown> | Record<string, unknown>[]>;

const benchmarks: Record<string, Benchmark> = {
  'mail-throughput': mailThroughput,
  'mail-idle-cycle': mailIdleCycle,
  'mail-crash': mailCrash,
  'mail-recovery': mailRecovery,
  'mail-recovery-crash': mailRecoveryCrash,
  'directory-sync': directorySync,
  'directory-crash': directoryCrash,
  'audit-integrity': auditIntegrity,
  'api-latency': apiLatency,
  'mail-scaleout': mailScaleout,
  'campaign-scale': campaignScale,
  'campaign-crash': campaignCrash,
  correlation,
};

const round2 = (n: number): number => Math.round(n * 100) / 100;

function parseArgs(argv: readonly string[]): { name: string | undefined; args: Record<string, string> } {
  const args: Record<string, string> = {};
  let name: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith('--')) {
        args[a.slice(2)] = next;
        i++;
      } else args[a.slice(2)] = 'true';
    } else name ??= a;
  }
  return { name, args };
}

async function main(): Promise<void> {
  const { name, args } = parseArgs(process.argv.slice(2));
  if (!name || name === 'list' || !benchmarks[name]) {
    process.stderr.write(`usage: npm run bench -- <name> [--option value]\nbenchmarks: ${Object.keys(benchmarks).join(', ')}\n`);
    process.exitCode = name && name !== 'list' ? 2 : 0;
    return;
  }
  const started = Date.now();
  // The machine's 1-minute load average at start and end, with its core count: a figure taken
  // on a busy machine says so on its own line (targets are for a quiet run).
  const loadStart = round2(loadavg()[0]!);
  const figures = await benchmarks[name]!(args);
  const machine = { load_start: loadStart, load_end: round2(loadavg()[0]!), cpus: availableParallelism() };
  for (const f of Array.isArray(figures) ? figures : [figures]) {
    process.stdout.write(`${JSON.stringify({ bench: name, ...f, seconds: Math.round((Date.now() - started) / 1000), ...machine })}\n`);
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
