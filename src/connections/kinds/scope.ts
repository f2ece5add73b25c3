import { z } from 'zod';
import { defaultDirectoryScope, type DirectoryScope } from '../../connectors/sdk/index.js';

/**
 * The scope switches of a directory connection, stored in its config as `scope`. Guests,
 * external identities and disabled accounts are left out unless switched on: they are the
 * usual answer to "the connection tests fine but identities are missing" (the seed article),
 * so the card and the doctor always say what the scope leaves out.
 */
export const directoryScopeSchema = z.object({
  includeGuests: z.boolean().default(false),
  includeExternal: z.boolean().default(false),
  includeDisabled: z.boolean().default(false),
});

/** The scope a stored config holds, defaults for anything missing or unreadable. */
export function scopeOf(config: Record<string, unknown>): DirectoryScope {
  const r = directoryScopeSchema.safeParse(config['scope'] ?? {});
  return r.success ? r.data : defaultDirectoryScope;
}

/** Counts of accounts the scope left out at the last full read, as the inventory recorded them. */
export const scopeExclusionsSchema = z.object({
  /** Format version of this record (persisted in the connection's config). */
  v: z.literal(1).default(1),
  guests: z.number().int().min(0),
  external: z.number().int().min(0),
  disabled: z.number().int().min(0),
  countedAt: z.iso.datetime({ offset: true }),
});
export type ScopeExclusions = z.infer<typeof scopeExclusionsSchema>;

export function exclusionsOf(config: Record<string, unknown>): ScopeExclusions | null {
  const r = scopeExclusionsSchema.safeParse(config['scopeExcluded']);
  return r.success ? r.data : null;
}

/** 'guests, external identities and disabled accounts' — what the scope leaves out, for an admin; '' when nothing. */
export function leftOut(scope: DirectoryScope): string {
  const out = [!scope.includeGuests && 'guests', !scope.includeExternal && 'external identities', !scope.includeDisabled && 'disabled accounts'].filter((x): x is string => typeof x === 'string');
  return listing(out);
}

/** '4 guests and 3 disabled accounts' — counted exclusions the scope switches leave out; '' when none. */
export function excludedCounts(scope: DirectoryScope, c: ScopeExclusions): string {
  const parts: string[] = [];
  const n = (k: number, one: string, many: string) => `${k} ${k === 1 ? one : many}`;
  if (!scope.includeGuests && c.guests > 0) parts.push(n(c.guests, 'guest', 'guests'));
  if (!scope.includeExternal && c.external > 0) parts.push(n(c.external, 'external identity', 'external identities'));
  if (!scope.includeDisabled && c.disabled > 0) parts.push(n(c.disabled, 'disabled account', 'disabled accounts'));
  return listing(parts);
}

/** The switches an admin turns on to read what is excluded: 'Include guests, Include disabled accounts'. */
export function switchesFor(scope: DirectoryScope, c: ScopeExclusions | null): string {
  const out: string[] = [];
  if (!scope.includeGuests && (!c || c.guests > 0)) out.push('Include guests');
  if (!scope.includeExternal && (!c || c.external > 0)) out.push('Include external identities');
  if (!scope.includeDisabled && (!c || c.disabled > 0)) out.push('Include disabled accounts');
  return out.join(', ');
}

function listing(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)!}`;
}
