import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialect } from '../src/store/db.js';
import { bootApp, type BootedApp } from './support/app.js';
import { apiClient } from './support/auth.js';
import { clearFaults, setFault } from './support/sandbox-admin.js';
import { SANDBOX_SIGN_IN_PASSWORD } from '../src/sandbox/oidc.js';

/**
 * Single sign-on with Microsoft Entra ID and Google (issue 12, point 1), end to end over HTTP:
 * Syncwarden's start and callback routes, the sandbox's authorize pages and token endpoints,
 * the id_token checks (each broken by a sandbox fault), the state's binding to the browser,
 * the settings API (secrets never returned nor audited) and SSO required.
 */
type Provider = 'microsoft' | 'google';

export function ssoSuite(dialect: Dialect): void {
 describe(`single sign-on (${dialect})`, () => {

  let app: BootedApp;
  let userEmail: string;
  let msSecret: string;
  let googleSecret: string;

  function cookiesOf(res: Response): Record<string, string> {
    const out: Record<string, string> = {};
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      out[pair!.slice(0, i)] = pair!.slice(i + 1);
    }
    return out;
  }

  /** Where the callback sent the browser, parsed: the fragment's query on the sign-in page. */
  function fragmentQuery(location: string): URLSearchParams {
    return new URLSearchParams(location.split('?')[1] ?? '');
  }

  interface Flow {
    /** The callback URL the sandbox sent the browser to (with code and state). */
    readonly callback: string;
    /** The pre-session cookie set by the start route. */
    readonly binding: string;
  }

  /** Start → the sandbox's sign-in page (GET, then the form POSTed) → the redirect to our callback. */
  async function throughProvider(provider: Provider, login: string, password = SANDBOX_SIGN_IN_PASSWORD): Promise<Flow | { page: string; status: number }> {
    const start = await fetch(`${app.url}/api/v1/auth/sso/${provider}/start`, { redirect: 'manual' });
    expect(start.status).toBe(302);
    const binding = cookiesOf(start)['sw_sso']!;
    expect(binding).toMatch(/^ssb_/);
    expect(start.headers.getSetCookie()[0]).toMatch(/HttpOnly/);
    const authorize = new URL(start.headers.get('location')!);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('nonce')).toBeTruthy();
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${app.url}/api/v1/auth/sso/${provider}/callback`);
    const page = await fetch(authorize);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<form method="post">');
    const form = new URLSearchParams(authorize.searchParams);
    form.set('login', login);
    form.set('passwd', password);
    const posted = await fetch(authorize, { method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' }, redirect: 'manual' });
    if (posted.status !== 302) return { page: await posted.text(), status: posted.status };
    return { callback: posted.headers.get('location')!, binding };
  }

  async function callback(flow: Flow, binding: string | null = flow.binding): Promise<{ location: string; cookies: Record<string, string> }> {
    const res = await fetch(flow.callback, { redirect: 'manual', headers: binding ? { cookie: `sw_sso=${binding}` } : {} });
    expect(res.status).toBe(302);
    return { location: res.headers.get('location')!, cookies: cookiesOf(res) };
  }

  async function signIn(provider: Provider, login = userEmail): Promise<{ location: string; cookies: Record<string, string> }> {
    const flow = await throughProvider(provider, login);
    if (!('callback' in flow)) throw new Error(`sandbox refused the sign-in: ${flow.page}`);
    return callback(flow);
  }

  async function me(session: string) {
    return apiClient(app.url!, { cookie: `sw_session=${session}` })('/auth/me');
  }

  beforeAll(async () => {
    app = await bootApp({ dialect, sandbox: { basePort: 0, demo: false } });
    const sb = app.sandbox!;
    userEmail = sb.demo.microsoft.signInUserEmail;
    msSecret = sb.demo.microsoft.clientSecret;
    googleSecret = sb.demo.google.signIn.clientSecret;
    const made = await app.api('/users', { method: 'POST', body: JSON.stringify({ email: userEmail, role: 'operator' }) });
    expect(made.status).toBe(201);
  }, 120_000);
  afterAll(async () => app?.stop());

  describe('SSO settings', () => {
    it('admins set them; the client secret is sealed, never returned, never audited; a viewer may not read them', async () => {
      const sb = app.sandbox!;
      const refused = await app.api('/sso/settings', { method: 'PUT', body: JSON.stringify({ providers: { microsoft: { enabled: true, clientId: sb.demo.microsoft.clientId } } }) });
      expect(refused.status).toBe(400);
      expect(refused.body.error.code).toBe('auth.sso_settings_invalid');

      const put = await app.api('/sso/settings', {
        method: 'PUT',
        body: JSON.stringify({
          providers: {
            microsoft: { enabled: true, clientId: sb.demo.microsoft.clientId, clientSecret: msSecret, directory: sb.demo.microsoft.tenantId, authority: sb.urls.entra_login },
            google: { enabled: true, clientId: sb.demo.google.signIn.clientId, clientSecret: googleSecret, directory: sb.demo.google.domain, authority: sb.urls.google_oauth },
          },
        }),
      });
      expect(put.status).toBe(200);
      expect(put.body.providers.microsoft).toMatchObject({ enabled: true, hasClientSecret: true, directory: sb.demo.microsoft.tenantId });
      const got = await app.api('/sso/settings');
      expect(got.status).toBe(200);
      expect(got.text).not.toContain(msSecret);
      expect(got.text).not.toContain(googleSecret);
      const row = await app.rt.store.db.selectFrom('secrets').select('ciphertext').where('name', '=', 'sso.microsoft.client_secret').executeTakeFirstOrThrow();
      expect(row.ciphertext).not.toContain(msSecret);

      const audit = await app.rt.store.db.selectFrom('audit_events').selectAll().where('action', '=', 'sso.settings_changed').execute();
      expect(audit.length).toBe(1);
      expect(audit[0]!.actor).toBe('token:test-owner (owner@localhost)');
      expect(audit[0]!.message).toContain('microsoft client secret changed');
      expect(audit[0]!.message).toContain(`microsoft directory id (none) → ${sb.demo.microsoft.tenantId}`);
      expect(JSON.stringify(audit)).not.toContain(msSecret);
      expect(JSON.stringify(audit)).not.toContain(googleSecret);

      const viewer = await app.as('viewer');
      expect((await viewer('/sso/settings')).status).toBe(403);
      const anon = await app.as(null);
      const offered = await anon('/auth/sso/providers');
      expect(offered.status).toBe(200);
      expect(offered.body.providers.map((p: { id: string }) => p.id)).toEqual(['microsoft', 'google']);
      expect(offered.body.passwordSignIn).toBe(true);
      expect(offered.text).not.toContain(msSecret);
    });
  });

  describe('Sign in with Microsoft and Google through the sandbox', () => {
    for (const provider of ['microsoft', 'google'] as const) {
      it(`${provider}: the matching user gets a session; the sign-in is audited and the identity linked`, async () => {
        const done = await signIn(provider);
        expect(done.location).toBe('/#/');
        expect(done.cookies['sw_session']).toMatch(/^sws_/);
        const who = await me(done.cookies['sw_session']!);
        expect(who.status).toBe(200);
        expect(who.body.user.email).toBe(userEmail);
        expect(who.body.role).toBe('operator');
        const ok = await app.rt.store.db.selectFrom('audit_events').selectAll().where('action', '=', 'auth.signed_in').where('actor', '=', `user:${userEmail}`).execute();
        expect(ok.some((e) => e.message.includes(provider === 'microsoft' ? 'with Microsoft' : 'with Google'))).toBe(true);
        const link = await app.rt.store.db.selectFrom('sso_identities').selectAll().where('provider', '=', provider).execute();
        expect(link).toHaveLength(1);
        expect(link[0]!.email).toBe(userEmail);
        // Entra's subject is the directory and object id; Google's its numeric sub.
        if (provider === 'microsoft') expect(link[0]!.subject.startsWith(`${app.sandbox!.demo.microsoft.tenantId}/`)).toBe(true);
        else expect(link[0]!.subject).toMatch(/^\d+$/);
      });
    }

    it('a replayed state (the same callback again) and a state carried to another browser sign nobody in', async () => {
      const flow = await throughProvider('microsoft', userEmail);
      if (!('callback' in flow)) throw new Error(flow.page);
      // Another browser: no pre-session cookie, or another one.
      const stolen = await callback(flow, null);
      expect(fragmentQuery(stolen.location).get('error')).toBe('auth.sso_state_invalid');
      expect(fragmentQuery(stolen.location).get('message')).toContain('another browser');
      expect(stolen.cookies['sw_session']).toBeUndefined();
      const other = await fetch(`${app.url}/api/v1/auth/sso/microsoft/start`, { redirect: 'manual' });
      const otherBinding = cookiesOf(other)['sw_sso']!;
      expect(fragmentQuery((await callback(flow, otherBinding)).location).get('error')).toBe('auth.sso_state_invalid');
      // The right browser still can (the refusals above did not spend it) — once.
      const first = await callback(flow);
      expect(first.location).toBe('/#/');
      const again = await callback(flow);
      expect(fragmentQuery(again.location).get('error')).toBe('auth.sso_state_invalid');
      expect(fragmentQuery(again.location).get('message')).toContain('already used');
      expect(again.cookies['sw_session']).toBeUndefined();
    });

    it('no Syncwarden account, or a disabled one: refused with a catalogue error on the sign-in page, audited', async () => {
      const stranger = app.sandbox!.demo.google.adminEmail;
      const refused = await signIn('google', stranger);
      const q = fragmentQuery(refused.location);
      expect(refused.location.startsWith('/#/sign-in?')).toBe(true);
      expect(q.get('error')).toBe('auth.sso_no_account');
      expect(q.get('message')).toContain(stranger);
      expect(q.get('title')).toBe('No Syncwarden account for this identity');
      const failed = await app.rt.store.db.selectFrom('audit_events').selectAll().where('action', '=', 'auth.sign_in_failed').execute();
      expect(failed.some((e) => e.message.includes('Sign-in with Google refused') && e.message.includes('auth.sso_no_account'))).toBe(true);

      const user = (await app.api('/users')).body.users.find((u: { email: string }) => u.email === userEmail);
      expect((await app.api(`/users/${user.id}`, { method: 'PATCH', body: JSON.stringify({ disabled: true }) })).status).toBe(200);
      try {
        const disabled = await signIn('microsoft');
        expect(fragmentQuery(disabled.location).get('error')).toBe('auth.sso_no_account');
        expect(disabled.cookies['sw_session']).toBeUndefined();
      } finally {
        await app.api(`/users/${user.id}`, { method: 'PATCH', body: JSON.stringify({ disabled: false }) });
      }
    });
  });

  describe('id_token checks (each broken by a sandbox fault)', () => {
    const cases: [Provider, string, string][] = [
      ['microsoft', 'signature', 'signature does not verify'],
      ['microsoft', 'iss', 'wrong issuer'],
      ['microsoft', 'aud', 'wrong audience'],
      ['microsoft', 'nonce', 'wrong nonce'],
      ['microsoft', 'expired', 'expired'],
      ['microsoft', 'tid', 'wrong issuer'],
      ['google', 'signature', 'signature does not verify'],
      ['google', 'iss', 'wrong issuer'],
      ['google', 'aud', 'wrong audience'],
      ['google', 'nonce', 'wrong nonce'],
      ['google', 'expired', 'expired'],
      ['google', 'hd', 'hosted domain elsewhere.test is not northwind.test'],
      ['google', 'email_unverified', 'email not verified'],
    ];
    for (const [provider, tamper, reason] of cases) {
      it(`${provider}: ${tamper} → refused (${reason})`, async () => {
        await setFault(app.sandbox!, provider === 'microsoft' ? 'm365.sso_id_token' : 'google.sso_id_token', '*', { tamper });
        try {
          const out = await signIn(provider);
          const q = fragmentQuery(out.location);
          expect(q.get('error')).toBe('auth.sso_token_invalid');
          expect(q.get('message')).toContain(reason);
          expect(out.cookies['sw_session']).toBeUndefined();
        } finally {
          await clearFaults(app.sandbox!);
        }
      });
    }

    it('Entra: configured for another directory, sign-in goes to that directory, which does not know the person (AADSTS50034)', async () => {
      const sb = app.sandbox!;
      await app.api('/sso/settings', { method: 'PUT', body: JSON.stringify({ providers: { microsoft: { directory: sb.demo.microsoft.directoryTenantId } } }) });
      try {
        // The start goes to the fabrikam tenant's authorize page, whose directory has no sandbox sign-in users.
        const flow = await throughProvider('microsoft', userEmail);
        expect('page' in flow && flow.page).toContain('AADSTS50034');
      } finally {
        await app.api('/sso/settings', { method: 'PUT', body: JSON.stringify({ providers: { microsoft: { directory: sb.demo.microsoft.tenantId } } }) });
      }
    });
  });

  describe('the sandbox refuses as the real providers do', () => {
    async function codeFor(provider: Provider): Promise<{ code: string; authorize: URL }> {
      const start = await fetch(`${app.url}/api/v1/auth/sso/${provider}/start`, { redirect: 'manual' });
      const authorize = new URL(start.headers.get('location')!);
      const form = new URLSearchParams(authorize.searchParams);
      form.set('login', userEmail);
      form.set('passwd', SANDBOX_SIGN_IN_PASSWORD);
      const posted = await fetch(authorize, { method: 'POST', body: form, redirect: 'manual' });
      return { code: new URL(posted.headers.get('location')!).searchParams.get('code')!, authorize };
    }

    function tokenUrl(provider: Provider): string {
      const sb = app.sandbox!;
      return provider === 'microsoft' ? `${sb.urls.entra_login}/${sb.demo.microsoft.tenantId}/oauth2/v2.0/token` : `${sb.urls.google_oauth}/token`;
    }

    function redeem(provider: Provider, code: string, authorize: URL, verifier: string) {
      const sb = app.sandbox!;
      const form = new URLSearchParams({
        grant_type: 'authorization_code', code, redirect_uri: authorize.searchParams.get('redirect_uri')!, code_verifier: verifier,
        client_id: authorize.searchParams.get('client_id')!, client_secret: provider === 'microsoft' ? sb.demo.microsoft.clientSecret : sb.demo.google.signIn.clientSecret,
      });
      return fetch(tokenUrl(provider), { method: 'POST', body: form }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
    }

    it('Entra: wrong PKCE verifier (AADSTS501481), reused code (AADSTS54005), unregistered redirect URI (AADSTS50011)', async () => {
      const { code, authorize } = await codeFor('microsoft');
      const wrong = await redeem('microsoft', code, authorize, 'x'.repeat(43));
      expect(wrong.status).toBe(400);
      expect(wrong.body['error']).toBe('invalid_grant');
      expect(String(wrong.body['error_description'])).toMatch(/^AADSTS501481: The Code_Verifier does not match/);
      // The failed attempt spent the code, as Entra does.
      const reused = await redeem('microsoft', code, authorize, 'x'.repeat(43));
      expect(reused.body['error']).toBe('invalid_grant');
      expect(reused.body['error_codes']).toEqual([54005]);
      const evil = new URL(authorize);
      evil.searchParams.set('redirect_uri', 'https://evil.example.test/api/v1/auth/sso/microsoft/callback');
      const page = await fetch(evil);
      expect(page.status).toBe(400);
      expect(await page.text()).toContain('AADSTS50011');
    });

    it('Google: wrong PKCE verifier, reused code (invalid_grant), unregistered redirect URI (redirect_uri_mismatch)', async () => {
      const { code, authorize } = await codeFor('google');
      const wrong = await redeem('google', code, authorize, 'y'.repeat(43));
      expect(wrong).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: 'Invalid code verifier.' } });
      const reused = await redeem('google', code, authorize, 'y'.repeat(43));
      expect(reused).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: 'Bad Request' } });
      const evil = new URL(authorize);
      evil.searchParams.set('redirect_uri', 'https://evil.example.test/cb');
      const page = await fetch(evil);
      expect(page.status).toBe(400);
      expect(await page.text()).toContain('redirect_uri_mismatch');
    });

    it('a wrong sandbox password is refused on the page, no code issued', async () => {
      const flow = await throughProvider('microsoft', userEmail, 'not-the-password');
      expect('page' in flow && flow.page).toContain('AADSTS50126');
    });
  });

  describe('SSO required', () => {
    it('refuses password sign-in (audited) while SSO still signs in; one-time links stay the break-glass', async () => {
      const anon = await app.as(null);
      // The SSO user gets a password, so the refusal below is not a wrong-password answer.
      const user = (await app.api('/users')).body.users.find((u: { email: string }) => u.email === userEmail);
      expect((await app.api(`/users/${user.id}/reset-password`, { method: 'POST', body: JSON.stringify({ password: 'Quartz-lantern-meadow-77' }) })).status).toBe(200);
      expect((await anon('/auth/sign-in', { method: 'POST', body: JSON.stringify({ email: userEmail, password: 'Quartz-lantern-meadow-77' }) })).status).toBe(200);

      expect((await app.api('/sso/settings', { method: 'PUT', body: JSON.stringify({ required: true }) })).status).toBe(200);
      try {
        const refused = await anon('/auth/sign-in', { method: 'POST', body: JSON.stringify({ email: userEmail, password: 'Quartz-lantern-meadow-77' }) });
        expect(refused.status).toBe(403);
        expect(refused.body.error.code).toBe('auth.sso_required');
        expect(refused.headers.getSetCookie().some((c) => c.startsWith('sw_session='))).toBe(false);
        expect((await anon('/auth/sso/providers')).body.passwordSignIn).toBe(false);
        const audited = await app.rt.store.db.selectFrom('audit_events').selectAll().where('action', '=', 'auth.sign_in_failed').execute();
        expect(audited.some((e) => e.message.includes('requires single sign-on'))).toBe(true);
        // SSO still works.
        expect((await signIn('google')).cookies['sw_session']).toMatch(/^sws_/);
        // The break-glass: a one-time link (what `syncwarden users reset-password` prints).
        const owner = (await app.api('/users')).body.users.find((u: { email: string }) => u.email === 'owner@localhost');
        const reset = await app.api(`/users/${owner.id}/reset-password`, { method: 'POST', body: JSON.stringify({}) });
        const link = decodeURIComponent(reset.body.signInLink.split('link=')[1]);
        expect((await anon('/auth/link', { method: 'POST', body: JSON.stringify({ link }) })).status).toBe(200);
      } finally {
        await app.api('/sso/settings', { method: 'PUT', body: JSON.stringify({ required: false }) });
      }
    });

    it('single sign-on starts are limited per address: past the limit the start sends the browser back to sign-in, named, audited once', async () => {
      const { SSO_START_LIMIT } = await import('../src/auth/throttle.js');
      await app.rt.store.db.deleteFrom('sign_in_throttle').where('key', 'like', 'sso-start:%').execute();
      const start = () => fetch(`${app.url}/api/v1/auth/sso/google/start`, { redirect: 'manual' });
      try {
        for (let i = 0; i < SSO_START_LIMIT; i += 1) {
          const ok = await start();
          expect(new URL(ok.headers.get('location')!).pathname, `start ${i + 1}`).toMatch(/authorize|auth/);
        }
        const attempts = Number((await app.rt.store.db.selectFrom('sso_attempts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
        for (let i = 0; i < 3; i += 1) {
          const refused = await start();
          expect(refused.status).toBe(302);
          const back = fragmentQuery(refused.headers.get('location')!);
          expect(back.get('error')).toBe('auth.sso_throttled');
          expect(back.get('message')).toMatch(new RegExp(`more than ${SSO_START_LIMIT} times from `));
        }
        // Refused starts store nothing.
        expect(Number((await app.rt.store.db.selectFrom('sso_attempts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n)).toBe(attempts);
        const audited = await app.rt.store.db.selectFrom('audit_events').select(['action', 'code']).where('action', '=', 'auth.sso_start_throttled').execute();
        expect(audited).toEqual([{ action: 'auth.sso_start_throttled', code: 'auth.sso_throttled' }]);
      } finally {
        await app.rt.store.db.deleteFrom('sign_in_throttle').where('key', 'like', 'sso-start:%').execute();
      }
    });
  });
 });
}
