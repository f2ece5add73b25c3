import { createHmac } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Runtime } from '../runtime/context.js';
import { AppError } from '../errors/index.js';
import { roleHas } from '../auth/permissions.js';
import { resolveSession, type SessionPrincipal, type SessionSettings } from '../auth/sessions.js';
import { resolveApiToken, type TokenPrincipal } from '../auth/tokens.js';
import type { ActingContext } from '../auth/context.js';
import { sameSecret } from '../auth/secrets.js';
import type { Guard, RouteSpec } from './route.js';

/**
 * The HTTP front door (issue 12, points 2 and 6): who is calling (session cookie or bearer
 * token), may they (the route's permission), is a change really from our own pages (CSRF),
 * is the request addressed to us (Host), and the security headers on every answer.
 */
export type Principal = SessionPrincipal | TokenPrincipal;

export interface SecuritySettings {
  /** SYNCWARDEN_PUBLIC_URL without a trailing slash: the only source of links we hand out. */
  readonly publicUrl: string | null;
  /** Served over TLS by this process (TLS_CERT/TLS_KEY). */
  readonly tls: boolean;
  /** A reverse proxy in front terminates TLS and says so (X-Forwarded-Proto); SYNCWARDEN_TRUST_PROXY. */
  readonly trustProxy: boolean;
  readonly sessions: SessionSettings;
}

export const SESSION_COOKIE = 'sw_session';
export const CSRF_COOKIE = 'sw_csrf';
export const CSRF_HEADER = 'x-csrf-token';

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const name = part.slice(0, i).trim();
    try {
      out[name] = decodeURIComponent(part.slice(i + 1).trim());
    } catch {
      // A malformed cookie is someone else's; ignore it rather than refuse the request.
    }
  }
  return out;
}

export function isSecureRequest(request: FastifyRequest): boolean {
  return request.protocol === 'https';
}

/** Session cookie (HttpOnly) and the CSRF cookie the page reads and echoes in a header. */
export function setSessionCookies(reply: FastifyReply, request: FastifyRequest, s: { token: string; csrf: string; expiresAt: string }): void {
  const common = `Path=/; SameSite=Lax; Expires=${new Date(s.expiresAt).toUTCString()}${isSecureRequest(request) ? '; Secure' : ''}`;
  void reply.header('set-cookie', [`${SESSION_COOKIE}=${s.token}; HttpOnly; ${common}`, `${CSRF_COOKIE}=${s.csrf}; ${common}`]);
}

export function clearSessionCookies(reply: FastifyReply, request: FastifyRequest): void {
  const common = `Path=/; SameSite=Lax; Max-Age=0${isSecureRequest(request) ? '; Secure' : ''}`;
  void reply.header('set-cookie', [`${SESSION_COOKIE}=; HttpOnly; ${common}`, `${CSRF_COOKIE}=; ${common}`]);
}

export function clientMeta(request: FastifyRequest): { address: string | null; userAgent: string | null } {
  const ua = request.headers['user-agent'];
  return { address: request.ip ?? null, userAgent: typeof ua === 'string' ? ua.slice(0, 300) : null };
}

export function actorOf(p: Principal): string {
  return p.kind === 'session' ? `user:${p.email}` : `token:${p.tokenName} (${p.email})`;
}

/** Our own origin as a browser writes it in the Origin header. */
export function originOf(request: FastifyRequest, settings: SecuritySettings): string {
  if (settings.publicUrl) return new URL(settings.publicUrl).origin;
  return `${request.protocol}://${request.headers.host ?? ''}`;
}

/**
 * The installation's address as people's browsers see it: SYNCWARDEN_PUBLIC_URL when set (the
 * only source of redirect and consent URLs then); otherwise the Host of this request, which
 * the host check already limited to loopback names and IP literals (no DNS-rebinding name).
 */
export function publicBaseUrl(request: FastifyRequest, settings: SecuritySettings): string {
  return settings.publicUrl ?? `${request.protocol}://${request.headers.host ?? 'localhost'}`;
}

const LOOPBACK_OR_IP = /^(localhost|127(?:\.\d{1,3}){3}|\[[0-9a-f:.]+\]|\d{1,3}(?:\.\d{1,3}){3})(?::\d{1,5})?$/i;

/** Is this Host header one we answer to? (A forged or rebound name is refused before any route.) */
export function hostAllowed(host: string | undefined, settings: SecuritySettings): boolean {
  if (!host) return false;
  if (settings.publicUrl) {
    const expected = new URL(settings.publicUrl);
    // Loopback stays allowed for the local CLI, health checks and the operator on the box.
    return host.toLowerCase() === expected.host.toLowerCase() || /^(localhost|127\.0\.0\.1|\[::1\])(?::\d+)?$/i.test(host);
  }
  return LOOPBACK_OR_IP.test(host);
}

