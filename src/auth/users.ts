import { z } from 'zod';
import type { Runtime } from '../runtime/context.js';
import { AppError } from '../errors/index.js';
import { newId, nowIso } from '../model/ids.js';
import { recordAudit } from '../audit/audit.js';
import { checkPasswordPolicy, hashPassword } from './passwords.js';
import { ROLES, isRole, roleAtMost, type Role } from './permissions.js';
import { newSecret, secretHash } from './secrets.js';
import { unlockAccount } from './throttle.js';
import { otherTenantsOf } from '../tenants/tenants.js';

/**
 * Local accounts. A user is installation-wide (one email); their role is per tenant
 * (`memberships`). A user made without a password signs in with a one-time link until they
 * set one. Every change is audited; the last active owner of a tenant cannot be demoted or
 * disabled (someone must be able to manage the tenant).
 */
export const emailSchema = z.string().trim().toLowerCase().min(3).max(254).regex(/^[^\s@]+@[^\s@]+$/, 'must be an email address');
export const roleSchema = z.enum(ROLES);

export const createUserSchema = z.object({
  email: emailSchema,
  displayName: z.string().trim().min(1).max(200).optional(),
  role: roleSchema,
  password: z.string().max(1000).optional(),
}).strict();

export const updateUserSchema = z.object({
  role: roleSchema.optional(),
  disabled: z.boolean().optional(),
  displayName: z.string().trim().min(1).max(200).optional(),
}).strict();

export interface UserView {
  id: string;
  email: string;
  displayName: string;
  role: Role;
  disabled: boolean;
  hasPassword: boolean;
  createdAt: string;
  lastSignInAt: string | null;
  /** Set by createUser when the email already had an account (in another tenant): only the membership was added. */
  existingAccount?: boolean;
}

/** One-time sign-in links live a day: long enough to reach a newcomer, short enough to expire unused. */
export const LINK_TTL_MS = 24 * 3_600_000;

export async function userViews(rt: Runtime, tenantId: string): Promise<UserView[]> {
  const rows = await rt.store.db.selectFrom('memberships').innerJoin('users', 'users.id', 'memberships.user_id')
    .select(['users.id', 'users.email', 'users.display_name', 'users.password_hash', 'users.disabled_at', 'users.created_at', 'memberships.role'])
    .where('memberships.tenant_id', '=', tenantId).orderBy('users.email').execute();
  const out: UserView[] = [];
  for (const r of rows) {
    const last = await rt.store.db.selectFrom('sessions').select('created_at').where('user_id', '=', r.id).where('tenant_id', '=', tenantId).orderBy('created_at', 'desc').limit(1).executeTakeFirst();
    out.push({
      id: r.id, email: r.email, displayName: r.display_name, role: isRole(r.role) ? r.role : 'viewer', disabled: r.disabled_at !== null,
      hasPassword: r.password_hash !== null, createdAt: r.created_at, lastSignInAt: last?.created_at ?? null,
    });
  }
  return out;
}

export async function userView(rt: Runtime, tenantId: string, id: string): Promise<UserView> {
  const v = (await userViews(rt, tenantId)).find((u) => u.id === id);
  if (!v) throw new AppError('request.not_found', { entity: 'user', id });
  return v;
}

export async function findUserByEmail(rt: Runtime, email: string) {
  return rt.store.db.selectFrom('users').selectAll().where('email', '=', email.trim().toLowerCase()).executeTakeFirst();
}

export async function roleOf(rt: Runtime, tenantId: string, userId: string): Promise<Role | null> {
  const m = await rt.store.db.selectFrom('memberships').select('role').where('tenant_id', '=', tenantId).where('user_id', '=', userId).executeTakeFirst();
  return m && isRole(m.role) ? m.role : null;
}

/**
 * Creates a user with a role in the tenant. `byRole` is the creator's role (null: the local CLI,
 * which acts as the installation itself): nobody gives a role above their own.
 */
export async function createUser(rt: Runtime, tenantId: string, body: unknown, byRole: Role | null): Promise<UserView> {
  const input = createUserSchema.parse(body);
  if (byRole && !roleAtMost(input.role, byRole)) throw new AppError('auth.role_too_high', { role: input.role, own: byRole });
  const existing = await findUserByEmail(rt, input.email);
  // People are installation-wide: an email that has an account (in another tenant) joins this
  // one with the role given; the account itself (password, name) is left as it is.
  if (existing) return addMember(rt, tenantId, existing, input.role);
  if (input.password !== undefined) checkPasswordPolicy(input.password, input.email);
  const now = nowIso(rt.now());
  const id = newId('usr', rt.now());
  const passwordHash = input.password !== undefined ? await hashPassword(input.password) : null;
  await rt.store.db.transaction().execute(async (trx) => {
    await trx.insertInto('users').values({
      id, email: input.email, display_name: input.displayName ?? input.email.split('@')[0]!, password_hash: passwordHash,
      password_changed_at: passwordHash ? now : null, disabled_at: null, created_at: now, updated_at: now, last_tenant_id: tenantId,
    }).execute();
    await trx.insertInto('memberships').values({ tenant_id: tenantId, user_id: id, role: input.role, created_at: now }).execute();
  });
  await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
    severity: 'info', action: 'user.created', actor: 'admin', target: { type: 'user', id, name: input.email },
    message: `User ${input.email} created with the role ${input.role}${passwordHash ? ' and a password' : ' (signs in with a one-time link until a password is set)'}`,
  }, rt.now());
  return userView(rt, tenantId, id);
}

