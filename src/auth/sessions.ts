import type { Runtime } from '../runtime/context.js';
import { AppError } from '../errors/index.js';
import { newId, nowIso } from '../model/ids.js';
import { recordAudit } from '../audit/audit.js';
import { runActing } from './context.js';
import { burnPasswordCheck, verifyPassword } from './passwords.js';
import { isRole, type Role } from './permissions.js';
import { newSecret, secretHash } from './secrets.js';
import { clearAttempt, countAttempt } from './throttle.js';
import { findUserByEmail, roleOf } from './users.js';
import { rememberTenant, signInTenant } from '../tenants/tenants.js';

/**
 * Server-side sessions: the cookie carries a random secret, the database its hash, the role is
 * read at every request (a demotion or a disable takes effect at once). A session ends when it
 * was idle for `idleMs`, at `absoluteMs` after sign-in, on sign-out, or when the person signs
 * out everywhere, changes their password or is disabled.
 */
export interface SessionSettings {
  readonly idleMs: number;
  readonly absoluteMs: number;
}

export const DEFAULT_SESSION_SETTINGS: SessionSettings = { idleMs: 60 * 60_000, absoluteMs: 12 * 3_600_000 };

export function sessionSettingsFrom(env: NodeJS.ProcessEnv): SessionSettings {
  const minutes = (name: string, fallback: number) => {
    const v = Number(env[name]);
    return Number.isFinite(v) && v > 0 ? v * 60_000 : fallback;
  };
  return { idleMs: minutes('SYNCWARDEN_SESSION_IDLE_MINUTES', DEFAULT_SESSION_SETTINGS.idleMs), absoluteMs: minutes('SYNCWARDEN_SESSION_MAX_MINUTES', DEFAULT_SESSION_SETTINGS.absoluteMs) };
}

export interface ClientMeta {
  readonly address: string | null;
  readonly userAgent: string | null;
}

export interface NewSession {
  /** The cookie value (shown to the browser once, never stored). */
  readonly token: string;
  readonly csrf: string;
  readonly id: string;
  readonly expiresAt: string;
}

export interface SessionPrincipal {
  readonly kind: 'session';
  readonly sessionId: string;
  readonly csrf: string;
  readonly userId: string;
  readonly email: string;
  readonly displayName: string;
  readonly tenantId: string;
  readonly role: Role;
}

export async function createSession(rt: Runtime, userId: string, tenantId: string, meta: ClientMeta, settings: SessionSettings): Promise<NewSession> {
  const token = newSecret('sws');
  const csrf = newSecret('csrf');
  const id = newId('ses', rt.now());
  const expiresAt = nowIso(rt.now() + settings.absoluteMs);
  await rt.store.db.insertInto('sessions').values({
    id, token_hash: secretHash(token), user_id: userId, tenant_id: tenantId, csrf_token: csrf, created_at: nowIso(rt.now()),
    last_seen_at: nowIso(rt.now()), expires_at: expiresAt, address: meta.address, user_agent: meta.userAgent?.slice(0, 300) ?? null, ended_at: null,
  }).execute();
  return { token, csrf, id, expiresAt };
}

/** The session behind a cookie, or null (unknown, ended, idle too long, past its end, user disabled). */
export async function resolveSession(rt: Runtime, token: string, settings: SessionSettings): Promise<SessionPrincipal | null> {
  const row = await rt.store.db.selectFrom('sessions').innerJoin('users', 'users.id', 'sessions.user_id')
    .select(['sessions.id', 'sessions.csrf_token', 'sessions.user_id', 'sessions.tenant_id', 'sessions.last_seen_at', 'sessions.expires_at', 'sessions.ended_at', 'users.email', 'users.display_name', 'users.disabled_at'])
    .where('sessions.token_hash', '=', secretHash(token)).executeTakeFirst();
  if (!row || row.ended_at !== null || row.disabled_at !== null) return null;
  const nowMs = rt.now();
  if (Date.parse(row.expires_at) <= nowMs || Date.parse(row.last_seen_at) + settings.idleMs <= nowMs) return null;
  const role = await roleOf(rt, row.tenant_id, row.user_id);
  if (!role) return null;
  // Touch at most once a minute: an idle timeout needs no finer grain, and every API call of a
  // busy page writing a row would cost more than the check.
  if (nowMs - Date.parse(row.last_seen_at) > 60_000) await rt.store.db.updateTable('sessions').set({ last_seen_at: nowIso(nowMs) }).where('id', '=', row.id).execute();
  return { kind: 'session', sessionId: row.id, csrf: row.csrf_token, userId: row.user_id, email: row.email, displayName: row.display_name, tenantId: row.tenant_id, role };
}

export async function endSession(rt: Runtime, sessionId: string): Promise<void> {
  await rt.store.db.updateTable('sessions').set({ ended_at: nowIso(rt.now()) }).where('id', '=', sessionId).where('ended_at', 'is', null).execute();
}

