import { AppError, toAppError } from '../../errors/index.js';
import type { CheckResult, ConnectorContext, RateCost } from '../sdk/index.js';
import { checkCredential, checkSignIn } from './checks.js';
import { adminConsentUrl, directoryPermissions, isGranted } from './consent.js';
import { DEFAULT_LOGIN } from './config.js';
import type { MicrosoftDirectoryConfig } from './directory.js';
import type { GraphClient } from './graph-client.js';
import type { TokenSource } from './token.js';

/**
 * The doctor for an Entra ID directory connection: the credential, the sign-in (every
 * AADSTS cause named as the mail doctor names it), the clock, then each required
 * application permission twice — in the token's `roles` AND by calling an endpoint that
 * needs it — so "granted but not consented", "consented but revoked since" and "the API
 * refuses anyway" each show up as their own finding. Failing permission findings carry the
 * admin consent link in their detail.
 */
const PROBES: Readonly<Record<string, string>> = {
  'User.Read.All': '/users?$top=1&$select=id',
  'GroupMember.Read.All': '/groups?$top=1&$select=id',
  'RoleManagement.Read.Directory': '/directoryRoles',
  'Application.Read.All': '/servicePrincipals?$top=1&$select=id',
};

/** Entra accepts signed assertions within about five minutes of its own clock. */
const MAX_SKEW_MS = 5 * 60_000;

export async function directoryChecks(config: MicrosoftDirectoryConfig, tokens: TokenSource, graph: GraphClient, ctx: ConnectorContext, budgets: (path: string) => RateCost[]): Promise<CheckResult[]> {
  const results: CheckResult[] = [checkCredential(config, ctx)];
  const fail = (id: string, label: string, e: unknown, detail?: string): CheckResult => ({ id, label, status: 'fail', error: toAppError(e).toJSON(), ...(detail ? { detail } : {}) });
  const permissions = directoryPermissions(config.writeBack);
  const label = (p: string) => `Application permission ${p} granted with admin consent`;
  const consentLink = adminConsentUrl({ loginBase: config.endpoints?.login ?? DEFAULT_LOGIN, tenantId: config.tenantId, clientId: config.clientId, redirectUri: config.consentRedirectUri, state: 'syncwarden' });
  const skip = (reason: string) => {
    results.push({ id: 'clock', label: 'Server clock agrees with Entra ID', status: 'skipped', detail: reason });
    for (const p of permissions) results.push({ id: `permission:${p}`, label: label(p), status: 'skipped', detail: reason });
  };
  if (results[0]!.status === 'fail') {
    results.push({ id: 'token', label: 'Sign in to Entra ID', status: 'skipped', detail: 'the credential could not be used' });
    skip('the credential could not be used');
    return results;
  }
  const signIn = await checkSignIn(config, tokens);
  results.push(signIn.finding);
  const roles = signIn.roles;
  if (!roles) {
    skip('sign-in failed');
    return results;
  }
  const skew = tokens.clockSkewMs();
  if (skew === null) results.push({ id: 'clock', label: 'Server clock agrees with Entra ID', status: 'skipped', detail: 'Entra ID sent no Date header' });
  else if (Math.abs(skew) > MAX_SKEW_MS) results.push(fail('clock', 'Server clock agrees with Entra ID', new AppError('m365.clock_skew', { skewSeconds: Math.round(skew / 1000) })));
  else results.push({ id: 'clock', label: 'Server clock agrees with Entra ID', status: 'pass', detail: `${Math.round(skew / 1000)} s apart` });

  for (const p of permissions) {
    const missing = () => fail(`permission:${p}`, label(p), new AppError('m365.permission_missing', { permission: p }), `Grant admin consent: ${consentLink}`);
    if (!isGranted(p, roles)) {
      results.push(missing());
      continue;
    }
    const probe = PROBES[p];
    if (!probe) {
      // Write permissions cannot be probed without writing; the token's roles are the evidence.
      results.push({ id: `permission:${p}`, label: label(p), status: 'pass', detail: 'granted (write access is not exercised by a test)' });
      continue;
    }
    try {
      await graph.get({ path: probe, permission: p, budgets: budgets(probe), area: 'directory' });
      results.push({ id: `permission:${p}`, label: label(p), status: 'pass' });
    } catch (e) {
      const err = toAppError(e);
      results.push(err.code === 'm365.permission_missing' ? missing() : fail(`permission:${p}`, label(p), err));
    }
  }
  return results;
}
