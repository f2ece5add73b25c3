import { z } from 'zod';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Runtime } from '../../runtime/context.js';
import type { RouteSpec } from '../route.js';
import { DEFAULT_TENANT } from '../route.js';
import { AppError, definitionOf } from '../../errors/index.js';
import { renderText } from '../../errors/app-error.js';
import { ATTEMPT_TTL_MS, finishSso, startSso } from '../../auth/sso/flow.js';
import { PROVIDER_NAMES, SSO_PROVIDERS, enabledProviders, isSsoProvider, ssoRequired, ssoSettingsBody, ssoSettingsView, updateSsoSettings, type SsoProvider } from '../../auth/sso/settings.js';
import { clientMeta, isSecureRequest, parseCookies, publicBaseUrl, setSessionCookies, type SecuritySettings } from '../security.js';
import { countSsoStart, SSO_START_LIMIT, WINDOW_MS } from '../../auth/throttle.js';
import { recordAudit } from '../../audit/audit.js';

/** The pre-session cookie a sign-in's state is bound to; sent only to the SSO routes. */
export const SSO_COOKIE = 'sw_sso';
const SSO_PATH = '/api/v1/auth/sso';

const providerParams = z.object({ provider: z.enum(SSO_PROVIDERS) });
const tenantQuery = z.object({ tenant: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/).optional() });
const callbackQuery = z.object({
  code: z.string().max(4000).optional(),
  state: z.string().max(500).optional(),
  error: z.string().max(200).optional(),
  error_description: z.string().max(4000).optional(),
  session_state: z.string().max(200).optional(),
}).passthrough();

function ssoCookie(request: FastifyRequest, value: string, maxAgeS: number): string {
  return `${SSO_COOKIE}=${value}; HttpOnly; Path=${SSO_PATH}; SameSite=Lax; Max-Age=${maxAgeS}${isSecureRequest(request) ? '; Secure' : ''}`;
}

function redirect(reply: FastifyReply, location: string): void {
  void reply.code(302).header('location', location).header('cache-control', 'no-store').send();
}

/**
 * Single sign-on (issue 12, point 1): the sign-in page's list of providers, the start and
 * callback of the OpenID Connect flow (public: nobody is signed in yet), and the tenant's SSO
 * settings (admins). The redirect URI is built from the public URL (security.ts
 * publicBaseUrl), never from a Host header beyond what the host check allows, and stored with
 * the sign-in, so the callback redeems the code with exactly the URI it started with.
 */
export function ssoRoutes(rt: Runtime, settings: SecuritySettings): RouteSpec[] {
  return [
    {
      method: 'GET', url: '/auth/sso/providers', permission: 'public', tag: 'Sign-in', summary: 'Which single sign-on providers the sign-in page offers, and whether password sign-in is turned off', query: tenantQuery,
      handler: async ({ query }) => {
        const tenantId = (query['tenant'] as string | undefined) ?? DEFAULT_TENANT;
        const enabled = await enabledProviders(rt, tenantId);
        return {
          providers: enabled.map((p) => ({ id: p, name: PROVIDER_NAMES[p], startUrl: `${SSO_PATH}/${p}/start${tenantId === DEFAULT_TENANT ? '' : `?tenant=${encodeURIComponent(tenantId)}`}` })),
          passwordSignIn: !(await ssoRequired(rt, tenantId)),
        };
      },
    },
    {
      method: 'GET', url: '/auth/sso/:provider/start', permission: 'public', tag: 'Sign-in', summary: 'Start signing in with Microsoft or Google: redirects to the provider (state, nonce, PKCE S256) and sets a pre-session cookie the state is bound to', params: providerParams, query: tenantQuery,
      handler: async ({ params, query, request, reply }) => {
        const provider = params['provider'] as SsoProvider;
        const tenantId = (query['tenant'] as string | undefined) ?? DEFAULT_TENANT;
        const redirectUri = `${publicBaseUrl(request, settings).replace(/\/+$/, '')}${SSO_PATH}/${provider}/callback`;
        try {
          const meta = clientMeta(request);
          const verdict = await countSsoStart(rt.store.db, meta.address, rt.now());
          const refusal = { limit: SSO_START_LIMIT, address: meta.address ?? 'this address', minutes: WINDOW_MS / 60_000, until: verdict.until ?? 'later' };
          if (!verdict.allowed) {
            // Audited once, when the address reaches the limit (its later refusals would flood the log).
            if (verdict.justLocked) {
              await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
                severity: 'warning', action: 'auth.sso_start_throttled', actor: 'anonymous', code: 'auth.sso_throttled', params: refusal,
                message: `Single sign-on starts from ${meta.address} refused until ${verdict.until}: more than ${SSO_START_LIMIT} in ${WINDOW_MS / 60_000} minutes`,
              });
            }
            throw new AppError('auth.sso_throttled', refusal);
          }
          const started = await startSso(rt, tenantId, provider, redirectUri);
          void reply.header('set-cookie', ssoCookie(request, started.binding, Math.floor(ATTEMPT_TTL_MS / 1000)));
          redirect(reply, started.url);
        } catch (e) {
          if (e instanceof AppError) return redirect(reply, signInError(e));
          throw e;
        }
        return reply;
      },
    },
    {
      method: 'GET', url: '/auth/sso/:provider/callback', permission: 'public', tag: 'Sign-in', summary: 'Where the provider sends the browser back: checks the state, redeems the code, verifies the id_token and signs the matching user in (creates a session, changes nothing else)', params: providerParams, query: callbackQuery,
      handler: async ({ params, query, request, reply }) => {
        const provider = params['provider'];
        if (typeof provider !== 'string' || !isSsoProvider(provider)) throw new AppError('request.not_found', { entity: 'provider', id: String(provider) });
        const binding = parseCookies(request.headers.cookie)[SSO_COOKIE];
        // The pre-session cookie has done its work, whatever the outcome.
        void reply.header('set-cookie', ssoCookie(request, '', 0));
        try {
          const done = await finishSso(rt, provider, query as Record<string, string | undefined>, binding, clientMeta(request), settings.sessions, DEFAULT_TENANT);
          setSessionCookies(reply, request, done.session);
          redirect(reply, '/#/');
        } catch (e) {
          if (e instanceof AppError) return redirect(reply, signInError(e));
          throw e;
        }
        return reply;
      },
    },
    {
      method: 'GET', url: '/sso/settings', permission: 'users.manage', tag: 'Users and roles', summary: 'Single sign-on settings of this tenant (never the client secrets: only whether one is set)',
      handler: async ({ tenantId }) => ssoSettingsView(rt, tenantId),
    },
    {
      method: 'PUT', url: '/sso/settings', permission: 'users.manage', tag: 'Users and roles', summary: 'Change single sign-on settings: per provider enabled, client id, client secret (write-only), directory id / hosted domain, authority; whether SSO is required (audited, secrets excepted)', body: ssoSettingsBody,
      handler: async ({ tenantId, body }) => updateSsoSettings(rt, tenantId, body),
    },
  ];
}

/** The sign-in page, told why (in the fragment: never sent to a server, kept out of access logs). */
function signInError(e: AppError): string {
  const def = definitionOf(e.code);
  const q = new URLSearchParams({ error: e.code, title: def.title, message: e.message, resolution: renderText(def.resolution, e.params) });
  return `/#/sign-in?${q.toString()}`;
}
