import type { FaultName } from '../faults.js';
import type { SandboxContext } from '../types.js';
import { concurrency, newStats, slidingWindows, type Concurrency, type GoogleStats, type SlidingWindows } from './quotas.js';
import { tokenStore, type TokenStore } from './tokens.js';
import { tokenCreatorKey, type GoogleApi, type GoogleWorld, type ServiceAccount, type User } from './world.js';

/**
 * Everything the Google simulators share: the world, issued tokens, quota windows, and the
 * world as seen through the active faults. Faults overlay the world instead of mutating it,
 * so switching one off restores the configured state at once.
 */
export interface GoogleSim {
  readonly ctx: SandboxContext;
  readonly world: GoogleWorld;
  readonly tokens: TokenStore;
  readonly windows: SlidingWindows;
  readonly concurrency: Concurrency;
  stats: GoogleStats;
  /** The fault for the customer's domain (or '*'), consulted once. */
  fault(name: FaultName): { params: Readonly<Record<string, string | number | boolean>> } | undefined;
  /** Like fault(), honouring everyNth. */
  fires(name: FaultName): boolean;
  serviceAccount(emailOrId: string): ServiceAccount | undefined;
  hasTokenCreator(member: string, target: string): boolean;
  delegatedScopes(clientId: string): Set<string>;
  /** google.delegation_propagating: true when this token request is one Google's servers still refuse. */
  delegationFlaps(scopes: readonly string[]): boolean;
  apiEnabled(projectId: string, api: GoogleApi): boolean;
  isAdmin(user: User): boolean;
  now(): number;
}

export function createSim(ctx: SandboxContext, world: GoogleWorld): GoogleSim {
  const scope = world.domains[0]!;
  const sim: GoogleSim = {
    ctx,
    world,
    tokens: tokenStore(),
    windows: slidingWindows(),
    concurrency: concurrency(),
    stats: newStats(),
    fault: (name) => ctx.faults.get(scope, name),
    fires: (name) => ctx.faults.fires(scope, name),
    serviceAccount(emailOrId) {
      const k = emailOrId.trim().toLowerCase();
      const sa = world.serviceAccounts.get(k) ?? [...world.serviceAccounts.values()].find((s) => s.uniqueId === k);
      if (!sa || sa.deleted) return undefined;
      // google.service_account_deleted removes the customer's service account, not Syncwarden's own.
      if (sim.fault('google.service_account_deleted') && sa.projectId === world.customerProjectId) return undefined;
      return sa;
    },
    hasTokenCreator(member, target) {
      if (sim.fault('google.token_creator_missing')) return false;
      return world.tokenCreators.has(tokenCreatorKey(member, target));
    },
    delegatedScopes(clientId) {
      const granted = new Set(world.delegation.get(clientId) ?? []);
      const f = sim.fault('google.delegation_scopes_missing');
      if (f) {
        const only = f.params['scope'];
        if (typeof only === 'string' && only !== '') granted.delete(only);
        else granted.clear();
      }
      return granted;
    },
    delegationFlaps(scopes) {
      // While a delegation change propagates, Google's servers disagree: requests for the scope
      // are refused and granted in turn (refused first), https://support.google.com/a/answer/162106
      const f = ctx.faults.get(scope, 'google.delegation_propagating');
      if (!f) return false;
      const only = f.params['scope'];
      if (typeof only === 'string' && only !== '' && !scopes.includes(only)) return false;
      f.hits += 1;
      return f.hits % 2 === 1;
    },
    apiEnabled(projectId, api) {
      const project = world.projects.get(projectId);
      if (!project?.enabledApis.has(api)) return false;
      const f = sim.fault('google.api_disabled');
      return !(f && (f.params['api'] === api || f.params['api'] === undefined));
    },
    isAdmin(user) {
      if (user.isAdmin && sim.fault('google.admin_not_admin')) return false;
      return user.isAdmin;
    },
    now: () => ctx.now(),
  };
  return sim;
}
