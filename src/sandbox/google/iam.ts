import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, requestUrl, sendJson } from '../http.js';
import { sendGoogleError, sendInsufficientScopes, sendServiceDisabled, sendUnauthenticated } from './errors.js';
import { signRs256 } from './jwt.js';
import type { GoogleSim } from './sim.js';
import { SCOPES } from './world.js';

/**
 * IAM Service Account Credentials API v1: signJwt and generateAccessToken on
 * `projects/-/serviceAccounts/{email or unique id}`. The caller (the bearer token's
 * principal) needs roles/iam.serviceAccountTokenCreator on the target.
 * https://cloud.google.com/iam/docs/reference/credentials/rest
 */
const ROUTE = /^\/v1\/projects\/-\/serviceAccounts\/([^/:]+):(signJwt|generateAccessToken)$/;
const MAX_SIGNED_EXP_S = 12 * 3600;

export function iamService(sim: GoogleSim) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = requestUrl(req);
    res.setHeader('date', new Date(sim.now()).toUTCString());
    const m = ROUTE.exec(url.pathname);
    if (req.method !== 'POST' || !m) {
      return sendGoogleError(res, 404, `Method not found.`, { legacy: false, status: 'NOT_FOUND' });
    }
    const target = decodeURIComponent(m[1]!);
    const method = m[2] as 'signJwt' | 'generateAccessToken';
    sim.stats.requests[`iamcredentials.${method}`] = (sim.stats.requests[`iamcredentials.${method}`] ?? 0) + 1;

    const caller = sim.tokens.fromRequest(req, sim.now());
    if (!caller) return sendUnauthenticated(res, false);
    const project = sim.world.projects.get(caller.projectId);
    if (!project || !sim.apiEnabled(caller.projectId, 'iamcredentials')) {
      return sendServiceDisabled(res, 'iamcredentials', project?.number ?? '0', false);
    }
    if (!caller.scopes.includes(SCOPES.cloudPlatform) && !caller.scopes.includes(SCOPES.iam)) {
      return sendInsufficientScopes(res, 'iamcredentials', `google.iam.credentials.v1.IAMCredentials.${cap(method)}`, false, [SCOPES.cloudPlatform]);
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse((await readBody(req, 1 << 20)).toString('utf8') || '{}') as Record<string, unknown>;
    } catch {
      return sendGoogleError(res, 400, 'Invalid JSON payload received.', { legacy: false, status: 'INVALID_ARGUMENT' });
    }
    const state = sim.serviceAccountState(target);
    if (!state || state.state === 'deleted') return sendGoogleError(res, 404, `Not found; Gaia id not found for email ${target}`, { legacy: false, status: 'NOT_FOUND' });
    const sa = state.sa;
    const member = caller.sub ?? caller.serviceAccount;
    const permission = method === 'signJwt' ? 'iam.serviceAccounts.signJwt' : 'iam.serviceAccounts.getAccessToken';
    if (!sim.hasTokenCreator(member, sa.email)) {
      return sendGoogleError(res, 403, `Permission '${permission}' denied on resource (or it may not exist).`, {
        legacy: false,
        status: 'PERMISSION_DENIED',
        details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'IAM_PERMISSION_DENIED', domain: 'iam.googleapis.com', metadata: { permission } }],
      });
    }
    if (state.state === 'disabled') {
      // The role is checked first; a disabled target then cannot sign or mint (M: wording).
      return sendGoogleError(res, 400, `Service account ${sa.email} is disabled.`, { legacy: false, status: 'FAILED_PRECONDITION' });
    }
    const nowS = Math.floor(sim.now() / 1000);

    if (method === 'signJwt') {
      let claims: unknown;
      try {
        claims = JSON.parse(String(body['payload'] ?? ''));
      } catch {
        claims = undefined;
      }
      if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
        return sendGoogleError(res, 400, 'Payload must be a JSON object.', { legacy: false, status: 'INVALID_ARGUMENT' });
      }
      const c = { ...(claims as Record<string, unknown>) };
      if (c['exp'] === undefined) c['exp'] = nowS + 3600;
      if (typeof c['exp'] !== 'number' || c['exp'] > nowS + MAX_SIGNED_EXP_S) {
        return sendGoogleError(res, 400, 'Payload exp must be no more than 12 hours in the future.', { legacy: false, status: 'INVALID_ARGUMENT' });
      }
      return sendJson(res, 200, { keyId: sa.googleManagedKey.keyId, signedJwt: signRs256(c, sa.googleManagedKey) });
    }

    const scope = Array.isArray(body['scope']) ? body['scope'].filter((s): s is string => typeof s === 'string') : [];
    if (scope.length === 0) return sendGoogleError(res, 400, 'Scope required.', { legacy: false, status: 'INVALID_ARGUMENT' });
    const lifetime = typeof body['lifetime'] === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(body['lifetime']) : null;
    const seconds = lifetime ? Number(lifetime[1]) : 3600;
    if (!(seconds >= 1 && seconds <= 3600)) {
      return sendGoogleError(res, 400, 'The lifetime requested exceeds the maximum of 3600s allowed for this service account.', { legacy: false, status: 'INVALID_ARGUMENT' });
    }
    const issued = sim.tokens.issue({ serviceAccount: sa.email, sub: null, scopes: scope, projectId: sa.projectId, expiresAtMs: sim.now() + seconds * 1000 });
    sendJson(res, 200, { accessToken: issued.token, expireTime: new Date(issued.expiresAtMs).toISOString().replace(/\.\d{3}Z$/, 'Z') });
  };
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
