import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../src/sandbox/server.js';
import { selfSignedCertificate, toPfxBase64 } from '../src/sandbox/keys.js';
import { bootApp } from './support/app.js';
import { clearFaults, setFault } from './support/sandbox-admin.js';
import { googleBody, googleKeyCredential, m365Body, m365SecretCredential, named, type FindingJson, tokenProviderKeyEnv } from './support/connections.js';

/**
 * The doctor names every row of the seed articles' troubleshooting tables. Each row's cause is
 * injected in the sandbox — through its fault API over HTTP, or as the admin's own mistake in
 * the connection's settings — then Test connection runs through the REST API, and the set of
 * codes it names (failing or warning findings) must be exactly that row's code: no other.
 */
const ADMIN_SCOPE = 'https://www.googleapis.com/auth/admin.directory.user';
const GMAIL_SCOPE = 'https://www.googleapis.com/auth/gmail.modify';

type Base = 'm365_certificate' | 'm365_secret' | 'google_keyless' | 'google_key';

interface Row {
  /** Seed article and the row's title there. */
  readonly seed: 'continuity-connection-issues' | 'continuity-sync-issues' | 'certification-center-directory-connections';
  readonly row: string;
  readonly base: Base;
  readonly fault?: { readonly name: string; readonly params?: Record<string, string | number> };
  /** The admin's mistake instead of a fault: a connection body change. */
  readonly change?: (sb: Sandbox) => { config?: Record<string, unknown>; credential?: Record<string, unknown> };
  /** What the doctor must name, and nothing else: 'fail:<code>' or 'warning:<code>'. */
  readonly names: string[];
}

const expiredPfx = () => {
  const old = selfSignedCertificate('Northwind old', new Date(Date.now() - 400 * 86_400_000), new Date(Date.now() - 86_400_000));
  return { type: 'certificate', pfxBase64: toPfxBase64(old, 'old-pw'), pfxPassword: 'old-pw' };
};
const otherPfx = (days: number) => {
  const c = selfSignedCertificate('Some other app', new Date(Date.now() - 86_400_000), new Date(Date.now() + days * 86_400_000));
  return { type: 'certificate', pfxBase64: toPfxBase64(c, 'other-pw'), pfxPassword: 'other-pw' };
};

