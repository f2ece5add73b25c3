import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendText } from './http.js';

/**
 * What the sandbox's OpenID Connect sign-in pages share (Entra ID: microsoft/entra-signin.ts,
 * Google: google/oauth-signin.ts): authorization codes (single use, ten minutes, bound to the
 * client, redirect URI, PKCE challenge and nonce), the redirect-URI rule, and the HTML page.
 *
 * Every directory user signs in with the one sandbox password below (docs/sandbox.md); a
 * disabled or suspended user is refused as the real page refuses them.
 */
export const SANDBOX_SIGN_IN_PASSWORD = 'sandbox-password';

/** Codes live 10 minutes, as Entra's and Google's do. */
const CODE_TTL_MS = 10 * 60_000;

export interface PendingCode<T> {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly codeChallenge: string | null;
  readonly codeChallengeMethod: string | null;
  readonly nonce: string | null;
  readonly scope: string;
  readonly subject: T;
  readonly issuedAtMs: number;
  redeemedAtMs: number | null;
}

export class CodeStore<T> {
  private readonly codes = new Map<string, PendingCode<T>>();

  issue(p: Omit<PendingCode<T>, 'redeemedAtMs'>): string {
    // Drop the long-expired ones now and then; a sandbox runs for days under `npm start`.
    if (this.codes.size > 1000) for (const [k, v] of this.codes) if (v.issuedAtMs + 2 * CODE_TTL_MS < p.issuedAtMs) this.codes.delete(k);
    const code = `${randomBytes(6).toString('hex')}.${randomBytes(36).toString('base64url')}`;
    this.codes.set(code, { ...p, redeemedAtMs: null });
    return code;
  }

  /** The code's grant, or why not: never issued, already redeemed (spent now), expired. */
  redeem(code: string, nowMs: number): { ok: true; grant: PendingCode<T> } | { ok: false; why: 'unknown' | 'redeemed' | 'expired' } {
    const c = this.codes.get(code);
    if (!c) return { ok: false, why: 'unknown' };
    if (c.redeemedAtMs !== null) return { ok: false, why: 'redeemed' };
    c.redeemedAtMs = nowMs;
    if (c.issuedAtMs + CODE_TTL_MS <= nowMs) return { ok: false, why: 'expired' };
    return { ok: true, grant: c };
  }
}

/** RFC 7636: S256 is BASE64URL(SHA256(verifier)); `plain` compares as is. */
export function pkceMatches(verifier: string | null, challenge: string | null, method: string | null): boolean {
  if (challenge === null) return verifier === null;
  if (!verifier || !/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) return false;
  if ((method ?? 'plain') === 'plain') return verifier === challenge;
  return createHash('sha256').update(verifier).digest('base64url') === challenge;
}

/**
 * A redirect URI is accepted when it is registered exactly — or, for `http://localhost` and
 * `http://127.0.0.1`, registered with any port: Entra ignores the port of a loopback redirect
 * URI, and the sandbox applies that rule to Google's clients too (so Syncwarden on any free
 * port in a test matches its one registration).
 */
export function redirectAllowed(registered: readonly string[], uri: string): boolean {
  if (registered.includes(uri)) return true;
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return false;
  }
  if (u.protocol !== 'http:' || !['localhost', '127.0.0.1'].includes(u.hostname)) return false;
  const portless = `${u.protocol}//${u.hostname}${u.pathname}`;
  return registered.includes(portless);
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export interface SignInPage {
  readonly brand: string;
  readonly heading: string;
  /** The fields of the authorize request, posted back with the form. */
  readonly params: URLSearchParams;
  readonly loginLabel: string;
  readonly error?: string;
  readonly login?: string;
  /** Some of the directory's users, offered as one-click choices. */
  readonly users: readonly { login: string; name: string }[];
}

export function sendSignInPage(res: ServerResponse, page: SignInPage, status = 200): void {
  const hidden = [...page.params.entries()].filter(([k]) => k !== 'login' && k !== 'passwd').map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`).join('\n');
  const users = page.users.map((u) => `<li>${esc(u.name)} &lt;<code>${esc(u.login)}</code>&gt;</li>`).join('\n');
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(page.brand)} (sandbox)</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}label{display:block;margin:.6rem 0 .2rem}input[type=text],input[type=password]{width:100%;padding:.4rem}.error{color:#a4262c;border:1px solid #a4262c;padding:.5rem}ul{padding-left:1rem}</style>
</head><body>
<h1>${esc(page.heading)}</h1>
<p>Sandbox sign-in page: every directory user's password is <code>${SANDBOX_SIGN_IN_PASSWORD}</code>.</p>
${page.error ? `<p class="error" role="alert">${esc(page.error)}</p>` : ''}
<form method="post">
${hidden}
<label for="login">${esc(page.loginLabel)}</label>
<input type="text" id="login" name="login" autocomplete="username" value="${esc(page.login ?? '')}">
<label for="passwd">Password</label>
<input type="password" id="passwd" name="passwd" autocomplete="current-password">
<p><button type="submit" id="sign-in">Sign in</button></p>
</form>
${users ? `<h2>Accounts in this sandbox directory</h2>\n<ul id="accounts">\n${users}\n</ul>` : ''}
</body></html>`;
  sendText(res, status, html, 'text/html; charset=utf-8', { 'cache-control': 'no-store' });
}

