import { beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/server.js';
import { sandboxAdmin } from '../../../test/support/sandbox-admin.js';
import { useSandbox } from '../../../test/support/connector.js';
import type { FaultName } from '../../sandbox/faults.js';
import { createHttpClient, type CheckResult } from '../sdk/index.js';
import { DIRECTORY_READ_SCOPES, DIRECTORY_WRITE_SCOPES, googleDirectoryConnector, isGoogleThrottle } from './index.js';

/** The directory connection's doctor against the sandbox: every fault fails (or warns) exactly its own check. */
const [USER_RO, GROUP_RO, ROLES_RO] = DIRECTORY_READ_SCOPES;
let sb: Sandbox;
let offsetMs = 0;
const clock = (): number => Date.now() + offsetMs;

const admin = (method: string, path: string, body?: unknown): Promise<any> => sandboxAdmin(sb, method, path, body);
const sandbox = useSandbox({ now: clock, reset: () => void (offsetMs = 0) });
beforeEach(() => void (sb = sandbox()));

type Method = 'impersonation' | 'service_account_key';

function connection(method: Method, over: { adminEmail?: string; writeBack?: boolean; clockOffsetMs?: number; keyJson?: string } = {}) {
  const g = sb.demo.google;
  const http = createHttpClient({ provider: 'Google Workspace', isThrottle: isGoogleThrottle, sleep: async () => {} });
  return googleDirectoryConnector.create(
    { http, now: () => new Date(clock() + (over.clockOffsetMs ?? 0)) },
    {
      serviceAccountEmail: g.serviceAccountEmail,
      adminEmail: over.adminEmail ?? g.adminEmail,
      domain: g.domain,
      auth: method === 'impersonation' ? { type: 'impersonation', tokenProviderKeyJson: g.tokenProviderKeyJson } : { type: 'service_account_key', keyJson: over.keyJson ?? g.serviceAccountKeyJson },
      endpoints: { oauth: sb.urls.google_oauth, iam: sb.urls.google_iam, apis: sb.urls.google_apis },
      writeBack: over.writeBack ?? false,
      domains: [],
    },
  );
}

const byStatus = (results: CheckResult[], status: CheckResult['status']): Record<string, string> =>
  Object.fromEntries(results.filter((r) => r.status === status).map((r) => [r.id, r.error?.code ?? '']));

const ids = (writeBack: boolean): string[] => ['clock', 'credential', 'token_provider', 'api:iamcredentials', 'service_account', 'token_creator', ...[...DIRECTORY_READ_SCOPES, ...(writeBack ? DIRECTORY_WRITE_SCOPES : [])].map((s) => `delegation:${s}`), 'api:admin', 'admin'].sort();

interface Row {
  readonly name: string;
  readonly fault: FaultName;
  readonly params?: Record<string, string | number>;
  readonly fail: Record<Method, Record<string, string>>;
  readonly warn?: Record<string, string>;
}

const both = (x: Record<string, string>): Record<Method, Record<string, string>> => ({ impersonation: x, service_account_key: x });

const ROWS: Row[] = [
  { name: 'Token Creator role removed', fault: 'google.token_creator_missing', fail: { impersonation: { token_creator: 'google.token_creator_missing' }, service_account_key: {} } },
  { name: 'service account deleted', fault: 'google.service_account_deleted', fail: both({ service_account: 'google.service_account_not_found' }) },
  { name: 'service account disabled', fault: 'google.sa_disabled', fail: both({ service_account: 'google.service_account_disabled' }) },
  { name: 'key deleted', fault: 'google.key_deleted', fail: { impersonation: {}, service_account_key: { service_account: 'google.key_rejected' } } },
  { name: 'users scope missing', fault: 'google.delegation_scopes_missing', params: { scope: USER_RO }, fail: both({ [`delegation:${USER_RO}`]: 'google.delegation_missing' }) },
  { name: 'roles scope missing', fault: 'google.delegation_scopes_missing', params: { scope: ROLES_RO }, fail: both({ [`delegation:${ROLES_RO}`]: 'google.delegation_missing' }) },
  { name: 'all scopes missing', fault: 'google.delegation_scopes_missing', fail: both(Object.fromEntries(DIRECTORY_READ_SCOPES.map((s) => [`delegation:${s}`, 'google.delegation_missing']))) },
  { name: 'groups scope still propagating', fault: 'google.delegation_propagating', params: { scope: GROUP_RO }, fail: both({}), warn: { [`delegation:${GROUP_RO}`]: 'google.delegation_propagating' } },
  { name: 'Admin SDK disabled', fault: 'google.api_disabled', params: { api: 'admin' }, fail: both({ 'api:admin': 'google.api_disabled' }) },
  { name: 'IAM Credentials disabled', fault: 'google.api_disabled', params: { api: 'iamcredentials' }, fail: { impersonation: { 'api:iamcredentials': 'google.api_disabled' }, service_account_key: {} } },
  { name: 'admin not an admin', fault: 'google.admin_not_admin', fail: both({ admin: 'google.admin_not_authorized' }) },
  { name: "Google's clock 15 minutes ahead", fault: 'google.clock_skew', params: { seconds: 900 }, fail: both({ clock: 'google.clock_skew' }) },
];

describe.each(['impersonation', 'service_account_key'] as const)('Google directory checks (%s)', (method) => {
  it('pass end to end with nothing broken, reporting the key’s age', async () => {
    const results = await connection(method).checks();
    expect(results.map((r) => r.id).sort()).toEqual(ids(false));
    expect(byStatus(results, 'fail')).toEqual({});
    expect(byStatus(results, 'warning')).toEqual({});
    const skipped = results.filter((r) => r.status === 'skipped').map((r) => r.id).sort();
    expect(skipped).toEqual(method === 'impersonation' ? [] : ['api:iamcredentials', 'token_creator', 'token_provider']);
    const credential = results.find((r) => r.id === 'credential')!;
    if (method === 'service_account_key') expect(credential.detail).toMatch(/key [0-9a-f]{8}… created \d{4}-\d{2}-\d{2} \(\d+ days? ago\), never expires/);
    else expect(credential.detail).not.toContain('created');
  });

  it.each(ROWS.map((r) => [r.name, r] as const))('%s: fails exactly its check', async (_name, row) => {
    sb.faults.set(sb.demo.google.domain, row.fault, row.params ?? {});
    const results = await connection(method).checks();
    expect(results.map((r) => r.id).sort()).toEqual(ids(false));
    expect(byStatus(results, 'fail')).toEqual(row.fail[method]);
    expect(byStatus(results, 'warning')).toEqual(row.warn ?? {});
  });
});

describe('Google directory checks, beyond the fault table', () => {
  it('tells a scope that is still propagating after an Admin console change from one that is missing', async () => {
    const [member] = DIRECTORY_WRITE_SCOPES;
    const before = await connection('impersonation', { writeBack: true }).checks();
    expect(byStatus(before, 'fail')).toEqual(Object.fromEntries(DIRECTORY_WRITE_SCOPES.map((s) => [`delegation:${s}`, 'google.delegation_missing'])));
    const missing = before.find((r) => r.id === `delegation:${member}`)!;
    expect(missing.error?.params).toMatchObject({ clientId: sb.demo.google.serviceAccountClientId, scope: member });
    expect(String(missing.error?.params['requiredScopes'])).toContain(member);

    await admin('POST', '/google/delegation/authorise', { scopes: [...DIRECTORY_WRITE_SCOPES], propagationMs: 300_000 });
    try {
      const during = await connection('impersonation', { writeBack: true }).checks();
      expect(byStatus(during, 'fail')).toEqual({});
      expect(byStatus(during, 'warning')).toEqual(Object.fromEntries(DIRECTORY_WRITE_SCOPES.map((s) => [`delegation:${s}`, 'google.delegation_propagating'])));
      expect(during.find((r) => r.id === `delegation:${member}`)!.error?.params).toMatchObject({ clientId: sb.demo.google.serviceAccountClientId, scope: member });
      offsetMs = 301_000;
      const after = await connection('impersonation', { writeBack: true }).checks();
      expect(after.map((r) => r.id).sort()).toEqual(ids(true));
      expect(byStatus(after, 'fail')).toEqual({});
      expect(byStatus(after, 'warning')).toEqual({});
    } finally {
      await admin('POST', '/google/delegation/revoke', { scopes: [...DIRECTORY_WRITE_SCOPES], propagationMs: 0 });
    }
  });

  it('fails the clock check, and nothing after it, when this server’s clock is off', async () => {
    const results = await connection('service_account_key', { clockOffsetMs: -20 * 60_000 }).checks();
    expect(byStatus(results, 'fail')).toEqual({ clock: 'google.clock_skew' });
    expect(results.find((r) => r.id === 'clock')!.detail).toMatch(/ 1(199|200|201) s behind Google's/);
    expect(results.filter((r) => r.status === 'skipped')).toHaveLength(ids(false).length - 1);
    const slight = await connection('service_account_key', { clockOffsetMs: 90_000 }).checks();
    expect(byStatus(slight, 'warning')).toEqual({ clock: 'google.clock_skew' });
    expect(byStatus(slight, 'fail')).toEqual({});
  });

  it('warns about a delegated (not Super) admin, and fails an unknown one', async () => {
    const users = (await admin('GET', '/google/users')).users as any[];
    const helpDesk = users.find((u) => u.isDelegatedAdmin).primaryEmail;
    const delegated = await connection('impersonation', { adminEmail: helpDesk }).checks();
    expect(byStatus(delegated, 'fail')).toEqual({});
    expect(byStatus(delegated, 'warning')).toEqual({ admin: 'google.admin_not_authorized' });
    const ghost = await connection('impersonation', { adminEmail: `ghost@${sb.demo.google.domain}` }).checks();
    expect(byStatus(ghost, 'fail')).toEqual({ admin: 'google.admin_not_authorized' });
  });

  it('reports a rotated key’s own age', async () => {
    const made = await admin('POST', `/google/service-accounts/${sb.demo.google.serviceAccountEmail}/keys`);
    try {
      offsetMs = 3 * 86_400_000;
      const results = await connection('service_account_key', { keyJson: made.keyJson }).checks();
      expect(byStatus(results, 'fail')).toEqual({});
      expect(results.find((r) => r.id === 'credential')!.detail).toContain(`key ${made.keyId.slice(0, 8)}… created ${made.createdAt.slice(0, 10)} (3 days ago)`);
      const info = await connection('service_account_key', { keyJson: made.keyJson }).credentialInfo();
      expect(info).toEqual({ keyId: made.keyId, createdAt: made.createdAt, expiresAt: null });
    } finally {
      await admin('DELETE', `/google/service-accounts/${sb.demo.google.serviceAccountEmail}/keys/${made.keyId}`);
    }
  });
});
