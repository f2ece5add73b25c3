import { AppError } from '../../errors/index.js';
import { ADMIN_DIRECTORY_USER } from './config.js';
import { badResponse, commonError, describe, parseGoogleError } from './errors.js';
import type { GoogleDeps } from './deps.js';
import { UnknownSubjectError } from './token.js';

/**
 * Directory users.delete, for continuity's account lifecycle: a Google account Syncwarden
 * created for a user who has since left the policy is deleted after the policy's deletion
 * delay. 204 = deleted; 404 = already gone (an outcome, not an error). Google keeps a deleted
 * account restorable for 20 days (Admin console > Users > Deleted users).
 * https://developers.google.com/admin-sdk/directory/reference/rest/v1/users/delete
 */
export async function deleteDirectoryUser(deps: GoogleDeps, userKey: string, retried = false): Promise<boolean> {
  let token: string;
  try {
    token = await deps.tokens.forUser(deps.config.adminEmail, [ADMIN_DIRECTORY_USER]);
  } catch (e) {
    if (e instanceof UnknownSubjectError) throw new AppError('google.admin_not_authorized', { adminEmail: deps.config.adminEmail, domain: deps.config.domain }, { cause: e });
    throw e;
  }
  const res = await deps.ctx.http.request({
    method: 'DELETE',
    url: `${deps.endpoints.admin}/admin/directory/v1/users/${encodeURIComponent(userKey)}`,
    headers: { authorization: `Bearer ${token}` },
  });
  if (res.status === 204 || res.status === 200) return true;
  if (res.status === 404) return false;
  if (res.status === 401 && !retried) {
    deps.tokens.invalidate(deps.config.adminEmail, [ADMIN_DIRECTORY_USER]);
    return deleteDirectoryUser(deps, userKey, true);
  }
  const common = commonError(res, 'Admin SDK API', deps.ctx.now().getTime());
  if (common && common.code !== 'provider.bad_response') throw common;
  const e = parseGoogleError(res);
  if (res.status === 403 && e?.reasons.includes('forbidden')) throw new AppError('google.admin_not_authorized', { adminEmail: deps.config.adminEmail, domain: deps.config.domain });
  throw badResponse(`users.delete answered ${describe(e, res)}`);
}