export function sendErrorPage(res: ServerResponse, status: number, title: string, detail: string): void {
  sendText(res, status, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title></head><body><h1>${esc(title)}</h1><p id="error">${esc(detail)}</p></body></html>`, 'text/html; charset=utf-8', { 'cache-control': 'no-store' });
}

/** Where the code goes: redirect_uri with code and state added to its query. */
export function redirectWithCode(res: ServerResponse, redirectUri: string, params: Record<string, string>): void {
  const u = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  res.writeHead(302, { location: u.toString(), 'cache-control': 'no-store' });
  res.end();
}

/** An authorization error sent back to the client (RFC 6749 §4.1.2.1), once the redirect URI is trusted. */
export function redirectWithError(res: ServerResponse, redirectUri: string, error: string, description: string, state: string | null): void {
  redirectWithCode(res, redirectUri, { error, error_description: description, ...(state !== null ? { state } : {}) });
}

/**
 * The `sso_id_token` faults: the id_token comes back wrong in one way, for the relying party's
 * checks to catch. `signature` signs with a key not in the JWKS (same kid).
 */
export type IdTokenTamper = 'signature' | 'iss' | 'aud' | 'nonce' | 'expired' | 'tid' | 'hd' | 'email_unverified';

export function tamperClaims(claims: Record<string, unknown>, tamper: string | undefined, nowS: number): Record<string, unknown> {
  const c = { ...claims };
  switch (tamper) {
    case 'iss': c['iss'] = 'https://login.example.test/evil/v2.0'; break;
    case 'aud': c['aud'] = '00000000-0000-0000-0000-000000000bad'; break;
    case 'nonce': c['nonce'] = 'not-the-nonce-you-sent'; break;
    case 'expired': c['iat'] = nowS - 7200; c['nbf'] = nowS - 7200; c['exp'] = nowS - 3600; break;
    case 'tid': c['tid'] = '11111111-2222-4333-a444-555555555555'; if (typeof c['iss'] === 'string' && c['iss'].includes('microsoftonline')) c['iss'] = `https://login.microsoftonline.com/${c['tid']}/v2.0`; break;
    case 'hd': c['hd'] = 'elsewhere.test'; break;
    case 'email_unverified': c['email_verified'] = false; break;
    default: break;
  }
  return c;
}

/**
 * The admin API's `…/sign-in/redirect-uris`: GET lists a client's registered redirect URIs,
 * POST `{ "uri": "https://…" }` registers one more (as an admin adds one in the provider's
 * console) — for a Syncwarden served on another address than loopback.
 */
export function redirectUrisAdmin(res: ServerResponse, method: string, body: Record<string, unknown>, registered: string[]): void {
  if (method === 'POST') {
    const uri = typeof body['uri'] === 'string' ? body['uri'] : '';
    let ok = false;
    try {
      const u = new URL(uri);
      ok = (u.protocol === 'https:' || u.protocol === 'http:') && !u.hash;
    } catch {
      ok = false;
    }
    if (!ok) return sendJsonAnswer(res, 400, { error: 'uri must be an absolute http(s) URL without a fragment' });
    if (!registered.includes(uri)) registered.push(uri);
    return sendJsonAnswer(res, 201, { redirectUris: registered });
  }
  sendJsonAnswer(res, 200, { redirectUris: registered });
}

function sendJsonAnswer(res: ServerResponse, status: number, body: unknown): void {
  sendText(res, status, JSON.stringify(body), 'application/json; charset=utf-8');
}

/**
 * The client's id and secret from the token request: form fields (client_secret_post), or
 * HTTP Basic (client_secret_basic), whose two parts are form-urlencoded (RFC 6749 §2.3.1).
 */
export function clientCredentials(req: IncomingMessage, form: URLSearchParams): { clientId: string | null; clientSecret: string | null } {
  let clientId = form.get('client_id');
  let clientSecret = form.get('client_secret');
  const basic = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? '');
  if (basic) {
    const [id, secret] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':');
    clientId ??= decodeURIComponent(id ?? '');
    clientSecret ??= decodeURIComponent(secret ?? '');
  }
  return { clientId, clientSecret };
}
