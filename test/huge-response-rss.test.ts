import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../src/sandbox/server.js';
import { packageRoot } from '../src/runtime/paths.js';
import { clearFaults, setFault } from './support/sandbox-admin.js';

/**
 * Issue 10's target "a 200 MB page keeps RSS under 400 MB and ends in a catalogue error",
 * measured where nothing else shares the heap: a child Node process runs the built connector
 * HTTP client (the one every connector uses) against the sandbox's SCIM list streaming 200 MB
 * (chunked, no Content-Length), sampling its own RSS while it reads.
 */
const run = promisify(execFile);
const HTTP = () => join(packageRoot(), 'dist', 'src', 'connectors', 'sdk', 'http.js');

describe('a 200 MB response in a process of its own', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    const built = HTTP();
    if (!existsSync(built)) throw new Error(`${built} is missing: run \`npm run build\` first`);
    if (statSync(built).mtimeMs < statSync(join(packageRoot(), 'src', 'connectors', 'sdk', 'http.ts')).mtimeMs) throw new Error(`${built} is older than its source: run \`npm run build\``);
    sandbox = await startSandbox({});
  });
  afterAll(async () => {
    await clearFaults(sandbox);
    await sandbox?.close();
  });

  it('ends as provider.response_too_large with peak RSS under 400 MB', async () => {
    await setFault(sandbox, 'scim.huge_response', '*', { mb: 200 });
    const script = `
      import { createHttpClient } from ${JSON.stringify(HTTP())};
      let peak = process.memoryUsage().rss;
      const t = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 5);
      const http = createHttpClient({ provider: 'SCIM app' });
      let code = null;
      try {
        // As a reader would: the answer, then its JSON (a client without the cap holds both).
        const res = await http.request({ method: 'GET', url: ${JSON.stringify(`${sandbox.demo.scim.baseUrl}/Users`)}, headers: { authorization: 'Bearer ' + ${JSON.stringify(sandbox.demo.scim.token)} } });
        res.json();
      } catch (e) { code = e.code ?? String(e); }
      clearInterval(t);
      peak = Math.max(peak, process.memoryUsage().rss);
      console.log(JSON.stringify({ code, peakMb: Math.round(peak / 1024 / 1024) }));
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { timeout: 120_000 });
    const out = JSON.parse(stdout.trim().split('\n').pop()!) as { code: string | null; peakMb: number };
    expect(out.code).toBe('provider.response_too_large');
    expect(out.peakMb, JSON.stringify(out)).toBeLessThan(400);
  });
});
