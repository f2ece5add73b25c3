import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directoryWorld, type DirectoryWorld } from './support/directory-world.js';
import type { Dialect } from '../src/store/db.js';
import { m365Body } from './support/connections.js';
import { DEFAULT_TENANT } from '../src/api/route.js';
import { runDirectorySync } from '../src/directory/sync/run.js';
import { correlateIdentities } from '../src/directory/correlation/correlate.js';

interface Row { id: string; displayName: string; email: string | null; type: string; status: string; accounts: number; connections: { id: string; name: string }[] }

/**
 * The identity inventory's HTTP API over the sandbox's synced directories: the identity list
 * (search, filters, paging, CSV), "why is an identity missing or duplicated?", correlation
 * rules, and the directory sync status, sync and run routes.
 */
export function directoryApiSuite(dialect: Dialect): void {
  describe(`directory API on ${dialect}`, () => {
    let w: DirectoryWorld;
    const api = (path: string, init?: RequestInit) => w.app.api(path, init);

    beforeAll(async () => {
      w = await directoryWorld(dialect);
    }, 120_000);
    afterAll(async () => {
      await w?.close();
    });

    it('lists identities with a total, pages, searches and filters', async () => {
      const all = await api('/identities?limit=1000');
      expect(all.status).toBe(200);
      const total = all.body.total as number;
      expect(all.body.items).toHaveLength(total);
      expect(total).toBeGreaterThan(100);
      // Keyset pages: walking every page of 10 by its cursor gives exactly the full list, in order.
      const walked: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await api(`/identities?limit=10${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        expect(page.body.total).toBe(total);
        walked.push(...page.body.items.map((r: Row) => r.id));
        cursor = page.body.nextCursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(Math.ceil(total / 10));
      expect(walked).toEqual(all.body.items.map((r: Row) => r.id));
      expect((await api('/identities?cursor=not-a-cursor')).body.error.code).toBe('request.invalid');

      const search = await api('/identities?q=FRANCES%20SHANNON');
      expect(search.body.items.map((r: Row) => r.email)).toEqual(['frances.shannon@northwind.test']);
      // A LIKE wildcard in the query is taken literally.
      expect((await api('/identities?q=%25')).body.total).toBe(0);

      const scim = await api(`/identities?connection=${w.ids.scim}&limit=1000`);
      expect(scim.body.items.every((r: Row) => r.connections.some((c) => c.id === w.ids.scim))).toBe(true);
      expect(scim.body.total).toBeLessThan(total);
      // Guests are left out by the default scope (the last test turns them on).
      // AWS users under /service-accounts/ are service accounts, and so are Entra's svc- users
      // (no mailbox, no employee id, no personal name); everyone else read is a person.
      const services = await api('/identities?type=service&limit=1000');
      expect(services.body.total).toBeGreaterThanOrEqual(4);
      expect(services.body.items.filter((r: Row) => r.connections.some((c) => c.id === w.ids.entra)).map((r: Row) => r.email).sort()).toEqual(['svc-backup@fabrikam.test', 'svc-scanner@fabrikam.test']);
      expect(services.body.items.every((r: Row) => r.connections.every((c) => c.id === w.ids.aws || c.id === w.ids.entra))).toBe(true);
      expect((await api('/identities?type=person')).body.total).toBe(total - services.body.total);
      expect((await api('/identities?type=guest')).body.total).toBe(0);
      const active = (await api('/identities?status=active')).body.total;
      const disabled = (await api('/identities?status=disabled')).body.total;
      expect(active + disabled).toBe(total);
      const bad = await api('/identities?status=gone');
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('request.invalid');
    });

    it('exports every match as CSV', async () => {
      const r = await w.app.api(`/identities.csv?connection=${w.ids.google}`);
      expect(r.status).toBe(200);
      const lines = r.text.trim().split('\r\n');
      expect(lines[0]).toBe('id,display name,email,employee id,type,status,accounts,connections,updated at');
      const count = (await api(`/identities?connection=${w.ids.google}`)).body.total;
      expect(lines).toHaveLength(count + 1);
      const frances = lines.find((l) => l.includes('frances.shannon@northwind.test'))!;
      expect(frances).toContain('Frances Shannon');
      expect(frances.split(',')[7]!.split('; ').sort()).toEqual(['Northwind Expenses', 'Northwind Google directory']);
    });

    it('one identity by id or email; an unknown one is a 404 with the catalogue error', async () => {
      const byEmail = await api('/identities/Frances.Shannon@northwind.test');
      expect(byEmail.status).toBe(200);
      const byId = await api(`/identities/${byEmail.body.identity.id}`);
      expect(byId.body.identity).toEqual(byEmail.body.identity);
      expect(byId.body.accounts).toHaveLength(2);
      const missing = await api('/identities/nobody@nowhere.test');
      expect(missing.status).toBe(404);
      expect(missing.body.error.code).toBe('request.not_found');
    });

    it('explain: a guest the scope leaves out is missing, and the answer names the switch', async () => {
      const r = await api('/identities/explain?q=quinn@audit-firm.test');
      expect(r.status).toBe(200);
      expect(r.body.verdict).toBe('missing');
      expect(r.body.found).toEqual([]);
      const entra = r.body.connections.find((c: { id: string }) => c.id === w.ids.entra);
      expect(entra.excluded).toEqual([{ reason: 'guest', userName: expect.stringContaining('#EXT#'), email: 'quinn@audit-firm.test', displayName: 'Quinn Auditor (Guest)' }]);
      expect(entra.scope.includeGuests).toBe(false);
      expect(r.body.explanation.join('\n')).toContain('turn on "Include guests"');
    });

    it('explain: found in Google, left out of the expense app because disabled; names connections that never synced or failed', async () => {
      const r = await api('/identities/explain?q=lynn.torvalds@northwind.test');
      expect(r.body.verdict).toBe('found');
      expect(r.body.found).toHaveLength(1);
      const text = r.body.explanation.join('\n');
      expect(text).toContain('"Northwind Expenses" leaves out Lynn Torvalds');
      expect(text).toContain('turn on "Include disabled accounts"');
      expect(text).toContain('"Never synced app" has never synced');
      expect(text).toMatch(/The last sync of "Failing app" failed with scim\.\w+/);
      const never = r.body.connections.find((c: { id: string }) => c.id === w.ids.never);
      expect(never).toMatchObject({ accounts: [], excluded: [], lastSyncAt: null });
    });

    it('explain: one person split in two says which rules did not match and why', async () => {
      const r = await api('/identities/explain?q=sam.split@northwind.test');
      expect(r.body.verdict).toBe('duplicated');
      expect(r.body.found.map((f: Row) => f.email).sort()).toEqual(['sam.split@fabrikam.test', 'sam.split@northwind.test']);
      const rules = Object.fromEntries(r.body.rules.map((x: { rule: string; matched: boolean; detail: string }) => [x.rule, x]));
      expect(rules.email).toMatchObject({ enabled: true, matched: false });
      expect(rules.email.detail).toMatch(/emails differ: sam\.split@\w+\.test vs sam\.split@\w+\.test/);
      expect(rules.employee_id.detail).toBe('employee id missing on both accounts');
      expect(r.body.explanation.join('\n')).toMatch(/are separate: emails differ/);
    });

    it('explain: an AWS user without an email next to the same person in SCIM', async () => {
      const r = await api('/identities/explain?q=barbara.wirth@northwind.test');
      expect(r.body.verdict).toBe('duplicated');
      const aws = r.body.connections.find((c: { id: string }) => c.id === w.ids.aws);
      expect(aws.accounts.map((a: { userName: string }) => a.userName)).toEqual(['barbara.wirth']);
      const rules = Object.fromEntries(r.body.rules.map((x: { rule: string; detail: string }) => [x.rule, x.detail]));
      expect(rules.email).toContain('email missing on the "Northwind AWS" account barbara.wirth');
      expect(rules.user_name).toMatch(/user names differ: barbara\.wirth(@northwind\.test)? vs barbara\.wirth(@northwind\.test)?, and neither is the other's email/);
    });

    it('explain: a found person tells which rule linked each account', async () => {
      const r = await api('/identities/explain?q=Riley%20Cross');
      expect(r.body.verdict).toBe('found');
      expect(r.body.rules.find((x: { rule: string }) => x.rule === 'employee_id')).toMatchObject({ enabled: true, matched: true });
      expect(r.body.explanation.join('\n')).toContain('linked by the employee id rule on EMP-9001');
      expect((await api('/identities/explain?q=')).status).toBe(400);
      // Asked by the Entra mail, Jo's Google account (linked by the UPN) is listed too.
      const jo = await api('/identities/explain?q=jo.mail@fabrikam.test');
      expect(jo.body.verdict).toBe('found');
      expect(jo.body.connections.find((c: { id: string }) => c.id === w.ids.google).accounts.map((a: { email: string }) => a.email)).toEqual(['jo.upn@northwind.test']);
      expect(jo.body.explanation.join('\n')).not.toContain('No account for "jo.mail@fabrikam.test" in "Northwind Google directory"');
    });

    it('correlation rules: read, validated, replaced and audited', async () => {
      const r = await api('/directory/correlation');
      expect(r.body.rules).toEqual([{ attribute: 'email', enabled: true }, { attribute: 'user_name', enabled: true }, { attribute: 'employee_id', enabled: true }]);
      expect(r.body.correlatedAt).toEqual(expect.any(String));
      const bad = await api('/directory/correlation', { method: 'PUT', body: JSON.stringify({ rules: [{ attribute: 'phone', enabled: true }] }) });
      expect(bad.status).toBe(400);
      const rules = [{ attribute: 'employee_id', enabled: true }, { attribute: 'email', enabled: true }, { attribute: 'user_name', enabled: false }];
      const put = await api('/directory/correlation', { method: 'PUT', body: JSON.stringify({ rules }) });
      expect(put.status).toBe(200);
      expect(put.body.rules).toEqual(rules);
      expect((await api('/directory/correlation')).body.rules).toEqual(rules);
      const audit = await w.app.rt.store.db.selectFrom('audit_events').selectAll().where('action', '=', 'directory.rules_changed').execute();
      expect(audit.at(-1)!.message).toContain('to "employee id, email, user name (off)"');
      const job = await w.app.rt.store.db.selectFrom('jobs').selectAll().where('kind', '=', 'directory.correlate').where('status', '=', 'queued').execute();
      expect(job).toHaveLength(1);
      // The queued correlation shows as pending (the Identities page says it is matching again)
      // until it has run: a sync that changed nothing queues none, and nothing is pending then.
      expect(put.body.pending).toBe(true);
      expect((await api('/directory/correlation')).body.pending).toBe(true);
      await w.app.rt.store.db.updateTable('jobs').set({ status: 'done' }).where('id', '=', job[0]!.id).execute();
      expect((await api('/directory/correlation')).body.pending).toBe(false);
      await api('/directory/correlation', { method: 'PUT', body: JSON.stringify({ rules: [{ attribute: 'email', enabled: true }, { attribute: 'user_name', enabled: true }, { attribute: 'employee_id', enabled: true }] }) });
    });

    it('directory status, sync now, history and one run', async () => {
      const list = await api('/directory/connections');
      expect(list.status).toBe(200);
      expect(list.body.map((s: { connectionId: string }) => s.connectionId).sort()).toEqual(Object.values(w.ids).sort());
      const one = await api(`/connections/${w.ids.google}/directory`);
      expect(one.body).toMatchObject({ connectionId: w.ids.google, state: 'succeeded', counts: { accounts: expect.any(Number) } });
      expect((await api(`/connections/${w.ids.never}/directory`)).body.state).toBe('never_synced');

      const sync = await api(`/connections/${w.ids.google}/directory/sync`, { method: 'POST', body: JSON.stringify({ mode: 'delta' }) });
      expect(sync.status).toBe(202);
      expect(sync.body.queued).toBe(true);
      expect(sync.body.status.connectionId).toBe(w.ids.google);
      expect((await api(`/connections/${w.ids.google}/directory/sync`, { method: 'POST', body: JSON.stringify({ mode: 'sideways' }) })).status).toBe(400);

      const runs = await api(`/connections/${w.ids.google}/directory/runs?limit=5`);
      expect(runs.body.items.length).toBeGreaterThan(0);
      const run = await api(`/directory/runs/${runs.body.items[0].id}`);
      expect(run.body).toMatchObject({ id: runs.body.items[0].id, connectionId: w.ids.google, status: 'succeeded' });
      expect((await api('/directory/runs/nope')).status).toBe(404);
      const failed = (await api(`/connections/${w.ids.failing}/directory/runs`)).body.items[0];
      expect(failed.status).toBe('failed');
      expect(failed.error.code).toMatch(/^scim\./);
    });

    it('a connection of another role has no directory status; an unknown one is not found', async () => {
      const mail = await api('/connections', { method: 'POST', body: JSON.stringify(m365Body(w.sandbox, { name: 'Mail source' })) });
      expect(mail.status, mail.text).toBe(201);
      const r = await api(`/connections/${mail.body.id}/directory`);
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('directory.not_directory');
      expect((await api(`/connections/${mail.body.id}/directory/sync`, { method: 'POST', body: '{}' })).body.error.code).toBe('directory.not_directory');
      expect((await api('/connections/nope/directory')).status).toBe(404);
    });

    it('turning on the switches explain names brings the guest in, listed as a guest identity', async () => {
      const scope = async (switches: Record<string, boolean>) => {
        const patch = await api(`/connections/${w.ids.entra}`, { method: 'PATCH', body: JSON.stringify({ config: { scope: switches } }) });
        expect(patch.status, patch.text).toBe(200);
        expect((await runDirectorySync(w.app.rt, DEFAULT_TENANT, w.ids.entra, { mode: 'full' })).status).toBe('succeeded');
        await correlateIdentities(w.app.rt, DEFAULT_TENANT);
        return api('/identities/explain?q=quinn@audit-firm.test');
      };
      // An Entra guest is an external identity too: the scope leaves it out for that next.
      const step = await scope({ includeGuests: true });
      expect(step.body.verdict).toBe('missing');
      expect(step.body.explanation.join('\n')).toContain('turn on "Include external identities"');
      const done = await scope({ includeGuests: true, includeExternal: true });
      expect(done.body.verdict).toBe('found');
      expect(done.body.connections.find((c: { id: string }) => c.id === w.ids.entra).excluded).toEqual([]);
      const guests = await api('/identities?type=guest&limit=100');
      expect(guests.body.items.map((r: Row) => r.displayName)).toContain('Quinn Auditor (Guest)');
      expect(guests.body.items.every((r: Row) => r.type === 'guest')).toBe(true);
    });

    it('the OpenAPI document lists the routes', async () => {
      const doc = (await api('/openapi.json')).body;
      for (const p of ['/api/v1/identities', '/api/v1/identities.csv', '/api/v1/identities/explain', '/api/v1/identities/{id}', '/api/v1/directory/correlation', '/api/v1/directory/connections', '/api/v1/connections/{id}/directory/sync', '/api/v1/directory/runs/{runId}']) {
        expect(doc.paths[p], p).toBeDefined();
      }
      expect(doc.paths['/api/v1/directory/correlation'].put).toBeDefined();
    });
  });
}
