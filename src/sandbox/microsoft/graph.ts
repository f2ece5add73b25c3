import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerToken, requestUrl } from '../http.js';
import type { SandboxContext } from '../types.js';
import { verifyGraphToken } from './entra.js';
import { graphError } from './graph-common.js';
import { createGraphDirectory } from './graph-directory.js';
import { createGraphMail, type GraphQuotas } from './graph-mail.js';
import { createIdentityThrottle, requestCost, type IdentityThrottleConfig } from './graph-throttle.js';
import type { EntraUser, MicrosoftWorld } from './world.js';

export { graphError } from './graph-common.js';
export type { GraphQuotas } from './graph-mail.js';

/**
 * Microsoft Graph v1.0 router: verifies the bearer token (Entra's own signature, expiry,
 * `roles`, `tid` → which tenant), applies the tenant-wide faults, sends directory resources
 * through identity & access throttling to graph-directory.ts and mail to graph-mail.ts.
 */
const MAIL_READ = ['Mail.Read', 'Mail.ReadWrite'];
const USER_READ = ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];
const MAIL_SEGMENTS = new Set(['mailFolders', 'messages']);

export function createGraphListener(ctx: SandboxContext, world: MicrosoftWorld, quotas: GraphQuotas, identity: IdentityThrottleConfig) {
  const mail = createGraphMail(ctx, world, quotas);
  const directory = createGraphDirectory(ctx);
  const throttle = createIdentityThrottle(identity, ctx.now);

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = requestUrl(req);
    if (!url.pathname.startsWith('/v1.0/')) return graphError(res, 400, 'BadRequest', 'Invalid version.');
    const token = bearerToken(req);
    if (!token) return graphError(res, 401, 'InvalidAuthenticationToken', 'Access token is empty.');
    const claims = await verifyGraphToken(world, token, ctx.now());
    if (!claims) return graphError(res, 401, 'InvalidAuthenticationToken', 'Access token has expired or is not yet valid.');
    const tenant = world.tenants.get(claims.tid);
    if (!tenant) return graphError(res, 401, 'InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.');
    const seg = url.pathname.slice('/v1.0'.length).split('/').map(decodeURIComponent);
    if (ctx.faults.fires(tenant.tenantId, 'graph.throttle')) {
      const f = ctx.faults.get(tenant.tenantId, 'graph.throttle');
      return graphError(res, 429, 'TooManyRequests', 'Please retry again later.', { 'retry-after': String(f?.params['retryAfterSeconds'] ?? '1') });
    }
    // Mail (Outlook) resources: /users/{id}/mailFolders…, /users/{id}/messages…
    if (seg[1] === 'users' && seg.length > 3 && MAIL_SEGMENTS.has(seg[3]!)) {
      if (req.method !== 'GET') return graphError(res, 405, 'Request_BadRequest', 'Method not allowed in the sandbox.');
      if (!MAIL_READ.some((r) => claims.roles.includes(r))) return graphError(res, 403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
      const user = mailUser(tenant.tenantId, seg[2]!);
      if (user === 'no_mailbox') return graphError(res, 404, 'MailboxNotEnabledForRESTAPI', 'The mailbox is either inactive, soft-deleted, or is hosted on-premise.');
      if (!user) return graphError(res, 404, 'ErrorInvalidUser', `The requested user '${seg[2]}' is invalid.`);
      return mail(req, url, res, user, seg.slice(3));
    }
    // Identity & access: charged to the app + tenant resource-unit budget.
    const requestId = randomUUID();
    const base: Record<string, string> = { 'request-id': requestId, 'client-request-id': String(req.headers['client-request-id'] ?? requestId) };
    const cost = requestCost(req.method ?? 'GET', seg, url.searchParams);
    const verdict = throttle.charge(claims.appid, tenant.tenantId, tenant.directory.userTotal, cost, req.method !== 'GET');
    const fault = ctx.faults.fires(tenant.tenantId, 'graph.identity_throttle');
    if (!verdict.ok || fault) {
      const retry = fault ? String(ctx.faults.get(tenant.tenantId, 'graph.identity_throttle')?.params['retryAfterSeconds'] ?? 1) : String(verdict.ok ? 1 : verdict.retryAfterSeconds);
      const headers = verdict.ok
        ? { 'retry-after': retry, 'x-ms-throttle-scope': `Tenant_Application/${req.method === 'GET' ? 'Read' : 'ReadWrite'}/${claims.appid}/${tenant.tenantId}`, 'x-ms-throttle-information': 'ResourceUnitLimitExceeded', 'x-ms-resource-unit': String(cost) }
        : verdict.headers;
      return throttled(res, { ...base, ...headers, 'retry-after': retry });
    }
    return directory(req, url, res, tenant, claims, seg, { ...base, ...verdict.headers });
  };

  /** The mailbox owner: only the home tenant's mailbox users have Exchange Online mailboxes. */
  function mailUser(tenantId: string, key: string): EntraUser | 'no_mailbox' | undefined {
    const tenant = world.tenants.get(tenantId)!;
    const dir = tenant.directory;
    const i = dir.userIndex(key);
    const u = i === undefined ? undefined : dir.userAt(i);
    if (!u || ctx.faults.get(tenantId, 'm365.user_deleted')?.params['user'] === u.userPrincipalName) return undefined;
    if (tenant !== world.home || !dir.hasMailbox(i!)) return 'no_mailbox';
    return world.users[i!];
  }

  /** Graph's throttling body (https://learn.microsoft.com/graph/throttling#sample-response). */
  function throttled(res: ServerResponse, headers: Record<string, string>): void {
    const date = new Date(ctx.now()).toISOString().replace(/\.\d+Z$/, '');
    const body = JSON.stringify({ error: { code: 'TooManyRequests', innerError: { code: '429', date, message: 'Please retry after', 'request-id': headers['request-id'], status: '429' }, message: 'Please retry again later.' } });
    res.writeHead(429, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
    res.end(body);
  }
}

export { USER_READ };
