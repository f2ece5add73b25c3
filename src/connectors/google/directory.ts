import { AppError } from '../../errors/index.js';
import type { HttpRequest, HttpResponse } from '../sdk/index.js';
import { ADMIN_DIRECTORY_USER } from './config.js';
import { badResponse, commonError, describe, parseGoogleError } from './errors.js';
import type { GoogleDeps } from './deps.js';
import { UnknownSubjectError } from './token.js';

/**
 * Admin SDK Directory API, users (get, list, insert), called as the configured admin.
 * https://developers.google.com/admin-sdk/directory/reference/rest/v1/users
 */
export interface DirectoryUser {
  readonly id: string;
  readonly primaryEmail: string;
  readonly name?: { givenName?: string; familyName?: string };
  readonly isAdmin?: boolean;
  readonly suspended?: boolean;
  readonly creationTime?: string;
}

const PAGE_MAX = 500;

/** One Directory call as the admin; retries once with a fresh token when Google rejects it. */
async function call(deps: GoogleDeps, req: Omit<HttpRequest, 'headers'> & { contentType?: string }, retried = false): Promise<HttpResponse> {
  const { tokens, config } = deps;
  let token: string;
  try {
    token = await tokens.forUser(config.adminEmail, [ADMIN_DIRECTORY_USER]);
  } catch (e) {
    // The admin is not a live user of the Workspace: delegation cannot act as them.
    if (e instanceof UnknownSubjectError) throw new AppError('google.admin_not_authorized', { adminEmail: config.adminEmail, domain: config.domain }, { cause: e });
    throw e;
  }
  const res = await deps.ctx.http.request({
    ...req,
    headers: { authorization: `Bearer ${token}`, ...(req.contentType ? { 'content-type': req.contentType } : {}) },
  });
  if (res.status === 401 && !retried) {
    tokens.invalidate(config.adminEmail, [ADMIN_DIRECTORY_USER]);
    return call(deps, req, true);
  }
  return res;
}

/** Failures every Directory method shares: limits, API disabled, and the admin not being one. */
function directoryError(deps: GoogleDeps, res: HttpResponse): AppError | null {
  const common = commonError(res, 'Admin SDK API', deps.ctx.now().getTime());
  if (common) return common;
  const e = parseGoogleError(res);
  if (res.status === 403 && (e?.reasons.includes('forbidden') || e?.status === 'PERMISSION_DENIED') && !e?.reasons.includes('insufficientPermissions')) {
    return new AppError('google.admin_not_authorized', { adminEmail: deps.config.adminEmail, domain: deps.config.domain });
  }
  if (res.status === 403 && e?.reasons.includes('insufficientPermissions')) {
    return new AppError('google.delegation_missing', { clientId: `of ${deps.config.serviceAccountEmail}`, scope: ADMIN_DIRECTORY_USER, requiredScopes: ADMIN_DIRECTORY_USER });
  }
  return null;
}

function asUser(v: unknown): DirectoryUser {
  const u = v as Partial<DirectoryUser> | undefined;
  if (!u || typeof u.id !== 'string' || typeof u.primaryEmail !== 'string') throw badResponse('a Directory user without id or primaryEmail');
  return u as DirectoryUser;
}

const base = (deps: GoogleDeps): string => `${deps.endpoints.admin}/admin/directory/v1`;

export async function getUser(deps: GoogleDeps, userKey: string): Promise<DirectoryUser | null> {
  const res = await call(deps, { method: 'GET', url: `${base(deps)}/users/${encodeURIComponent(userKey)}` });
  if (res.status === 200) return asUser(res.json());
  if (res.status === 404) return null;
  throw directoryError(deps, res) ?? badResponse(`users.get answered ${describe(parseGoogleError(res), res)}`);
}

export async function listUsers(deps: GoogleDeps, pageToken: string | null, maxResults = PAGE_MAX): Promise<{ users: DirectoryUser[]; nextPageToken: string | null }> {
  const q = new URLSearchParams({ customer: 'my_customer', orderBy: 'email', maxResults: String(Math.min(maxResults, PAGE_MAX)) });
  if (pageToken) q.set('pageToken', pageToken);
  const res = await call(deps, { method: 'GET', url: `${base(deps)}/users?${q.toString()}` });
  if (res.status !== 200) throw directoryError(deps, res) ?? badResponse(`users.list answered ${describe(parseGoogleError(res), res)}`);
  const b = res.json() as { users?: unknown[]; nextPageToken?: unknown } | undefined;
  if (!b || typeof b !== 'object') throw badResponse('users.list answered a body that is not JSON');
  return { users: (b.users ?? []).map(asUser), nextPageToken: typeof b.nextPageToken === 'string' ? b.nextPageToken : null };
}

export interface NewUser {
  readonly primaryEmail: string;
  readonly givenName: string;
  readonly familyName: string;
  readonly password: string;
}

/** users.insert; null when the address already exists (409 duplicate). */
export async function insertUser(deps: GoogleDeps, u: NewUser): Promise<DirectoryUser | null> {
  const res = await call(deps, {
    method: 'POST',
    url: `${base(deps)}/users`,
    contentType: 'application/json',
    body: JSON.stringify({ primaryEmail: u.primaryEmail, name: { givenName: u.givenName, familyName: u.familyName }, password: u.password, changePasswordAtNextLogin: true }),
  });
  if (res.status === 200 || res.status === 201) return asUser(res.json());
  if (res.status === 409) return null;
  const common = commonError(res, 'Admin SDK API', deps.ctx.now().getTime());
  if (common && common.code !== 'provider.bad_response') throw common;
  // Licence ceiling (412 limitExceeded), an address held by a group, an unverified domain, …
  throw new AppError('google.user_create_failed', { email: u.primaryEmail, detail: describe(parseGoogleError(res), res) });
}
