import { z } from 'zod';
import { AppError } from '../../errors/index.js';
import type { HttpResponse, RevokeOutcome, RevokeTarget } from '../sdk/index.js';
import { readMembers } from './groups.js';
import { failure, looksHtml, notScim, parseBody, parseScimError, scimCall, type ScimDeps } from './http.js';
import { boolish, PATCH_OP } from './wire.js';

/**
 * Write-back: take a member out of a group with PATCH (RFC 7644 §3.5.2.2). First the RFC's
 * filter path; servers that do not take filter paths answer 400 invalidPath/invalidSyntax
 * (or noTarget), and get Entra ID's form instead — path "members" with the values to
 * remove (learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups).
 * Idempotent: a group or member already gone is the outcome 'already_gone'.
 *
 * Entra ID's form is not safe everywhere: read literally, RFC 7644 §3.5.2.2 removes *every*
 * value when `remove` names "members" without a filter. So after that form the members are
 * read again, and any other member the app dropped with it is added straight back.
 */
export async function revoke(deps: ScimDeps, target: RevokeTarget): Promise<RevokeOutcome> {
  if (target.type === 'account') return deactivate(deps, target.accountId);
  if (target.type !== 'membership') {
    throw new AppError('directory.revoke_unsupported', { what: target.type === 'grant' ? 'an entitlement grant (a SCIM app has none; revoke the group membership instead)' : 'a credential (SCIM apps expose none)' });
  }
  const { groupId, memberId } = target;
  const rfc = await patch(deps, groupId, { op: 'remove', path: `members[value eq ${JSON.stringify(memberId)}]` });
  if (rfc.status === 200 || rfc.status === 204) return 'revoked';
  if (rfc.status === 404) return 'already_gone';
  const scimType = rfc.status === 400 ? (parseScimError(rfc)?.scimType ?? '').toLowerCase() : '';
  if (!['notarget', 'invalidpath', 'invalidsyntax', 'invalidfilter'].includes(scimType)) throw patchFailure(deps, rfc, groupId, memberId);
  // noTarget means "nothing matched" on a server that understood the filter, or a server
  // that did not: the group's members tell which.
  const before = await readMembers(deps, groupId);
  if (before === 'gone' || !before.some((m) => m.value === memberId)) return 'already_gone';
  const entra = await patch(deps, groupId, { op: 'Remove', path: 'members', value: [{ value: memberId }] });
  if (entra.status === 404) return 'already_gone';
  if (entra.status !== 200 && entra.status !== 204) throw patchFailure(deps, entra, groupId, memberId);
  const after = await readMembers(deps, groupId);
  if (after === 'gone') return 'revoked';
  const lost = before.filter((m) => m.value !== memberId && !after.some((a) => a.value === m.value));
  if (lost.length > 0) {
    const restore = await patch(deps, groupId, { op: 'add', path: 'members', value: lost.map((m) => ({ value: m.value })) });
    if (restore.status !== 200 && restore.status !== 204) {
      throw new AppError('scim.revoke_rejected', {
        groupId,
        memberId,
        detail: `the app removed ${lost.length} other members with it and refused to add them back (HTTP ${restore.status}); add them again in the app's admin console: ${lost.map((m) => m.value).join(', ').slice(0, 300)}`,
      });
    }
  }
  return 'revoked';
}

async function patch(deps: ScimDeps, groupId: string, op: Record<string, unknown>): Promise<HttpResponse> {
  // Removing a member twice removes nothing more, so the client may resend after a lost answer.
  return scimCall(deps, 'PATCH', `/Groups/${encodeURIComponent(groupId)}`, { body: { schemas: [PATCH_OP], Operations: [op] }, idempotent: true });
}

function patchFailure(deps: ScimDeps, res: HttpResponse, groupId: string, memberId: string): AppError {
  const baseUrl = deps.config.baseUrl;
  if (looksHtml(res)) return notScim(deps, res, 'PATCH /Groups/{id}');
  if (res.status === 501) return new AppError('scim.patch_unsupported', { baseUrl });
  if (res.status === 403) return new AppError('scim.write_forbidden', { baseUrl, what: `group ${groupId}` });
  if (res.status === 400 || res.status === 409 || res.status === 412) {
    const e = parseScimError(res);
    return new AppError('scim.revoke_rejected', { groupId, memberId, detail: e?.detail ? `${e.scimType ? `${e.scimType}: ` : ''}${e.detail.slice(0, 200)}` : `HTTP ${res.status}` });
  }
  return failure(deps, res, 'groups', 'PATCH /Groups/{id}');
}

