import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../sandbox/server.js';
import type { FaultName } from '../../sandbox/faults.js';
import { createHttpClient, type CheckResult } from '../sdk/index.js';
import { googleConnector, isGoogleThrottle, REQUIRED_SCOPES, ADMIN_DIRECTORY_USER, GMAIL_MODIFY } from './index.js';

/** The doctor against the sandbox: every seed failure fails exactly its own check, with its catalogue code. */
let sb: Sandbox;
beforeAll(async () => {
  sb = await startSandbox({});
});
afterAll(async () => {
  await sb?.close();
});
beforeEach(() => {
  sb.faults.clear();
});

type Method = 'impersonation' | 'service_account_key';

function connector(method: Method, over: { serviceAccountEmail?: string; adminEmail?: string; keyJson?: string } = {}) {
  const g = sb.demo.google;
  const http = createHttpClient({ provider: 'Google Workspace', isThrottle: isGoogleThrottle, sleep: async () => {} });
  return googleConnector.create(
    { http, now: () => new Date() },
    {
      serviceAccountEmail: over.serviceAccountEmail ?? g.serviceAccountEmail,
      adminEmail: over.adminEmail ?? g.adminEmail,
      domain: g.domain,
      auth: method === 'impersonation' ? { type: 'impersonation', tokenProviderKeyJson: g.tokenProviderKeyJson } : { type: 'service_account_key', keyJson: over.keyJson ?? g.serviceAccountKeyJson },
      endpoints: { oauth: sb.urls.google_oauth, iam: sb.urls.google_iam, apis: sb.urls.google_apis },
    },
  );
}

function failing(results: CheckResult[]): Record<string, string> {
  return Object.fromEntries(results.filter((r) => r.status === 'fail').map((r) => [r.id, r.error!.code]));
}

const ALL_IDS = ['credential', 'token_provider', 'api:iamcredentials', 'service_account', 'token_creator', ...REQUIRED_SCOPES.map((s) => `delegation:${s}`), 'admin', 'api:admin', 'api:gmail'];

interface Row {
  readonly fault: FaultName;
  readonly params?: Record<string, string>;
  readonly expect: Record<Method, Record<string, string>>;
}

// The Google table of continuity-connection-issues, one fault per row.
const ROWS: Row[] = [
  { fault: 'google.token_creator_missing', expect: { impersonation: { token_creator: 'google.token_creator_missing' }, service_account_key: {} } },
  { fault: 'google.service_account_deleted', expect: { impersonation: { service_account: 'google.service_account_not_found' }, service_account_key: { service_account: 'google.service_account_not_found' } } },
  { fault: 'google.delegation_scopes_missing', params: { scope: ADMIN_DIRECTORY_USER }, expect: { impersonation: { [`delegation:${ADMIN_DIRECTORY_USER}`]: 'google.delegation_missing' }, service_account_key: { [`delegation:${ADMIN_DIRECTORY_USER}`]: 'google.delegation_missing' } } },
  { fault: 'google.delegation_scopes_missing', params: { scope: GMAIL_MODIFY }, expect: { impersonation: { [`delegation:${GMAIL_MODIFY}`]: 'google.delegation_missing' }, service_account_key: { [`delegation:${GMAIL_MODIFY}`]: 'google.delegation_missing' } } },
  {
    fault: 'google.delegation_scopes_missing',
    expect: {
      impersonation: { [`delegation:${ADMIN_DIRECTORY_USER}`]: 'google.delegation_missing', [`delegation:${GMAIL_MODIFY}`]: 'google.delegation_missing' },
      service_account_key: { [`delegation:${ADMIN_DIRECTORY_USER}`]: 'google.delegation_missing', [`delegation:${GMAIL_MODIFY}`]: 'google.delegation_missing' },
    },
  },
  { fault: 'google.api_disabled', params: { api: 'admin' }, expect: { impersonation: { 'api:admin': 'google.api_disabled' }, service_account_key: { 'api:admin': 'google.api_disabled' } } },
  { fault: 'google.api_disabled', params: { api: 'gmail' }, expect: { impersonation: { 'api:gmail': 'google.api_disabled' }, service_account_key: { 'api:gmail': 'google.api_disabled' } } },
  { fault: 'google.api_disabled', params: { api: 'iamcredentials' }, expect: { impersonation: { 'api:iamcredentials': 'google.api_disabled' }, service_account_key: {} } },
  { fault: 'google.admin_not_admin', expect: { impersonation: { admin: 'google.admin_not_authorized' }, service_account_key: { admin: 'google.admin_not_authorized' } } },
];

describe.each(['impersonation', 'service_account_key'] as const)('Google checks (%s)', (method) => {
  it('pass end to end with nothing broken', async () => {
    const results = await connector(method).checks();
    expect(results.map((r) => r.id).sort()).toEqual([...ALL_IDS].sort());
    expect(failing(results)).toEqual({});
    const notApplicable = results.filter((r) => r.status === 'skipped').map((r) => r.id).sort();
    expect(notApplicable).toEqual(method === 'impersonation' ? [] : ['api:iamcredentials', 'token_creator', 'token_provider']);
  });

  it.each(ROWS.map((r) => [`${r.fault}${r.params ? ` ${JSON.stringify(r.params)}` : ''}`, r] as const))('%s fails exactly its check', async (_name, row) => {
    sb.faults.set(sb.demo.google.domain, row.fault, row.params ?? {});
    const results = await connector(method).checks();
    expect(results.map((r) => r.id).sort()).toEqual([...ALL_IDS].sort());
    expect(failing(results)).toEqual(row.expect[method]);
  });
});

describe('Google checks, configuration mistakes', () => {
  it('names the client id to authorise when delegation is missing (keyless: via tokeninfo)', async () => {
    sb.faults.set(sb.demo.google.domain, 'google.delegation_scopes_missing', { scope: GMAIL_MODIFY });
    for (const method of ['impersonation', 'service_account_key'] as const) {
      const r = (await connector(method).checks()).find((c) => c.id === `delegation:${GMAIL_MODIFY}`)!;
      expect(r.error?.params).toMatchObject({ clientId: sb.demo.google.serviceAccountClientId, scope: GMAIL_MODIFY });
    }
  });

  it('a mistyped service-account email fails the service_account check', async () => {
    const results = await connector('impersonation', { serviceAccountEmail: `continuity@${sb.demo.google.projectId}.iam.gserviceaccount.com` }).checks();
    expect(failing(results)).toEqual({ service_account: 'google.service_account_not_found' });
  });

  it('a key that is not the service account’s own is rejected', async () => {
    const foreign = JSON.parse(sb.demo.google.tokenProviderKeyJson) as Record<string, string>;
    const mixed = { ...JSON.parse(sb.demo.google.serviceAccountKeyJson), private_key: foreign['private_key'] };
    const results = await connector('service_account_key', { keyJson: JSON.stringify(mixed) }).checks();
    expect(failing(results)).toEqual({ service_account: 'google.key_rejected' });
  });

  it('an unreadable key file fails the credential check and skips the rest', async () => {
    const results = await connector('service_account_key', { keyJson: '{"type":"authorized_user"}' }).checks();
    expect(failing(results)).toEqual({ credential: 'request.invalid' });
    expect(results.filter((r) => r.status === 'skipped')).toHaveLength(ALL_IDS.length - 1);
  });

  it('an admin email Google does not know fails the admin check', async () => {
    const results = await connector('impersonation', { adminEmail: `ghost@${sb.demo.google.domain}` }).checks();
    expect(failing(results)).toEqual({ admin: 'google.admin_not_authorized' });
  });
});
