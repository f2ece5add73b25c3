import { z } from 'zod';
import type { Runtime } from '../../runtime/context.js';
import { DEFAULT_TENANT, type RouteSpec } from '../route.js';
import { AppError } from '../../errors/index.js';
import { PERMISSIONS, roleHas, type Permission } from '../../auth/permissions.js';
import { endAllSessions, endSession, signInWithLink, signInWithPassword } from '../../auth/sessions.js';
import { changeOwnPassword, createUser, issueSignInLink, findUserByEmail, resetPassword, signInLinkUrl, updateUser, userView, userViews } from '../../auth/users.js';
import { verifyPassword } from '../../auth/passwords.js';
import { countAttempt, clearAttempt } from '../../auth/throttle.js';
import { createApiToken, revokeApiToken, tokenViews } from '../../auth/tokens.js';
import { ssoRequired } from '../../auth/sso/settings.js';
import { refusePasswordWhenSsoRequired } from '../../auth/sso/required.js';
import { signInTenant } from '../../tenants/tenants.js';
import { clearSessionCookies, clientMeta, publicBaseUrl, setSessionCookies, type Principal, type SecuritySettings } from '../security.js';

const signInBody = z.object({ email: z.string().max(254), password: z.string().max(1000), tenant: z.string().max(40).optional() }).strict();
const linkBody = z.object({ link: z.string().min(1).max(200) }).strict();
const passwordBody = z.object({ currentPassword: z.string().max(1000).optional(), password: z.string().max(1000) }).strict();
const resetBody = z.object({ password: z.string().max(1000).optional() }).strict();
const idParams = z.object({ id: z.string().min(1).max(100) });

/** What the UI needs to know about the caller: who, which role, and what that role may do. */
function me(p: Principal) {
  return {
    user: { id: p.userId, email: p.email, displayName: p.displayName },
    tenantId: p.tenantId,
    role: p.role,
    via: p.kind,
    ...(p.kind === 'token' ? { token: { id: p.tokenId, name: p.tokenName } } : {}),
    permissions: (Object.keys(PERMISSIONS) as Permission[]).filter((perm) => perm !== 'public' && roleHas(p.role, perm)),
  };
}

/**
 * Sign-in, sessions, users and roles, API tokens (issue 12, points 1–5). Sign-in answers set
 * the session cookie and the CSRF cookie; the bodies never carry a password hash or a token
 * hash, and a new token's secret appears once, in the answer that made it.
 */