const userActive = z.object({ id: z.string().optional(), active: boolish.nullish() });

/** The user's `active` (absent = active, as RFC 7643 §4.1.1 leaves it to the app); null when the user is gone. */
async function readActive(deps: ScimDeps, userId: string): Promise<boolean | null> {
  const where = 'GET /Users/{id}';
  const res = await scimCall(deps, 'GET', `/Users/${encodeURIComponent(userId)}`, { query: { attributes: 'active' } });
  if (res.status === 404) return null;
  if (res.status !== 200) throw failure(deps, res, 'users', where);
  return parseBody(deps, res, userActive, where).active ?? true;
}

/**
 * Account deactivation (RFC 7644 §3.5.2.3): `{"op":"replace","path":"active","value":false}`;
 * a server that refuses the path form (400 invalidPath / invalidSyntax / noTarget) gets the
 * path-less value-object form `{"op":"replace","value":{"active":false}}` that Entra-style
 * servers take. Already inactive, or the user gone: already_gone. Never DELETE: deactivation
 * is reversible, deletion is not.
 */
async function deactivate(deps: ScimDeps, userId: string): Promise<RevokeOutcome> {
  const before = await readActive(deps, userId);
  if (before === null || before === false) return 'already_gone';
  const path = `/Users/${encodeURIComponent(userId)}`;
  const send = (op: Record<string, unknown>) => scimCall(deps, 'PATCH', path, { body: { schemas: [PATCH_OP], Operations: [op] }, idempotent: true });
  let res = await send({ op: 'replace', path: 'active', value: false });
  if (res.status === 400 && ['invalidpath', 'invalidsyntax', 'notarget'].includes((parseScimError(res)?.scimType ?? '').toLowerCase())) {
    res = await send({ op: 'replace', value: { active: false } });
  }
  if (res.status === 200 || res.status === 204) return 'revoked';
  if (res.status === 404) return 'already_gone';
  const baseUrl = deps.config.baseUrl;
  if (looksHtml(res)) throw notScim(deps, res, 'PATCH /Users/{id}');
  if (res.status === 501) throw new AppError('scim.patch_unsupported', { baseUrl });
  if (res.status === 403) throw new AppError('scim.write_forbidden', { baseUrl, what: `user ${userId}` });
  if (res.status === 400 || res.status === 409 || res.status === 412) {
    const e = parseScimError(res);
    throw new AppError('scim.deactivate_rejected', { userId, detail: e?.detail ? `${e.scimType ? `${e.scimType}: ` : ''}${e.detail.slice(0, 200)}` : `HTTP ${res.status}` });
  }
  throw failure(deps, res, 'users', 'PATCH /Users/{id}');
}

/**
 * Verification: the one membership (the group filtered on the member, RFC 7644 §3.4.2.2 value
 * path; the group's members when the app cannot filter so), or the user's `active`.
 */
export async function stillHeld(deps: ScimDeps, target: RevokeTarget): Promise<boolean> {
  if (target.type === 'account') return (await readActive(deps, target.accountId)) === true;
  if (target.type !== 'membership') throw new AppError('directory.revoke_unsupported', { what: target.type === 'grant' ? 'an entitlement grant' : 'a credential' });
  const filter = `id eq ${JSON.stringify(target.groupId)} and members[value eq ${JSON.stringify(target.memberId)}]`;
  const res = await scimCall(deps, 'GET', '/Groups', { query: { filter, attributes: 'id', count: 1 } });
  if (res.status === 200) {
    const body = parseBody(deps, res, listShape, 'GET /Groups?filter=');
    if (body.totalResults !== undefined) return body.totalResults > 0;
    return (body.Resources ?? []).length > 0;
  }
  if (res.status !== 400 && res.status !== 403 && res.status !== 501) throw failure(deps, res, 'groups', 'GET /Groups?filter=');
  // No filtering on members here: read the group's members.
  const members = await readMembers(deps, target.groupId);
  return members !== 'gone' && members.some((m) => m.value === target.memberId);
}

const listShape = z.object({ totalResults: z.number().optional(), Resources: z.array(z.unknown()).optional() });
