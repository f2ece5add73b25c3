import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliRunner } from './support/cli.js';
import { directoryWorld } from './support/directory.js';
import { scimBody } from './support/connections.js';
import { sandboxAdmin, waitFor } from './support/sandbox-admin.js';

/**
 * Finding 8 of issue 10: `directory sync --full --wait` while another process is running a
 * sync of the connection waits for that one, then runs the full sync asked for, and returns
 * only when it has ended; without --wait it says that --full was not queued.
 */
describe('syncwarden directory sync --full --wait while a sync is running elsewhere', () => {
  let w: Awaited<ReturnType<typeof directoryWorld>>;
  const cli = cliRunner(() => ({ SYNCWARDEN_DATA: w.app.dataDir, LOG_LEVEL: 'silent' }));

  beforeAll(async () => {
    // The app's worker stands for a `syncwarden serve` already running.
    w = await directoryWorld('sqlite', { worker: true });
  });
  afterAll(async () => {
    await w?.close();
  });

  it('waits for the running sync, then runs the full one to its end', async () => {
    const id = await w.connect(scimBody(w.sandbox));
    const db = w.app.rt.store.db;
    // A first (automatic) sync, kept slow so it is still running when the CLI is asked.
    await sandboxAdmin(w.sandbox, 'POST', '/faults', { scope: 'scim', name: 'net.slow', params: { ms: 400 } });
    try {
      expect((await w.app.api(`/connections/${id}/directory/sync`, { method: 'POST', body: JSON.stringify({ mode: 'delta' }) })).status).toBe(202);
      await waitFor('the first sync to run', async () => (await db.selectFrom('dir_runs').select('id').where('connection_id', '=', id).where('status', '=', 'running').executeTakeFirst()) ?? undefined);

      const told = await cli.run('directory', 'sync', id, '--full');
      expect(told).toContain('the full sync was not queued');

      const out = await cli.run('directory', 'sync', id, '--full', '--wait');
      expect(out).toContain('already running; waiting for it to end, then running the full sync asked for');
      expect(out).toMatch(/Synced/);
      const runs = await db.selectFrom('dir_runs').select(['mode', 'status', 'started_at']).where('connection_id', '=', id).orderBy('started_at').execute();
      // The first one (full: nothing to read changes from yet), then the one asked for: both ended.
      expect(runs).toHaveLength(2);
      expect(runs.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
      expect(runs[1]!.mode).toBe('full');
      const active = await db.selectFrom('jobs').select('status').where('dedupe_key', '=', `dirsync:${id}`).where('status', 'in', ['queued', 'running']).execute();
      expect(active).toEqual([]);
    } finally {
      await sandboxAdmin(w.sandbox, 'DELETE', '/faults');
    }
  }, 90_000);
});
