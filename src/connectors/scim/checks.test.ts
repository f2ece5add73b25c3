import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FaultName } from '../../sandbox/faults.js';
import { startSandbox, type Sandbox } from '../../sandbox/server.js';
import { createHttpClient, type CheckResult } from '../sdk/index.js';
import { scimConnector } from './index.js';

/** The doctor against the sandbox: each fault fails exactly its own check, with its catalogue code. */
type J = Record<string, any>;
let sb: Sandbox;
const ALL_IDS = ['endpoint', 'token', 'list:users', 'list:groups', 'patch', 'token_expiry', 'clock_skew'];

beforeAll(async () => {
  sb = await startSandbox({});
  await fetch(`${sb.urls.admin}/scim/tenants/${sb.demo.scim.tenant}/rate-limit`, { method: 'POST', body: JSON.stringify({ enabled: false }) });
});
afterAll(async () => {
  await sb?.close();
});
beforeEach(() => {
  sb.faults.clear();
});

function checks(over: J = {}, now: () => Date = () => new Date()): Promise<CheckResult[]> {
  const http = createHttpClient({ provider: 'SCIM app', sleep: async () => {} });
  return scimConnector.create({ http, now }, { baseUrl: sb.demo.scim.baseUrl, token: sb.demo.scim.token, writeBack: true, ...over }).checks();
}
const by = (results: CheckResult[], status: CheckResult['status']): Record<string, string> =>
  Object.fromEntries(results.filter((r) => r.status === status).map((r) => [r.id, r.error?.code ?? '']));

describe('SCIM checks', () => {
  it('pass end to end with nothing broken', async () => {
    const results = await checks({ tokenExpiresAt: new Date(Date.now() + 200 * 86_400_000).toISOString() });
    expect(results.map((r) => r.id)).toEqual(ALL_IDS);
    expect(results.every((r) => r.status === 'pass')).toBe(true);
    expect(results.find((r) => r.id === 'list:users')!.detail).toBe('60 users');
  });

  it('skip PATCH without write-back and the expiry check without a recorded date', async () => {
    const results = await checks({ writeBack: false });
    expect(by(results, 'skipped')).toEqual({ patch: '', token_expiry: '' });
    expect(by(results, 'fail')).toEqual({});
  });

  interface Row {
    readonly fault: FaultName;
    readonly params?: Record<string, number>;
    readonly fail: Record<string, string>;
    readonly skipped: readonly string[];
  }
  const ROWS: Row[] = [
    { fault: 'scim.token_invalid', fail: { token: 'scim.token_invalid' }, skipped: ['list:users', 'list:groups', 'patch', 'token_expiry'] },
    { fault: 'scim.token_expired', fail: { token: 'scim.token_expired' }, skipped: ['list:users', 'list:groups', 'patch', 'token_expiry'] },
    { fault: 'scim.forbidden', fail: { 'list:users': 'scim.forbidden', 'list:groups': 'scim.forbidden' }, skipped: ['token_expiry'] },
    { fault: 'scim.patch_unsupported', fail: { patch: 'scim.patch_unsupported' }, skipped: ['token_expiry'] },
    { fault: 'scim.not_scim', fail: { endpoint: 'scim.not_scim' }, skipped: ['token', 'list:users', 'list:groups', 'patch', 'token_expiry', 'clock_skew'] },
    { fault: 'scim.unavailable', fail: { endpoint: 'scim.unreachable' }, skipped: ['token', 'list:users', 'list:groups', 'patch', 'token_expiry', 'clock_skew'] },
    { fault: 'scim.throttle', params: { retryAfterSeconds: 600 }, fail: { endpoint: 'scim.throttled' }, skipped: ['token', 'list:users', 'list:groups', 'patch', 'token_expiry', 'clock_skew'] },
  ];

  it.each(ROWS.map((r) => [r.fault, r] as const))('%s fails exactly its check', async (_name, row) => {
    sb.faults.set(sb.demo.scim.tenant, row.fault, row.params ?? {});
    const results = await checks();
    expect(results.map((r) => r.id)).toEqual(ALL_IDS);
    expect(by(results, 'fail')).toEqual(row.fail);
    expect(Object.keys(by(results, 'skipped')).sort()).toEqual([...row.skipped].sort());
    expect(by(results, 'warning')).toEqual({});
  });

  it('a token that is expired by its recorded date and refused by the app', async () => {
    const t = await (await fetch(`${sb.urls.admin}/scim/tenants/${sb.demo.scim.tenant}/tokens`, { method: 'POST', body: JSON.stringify({ label: 'old', expiresAt: '2025-01-31T00:00:00Z' }) })).json() as J;
    const results = await checks({ token: t['token'], tokenExpiresAt: '2025-01-31T00:00:00Z' });
    expect(by(results, 'fail')).toEqual({ token: 'scim.token_expired', token_expiry: 'scim.token_expired' });
    const expiry = results.find((r) => r.id === 'token_expiry')!;
    expect(expiry.error!.params).toMatchObject({ expiredAt: ' on 2025-01-31' });
  });

  it('warns 30 days before the recorded expiry', async () => {
    const results = await checks({ tokenExpiresAt: new Date(Date.now() + 10 * 86_400_000 + 3_600_000).toISOString() });
    expect(by(results, 'fail')).toEqual({});
    expect(by(results, 'warning')).toEqual({ token_expiry: 'scim.token_expiring' });
    expect(results.find((r) => r.id === 'token_expiry')!.error!.params).toMatchObject({ days: 10 });
  });

  it("warns when the app's clock is more than 5 minutes off", async () => {
    const results = await checks({}, () => new Date(Date.now() + 11 * 60_000));
    expect(by(results, 'warning')).toEqual({ clock_skew: 'scim.clock_skew' });
    expect(results.find((r) => r.id === 'clock_skew')!.error!.params).toMatchObject({ minutes: 11 });
  });

  it('a wrong base URL: an HTML 404 → scim.not_scim', async () => {
    const results = await checks({ baseUrl: `${sb.urls.scim}/apps/no-such-app/scim/v2` });
    expect(by(results, 'fail')).toEqual({ endpoint: 'scim.not_scim' });
  });

  it('a read-only token passes the read checks (writes are refused only when revoking)', async () => {
    const results = await checks({ token: sb.demo.scim.readOnlyToken });
    expect(by(results, 'fail')).toEqual({});
  });

  it('an endpoint that does not answer → scim.unreachable', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const results = await checks({ baseUrl: `http://127.0.0.1:${port}/scim/v2` });
    expect(by(results, 'fail')).toEqual({ endpoint: 'scim.unreachable' });
  });
});
