import { AppError, toAppError } from '../../errors/index.js';
import type { CheckResult } from '../sdk/index.js';
import { DIRECTORY_READ_SCOPES, DIRECTORY_USER_READONLY, DIRECTORY_WRITE_SCOPES } from './config.js';
import { getUser, type DirectoryApiDeps } from './directory-api.js';
import { describeKeyAge, keyCertificate } from './key-age.js';
import { UnknownSubjectError } from './token.js';
import { checkAdminApi, checkSignIn, findings, signInLabels } from './sign-in-checks.js';

/**
 * The doctor of a Google Workspace directory connection: one finding per prerequisite, in
 * the order an admin sets them up — clock, credential, token provider and Token Creator role
 * (keyless) or key (key method), each delegation scope on its own, the Admin SDK API, the
 * admin. A check whose prerequisite failed is 'skipped', so exactly the broken link shows.
 * A scope Google grants on some quick retries and refuses on others is still propagating
 * (a warning), not missing.
 */
const PROBES = 4;
const PROBE_PAUSE_MS = 100;
/** Google accepts assertions a few minutes off its clock; warn well before that. */
const SKEW_WARN_S = 60;
const SKEW_FAIL_S = 300;

export async function runDirectoryChecks(deps: DirectoryApiDeps): Promise<CheckResult[]> {
  const { config, tokens, ctx, endpoints } = deps;
  const f = findings();
  const { out, has, pass, fail } = f;
  const warn = (id: string, label: string, e: AppError, detail: string): void => void out.push({ id, label, status: 'warning', error: e.toJSON(), detail });
  const { skip } = f;
  const scopes = [...DIRECTORY_READ_SCOPES, ...(config.writeBack ? DIRECTORY_WRITE_SCOPES : [])];
  const L = {
    clock: "This server's clock agrees with Google's",
    ...signInLabels(config, tokens),
    delegation: (s: string) => `Domain-wide delegation grants ${s}`,
    adminApi: 'Admin SDK API is enabled',
    admin: `${config.adminEmail} is a Workspace administrator`,
  };
  /** Skips every check not yet reported. */
  const downstream = (detail: string): void => {
    const all: [string, string][] = [
      ['credential', L.credential],
      ['token_provider', L.tokenProvider],
      ['api:iamcredentials', L.iamApi],
      ['service_account', L.serviceAccount],
      ['token_creator', L.tokenCreator],
      ...scopes.map((s): [string, string] => [`delegation:${s}`, L.delegation(s)]),
      ['api:admin', L.adminApi],
      ['admin', L.admin],
    ];
    for (const [id, label] of all) if (!has(id)) skip(id, label, detail);
  };

  // 0. The clock: Google refuses assertions whose iat/exp are off its own clock.
  try {
    const res = await ctx.http.request({ method: 'GET', url: `${endpoints.oauth}/tokeninfo`, timeoutMs: 15_000 });
    const date = Date.parse(res.headers.get('date') ?? '');
    if (Number.isNaN(date)) skip('clock', L.clock, 'Google sent no Date header to compare with');
    else {
      const skewS = (ctx.now().getTime() - date) / 1000;
      const detail = `this server's clock is ${Math.abs(Math.round(skewS))} s ${skewS >= 0 ? 'ahead of' : 'behind'} Google's`;
      if (Math.abs(skewS) > SKEW_FAIL_S) {
        fail('clock', L.clock, new AppError('google.clock_skew', { detail }), detail);
        downstream('needs a correct clock');
        return out;
      }
      if (Math.abs(skewS) > SKEW_WARN_S) warn('clock', L.clock, new AppError('google.clock_skew', { detail }), detail);
      else pass('clock', L.clock, detail);
    }
  } catch (e) {
    fail('clock', L.clock, e);
    downstream('needs Google to answer');
    return out;
  }

  const describeKey = async (): Promise<string | null> => {
    const age = await keyCertificate(ctx, config, endpoints);
    return age ? describeKeyAge(age, ctx.now()) : null;
  };
  if (!(await checkSignIn(f, { config, tokens, now: () => ctx.now(), scope: DIRECTORY_USER_READONLY, describeKey, downstream }))) return out;

  // 3. Domain-wide delegation, one scope at a time so the missing one is named.
  const granted = new Set<string>();
  for (const scope of scopes) {
    const id = `delegation:${scope}`;
    const probe = await probeScope(deps, scope);
    switch (probe.kind) {
      case 'granted':
        granted.add(scope);
        pass(id, L.delegation(scope));
        break;
      case 'propagating': {
        granted.add(scope);
        const clientId = String(probe.refusal.params['clientId'] ?? (await tokens.delegationClientId()));
        const e = new AppError('google.delegation_propagating', { scope, clientId, requiredScopes: scopes.join(', ') });
        warn(id, L.delegation(scope), e, `granted on ${probe.granted} of ${probe.tries} quick attempts: a recent change is still reaching Google's servers`);
        break;
      }
      case 'unknown_subject':
        fail('admin', L.admin, new AppError('google.admin_not_authorized', { adminEmail: config.adminEmail, domain: config.domain }), `Google does not know ${config.adminEmail}`);
        downstream(`cannot be tested: Google does not know ${config.adminEmail}`);
        return out;
      case 'failed':
        fail(id, L.delegation(scope), probe.error);
        break;
    }
  }

  // 4. The Admin SDK API and the admin (one users.get of the admin answers both).
  if (!granted.has(DIRECTORY_USER_READONLY)) {
    skip('api:admin', L.adminApi, `needs delegation of ${DIRECTORY_USER_READONLY}`);
    skip('admin', L.admin, `needs delegation of ${DIRECTORY_USER_READONLY}`);
    return out;
  }
  await checkAdminApi(f, L, () => getUser(deps, DIRECTORY_USER_READONLY, config.adminEmail), (me) => {
    const notAdmin = new AppError('google.admin_not_authorized', { adminEmail: config.adminEmail, domain: config.domain });
    if (me?.isAdmin) pass('admin', L.admin, 'Super Admin');
    else if (me?.isDelegatedAdmin) warn('admin', L.admin, notAdmin, 'a delegated admin: reading admin roles and their assignments needs a Super Admin');
    else fail('admin', L.admin, notAdmin);
  });
  return out;
}

type Probe =
  | { readonly kind: 'granted' }
  | { readonly kind: 'propagating'; readonly granted: number; readonly tries: number; readonly refusal: AppError }
  | { readonly kind: 'unknown_subject' }
  | { readonly kind: 'failed'; readonly error: AppError };

/**
 * Asks for a token with exactly this scope. Granted at once: granted. Refused: a few quick
 * retries — granted on any of them means Google's servers disagree, i.e. a recent change is
 * still propagating; refused every time means missing.
 */
async function probeScope(deps: DirectoryApiDeps, scope: string): Promise<Probe> {
  let refusal: AppError | undefined;
  let granted = 0;
  let tries = 0;
  while (tries < PROBES) {
    tries += 1;
    try {
      await deps.tokens.mintForUser(deps.config.adminEmail, [scope]);
      if (!refusal) return { kind: 'granted' };
      granted += 1;
    } catch (e) {
      if (e instanceof UnknownSubjectError) return { kind: 'unknown_subject' };
      const err = toAppError(e);
      if (err.code !== 'google.delegation_missing') return { kind: 'failed', error: err };
      refusal = err;
    }
    if (tries < PROBES) await new Promise((r) => setTimeout(r, PROBE_PAUSE_MS));
  }
  return granted > 0 ? { kind: 'propagating', granted, tries, refusal: refusal! } : { kind: 'failed', error: refusal! };
}