export function createGuard(rt: Runtime, settings: SecuritySettings): Guard {
  return async (request: FastifyRequest, spec: RouteSpec) => {
    const principal = await authenticate(rt, request, settings);
    const unsafe = !['GET', 'HEAD', 'OPTIONS'].includes(request.method);
    if (unsafe) checkOrigin(request, settings);
    if (principal?.kind === 'session' && unsafe) {
      const sent = request.headers[CSRF_HEADER];
      if (typeof sent !== 'string' || !sameSecret(sent, principal.csrf)) throw new AppError('auth.csrf', { origin: String(request.headers.origin ?? 'unknown') });
    }
    const acting: ActingContext = { actor: principal ? actorOf(principal) : 'anonymous', ...clientMeta(request) };
    if (spec.permission === 'public') return { principal, acting };
    if (!principal) throw new AppError('auth.required', {});
    if (!roleHas(principal.role, spec.permission)) throw new AppError('auth.forbidden', { role: principal.role, permission: spec.permission });
    return { principal, acting };
  };
}

/** A cross-site request announces itself (Origin, Sec-Fetch-Site); refuse it on any change. */
function checkOrigin(request: FastifyRequest, settings: SecuritySettings): void {
  const origin = request.headers.origin;
  if (typeof origin === 'string' && origin !== 'null' && origin !== originOf(request, settings)) throw new AppError('auth.csrf', { origin });
  if (origin === 'null') throw new AppError('auth.csrf', { origin: 'null (a sandboxed frame or a redirect)' });
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') throw new AppError('auth.csrf', { origin: `${site} request` });
}

export async function authenticate(rt: Runtime, request: FastifyRequest, settings: SecuritySettings): Promise<Principal | null> {
  const auth = request.headers.authorization;
  if (typeof auth === 'string' && /^bearer\s+/i.test(auth)) {
    const p = await resolveApiToken(rt, auth.replace(/^bearer\s+/i, '').trim(), request.ip ?? null);
    // A bad token is an error, not an anonymous call: a script must learn its token is dead.
    if (!p) throw new AppError('auth.required', {});
    return p;
  }
  const cookie = parseCookies(request.headers.cookie)[SESSION_COOKIE];
  if (!cookie) return null;
  return resolveSession(rt, cookie, settings.sessions);
}

/**
 * Security headers on every answer: a strict CSP (scripts and styles from our origin only, no
 * inline script; the built index.html has none), no framing, no sniffing, no referrer leaving
 * the origin, and HSTS when served over HTTPS.
 */
export function installSecurityHeaders(app: FastifyInstance, settings: SecuritySettings): void {
  app.addHook('onRequest', async (request) => {
    if (!hostAllowed(request.headers.host, settings)) {
      throw new AppError('http.host_not_allowed', { host: String(request.headers.host ?? '(none)'), expected: settings.publicUrl ?? 'http://localhost' });
    }
  });
  app.addHook('onSend', async (request, reply) => {
    void reply.header('content-security-policy', "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
    void reply.header('x-frame-options', 'DENY');
    void reply.header('x-content-type-options', 'nosniff');
    void reply.header('referrer-policy', 'same-origin');
    void reply.header('cross-origin-opener-policy', 'same-origin');
    if (isSecureRequest(request)) void reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
    if (request.url.startsWith('/api/')) void reply.header('cache-control', 'no-store');
  });
}

/**
 * The admin-consent `state`: the connection, the session that opened the link, an expiry and
 * a MAC under a key derived from the master keyring. The callback (a GET the provider's page
 * sends the browser to) records consent only when all of it holds for the session calling it.
 */
const STATE_TTL_MS = 3_600_000;

function stateKey(rt: Runtime): Buffer {
  return createHmac('sha256', rt.auditSealer.signingKey().key).update('syncwarden.consent-state/v1').digest();
}

/** What a consent state is bound to: the caller's session, or their API token. */
export function bindingOf(p: Principal): string {
  return p.kind === 'session' ? p.sessionId : p.tokenId;
}

export function signConsentState(rt: Runtime, connectionId: string, sessionId: string): string {
  const exp = Math.floor((rt.now() + STATE_TTL_MS) / 1000).toString(36);
  const body = `${connectionId}.${sessionId}.${exp}`;
  const mac = createHmac('sha256', stateKey(rt)).update(body).digest('base64url').slice(0, 32);
  return `${body}.${mac}`;
}

/** The connection id the state names, or a catalogue error saying why it is not trusted. */
export function verifyConsentState(rt: Runtime, state: string | undefined, principal: Principal | null): string {
  const fail = (reason: string) => new AppError('auth.consent_state_invalid', { reason });
  if (!state) throw fail('no state');
  const parts = state.split('.');
  if (parts.length !== 4) throw fail('malformed');
  const [connectionId, sessionId, exp, mac] = parts as [string, string, string, string];
  const expected = createHmac('sha256', stateKey(rt)).update(`${connectionId}.${sessionId}.${exp}`).digest('base64url').slice(0, 32);
  if (!sameSecret(mac, expected)) throw fail('signature does not match');
  if (parseInt(exp, 36) * 1000 <= rt.now()) throw fail('expired');
  if (!principal || bindingOf(principal) !== sessionId) throw fail(principal ? 'another session' : 'not signed in');
  return connectionId;
}
