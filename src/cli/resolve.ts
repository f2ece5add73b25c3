import type { Runtime } from '../runtime/context.js';
import { AppError } from '../errors/index.js';
import { listConnections } from '../store/connections-repo.js';
import { listPolicyViews } from '../continuity/policies.js';

/** Something an admin names on the command line: its id and the names it answers to. */
export interface Candidate {
  readonly id: string;
  readonly name: string;
}

/**
 * Finds the one thing an admin means, as people type it: the id, the exact name (any case), or
 * the start of a name that only one has ("Northwind Expenses" for "Northwind Expenses SCIM app
 * (sandbox)"). Several matches are refused with the candidates named, never guessed; no match
 * names what exists, so the next try is right.
 */
export function resolveOne<C extends Candidate>(entity: string, key: string, candidates: readonly C[]): C {
  const byId = candidates.find((c) => c.id === key);
  if (byId) return byId;
  const k = key.trim().toLowerCase();
  const exact = candidates.filter((c) => c.name.toLowerCase() === k);
  if (exact.length === 1) return exact[0]!;
  const prefix = exact.length > 1 ? exact : candidates.filter((c) => c.name.toLowerCase().startsWith(k));
  if (prefix.length === 1) return prefix[0]!;
  if (prefix.length > 1) throw new AppError('request.ambiguous', { entity, key, candidates: prefix.map((c) => `"${c.name}" (${c.id})`).join(', ') });
  const known = candidates.length ? `; there are: ${candidates.map((c) => `"${c.name}"`).join(', ')}` : `; there is none yet`;
  throw new AppError('request.no_match', { entity, key, known });
}

/** A connection by id, name or unambiguous start of its name. */
export async function resolveConnection(rt: Runtime, tenantId: string, key: string): Promise<string> {
  const all = await listConnections(rt.store.db, tenantId);
  return resolveOne('connection', key, all.map((c) => ({ id: c.id, name: c.name }))).id;
}

/** A policy by id, name or unambiguous start of its name. */
export async function resolvePolicy(rt: Runtime, tenantId: string, key: string): Promise<{ id: string; name: string }> {
  const all = await listPolicyViews(rt, tenantId);
  return resolveOne('policy', key, all);
}