const ROWS: Row[] = [
  // continuity-connection-issues, Microsoft 365 table
  { seed: 'continuity-connection-issues', row: 'Certificate expired (Entra says so, the PFX file disagrees)', base: 'm365_certificate', fault: { name: 'm365.certificate_expired' }, names: ['fail:m365.certificate_refused_as_expired'] },
  { seed: 'continuity-connection-issues', row: 'Certificate expired (the PFX says so, before any call)', base: 'm365_certificate', change: () => ({ credential: expiredPfx() }), names: ['fail:m365.certificate_expired'] },
  { seed: 'continuity-connection-issues', row: 'Wrong PFX file uploaded', base: 'm365_certificate', fault: { name: 'm365.wrong_certificate' }, names: ['fail:m365.certificate_not_registered'] },
  { seed: 'continuity-connection-issues', row: 'Wrong PFX file uploaded (another app\'s certificate)', base: 'm365_certificate', change: () => ({ credential: otherPfx(300) }), names: ['fail:m365.certificate_not_registered'] },
  { seed: 'continuity-connection-issues', row: 'Certificate not uploaded to Azure AD', base: 'm365_certificate', fault: { name: 'm365.certificate_not_uploaded' }, names: ['fail:m365.certificate_not_registered'] },
  { seed: 'continuity-connection-issues', row: 'Insufficient permissions (a permission removed)', base: 'm365_certificate', fault: { name: 'm365.permission_removed', params: { permission: 'Mail.Read' } }, names: ['fail:m365.permission_missing'] },
  { seed: 'continuity-connection-issues', row: 'Insufficient permissions (admin consent revoked)', base: 'm365_certificate', fault: { name: 'm365.consent_revoked' }, names: ['fail:m365.permission_missing'] },
  { seed: 'continuity-connection-issues', row: 'Incorrect Tenant ID', base: 'm365_certificate', change: () => ({ config: { tenantId: '00000000-1111-2222-3333-444444444444' } }), names: ['fail:m365.tenant_not_found'] },
  { seed: 'continuity-connection-issues', row: 'Incorrect Client ID', base: 'm365_certificate', change: () => ({ config: { clientId: '99999999-1111-2222-3333-444444444444' } }), names: ['fail:m365.app_not_found'] },
  { seed: 'continuity-connection-issues', row: 'App registration deleted', base: 'm365_certificate', fault: { name: 'm365.app_deleted' }, names: ['fail:m365.app_not_found'] },
  // continuity-connection-issues, Google Workspace table (keyless, as the article describes)
  { seed: 'continuity-connection-issues', row: 'Token Creator role not granted', base: 'google_keyless', fault: { name: 'google.token_creator_missing' }, names: ['fail:google.token_creator_missing'] },
  { seed: 'continuity-connection-issues', row: 'Wrong service account email', base: 'google_keyless', change: (sb) => ({ config: { serviceAccountEmail: `continuity@${sb.demo.google.projectId}.iam.gserviceaccount.com` } }), names: ['fail:google.service_account_not_found'] },
  { seed: 'continuity-connection-issues', row: 'Domain-wide delegation scopes missing (one scope)', base: 'google_keyless', fault: { name: 'google.delegation_scopes_missing', params: { scope: GMAIL_SCOPE } }, names: ['fail:google.delegation_missing'] },
  { seed: 'continuity-connection-issues', row: 'Domain-wide delegation revoked (every scope)', base: 'google_keyless', fault: { name: 'google.delegation_scopes_missing' }, names: ['fail:google.delegation_missing'] },
  { seed: 'continuity-connection-issues', row: 'Domain-wide delegation change still propagating', base: 'google_keyless', fault: { name: 'google.delegation_propagating', params: { scope: ADMIN_SCOPE } }, names: ['warning:doctor.change_propagating'] },
  { seed: 'continuity-connection-issues', row: 'API not enabled (Gmail API)', base: 'google_keyless', fault: { name: 'google.api_disabled', params: { api: 'gmail' } }, names: ['fail:google.api_disabled'] },
  { seed: 'continuity-connection-issues', row: 'API not enabled (Admin SDK API)', base: 'google_keyless', fault: { name: 'google.api_disabled', params: { api: 'admin' } }, names: ['fail:google.api_disabled'] },
  { seed: 'continuity-connection-issues', row: 'API not enabled (IAM Service Account Credentials API)', base: 'google_keyless', fault: { name: 'google.api_disabled', params: { api: 'iamcredentials' } }, names: ['fail:google.api_disabled'] },
  { seed: 'continuity-connection-issues', row: 'Service account deleted', base: 'google_keyless', fault: { name: 'google.service_account_deleted' }, names: ['fail:google.service_account_not_found'] },
  { seed: 'continuity-connection-issues', row: 'Service account deleted (key method)', base: 'google_key', fault: { name: 'google.service_account_deleted' }, names: ['fail:google.service_account_not_found'] },
  // continuity-sync-issues, connection rows
  { seed: 'continuity-sync-issues', row: 'Authentication token expired (Microsoft 365 secret expired)', base: 'm365_secret', fault: { name: 'm365.secret_expired' }, names: ['fail:m365.client_secret_expired'] },
  { seed: 'continuity-sync-issues', row: 'Authentication token expired (Google credential revoked)', base: 'google_key', fault: { name: 'google.key_expired' }, names: ['fail:google.key_rejected'] },
  { seed: 'continuity-sync-issues', row: 'API rate limit exceeded (Microsoft 365)', base: 'm365_certificate', fault: { name: 'graph.throttle', params: { retryAfterSeconds: 0 } }, names: ['warning:sync.rate_limited'] },
  { seed: 'continuity-sync-issues', row: 'API rate limit exceeded (Google Workspace)', base: 'google_keyless', fault: { name: 'gmail.throttle' }, names: ['warning:sync.rate_limited'] },
  { seed: 'continuity-sync-issues', row: 'Connection credentials expired (certificate)', base: 'm365_certificate', change: () => ({ credential: expiredPfx() }), names: ['fail:m365.certificate_expired'] },
  // certification-center-directory-connections
  { seed: 'certification-center-directory-connections', row: 'Consent not granted (admin consent missing)', base: 'm365_secret', fault: { name: 'm365.consent_revoked' }, names: ['fail:m365.permission_missing'] },
  { seed: 'certification-center-directory-connections', row: 'Consent not granted (not an administrator)', base: 'google_keyless', fault: { name: 'google.admin_not_admin' }, names: ['fail:google.admin_not_authorized'] },
  { seed: 'certification-center-directory-connections', row: 'Entra ID client secret expired', base: 'm365_secret', fault: { name: 'm365.secret_expired' }, names: ['fail:m365.client_secret_expired'] },
  { seed: 'certification-center-directory-connections', row: 'Entra ID client secret expired (end date entered, before any call)', base: 'm365_secret', change: (sb) => ({ credential: m365SecretCredential(sb, { expiresAt: '2020-01-31' }) }), names: ['fail:m365.client_secret_expired'] },
  { seed: 'certification-center-directory-connections', row: 'Secret ID pasted as the client secret value', base: 'm365_secret', change: (sb) => ({ credential: m365SecretCredential(sb, { clientSecret: sb.demo.microsoft.clientSecretId }) }), names: ['fail:credential.secret_id_pasted'] },
  { seed: 'certification-center-directory-connections', row: 'Google Workspace service-account key expired', base: 'google_key', fault: { name: 'google.key_expired' }, names: ['fail:google.key_rejected'] },
  { seed: 'certification-center-directory-connections', row: 'Throttling (Microsoft Graph 429)', base: 'm365_secret', fault: { name: 'graph.throttle', params: { retryAfterSeconds: 1 } }, names: ['warning:sync.rate_limited'] },
];

