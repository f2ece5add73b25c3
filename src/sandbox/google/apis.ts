import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestUrl } from '../http.js';
import type { Customer } from './customer.js';
import type { UserRecord } from './directory-model.js';
import { directoryRoutes } from './directory.js';
import { sendGoogleError, sendInsufficientScopes, sendServiceDisabled, sendUnauthenticated } from './errors.js';
import { gmailRoutes } from './gmail.js';
import { groupRoutes } from './groups.js';
import { roleRoutes } from './roles.js';
import { serveX509 } from './x509.js';
import type { GoogleSim } from './sim.js';
import type { IssuedToken } from './tokens.js';
import { findUser, lookupUser, type GoogleApi, type User } from './world.js';

/**
 * The `google_apis` origin: Admin SDK Directory (/admin/directory/v1/…), Gmail
 * (/gmail/v1/…, /upload/gmail/v1/…) and the public service-account certificates
 * (/robot/v1/metadata/x509/…, www.googleapis.com) behind one origin, as googleapis' rootUrl
 * override expects. Every API call passes the gate Google's front end applies, in its order:
 * credentials → API enabled in the consumer project → scopes → limits → the caller's
 * privileges → the method.
 */
export interface ApiCall {
  readonly sim: GoogleSim;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  readonly token: IssuedToken;
  readonly params: readonly string[];
  /** Gmail only: the mailbox the call addresses. */
  readonly mailboxUser: User | undefined;
  /** Directory only: the impersonated admin's customer, and the admin. */
  readonly customer?: Customer;
  readonly caller?: UserRecord;
}

/** What a delegated (non-super) admin needs for a Directory method: a privilege of this family. */
export type AdminArea = 'users' | 'groups' | 'roles';

export interface ApiRoute {
  readonly api: GoogleApi;
  readonly httpMethod: 'GET' | 'POST' | 'DELETE' | 'PATCH' | 'PUT';
  readonly pattern: RegExp;
  /** Discovery-style method id, e.g. 'gmail.users.messages.import'. */
  readonly id: string;
  /** Quota units (Gmail) or 1 query (Directory). */
  readonly units: number;
  /** Any one of these scopes allows the call. */
  readonly scopes: readonly string[];
  /** Directory: the privilege family a delegated admin needs (Super Admins may do everything). */
  readonly area?: AdminArea;
  handle(call: ApiCall): Promise<void> | void;
}

const ROUTES: readonly ApiRoute[] = [...directoryRoutes, ...groupRoutes, ...roleRoutes, ...gmailRoutes];
const PRIVILEGES: Readonly<Record<AdminArea, readonly string[]>> = { users: ['USERS_'], groups: ['GROUPS_'], roles: [] };
const NOT_AUTHORIZED = 'Not Authorized to access this resource/api';

export function apisService(sim: GoogleSim) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = requestUrl(req);
    res.setHeader('date', new Date(sim.now()).toUTCString());
    if (req.method === 'GET' && url.pathname.startsWith('/robot/v1/metadata/x509/')) return serveX509(sim, res, decodeURIComponent(url.pathname.slice('/robot/v1/metadata/x509/'.length)));
    let route: ApiRoute | undefined;
    let params: string[] = [];
    for (const r of ROUTES) {
      const m = r.pattern.exec(url.pathname);
      if (m && r.httpMethod === req.method) {
        route = r;
        params = m.slice(1).map((p) => decodeURIComponent(p));
        break;
      }
    }
    if (!route) return sendGoogleError(res, 404, `Not Found: ${req.method} ${url.pathname}`, { reason: 'notFound' });
    sim.stats.requests[route.id] = (sim.stats.requests[route.id] ?? 0) + 1;

    const token = sim.tokens.fromRequest(req, sim.now());
    if (!token) return sendUnauthenticated(res, true);
    const project = sim.world.projects.get(token.projectId);
    if (!project || !sim.apiEnabled(token.projectId, route.api)) return sendServiceDisabled(res, route.api, project?.number ?? '0', true);
    if (!route.scopes.some((s) => token.scopes.includes(s))) return sendInsufficientScopes(res, route.api, route.id, true, route.scopes);

    if (route.api === 'admin') return directoryCall(sim, route, { sim, req, res, url, token, params, mailboxUser: undefined }, project.number);

    const mailboxUser = resolveMailbox(sim, res, token, params[0] ?? 'me');
    if (!mailboxUser) return;
    const release = sim.concurrency.enter(`user:${mailboxUser.id}`, sim.world.quotas.userConcurrency);
    if (!release) {
      countThrottle(sim, 'concurrency');
      return sendGoogleError(res, 429, 'Too many concurrent requests for user', {
        reason: 'rateLimitExceeded',
        domain: 'usageLimits',
        status: 'RESOURCE_EXHAUSTED',
        headers: { 'retry-after': '1' },
      });
    }
    res.once('close', release);
    if (!throttleGmail(sim, res, route, token, mailboxUser)) return;
    if (sim.now() < mailboxUser.creationTime + sim.world.quotas.newUserMailDelayMs) {
      // A new account's mailbox is provisioned a little after the account (R: fluent-smtp#152).
      return sendGoogleError(res, 400, 'Mail service not enabled', { reason: 'failedPrecondition', status: 'FAILED_PRECONDITION' });
    }
    await route.handle({ sim, req, res, url, token, params, mailboxUser });
  };
}

