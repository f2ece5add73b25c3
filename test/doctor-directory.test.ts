import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../src/sandbox/server.js';
import { recordScopeExclusions } from '../src/connections/service.js';
import { queueExpiryReminders } from '../src/notify/reminders.js';
import { bootApp } from './support/app.js';
import { clearFaults, sandboxAdmin, setFault } from './support/sandbox-admin.js';
import { awsBody, entraDirectoryBody, googleDirectoryBody, googleKeyCredential, m365SecretCredential, named, scimBody, type FindingJson, tokenProviderKeyEnv } from './support/connections.js';

/**
 * The doctor for the directory role, end to end through the REST API: every row of
 * certification-center-directory-connections, for each provider it names (Entra ID, Google
 * Workspace, AWS IAM — and SCIM, which its "Still stuck?" list names), plus the prerequisites
 * each directory kind has (AWS keys and each read action, role trust and external id, the SCIM
 * endpoint and token, the clock, a secret ID pasted as the value, a delegation change still
 * propagating). Each row's cause is injected through the sandbox's fault or admin API over HTTP
 * — or is the admin's own mistake, made by editing the connection — on a connection that tested
 * healthy first (so it is in service). Test connection must then name exactly that row's code
 * and no other; the connection shows Error (or stays Active on a warning), the test is in the
 * audit log with the code, a failure opens the connection's incident, and once the cause is
 * gone the next test resolves it.
 */
const SEED = 'certification-center-directory-connections';
const G = 'https://www.googleapis.com/auth/admin.directory.';
type Base = 'entra_certificate' | 'entra_secret' | 'google_keyless' | 'google_key' | 'aws_key' | 'aws_role' | 'scim';
const BASES: Base[] = ['entra_certificate', 'entra_secret', 'google_keyless', 'google_key', 'aws_key', 'aws_role', 'scim'];

interface Change {
  config?: Record<string, unknown>;
  credential?: Record<string, unknown>;
}

interface Row {
  /** The seed section (or the kind's prerequisite) and the row. */
  readonly section: string;
  readonly row: string;
  readonly base: Base;
  /** A fault, switched on through the sandbox's fault API (scope '*'). */
  readonly fault?: { readonly name: string; readonly params?: Record<string, string | number> };
  /** A change in the provider through the sandbox's admin API; returns how to undo it. */
  readonly admin?: (sb: Sandbox) => Promise<() => Promise<void>>;
  /** The admin's own mistake: an edit of the connection (PATCH). */
  readonly change?: (sb: Sandbox) => Change;
  /** What the doctor must name, and nothing else. */
  readonly names: string[];
}

const fabrikam = (sb: Sandbox) => sb.demo.microsoft.directoryTenantId;
const DIRECTORY_READ = ['User.Read.All', 'GroupMember.Read.All', 'RoleManagement.Read.Directory', 'Application.Read.All'];

