import type { DirectoryAccount, DirectoryScope } from '../connectors/sdk/index.js';

export type ExclusionReason = 'guest' | 'external' | 'disabled';

/**
 * Why the scope leaves an account out, or null when it is kept. Connectors read everything; the
 * inventory applies the connection's switches, so changing a switch needs no new connector
 * call and "what does the scope exclude" is always answerable (dir_excluded).
 */
export function exclusionOf(account: DirectoryAccount, scope: DirectoryScope): ExclusionReason | null {
  if (account.accountType === 'guest' && !scope.includeGuests) return 'guest';
  if (account.external && !scope.includeExternal) return 'external';
  if (!account.enabled && !scope.includeDisabled) return 'disabled';
  return null;
}

/** Part of every page fingerprint: switching the scope makes every page read as changed. */
export function scopeKey(scope: DirectoryScope): string {
  return `${scope.includeGuests ? 'G' : 'g'}${scope.includeExternal ? 'X' : 'x'}${scope.includeDisabled ? 'D' : 'd'}`;
}