async function addMember(rt: Runtime, tenantId: string, user: { id: string; email: string }, role: Role): Promise<UserView> {
  const member = await rt.store.db.selectFrom('memberships').select('role').where('tenant_id', '=', tenantId).where('user_id', '=', user.id).executeTakeFirst();
  if (member) throw new AppError('auth.user_exists', { email: user.email });
  await rt.store.db.insertInto('memberships').values({ tenant_id: tenantId, user_id: user.id, role, created_at: nowIso(rt.now()) }).execute();
  await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
    severity: 'info', action: 'user.added', actor: 'admin', target: { type: 'user', id: user.id, name: user.email },
    message: `${user.email}, who already has an account in this installation, added with the role ${role} (their password and sign-in are their own)`,
  }, rt.now());
  return { ...(await userView(rt, tenantId, user.id)), existingAccount: true };
}

/** A person who also belongs to other tenants: only the installation's operator (byRole null) changes the account itself. */
async function refuseShared(rt: Runtime, tenantId: string, user: { id: string; email: string }, byRole: Role | null): Promise<void> {
  if (byRole !== null && (await otherTenantsOf(rt, user.id, tenantId)).length > 0) throw new AppError('tenant.user_shared', { email: user.email });
}

async function activeOwners(rt: Runtime, tenantId: string): Promise<string[]> {
  const rows = await rt.store.db.selectFrom('memberships').innerJoin('users', 'users.id', 'memberships.user_id').select('users.id')
    .where('memberships.tenant_id', '=', tenantId).where('memberships.role', '=', 'owner').where('users.disabled_at', 'is', null).execute();
  return rows.map((r) => r.id);
}

export async function updateUser(rt: Runtime, tenantId: string, id: string, body: unknown, byRole: Role | null): Promise<UserView> {
  const input = updateUserSchema.parse(body);
  const before = await userView(rt, tenantId, id);
  // Nobody changes someone above their own role, nor gives a role above it.
  if (byRole && !roleAtMost(before.role, byRole)) throw new AppError('auth.role_too_high', { role: before.role, own: byRole });
  if (byRole && input.role && !roleAtMost(input.role, byRole)) throw new AppError('auth.role_too_high', { role: input.role, own: byRole });
  const losesOwner = before.role === 'owner' && !before.disabled && ((input.role && input.role !== 'owner') || input.disabled === true);
  if (losesOwner && (await activeOwners(rt, tenantId)).length <= 1) throw new AppError('auth.last_owner', { tenant: tenantId });
  if (input.disabled !== undefined || input.displayName !== undefined) await refuseShared(rt, tenantId, before, byRole);
  const now = nowIso(rt.now());
  if (input.role && input.role !== before.role) {
    await rt.store.db.updateTable('memberships').set({ role: input.role }).where('tenant_id', '=', tenantId).where('user_id', '=', id).execute();
  }
  const userPatch: { updated_at: string; disabled_at?: string | null; display_name?: string } = { updated_at: now };
  if (input.disabled !== undefined) userPatch.disabled_at = input.disabled ? now : null;
  if (input.displayName !== undefined) userPatch.display_name = input.displayName;
  await rt.store.db.updateTable('users').set(userPatch).where('id', '=', id).execute();
  // Disabling signs the person out everywhere at once (tokens are refused at their next use).
  if (input.disabled === true) await rt.store.db.updateTable('sessions').set({ ended_at: now }).where('user_id', '=', id).where('ended_at', 'is', null).execute();
  const changes = [
    input.role && input.role !== before.role ? `role ${before.role} → ${input.role}` : null,
    input.disabled !== undefined && input.disabled !== before.disabled ? (input.disabled ? 'disabled' : 'enabled again') : null,
    input.displayName !== undefined && input.displayName !== before.displayName ? `name "${before.displayName}" → "${input.displayName}"` : null,
  ].filter(Boolean);
  if (changes.length) {
    await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
      severity: input.disabled ? 'warning' : 'info', action: input.disabled ? 'user.disabled' : 'user.changed', actor: 'admin',
      target: { type: 'user', id, name: before.email }, message: `User ${before.email}: ${changes.join(', ')}`,
    }, rt.now());
  }
  return userView(rt, tenantId, id);
}