const ROWS: Row[] = [
  // Consent or authorization was not granted
  { section: SEED, row: 'Consent not granted: Entra ID tenant without the grant (the app is consented in another tenant only)', base: 'entra_certificate', change: (sb) => ({ config: { tenantId: sb.demo.microsoft.tenantId }, credential: entraDirectoryBody(sb).credential }), names: ['fail:m365.permission_missing'] },
  {
    section: SEED, row: 'Consent not granted: Entra ID admin consent revoked in the tenant', base: 'entra_secret',
    admin: async (sb) => {
      await sandboxAdmin(sb, 'DELETE', `/microsoft/tenants/${fabrikam(sb)}/consent`);
      return async () => void (await sandboxAdmin(sb, 'POST', `/microsoft/tenants/${fabrikam(sb)}/consent`, { permissions: DIRECTORY_READ }));
    },
    names: ['fail:m365.permission_missing'],
  },
  { section: SEED, row: 'Consent not granted: Google delegation of a read scope missing', base: 'google_keyless', fault: { name: 'google.delegation_scopes_missing', params: { scope: `${G}user.readonly` } }, names: ['fail:google.delegation_missing'] },
  { section: SEED, row: 'Consent not granted: Google delegation revoked (every scope)', base: 'google_key', fault: { name: 'google.delegation_scopes_missing' }, names: ['fail:google.delegation_missing'] },
  { section: SEED, row: 'Consent not granted: the Google admin is not a Super Admin', base: 'google_keyless', fault: { name: 'google.admin_not_admin' }, names: ['fail:google.admin_not_authorized'] },
  { section: SEED, row: 'Consent not granted: AWS action denied', base: 'aws_key', fault: { name: 'aws.action_denied', params: { action: 'iam:GetAccountAuthorizationDetails' } }, names: ['fail:aws.action_denied'] },
  { section: SEED, row: 'Consent not granted: AWS action denied to the assumed role', base: 'aws_role', fault: { name: 'aws.action_denied', params: { action: 'iam:ListGroups' } }, names: ['fail:aws.action_denied'] },
  // Partial consent leaves the connector unable to read some object types
  { section: SEED, row: 'Partial consent: one Entra ID permission missing', base: 'entra_certificate', fault: { name: 'm365.permission_removed', params: { permission: 'RoleManagement.Read.Directory' } }, names: ['fail:m365.permission_missing'] },
  { section: SEED, row: 'Partial consent: one Google delegation scope missing', base: 'google_keyless', fault: { name: 'google.delegation_scopes_missing', params: { scope: `${G}rolemanagement.readonly` } }, names: ['fail:google.delegation_missing'] },
  { section: SEED, row: 'Partial consent: one AWS read action missing', base: 'aws_key', fault: { name: 'aws.action_denied', params: { action: 'iam:GetAccessKeyLastUsed' } }, names: ['fail:aws.action_denied'] },
  // The app secret or credential has expired
  { section: SEED, row: 'Expired: Entra ID client secret (Entra says so)', base: 'entra_secret', fault: { name: 'm365.secret_expired' }, names: ['fail:m365.client_secret_expired'] },
  { section: SEED, row: 'Expired: Entra ID client secret (end date entered, before any call)', base: 'entra_secret', change: (sb) => ({ credential: { clientSecret: sb.demo.microsoft.clientSecret, expiresAt: '2020-01-31' } }), names: ['fail:m365.client_secret_expired'] },
  { section: SEED, row: 'Expired: Entra ID certificate (Entra says so, the PFX file disagrees)', base: 'entra_certificate', fault: { name: 'm365.certificate_expired' }, names: ['fail:m365.certificate_refused_as_expired'] },
  { section: SEED, row: 'Expired: Google service-account key (expiry policy)', base: 'google_key', fault: { name: 'google.key_expired' }, names: ['fail:google.key_rejected'] },
  { section: SEED, row: 'Expired: Google service-account key deleted', base: 'google_key', fault: { name: 'google.key_deleted' }, names: ['fail:google.key_rejected'] },
  { section: SEED, row: 'Expired: AWS access key deleted or invalid', base: 'aws_key', fault: { name: 'aws.access_key_invalid' }, names: ['fail:aws.access_key_invalid'] },
  { section: SEED, row: 'Expired: AWS access key made Inactive', base: 'aws_role', fault: { name: 'aws.access_key_inactive' }, names: ['fail:aws.access_key_invalid'] },
  { section: SEED, row: 'Expired: AWS secret access key rotated', base: 'aws_key', fault: { name: 'aws.secret_rotated' }, names: ['fail:aws.secret_key_wrong'] },
  { section: SEED, row: 'Expired: AWS assumed-role trust broken', base: 'aws_role', fault: { name: 'aws.trust_broken' }, names: ['fail:aws.role_trust_denied'] },
  { section: SEED, row: 'Expired: AWS role expects another external ID', base: 'aws_role', fault: { name: 'aws.external_id_mismatch' }, names: ['fail:aws.external_id_mismatch'] },
  { section: SEED, row: 'Expired: AWS role session expired', base: 'aws_role', fault: { name: 'aws.session_expired' }, names: ['fail:aws.session_expired'] },
  { section: SEED, row: 'Expired: SCIM token (the app says so)', base: 'scim', fault: { name: 'scim.token_expired' }, names: ['fail:scim.token_expired'] },
  { section: SEED, row: 'Expired: SCIM token (expiry entered, before any call)', base: 'scim', change: (sb) => ({ credential: { token: sb.demo.scim.token, expiresAt: '2021-06-30' } }), names: ['fail:scim.token_expired'] },
  { section: SEED, row: 'Expired: SCIM token revoked', base: 'scim', fault: { name: 'scim.token_invalid' }, names: ['fail:scim.token_invalid'] },
  // The provider is throttling requests
  { section: SEED, row: 'Throttling: Entra ID identity & access 429', base: 'entra_certificate', fault: { name: 'graph.identity_throttle', params: { retryAfterSeconds: 0 } }, names: ['warning:directory.rate_limited'] },
  { section: SEED, row: 'Throttling: some Entra ID requests throttled, retried successfully', base: 'entra_secret', fault: { name: 'graph.identity_throttle', params: { retryAfterSeconds: 0, everyNth: 2 } }, names: ['warning:sync.rate_limited'] },
  { section: SEED, row: 'Throttling: Google Directory 403 userRateLimitExceeded', base: 'google_keyless', fault: { name: 'google.directory_throttle', params: { reason: 'userRateLimitExceeded' } }, names: ['warning:google.directory_rate_limited'] },
  { section: SEED, row: 'Throttling: Google Directory 403 quotaExceeded', base: 'google_key', fault: { name: 'google.directory_throttle', params: { reason: 'quotaExceeded' } }, names: ['warning:google.directory_rate_limited'] },
  { section: SEED, row: 'Throttling: AWS Throttling "Rate exceeded"', base: 'aws_key', fault: { name: 'aws.throttle' }, names: ['warning:aws.throttled'] },
  { section: SEED, row: 'Throttling: some AWS requests throttled, retried successfully', base: 'aws_role', fault: { name: 'aws.throttle', params: { everyNth: 3 } }, names: ['warning:sync.rate_limited'] },
  { section: SEED, row: 'Throttling: SCIM app 429 with Retry-After', base: 'scim', fault: { name: 'scim.throttle', params: { retryAfterSeconds: 0 } }, names: ['warning:scim.throttled'] },
  // The connection tests fine but no identities appear: the account lacks directory read
  { section: SEED, row: 'No identities: the Entra ID app may sign in but not read users', base: 'entra_secret', fault: { name: 'm365.permission_removed', params: { permission: 'User.Read.All' } }, names: ['fail:m365.permission_missing'] },
  { section: SEED, row: 'No identities: the Google admin API is disabled', base: 'google_key', fault: { name: 'google.api_disabled', params: { api: 'admin' } }, names: ['fail:google.api_disabled'] },
  { section: SEED, row: 'No identities: AWS ListUsers denied', base: 'aws_key', fault: { name: 'aws.action_denied', params: { action: 'iam:ListUsers' } }, names: ['fail:aws.action_denied'] },
  { section: SEED, row: 'No identities: the SCIM token may not read users or groups', base: 'scim', fault: { name: 'scim.forbidden' }, names: ['fail:scim.forbidden'] },
  // The kinds' own prerequisites
  { section: 'prerequisites', row: 'Entra ID: Secret ID pasted as the client secret value', base: 'entra_secret', change: (sb) => ({ credential: { clientSecret: sb.demo.microsoft.clientSecretId } }), names: ['fail:credential.secret_id_pasted'] },
  { section: 'prerequisites', row: 'Google: a delegation change still propagating', base: 'google_keyless', fault: { name: 'google.delegation_propagating', params: { scope: `${G}group.readonly` } }, names: ['warning:google.delegation_propagating'] },
  { section: 'prerequisites', row: 'AWS: the secret access key pasted truncated', base: 'aws_key', change: (sb) => ({ credential: { secretAccessKey: sb.demo.aws.secretAccessKey.slice(0, 30) } }), names: ['fail:credential.invalid_format'] },
  { section: 'prerequisites', row: 'AWS: the role ARN names another role', base: 'aws_role', change: (sb) => ({ credential: { roleArn: sb.demo.aws.roleArn.replace(/role\/.*/, 'role/NoSuchRole') } }), names: ['fail:aws.role_trust_denied'] },
  { section: 'prerequisites', row: 'SCIM: the base URL is a web page, not the SCIM endpoint', base: 'scim', fault: { name: 'scim.not_scim' }, names: ['fail:scim.not_scim'] },
  { section: 'prerequisites', row: 'SCIM: the endpoint does not answer', base: 'scim', change: (sb) => ({ config: { baseUrl: 'http://127.0.0.1:9/scim/v2' }, credential: scimBody(sb).credential }), names: ['fail:scim.unreachable'] },
  { section: 'prerequisites', row: 'SCIM: "Bearer " pasted with the token', base: 'scim', change: (sb) => ({ credential: { token: `Bearer ${sb.demo.scim.token}` } }), names: ['fail:credential.invalid_format'] },
];

