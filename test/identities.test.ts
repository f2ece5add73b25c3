import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TENANT } from '../src/api/route.js';
import { runDirectorySync } from '../src/directory/sync/run.js';
import { correlateIdentities } from '../src/directory/correlation/correlate.js';
import { sandboxAdmin } from './support/sandbox-admin.js';
import { directoryWorld, type DirectoryWorld } from './support/directory-world.js';

interface Row { id: string; displayName: string; email: string | null; employeeId: string | null; type: string; status: string; accounts: number; connections: { id: string; name: string; kind: string }[] }

/**
 * Correlation across real connectors: the sandbox's directories synced in full, identities
 * read back over HTTP. Who is linked to whom and by which rule, ids that survive re-syncs and
 * rule changes, and one identity's groups (nested), entitlements (through groups) and keys.
 */
describe('identities: correlation across connectors', () => {
  let w: DirectoryWorld;
  const get = async (path: string) => {
    const r = await w.app.api(path);
    expect(r.status, r.text).toBe(200);
    return r.body;
  };
  const find = async (q: string): Promise<Row[]> => (await get(`/identities?q=${encodeURIComponent(q)}&limit=1000`)).items;

  beforeAll(async () => {
    w = await directoryWorld();
  }, 120_000);
  afterAll(async () => {
    await w?.close();
  });

  it('the northwind.test people of Google and SCIM are one identity each, linked by email', async () => {
    const both = (await find('@northwind.test')).filter((r) => r.connections.some((c) => c.id === w.ids.google) && r.connections.some((c) => c.id === w.ids.scim));
    // Ten demo people have Google accounts; nine of them an active expense-app account (Lynn
    // Torvalds's is inactive, so the scope leaves it out — the explain test asks about her).
    expect(both.length).toBe(9);
    expect(both.some((r) => r.email === 'lynn.torvalds@northwind.test')).toBe(false);
    const frances = await get(`/identities/${encodeURIComponent('frances.shannon@northwind.test')}`);
    expect(frances.identity).toMatchObject({ displayName: 'Frances Shannon', email: 'frances.shannon@northwind.test', type: 'person', status: 'active', accounts: 2 });
    expect(frances.accounts.map((a: { connectionName: string; matchedBy: unknown }) => [a.connectionName, a.matchedBy])).toEqual(
      expect.arrayContaining([
        ['Northwind Google directory', { rule: 'email', value: 'frances.shannon@northwind.test' }],
        ['Northwind Expenses', { rule: 'email', value: 'frances.shannon@northwind.test' }],
      ]),
    );
  });

  it('employee id links Entra and SCIM accounts with different emails; user name links an Entra UPN to a Google primary email', async () => {
    const [riley] = await find('riley cross');
    expect(riley).toMatchObject({ accounts: 2, employeeId: 'EMP-9001' });
    expect(riley!.connections.map((c) => c.name).sort()).toEqual(['Fabrikam Entra ID', 'Northwind Expenses']);
    const detail = await get(`/identities/${riley!.id}`);
    expect(detail.accounts.every((a: { matchedBy: unknown }) => JSON.stringify(a.matchedBy) === JSON.stringify({ rule: 'employee_id', value: 'EMP-9001' }))).toBe(true);

    const jo = await get('/identities/jo.upn@northwind.test');
    expect(jo.identity.accounts).toBe(2);
    const entra = jo.accounts.find((a: { kind: string }) => a.kind === 'microsoft365');
    expect(entra).toMatchObject({ userName: 'jo.upn@northwind.test', email: 'jo.mail@fabrikam.test', matchedBy: { rule: 'user_name', value: 'jo.upn@northwind.test' } });
  });

  it('accounts with nothing in common stay apart: Sam Split is two identities; AWS users (no email) are their own', async () => {
    const sams = await find('sam split');
    expect(sams.map((s) => s.email).sort()).toEqual(['sam.split@fabrikam.test', 'sam.split@northwind.test']);
    const aws = await find('barbara.wirth');
    expect(aws.length).toBe(2);
    expect(aws.find((r) => r.connections[0]!.id === w.ids.aws)).toMatchObject({ accounts: 1, email: null });
    const svc = await find('ci-deployer');
    expect(svc[0]).toMatchObject({ accounts: 1, connections: [{ id: w.ids.aws, kind: 'aws_iam' }] });
  });

  it('ids are stable across a re-sync and re-correlation; a rule turned off splits, the larger part keeping its id', async () => {
    const before = await find('');
    const jo = (await get('/identities/jo.upn@northwind.test')).identity.id;
    await runDirectorySync(w.app.rt, DEFAULT_TENANT, w.ids.google, { mode: 'full' });
    const again = await correlateIdentities(w.app.rt, DEFAULT_TENANT);
    expect(again).toMatchObject({ created: 0, deleted: 0, accountsRelinked: 0 });
    expect((await find('')).map((r) => r.id).sort()).toEqual(before.map((r) => r.id).sort());

    const put = await w.app.api('/directory/correlation', { method: 'PUT', body: JSON.stringify({ rules: [{ attribute: 'email', enabled: true }, { attribute: 'user_name', enabled: false }, { attribute: 'employee_id', enabled: true }] }) });
    expect(put.status, put.text).toBe(200);
    const split = await correlateIdentities(w.app.rt, DEFAULT_TENANT);
    expect(split.created).toBe(1);
    const parts = await find('jo upn');
    expect(parts).toHaveLength(2);
    expect(parts.map((p) => p.id)).toContain(jo);
    expect(parts.every((p) => p.accounts === 1)).toBe(true);

    await w.app.api('/directory/correlation', { method: 'PUT', body: JSON.stringify({ rules: [{ attribute: 'email', enabled: true }, { attribute: 'user_name', enabled: true }, { attribute: 'employee_id', enabled: true }] }) });
    const merged = await correlateIdentities(w.app.rt, DEFAULT_TENANT);
    expect(merged.deleted).toBe(1);
    expect((await get('/identities/jo.upn@northwind.test')).identity).toMatchObject({ id: jo, accounts: 2 });
  });

  it('a person removed from every directory loses their identity', async () => {
    const [sam] = (await find('sam.split@northwind.test'));
    await sandboxAdmin(w.sandbox, 'DELETE', '/google/users/sam.split@northwind.test');
    await runDirectorySync(w.app.rt, DEFAULT_TENANT, w.ids.google, { mode: 'full' });
    expect((await correlateIdentities(w.app.rt, DEFAULT_TENANT)).deleted).toBe(1);
    expect((await w.app.api(`/identities/${sam!.id}`)).status).toBe(404);
  });

  it('detail: groups direct and nested with their path, entitlements direct and through a group, access keys', async () => {
    // In Google, engineering@ is a member of projects@: an engineer is in projects@ through it.
    const google = await get(`/identities?connection=${w.ids.google}&limit=1000`);
    let nested: { identity: Row; groups: { displayName: string; via: string; path: string[]; connectionId: string }[] } | undefined;
    for (const row of google.items as Row[]) {
      const d = await get(`/identities/${row.id}`);
      if (d.groups.some((g: { via: string; connectionId: string }) => g.via === 'nested' && g.connectionId === w.ids.google)) {
        nested = d;
        break;
      }
    }
    expect(nested, 'a Google account in a nested group').toBeDefined();
    const g = nested!.groups.find((x) => x.via === 'nested' && x.connectionId === w.ids.google)!;
    expect(g.path.length).toBeGreaterThan(1);
    expect(g.path.at(-1)).toBe(g.displayName);
    expect(nested!.groups.some((x) => x.via === 'direct' && x.displayName === g.path[0])).toBe(true);

    // AWS: a user in a group with an attached policy holds it through the group, and has access keys.
    const aws = await get(`/identities?connection=${w.ids.aws}&limit=1000`);
    let viaGroup: { entitlements: { via: string; viaGroup: string | null; displayName: string }[]; credentials: { credentialType: string; status: string }[]; groups: { displayName: string }[] } | undefined;
    for (const row of aws.items as Row[]) {
      const d = await get(`/identities/${row.id}`);
      if (d.entitlements.some((e: { via: string }) => e.via === 'group') && d.credentials.length > 0) {
        viaGroup = d;
        break;
      }
    }
    expect(viaGroup, 'an AWS user with a policy through a group and an access key').toBeDefined();
    const e = viaGroup!.entitlements.find((x) => x.via === 'group')!;
    expect(viaGroup!.groups.map((x) => x.displayName)).toContain(e.viaGroup);
    expect(viaGroup!.credentials[0]).toMatchObject({ credentialType: expect.any(String), status: expect.any(String) });

    // Entra: the demo Global Administrator role is granted to a user directly.
    const entra = await get(`/identities?connection=${w.ids.entra}&limit=1000`);
    let direct = false;
    for (const row of entra.items as Row[]) {
      const d = await get(`/identities/${row.id}`);
      if (d.entitlements.some((x: { via: string; privileged: boolean }) => x.via === 'direct' && x.privileged)) {
        direct = true;
        break;
      }
    }
    expect(direct).toBe(true);
  });

  it('Entra service accounts are typed by evidence (no mailbox, no employee id, no personal name, a svc- name), explained, and an admin can override it', async () => {
    const services = (await get('/identities?type=service&limit=1000')).items as Row[];
    const entraServices = services.filter((r) => r.connections.some((c) => c.id === w.ids.entra)).map((r) => r.email).sort();
    expect(entraServices).toEqual(['svc-backup@fabrikam.test', 'svc-scanner@fabrikam.test']);
    // AWS's own marking still counts: service users there are services too.
    expect(services.some((r) => r.connections.some((c) => c.id === w.ids.aws))).toBe(true);
    const backup = await get(`/identities/${encodeURIComponent('svc-backup@fabrikam.test')}`);
    expect(backup.identity.type).toBe('service');
    expect(backup.typeRule).toMatchObject({ type: 'service', decidedBy: 'evidence', override: null });
    expect(backup.typeRule.explanation).toContain('no mailbox, no employee id, no personal name, a service-style name (svc-backup)');
    // A person stays a person.
    expect((await get(`/identities/${encodeURIComponent('frances.shannon@northwind.test')}`)).typeRule.type).toBe('person');

    const set = await w.app.api(`/identities/${backup.identity.id}/type`, { method: 'PUT', body: JSON.stringify({ type: 'person', reason: 'a shared account Ann signs in with' }) });
    expect(set.status, set.text).toBe(200);
    expect(set.body).toMatchObject({ type: 'person', decidedBy: 'override', override: { type: 'person', reason: 'a shared account Ann signs in with' } });
    // It survives a recomputation, is in the detail, and is audited.
    await correlateIdentities(w.app.rt, DEFAULT_TENANT);
    const after = await get(`/identities/${backup.identity.id}`);
    expect(after.identity.type).toBe('person');
    expect(after.typeRule.explanation).toMatch(/^Set to person by admin \("a shared account Ann signs in with"\); by the evidence alone: svc-backup@fabrikam.test is a service/);
    const audit = await get('/audit?limit=500');
    expect(audit.events.some((e: { action: string; message: string }) => e.action === 'directory.identity_type_set' && e.message.includes('set to person (was service)'))).toBe(true);
    // Back to the evidence.
    const auto = await w.app.api(`/identities/${backup.identity.id}/type`, { method: 'PUT', body: JSON.stringify({ type: 'auto' }) });
    expect(auto.body).toMatchObject({ type: 'service', decidedBy: 'evidence', override: null });
    const bad = await w.app.api(`/identities/${backup.identity.id}/type`, { method: 'PUT', body: JSON.stringify({ type: 'robot' }) });
    expect(bad.status).toBe(400);
  });
});
