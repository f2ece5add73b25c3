import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootApp } from './support/app.js';
import { startWorkerProcess } from '../bench/support/worker-process.js';
import { SHUTDOWN_MS } from '../src/cli/main.js';

/**
 * SIGTERM on a busy `syncwarden worker` (the built CLI, a real child process): it finishes the
 * page in hand, hands its job leases back, and exits 0 within the bound — so the next worker
 * takes the jobs over at once instead of waiting for leases to expire.
 */
describe('graceful shutdown', () => {
  let app: Awaited<ReturnType<typeof bootApp>>;
  beforeAll(async () => {
    // The demo (sandbox, connections, an enabled policy) in this process; no worker here.
    app = await bootApp({ sandbox: { basePort: 0, demo: true } });
  }, 120_000);
  afterAll(async () => app?.stop());

  it('a busy worker stops within the bound on SIGTERM, exits 0 and leaves no job leased', async () => {
    const worker = startWorkerProcess({ dataDir: app.dataDir, databaseUrl: app.databaseUrl }, 8);
    await worker.ready;
    const db = app.rt.store.db;
    const deadline = Date.now() + 60_000;
    let busy = 0;
    while (busy < 2 && Date.now() < deadline) {
      busy = (await db.selectFrom('jobs').select('id').where('status', '=', 'running').execute()).length;
      if (busy < 2) await new Promise((r) => setTimeout(r, 50));
    }
    expect(busy, 'jobs running when the signal comes').toBeGreaterThanOrEqual(2);

    const sent = Date.now();
    const exit = new Promise<number | null>((resolve) => worker.child.once('exit', (code) => resolve(code)));
    worker.child.kill('SIGTERM');
    const code = await exit;
    const tookMs = Date.now() - sent;
    expect(code).toBe(0);
    expect(tookMs).toBeLessThan(SHUTDOWN_MS + 1_000);
    // Every job it held is back in the queue, claimable now (no lease left to expire).
    const leased = await db.selectFrom('jobs').select(['id', 'kind', 'lease_owner']).where('status', '=', 'running').execute();
    expect(leased).toEqual([]);
  }, 120_000);
});