let sandbox: Sandbox;
let app: Awaited<ReturnType<typeof bootApp>>;

function body(base: Base, name: string) {
  switch (base) {
    case 'entra_certificate':
      return entraDirectoryBody(sandbox, { name });
    case 'entra_secret':
      return entraDirectoryBody(sandbox, { name, credential: m365SecretCredential(sandbox) });
    case 'google_keyless':
      return googleDirectoryBody(sandbox, { name });
    case 'google_key':
      return googleDirectoryBody(sandbox, { name, credential: googleKeyCredential(sandbox) });
    case 'aws_key':
      return awsBody(sandbox, { name });
    case 'aws_role':
      return awsBody(sandbox, { name, method: 'assume_role' });
    case 'scim':
      return scimBody(sandbox, { name });
  }
}

interface TestJson {
  ok: boolean;
  findings: FindingJson[];
  incident: { id: string; opened: boolean } | null;
  resolvedIncident: string | null;
  connection: { status: string };
}

async function test(id: string): Promise<TestJson> {
  const r = await app.api(`/connections/${id}/test`, { method: 'POST' });
  expect(r.status, r.text).toBe(200);
  return r.body as TestJson;
}

async function create(b: ReturnType<typeof body>): Promise<string> {
  const created = await app.api('/connections', { method: 'POST', body: JSON.stringify(b) });
  expect(created.status, created.text).toBe(201);
  return created.body.id as string;
}

