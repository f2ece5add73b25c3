import type { FaultName } from '../faults.js';
import type { SandboxContext } from '../types.js';
import { primaryDomain, type Customer } from './customer.js';
import { answer } from './delegation.js';
import type { UserRecord } from './directory-model.js';
import { concurrency, newStats, slidingWindows, type Concurrency, type GoogleStats, type SlidingWindows } from './quotas.js';
import { tokenStore, type TokenStore } from './tokens.js';
import { tokenCreatorKey, type GoogleApi, type GoogleWorld, type ServiceAccount } from './world.js';

/**
 * Everything the Google simulators share: the world, issued tokens, quota windows, and the
 * world as seen through the active faults. Faults overlay the world instead of mutating it,
 * so switching one off restores the configured state at once. Faults are scoped by a
 * customer's primary domain; one consulted without a customer (service-account and IAM
 * faults) fires when it is set for any customer's domain or '*'.
 */
export interface GoogleSim {
  readonly ctx: SandboxContext;
  readonly world: GoogleWorld;
  readonly tokens: TokenStore;
  readonly windows: SlidingWindows;
  readonly concurrency: Concurrency;
  stats: GoogleStats;
  fault(name: FaultName, customer?: Customer): { params: Readonly<Record<string, string | number | boolean>> } | undefined;
  /** Like fault(), honouring everyNth. */
  fires(name: FaultName, customer?: Customer): boolean;
  /** The service account as the token endpoint and IAM see it, deleted and disabled included. */
  serviceAccountState(emailOrId: string): { sa: ServiceAccount; state: 'active' | 'disabled' | 'deleted' } | undefined;
  /** A live (not deleted) service account. */
  serviceAccount(emailOrId: string): ServiceAccount | undefined;
  /** The user-managed keys the token endpoint still accepts (google.key_deleted drops the customer's). */
  userManagedKeys(sa: ServiceAccount): ServiceAccount['userManagedKeys'];
  hasTokenCreator(member: string, target: string): boolean;
  /** One token request's view of a delegated scope (propagation and faults included). */
  delegationAllows(customer: Customer, clientId: string, scope: string): boolean;
  apiEnabled(projectId: string, api: GoogleApi): boolean;
  isAdmin(customer: Customer, user: UserRecord): boolean;
  isDelegatedAdmin(customer: Customer, user: UserRecord): boolean;
  /** Google's clock: the sandbox clock, shifted by google.clock_skew. */
  now(): number;
}

export function createSim(ctx: SandboxContext, world: GoogleWorld): GoogleSim {
  /** Counters for google.delegation_propagating, which alternates like a real propagation. */
  const forcedAttempts = new Map<string, number>();
  const scopesOf = (customer?: Customer): string[] => (customer ? [primaryDomain(customer)] : [...world.customers.values()].map(primaryDomain));
  const isCustomerSa = (sa: ServiceAccount): boolean => sa.projectId === world.customerProjectId;

  const sim: GoogleSim = {
    ctx,
    world,
    tokens: tokenStore(),
    windows: slidingWindows(),
    concurrency: concurrency(),
    stats: newStats(),
    fault(name, customer) {
      for (const s of scopesOf(customer)) {
        const f = ctx.faults.get(s, name);
        if (f) return f;
      }
      return customer ? undefined : ctx.faults.get('*', name);
    },
    fires(name, customer) {
      for (const s of scopesOf(customer)) if (ctx.faults.get(s, name)) return ctx.faults.fires(s, name);
      return customer ? false : ctx.faults.fires('*', name);
    },
    serviceAccountState(emailOrId) {
      const k = emailOrId.trim().toLowerCase();
      const sa = world.serviceAccounts.get(k) ?? [...world.serviceAccounts.values()].find((s) => s.uniqueId === k);
      if (!sa) return undefined;
      // The faults break the customer's service account, never Syncwarden's own token provider.
      if (sa.deleted || (isCustomerSa(sa) && sim.fault('google.service_account_deleted'))) return { sa, state: 'deleted' };
      if (sa.disabled || (isCustomerSa(sa) && sim.fault('google.sa_disabled'))) return { sa, state: 'disabled' };
      return { sa, state: 'active' };
    },
    serviceAccount(emailOrId) {
      const s = sim.serviceAccountState(emailOrId);
      return s && s.state !== 'deleted' ? s.sa : undefined;
    },
    userManagedKeys(sa) {
      return isCustomerSa(sa) && sim.fault('google.key_deleted') ? [] : sa.userManagedKeys;
    },
    hasTokenCreator(member, target) {
      if (sim.fault('google.token_creator_missing')) return false;
      return world.tokenCreators.has(tokenCreatorKey(member, target));
    },
    delegationAllows(customer, clientId, scope) {
      const missing = sim.fault('google.delegation_scopes_missing', customer);
      if (missing) {
        const only = missing.params['scope'];
        if (typeof only !== 'string' || only === '' || only === scope) return false;
      }
      const grant = customer.delegation.get(clientId)?.get(scope);
      const forced = sim.fault('google.delegation_propagating', customer);
      if (forced) {
        const only = forced.params['scope'];
        const applies = typeof only === 'string' && only !== '' ? only === scope : grant?.granted === true;
        if (applies) {
          // Old answer first (refused), then the new one (granted), alternating.
          const key = `${customer.id}\u0000${clientId}\u0000${scope}`;
          const n = forcedAttempts.get(key) ?? 0;
          forcedAttempts.set(key, n + 1);
          return n % 2 === 1;
        }
      }
      return answer(grant, sim.now());
    },
    apiEnabled(projectId, api) {
      const project = world.projects.get(projectId);
      if (!project?.enabledApis.has(api)) return false;
      const f = sim.fault('google.api_disabled');
      return !(f && (f.params['api'] === api || f.params['api'] === undefined));
    },
    isAdmin(customer, user) {
      if (sim.fault('google.admin_not_admin', customer)) return false;
      return customer.roles.isSuperAdmin(user.id);
    },
    isDelegatedAdmin(customer, user) {
      return customer.roles.isDelegatedAdmin(user.id);
    },
    now() {
      const skew = sim.fault('google.clock_skew');
      const seconds = skew ? Number(skew.params['seconds'] ?? 600) : 0;
      return ctx.now() + (Number.isFinite(seconds) ? seconds * 1000 : 0);
    },
  };
  return sim;
}
