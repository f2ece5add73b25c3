import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootApp, type BootedApp } from './support/app.js';
import { apiClient, ensureUser, type ApiFn } from './support/auth.js';
import { cliRunner } from './support/cli.js';
import { passwordHashCount } from '../src/auth/passwords.js';
import { ACCOUNT_LIMIT } from '../src/auth/throttle.js';
import type { Dialect } from '../src/store/db.js';

/**
 * Sign-in as people and scripts meet it, through the real API: the first owner's one-time
 * link, passwords under the policy, sessions (cookies, CSRF, idle timeout, sign out
 * everywhere), throttling that refuses before hashing, API tokens, users and roles from the
 * API and the CLI (locally and against the server), and the HTTP hardening.
 */
export function authSuite(dialect: Dialect): void {
describe(`sign-in, sessions, tokens, users on ${dialect}`, () => {
  let app: BootedApp;
  const clock = { now: Date.now() };
  const PASSWORD = 'Quartz-lantern-meadow-17';

  /** Signs a browser-like client in with a body for `path`; returns an API client carrying its cookies and CSRF token. */
  async function signIn(path: '/auth/sign-in' | '/auth/link', body: unknown): Promise<{ api: ApiFn; cookies: string[]; status: number; answer: any }> {
    const anon = await app.as(null);
    const r = await anon(path, { method: 'POST', body: JSON.stringify(body) });
    const cookies = r.headers.getSetCookie();
    const jar = cookies.map((c) => c.split(';')[0]!).join('; ');
    const csrf = /sw_csrf=([^;]+)/.exec(jar)?.[1] ?? '';
    return { api: apiClient(app.url!, { cookie: jar, 'x-csrf-token': csrf }), cookies, status: r.status, answer: r.body };
  }

  beforeAll(async () => {
    app = await bootApp({ dialect, now: () => clock.now });
  }, 60_000);
  afterAll(async () => app?.stop());

  it('first start: the first owner signs in with the printed one-time link, once; the cookies are HttpOnly and SameSite=Lax', async () => {
    expect(app.firstSignIn?.email).toBe('owner@localhost');
    const link = new URL(app.firstSignIn!.url);
    expect(link.hash).toMatch(/^#\/sign-in\?link=swl_/);
    const token = decodeURIComponent(link.hash.split('link=')[1]!);
    const first = await signIn('/auth/link', { link: token });
    expect(first.status).toBe(200);
    expect(first.cookies.find((c) => c.startsWith('sw_session='))).toMatch(/HttpOnly; Path=\/; SameSite=Lax/);
    expect(first.cookies.find((c) => c.startsWith('sw_session='))).not.toMatch(/Secure/); // plain HTTP on loopback
    expect(first.cookies.find((c) => c.startsWith('sw_csrf='))).not.toMatch(/HttpOnly/);
    const me = await first.api('/auth/me');
    expect(me.body).toMatchObject({ user: { email: 'owner@localhost' }, role: 'owner', via: 'session' });
    expect(me.body.permissions).toContain('keys.manage');
    const again = await signIn('/auth/link', { link: token });
    expect(again.status).toBe(401);
    expect(again.answer.error.code).toBe('auth.link_invalid');
    // The owner sets a password: the policy refuses a short or common one.
    expect((await first.api('/auth/password', { method: 'POST', body: JSON.stringify({ password: 'short' }) })).body.error.code).toBe('auth.password_weak');
    expect((await first.api('/auth/password', { method: 'POST', body: JSON.stringify({ password: 'password1234' }) })).body.error.message).toMatch(/most common/);
    expect((await first.api('/auth/password', { method: 'POST', body: JSON.stringify({ password: PASSWORD }) })).status).toBe(204);
    const signedIn = await signIn('/auth/sign-in', { email: 'Owner@Localhost', password: PASSWORD });
    expect(signedIn.status).toBe(200);
    const audit = (await app.api('/audit?action=auth.&limit=10')).body.events as { action: string; actor: string; message: string }[];
    expect(audit.map((e) => e.action)).toEqual(['auth.signed_in', 'auth.sign_in_failed', 'auth.signed_in']);
    expect(audit[0]).toMatchObject({ actor: 'user:owner@localhost', message: 'owner@localhost signed in with a password' });
  });

  it('CSRF: a change with the session cookie but without the page\'s token, or from another origin, is refused', async () => {
    const s = await signIn('/auth/sign-in', { email: 'owner@localhost', password: PASSWORD });
    const cookieOnly = apiClient(app.url!, { cookie: `sw_session=${/sw_session=([^;]+)/.exec(s.cookies.join(';'))![1]}` });
    const body = JSON.stringify({ name: 'x', kind: 'webhook', url: 'http://127.0.0.1:9/x' });
    const noToken = await cookieOnly('/alerts/channels', { method: 'POST', body });
    expect(noToken.status).toBe(403);
    expect(noToken.body.error.code).toBe('auth.csrf');
    const otherOrigin = await s.api('/alerts/channels', { method: 'POST', body, headers: { origin: 'https://evil.example' } });
    expect(otherOrigin.body.error.code).toBe('auth.csrf');
    const crossSite = await s.api('/auth/sign-out', { method: 'POST', headers: { 'sec-fetch-site': 'cross-site' } });
    expect(crossSite.body.error.code).toBe('auth.csrf');
    // Reads need no token; the session still works.
    expect((await cookieOnly('/auth/me')).status).toBe(200);
  });

  it('1,000 wrong passwords cost at most the account limit in hashes, lock the account (the right password too), and are audited; a reset unlocks', async () => {
    await ensureUser(app.rt, 'viewer', 'victim@example.test');
    const anon = await app.as(null);
    const before = passwordHashCount();
    const statuses: number[] = [];
    // In parallel batches, as an attacker would: each attempt is counted before any hashing.
    for (let i = 0; i < 1000; i += 50) {
      const batch = await Promise.all(Array.from({ length: 50 }, (_, j) => anon('/auth/sign-in', { method: 'POST', body: JSON.stringify({ email: 'victim@example.test', password: `guess-${i + j}-xxxxxxxx` }) })));
      statuses.push(...batch.map((b) => b.status));
    }
    const hashes = passwordHashCount() - before;
    expect(hashes).toBeLessThanOrEqual(ACCOUNT_LIMIT);
    expect(statuses.filter((s) => s === 401)).toHaveLength(ACCOUNT_LIMIT);
    expect(statuses.filter((s) => s === 429)).toHaveLength(1000 - ACCOUNT_LIMIT);
    const right = await anon('/auth/sign-in', { method: 'POST', body: JSON.stringify({ email: 'victim@example.test', password: 'Tulip-stapler-orbit-42' }) });
    expect(right.status).toBe(429);
    expect(right.body.error.code).toBe('auth.throttled');
    expect(passwordHashCount() - before).toBe(hashes);
    const locked = (await app.api('/audit?action=auth.account_locked&limit=5')).body.events;
    expect(locked).toHaveLength(1);
    const failed = (await app.api('/audit?action=auth.sign_in&limit=1000')).body.events as { action: string; actorAddress?: string }[];
    expect(failed.filter((e) => e.action === 'auth.sign_in_failed').length).toBeGreaterThanOrEqual(ACCOUNT_LIMIT);
    // Every refusal but the one that locked, and the right password tried after.
    expect(failed.filter((e) => e.action === 'auth.sign_in_throttled').length).toBe(1000 - ACCOUNT_LIMIT - 1 + 1);
    // The owner resets the password: the account is unlocked and the new password works.
    const id = ((await app.api('/users')).body.users as { id: string; email: string }[]).find((u) => u.email === 'victim@example.test')!.id;
    const reset = await app.api(`/users/${id}/reset-password`, { method: 'POST', body: JSON.stringify({ password: 'Violet-harbor-engine-88' }) });
    expect(reset.status).toBe(200);
    expect(reset.body.signInLink).toBeNull();
    const ok = await signIn('/auth/sign-in', { email: 'victim@example.test', password: 'Violet-harbor-engine-88' });
    expect(ok.status).toBe(200);
  }, 120_000);

  it('sessions end when idle too long, on sign out, and everywhere at once', async () => {
    const a = await signIn('/auth/sign-in', { email: 'owner@localhost', password: PASSWORD });
    const b = await signIn('/auth/sign-in', { email: 'owner@localhost', password: PASSWORD });
    expect((await a.api('/auth/me')).status).toBe(200);
    expect((await a.api('/auth/sign-out', { method: 'POST' })).status).toBe(204);
    expect((await a.api('/auth/me')).status).toBe(401);
    expect((await b.api('/auth/me')).status).toBe(200);
    const c = await signIn('/auth/sign-in', { email: 'owner@localhost', password: PASSWORD });
    expect((await b.api('/auth/sign-out-everywhere', { method: 'POST' })).body.ended).toBeGreaterThanOrEqual(2);
    expect((await c.api('/auth/me')).status).toBe(401);
    const d = await signIn('/auth/sign-in', { email: 'owner@localhost', password: PASSWORD });
    clock.now += 61 * 60_000; // the default idle timeout is 60 minutes
    expect((await d.api('/auth/me')).status).toBe(401);
    clock.now = Date.now();
  });

  it('API tokens: shown once, stored as a hash, limited to the maker\'s role, last use shown, revocable', async () => {
    const operatorId = await ensureUser(app.rt, 'operator', 'op@example.test');
    const op = await signIn('/auth/sign-in', { email: 'op@example.test', password: 'Tulip-stapler-orbit-42' });
    expect(operatorId).toMatch(/^usr_/);
    const tooHigh = await op.api('/tokens', { method: 'POST', body: JSON.stringify({ name: 'ci', role: 'admin' }) });
    expect(tooHigh.body.error.code).toBe('auth.role_too_high');
    const made = await op.api('/tokens', { method: 'POST', body: JSON.stringify({ name: 'ci', role: 'viewer', expiresInDays: 7 }) });
    expect(made.status).toBe(201);
    expect(made.body.token).toMatch(/^swt_/);
    const row = await app.rt.store.db.selectFrom('api_tokens').selectAll().where('id', '=', made.body.id).executeTakeFirstOrThrow();
    expect(row.token_hash).not.toContain(made.body.token);
    const ci = apiClient(app.url!, { authorization: `Bearer ${made.body.token}` });
    expect((await ci('/auth/me')).body).toMatchObject({ role: 'viewer', via: 'token', token: { name: 'ci' } });
    // A viewer token cannot run a sync even though its maker could.
    expect((await ci('/policies/zz/run', { method: 'POST' })).body.error.code).toBe('auth.forbidden');
    const list = await op.api('/tokens');
    expect(list.text).not.toContain(made.body.token);
    expect(list.text).not.toContain(row.token_hash);
    expect(list.body.tokens[0]).toMatchObject({ name: 'ci', role: 'viewer', state: 'active', lastUsedAddress: expect.any(String) });
    expect(list.body.tokens[0].lastUsedAt).not.toBeNull();
    expect((await op.api(`/tokens/${made.body.id}`, { method: 'DELETE' })).body.state).toBe('revoked');
    const dead = await ci('/auth/me');
    expect(dead.status).toBe(401);
    expect(dead.body.error.code).toBe('auth.required');
    const actions = ((await app.api('/audit?action=token.&limit=10')).body.events as { action: string; actor: string }[]);
    expect(actions.slice(0, 2).map((e) => [e.action, e.actor])).toEqual([['token.revoked', 'user:op@example.test'], ['token.created', 'user:op@example.test']]);
  });

  it('users and roles: nobody gives a role above their own, the last owner stays, disabling signs out at once', async () => {
    const admin = await app.as('admin');
    expect((await admin('/users', { method: 'POST', body: JSON.stringify({ email: 'boss@example.test', role: 'owner' }) })).body.error.code).toBe('auth.role_too_high');
    const made = await admin('/users', { method: 'POST', body: JSON.stringify({ email: 'newbie@example.test', role: 'operator' }) });
    expect(made.status).toBe(201);
    expect(made.body.signInLink).toMatch(/#\/sign-in\?link=swl_/);
    expect(made.text).not.toMatch(/scrypt\$/);
    const link = decodeURIComponent(made.body.signInLink.split('link=')[1]);
    const newbie = await signIn('/auth/link', { link });
    expect((await newbie.api('/auth/me')).body.role).toBe('operator');
    expect((await admin(`/users/${made.body.user.id}`, { method: 'PATCH', body: JSON.stringify({ disabled: true }) })).body.disabled).toBe(true);
    expect((await newbie.api('/auth/me')).status).toBe(401);
    const owner = ((await app.api('/users')).body.users as { id: string; email: string }[]).find((u) => u.email === 'owner@localhost')!;
    expect((await app.api(`/users/${owner.id}`, { method: 'PATCH', body: JSON.stringify({ role: 'admin' }) })).body.error.code).toBe('auth.last_owner');
    const users = await app.api('/users');
    expect(users.text).not.toMatch(/scrypt\$|password_hash|token_hash/);
  });

  it('the CLI: users and tokens on the data folder as the local operator, and against the server with SYNCWARDEN_URL + SYNCWARDEN_TOKEN', async () => {
    const local = cliRunner(() => ({ SYNCWARDEN_DATA: app.dataDir, DATABASE_URL: app.databaseUrl, LOG_LEVEL: 'silent' }));
    // The link points at the server running on that data folder (its port), as the server's own does.
    const port = new URL(app.url!).port;
    expect(await local.run('users', 'create', 'cli-made@example.test', '--role', 'viewer')).toMatch(new RegExp(`Created cli-made@example\\.test \\(viewer\\)\\.\\nOne-time sign-in link \\(24 hours\\): http://localhost:${port}/#/sign-in\\?link=swl_`));
    expect(await local.run('users', 'list')).toMatch(/cli-made@example\.test .*viewer .*active .*link only/);
    const made = (await app.api('/audit?action=user.created&limit=1')).body.events[0];
    expect(made.actor).toMatch(/^cli:/);
    const token = (await local.run('tokens', 'create', 'remote-cli', '--role', 'admin', '--user', 'admin@example.test')).split('\n')[0]!;
    expect(token).toMatch(/^swt_/);
    const remote = cliRunner(() => ({ SYNCWARDEN_URL: app.url, SYNCWARDEN_TOKEN: token, LOG_LEVEL: 'silent' }));
    expect(await remote.run('users', 'list')).toContain('cli-made@example.test');
    expect(await remote.run('users', 'disable', 'cli-made@example.test')).toBe('cli-made@example.test disabled.');
    expect(JSON.parse(await remote.run('api', 'GET', '/auth/me')).role).toBe('admin');
    await expect(remote.run('keys', 'status')).rejects.toMatchObject({ code: 'cli.local_only' });
    const wrong = cliRunner(() => ({ SYNCWARDEN_URL: app.url, SYNCWARDEN_TOKEN: 'swt_nope', LOG_LEVEL: 'silent' }));
    await expect(wrong.run('users', 'list')).rejects.toMatchObject({ code: 'auth.required' });
  });

  it('every entry recorded while answering names the caller, their address and user agent', async () => {
    const admin = await app.as('admin');
    const made = await admin('/alerts/channels', { method: 'POST', body: JSON.stringify({ type: 'webhook', name: 'Ops', config: { url: 'http://127.0.0.1:9/hook' }, secret: 'a-signing-secret-of-32-characters' }), headers: { 'user-agent': 'ops-script/1.0' } });
    expect(made.status, made.text).toBe(201);
    const row = await app.rt.store.db.selectFrom('audit_events').selectAll().where('action', '=', 'alerts.channel_created').orderBy('seq', 'desc').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ actor: 'token:test-admin (admin@example.test)', actor_agent: 'ops-script/1.0' });
    expect(row.actor_address).toMatch(/127\.0\.0\.1/);
    expect((await app.api('/audit/verify')).body.ok).toBe(true);
  });
});
}