beforeAll(async () => {
  sandbox = await startSandbox({});
  const keyEnv = tokenProviderKeyEnv(sandbox);
  app = await bootApp({ env: keyEnv });
  // Dozens of tests against one AWS account in a few seconds would meet the account's request
  // quota: off here, so only the throttling rows (faults) throttle.
  await sandboxAdmin(sandbox, 'POST', '/aws/throttle', { enabled: false });
});
afterAll(async () => {
  await app?.stop();
  await sandbox?.close();
});
afterEach(async () => {
  await clearFaults(sandbox);
});

describe('directory connections: the doctor names every seed row, and no other cause', () => {
  it.each(BASES)('%s: every check passes on the healthy demo directory, read-only, and the scope is reported', async (base) => {
    const id = await create(body(base, `Healthy ${base}`));
    const r = await test(id);
    expect(named(r.findings)).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.connection.status).toBe('active');
    // The clock is compared with the provider's Date headers, once.
    expect(r.findings.filter((f) => f.check === 'clock' || f.check === 'clock_skew').map((f) => `${f.check}:${f.status}`)).toEqual(['clock:pass']);
    expect(r.findings.find((f) => f.check === 'scope')?.detail).toContain('guests, external identities and disabled accounts are left out');
    // Read-only: no write permission is checked or asked for.
    const view = (await app.api(`/connections/${id}`)).body;
    expect(view.writeBack.enabled).toBe(false);
    expect(view.scope).toEqual({ includeGuests: false, includeExternal: false, includeDisabled: false });
    for (const f of r.findings.filter((x) => /write|action:iam:(Remove|Detach|Delete)|^patch$/i.test(x.check))) expect(f.status).toBe('skipped');
  });

  it.each(ROWS.map((r) => [`${r.section}: ${r.row}`, r] as const))('%s', async (_title, row) => {
    const id = await create(body(row.base, row.row.slice(0, 100)));
    const healthy = await test(id);
    expect(named(healthy.findings), 'healthy before the fault').toEqual([]);

    let undo: (() => Promise<void>) | null = null;
    if (row.fault) await setFault(sandbox, row.fault.name, '*', row.fault.params ?? {});
    if (row.admin) undo = await row.admin(sandbox);
    if (row.change) {
      const edited = await app.api(`/connections/${id}`, { method: 'PATCH', body: JSON.stringify(row.change(sandbox)) });
      expect(edited.status, edited.text).toBe(200);
    }
    const r = await test(id);
    expect(named(r.findings)).toEqual(row.names);
    for (const f of r.findings.filter((x) => x.status === 'fail' || x.status === 'warning')) expect(f.error?.resolution.length).toBeGreaterThan(20);
    const fails = row.names.some((n) => n.startsWith('fail:'));
    expect(r.ok).toBe(!fails);
    // Throttling is nothing to fix: a warning that says Syncwarden retries by itself.
    if (row.row.startsWith('Throttling')) expect(r.findings.find((f) => f.status === 'warning')!.detail).toMatch(/retries automatically/);

    // Status, audit, incident.
    const view = (await app.api(`/connections/${id}`)).body;
    expect(view.status).toBe(fails ? 'error' : 'active');
    const audit = (await app.api('/audit?action=connection.tested&limit=5')).body.events as { targetId: string; code: string | null; severity: string }[];
    const mine = audit.find((e) => e.targetId === id)!;
    expect(mine.code).toBe(row.names[0]!.replace(/^(fail|warning):/, ''));
    expect(mine.severity).not.toBe('info');
    if (fails) {
      expect(r.incident?.opened).toBe(true);
      expect(view.incident.code).toBe(row.names[0]!.slice('fail:'.length));
    } else expect(r.incident).toBeNull();

    // The cause gone, the next test is healthy and resolves the incident.
    if (row.fault || row.admin) {
      await clearFaults(sandbox);
      if (undo) await undo();
      const again = await test(id);
      expect(named(again.findings)).toEqual([]);
      if (fails) expect(again.resolvedIncident).toBe(r.incident!.id);
    }
  });
});

