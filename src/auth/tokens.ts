import { z } from 'zod';
import type { Runtime } from '../runtime/context.js';
import { AppError } from '../errors/index.js';
import { newId, nowIso } from '../model/ids.js';
import { recordAudit } from '../audit/audit.js';
import { isRole, lowerRole, roleAtMost, ROLES, type Role } from './permissions.js';
import { newSecret, secretHash } from './secrets.js';
import { roleOf } from './users.js';

/**
 * API tokens: per user and tenant, limited to a role at most the user's (and at use, never
 * above the user's current role), expiring (at most a year), shown once, stored as a hash,
 * revocable; the last use and its address are kept.
 */
export const TOKEN_PREFIX = 'swt';
export const MAX_TOKEN_DAYS = 365;

export const createTokenSchema = z.object({
  name: z.string().trim().min(1).max(100),
  role: z.enum(ROLES),
  expiresInDays: z.number().int().min(1).max(MAX_TOKEN_DAYS).default(90),
}).strict();

export interface TokenView {
  id: string;
  name: string;
  role: Role;
  userId: string;
  userEmail: string;
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string | null;
  lastUsedAddress: string | null;
  revokedAt: string | null;
  state: 'active' | 'expired' | 'revoked';
}

export interface TokenPrincipal {
  readonly kind: 'token';
  readonly tokenId: string;
  readonly tokenName: string;
  readonly userId: string;
  readonly email: string;
  readonly displayName: string;
  readonly tenantId: string;
  readonly role: Role;
}

export async function createApiToken(rt: Runtime, tenantId: string, userId: string, body: unknown): Promise<{ token: string; view: TokenView }> {
  const input = createTokenSchema.parse(body);
  const own = await roleOf(rt, tenantId, userId);
  if (!own) throw new AppError('request.not_found', { entity: 'user', id: userId });
  if (!roleAtMost(input.role, own)) throw new AppError('auth.role_too_high', { role: input.role, own });
  const token = newSecret(TOKEN_PREFIX);
  const id = newId('tok', rt.now());
  await rt.store.db.insertInto('api_tokens').values({
    id, tenant_id: tenantId, user_id: userId, name: input.name, role: input.role, token_hash: secretHash(token),
    created_at: nowIso(rt.now()), expires_at: nowIso(rt.now() + input.expiresInDays * 86_400_000), last_used_at: null, last_used_address: null, revoked_at: null,
  }).execute();
  const view = (await tokenViews(rt, tenantId, { id }))[0]!;
  await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
    severity: 'info', action: 'token.created', actor: 'admin', target: { type: 'api_token', id, name: input.name },
    message: `API token "${input.name}" created for ${view.userEmail} with the role ${input.role}, expiring ${view.expiresAt}`,
  }, rt.now());
  return { token, view };
}

export async function tokenViews(rt: Runtime, tenantId: string, filter: { userId?: string; id?: string } = {}): Promise<TokenView[]> {
  let q = rt.store.db.selectFrom('api_tokens').innerJoin('users', 'users.id', 'api_tokens.user_id')
    .select(['api_tokens.id', 'api_tokens.name', 'api_tokens.role', 'api_tokens.user_id', 'users.email', 'api_tokens.created_at', 'api_tokens.expires_at', 'api_tokens.last_used_at', 'api_tokens.last_used_address', 'api_tokens.revoked_at'])
    .where('api_tokens.tenant_id', '=', tenantId);
  if (filter.userId) q = q.where('api_tokens.user_id', '=', filter.userId);
  if (filter.id) q = q.where('api_tokens.id', '=', filter.id);
  const now = nowIso(rt.now());
  return (await q.orderBy('api_tokens.created_at', 'desc').execute()).map((r) => ({
    id: r.id, name: r.name, role: isRole(r.role) ? r.role : 'viewer', userId: r.user_id, userEmail: r.email, createdAt: r.created_at, expiresAt: r.expires_at,
    lastUsedAt: r.last_used_at, lastUsedAddress: r.last_used_address, revokedAt: r.revoked_at,
    state: r.revoked_at ? 'revoked' : r.expires_at <= now ? 'expired' : 'active',
  }));
}

/** Revokes a token; `ownerId` limits it to that user's tokens (a person revoking their own). */
export async function revokeApiToken(rt: Runtime, tenantId: string, id: string, ownerId: string | null): Promise<TokenView> {
  const view = (await tokenViews(rt, tenantId, { id, ...(ownerId ? { userId: ownerId } : {}) }))[0];
  if (!view) throw new AppError('request.not_found', { entity: 'API token', id });
  if (!view.revokedAt) {
    await rt.store.db.updateTable('api_tokens').set({ revoked_at: nowIso(rt.now()) }).where('id', '=', id).where('tenant_id', '=', tenantId).execute();
    await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
      severity: 'warning', action: 'token.revoked', actor: 'admin', target: { type: 'api_token', id, name: view.name },
      message: `API token "${view.name}" of ${view.userEmail} revoked`,
    }, rt.now());
  }
  return (await tokenViews(rt, tenantId, { id }))[0]!;
}

/** The principal behind a bearer token, or null (unknown, revoked, expired, user disabled or without a role). */
export async function resolveApiToken(rt: Runtime, token: string, address: string | null): Promise<TokenPrincipal | null> {
  if (!token.startsWith(`${TOKEN_PREFIX}_`)) return null;
  const row = await rt.store.db.selectFrom('api_tokens').innerJoin('users', 'users.id', 'api_tokens.user_id')
    .select(['api_tokens.id', 'api_tokens.name', 'api_tokens.role', 'api_tokens.tenant_id', 'api_tokens.user_id', 'api_tokens.expires_at', 'api_tokens.revoked_at', 'api_tokens.last_used_at', 'users.email', 'users.display_name', 'users.disabled_at'])
    .where('api_tokens.token_hash', '=', secretHash(token)).executeTakeFirst();
  const nowMs = rt.now();
  if (!row || row.revoked_at || row.disabled_at || Date.parse(row.expires_at) <= nowMs || !isRole(row.role)) return null;
  const own = await roleOf(rt, row.tenant_id, row.user_id);
  if (!own) return null;
  // Last use to the minute: enough to tell a forgotten token, without a write per request.
  if (!row.last_used_at || nowMs - Date.parse(row.last_used_at) > 60_000) {
    await rt.store.db.updateTable('api_tokens').set({ last_used_at: nowIso(nowMs), last_used_address: address }).where('id', '=', row.id).execute();
  }
  return { kind: 'token', tokenId: row.id, tokenName: row.name, userId: row.user_id, email: row.email, displayName: row.display_name, tenantId: row.tenant_id, role: lowerRole(row.role, own) };
}
