import { beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/server.js';
import { createHttpClient, type RevokeTarget } from '../sdk/index.js';
import { scimConnector } from './index.js';
import { sandboxAdmin } from '../../../test/support/sandbox-admin.js';
import { failure, readAll, useSandbox } from '../../../test/support/connector.js';
import { scimApp, scimPatches, scimWriteSource, type ScimApp } from '../../../test/support/scim-app.js';

/**
 * SCIM write-back for issue 13 against the sandbox over HTTP: account deactivation (PATCH
 * `active` false, the path form then the value-object form), `stillHeld` for memberships and
 * accounts, re-added access seen again, a refused write named, 429 on writes retried.
 */
type J = Record<string, any>;
const sandbox = useSandbox();
let sb: Sandbox;
beforeEach(() => void (sb = sandbox()));
const admin = (method: string, path: string, body?: unknown): Promise<J> => sandboxAdmin(sb, method, path, body);
const app = (options: J = {}): Promise<ScimApp> => scimApp(sb, options);
const source = scimWriteSource;

const activeUser = (a: ScimApp): J => a.users.find((u) => u['active'] !== false && u['active'] !== 'False')!;
const userPatches = (a: ScimApp): Promise<number> => scimPatches(sb, a, 'PATCH /Users/{id}');

describe('SCIM write-back (issue 13)', () => {
  it('deactivates an account with the path form: a later read shows it disabled, stillHeld false, then already_gone; reactivated is held again', async () => {
    const a = await app();
    const u = activeUser(a);
    const target: RevokeTarget = { type: 'account', accountId: u['id'] };
    const src = source(a);
    expect(await src.stillHeld!(target)).toBe(true);
    expect(await src.revoke!(target)).toBe('revoked');
    expect(await userPatches(a)).toBe(1);
    expect(await src.stillHeld!(target)).toBe(false);
    const account = (await readAll(src, 'users')).find((r) => r.type === 'account' && r.externalId === u['id']);
    expect(account).toMatchObject({ enabled: false });
    expect(await src.revoke!(target)).toBe('already_gone');
    await admin('PATCH', `/scim/tenants/${a.id}/users/${u['id']}`, { active: true });
    expect(await src.stillHeld!(target)).toBe(true);
    // A user deleted meanwhile: already gone, and holds nothing.
    await admin('DELETE', `/scim/tenants/${a.id}/users/${u['id']}`);
    expect(await src.revoke!(target)).toBe('already_gone');
    expect(await src.stillHeld!(target)).toBe(false);
  });

  it('falls back to the value-object form when the server refuses replace with a path', async () => {
    const a = await app({ replacePath: false });
    const u = activeUser(a);
    const target: RevokeTarget = { type: 'account', accountId: u['id'] };
    const src = source(a);
    expect(await src.revoke!(target)).toBe('revoked');
    expect(await userPatches(a)).toBe(2);
    expect(await src.stillHeld!(target)).toBe(false);
  });

  it('stillHeld follows a group membership through revoke and re-adding (filter on the member, or the members when the app cannot filter)', async () => {
    const a = await app();
    const g = a.groups.find((x) => (x['members'] as J[] | undefined)?.some((m) => m['type'] === 'User'))!;
    const memberId = (g['members'] as J[]).find((m) => m['type'] === 'User')!['value'] as string;
    const target: RevokeTarget = { type: 'membership', groupId: g['id'], memberId, memberType: 'account' };
    const src = source(a);
    expect(await src.stillHeld!(target)).toBe(true);
    expect(await src.revoke!(target)).toBe('revoked');
    expect(await src.stillHeld!(target)).toBe(false);
    expect(await src.revoke!(target)).toBe('already_gone');
    await admin('PUT', `/scim/tenants/${a.id}/groups/${g['id']}/members/${memberId}`);
    expect(await src.stillHeld!(target)).toBe(true);
    // An app without filtering (400 invalidFilter on everything here): the members are read instead.
    await admin('POST', `/scim/tenants/${a.id}/options`, { maxFilterResults: 1 });
    expect(await src.stillHeld!({ type: 'membership', groupId: g['id'], memberId: 'no-such-member', memberType: 'account' })).toBe(false);
  });

  it('a token that may not write → scim.write_forbidden naming the user; the account stays active', async () => {
    const a = await app();
    const u = activeUser(a);
    const ro = await admin('POST', `/scim/tenants/${a.id}/tokens`, { rights: 'read' });
    const e = await failure(source(a, [], { token: ro['token'] }).revoke!({ type: 'account', accountId: u['id'] }));
    expect(e.code).toBe('scim.write_forbidden');
    expect(e.params['what']).toBe(`user ${u['id']}`);
    expect(await source(a).stillHeld!({ type: 'account', accountId: u['id'] })).toBe(true);
  });

  it('429 on writes (the write quota, Retry-After) is waited out and the deactivation succeeds', async () => {
    const a = await app();
    const u = activeUser(a);
    sb.faults.set(a.id, 'scim.write_throttle', { everyNth: 2, retryAfterSeconds: 4 });
    try {
      const sleeps: number[] = [];
      const src = source(a, sleeps);
      const g = a.groups.find((x) => (x['members'] as J[] | undefined)?.some((m) => m['type'] === 'User'))!;
      const memberId = (g['members'] as J[]).find((m) => m['type'] === 'User')!['value'] as string;
      expect(await src.revoke!({ type: 'membership', groupId: g['id'], memberId, memberType: 'account' })).toBe('revoked');
      expect(await src.revoke!({ type: 'account', accountId: u['id'] })).toBe('revoked');
      expect(sleeps).toContain(4_000);
      expect((await admin('GET', `/scim/tenants/${a.id}/stats`))['throttled']).toBeGreaterThan(0);
    } finally {
      sb.faults.clear(a.id);
    }
    expect(await source(a).stillHeld!({ type: 'account', accountId: u['id'] })).toBe(false);
  });

  it('the sandbox write quota refuses writes beyond its burst while reads pass', async () => {
    const a = await app();
    await admin('POST', `/scim/tenants/${a.id}/rate-limit`, { enabled: true, requestsPerSecond: 1000, burst: 1000, writesPerSecond: 0.001, writeBurst: 1 });
    const [u1, u2] = a.users.filter((u) => u['active'] !== false);
    const http = createHttpClient({ provider: 'SCIM app', sleep: async () => {}, maxRetries: 0 });
    const src = scimConnector.create({ http, now: () => new Date() }, { baseUrl: a.baseUrl, token: a.token, writeBack: true });
    expect(await src.revoke!({ type: 'account', accountId: u1!['id'] })).toBe('revoked');
    const e = await failure(src.revoke!({ type: 'account', accountId: u2!['id'] }));
    expect(e.code).toBe('scim.throttled');
    expect(await src.stillHeld!({ type: 'account', accountId: u2!['id'] })).toBe(true);
  });
});
