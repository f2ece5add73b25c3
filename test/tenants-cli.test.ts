import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootApp, type BootedApp } from './support/app.js';
import { cliRunner } from './support/cli.js';
import { apiClient } from './support/auth.js';

/**
 * `syncwarden tenants create|list|rename` and `users create --tenant`: on the data folder as the
 * installation's operator, and against the server with an owner's API token (who becomes the
 * new organisation's owner). Each is audited in the new organisation's log.
 */
describe('syncwarden tenants', () => {
  let app: BootedApp;
  beforeAll(async () => {
    app = await bootApp();
  }, 60_000);
  afterAll(async () => app?.stop());

  it('on the data folder: create with a first owner, add an existing person, list, rename', async () => {
    const local = cliRunner(() => ({ SYNCWARDEN_DATA: app.dataDir, LOG_LEVEL: 'silent' }));
    const made = await local.run('tenants', 'create', 'acme', '--name', 'Acme', '--owner', 'boss@acme.test');
    expect(made).toMatch(/^Created organisation acme \("Acme"\)\.\nboss@acme\.test is its owner\.\nOne-time sign-in link \(24 hours\): http:\/\/localhost:\d+\/#\/sign-in\?link=swl_/);
    // owner@localhost (the default tenant's owner) joins acme as a viewer: one account, two roles.
    expect(await local.run('users', 'create', 'owner@localhost', '--role', 'viewer', '--tenant', 'acme')).toBe('Added owner@localhost to acme (viewer); they sign in with their existing account.');
    const users = JSON.parse(await local.run('users', 'list', '--tenant', 'acme', '--json')) as { email: string; role: string }[];
    expect(users.map((u) => [u.email, u.role])).toEqual([['boss@acme.test', 'owner'], ['owner@localhost', 'viewer']]);
    // The default tenant's list does not change.
    expect((JSON.parse(await local.run('users', 'list', '--json')) as { email: string }[]).map((u) => u.email)).not.toContain('boss@acme.test');
    expect(await local.run('tenants', 'rename', 'acme', 'Acme Corp')).toBe('Organisation acme is now "Acme Corp".');
    const list = JSON.parse(await local.run('tenants', 'list', '--json')) as { id: string; name: string; members: number }[];
    expect(list.map((t) => [t.id, t.name, t.members])).toEqual([['acme', 'Acme Corp', 2], ['default', 'Default', 1]]);
    await expect(local.run('tenants', 'create', 'acme', '--name', 'Again')).rejects.toMatchObject({ code: 'tenant.exists' });
    await expect(local.run('tenants', 'create', 'Not A Slug!', '--name', 'x')).rejects.toMatchObject({ code: 'request.invalid' });
    await expect(local.run('users', 'list', '--tenant', 'nowhere')).rejects.toMatchObject({ code: 'tenant.not_found' });
    // Audited in acme's own log, by the local operator.
    const events = await app.rt.store.db.selectFrom('audit_events').select(['action', 'actor']).where('tenant_id', '=', 'acme').orderBy('seq').execute();
    expect(events.map((e) => e.action)).toEqual(['tenant.created', 'user.created', 'user.added', 'tenant.renamed']);
    expect(events.every((e) => e.actor.startsWith('cli:'))).toBe(true);
  });

  it('against the server: an owner\'s token creates an organisation it then owns; others may not', async () => {
    const remote = cliRunner(() => ({ SYNCWARDEN_URL: app.url, SYNCWARDEN_TOKEN: app.ownerToken, LOG_LEVEL: 'silent' }));
    expect(await remote.run('tenants', 'create', 'globex', '--name', 'Globex')).toMatch(/^Created organisation globex \("Globex"\); you are its owner\./);
    const listed = await remote.run('tenants', 'list');
    expect(listed).toMatch(/default \* +Default +owner/);
    expect(listed).toMatch(/globex +Globex +owner/);
    expect(listed).toMatch(/acme +Acme Corp +viewer/);
    expect(await remote.run('tenants', 'rename', 'globex', 'Globex Inc')).toBe('Organisation globex is now "Globex Inc".');
    // Renaming needs the owner role there: in acme the same person is a viewer.
    await expect(remote.run('tenants', 'rename', 'acme', 'Mine now')).rejects.toMatchObject({ code: 'auth.forbidden' });
    // A non-owner cannot create one.
    const admin = await app.as('admin');
    const refused = await admin('/tenants', { method: 'POST', body: JSON.stringify({ id: 'initech', name: 'Initech' }) });
    expect([refused.status, refused.body.error.code]).toEqual([403, 'auth.forbidden']);
    // The creator's own log records it too.
    const mine = (await app.api('/audit?limit=20')).body.events as { action: string; message: string }[];
    expect(mine.find((e) => e.action === 'tenant.created')?.message).toContain('"Globex" (globex)');
    expect((await apiClient(app.url!, {})('/tenants')).status).toBe(401);
  });
});
