import type { Runtime } from '../runtime/context.js';
import { catalogue, isErrorCode, parseStoredError, type ErrorDefinition, type ErrorKind, type StoredError } from '../errors/index.js';
import { getConnection, type ConnectionRow } from '../store/connections-repo.js';
import { openIncidentOf } from '../store/incidents-repo.js';
import { kindSpec } from '../connections/kinds/index.js';
import { openOrUpdateIncident } from './incidents.js';

/**
 * "Many users fail with the same connection-level error": when at least MIN_USERS users of a
 * policy, and at least half of its users, have failed with one error that belongs to one of its
 * connections, that is the connection failing — one incident instead of a page of user
 * failures (the seed's "All users are failing … the issue is likely at the connection level").
 */
export const MIN_USERS = 5;
export const MIN_SHARE = 0.5;

/** Kinds of error that can be a whole connection failing (not one user's mailbox, not one item). */
function connectionLevel(code: StoredError['code']): boolean {
  const d: ErrorDefinition = catalogue[code];
  if (d.scope === 'item' || d.scope === 'request') return false;
  const kind: ErrorKind = d.kind;
  switch (kind) {
    case 'credential':
    case 'permission':
    case 'configuration':
    case 'transient':
    case 'internal':
      return true;
    case 'throttle':
    case 'not_found':
    case 'item':
    case 'invalid_input':
      return false;
  }
}

/** Which of the policy's connections an error belongs to, or null when it cannot be told. */
export function connectionOfError(error: StoredError, candidates: readonly ConnectionRow[]): ConnectionRow | null {
  const provider = typeof error.params['provider'] === 'string' ? error.params['provider'] : '';
  const owners = candidates.filter((c) => {
    const spec = kindSpec(c.kind);
    return spec.errorPrefixes.some((p) => error.code.startsWith(p)) || (provider !== '' && spec.providerNames.includes(provider));
  });
  return owners.length === 1 ? owners[0]! : null;
}

export async function detectMassFailures(rt: Runtime): Promise<number> {
  const failed = await rt.store.db.selectFrom('sync_users').select(['tenant_id', 'policy_id', 'last_error_json']).where('status', '=', 'failed').execute();
  if (failed.length < MIN_USERS) return 0;
  const groups = new Map<string, { tenantId: string; policyId: string; error: StoredError; count: number }>();
  for (const u of failed) {
    const error = parseStoredError(u.last_error_json);
    if (!error || !isErrorCode(error.code) || !connectionLevel(error.code)) continue;
    const key = `${u.tenant_id}\u0000${u.policy_id}\u0000${error.code}`;
    const g = groups.get(key);
    if (g) g.count += 1;
    else groups.set(key, { tenantId: u.tenant_id, policyId: u.policy_id, error, count: 1 });
  }
  let opened = 0;
  for (const g of groups.values()) {
    if (g.count < MIN_USERS) continue;
    const policy = await rt.store.db.selectFrom('policies').selectAll().where('tenant_id', '=', g.tenantId).where('id', '=', g.policyId).executeTakeFirst();
    if (!policy) continue;
    const total = await rt.store.db
      .selectFrom('sync_users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('tenant_id', '=', g.tenantId)
      .where('policy_id', '=', g.policyId)
      .where('status', '!=', 'excluded')
      .executeTakeFirstOrThrow();
    if (g.count < Number(total.n) * MIN_SHARE) continue;
    const candidates = (await Promise.all([getConnection(rt.store.db, g.tenantId, policy.source_connection_id), getConnection(rt.store.db, g.tenantId, policy.destination_connection_id)])).filter(
      (c): c is ConnectionRow => c !== undefined,
    );
    const connection = connectionOfError(g.error, candidates);
    if (!connection || (await openIncidentOf(rt.store.db, g.tenantId, connection.id))) continue;
    const r = await openOrUpdateIncident(rt, g.tenantId, connection, g.error, 'user_failures', `${g.count} of ${Number(total.n)} users of the policy "${policy.name}" failed with this error`);
    if (r.opened) opened += 1;
  }
  return opened;
}
