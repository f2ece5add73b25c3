import { directoryScopeSchema, scopeExclusionsSchema } from './scope.js';

/**
 * Config fields every kind's schema carries for its directory role: the scope switches an
 * admin sets, and the exclusion counts the inventory records (`recordScopeExclusions`; never
 * taken from an admin's input). A continuity connection leaves both out.
 */
export const directoryConfigFields = {
  scope: directoryScopeSchema.optional(),
  scopeExcluded: scopeExclusionsSchema.optional(),
};

/** Config keys only Syncwarden writes: stripped from what an admin sends. */
export const SYSTEM_CONFIG_KEYS = ['scopeExcluded'] as const;
