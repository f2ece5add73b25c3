import type { IncomingMessage } from 'node:http';
import { checkScope, checkTime, parseAuth, signatureMatches, SIGNATURE_MISMATCH } from './sigv4.js';
import type { AwsSim, Caller } from './sim.js';
import { AwsError } from './xml.js';

/**
 * Who signed the request, checked in the order AWS does: the signature's shape and scope,
 * its time (15 minutes either way), the access key (unknown or deactivated keys both answer
 * InvalidClientTokenId), the signature itself, then a session's expiry.
 */
const invalidToken = (): AwsError => new AwsError(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');

function keyFault(sim: AwsSim, name: 'aws.access_key_invalid' | 'aws.access_key_inactive' | 'aws.secret_rotated', accessKeyId: string): boolean {
  const f = sim.fault(name);
  if (!f) return false;
  const only = f.params['accessKeyId'];
  return only === undefined || only === '' || only === accessKeyId;
}

export function authenticate(sim: AwsSim, req: IncomingMessage, body: Buffer, service: 'iam' | 'sts'): Caller {
  const a = parseAuth(req.headers);
  checkScope(a, service);
  const now = sim.nowMs();
  checkTime(a, now);
  const parts = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body };
  const world = sim.world;
  if (a.accessKeyId.startsWith('ASIA')) {
    const session = sim.sessions.get(a.accessKeyId);
    if (!session || a.securityToken !== session.token) throw invalidToken();
    if (!signatureMatches(parts, a, session.secret)) throw new AwsError(403, 'SignatureDoesNotMatch', SIGNATURE_MISMATCH);
    if (session.expirationMs <= sim.ctx.now() || sim.fault('aws.session_expired')) throw new AwsError(403, 'ExpiredToken', 'The security token included in the request is expired');
    const role = world.findRole(session.roleName);
    if (!role) throw invalidToken();
    return { kind: 'role', role, session };
  }
  const key = world.findKey(a.accessKeyId);
  if (!key || a.securityToken !== undefined || keyFault(sim, 'aws.access_key_invalid', a.accessKeyId)) throw invalidToken();
  if (key.status !== 'Active' || keyFault(sim, 'aws.access_key_inactive', a.accessKeyId)) throw invalidToken();
  const secret = keyFault(sim, 'aws.secret_rotated', a.accessKeyId) ? `${key.secret}-rotated` : key.secret;
  if (!signatureMatches(parts, a, secret)) throw new AwsError(403, 'SignatureDoesNotMatch', SIGNATURE_MISMATCH);
  const user = world.findUser(key.userName);
  if (!user) throw invalidToken();
  // What GetAccessKeyLastUsed reports (AWS records it with a delay of hours; here at once).
  world.patchKey(key.accessKeyId, { lastUsed: { dateMs: sim.ctx.now(), service, region: a.region } });
  return { kind: 'user', user, accessKeyId: key.accessKeyId };
}