/**
 * A Directory call: the limits (per user per project per minute, concurrency), then the
 * impersonated user must be an administrator of their customer — a Super Admin, or a
 * delegated admin holding a privilege of the method's family
 * (R: "Not Authorized to access this resource/api").
 */
async function directoryCall(sim: GoogleSim, route: ApiRoute, call: ApiCall, projectNumber: string): Promise<void> {
  const { res, token } = call;
  const hit = token.sub ? lookupUser(sim.world, token.sub) : undefined;
  const customer = hit?.customer;
  if (customer && !throttleDirectory(sim, res, token, customer, projectNumber, route.httpMethod !== 'GET')) return;
  let release: (() => void) | null = null;
  if (customer?.directoryQuota.enabled) {
    release = sim.concurrency.enter(`directory:${customer.id}:${token.projectId}`, customer.directoryQuota.concurrency);
    if (!release) {
      countThrottle(sim, 'directory_concurrency');
      return sendQuotaExceeded(res, projectNumber);
    }
    res.once('close', release);
  }
  if (customer && customer.directoryQuota.latencyMs > 0) await new Promise((r) => setTimeout(r, customer.directoryQuota.latencyMs));
  if (!hit || !customer) return sendGoogleError(res, 403, NOT_AUTHORIZED, { reason: 'forbidden' });
  if (!sim.isAdmin(customer, hit.user) && !delegatedAllowed(sim, customer, hit.user, route.area)) return sendGoogleError(res, 403, NOT_AUTHORIZED, { reason: 'forbidden' });
  await route.handle({ ...call, customer, caller: hit.user });
}

/** A delegated admin may call a method of a family its roles hold a privilege of (roles: Super Admins only). */
function delegatedAllowed(sim: GoogleSim, customer: Customer, user: UserRecord, area: AdminArea | undefined): boolean {
  if (!area || sim.fault('google.admin_not_admin', customer)) return false;
  const prefixes = PRIVILEGES[area];
  return prefixes.length > 0 && customer.roles.hasPrivilege(user.id, prefixes);
}

function resolveMailbox(sim: GoogleSim, res: ServerResponse, token: IssuedToken, userId: string): User | undefined {
  if (!token.sub) {
    // A service account without delegation has no mailbox.
    sendGoogleError(res, 400, 'Precondition check failed.', { reason: 'failedPrecondition', status: 'FAILED_PRECONDITION' });
    return undefined;
  }
  if (userId !== 'me' && userId.toLowerCase() !== token.sub) {
    sendGoogleError(res, 403, `Delegation denied for ${token.sub}`, { reason: 'forbidden' });
    return undefined;
  }
  const user = findUser(sim.world, token.sub);
  if (!user) {
    sendGoogleError(res, 400, 'Mail service not enabled', { reason: 'failedPrecondition', status: 'FAILED_PRECONDITION' });
    return undefined;
  }
  return user;
}

