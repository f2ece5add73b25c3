import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDirectorySync } from '../src/directory/sync/run.js';
import { correlateIdentities } from '../src/directory/correlation/correlate.js';
import { DEFAULT_TENANT } from '../src/api/route.js';
import { directoryWorld } from './support/directory.js';
import { scimBody } from './support/connections.js';
import { sandboxAdmin, waitFor } from './support/sandbox-admin.js';
import type { Dialect } from '../src/store/db.js';

/**
 * Finding 3 of issue 10: deleting a connection cancels its jobs and runs (a running sync stops
 * calling the provider), and removes — or archives — its inventory and the identities left with
 * no account; audited.
 */
export function connectionDeleteSuite(dialect: Dialect): void {
  describe(`deleting a connection on ${dialect}`, () => {
    let w: Awaited<ReturnType<typeof directoryWorld>>;
    const db = () => w.app.rt.store.db;
    const count = async (table: 'dir_accounts' | 'dir_groups' | 'dir_memberships' | 'dir_runs' | 'dir_state' | 'dir_pages', connectionId: string) =>
      Number((await db().selectFrom(table).select((eb) => eb.fn.countAll().as('n')).where('tenant_id', '=', DEFAULT_TENANT).where('connection_id', '=', connectionId).executeTakeFirstOrThrow()).n);
    const identities = async () => Number((await db().selectFrom('identities').select((eb) => eb.fn.countAll().as('n')).where('tenant_id', '=', DEFAULT_TENANT).executeTakeFirstOrThrow()).n);
    const stats = async () => (await sandboxAdmin<{ requests: number }>(w.sandbox, 'GET', `/scim/tenants/${w.sandbox.demo.scim.tenant}/stats`)).requests;

    beforeAll(async () => {
      w = await directoryWorld(dialect, { worker: true });
    });
    afterAll(async () => {
      await w?.close();
    });

    it('removes its inventory and only the identities it alone held; archives on request; audits the numbers', async () => {
      // Two connections to the same app: every identity has an account through each.
      const a = await w.connect(scimBody(w.sandbox, { name: 'Expenses A' }));
      const b = await w.connect(scimBody(w.sandbox, { name: 'Expenses B' }));
      for (const id of [a, b]) expect((await runDirectorySync(w.app.rt, DEFAULT_TENANT, id, { mode: 'full' })).status).toBe('succeeded');
      await correlateIdentities(w.app.rt, DEFAULT_TENANT);
      const accounts = await count('dir_accounts', a);
      expect(accounts).toBeGreaterThan(5);
      const people = await identities();
      expect(people).toBeGreaterThan(5);

      const del = await w.app.api(`/connections/${a}`, { method: 'DELETE' });
      expect(del.status, del.text).toBe(204);
      for (const t of ['dir_accounts', 'dir_groups', 'dir_memberships', 'dir_runs', 'dir_state', 'dir_pages'] as const) expect(await count(t, a), t).toBe(0);
      // Every identity still has its account through B.
      expect(await identities()).toBe(people);
      const audit = (await w.app.api('/audit?action=connection.deleted&limit=5')).body.events as { message: string }[];
      expect(audit[0]!.message).toContain(`inventory removed: ${accounts} accounts`);

      const archived = await w.app.api(`/connections/${b}?archive=true`, { method: 'DELETE' });
      expect(archived.status, archived.text).toBe(204);
      expect(await count('dir_accounts', b)).toBe(0);
      // No account is left anywhere: no identity is either.
      expect(await identities()).toBe(0);
      const archive = await db().selectFrom('connection_archives').selectAll().where('connection_id', '=', b).executeTakeFirstOrThrow();
      expect(JSON.parse(archive.counts_json).dir_accounts).toBe(accounts);
      const rows = await db().selectFrom('connection_archive_rows').select('rows_json').where('archive_id', '=', archive.id).where('table_name', '=', 'dir_accounts').execute();
      expect(rows.flatMap((r) => JSON.parse(r.rows_json) as unknown[])).toHaveLength(accounts);
      const audit2 = (await w.app.api('/audit?action=connection.deleted&limit=5')).body.events as { message: string }[];
      expect(audit2[0]!.message).toContain(`inventory archived (${archive.id})`);
      expect(audit2[0]!.message).toContain(`${people} identities left with no account removed`);
    });

    it('cancels its queued and running sync: the provider is called no more', async () => {
      const c = await w.connect(scimBody(w.sandbox, { name: 'Expenses C' }));
      // Slow answers, so the sync is still reading when the connection is deleted.
      await sandboxAdmin(w.sandbox, 'POST', '/faults', { scope: 'scim', name: 'net.slow', params: { ms: 300 } });
      try {
        const queued = await w.app.api(`/connections/${c}/directory/sync`, { method: 'POST', body: JSON.stringify({ mode: 'full' }) });
        expect(queued.status, queued.text).toBe(202);
        await waitFor('the sync to be reading', async () => {
          const run = await db().selectFrom('dir_runs').select(['status', 'pages_read']).where('connection_id', '=', c).executeTakeFirst();
          return run && run.status === 'running' && Number(run.pages_read) >= 1 ? run : undefined;
        });
        const del = await w.app.api(`/connections/${c}`, { method: 'DELETE' });
        expect(del.status, del.text).toBe(204);
        const job = await db().selectFrom('jobs').select(['status', 'last_error_json']).where('dedupe_key', '=', `dirsync:${c}`).executeTakeFirstOrThrow();
        expect(job.status).toBe('failed');
        expect(JSON.parse(job.last_error_json!).code).toBe('connection.deleted');
        // A request already under way may still land; after that, nothing more.
        await new Promise((r) => setTimeout(r, 1_500));
        const settled = await stats();
        await new Promise((r) => setTimeout(r, 3_000));
        expect(await stats()).toBe(settled);
        expect(await count('dir_accounts', c)).toBe(0);
        expect(await count('dir_runs', c)).toBe(0);
      } finally {
        await sandboxAdmin(w.sandbox, 'DELETE', '/faults');
      }
    }, 60_000);
  });
}
