// Sign-in, users and roles, API tokens (docs/api.md, "Sign-in and roles").
import { call } from './api.js';

export type Role = 'owner' | 'admin' | 'operator' | 'viewer' | 'reviewer';
export const ROLES: Role[] = ['owner', 'admin', 'operator', 'viewer', 'reviewer'];
export const ROLE_LABELS: Record<Role, string> = { owner: 'Owner', admin: 'Admin', operator: 'Operator', viewer: 'Viewer / Auditor', reviewer: 'Reviewer' };

export interface Me { user: { id: string; email: string; displayName: string }; tenantId: string; role: Role; via: 'session' | 'token'; permissions: string[] }
export interface UserRow { id: string; email: string; displayName: string; role: Role; disabled: boolean; hasPassword: boolean; createdAt: string; lastSignInAt: string | null }
export interface TokenRow { id: string; name: string; role: Role; userEmail: string; createdAt: string; expiresAt: string; lastUsedAt: string | null; lastUsedAddress: string | null; revokedAt: string | null; state: 'active' | 'expired' | 'revoked' }

export const authApi = {
  me: () => call<Me>('GET', '/auth/me'),
  signIn: (email: string, password: string, tenant?: string) => call<{ signedIn: true }>('POST', '/auth/sign-in', { email, password, ...(tenant ? { tenant } : {}) }),
  signInWithLink: (link: string) => call<{ signedIn: true }>('POST', '/auth/link', { link }),
  signOut: () => call<void>('POST', '/auth/sign-out'),
  signOutEverywhere: () => call<{ ended: number }>('POST', '/auth/sign-out-everywhere'),
  changePassword: (currentPassword: string | undefined, password: string) => call<void>('POST', '/auth/password', { ...(currentPassword ? { currentPassword } : {}), password }),
  users: () => call<{ users: UserRow[] }>('GET', '/users'),
  createUser: (body: { email: string; role: Role; displayName?: string }) => call<{ user: UserRow; signInLink: string | null }>('POST', '/users', body),
  updateUser: (id: string, body: { role?: Role; disabled?: boolean }) => call<UserRow>('PATCH', `/users/${id}`, body),
  resetUser: (id: string) => call<{ user: UserRow; signInLink: string | null }>('POST', `/users/${id}/reset-password`, {}),
  tokens: () => call<{ tokens: TokenRow[] }>('GET', '/tokens'),
  createToken: (body: { name: string; role: Role; expiresInDays: number }) => call<TokenRow & { token: string }>('POST', '/tokens', body),
  revokeToken: (id: string) => call<TokenRow>('DELETE', `/tokens/${id}`),
  // Several organisations (tenants): the ones you belong to, and moving this session to another.
  tenants: () => call<{ current: string; tenants: TenantRow[] }>('GET', '/tenants'),
  switchTenant: (tenant: string) => call<{ tenant: TenantRow }>('POST', '/auth/tenant', { tenant }),
  createTenant: (body: { id: string; name: string }) => call<TenantRow>('POST', '/tenants', body),
  renameTenant: (id: string, name: string) => call<TenantRow>('PATCH', `/tenants/${encodeURIComponent(id)}`, { name }),
};

export interface TenantRow { id: string; name: string; role?: Role; createdAt: string | null }
