import { z } from 'zod';
import { directoryScopeSchema, scopeExclusionsSchema } from './scope.js';

/**
 * Config fields every kind's schema carries for its directory role: the scope switches an
 * admin sets, and the exclusion counts the inventory records (`recordScopeExclusions`; never
 * taken from an admin's input). A continuity connection leaves both out.
 */
export const directoryConfigFields = {
  scope: directoryScopeSchema.optional(),
  /**
   * The mass-removal guard: a sync that would remove more than this share (%) of the
   * connection's accounts, groups or memberships waits for an admin's approval. 0 = off.
   */
  massRemovalPercent: z.number().int().min(0).max(100).optional(),
  scopeExcluded: scopeExclusionsSchema.optional(),
};

/** Config keys only Syncwarden writes: stripped from what an admin sends. */
export const SYSTEM_CONFIG_KEYS = ['scopeExcluded'] as const;
