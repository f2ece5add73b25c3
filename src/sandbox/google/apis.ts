import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestUrl } from '../http.js';
import { sendGoogleError, sendInsufficientScopes, sendServiceDisabled, sendUnauthenticated } from './errors.js';
import type { GoogleSim } from './sim.js';
import type { IssuedToken } from './tokens.js';
import { findUser, type GoogleApi, type User } from './world.js';
import { directoryRoutes } from './directory.js';
import { gmailRoutes } from './gmail.js';

/**
 * The `google_apis` origin: Admin SDK Directory (/admin/directory/v1/…) and Gmail
 * (/gmail/v1/…, /upload/gmail/v1/…) behind one origin, as googleapis' rootUrl override
 * expects. Every call passes the same gate Google's front end applies, in its order:
 * credentials → API enabled in the consumer project → scopes → limits → the method.
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
}

export interface ApiRoute {
  readonly api: GoogleApi;
  readonly httpMethod: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly pattern: RegExp;
  /** Discovery-style method id, e.g. 'gmail.users.messages.import'. */
  readonly id: string;
  /** Quota units (Gmail) or 1 query (Directory). */
  readonly units: number;
  /** Any one of these scopes allows the call. */
  readonly scopes: readonly string[];
  handle(call: ApiCall): Promise<void> | void;
}

const ROUTES: readonly ApiRoute[] = [...directoryRoutes, ...gmailRoutes];

export function apisService(sim: GoogleSim) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = requestUrl(req);
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

    if (route.api === 'admin') {
      if (!throttleDirectory(sim, res, token, project.number)) return;
      const caller = token.sub ? findUser(sim.world, token.sub) : undefined;
      // The impersonated user must be an administrator of the customer (R: "Not Authorized to access this resource/api").
      if (!caller || !sim.isAdmin(caller)) return sendGoogleError(res, 403, 'Not Authorized to access this resource/api', { reason: 'forbidden' });
      return route.handle({ sim, req, res, url, token, params, mailboxUser: undefined });
    }

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

function throttleDirectory(sim: GoogleSim, res: ServerResponse, token: IssuedToken, projectNumber: string): boolean {
  const now = sim.now();
  const who = token.sub ?? token.serviceAccount;
  const r = sim.windows.spend(`directory:${token.projectId}:${who}`, 1, sim.world.quotas.directoryQueriesPerMinute, now);
  if (r.ok) return true;
  countThrottle(sim, 'directory');
  sendGoogleError(
    res,
    403,
    `Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service 'admin.googleapis.com' for consumer 'project_number:${projectNumber}'.`,
    { reason: 'userRateLimitExceeded', domain: 'usageLimits' },
  );
  return false;
}
