import { AppError } from '../errors/index.js';
import type { CheckResult } from '../connectors/sdk/index.js';
import { excludedCounts, exclusionsOf, leftOut, scopeOf, switchesFor } from '../connections/kinds/scope.js';

/**
 * "The connection tests fine but no identities appear": besides a missing read permission
 * (a failing permission check), the usual cause is the scope — guests, external identities
 * and disabled accounts are left out unless switched on. The doctor always says what the scope
 * leaves out; once the inventory has counted what a full read excluded, a non-zero count is a
 * warning naming the accounts and the switches that would read them.
 */
export const SCOPE_CHECK = 'scope';

export function scopeFinding(config: Record<string, unknown>): CheckResult {
  const scope = scopeOf(config);
  const label = 'Accounts the connection reads (scope)';
  const out = leftOut(scope);
  if (!out) return { id: SCOPE_CHECK, label, status: 'pass', detail: 'every account: members, guests, external identities and disabled accounts' };
  const counted = exclusionsOf(config);
  const excluded = counted ? excludedCounts(scope, counted) : '';
  if (counted && excluded) {
    return {
      id: SCOPE_CHECK,
      label,
      status: 'warning',
      error: new AppError('connection.scope_excludes', { excluded, switches: switchesFor(scope, counted), countedAt: counted.countedAt.slice(0, 16).replace('T', ' ') }).toJSON(),
      detail: `the last full read left out ${excluded}`,
    };
  }
  return { id: SCOPE_CHECK, label, status: 'pass', detail: `members only: ${out} are left out (${switchesFor(scope, null)} to read them)${counted ? '; the last full read found none of them' : ''}` };
}
