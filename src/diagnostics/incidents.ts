import type { Kysely } from 'kysely';
import type { Runtime } from '../runtime/context.js';
import { AppError, parseStoredError, renderError, renderStored, type RenderedError, type StoredError } from '../errors/index.js';
import { newId, nowIso } from '../model/ids.js';
import type { Database } from '../store/schema.js';
import { getConnection, updateConnection, type ConnectionRow } from '../store/connections-repo.js';
import { getIncident, insertIncident, listIncidents, openIncidentOf, resolveOpenIncident, updateIncident, type IncidentRow } from '../store/incidents-repo.js';
import { recordAudit, auditError } from '../audit/audit.js';
import { enqueue } from '../engine/jobs.js';
import { queueAlert } from '../notify/outbox.js';
import { kindDisplayName } from '../connections/kinds/index.js';

/**
 * Connection-level incidents: when a connection fails — its test, a sync that hit a
 * connection error, or many users failing with one error — there is one incident on the
 * connection instead of hundreds of user failures. Its users show "Blocked by connection".
 * When the connection tests healthy again the incident is resolved and the blocked work is
 * queued at once rather than at the next scheduled cycle.
 */
export type IncidentTrigger = 'test' | 'sync' | 'user_failures';

/** The sync-user status continuity shows as "Blocked by connection". */
export const BLOCKED = 'blocked';

/** While an incident is open, the doctor re-checks the connection this often (a fix is noticed by itself). */
export const RECHECK_MS = 15 * 60_000;

/** Policies that use the connection (as source or destination). */
async function policiesUsing(db: Kysely<Database>, tenantId: string, connectionId: string) {
  return db
    .selectFrom('policies')
    .select(['id', 'name', 'enabled', 'source_connection_id', 'destination_connection_id'])
    .where('tenant_id', '=', tenantId)
    .where((eb) => eb.or([eb('source_connection_id', '=', connectionId), eb('destination_connection_id', '=', connectionId)]))
    .execute();
}

async function countBlocked(db: Kysely<Database>, tenantId: string, policyIds: string[]): Promise<number> {
  if (policyIds.length === 0) return 0;
  const r = await db
    .selectFrom('sync_users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('tenant_id', '=', tenantId)
    .where('policy_id', 'in', policyIds)
    .where('status', '=', BLOCKED)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Marks every user behind the connection Blocked (excluded users stay excluded); returns how many are blocked. */
async function blockUsers(rt: Runtime, tenantId: string, connectionId: string, error: StoredError): Promise<number> {
  const policyIds = (await policiesUsing(rt.store.db, tenantId, connectionId)).map((p) => p.id);
  if (policyIds.length === 0) return 0;
  await rt.store.db
    .updateTable('sync_users')
    .set({ status: BLOCKED, last_error_json: JSON.stringify(error), updated_at: nowIso(rt.now()) })
    .where('tenant_id', '=', tenantId)
    .where('policy_id', 'in', policyIds)
    .where('status', 'not in', ['excluded', BLOCKED])
    .execute();
  return countBlocked(rt.store.db, tenantId, policyIds);
}

/** A connection is "in service" once it has worked or a policy uses it; only then is a failure an incident. */
export async function inService(rt: Runtime, tenantId: string, connection: ConnectionRow): Promise<boolean> {
  if (connection.last_ok_at !== null) return true;
  return (await policiesUsing(rt.store.db, tenantId, connection.id)).length > 0;
}

/**
 * Opens the connection's incident, or updates the open one (latest error, last seen, count).
 * Safe from several processes at once: the partial unique index lets one insert win.
 */
export async function openOrUpdateIncident(
  rt: Runtime,
  tenantId: string,
  connection: ConnectionRow,
  error: StoredError,
  trigger: IncidentTrigger,
  detail: string | null = null,
  again = true,
): Promise<{ incident: IncidentRow; opened: boolean }> {
  const now = nowIso(rt.now());
  const affected = await blockUsers(rt, tenantId, connection.id, error);
  const row: Omit<IncidentRow, 'tenant_id'> = {
    id: newId('inc', rt.now()),
    connection_id: connection.id,
    state: 'open',
    code: error.code,
    params_json: JSON.stringify(error.params),
    trigger,
    detail,
    opened_at: now,
    last_seen_at: now,
    occurrences: 1,
    affected_users: affected,
    resolved_at: null,
    resolved_by: null,
    updated_at: now,
  };
  const opened = await insertIncident(rt.store.db, tenantId, row);
  // Re-check soon: when the admin fixes the cause at the provider, the incident resolves by itself.
  const recheck = nowIso(rt.now() + RECHECK_MS);
  if (connection.next_doctor_at === null || connection.next_doctor_at > recheck) {
    await updateConnection(rt.store.db, tenantId, connection.id, { next_doctor_at: recheck });
  }
  if (opened) {
    const rendered = renderError(error.code, error.params);
    await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
      ...auditError(error.code, error.params, 'incident.opened', { type: 'connection', id: connection.id, name: connection.name }),
      message: `Incident opened on "${connection.name}": ${rendered.title}. ${affected} user(s) blocked by the connection.${detail ? ` ${detail}.` : ''}`,
    });
    await queueAlert(rt, tenantId, `incident.opened:${row.id}`, { type: 'incident', id: row.id, name: connection.name }, {
      event: 'incident.opened',
      severity: 'critical',
      title: `Connection failing: ${connection.name} — ${rendered.title}`,
      summary: `The connection "${connection.name}" is failing since ${now}: ${rendered.message} ${affected} user(s) are blocked until it is fixed.`,
      connection: connectionRef(connection),
      incident: { id: row.id, state: 'open', since: now, resolvedAt: null, affectedUsers: affected, trigger },
      error: rendered,
      link: '#/incidents',
    });
    return { incident: { ...row, tenant_id: tenantId }, opened: true };
  }
  const open = await openIncidentOf(rt.store.db, tenantId, connection.id);
  if (!open) {
    // Resolved between our insert and this read: open a fresh one (once).
    if (again) return openOrUpdateIncident(rt, tenantId, connection, error, trigger, detail, false);
    throw new AppError('internal.unexpected', { detail: `the incident of connection ${connection.id} could neither be opened nor found` });
  }
  await updateIncident(rt.store.db, tenantId, open.id, {
    code: error.code,
    params_json: JSON.stringify(error.params),
    last_seen_at: now,
    occurrences: Number(open.occurrences) + 1,
    affected_users: affected,
    ...(detail ? { detail } : {}),
    updated_at: now,
  });
  return { incident: (await getIncident(rt.store.db, tenantId, open.id))!, opened: false };
}

