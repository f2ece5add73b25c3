import { AppError, toAppError } from '../../errors/index.js';
import type { CheckResult } from '../sdk/index.js';
import { REQUIRED_SCOPES, ADMIN_DIRECTORY_USER, GMAIL_MODIFY } from './config.js';
import type { GoogleDeps } from './deps.js';
import { getUser } from './directory.js';
import { listLabels } from './gmail.js';
import { UnknownSubjectError } from './token.js';
import { checkAdminApi, checkSignIn, findings, signInLabels } from './sign-in-checks.js';

/**
 * The connection doctor: one finding per prerequisite of the Google connection, in the
 * order an admin sets them up, each failing with its own catalogue code. A check whose
 * prerequisite failed is 'skipped' rather than failed, so exactly the broken link shows.
 */
export async function runChecks(deps: GoogleDeps): Promise<CheckResult[]> {
  const { config, tokens } = deps;
  const f = findings();
  const { out, pass, fail, skip } = f;
  const L = {
    ...signInLabels(config, tokens),
    delegation: (s: string) => `Domain-wide delegation grants ${s}`,
    admin: `${config.adminEmail} is a Workspace administrator`,
    adminApi: 'Admin SDK API is enabled',
    gmailApi: 'Gmail API is enabled',
  };
  const downstream = (detail: string): void => {
    if (!out.some((c) => c.id === 'token_provider')) skip('token_provider', L.tokenProvider, detail);
    for (const [id, label] of [['api:iamcredentials', L.iamApi], ['service_account', L.serviceAccount], ['token_creator', L.tokenCreator]] as const) {
      if (!out.some((c) => c.id === id)) skip(id, label, detail);
    }
    for (const s of REQUIRED_SCOPES) skip(`delegation:${s}`, L.delegation(s), detail);
    skip('admin', L.admin, detail);
    skip('api:admin', L.adminApi, detail);
    skip('api:gmail', L.gmailApi, detail);
  };

  if (!(await checkSignIn(f, { config, tokens, now: () => deps.ctx.now(), scope: ADMIN_DIRECTORY_USER, downstream }))) return out;

  // 3. Domain-wide delegation, one scope at a time so the missing one is named.
  const delegated = new Map<string, boolean>();
  let adminUnknown = false;
  for (const scope of REQUIRED_SCOPES) {
    try {
      await tokens.forUser(config.adminEmail, [scope]);
      pass(`delegation:${scope}`, L.delegation(scope));
      delegated.set(scope, true);
    } catch (e) {
      delegated.set(scope, false);
      if (e instanceof UnknownSubjectError) {
        adminUnknown = true;
        skip(`delegation:${scope}`, L.delegation(scope), `cannot be tested: Google does not know ${config.adminEmail}`);
      } else fail(`delegation:${scope}`, L.delegation(scope), e);
    }
  }

  // 4. The admin, and the Admin SDK API (a users.get of the admin answers both).
  if (adminUnknown) {
    fail('admin', L.admin, new AppError('google.admin_not_authorized', { adminEmail: config.adminEmail, domain: config.domain }));
    skip('api:admin', L.adminApi, 'needs the admin to exist');
  } else if (!delegated.get(ADMIN_DIRECTORY_USER)) {
    skip('admin', L.admin, `needs delegation of ${ADMIN_DIRECTORY_USER}`);
    skip('api:admin', L.adminApi, `needs delegation of ${ADMIN_DIRECTORY_USER}`);
  } else {
    await checkAdminApi(f, L, () => getUser(deps, config.adminEmail), (me) => {
      if (me?.isAdmin) pass('admin', L.admin);
      else fail('admin', L.admin, new AppError('google.admin_not_authorized', { adminEmail: config.adminEmail, domain: config.domain }));
    });
  }

  // 5. The Gmail API (labels.list of the admin's mailbox, 1 unit).
  if (adminUnknown || !delegated.get(GMAIL_MODIFY)) {
    skip('api:gmail', L.gmailApi, adminUnknown ? 'needs the admin to exist' : `needs delegation of ${GMAIL_MODIFY}`);
  } else {
    try {
      await listLabels(deps, config.adminEmail);
      pass('api:gmail', L.gmailApi);
    } catch (e) {
      const err = toAppError(e);
      // An admin without a Gmail licence still proves the API is on.
      if (err.code === 'google.user_not_ready') pass('api:gmail', L.gmailApi, `${config.adminEmail} has no Gmail mailbox`);
      else fail('api:gmail', L.gmailApi, err);
    }
  }
  return out;
}