describe('directory connections: scope, write-back and credential dates', () => {
  it('a scope that leaves guests and disabled accounts out: reported, then a warning naming them once the inventory counted them', async () => {
    const id = await create(scimBody(sandbox, { name: 'Scope' }));
    const before = await test(id);
    expect(before.findings.find((f) => f.check === 'scope')).toMatchObject({ status: 'pass', detail: expect.stringContaining('Include guests') });
    // What the identity inventory records after a full read (the inventory engine calls this).
    await recordScopeExclusions(app.rt, 'default', id, { guests: 4, external: 0, disabled: 7 });
    const r = await test(id);
    expect(named(r.findings)).toEqual(['warning:connection.scope_excludes']);
    expect(r.ok).toBe(true);
    const scope = r.findings.find((f) => f.check === 'scope')!;
    expect(scope.error!.message).toContain('4 guests and 7 disabled accounts');
    expect(scope.error!.resolution).toContain('Include guests, Include disabled accounts');
    // The admin includes guests: only the disabled accounts are left out now; the card shows the switches.
    const edited = await app.api(`/connections/${id}`, { method: 'PATCH', body: JSON.stringify({ config: { scope: { includeGuests: true } } }) });
    expect(edited.body.scope).toEqual({ includeGuests: true, includeExternal: false, includeDisabled: false });
    expect(edited.body.status).toBe('active');
    const after = await test(id);
    expect(after.findings.find((f) => f.check === 'scope')!.error!.message).toContain('left out 7 disabled accounts');
    const audit = (await app.api('/audit?action=connection.edited&limit=5')).body.events as { targetId: string; message: string }[];
    expect(audit.find((e) => e.targetId === id)!.message).toContain('scope: members only, external identities and disabled accounts left out');
    // An admin cannot write the counts themselves.
    await app.api(`/connections/${id}`, { method: 'PATCH', body: JSON.stringify({ config: { scopeExcluded: { v: 1, guests: 0, external: 0, disabled: 0, countedAt: new Date().toISOString() } } }) });
    expect((await app.api(`/connections/${id}`)).body.scopeExcluded).toMatchObject({ guests: 4, disabled: 7 });
  });

  it('Entra write-back: its own consent, the extra permission checked, the admin-consent link grants it', async () => {
    const id = await create(entraDirectoryBody(sandbox, { name: 'Entra write-back' }));
    expect(named((await test(id)).findings)).toEqual([]);
    const on = await app.api(`/connections/${id}/write-back`, { method: 'POST', body: JSON.stringify({ enabled: true }) });
    expect(on.body.writeBack).toMatchObject({ enabled: true, permissions: ['GroupMember.ReadWrite.All', 'RoleManagement.ReadWrite.Directory', 'AppRoleAssignment.ReadWrite.All'] });
    expect(on.body.writeBack.howTo).toContain('API permissions');
    const r = await test(id);
    // The write permissions are not granted in the tenant yet: each is named.
    expect(named(r.findings)).toEqual(['fail:m365.permission_missing']);
    expect(r.findings.filter((f) => f.status === 'fail').map((f) => f.check)).toEqual(['GroupMember.ReadWrite.All', 'RoleManagement.ReadWrite.Directory', 'AppRoleAssignment.ReadWrite.All'].map((p) => `permission:${p}`));
    // The admin adds the permission to the app registration, then follows the consent link.
    await sandboxAdmin(sandbox, 'POST', '/microsoft/app/permissions', { add: ['GroupMember.ReadWrite.All', 'RoleManagement.ReadWrite.Directory', 'AppRoleAssignment.ReadWrite.All'] });
    const link = new URL(on.body.writeBack.adminConsentUrl);
    expect(link.pathname).toBe(`/${sandbox.demo.microsoft.directoryTenantId}/adminconsent`);
    const consent = await fetch(link, { redirect: 'manual' });
    expect(consent.status).toBe(302);
    const back = new URL(consent.headers.get('location')!);
    const callback = await app.api(`/connections/consent-callback${back.search}`, { redirect: 'manual' });
    expect(callback.status).toBe(302);
    const ok = await test(id);
    expect(named(ok.findings)).toEqual([]);
    expect(ok.findings.find((f) => f.check === 'permission:GroupMember.ReadWrite.All')?.status).toBe('pass');
    const actions = ((await app.api('/audit?limit=20')).body.events as { action: string; targetId: string }[]).filter((e) => e.targetId === id).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['connection.write_back_consented', 'connection.admin_consent_granted']));
    await sandboxAdmin(sandbox, 'POST', '/microsoft/app/permissions', { remove: ['GroupMember.ReadWrite.All', 'RoleManagement.ReadWrite.Directory', 'AppRoleAssignment.ReadWrite.All'] });
    await sandboxAdmin(sandbox, 'POST', `/microsoft/tenants/${sandbox.demo.microsoft.directoryTenantId}/consent`, { permissions: DIRECTORY_READ });
  });

  it('AWS write-back: the write actions are simulated for the principal; the read-only key lacks them, the role has them', async () => {
    const key = await create(awsBody(sandbox, { name: 'AWS key write-back' }));
    await app.api(`/connections/${key}/write-back`, { method: 'POST', body: JSON.stringify({ enabled: true }) });
    expect(named((await test(key)).findings)).toEqual(['fail:aws.action_denied']);
    const role = await create(awsBody(sandbox, { name: 'AWS role write-back', method: 'assume_role' }));
    await app.api(`/connections/${role}/write-back`, { method: 'POST', body: JSON.stringify({ enabled: true }) });
    const r = await test(role);
    expect(named(r.findings)).toEqual([]);
    // Seven reads (listing, authorization details, keys, key use, the credential report) and five writes (UpdateAccessKey deactivates keys).
    expect(r.findings.filter((f) => f.check.startsWith('action:iam:') && f.status === 'pass').length).toBe(12);
  });

  it('an AWS access key 80 days old: its age comes from IAM, the card counts down to the 90-day policy, and the 14-day reminder is due', async () => {
    // A new key for the integration user (it has the read policy), aged through the admin API.
    const made = await sandboxAdmin<{ accessKeyId: string; secretAccessKey: string }>(sandbox, 'POST', '/aws/keys', { userName: sandbox.demo.aws.integrationUserName });
    await sandboxAdmin(sandbox, 'PATCH', `/aws/keys/${made.accessKeyId}`, { createDate: new Date(Date.now() - 80 * 86_400_000).toISOString() });
    const id = await create(awsBody(sandbox, { name: 'Aged AWS key', credential: { type: 'access_key', accessKeyId: made.accessKeyId, secretAccessKey: made.secretAccessKey } }));
    // Saved without a creation date, the key counts as new…
    expect((await app.api(`/connections/${id}`)).body.daysLeft).toBeGreaterThanOrEqual(89);
    // …until the test learns its real age from IAM.
    const r = await test(id);
    expect(named(r.findings)).toEqual(['warning:credential.rotation_due']);
    expect(r.findings.find((f) => f.check === 'credential:expiry')!.error!.message).toContain('80 days old');
    const view = (await app.api(`/connections/${id}`)).body;
    expect(view.status).toBe('expiring');
    expect(view.daysLeft).toBeGreaterThanOrEqual(9);
    expect(view.daysLeft).toBeLessThanOrEqual(10);
    expect(view.credential.meta).toMatchObject({ createdAtKnown: true });
    const inventory = (await app.api('/credentials?kind=aws_iam')).body.credentials as { connectionName: string; status: string; expiry: { basis: string } }[];
    expect(inventory.find((c) => c.connectionName === 'Aged AWS key')).toMatchObject({ status: 'expiring', expiry: { basis: 'age_policy' } });
    await queueExpiryReminders(app.rt);
    const alerts = (await app.api('/alerts')).body.alerts as { title: string; subject: { name: string } }[];
    expect(alerts.find((a) => a.subject.name === 'Aged AWS key')?.title).toMatch(/^Rotation due in (9|10) days: Aged AWS key/);
  });

  it('a Google service-account key: its creation date comes from the certificate Google publishes for it', async () => {
    // A key made today through the admin API; the connection is told it is 200 days old.
    const made = await sandboxAdmin<{ keyId: string; createdAt: string; keyJson: string }>(sandbox, 'POST', `/google/service-accounts/${encodeURIComponent(sandbox.demo.google.serviceAccountEmail)}/keys`);
    const id = await create(googleDirectoryBody(sandbox, { name: 'Google key age', credential: googleKeyCredential(sandbox, { keyJson: made.keyJson, createdAt: new Date(Date.now() - 200 * 86_400_000).toISOString().slice(0, 10) }) }));
    expect((await app.api(`/connections/${id}`)).body.daysLeft).toBeLessThan(0);
    const r = await test(id);
    expect(named(r.findings)).toEqual([]);
    const view = (await app.api(`/connections/${id}`)).body;
    expect(view.credential.meta).toMatchObject({ createdAt: new Date(made.createdAt).toISOString(), createdAtKnown: true, keyExpiresAt: null });
    expect(view.credential.issuedAt).toBe(new Date(made.createdAt).toISOString());
    expect(view.daysLeft).toBeGreaterThanOrEqual(89);
  });
});