describe('the doctor names every seed troubleshooting row, and no other cause', () => {
  let sandbox: Sandbox;
  let app: Awaited<ReturnType<typeof bootApp>>;

  beforeAll(async () => {
    sandbox = await startSandbox({});
    const keyEnv = tokenProviderKeyEnv(sandbox);
    app = await bootApp({ env: keyEnv });
  });
  afterAll(async () => {
    await app?.stop();
    await sandbox?.close();
  });
  afterEach(async () => {
    await clearFaults(sandbox);
  });

  function body(base: Base, change: ReturnType<NonNullable<Row['change']>> = {}, name = 'Doctor') {
    switch (base) {
      case 'm365_certificate':
        return m365Body(sandbox, { name, ...change });
      case 'm365_secret':
        return m365Body(sandbox, { name, credential: change.credential ?? m365SecretCredential(sandbox), ...(change.config ? { config: change.config } : {}) });
      case 'google_keyless':
        return googleBody(sandbox, { name, ...change });
      case 'google_key':
        return googleBody(sandbox, { name, credential: change.credential ?? googleKeyCredential(sandbox), ...(change.config ? { config: change.config } : {}) });
    }
  }

  async function test(id: string): Promise<{ ok: boolean; findings: FindingJson[] }> {
    const r = await app.api(`/connections/${id}/test`, { method: 'POST' });
    expect(r.status, r.text).toBe(200);
    return r.body;
  }

  it.each(['m365_certificate', 'm365_secret', 'google_keyless', 'google_key'] as const)('%s: every check passes on the healthy demo tenant', async (base) => {
    const created = await app.api('/connections', { method: 'POST', body: JSON.stringify(body(base, {}, `Healthy ${base}`)) });
    expect(created.status, created.text).toBe(201);
    const r = await test(created.body.id);
    expect(named(r.findings)).toEqual([]);
    expect(r.ok).toBe(true);
    // The clock check ran against the provider's Date header.
    expect(r.findings.find((f) => f.check === 'clock')?.status).toBe('pass');
  });

  it.each(ROWS.map((r) => [`${r.seed}: ${r.row}`, r] as const))('%s', async (_title, row) => {
    const created = await app.api('/connections', { method: 'POST', body: JSON.stringify(body(row.base, row.change?.(sandbox) ?? {}, row.row.slice(0, 100))) });
    expect(created.status, created.text).toBe(201);
    if (row.fault) await setFault(sandbox, row.fault.name, '*', row.fault.params ?? {});
    const r = await test(created.body.id);
    expect(named(r.findings)).toEqual(row.names);
    for (const f of r.findings.filter((x) => x.status === 'fail' || x.status === 'warning')) {
      // Every named cause comes with the exact fix.
      expect(f.error?.resolution.length).toBeGreaterThan(20);
    }
    expect(r.ok).toBe(!row.names.some((n) => n.startsWith('fail:')));
    // The result is in the audit log.
    const audit = await app.api(`/audit?action=connection.tested&limit=5`);
    const mine = audit.body.events.find((e: { targetId: string }) => e.targetId === created.body.id);
    expect(mine).toBeDefined();
    if (!r.ok) expect(mine.code).toBe(row.names[0]!.slice('fail:'.length));
  });

  it('a pasted secret ID is recognised before any call to Entra ID', async () => {
    const created = await app.api('/connections', { method: 'POST', body: JSON.stringify(body('m365_secret', { credential: m365SecretCredential(sandbox, { clientSecret: sandbox.demo.microsoft.clientSecretId }) }, 'Secret ID')) });
    const r = await test(created.body.id);
    expect(r.findings.map((f) => [f.check, f.status])).toEqual([
      ['credential', 'fail'],
      ['provider', 'skipped'],
    ]);
    expect(r.findings[0]!.error!.resolution).toContain('Value column');
  });

  it('a credential expiring within 30 days is a warning, and the connection shows Expiring soon', async () => {
    const soon = selfSignedCertificate('Syncwarden soon', new Date(Date.now() - 86_400_000), new Date(Date.now() + 12 * 86_400_000));
    const created = await app.api('/connections', { method: 'POST', body: JSON.stringify(body('m365_certificate', { credential: { type: 'certificate', pfxBase64: toPfxBase64(soon, 'pw'), pfxPassword: 'pw' } }, 'Soon')) });
    // The certificate is not registered on the app, so sign-in fails too: two distinct causes, each named once.
    const r = await test(created.body.id);
    expect(named(r.findings)).toEqual(['fail:m365.certificate_not_registered', 'warning:credential.expiring_soon']);
    const secret = await app.api('/connections', { method: 'POST', body: JSON.stringify(body('m365_secret', { credential: m365SecretCredential(sandbox, { expiresAt: new Date(Date.now() + 20 * 86_400_000).toISOString() }) }, 'Secret soon')) });
    const s = await test(secret.body.id);
    expect(named(s.findings)).toEqual(['warning:credential.expiring_soon']);
    const view = await app.api(`/connections/${secret.body.id}`);
    expect(view.body.status).toBe('expiring');
    expect(view.body.daysLeft).toBeGreaterThanOrEqual(19);
  });

  it('rejects at save what cannot be stored: a wrong PFX password, a key file that is not one', async () => {
    const wrongPw = await app.api('/connections', { method: 'POST', body: JSON.stringify(body('m365_certificate', { credential: { type: 'certificate', pfxBase64: sandbox.demo.microsoft.pfxBase64, pfxPassword: 'wrong' } })) });
    expect(wrongPw.status).toBe(400);
    expect(wrongPw.body.error.code).toBe('m365.pfx_unreadable');
    expect(wrongPw.body.error.message).toContain('password is wrong');
    const badKey = await app.api('/connections', { method: 'POST', body: JSON.stringify(body('google_key', { credential: googleKeyCredential(sandbox, { keyJson: '{"type":"authorized_user"}' }) })) });
    expect(badKey.status).toBe(400);
    expect(badKey.body.error.code).toBe('credential.key_file_invalid');
  });
});

describe('the doctor and a wrong clock', () => {
  it('names the clock skew, and not the sign-in failures it causes', async () => {
    const sandbox = await startSandbox({});
    const keyEnv = tokenProviderKeyEnv(sandbox);
    // This server's clock runs 10 minutes fast; the providers' Date headers tell.
    const app = await bootApp({ env: keyEnv, now: () => Date.now() + 10 * 60_000 });
    try {
      for (const b of [m365Body(sandbox), googleBody(sandbox), googleBody(sandbox, { credential: googleKeyCredential(sandbox) })]) {
        const created = await app.api('/connections', { method: 'POST', body: JSON.stringify(b) });
        const r = (await app.api(`/connections/${created.body.id}/test`, { method: 'POST' })).body as { ok: boolean; findings: FindingJson[] };
        expect(named(r.findings)).toEqual(['fail:doctor.clock_skew']);
        const clock = r.findings.find((f) => f.check === 'clock')!;
        expect(clock.error!.message).toMatch(/by (59\d|60\d) seconds/);
      }
    } finally {
      await app.stop();
      await sandbox.close();
    }
  });
});