function connectionRef(c: ConnectionRow) {
  return { id: c.id, name: c.name, kind: c.kind, role: c.role };
}

/**
 * Resolves the connection's open incident (if any) and queues what it blocked at once: a
 * `user.sync` for each blocked user and a `policy.cycle` for each affected policy — unless
 * another connection of that policy still has an open incident.
 */
export async function resolveIncident(rt: Runtime, tenantId: string, connection: ConnectionRow, by: string): Promise<{ resolved: IncidentRow | null; requeuedUsers: number; requeuedPolicies: number }> {
  const now = nowIso(rt.now());
  const resolved = await resolveOpenIncident(rt.store.db, tenantId, connection.id, now, by);
  const { users, policies } = await rerunBlockedWork(rt, tenantId, connection.id, resolved !== undefined);
  if (!resolved) return { resolved: null, requeuedUsers: users, requeuedPolicies: policies };
  const error = parseStoredError({ code: resolved.code, params: JSON.parse(resolved.params_json) as unknown });
  const rendered = error ? renderError(error.code, error.params) : null;
  await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
    severity: 'info',
    action: 'incident.resolved',
    actor: by,
    target: { type: 'connection', id: connection.id, name: connection.name },
    message: `Incident on "${connection.name}" resolved (${rendered?.title ?? resolved.code}, open since ${resolved.opened_at}): ${users} blocked user(s) and ${policies} policy cycle(s) queued now`,
  });
  await queueAlert(rt, tenantId, `incident.resolved:${resolved.id}`, { type: 'incident', id: resolved.id, name: connection.name }, {
    event: 'incident.resolved',
    severity: 'info',
    title: `Connection healthy again: ${connection.name}`,
    summary: `The connection "${connection.name}" tests healthy again; the incident open since ${resolved.opened_at} is resolved and ${users} blocked user(s) are syncing now.`,
    connection: connectionRef(connection),
    incident: { id: resolved.id, state: 'resolved', since: resolved.opened_at, resolvedAt: now, affectedUsers: Number(resolved.affected_users), trigger: resolved.trigger },
    ...(rendered ? { error: rendered } : {}),
    link: '#/incidents',
  });
  return { resolved, requeuedUsers: users, requeuedPolicies: policies };
}