describe('directory connections and a wrong clock', () => {
  it('each provider: the doctor names the clock once, failing where signed sign-ins break (AWS beyond 15 minutes), a warning for a bearer token', async () => {
    const cases: { base: Base; fault?: { name: string; params?: Record<string, number> }; shiftMs?: number; names: string[] }[] = [
      // This server's clock runs 10 minutes fast.
      { base: 'entra_certificate', shiftMs: 10 * 60_000, names: ['fail:doctor.clock_skew'] },
      { base: 'google_keyless', shiftMs: 10 * 60_000, names: ['fail:doctor.clock_skew'] },
      { base: 'aws_key', shiftMs: 10 * 60_000, names: ['warning:doctor.clock_skew'] },
      { base: 'scim', shiftMs: 10 * 60_000, names: ['warning:doctor.clock_skew'] },
      // The provider's clock runs ahead (the sandbox's clock faults).
      { base: 'google_key', fault: { name: 'google.clock_skew', params: { seconds: 600 } }, names: ['fail:doctor.clock_skew'] },
      { base: 'aws_role', fault: { name: 'aws.clock_skew', params: { seconds: 1200 } }, names: ['fail:doctor.clock_skew'] },
    ];
    const skewed = new Map<number, Awaited<ReturnType<typeof bootApp>>>();
    try {
      for (const c of cases) {
        let target = app;
        if (c.shiftMs) {
          if (!skewed.has(c.shiftMs)) {
            const keyEnv = tokenProviderKeyEnv(sandbox);
            const shift = c.shiftMs;
            skewed.set(shift, await bootApp({ env: keyEnv, now: () => Date.now() + shift }));
          }
          target = skewed.get(c.shiftMs)!;
        }
        if (c.fault) await setFault(sandbox, c.fault.name, '*', c.fault.params ?? {});
        const created = await target.api('/connections', { method: 'POST', body: JSON.stringify(body(c.base, `Clock ${c.base}`)) });
        const r = (await target.api(`/connections/${created.body.id}/test`, { method: 'POST' })).body as TestJson;
        expect(named(r.findings), c.base).toEqual(c.names);
        expect(r.findings.filter((f) => f.check === 'clock' || f.check === 'clock_skew').length, c.base).toBe(1);
        await clearFaults(sandbox);
      }
    } finally {
      for (const a of skewed.values()) await a.stop();
    }
  });
});