export function authRoutes(rt: Runtime, settings: SecuritySettings): RouteSpec[] {
  const need = (p: Principal | null): Principal => {
    if (!p) throw new AppError('auth.required', {});
    return p;
  };
  return [
    {
      method: 'POST', url: '/auth/sign-in', permission: 'public', tag: 'Sign-in', summary: 'Sign in with email and password (throttled per account and address; sets the session cookie)', body: signInBody,
      handler: async ({ body, request, reply }) => {
        const input = signInBody.parse(body);
        // SSO required (the organisation this sign-in would open): password sign-in refused before
        // any hashing (audited); one-time links stay the break-glass.
        const wanted = input.tenant?.trim().toLowerCase() || null;
        const person = wanted ? null : await findUserByEmail(rt, input.email.trim().toLowerCase());
        const candidate = wanted ?? (person ? await signInTenant(rt, person.id, null).catch(() => null) : DEFAULT_TENANT);
        if (candidate && (await ssoRequired(rt, candidate))) await refusePasswordWhenSsoRequired(rt, candidate, input.email, clientMeta(request));
        const { session } = await signInWithPassword(rt, wanted, input.email, input.password, clientMeta(request), settings.sessions);
        setSessionCookies(reply, request, session);
        return { signedIn: true, expiresAt: session.expiresAt };
      },
    },
    {
      method: 'POST', url: '/auth/link', permission: 'public', tag: 'Sign-in', summary: 'Sign in with a one-time link (first start, password reset); the link is spent', body: linkBody,
      handler: async ({ body, request, reply }) => {
        const input = linkBody.parse(body);
        const { session } = await signInWithLink(rt, input.link, clientMeta(request), settings.sessions);
        setSessionCookies(reply, request, session);
        return { signedIn: true, expiresAt: session.expiresAt };
      },
    },
    {
      method: 'GET', url: '/auth/me', permission: 'session', tag: 'Sign-in', summary: 'Who is signed in: user, role, the permissions of that role',
      handler: async ({ principal }) => me(need(principal)),
    },
    {
      method: 'POST', url: '/auth/sign-out', permission: 'session', tag: 'Sign-in', summary: 'Sign out this session',
      handler: async ({ principal, request, reply }) => {
        const p = need(principal);
        if (p.kind === 'session') await endSession(rt, p.sessionId);
        clearSessionCookies(reply, request);
        return undefined;
      },
    },
    {
      method: 'POST', url: '/auth/sign-out-everywhere', permission: 'session', tag: 'Sign-in', summary: 'End every session of the signed-in user (API tokens stay; revoke them separately)',
      handler: async ({ principal, request, reply }) => {
        const p = need(principal);
        const ended = await endAllSessions(rt, p.userId);
        clearSessionCookies(reply, request);
        return { ended };
      },
    },
    {
      method: 'POST', url: '/auth/password', permission: 'session', tag: 'Sign-in', summary: 'Change your own password (the current one is needed when there is one); your other sessions end', body: passwordBody,
      handler: async ({ principal, body, request }) => {
        const p = need(principal);
        const input = passwordBody.parse(body);
        const user = await findUserByEmail(rt, p.email);
        if (user?.password_hash) {
          // The current password is checked like a sign-in: counted first, so a stolen session
          // cannot be used to guess it at will.
          const meta = clientMeta(request);
          const verdict = await countAttempt(rt.store.db, p.email, meta.address, rt.now());
          if (!verdict.allowed) throw new AppError('auth.throttled', { subject: p.email, until: verdict.until ?? 'later' });
          if (!input.currentPassword || !(await verifyPassword(input.currentPassword, user.password_hash))) throw new AppError('auth.invalid_credentials', {});
          await clearAttempt(rt.store.db, p.email, meta.address);
        }
        await changeOwnPassword(rt, p.tenantId, p.userId, input.password, p.kind === 'session' ? p.sessionId : null);
        return undefined;
      },
    },
    {
      method: 'GET', url: '/users', permission: 'users.read', tag: 'Users and roles', summary: 'Users of this tenant with their role, state and last sign-in',
      handler: async ({ tenantId }) => ({ users: await userViews(rt, tenantId) }),
    },
    {
      method: 'POST', url: '/users', permission: 'users.manage', tag: 'Users and roles', summary: 'Create a user with a role (at most your own); without a password the answer carries a one-time sign-in link', body: z.object({ email: z.string(), role: z.string(), displayName: z.string().optional(), password: z.string().optional() }), status: 201,
      handler: async ({ tenantId, principal, body, request }) => {
        const p = need(principal);
        const user = await createUser(rt, tenantId, body, p.role);
        const link = user.hasPassword || user.existingAccount ? null : await issueSignInLink(rt, tenantId, user.id);
        return { user, signInLink: link ? signInLinkUrl(publicBaseUrl(request, settings), link) : null };
      },
    },
    {
      method: 'PATCH', url: '/users/:id', permission: 'users.manage', tag: 'Users and roles', summary: 'Change a user\'s role, name, or disable them (signs them out everywhere); never above your own role, never the last owner', params: idParams, body: z.object({ role: z.string().optional(), disabled: z.boolean().optional(), displayName: z.string().optional() }),
      handler: async ({ tenantId, principal, params, body }) => updateUser(rt, tenantId, params['id']!, body, need(principal).role),
    },
    {
      method: 'POST', url: '/users/:id/reset-password', permission: 'users.manage', tag: 'Users and roles', summary: 'Set a new password, or without one issue a one-time sign-in link; ends the user\'s sessions and unlocks the account', params: idParams, body: resetBody,
      handler: async ({ tenantId, principal, params, body, request }) => {
        const input = resetBody.parse(body);
        const { link } = await resetPassword(rt, tenantId, params['id']!, input.password, need(principal).role);
        return { user: await userView(rt, tenantId, params['id']!), signInLink: link ? signInLinkUrl(publicBaseUrl(request, settings), link) : null };
      },
    },
    {
      method: 'GET', url: '/tokens', permission: 'session', tag: 'API tokens', summary: 'Your API tokens (never their secret): role, expiry, last use',
      handler: async ({ tenantId, principal }) => ({ tokens: await tokenViews(rt, tenantId, { userId: need(principal).userId }) }),
    },
    {
      method: 'POST', url: '/tokens', permission: 'session', tag: 'API tokens', summary: 'Make an API token for yourself, with a role at most yours; its secret is in this answer only', body: z.object({ name: z.string(), role: z.string(), expiresInDays: z.number().optional() }), status: 201,
      handler: async ({ tenantId, principal, body }) => {
        const p = need(principal);
        const { token, view } = await createApiToken(rt, tenantId, p.userId, body);
        return { token, ...view };
      },
    },
    {
      method: 'DELETE', url: '/tokens/:id', permission: 'session', tag: 'API tokens', summary: 'Revoke one of your API tokens', params: idParams,
      handler: async ({ tenantId, principal, params }) => revokeApiToken(rt, tenantId, params['id']!, need(principal).userId),
    },
    {
      method: 'GET', url: '/admin/tokens', permission: 'tokens.manage', tag: 'API tokens', summary: 'Every API token of this tenant (never their secret)',
      handler: async ({ tenantId }) => ({ tokens: await tokenViews(rt, tenantId) }),
    },
    {
      method: 'DELETE', url: '/admin/tokens/:id', permission: 'tokens.manage', tag: 'API tokens', summary: 'Revoke any API token of this tenant', params: idParams,
      handler: async ({ tenantId, params }) => revokeApiToken(rt, tenantId, params['id']!, null),
    },
  ];
}
