import { AppError, toAppError } from '../../errors/index.js';
import type { CheckResult, ConnectorContext } from '../sdk/index.js';
import { CONTINUITY_PERMISSIONS, RECOVERY_PERMISSIONS, type MicrosoftConnectorConfig } from './config.js';
import type { GraphClient } from './graph-client.js';
import { openPfx } from './pfx.js';
import type { TokenSource } from './token.js';

/**
 * Signs in with a fresh token (a test must exercise the credential, not a cached token): the
 * finding, and the application roles the token carries when it passed (null when it failed).
 */
export async function checkSignIn(config: { readonly tenantId: string; readonly clientId: string }, tokens: TokenSource): Promise<{ finding: CheckResult; roles: string[] | null }> {
  const label = 'Sign in to Entra ID';
  try {
    tokens.invalidate();
    const roles = await tokens.roles();
    return { finding: { id: 'token', label, status: 'pass', detail: `tenant ${config.tenantId}, app ${config.clientId}` }, roles };
  } catch (e) {
    return { finding: { id: 'token', label, status: 'fail', error: toAppError(e).toJSON() }, roles: null };
  }
}

/**
 * The doctor for a Microsoft 365 source: one finding per prerequisite, in the order an admin
 * would fix them (credential → sign-in → each permission → the API answering). A check that
 * cannot run because an earlier one failed is 'skipped', so exactly one cause is named.
 */
export async function microsoftChecks(config: MicrosoftConnectorConfig, tokens: TokenSource, graph: GraphClient, ctx: ConnectorContext): Promise<CheckResult[]> {
  // With write-back (reverse recovery) consented, Mail.ReadWrite is one more prerequisite.
  // Recovery switched on for a policy but write-back not consented yet: checked too, but a
  // missing Mail.ReadWrite is a warning then, since forward sync does not need it.
  const permissions: readonly string[] = [...CONTINUITY_PERMISSIONS, ...(config.writeBack || config.recoveryPlanned ? RECOVERY_PERMISSIONS : [])];
  const results: CheckResult[] = [checkCredential(config, ctx)];
  const fail = (id: string, label: string, e: unknown): CheckResult => ({ id, label, status: 'fail', error: toAppError(e).toJSON() });
  const skipRest = (reason: string) => {
    results.push({ id: 'token', label: 'Sign in to Entra ID', status: 'skipped', detail: reason });
    for (const p of permissions) results.push({ id: `permission:${p}`, label: `Application permission ${p} granted with admin consent`, status: 'skipped', detail: reason });
    results.push({ id: 'api', label: 'Microsoft Graph answers', status: 'skipped', detail: reason });
  };
  if (results[0]!.status === 'fail') {
    skipRest('the credential could not be used');
    return results;
  }

  const signIn = await checkSignIn(config, tokens);
  results.push(signIn.finding);
  const roles = signIn.roles;
  if (!roles) {
    for (const p of permissions) results.push({ id: `permission:${p}`, label: `Application permission ${p} granted with admin consent`, status: 'skipped', detail: 'sign-in failed' });
    results.push({ id: 'api', label: 'Microsoft Graph answers', status: 'skipped', detail: 'sign-in failed' });
    return results;
  }

  const equivalents: Record<string, string[]> = {
    'User.Read.All': ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
    'Mail.Read': ['Mail.Read', 'Mail.ReadWrite'],
    'Mail.ReadWrite': ['Mail.ReadWrite'],
  };
  for (const p of permissions) {
    const label = `Application permission ${p} granted with admin consent`;
    const granted = (equivalents[p] ?? [p]).some((r) => roles.includes(r));
    const recovery = (RECOVERY_PERMISSIONS as readonly string[]).includes(p) ? ' (reverse recovery writes the outage\'s mail back)' : '';
    if (granted) results.push({ id: `permission:${p}`, label, status: 'pass', ...(recovery ? { detail: recovery.trim().replace(/^\(|\)$/g, '') } : {}) });
    else if (recovery && !config.writeBack) results.push({ ...fail(`permission:${p}`, label + recovery, new AppError('m365.permission_missing', { permission: p })), status: 'warning' });
    else results.push(fail(`permission:${p}`, label + recovery, new AppError('m365.permission_missing', { permission: p })));
  }

  try {
    await graph.get({ path: '/users?$top=1&$select=id', permission: 'User.Read.All' });
    results.push({ id: 'api', label: 'Microsoft Graph answers', status: 'pass' });
  } catch (e) {
    const err = toAppError(e);
    // A missing permission was already named above; do not name it twice.
    if (err.code === 'm365.permission_missing' && results.some((r) => r.status === 'fail')) results.push({ id: 'api', label: 'Microsoft Graph answers', status: 'skipped', detail: 'a permission is missing' });
    else results.push(fail('api', 'Microsoft Graph answers', err));
  }
  return results;
}

/** The credential itself, before any sign-in: the PFX opens with its password and is in date. */
export function checkCredential(config: MicrosoftConnectorConfig, ctx: ConnectorContext): CheckResult {
  const fail = (id: string, label: string, e: unknown): CheckResult => ({ id, label, status: 'fail', error: toAppError(e).toJSON() });
  if (config.auth.type !== 'certificate') return { id: 'credential', label: 'Client secret present', status: 'pass' };
  const label = 'Open the PFX certificate with its password';
  try {
    const pfx = openPfx(config.auth.pfxBase64, config.auth.pfxPassword);
    const daysLeft = Math.floor((pfx.notAfter.getTime() - ctx.now().getTime()) / 86_400_000);
    if (daysLeft < 0) return fail('credential', label, new AppError('m365.certificate_expired', { notAfter: pfx.notAfter.toISOString().slice(0, 10) }));
    return { id: 'credential', label, status: daysLeft <= 30 ? 'warning' : 'pass', detail: `${pfx.subject}, thumbprint ${pfx.thumbprintSha1Hex}, expires ${pfx.notAfter.toISOString().slice(0, 10)} (${daysLeft} days)` };
  } catch (e) {
    return fail('credential', label, e);
  }
}
