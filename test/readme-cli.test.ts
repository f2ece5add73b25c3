import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './support/sandbox-admin.js';
import { cliRunner } from './support/cli.js';
import { startSyncwarden, type Running } from '../src/runtime/start.js';
import { createLogger } from '../src/runtime/logger.js';
import { listDirectoryStatuses } from '../src/directory/views.js';
import { listSyncUsers } from '../src/continuity/views.js';
import { DEFAULT_TENANT } from '../src/api/route.js';
import { formatCliError } from '../src/cli/main.js';

/**
 * Every `syncwarden …` example in the README's code blocks, run as printed against the demo
 * (`npm start`'s composition on a fresh data folder): each must exit 0. The examples are read
 * from README.md, so the test follows the README. A line with synopsis syntax (`<id>`,
 * `[--all]`, `a|b`, `…`) describes a command rather than being one, and is not run.
 */
const README = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');

export function readmeExamples(markdown: string): { examples: string[][]; synopses: string[] } {
  const examples: string[][] = [];
  const synopses: string[] = [];
  const blocks = markdown.split(/^```[a-z]*\n/m).filter((_, i) => i % 2 === 1);
  for (const block of blocks) {
    for (const raw of block.split('\n')) {
      const line = raw.trim();
      if (!line.startsWith('syncwarden ')) continue;
      const command = line.replace(/\s+#.*$/, '').replace(/\s+>\s*\S+$/, '').trim();
      if (/[<>[\]|…]/.test(command)) {
        synopses.push(line);
        continue;
      }
      examples.push(shellWords(command).slice(1));
    }
  }
  return { examples, synopses };
}

/** Splits a command line as a POSIX shell does for plain words and double or single quotes. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) words.push(m[1] ?? m[2] ?? m[3]!);
  return words;
}

describe('the README\'s CLI examples, against the demo', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sw-readme-'));
  let running: Running;
  const cli = cliRunner(() => ({ SYNCWARDEN_DATA: dataDir, LOG_LEVEL: 'silent' }));
  const { examples, synopses } = readmeExamples(README);

  beforeAll(async () => {
    running = await startSyncwarden({ dataDir, port: 0, sandbox: { basePort: 0, demo: true }, worker: { concurrency: 2 }, scheduler: true, schedulerTickMs: 500, keyHeartbeatMs: 500, env: {}, log: createLogger('silent') });
    // The demo as an admin meets it a minute after `npm start`: directories read, users synced.
    await waitFor('the demo directories to sync', async () => (((await listDirectoryStatuses(running.rt, DEFAULT_TENANT)).every((s) => s.lastRun !== null && s.state !== 'running')) ? true : undefined), 90_000);
    await waitFor('the demo users to sync', async () => (((await listSyncUsers(running.rt, DEFAULT_TENANT, { status: 'synced', limit: 1 })).total > 0) ? true : undefined), 90_000);
  }, 180_000);
  afterAll(async () => {
    await running.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('finds the examples (and only descriptions among what it skips)', () => {
    expect(examples.length).toBeGreaterThanOrEqual(20);
    for (const s of synopses) expect(s, 'a synopsis line').toMatch(/<[a-z ]+>|\[--|\||…/);
  });

  it('every example exits 0', async () => {
    const failed: string[] = [];
    for (const args of examples) {
      let why = '';
      try {
        await cli.run(...args);
        if (cli.exitCode !== 0) why = `exit code ${cli.exitCode}`;
      } catch (e) {
        why = formatCliError(e);
      }
      if (why) failed.push(`syncwarden ${args.map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(' ')}\n  ${why.replace(/\n/g, '\n  ')}`);
    }
    expect(failed).toEqual([]);
  }, 240_000);
});
