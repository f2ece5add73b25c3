import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerToken, requestUrl } from '../http.js';
import type { SandboxContext } from '../types.js';
import { verifyGraphToken } from './entra.js';
import { graphError } from './graph-common.js';
import { createGraphDirectory } from './graph-directory.js';
import { createGraphMail, type GraphQuotas } from './graph-mail.js';
import { createGraphMailWriter, type UploadQuota } from './graph-mail-write.js';
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

const MAIL_WRITE = ['Mail.ReadWrite'];

export function createGraphListener(ctx: SandboxContext, world: MicrosoftWorld, quotas: GraphQuotas, identity: IdentityThrottleConfig, uploadQuota: UploadQuota = { bytesPer5Min: 150 * 1024 * 1024 }) {
  const writer = createGraphMailWriter(ctx, world, uploadQuota);
  const mail = createGraphMail(ctx, world, quotas, writer);
  const directory = createGraphDirectory(ctx);
  const throttle = createIdentityThrottle(identity, ctx.now);

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = requestUrl(req);
    // Attachment upload sessions: pre-authenticated URLs (no bearer token), on the same service.
    if (url.pathname.startsWith('/upload/attachmentSessions/')) {
      if (await outage(world.tenantId, res)) return;
      return writer.upload(req, res, url, mail.withQuota);
    }
    if (!url.pathname.startsWith('/v1.0/')) return graphError(res, 400, 'BadRequest', 'Invalid version.');
    const token = bearerToken(req);
    if (!token) return graphError(res, 401, 'InvalidAuthenticationToken', 'Access token is empty.');
    const claims = await verifyGraphToken(world, token, ctx.now());
    if (!claims) return graphError(res, 401, 'InvalidAuthenticationToken', 'Access token has expired or is not yet valid.');
    const tenant = world.tenants.get(claims.tid);
    if (!tenant) return graphError(res, 401, 'InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.');
    const seg = url.pathname.slice('/v1.0'.length).split('/').map(decodeURIComponent);
    if (await outage(tenant.tenantId, res)) return;
    if (ctx.faults.fires(tenant.tenantId, 'graph.throttle')) {
      const f = ctx.faults.get(tenant.tenantId, 'graph.throttle');
      return graphError(res, 429, 'TooManyRequests', 'Please retry again later.', { 'retry-after': String(f?.params['retryAfterSeconds'] ?? '1') });
    }
    // Mail (Outlook) resources: /users/{id}/mailFolders…, /users/{id}/messages…
    if (seg[1] === 'users' && seg.length > 3 && MAIL_SEGMENTS.has(seg[3]!)) {
      if (!MAIL_READ.some((r) => claims.roles.includes(r))) return graphError(res, 403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
      // Writing (creating messages and folders, attachments) needs Mail.ReadWrite.
      if (req.method !== 'GET' && !MAIL_WRITE.some((r) => claims.roles.includes(r))) return graphError(res, 403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
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
    const writeFault = req.method !== 'GET' && ctx.faults.fires(tenant.tenantId, 'graph.write_throttle');
    if (writeFault) {
      const retry = String(ctx.faults.get(tenant.tenantId, 'graph.write_throttle')?.params['retryAfterSeconds'] ?? 1);
      return throttled(res, { ...base, 'retry-after': retry, 'x-ms-throttle-scope': `Tenant_Application/ReadWrite/${claims.appid}/${tenant.tenantId}`, 'x-ms-throttle-information': 'WriteLimitExceeded', 'x-ms-resource-unit': String(cost) });
    }
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

  /**
   * The m365.outage fault: Graph answers 503 (mode "error", the default), never answers until
   * the socket is dropped after `ms` (mode "timeout"), or alternates (mode "mixed"). True when
   * the request was answered (or dropped) by the outage.
   */
  async function outage(tenantId: string, res: ServerResponse): Promise<boolean> {
    const f = ctx.faults.get(tenantId, 'm365.outage');
    if (!f || !ctx.faults.fires(tenantId, 'm365.outage')) return false;
    const mode = String(f.params['mode'] ?? 'error');
    const timeout = mode === 'timeout' || (mode === 'mixed' && f.hits % 2 === 0);
    if (timeout) {
      await new Promise((r) => setTimeout(r, Number(f.params['ms'] ?? 30_000)));
      res.destroy();
      return true;
    }
    graphError(res, Number(f.params['status'] ?? 503), 'serviceNotAvailable', 'The service is temporarily unavailable. Please retry later.');
    return true;
  }

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