export async function endAllSessions(rt: Runtime, userId: string): Promise<number> {
  const r = await rt.store.db.updateTable('sessions').set({ ended_at: nowIso(rt.now()) }).where('user_id', '=', userId).where('ended_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows);
}

async function auditSignIn(rt: Runtime, tenantId: string, meta: ClientMeta, actor: string, ok: boolean, action: string, message: string, target?: { id: string; name: string }): Promise<void> {
  await runActing({ actor, address: meta.address, userAgent: meta.userAgent }, () => recordAudit(rt.store.db, rt.store.dialect, tenantId, {
    severity: ok ? 'info' : 'warning', action, actor, message, ...(target ? { target: { type: 'user', ...target } } : {}),
  }, rt.now()));
}

/**
 * Password sign-in. The attempt is counted (per account and per address) before anything is
 * hashed; over the limit it is refused at once. An unknown email costs the same hash as a
 * wrong password, so timing does not tell which accounts exist. Every outcome is audited.
 *
 * `requestedTenant`: the tenant asked for on the form; null opens the last used or the only
 * one (src/tenants/tenants.ts signInTenant), and asks (tenant.choose) only once the password
 * is known to be right. Outcomes are audited in that tenant (failures with no tenant known in
 * the person's last one, or the default tenant: a made-up tenant id gets no log of its own).
 */
export async function signInWithPassword(rt: Runtime, requestedTenant: string | null, email: string, password: string, meta: ClientMeta, settings: SessionSettings): Promise<{ session: NewSession; userId: string; tenantId: string }> {
  const normal = email.trim().toLowerCase();
  const verdict = await countAttempt(rt.store.db, normal, meta.address, rt.now());
  if (!verdict.allowed) {
    const tenantId = (await findUserByEmail(rt, normal))?.last_tenant_id ?? 'default';
    const subject = verdict.subject === 'account' ? normal : `address ${meta.address ?? 'unknown'}`;
    await auditSignIn(rt, tenantId, meta, 'anonymous', false, verdict.justLocked ? 'auth.account_locked' : 'auth.sign_in_throttled',
      verdict.justLocked ? `Account ${normal} locked until ${verdict.until} after too many failed sign-ins` : `Sign-in for ${normal} refused without checking the password: too many failures for ${subject} (until ${verdict.until})`);
    throw new AppError('auth.throttled', { subject, until: verdict.until ?? 'later' });
  }
  const user = await findUserByEmail(rt, normal);
  let ok = false;
  if (user && user.password_hash) ok = await verifyPassword(password, user.password_hash);
  else await burnPasswordCheck(password);
  // With the right password the tenant is chosen (tenant.choose when ambiguous); otherwise only
  // to know which log records the failure.
  const chosen = !user ? null : ok && user.disabled_at === null ? await signInTenant(rt, user.id, requestedTenant)
    : await signInTenant(rt, user.id, requestedTenant ?? user.last_tenant_id).catch(() => null);
  const tenantId = chosen ?? user?.last_tenant_id ?? 'default';
  const role = user && chosen ? await roleOf(rt, chosen, user.id) : null;
  if (!ok || !user || user.disabled_at !== null || !role) {
    const why = !user ? 'no such account' : user.disabled_at !== null ? 'account disabled' : !user.password_hash ? 'account has no password yet' : !ok ? 'wrong password' : 'no role in the organisation asked for';
    await auditSignIn(rt, tenantId, meta, 'anonymous', false, 'auth.sign_in_failed', `Sign-in failed for ${normal}: ${why}`, user ? { id: user.id, name: user.email } : undefined);
    throw new AppError('auth.invalid_credentials', {});
  }
  await clearAttempt(rt.store.db, normal, meta.address);
  await rememberTenant(rt, user.id, tenantId);
  const session = await createSession(rt, user.id, tenantId, meta, settings);
  await auditSignIn(rt, tenantId, meta, `user:${user.email}`, true, 'auth.signed_in', `${user.email} signed in with a password`, { id: user.id, name: user.email });
  return { session, userId: user.id, tenantId };
}

/** One-time link sign-in (first start, reset-password): the link is spent by this call. */
export async function signInWithLink(rt: Runtime, token: string, meta: ClientMeta, settings: SessionSettings): Promise<{ session: NewSession; userId: string; tenantId: string }> {
  const now = nowIso(rt.now());
  const link = await rt.store.db.selectFrom('sign_in_links').selectAll().where('token_hash', '=', secretHash(token)).executeTakeFirst();
  // Spent atomically: of two concurrent uses, only the one whose update matched signs in.
  const spent = link && link.used_at === null && link.expires_at > now
    ? Number((await rt.store.db.updateTable('sign_in_links').set({ used_at: now }).where('id', '=', link.id).where('used_at', 'is', null).executeTakeFirst()).numUpdatedRows) === 1
    : false;
  const user = link ? await rt.store.db.selectFrom('users').selectAll().where('id', '=', link.user_id).executeTakeFirst() : undefined;
  const role = link && user ? await roleOf(rt, link.tenant_id, user.id) : null;
  const tenantId = link?.tenant_id ?? 'default';
  if (!link || !spent || !user || user.disabled_at !== null || !role) {
    await auditSignIn(rt, tenantId, meta, 'anonymous', false, 'auth.sign_in_failed', `Sign-in with a one-time link failed: ${!link ? 'unknown link' : !spent ? 'link used or expired' : 'account disabled or without a role'}`, user ? { id: user.id, name: user.email } : undefined);
    throw new AppError('auth.link_invalid', {});
  }
  await rememberTenant(rt, user.id, link.tenant_id);
  const session = await createSession(rt, user.id, link.tenant_id, meta, settings);
  await auditSignIn(rt, link.tenant_id, meta, `user:${user.email}`, true, 'auth.signed_in', `${user.email} signed in with a one-time link`, { id: user.id, name: user.email });
  return { session, userId: user.id, tenantId: link.tenant_id };
}

export function isKnownRole(v: string): v is Role {
  return isRole(v);
}
