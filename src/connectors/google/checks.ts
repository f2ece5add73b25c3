import { AppError, toAppError } from '../../errors/index.js';
import type { CheckResult } from '../sdk/index.js';
import { parseKeyJson, REQUIRED_SCOPES, ADMIN_DIRECTORY_USER, GMAIL_MODIFY } from './config.js';
import type { GoogleDeps } from './deps.js';
import { getUser } from './directory.js';
import { listLabels } from './gmail.js';
import { UnknownSubjectError } from './token.js';

/**
 * The connection doctor: one finding per prerequisite of the Google connection, in the
 * order an admin sets them up, each failing with its own catalogue code. A check whose
 * prerequisite failed is 'skipped' rather than failed, so exactly the broken link shows.
 */
export async function runChecks(deps: GoogleDeps): Promise<CheckResult[]> {
  const { config, tokens } = deps;
  const out: CheckResult[] = [];
  const pass = (id: string, label: string, detail?: string): void => void out.push({ id, label, status: 'pass', ...(detail ? { detail } : {}) });
  const fail = (id: string, label: string, e: unknown): void => void out.push({ id, label, status: 'fail', error: toAppError(e).toJSON() });
  const skip = (id: string, label: string, detail: string): void => void out.push({ id, label, status: 'skipped', detail });
  const keyless = config.auth.type === 'impersonation';
  const L = {
    credential: keyless ? 'Read the Syncwarden token provider key' : 'Read the service-account key file',
    tokenProvider: 'Sign in as the Syncwarden token provider',
    iamApi: 'IAM Service Account Credentials API answers',
    serviceAccount: keyless ? `Service account ${config.serviceAccountEmail} exists` : `Sign in as ${tokens.serviceAccountEmail} with its key`,
    tokenCreator: `Token provider may sign as ${config.serviceAccountEmail} (Service Account Token Creator)`,
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

  // 1. The credential Syncwarden holds.
  try {
    const key = config.auth.type === 'impersonation' ? parseKeyJson(config.auth.tokenProviderKeyJson, 'token provider key') : parseKeyJson(config.auth.keyJson, 'service account key');
    if (config.auth.type === 'service_account_key' && key.client_email.toLowerCase() !== config.serviceAccountEmail) {
      out.push({ id: 'credential', label: L.credential, status: 'warning', detail: `the key belongs to ${key.client_email}, not ${config.serviceAccountEmail}; Syncwarden signs in as ${key.client_email}` });
    } else pass('credential', L.credential, key.client_email);
  } catch (e) {
    fail('credential', L.credential, e);
    downstream('needs a readable credential');
    return out;
  }

  // 2. The identity that signs delegation JWTs.
  if (keyless) {
    try {
      await tokens.tokenProvider();
      pass('token_provider', L.tokenProvider);
    } catch (e) {
      fail('token_provider', L.tokenProvider, e);
      downstream('needs the token provider to sign in');
      return out;
    }
    const nowS = Math.floor(deps.ctx.now().getTime() / 1000);
    try {
      await tokens.signAsServiceAccount({ iss: config.serviceAccountEmail, sub: config.adminEmail, scope: ADMIN_DIRECTORY_USER, aud: tokens.audience, iat: nowS, exp: nowS + 3600 });
      pass('api:iamcredentials', L.iamApi);
      pass('service_account', L.serviceAccount);
      pass('token_creator', L.tokenCreator);
    } catch (e) {
      const err = toAppError(e);
      if (err.code === 'google.api_disabled') fail('api:iamcredentials', L.iamApi, err);
      else pass('api:iamcredentials', L.iamApi);
      if (err.code === 'google.service_account_not_found') fail('service_account', L.serviceAccount, err);
      else if (err.code !== 'google.api_disabled' && err.code !== 'google.token_creator_missing') fail('token_creator', L.tokenCreator, err);
      if (err.code === 'google.token_creator_missing') fail('token_creator', L.tokenCreator, err);
      downstream('needs the token provider to sign as the service account');
      return out;
    }
  } else {
    skip('token_provider', L.tokenProvider, 'not used by the service-account key method');
    skip('api:iamcredentials', L.iamApi, 'not used by the service-account key method');
    try {
      await tokens.serviceAccountSelf();
      pass('service_account', L.serviceAccount);
    } catch (e) {
      fail('service_account', L.serviceAccount, e);
      skip('token_creator', L.tokenCreator, 'not used by the service-account key method');
      downstream('needs the service account to sign in');
      return out;
    }
    skip('token_creator', L.tokenCreator, 'not used by the service-account key method');
  }

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
    try {
      const me = await getUser(deps, config.adminEmail);
      pass('api:admin', L.adminApi);
      if (me?.isAdmin) pass('admin', L.admin);
      else fail('admin', L.admin, new AppError('google.admin_not_authorized', { adminEmail: config.adminEmail, domain: config.domain }));
    } catch (e) {
      const err = toAppError(e);
      if (err.code === 'google.api_disabled') {
        fail('api:admin', L.adminApi, err);
        skip('admin', L.admin, 'needs the Admin SDK API');
      } else {
        // Anything but "disabled" means the API answered.
        pass('api:admin', L.adminApi);
        fail('admin', L.admin, err);
      }
    }
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
