import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../sandbox/server.js';
import { createHttpClient } from '../sdk/index.js';
import { AppError, renderError } from '../../errors/index.js';
import { microsoftConnector } from './index.js';
import { selfSignedCertificate, toPfxBase64 } from '../../sandbox/keys.js';
import type { FaultName } from '../../sandbox/faults.js';
import type { MailSource } from '../sdk/index.js';

/** The Microsoft 365 connector against the Entra/Graph simulators over real HTTP. */
describe('Microsoft 365 connector', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({});
  });
  afterAll(async () => {
    await sandbox.close();
  });
  afterEach(() => {
    sandbox.faults.clear();
  });

  const make = (auth: 'certificate' | 'client_secret' = 'certificate', over: Record<string, unknown> = {}): MailSource => {
    const ms = sandbox.demo.microsoft;
    return microsoftConnector.create(
      { http: createHttpClient({ provider: 'Microsoft 365', sleep: async () => {} }), now: () => new Date() },
      {
        tenantId: ms.tenantId,
        clientId: ms.clientId,
        auth: auth === 'certificate' ? { type: 'certificate', pfxBase64: ms.pfxBase64, pfxPassword: ms.pfxPassword } : { type: 'client_secret', clientSecret: ms.clientSecret },
        endpoints: { login: sandbox.urls.entra_login, graph: sandbox.urls.graph },
        ...over,
      },
    );
  };
  const codeOf = async (p: Promise<unknown>) => {
    try {
      await p;
      return 'no error';
    } catch (e) {
      return e instanceof AppError ? e.code : String(e);
    }
  };

  it('signs in with the certificate and with the client secret, and pages through every user', async () => {
    for (const auth of ['certificate', 'client_secret'] as const) {
      const source = make(auth);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await source.listAccounts(cursor);
        seen.push(...page.items.map((u) => u.userPrincipalName));
        cursor = page.next;
      } while (cursor);
      expect(seen).toHaveLength(25);
      expect(new Set(seen).size).toBe(25);
    }
  });

  it('all checks pass on the demo tenant', async () => {
    const checks = await make().checks();
    expect(checks.map((c) => [c.id, c.status])).toEqual([
      ['credential', 'pass'], ['token', 'pass'], ['permission:User.Read.All', 'pass'], ['permission:Mail.Read', 'pass'], ['api', 'pass'],
    ]);
  });

  // Each seed row, injected in the sandbox: the doctor names that cause in that check, and no other.
  const table: [FaultName | 'wrong-tenant' | 'wrong-client' | 'wrong-password' | 'expired-cert', string, string][] = [
    ['m365.certificate_expired', 'token', 'm365.certificate_refused_as_expired'],
    ['m365.wrong_certificate', 'token', 'm365.certificate_not_registered'],
    ['m365.certificate_not_uploaded', 'token', 'm365.certificate_not_registered'],
    ['m365.consent_revoked', 'permission:User.Read.All,permission:Mail.Read', 'm365.permission_missing'],
    ['m365.app_deleted', 'token', 'm365.app_not_found'],
    ['wrong-tenant', 'token', 'm365.tenant_not_found'],
    ['wrong-client', 'token', 'm365.app_not_found'],
    ['wrong-password', 'credential', 'm365.pfx_unreadable'],
    ['expired-cert', 'credential', 'm365.certificate_expired'],
  ];
  it.each(table)('%s → check %s fails with %s', async (fault, check, code) => {
    let source = make();
    if (fault === 'wrong-tenant') source = make('certificate', { tenantId: '00000000-1111-2222-3333-444444444444' });
    else if (fault === 'wrong-client') source = make('certificate', { clientId: '99999999-1111-2222-3333-444444444444' });
    else if (fault === 'wrong-password') source = make('certificate', { auth: { type: 'certificate', pfxBase64: sandbox.demo.microsoft.pfxBase64, pfxPassword: 'wrong' } });
    else if (fault === 'expired-cert') {
      const old = selfSignedCertificate('Old', new Date(Date.now() - 400 * 86_400_000), new Date(Date.now() - 86_400_000));
      source = make('certificate', { auth: { type: 'certificate', pfxBase64: toPfxBase64(old, 'pw'), pfxPassword: 'pw' } });
    } else sandbox.faults.set('*', fault);
    const checks = await source.checks();
    const failed = checks.filter((c) => c.status === 'fail');
    expect(failed.map((c) => c.id)).toEqual(check.split(','));
    for (const f of failed) expect(f.error?.code).toBe(code);
  });

  it('Entra refuses the certificate as expired while the PFX file is in date: both facts, never "passed its expiry date (<a future date>)"', async () => {
    sandbox.faults.set('*', 'm365.certificate_expired');
    const checks = await make().checks();
    expect(checks.find((c) => c.id === 'credential')?.status).toBe('pass');
    const token = checks.find((c) => c.id === 'token')!;
    expect(token.error?.code).toBe('m365.certificate_refused_as_expired');
    const params = token.error!.params as Record<string, string>;
    expect(Date.parse(params['fileNotAfter']!)).toBeGreaterThan(Date.now());
    expect(params['providerEnd']).toMatch(/^\d\d\/\d\d\/\d{4} /);
    const shown = renderError('m365.certificate_refused_as_expired', params);
    expect(shown.message).toContain(`valid until ${params['fileNotAfter']}`);
    expect(shown.message).toContain('different certificate registered');
    expect(shown.message).not.toContain('passed its expiry date');
  });

  it('names the exact permission that was removed, and the secret problems', async () => {
    sandbox.faults.set('*', 'm365.permission_removed', { permission: 'Mail.Read' });
    const checks = await make().checks();
    expect(checks.filter((c) => c.status === 'fail').map((c) => [c.id, c.error?.code, c.error?.params['permission']])).toEqual([['permission:Mail.Read', 'm365.permission_missing', 'Mail.Read']]);
    sandbox.faults.clear();
    sandbox.faults.set('*', 'm365.secret_expired');
    expect(await codeOf(make('client_secret').listAccounts(null))).toBe('m365.client_secret_expired');
    sandbox.faults.clear();
    const withId = make('client_secret', { auth: { type: 'client_secret', clientSecret: sandbox.demo.microsoft.clientSecretId } });
    expect(await codeOf(withId.listAccounts(null))).toBe('m365.client_secret_invalid');
  });

  it('walks nested folders, reads a folder by delta, then only its changes', async () => {
    const source = make();
    const account = (await source.getAccount(`ada.lovelace@${sandbox.demo.microsoft.domain}`)) ?? (await source.listAccounts(null)).items[1]!;
    const folders = await source.listFolders(account.id);
    const inbox = folders.find((f) => f.wellKnownName === 'inbox')!;
    expect(inbox.path).toEqual(['Inbox']);
    expect(folders.some((f) => f.path.join('/') === 'Inbox/Projects/Apollo')).toBe(true);
    expect(folders.some((f) => f.wellKnownName === 'sentitems')).toBe(true);

    const mailbox = await (await fetch(`${sandbox.urls.admin}/microsoft/mailboxes/${account.userPrincipalName}`)).json() as { folders: { id: string; messages: { id: string }[] }[] };
    const expected = mailbox.folders.find((f) => f.id === inbox.id)!.messages.map((m) => m.id).sort();
    const ids: string[] = [];
    let cursor: string | null = null;
    let delta: string | null = null;
    do {
      const page = await source.listMessages(account.id, inbox.id, cursor, { pageSize: 7 });
      ids.push(...page.items.map((m) => m.id));
      cursor = page.next;
      delta = page.deltaCursor;
    } while (cursor);
    expect(ids.sort()).toEqual(expected);
    expect(delta).toMatch(/^v1:/);

    const added = await (await fetch(`${sandbox.urls.admin}/microsoft/mailboxes/${account.userPrincipalName}/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ folder: 'inbox', subject: 'fresh' }) })).json() as { id: string };
    await fetch(`${sandbox.urls.admin}/microsoft/mailboxes/${account.userPrincipalName}/messages/${encodeURIComponent(expected[0]!)}`, { method: 'DELETE' });
    const changes = await source.listMessages(account.id, inbox.id, delta);
    expect(changes.items.map((m) => [m.id, m.removed]).sort()).toEqual([[added.id, false], [expected[0], true]].sort());
    const again = await source.listMessages(account.id, inbox.id, changes.deltaCursor);
    expect(again.items).toHaveLength(0);

    const mime = Buffer.from(await source.readMessage(account.id, added.id)).toString('utf8');
    expect(mime).toContain('Subject: fresh');
    expect(mime).toMatch(/Message-ID: <.+>/);
  });

  it('reads each message size from PidTagMessageSize (Graph has no size property), on every page and for one message', async () => {
    const source = make();
    const account = (await source.listAccounts(null)).items[2]!;
    const inbox = (await source.listFolders(account.id)).find((f) => f.wellKnownName === 'inbox')!;
    const refs = [];
    let cursor: string | null = null;
    do {
      const page = await source.listMessages(account.id, inbox.id, cursor, { pageSize: 4 });
      refs.push(...page.items);
      cursor = page.next;
    } while (cursor);
    expect(refs.length).toBeGreaterThan(4);
    for (const ref of refs.slice(0, 6)) {
      const raw = await source.readMessage(account.id, ref.id);
      expect(ref.size).toBe(raw.byteLength);
    }
    const one = await source.getMessage(account.id, refs[0]!.id);
    expect(one?.size).toBe(refs[0]!.size);
  });

  it('an expired delta token surfaces as sync.delta_expired', async () => {
    const source = make();
    const account = (await source.listAccounts(null)).items[0]!;
    const inbox = (await source.listFolders(account.id)).find((f) => f.wellKnownName === 'inbox')!;
    let page = await source.listMessages(account.id, inbox.id, null, { pageSize: 1000 });
    sandbox.faults.set('*', 'graph.delta_expired');
    expect(await codeOf(source.listMessages(account.id, inbox.id, page.deltaCursor))).toBe('sync.delta_expired');
    page = await source.listMessages(account.id, inbox.id, null, { pageSize: 1000 });
    expect(page.deltaCursor).not.toBeNull();
  });

  it('honours Graph throttling: Retry-After in-line, then a catalogue error with the delay', async () => {
    sandbox.faults.set('*', 'graph.throttle', { retryAfterSeconds: 2, everyNth: 2 });
    const source = make();
    const page = await source.listAccounts(null); // every 2nd call throttled: retried in-line
    expect(page.items.length).toBeGreaterThan(0);
    sandbox.faults.clear();
    sandbox.faults.set('*', 'graph.throttle', { retryAfterSeconds: 45 });
    try {
      await source.listAccounts(null);
      expect.unreachable();
    } catch (e) {
      expect((e as AppError).code).toBe('sync.rate_limited');
      expect((e as AppError).retryAfterMs).toBe(45_000);
    }
  });
});