async function rerunBlockedWork(rt: Runtime, tenantId: string, connectionId: string, resolvedNow: boolean): Promise<{ users: number; policies: number }> {
  const policies = await policiesUsing(rt.store.db, tenantId, connectionId);
  let users = 0;
  let cycles = 0;
  for (const p of policies) {
    const other = p.source_connection_id === connectionId ? p.destination_connection_id : p.source_connection_id;
    if (other !== connectionId && (await openIncidentOf(rt.store.db, tenantId, other))) continue;
    const blocked = await rt.store.db.selectFrom('sync_users').select('id').where('tenant_id', '=', tenantId).where('policy_id', '=', p.id).where('status', '=', BLOCKED).execute();
    // Nothing was blocked here: the next scheduled cycle is soon enough.
    if (blocked.length === 0 && !resolvedNow) continue;
    for (const u of blocked) {
      if (await enqueue(rt.store.db, tenantId, { kind: 'user.sync', dedupeKey: `user:${u.id}`, payload: { syncUserId: u.id }, again: true }, rt.now())) users += 1;
    }
    if (Number(p.enabled) === 1 && (await enqueue(rt.store.db, tenantId, { kind: 'policy.cycle', dedupeKey: `cycle:${p.id}`, payload: { policyId: p.id }, again: true }, rt.now()))) cycles += 1;
  }
  return { users, policies: cycles };
}

export interface IncidentView {
  id: string;
  connectionId: string;
  connectionName: string;
  connectionKind: string;
  kindName: string;
  state: 'open' | 'resolved';
  trigger: IncidentTrigger;
  detail: string | null;
  since: string;
  lastSeenAt: string;
  resolvedAt: string | null;
  resolvedBy: string | null;
  occurrences: number;
  affectedUsers: number;
  error: RenderedError | null;
}

export async function viewIncident(rt: Runtime, tenantId: string, row: IncidentRow, connection?: ConnectionRow | undefined): Promise<IncidentView> {
  const conn = connection ?? (await getConnection(rt.store.db, tenantId, row.connection_id));
  const open = row.state === 'open';
  let affected = Number(row.affected_users);
  if (open) affected = await countBlocked(rt.store.db, tenantId, (await policiesUsing(rt.store.db, tenantId, row.connection_id)).map((p) => p.id));
  let kindName = conn?.kind ?? '';
  try {
    kindName = conn ? kindDisplayName(conn.kind, conn.role) : kindName;
  } catch {
    // an unknown kind keeps its raw name
  }
  return {
    id: row.id,
    connectionId: row.connection_id,
    connectionName: conn?.name ?? '(deleted connection)',
    connectionKind: conn?.kind ?? '',
    kindName,
    state: open ? 'open' : 'resolved',
    trigger: row.trigger as IncidentTrigger,
    detail: row.detail,
    since: row.opened_at,
    lastSeenAt: row.last_seen_at,
    resolvedAt: row.resolved_at,
    resolvedBy: row.resolved_by,
    occurrences: Number(row.occurrences),
    affectedUsers: affected,
    error: renderStored(parseStoredError({ code: row.code, params: safeParams(row.params_json) })),
  };
}

function safeParams(json: string): Record<string, unknown> {
  try {
    return JSON.parse(json) as Record<string, unknown>;
  } catch {
    return {};
  }
}

export async function listIncidentViews(rt: Runtime, tenantId: string, q: { state?: 'open' | 'resolved' | undefined; connectionId?: string | undefined; limit?: number }): Promise<IncidentView[]> {
  const rows = await listIncidents(rt.store.db, tenantId, { state: q.state, connectionId: q.connectionId, limit: q.limit ?? 200 });
  const out: IncidentView[] = [];
  for (const r of rows) out.push(await viewIncident(rt, tenantId, r));
  return out;
}

export async function requireIncident(rt: Runtime, tenantId: string, id: string): Promise<IncidentView> {
  const row = await getIncident(rt.store.db, tenantId, id);
  if (!row) throw new AppError('request.not_found', { entity: 'incident', id });
  return viewIncident(rt, tenantId, row);
}
