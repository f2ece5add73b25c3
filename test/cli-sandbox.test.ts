import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli/main.js';
import { parseParams } from '../src/cli/commands/sandbox.js';
import { startSandbox, type Sandbox } from '../src/sandbox/server.js';

/** `syncwarden sandbox fault …` against a running sandbox's admin API over HTTP. */
describe('syncwarden sandbox fault', () => {
  let sandbox: Sandbox;
  const run = async (...args: string[]): Promise<string> => {
    const lines: string[] = [];
    await buildProgram({ LOG_LEVEL: 'silent' }, (l) => lines.push(l), () => {}).parseAsync(['node', 'syncwarden', 'sandbox', 'fault', '--admin', sandbox.urls.admin, ...args]);
    return lines.join('\n');
  };

  beforeAll(async () => {
    sandbox = await startSandbox({});
  });
  afterAll(async () => {
    await sandbox.close();
  });

  it('switches a fault on in a scope with typed params, lists it, and switches it off', async () => {
    const tenant = sandbox.demo.microsoft.tenantId;
    const on = JSON.parse(await run('on', 'graph.throttle', '--scope', tenant, '--param', 'retryAfterSeconds=2', '--param', 'everyNth=3', '--json')) as { name: string; scope: string; params: Record<string, unknown> }[];
    expect(on).toEqual([{ name: 'graph.throttle', scope: tenant, params: { retryAfterSeconds: 2, everyNth: 3 }, hits: 0 }]);
    expect(sandbox.faults.get(tenant, 'graph.throttle')?.params['everyNth']).toBe(3);
    const listed = await run('list');
    expect(listed).toMatch(/graph\.throttle\s+8d3f|graph\.throttle\s+\S+/);
    expect(listed).toContain('Available: ');
    expect(listed).toContain('m365.certificate_expired');
    expect(await run('off', 'graph.throttle', '--scope', tenant)).toBe('No faults are on.');
    expect(sandbox.faults.list()).toEqual([]);
  });

  it('off with no name clears every fault; an unknown name is refused with the list of names', async () => {
    await run('on', 'net.slow', '--param', 'ms=5');
    await run('on', 'gmail.throttle');
    expect(sandbox.faults.list()).toHaveLength(2);
    await run('off');
    expect(sandbox.faults.list()).toHaveLength(0);
    await expect(run('on', 'no.such_fault')).rejects.toThrow(/unknown fault; one of: .*m365\.app_deleted/);
  });

  it('says how to start a sandbox when none answers', async () => {
    const lines: string[] = [];
    const cmd = buildProgram({}, (l) => lines.push(l), () => {}).parseAsync(['node', 'syncwarden', 'sandbox', 'fault', '--admin', 'http://127.0.0.1:1', 'list']);
    await expect(cmd).rejects.toThrow(/no sandbox answers at http:\/\/127\.0\.0\.1:1/);
  });

  it('types numbers and booleans in params and rejects a pair without =', () => {
    expect(parseParams(['a=1', 'b=true', 'c=x', 'd=', 'e=1.5'])).toEqual({ a: 1, b: true, c: 'x', d: '', e: 1.5 });
    expect(() => parseParams(['nope'])).toThrow(/expected key=value/);
  });
});
