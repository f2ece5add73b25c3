import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Dialect } from '../src/store/db.js';
import { runDirectorySync } from '../src/directory/sync/run.js';
import type { PagingLimits } from '../src/connectors/sdk/index.js';
import { directoryWorld, snapshot } from './support/directory.js';
import { sandboxAdmin, setFault, clearFaults } from './support/sandbox-admin.js';
import { awsBody, entraDirectoryBody, googleDirectoryBody, scimBody } from './support/connections.js';

/**
 * Issue 10, findings 1 and 2: a pass is complete only if it is consistent. Against the sandbox
 * over HTTP, through the real store: after a good sync, a full sync against a provider whose
 * paging is broken (SCIM ignoring startIndex, endless listings, duplicate ids, a repeated
 * nextLink / pageToken / Marker) ends as directory.paging_inconsistent (or, past a bound,
 * directory.pass_too_long) and removes nothing; a huge page ends as a catalogue error
 * without the process holding it.
 */
export function directoryPagingSuite(dialect: Dialect): void {
  describe(`directory paging consistency on ${dialect}`, () => {
    let world: Awaited<ReturnType<typeof directoryWorld>>;
    let scim: string;
    const run = (id: string, limits?: Partial<PagingLimits>) => runDirectorySync(world.app.rt, world.tenantId, id, { mode: 'full', ...(limits ? { limits } : {}) });

    beforeAll(async () => {
      world = await directoryWorld(dialect);
      // The app pages by 10 at most (its own cap, below the 100 the connector asks for).
      await sandboxAdmin(world.sandbox, 'POST', `/scim/tenants/${world.sandbox.demo.scim.tenant}/options`, { maxPageSize: 10 });
      scim = await world.connect(scimBody(world.sandbox, { name: 'SCIM paging' }));
      const first = await run(scim);
      expect(first.status, JSON.stringify(first.error)).toBe('succeeded');
      expect(first.pagesRead).toBeGreaterThan(3);
    });
    afterEach(async () => clearFaults(world.sandbox));
    afterAll(async () => world?.close());

    /** Runs a full sync under a fault: it fails with `code`, and the inventory is as it was. */
    async function expectRefused(id: string, code: string, limits?: Partial<PagingLimits>) {
      const before = await snapshot(world.app, id);
      const r = await run(id, limits);
      expect(r.status, JSON.stringify(r)).toBe('failed');
      expect(r.error?.code).toBe(code);
      expect(r.removed).toBe(0);
      expect(await snapshot(world.app, id)).toEqual(before);
      return r;
    }

    it.each([
      ['scim.ignore_start_index', {}, /answered startIndex 1 to a request for startIndex 11/],
      // The same fault with the asked startIndex echoed: only the repeated ids give it away.
      ['scim.ignore_start_index', { echoStartIndex: true }, /was already listed on page 1 of this pass/],
      ['scim.duplicate_ids', {}, /appears twice on the page/],
      ['scim.endless_paging', { total: 1_000 }, /already listed on page 1|startIndex/],
    ] as const)('SCIM %s %j: the pass ends as directory.paging_inconsistent and removes nothing', async (fault, params, why) => {
      await setFault(world.sandbox, fault, '*', params);
      const r = await expectRefused(scim, 'directory.paging_inconsistent');
      expect(r.error!.message).toMatch(why);
      // The message names the page.
      expect(r.error!.message).toMatch(/page|GET \/(Users|Groups)/);
      await clearFaults(world.sandbox);
      // And the next sync against a healthy server is complete again, with nothing lost.
      const ok = await run(scim);
      expect(ok.status, JSON.stringify(ok.error)).toBe('succeeded');
      expect(ok.removed).toBe(0);
    });

    it('the doctor reads page 2: a healthy app passes, one ignoring startIndex fails the paging finding naming the page', async () => {
      const test = async () => {
        const r = await world.app.api(`/connections/${scim}/test`, { method: 'POST' });
        expect(r.status, r.text).toBe(200);
        const f = (r.body.findings as { check: string; status: string; error?: { code: string; message?: string } | null; detail?: string | null }[]).find((x) => x.check === 'paging');
        expect(f, JSON.stringify(r.body)).toBeDefined();
        return f!;
      };
      const ok = await test();
      expect(ok.status, JSON.stringify(ok)).toBe('pass');
      expect(ok.detail).toMatch(/pages 1 and 2/);
      for (const params of [{}, { echoStartIndex: true }] as Record<string, boolean>[]) {
        await setFault(world.sandbox, 'scim.ignore_start_index', '*', params);
        const bad = await test();
        expect(bad.status, JSON.stringify(bad)).toBe('fail');
        expect(bad.error?.code).toBe('directory.paging_inconsistent');
        expect(JSON.stringify(bad.error)).toMatch(/startIndex|page 2/);
      }
    });

    it('a declared total past the ceiling (totalResults 1e12) stops on the first page, writing nothing', async () => {
      await setFault(world.sandbox, 'scim.endless_paging', '*', { newIds: true });
      const r = await expectRefused(scim, 'directory.pass_too_long');
      expect(r.error!.message).toMatch(/1000000000000/);
      expect(r.objectsRead).toBe(0);
    });

    it('an endless listing of new ids every page stops at the page bound, writing nothing beyond it', async () => {
      const before = (await snapshot(world.app, scim))['accounts']!.length;
      await setFault(world.sandbox, 'scim.endless_paging', '*', { newIds: true, total: 1_000_000 });
      const r = await run(scim, { maxPagesPerStream: 5 });
      expect(r.status).toBe('failed');
      expect(r.error?.code).toBe('directory.pass_too_long');
      expect(r.removed).toBe(0);
      expect(r.pagesRead).toBeLessThanOrEqual(5);
      const after = (await snapshot(world.app, scim))['accounts']!;
      // At most the pages within the bound were written (10 per page); nothing beyond.
      expect(after.length - before).toBeLessThanOrEqual(5 * 10);
      // The fake accounts of the refused pass go with the next complete pass — through the
      // mass-removal guard when they are more than 10% of the connection's accounts.
      await clearFaults(world.sandbox);
      let ok = await run(scim);
      const fakes = after.length - before;
      expect(ok.status, JSON.stringify(ok.error)).toBe(fakes * 10 > after.length ? 'held' : 'succeeded');
      if (ok.status === 'held') {
        expect((await world.app.api(`/connections/${scim}/directory/held-removals/approve`, { method: 'POST' })).status).toBe(200);
        ok = await run(scim);
        expect(ok.status, JSON.stringify(ok.error)).toBe('succeeded');
      }
      expect((await snapshot(world.app, scim))['accounts']!.length).toBe(before);
    });

    it('a 200 MB page ends as provider.response_too_large while the process never holds it', async () => {
      await setFault(world.sandbox, 'scim.huge_response', '*', { mb: 200 });
      let peak = process.memoryUsage().rss;
      const base = peak;
      const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
      try {
        const r = await expectRefused(scim, 'provider.response_too_large');
        expect(r.error!.message).toMatch(/50 MB/);
      } finally {
        clearInterval(sample);
      }
      // The cap is 50 MB; reading the body whole would add ≥ 200 MB (plus its string copy).
      expect(peak - base).toBeLessThan(150 * 1024 * 1024);
    });

    it('a silent endpoint frees the worker within the request budget instead of 5 tries × the timeout', async () => {
      await setFault(world.sandbox, 'net.slow', 'scim', { ms: 3_000 });
      const before = (await sandboxAdmin<{ requests: number }>(world.sandbox, 'GET', `/scim/tenants/${world.sandbox.demo.scim.tenant}/stats`)).requests;
      const r = await runDirectorySync(world.app.rt, world.tenantId, scim, { mode: 'full', http: { timeoutMs: 1_000, budgetMs: 2_000 } });
      expect(r.status).toBe('failed');
      expect(r.error?.code).toBe('provider.time_budget_exceeded');
      expect(r.error!.message).toMatch(/GET .*\/Users within 2 seconds/);
      expect(r.removed).toBe(0);
      await clearFaults(world.sandbox);
      // Tries that fit in the budget, not maxRetries + 1 of them (the slow ones reach the app late).
      await new Promise((res) => setTimeout(res, 3_500));
      const after = (await sandboxAdmin<{ requests: number }>(world.sandbox, 'GET', `/scim/tenants/${world.sandbox.demo.scim.tenant}/stats`)).requests;
      expect(after - before).toBeLessThanOrEqual(3);
    });

    it('Microsoft Graph repeating its @odata.nextLink: paging_inconsistent, nothing removed', async () => {
      const t = await sandboxAdmin<{ tenantId: string }>(world.sandbox, 'POST', '/microsoft/tenants/large', { users: 2_100, groups: 20, memberships: 200 });
      const id = await world.connect(entraDirectoryBody(world.sandbox, { name: 'Entra paging', tenantId: t.tenantId }));
      const ok = await run(id);
      expect(ok.status, JSON.stringify(ok.error)).toBe('succeeded');
      await setFault(world.sandbox, 'graph.repeat_next_link');
      const r = await expectRefused(id, 'directory.paging_inconsistent');
      expect(r.error!.message).toMatch(/users\/delta \(a page after the first\)/);
      expect(r.error!.message).toMatch(/does not advance/);
    });

    it('Google repeating its pageToken: paging_inconsistent, nothing removed', async () => {
      await sandboxAdmin(world.sandbox, 'POST', '/google/customers', { domain: 'paging.test', size: { users: 1_100, groups: 5, memberships: 30 } });
      const id = await world.connect(googleDirectoryBody(world.sandbox, { name: 'Google paging', config: { domain: 'paging.test', adminEmail: 'admin@paging.test' } }));
      const ok = await run(id);
      expect(ok.status, JSON.stringify(ok.error)).toBe('succeeded');
      await setFault(world.sandbox, 'google.repeat_page_token');
      const r = await expectRefused(id, 'directory.paging_inconsistent');
      // The reader sees it first: the token it answered is the one it was just sent.
      expect(r.error!.message).toMatch(/users\.list \(a page after the first\).*does not advance/);
    });

    it('AWS IAM repeating its Marker: paging_inconsistent, nothing removed', async () => {
      const id = await world.connect(awsBody(world.sandbox, { name: 'AWS paging' }));
      const ok = await run(id);
      expect(ok.status, JSON.stringify(ok.error)).toBe('succeeded');
      await setFault(world.sandbox, 'aws.repeat_marker');
      const r = await expectRefused(id, 'directory.paging_inconsistent');
      expect(r.error!.message).toMatch(/GetAccountAuthorizationDetails \(groups, a page after the first\).*does not advance/);
    });
  });
}