/**
 * Sets a new password (checked against the policy) or, without one, issues a one-time sign-in
 * link; either way the user's sessions end and the account is unlocked.
 */
export async function resetPassword(rt: Runtime, tenantId: string, id: string, password: string | undefined, byRole: Role | null): Promise<{ link: string | null }> {
  const user = await userView(rt, tenantId, id);
  if (byRole && !roleAtMost(user.role, byRole)) throw new AppError('auth.role_too_high', { role: user.role, own: byRole });
  await refuseShared(rt, tenantId, user, byRole);
  const now = nowIso(rt.now());
  let link: string | null = null;
  if (password !== undefined) {
    checkPasswordPolicy(password, user.email);
    await rt.store.db.updateTable('users').set({ password_hash: await hashPassword(password), password_changed_at: now, updated_at: now }).where('id', '=', id).execute();
  } else {
    link = await issueSignInLink(rt, tenantId, id);
  }
  await rt.store.db.updateTable('sessions').set({ ended_at: now }).where('user_id', '=', id).where('ended_at', 'is', null).execute();
  await unlockAccount(rt.store.db, user.email);
  await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
    severity: 'warning', action: 'user.password_reset', actor: 'admin', target: { type: 'user', id, name: user.email },
    message: password !== undefined ? `Password of ${user.email} reset; their sessions were ended` : `One-time sign-in link issued for ${user.email}; their sessions were ended`,
  }, rt.now());
  return { link };
}

/** A one-time sign-in link's secret (the caller builds the URL: `<public url>/#/sign-in?link=<secret>`). */
export async function issueSignInLink(rt: Runtime, tenantId: string, userId: string): Promise<string> {
  const token = newSecret('swl');
  await rt.store.db.insertInto('sign_in_links').values({
    id: newId('lnk', rt.now()), token_hash: secretHash(token), user_id: userId, tenant_id: tenantId,
    created_at: nowIso(rt.now()), expires_at: nowIso(rt.now() + LINK_TTL_MS), used_at: null,
  }).execute();
  return token;
}

export function signInLinkUrl(publicUrl: string, token: string): string {
  // In the fragment: browsers never send it to a server, so it stays out of access logs.
  return `${publicUrl.replace(/\/+$/, '')}/#/sign-in?link=${encodeURIComponent(token)}`;
}

/**
 * First start: with no user at all, makes the first owner (SYNCWARDEN_OWNER_EMAIL or
 * owner@localhost, no password) and returns a one-time sign-in link for the console. Until
 * that owner first signs in, each start issues a fresh link (the newcomer who lost the first
 * one just starts again); afterwards nothing is printed.
 */
export async function ensureFirstOwner(rt: Runtime, tenantId: string, email: string): Promise<{ email: string; token: string } | null> {
  const any = await rt.store.db.selectFrom('users').select(['id', 'email', 'password_hash']).orderBy('created_at').limit(2).execute();
  if (any.length === 0) {
    try {
      const user = await createUser(rt, tenantId, { email, role: 'owner', displayName: 'Owner' }, null);
      return { email: user.email, token: await issueSignInLink(rt, tenantId, user.id) };
    } catch (e) {
      // Several `serve` processes starting together on an empty database: one made the owner
      // (the unique email refused the others), and that one prints the link.
      if (await rt.store.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst()) return null;
      throw e;
    }
  }
  // The first owner is the oldest user (the demo may have added its SSO user since).
  const only = any[0] ?? null;
  if (only && only.password_hash === null) {
    const signedIn = await rt.store.db.selectFrom('sessions').select('id').where('user_id', '=', only.id).limit(1).executeTakeFirst();
    if (!signedIn) return { email: only.email, token: await issueSignInLink(rt, tenantId, only.id) };
  }
  return null;
}

export async function changeOwnPassword(rt: Runtime, tenantId: string, userId: string, password: string, keepSessionId: string | null): Promise<void> {
  const user = await userView(rt, tenantId, userId);
  checkPasswordPolicy(password, user.email);
  const now = nowIso(rt.now());
  await rt.store.db.updateTable('users').set({ password_hash: await hashPassword(password), password_changed_at: now, updated_at: now }).where('id', '=', userId).execute();
  // Other sessions end: a password change is how people throw out someone who had theirs.
  let q = rt.store.db.updateTable('sessions').set({ ended_at: now }).where('user_id', '=', userId).where('ended_at', 'is', null);
  if (keepSessionId) q = q.where('id', '!=', keepSessionId);
  await q.execute();
  await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
    severity: 'info', action: 'user.password_changed', actor: 'admin', target: { type: 'user', id: userId, name: user.email },
    message: `${user.email} changed their password; their other sessions were ended`,
  }, rt.now());
}