function countThrottle(sim: GoogleSim, reason: string): void {
  sim.stats.throttled += 1;
  sim.stats.throttledByReason[reason] = (sim.stats.throttledByReason[reason] ?? 0) + 1;
}

function rfc3339(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * Gmail's limits. Per-user units answer 403 userRateLimitExceeded with the time to retry in
 * the message (as the mailbox-level limit does, R) and no Retry-After header; per-project
 * units answer 403 rateLimitExceeded. Throttled calls spend nothing.
 */
function throttleGmail(sim: GoogleSim, res: ServerResponse, route: ApiRoute, token: IssuedToken, user: User): boolean {
  const now = sim.now();
  if (sim.fires('gmail.throttle')) {
    countThrottle(sim, 'fault');
    sendGoogleError(res, 403, `User-rate limit exceeded.  Retry after ${rfc3339(now + 1000)}`, { reason: 'userRateLimitExceeded', domain: 'usageLimits' });
    return false;
  }
  const q = sim.world.quotas;
  const project = sim.windows.spend(`gmail:project:${token.projectId}`, route.units, q.projectUnitsPerMinute, now);
  if (!project.ok) {
    countThrottle(sim, 'project');
    sendGoogleError(res, 403, 'Rate Limit Exceeded', { reason: 'rateLimitExceeded', domain: 'usageLimits' });
    return false;
  }
  const perUser = sim.windows.spend(`gmail:user:${token.projectId}:${user.id}`, route.units, q.userUnitsPerMinute, now);
  if (!perUser.ok) {
    countThrottle(sim, 'user');
    sendGoogleError(res, 403, `User-rate limit exceeded.  Retry after ${rfc3339(perUser.retryAtMs)}`, { reason: 'userRateLimitExceeded', domain: 'usageLimits' });
    return false;
  }
  sim.stats.unitsSpent += route.units;
  return true;
}

/**
 * The Directory's per-minute limit: "Queries per minute per user" of admin.googleapis.com
 * for the consumer project (developers.google.com/admin-sdk/directory/v1/limits), as
 * 403 userRateLimitExceeded without Retry-After. Off when the customer's limits are off.
 */
function throttleDirectory(sim: GoogleSim, res: ServerResponse, token: IssuedToken, customer: Customer, projectNumber: string, write: boolean): boolean {
  // Writes (members.delete, roleAssignments.delete, …) spend the same per-user query quota; this fault refuses only them.
  if (write && sim.fault('google.directory_write_throttle', customer) && sim.fires('google.directory_write_throttle', customer)) {
    countThrottle(sim, 'directory_write_fault');
    sendUserRateLimited(res, projectNumber);
    return false;
  }
  const fault = sim.fault('google.directory_throttle', customer);
  if (fault && sim.fires('google.directory_throttle', customer)) {
    countThrottle(sim, 'directory_fault');
    if (fault.params['reason'] === 'quotaExceeded') sendQuotaExceeded(res, projectNumber);
    else sendUserRateLimited(res, projectNumber);
    return false;
  }
  const q = customer.directoryQuota;
  if (!q.enabled) return true;
  const who = token.sub ?? token.serviceAccount;
  const r = sim.windows.spend(`directory:${token.projectId}:${who}`, 1, q.queriesPerMinute, sim.now());
  if (r.ok) return true;
  countThrottle(sim, 'directory');
  sendUserRateLimited(res, projectNumber);
  return false;
}

function sendUserRateLimited(res: ServerResponse, projectNumber: string): void {
  sendGoogleError(
    res,
    403,
    `Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service 'admin.googleapis.com' for consumer 'project_number:${projectNumber}'.`,
    { reason: 'userRateLimitExceeded', domain: 'usageLimits' },
  );
}

/** The concurrent-request limit (403 quotaExceeded; M: Google does not publish the wording). */
function sendQuotaExceeded(res: ServerResponse, projectNumber: string): void {
  sendGoogleError(res, 403, `Quota exceeded for quota metric 'Concurrent requests' of service 'admin.googleapis.com' for consumer 'project_number:${projectNumber}'.`, {
    reason: 'quotaExceeded',
    domain: 'usageLimits',
  });
}
