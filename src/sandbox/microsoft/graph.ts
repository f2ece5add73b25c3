import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerToken, requestUrl, sendJson } from '../http.js';
import type { SandboxContext } from '../types.js';
import { verifyGraphToken } from './entra.js';
import { decodeToken, encodeToken, graphError } from './graph-common.js';
import { createGraphMail, type GraphQuotas } from './graph-mail.js';
import type { EntraUser, MicrosoftWorld } from './world.js';

export { graphError } from './graph-common.js';
export type { GraphQuotas } from './graph-mail.js';

/**
 * Microsoft Graph v1.0 router: verifies the bearer token (Entra's own signature, expiry,
 * `roles`), applies the tenant-wide faults, serves users here and hands mail to graph-mail.ts.
 * Opaque absolute nextLink/deltaLink URLs; permission checks from the token's `roles`.
 */
const USER_READ = ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];
const MAIL_READ = ['Mail.Read', 'Mail.ReadWrite'];

export function createGraphListener(ctx: SandboxContext, world: MicrosoftWorld, quotas: GraphQuotas) {
  const mail = createGraphMail(ctx, world, quotas);
  const base = () => `${ctx.urls.graph}/v1.0`;

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = requestUrl(req);
    if (!url.pathname.startsWith('/v1.0/')) return graphError(res, 400, 'BadRequest', 'Invalid version.');
    const token = bearerToken(req);
    if (!token) return graphError(res, 401, 'InvalidAuthenticationToken', 'Access token is empty.');
    const claims = await verifyGraphToken(world, token, ctx.now());
    if (!claims) return graphError(res, 401, 'InvalidAuthenticationToken', 'Access token has expired or is not yet valid.');
    if (req.method !== 'GET') return graphError(res, 405, 'Request_BadRequest', 'Method not allowed in the sandbox.');
    const path = url.pathname.slice('/v1.0'.length).split('/').map(decodeURIComponent);
    // path: ['', 'users', key?, sub...]
    if (path[1] !== 'users') return graphError(res, 400, 'BadRequest', `Resource not found for the segment '${path[1]}'.`);
    if (ctx.faults.fires(world.tenantId, 'graph.throttle')) {
      const f = ctx.faults.get(world.tenantId, 'graph.throttle');
      return graphError(res, 429, 'TooManyRequests', 'Please retry again later.', { 'retry-after': String(f?.params['retryAfterSeconds'] ?? '1') });
    }
    if (path.length === 2) return listUsers(url, res, claims.roles);
    const user = userFor(path[2]!);
    const sub = path.slice(3);
    if (sub.length === 0) {
      if (!USER_READ.some((r) => claims.roles.includes(r))) return graphError(res, 403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
      if (!user) return graphError(res, 404, 'Request_ResourceNotFound', `Resource '${path[2]}' does not exist or one of its queried reference-property objects are not present.`);
      return sendJson(res, 200, { '@odata.context': `${base()}/$metadata#users/$entity`, ...userJson(user, url.searchParams.get('$select')) });
    }
    if (!MAIL_READ.some((r) => claims.roles.includes(r))) return graphError(res, 403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
    if (!user) return graphError(res, 404, 'ErrorInvalidUser', `The requested user '${path[2]}' is invalid.`);
    return mail(req, url, res, user, sub);
  };

  function userFor(key: string): EntraUser | undefined {
    const u = world.userByKey(key);
    if (!u) return undefined;
    if (ctx.faults.get(world.tenantId, 'm365.user_deleted')?.params['user'] === u.userPrincipalName) return undefined;
    return u;
  }

  function userJson(u: EntraUser, select: string | null): Record<string, unknown> {
    const disabled = ctx.faults.get(world.tenantId, 'm365.user_disabled')?.params['user'] === u.userPrincipalName;
    const renamed = ctx.faults.get(world.tenantId, 'm365.user_renamed');
    const upn = renamed?.params['user'] === u.userPrincipalName ? String(renamed.params['to']) : u.userPrincipalName;
    const full: Record<string, unknown> = {
      businessPhones: [], displayName: u.displayName, givenName: u.givenName, jobTitle: null, mail: upn, mobilePhone: null,
      officeLocation: null, preferredLanguage: 'en-US', surname: u.surname, userPrincipalName: upn, id: u.id,
      accountEnabled: u.accountEnabled && !disabled,
    };
    if (!select) {
      // accountEnabled is not a default property: it needs $select (providers.md §2.1).
      const { accountEnabled: _omit, ...defaults } = full;
      return defaults;
    }
    const fields = select.split(',').map((s) => s.trim());
    return Object.fromEntries(Object.entries(full).filter(([k]) => k === 'id' || fields.includes(k)));
  }

  function listUsers(url: URL, res: ServerResponse, roles: string[]): void {
    if (!USER_READ.some((r) => roles.includes(r))) return graphError(res, 403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
    const skip = decodeToken<{ o: number; n: number; sel: string | null }>(url.searchParams.get('$skiptoken'));
    const topRaw = url.searchParams.get('$top');
    const top = skip?.n ?? (topRaw === null ? 100 : Number(topRaw));
    if (!Number.isInteger(top) || top < 1 || top > 999) {
      return graphError(res, 400, 'Request_BadRequest', `Invalid page size specified: '${topRaw}'. Must be between 1 and 999 inclusive.`);
    }
    const select = skip?.sel ?? url.searchParams.get('$select');
    const all = world.users.filter((u) => !u.deleted && ctx.faults.get(world.tenantId, 'm365.user_deleted')?.params['user'] !== u.userPrincipalName);
    const offset = skip?.o ?? 0;
    const page = all.slice(offset, offset + top);
    const body: Record<string, unknown> = { '@odata.context': `${base()}/$metadata#users`, value: page.map((u) => userJson(u, select)) };
    if (offset + top < all.length) body['@odata.nextLink'] = `${base()}/users?$top=${top}&$skiptoken=${encodeToken({ o: offset + top, n: top, sel: select })}`;
    sendJson(res, 200, body);
  }

}
