import type { Runtime } from '../../runtime/context.js';
import { AppError, catalogue, isErrorCode, toAppError, type StoredError } from '../../errors/index.js';
import { newId, nowIso } from '../../model/ids.js';
import { recordAudit, auditError } from '../../audit/audit.js';
import { enqueue } from '../../engine/jobs.js';
import { fullJitter } from '../../errors/policy.js';
import { getConnection } from '../../store/connections-repo.js';
import { syncUsersOfPolicy } from '../../store/sync-repo.js';
import { fromJson } from '../../store/json.js';
import type { FailoversTable } from '../../store/schema.js';
import { sql, type Selectable } from 'kysely';
import { requirePolicy, viewPolicy, cycleJob, type PolicyView } from '../policies.js';
import { syncDestination, syncSource } from '../connectors.js';
import { loadFailoverSettings } from './settings.js';
import { queueAlert } from '../../notify/outbox.js';
import { renderError } from '../../errors/index.js';

/**
 * Failover: the state of one Microsoft 365 outage for one policy.
 *
 *   proposed ──declare──▶ active ──start recovery──▶ recovering ──every user done──▶ recovered
 *      └──dismiss──▶ dismissed        └──end without recovery──▶ dismissed
 *
 * - An admin declares an outage (UI, API, CLI), or Syncwarden proposes one when the source
 *   connection has had an open incident of an outage kind for the policy's set time.
 * - While active, the source is probed gently (one cheap mail request, backoff up to 15
 *   minutes, audited only when its health changes) instead of running cycles that would fail
 *   every user; forward sync resumes as soon as a probe succeeds, and its delta tokens carry
 *   everything Microsoft 365 accepted meanwhile.
 * - At the declaration each user's Gmail change marker (historyId) is recorded: recovery later
 *   lists what reached or left the mailbox after it (and, by date, what came between the
 *   outage's start and the declaration).
 * - Recovery needs the source healthy and write-back (reverse recovery) consented on it.
 * One open failover per policy: a partial unique index (failovers_one_open) holds it across processes.
 */
export type FailoverRow = Selectable<FailoversTable>;
export type FailoverState = 'proposed' | 'active' | 'recovering' | 'recovered' | 'dismissed';
const OPEN: readonly FailoverState[] = ['proposed', 'active', 'recovering'];

/** Probing an unhealthy source: every 30 s at first, doubling up to 15 minutes (with jitter). */
const PROBE_BASE_MS = 30_000;
const PROBE_MAX_MS = 15 * 60_000;
/** A healthy source is probed once a minute (auto-recovery counts healthy time from these). */
const PROBE_HEALTHY_MS = 60_000;

export async function openFailover(rt: Runtime, tenantId: string, policyId: string): Promise<FailoverRow | undefined> {
  return rt.store.db.selectFrom('failovers').selectAll().where('tenant_id', '=', tenantId).where('policy_id', '=', policyId).where('state', 'in', [...OPEN]).executeTakeFirst();
}

export async function latestFailover(rt: Runtime, tenantId: string, policyId: string): Promise<FailoverRow | undefined> {
  return rt.store.db.selectFrom('failovers').selectAll().where('tenant_id', '=', tenantId).where('policy_id', '=', policyId).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
}

export async function requireFailover(rt: Runtime, tenantId: string, id: string): Promise<FailoverRow> {
  const row = await rt.store.db.selectFrom('failovers').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  if (!row) throw new AppError('request.not_found', { entity: 'failover', id });
  return row;
}

async function update(rt: Runtime, tenantId: string, id: string, patch: Partial<Omit<FailoverRow, 'tenant_id' | 'id'>>, fromStates?: readonly FailoverState[]): Promise<boolean> {
  let q = rt.store.db.updateTable('failovers').set({ ...patch, updated_at: nowIso(rt.now()) }).where('tenant_id', '=', tenantId).where('id', '=', id);
  if (fromStates) q = q.where('state', 'in', [...fromStates]);
  return Number((await q.executeTakeFirst()).numUpdatedRows) > 0;
}

function isUniqueViolation(e: unknown): boolean {
  const msg = e instanceof Error ? e.message : String(e);
  return /UNIQUE constraint failed|duplicate key value/i.test(msg);
}

export interface DeclareInput {
  /** When Microsoft 365 began failing (defaults to a proposal's start, or now). */
  readonly since?: string | undefined;
  readonly reason?: string | undefined;
}

/** Declares the outage (or confirms a proposal). Records each user's Gmail change marker. */
export async function declareOutage(rt: Runtime, tenantId: string, policyId: string, input: DeclareInput, actor: string): Promise<FailoverRow> {
  const policy = viewPolicy(await requirePolicy(rt, tenantId, policyId));
  const nowMs = rt.now();
  const now = nowIso(nowMs);
  if (input.since !== undefined && (Number.isNaN(Date.parse(input.since)) || Date.parse(input.since) > nowMs + 60_000)) {
    throw new AppError('request.invalid', { detail: 'since: the outage cannot start in the future' });
  }
  const open = await openFailover(rt, tenantId, policyId);
  let id: string;
  if (open && open.state !== 'proposed') throw new AppError('failover.already_active', { policy: policy.name, since: open.outage_since });
  const since = input.since ? new Date(input.since).toISOString() : open?.outage_since ?? now;
  if (open) {
    id = open.id;
    const confirmed = await update(rt, tenantId, id, { state: 'active', outage_since: since, declared_at: now, declared_by: actor, reason: input.reason ?? open.reason, next_probe_at: now }, ['proposed']);
    if (!confirmed) throw new AppError('failover.already_active', { policy: policy.name, since: open.outage_since });
  } else {
    id = newId('fo', nowMs);
    try {
      await rt.store.db
        .insertInto('failovers')
        .values({
          tenant_id: tenantId, id, policy_id: policyId, state: 'active', outage_since: since, origin: 'declared', reason: input.reason ?? null, incident_id: null,
          proposed_at: null, declared_at: now, declared_by: actor, last_probe_at: null, last_probe_error_json: null, healthy_since: null, probe_failures: 0,
          next_probe_at: now, recovery_started_at: null, recovery_started_by: null, recovered_at: null, ended_at: null, ended_by: null, created_at: now, updated_at: now,
        })
        .execute();
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      const other = await openFailover(rt, tenantId, policyId);
      throw new AppError('failover.already_active', { policy: policy.name, since: other?.outage_since ?? since });
    }
  }
  const markers = await recordMarkers(rt, tenantId, id, policy, since, now);
  await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
    severity: 'warning', action: 'failover.declared', actor, target: { type: 'policy', id: policyId, name: policy.name },
    message: `Microsoft 365 outage declared on "${policy.name}" (since ${since}${input.reason ? `: ${input.reason}` : ''}); users work in Google Workspace. Change markers recorded for ${markers.recorded} of ${markers.users} user(s)`,
  }, nowMs);
  return (await requireFailover(rt, tenantId, id));
}

/**
 * One recovery row per user of the policy, with the Gmail change marker as of now: recovery
 * lists what was added after it. A marker that cannot be read (the mailbox not ready) is left
 * empty, and that user's recovery lists by date from the outage's start instead.
 */
async function recordMarkers(rt: Runtime, tenantId: string, failoverId: string, policy: PolicyView, since: string, now: string): Promise<{ users: number; recorded: number }> {
  const destRow = await getConnection(rt.store.db, tenantId, policy.destinationConnectionId);
  const dest = destRow ? await syncDestination(rt, tenantId, destRow).catch(() => null) : null;
  let users = 0;
  let recorded = 0;
  for (const u of await syncUsersOfPolicy(rt.store.db, tenantId, policy.id)) {
    if (u.status === 'excluded' || !u.destination_user_id) continue;
    users += 1;
    let marker: string | null = null;
    try {
      marker = dest?.changes ? await dest.changes.changeMarker(u.destination_email) : null;
    } catch {
      marker = null;
    }
    if (marker) recorded += 1;
    // Mail between the outage's start and now is found by date; after now, by the change history.
    const gap = Date.parse(since) < Date.parse(now) - 60_000 ? since : null;
    await rt.store.db
      .insertInto('recovery_users')
      .values({
        tenant_id: tenantId, id: newId('ru', rt.now()), failover_id: failoverId, sync_user_id: u.id, email: u.email, destination_email: u.destination_email, source_user_id: u.source_user_id,
        start_history_id: marker, gap_since: marker ? gap : null, cursor_json: null, status: 'pending', found: 0, written: 0, skipped: 0, failed: 0, bytes: 0,
        folders_json: null, error_json: null, attempts: 0, next_run_at: null, started_at: null, finished_at: null, updated_at: now,
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
  return { users, recorded };
}

/** Syncwarden's proposal: the source connection's incident shows an outage for longer than the set time. */
export async function proposeFailover(rt: Runtime, tenantId: string, policy: PolicyView, incident: { id: string; openedAt: string; error: StoredError }): Promise<boolean> {
  const now = nowIso(rt.now());
  const id = newId('fo', rt.now());
  try {
    await rt.store.db
      .insertInto('failovers')
      .values({
        tenant_id: tenantId, id, policy_id: policy.id, state: 'proposed', outage_since: incident.openedAt, origin: 'proposed',
        reason: `${catalogue[isErrorCode(incident.error.code) ? incident.error.code : 'provider.unavailable'].title} (incident since ${incident.openedAt})`,
        incident_id: incident.id, proposed_at: now, declared_at: null, declared_by: null, last_probe_at: null, last_probe_error_json: JSON.stringify(incident.error),
        healthy_since: null, probe_failures: 0, next_probe_at: null, recovery_started_at: null, recovery_started_by: null, recovered_at: null, ended_at: null, ended_by: null,
        created_at: now, updated_at: now,
      })
      .execute();
  } catch (e) {
    if (isUniqueViolation(e)) return false;
    throw e;
  }
  await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
    severity: 'warning', action: 'failover.proposed', target: { type: 'policy', id: policy.id, name: policy.name },
    message: `Failover proposed for "${policy.name}": Microsoft 365 has been failing since ${incident.openedAt}. Declare the outage on Continuity > Failover if users should work in Google Workspace`,
  }, rt.now());
  // Once per proposal (the outbox's dedupe key), to every enabled alert channel.
  const code = isErrorCode(incident.error.code) ? incident.error.code : 'provider.unavailable';
  await queueAlert(rt, tenantId, `failover.proposed:${id}`, { type: 'failover', id, name: policy.name }, {
    event: 'failover.proposed',
    severity: 'critical',
    title: `Failover proposed: Microsoft 365 failing for "${policy.name}" since ${incident.openedAt}`,
    summary: `Microsoft 365 has been failing since ${incident.openedAt} for the policy "${policy.name}". Declare the outage in Syncwarden (Failover) if users should work in Google Workspace; dismiss the proposal otherwise.`,
    failover: { id, policyId: policy.id, policyName: policy.name, state: 'proposed', outageSince: incident.openedAt },
    error: renderError(code, incident.error.params),
    link: '#/failover',
  });
  return true;
}

export async function dismissFailover(rt: Runtime, tenantId: string, policyId: string, actor: string): Promise<FailoverRow> {
  const policy = viewPolicy(await requirePolicy(rt, tenantId, policyId));
  const open = await openFailover(rt, tenantId, policyId);
  if (!open || open.state === 'recovering') throw new AppError('failover.not_active', { policy: policy.name, action: open ? 'end while recovery runs' : 'end' });
  const now = nowIso(rt.now());
  await update(rt, tenantId, open.id, { state: 'dismissed', ended_at: now, ended_by: actor }, ['proposed', 'active']);
  await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
    severity: 'info', action: open.state === 'proposed' ? 'failover.proposal_dismissed' : 'failover.ended', actor, target: { type: 'policy', id: policyId, name: policy.name },
    message: open.state === 'proposed' ? `Failover proposal for "${policy.name}" dismissed` : `Failover of "${policy.name}" ended without recovery: mail of the outage stays in Google Workspace only`,
  }, rt.now());
  await resumeForwardSync(rt, tenantId, policyId);
  return requireFailover(rt, tenantId, open.id);
}

/**
 * Probes the source once: one cheap Exchange request (a mailbox's Inbox listing since now).
 * Records the outcome; audits only a change of health, so an outage of hours writes two lines.
 */
export async function probeSource(rt: Runtime, tenantId: string, fo: FailoverRow, opts: { resume?: boolean } = {}): Promise<{ healthy: boolean; error: StoredError | null }> {
  const policy = viewPolicy(await requirePolicy(rt, tenantId, fo.policy_id));
  const nowMs = rt.now();
  const now = nowIso(nowMs);
  let error: StoredError | null = null;
  try {
    const sourceRow = await getConnection(rt.store.db, tenantId, policy.sourceConnectionId);
    if (!sourceRow) throw new AppError('request.not_found', { entity: 'connection', id: policy.sourceConnectionId });
    const source = await syncSource(rt, tenantId, sourceRow);
    const user = (await syncUsersOfPolicy(rt.store.db, tenantId, policy.id)).find((u) => u.status !== 'excluded');
    if (user) await source.listFolderStubs(user.source_user_id, 'inbox', new Date(nowMs), null);
    else await source.listAccounts(null);
  } catch (e) {
    error = toAppError(e).toJSON();
  }
  const wasHealthy = fo.last_probe_at !== null && fo.last_probe_error_json === null;
  const failures = error ? fo.probe_failures + 1 : 0;
  const next = error ? nowMs + Math.max(PROBE_BASE_MS / 2, fullJitter(failures, PROBE_BASE_MS, PROBE_MAX_MS, Math.random) + PROBE_BASE_MS / 2) : nowMs + PROBE_HEALTHY_MS;
  await update(rt, tenantId, fo.id, {
    last_probe_at: now, last_probe_error_json: error ? JSON.stringify(error) : null, probe_failures: failures,
    healthy_since: error ? null : fo.healthy_since ?? now, next_probe_at: nowIso(next),
  });
  const target = { type: 'policy', id: policy.id, name: policy.name };
  if (!error && !wasHealthy) {
    await recordAudit(rt.store.db, rt.store.dialect, tenantId, { severity: 'info', action: 'failover.source_healthy', target, message: `Microsoft 365 answers again for "${policy.name}"; forward sync resumes. Start recovery to write the outage's mail back` }, nowMs);
    if (opts.resume !== false) await resumeForwardSync(rt, tenantId, policy.id);
  } else if (error && (wasHealthy || fo.last_probe_at === null)) {
    const code = isErrorCode(error.code) ? error.code : 'provider.unavailable';
    await recordAudit(rt.store.db, rt.store.dialect, tenantId, { ...auditError(code, error.params, 'failover.source_failing', target), severity: 'warning' }, nowMs);
  }
  return { healthy: !error, error };
}

/**
 * Forward sync after the outage: users the outage failed are due again at once (not in
 * quarantine backoff), and a cycle runs. Delta tokens make them pick up everything Microsoft
 * 365 accepted during the outage.
 */
export async function resumeForwardSync(rt: Runtime, tenantId: string, policyId: string): Promise<void> {
  const now = nowIso(rt.now());
  for (const u of await syncUsersOfPolicy(rt.store.db, tenantId, policyId)) {
    if (u.status === 'excluded') continue;
    if (u.status === 'failed' || u.status === 'quarantined' || u.status === 'blocked') {
      await rt.store.db.updateTable('sync_users').set({ consecutive_failures: 0, transient_retries: 0, next_sync_at: now, updated_at: now }).where('tenant_id', '=', tenantId).where('id', '=', u.id).execute();
    }
    await enqueue(rt.store.db, tenantId, { kind: 'user.sync', dedupeKey: `user:${u.id}`, payload: { syncUserId: u.id }, again: true }, rt.now());
  }
  await enqueue(rt.store.db, tenantId, { ...cycleJob(policyId), again: true }, rt.now());
}

/** The job that recovers one user (kind 'recovery.user'). */
export function recoveryJob(recoveryUserId: string) {
  return { kind: 'recovery.user', dedupeKey: `recovery:${recoveryUserId}`, payload: { recoveryUserId } } as const;
}

/**
 * Starts recovery: the source must answer (a probe now) and carry write-back consent
 * (Mail.ReadWrite); then one job per user. Users that joined the policy during the outage get
 * a recovery row listing by date from the outage's start.
 */
export async function startRecovery(rt: Runtime, tenantId: string, policyId: string, actor: string, opts: { auto?: boolean } = {}): Promise<FailoverRow> {
  const policy = viewPolicy(await requirePolicy(rt, tenantId, policyId));
  const fo = await openFailover(rt, tenantId, policyId);
  if (!fo || fo.state !== 'active') throw new AppError('failover.not_active', { policy: policy.name, action: fo?.state === 'recovering' ? 'start again: recovery is already running' : 'recover' });
  const sourceRow = await getConnection(rt.store.db, tenantId, policy.sourceConnectionId);
  if (!sourceRow) throw new AppError('request.not_found', { entity: 'connection', id: policy.sourceConnectionId });
  if (Number(sourceRow.write_back) !== 1) throw new AppError('failover.recovery_not_consented', { connection: sourceRow.name });
  // Forward sync resumes below, once recovery holds it for the users it has yet to recover.
  const probe = await probeSource(rt, tenantId, fo, { resume: false });
  if (!probe.healthy) {
    const detail = probe.error && isErrorCode(probe.error.code) ? catalogue[probe.error.code].title : 'no answer';
    throw new AppError('failover.source_unhealthy', { connection: sourceRow.name, detail });
  }
  const now = nowIso(rt.now());
  if (!(await update(rt, tenantId, fo.id, { state: 'recovering', recovery_started_at: now, recovery_started_by: actor }, ['active']))) {
    throw new AppError('failover.not_active', { policy: policy.name, action: 'start again: recovery is already running' });
  }
  // Users added during the outage: no marker, listed by date.
  await recordMarkersForNewUsers(rt, tenantId, fo, policy, now);
  const users = await rt.store.db.selectFrom('recovery_users').select(['id']).where('tenant_id', '=', tenantId).where('failover_id', '=', fo.id).execute();
  // Jobs run on the runtime's clock, the one the workers claim by.
  for (const u of users) await enqueue(rt.store.db, tenantId, recoveryJob(u.id), rt.now());
  await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
    severity: 'info', action: 'failover.recovery_started', actor, target: { type: 'policy', id: policyId, name: policy.name },
    message: `Recovery ${opts.auto ? 'started automatically' : 'started'} for "${policy.name}": the mail of the outage since ${fo.outage_since} is written back to Microsoft 365 for ${users.length} user(s)`,
  }, rt.now());
  await resumeForwardSync(rt, tenantId, policyId);
  if (users.length === 0) await finishIfDone(rt, tenantId, fo.id);
  return requireFailover(rt, tenantId, fo.id);
}

async function recordMarkersForNewUsers(rt: Runtime, tenantId: string, fo: FailoverRow, policy: PolicyView, now: string): Promise<void> {
  const known = new Set((await rt.store.db.selectFrom('recovery_users').select('sync_user_id').where('tenant_id', '=', tenantId).where('failover_id', '=', fo.id).execute()).map((r) => r.sync_user_id));
  for (const u of await syncUsersOfPolicy(rt.store.db, tenantId, policy.id)) {
    if (u.status === 'excluded' || !u.destination_user_id || known.has(u.id)) continue;
    await rt.store.db
      .insertInto('recovery_users')
      .values({
        tenant_id: tenantId, id: newId('ru', rt.now()), failover_id: fo.id, sync_user_id: u.id, email: u.email, destination_email: u.destination_email, source_user_id: u.source_user_id,
        start_history_id: null, gap_since: null, cursor_json: null, status: 'pending', found: 0, written: 0, skipped: 0, failed: 0, bytes: 0,
        folders_json: null, error_json: null, attempts: 0, next_run_at: null, started_at: null, finished_at: null, updated_at: now,
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
}

/**
 * Recoveries that lost their work: a process that died after starting a recovery and before
 * queueing its users' jobs (an automatic recovery runs inside a worker), or after settling the
 * last user and before closing the failover, would leave it "recovering" with nothing to move
 * it. Each tick queues the job of every unsettled user that has none and closes failovers with
 * none left. Any process may run it: a live job's dedupe key keeps one per user.
 */
export async function resumeStalledRecoveries(rt: Runtime): Promise<number> {
  const open = await rt.store.db.selectFrom('failovers').select(['tenant_id', 'id']).where('state', '=', 'recovering').execute();
  let queued = 0;
  for (const fo of open) {
    const orphans = await rt.store.db
      .selectFrom('recovery_users as ru')
      .select(['ru.id'])
      .where('ru.tenant_id', '=', fo.tenant_id)
      .where('ru.failover_id', '=', fo.id)
      .where('ru.status', 'in', ['pending', 'recovering', 'throttled'])
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('jobs as j').select(sql<number>`1`.as('one')).whereRef('j.tenant_id', '=', 'ru.tenant_id').where('j.status', 'in', ['queued', 'running']).where(sql<boolean>`j.dedupe_key = 'recovery:' || ru.id`))),
      )
      .execute();
    for (const ru of orphans) if (await enqueue(rt.store.db, fo.tenant_id, recoveryJob(ru.id), rt.now())) queued += 1;
    if (orphans.length === 0) await finishIfDone(rt, fo.tenant_id, fo.id);
  }
  return queued;
}

/** Marks the failover recovered once no user is left to recover. */
export async function finishIfDone(rt: Runtime, tenantId: string, failoverId: string): Promise<boolean> {
  const left = await rt.store.db
    .selectFrom('recovery_users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('tenant_id', '=', tenantId)
    .where('failover_id', '=', failoverId)
    .where('status', 'in', ['pending', 'recovering', 'throttled'])
    .executeTakeFirstOrThrow();
  if (Number(left.n) > 0) return false;
  const fo = await requireFailover(rt, tenantId, failoverId);
  const now = nowIso(rt.now());
  if (!(await update(rt, tenantId, failoverId, { state: 'recovered', recovered_at: now, ended_at: now }, ['recovering']))) return false;
  const totals = await rt.store.db
    .selectFrom('recovery_users')
    .select((eb) => [eb.fn.sum<number>('written').as('written'), eb.fn.sum<number>('skipped').as('skipped'), eb.fn.sum<number>('failed').as('failed'), eb.fn.countAll<number>().as('users')])
    .where('tenant_id', '=', tenantId)
    .where('failover_id', '=', failoverId)
    .executeTakeFirstOrThrow();
  const failedUsers = await rt.store.db.selectFrom('recovery_users').select((eb) => eb.fn.countAll<number>().as('n')).where('tenant_id', '=', tenantId).where('failover_id', '=', failoverId).where('status', '=', 'failed').executeTakeFirstOrThrow();
  const policy = await requirePolicy(rt, tenantId, fo.policy_id);
  await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
    severity: Number(failedUsers.n) > 0 || Number(totals.failed) > 0 ? 'warning' : 'info', action: 'failover.recovered', target: { type: 'policy', id: fo.policy_id, name: policy.name },
    message: `Recovery of "${policy.name}" finished: ${Number(totals.written ?? 0)} message(s) written back, ${Number(totals.skipped ?? 0)} skipped, ${Number(totals.failed ?? 0)} failed; ${Number(failedUsers.n)} of ${Number(totals.users)} user(s) failed`,
  }, rt.now());
  return true;
}

// ── Views ──

export interface FailoverView {
  id: string;
  policyId: string;
  policyName: string;
  state: FailoverState;
  origin: 'declared' | 'proposed';
  outageSince: string;
  reason: string | null;
  proposedAt: string | null;
  declaredAt: string | null;
  declaredBy: string | null;
  lastProbeAt: string | null;
  lastProbeError: StoredError | null;
  healthySince: string | null;
  nextProbeAt: string | null;
  recoveryStartedAt: string | null;
  recoveredAt: string | null;
  endedAt: string | null;
  /** The banner the dashboard and Sync status show while the failover is open. */
  banner: string | null;
  totals: { users: number; found: number; written: number; skipped: number; failed: number; recovered: number; failedUsers: number; recovering: number };
}

export function bannerOf(state: FailoverState, since: string, policyName: string): string | null {
  switch (state) {
    case 'proposed':
      return `Microsoft 365 has been failing since ${since} (${policyName}): declare an outage if users should work in Google Workspace`;
    case 'active':
      return `Microsoft 365 outage since ${since}; users work in Google Workspace (${policyName})`;
    case 'recovering':
      return `Microsoft 365 outage since ${since} is over; recovering the outage's mail to Microsoft 365 (${policyName})`;
    case 'recovered':
    case 'dismissed':
      return null;
  }
}

export async function viewFailover(rt: Runtime, tenantId: string, row: FailoverRow): Promise<FailoverView> {
  const policy = await requirePolicy(rt, tenantId, row.policy_id);
  const rows = await rt.store.db.selectFrom('recovery_users').select(['status', 'found', 'written', 'skipped', 'failed']).where('tenant_id', '=', tenantId).where('failover_id', '=', row.id).execute();
  const sum = (k: 'found' | 'written' | 'skipped' | 'failed') => rows.reduce((s, r) => s + Number(r[k]), 0);
  const state = row.state as FailoverState;
  return {
    id: row.id, policyId: row.policy_id, policyName: policy.name, state, origin: row.origin === 'proposed' ? 'proposed' : 'declared',
    outageSince: row.outage_since, reason: row.reason, proposedAt: row.proposed_at, declaredAt: row.declared_at, declaredBy: row.declared_by,
    lastProbeAt: row.last_probe_at, lastProbeError: fromJson<StoredError | null>(row.last_probe_error_json, null), healthySince: row.healthy_since, nextProbeAt: row.next_probe_at,
    recoveryStartedAt: row.recovery_started_at, recoveredAt: row.recovered_at, endedAt: row.ended_at,
    banner: bannerOf(state, row.outage_since, policy.name),
    totals: {
      users: rows.length, found: sum('found'), written: sum('written'), skipped: sum('skipped'), failed: sum('failed'),
      recovered: rows.filter((r) => r.status === 'recovered').length, failedUsers: rows.filter((r) => r.status === 'failed').length,
      recovering: rows.filter((r) => r.status === 'recovering' || r.status === 'pending' || r.status === 'throttled').length,
    },
  };
}

/** Every open failover of the tenant (banners). */
export async function openFailoverViews(rt: Runtime, tenantId: string): Promise<FailoverView[]> {
  const rows = await rt.store.db.selectFrom('failovers').selectAll().where('tenant_id', '=', tenantId).where('state', 'in', [...OPEN]).orderBy('created_at').execute();
  return Promise.all(rows.map((r) => viewFailover(rt, tenantId, r)));
}

export async function failoverHistory(rt: Runtime, tenantId: string, policyId: string): Promise<FailoverView[]> {
  const rows = await rt.store.db.selectFrom('failovers').selectAll().where('tenant_id', '=', tenantId).where('policy_id', '=', policyId).orderBy('created_at', 'desc').limit(50).execute();
  return Promise.all(rows.map((r) => viewFailover(rt, tenantId, r)));
}

/** Due probes of active failovers (compare-and-set on next_probe_at, safe from every process). */
export async function probeDueFailovers(rt: Runtime): Promise<number> {
  const now = nowIso(rt.now());
  const due = await rt.store.db.selectFrom('failovers').selectAll().where('state', '=', 'active').where('next_probe_at', '<=', now).execute();
  let probed = 0;
  for (const fo of due) {
    const claimed = await rt.store.db
      .updateTable('failovers')
      .set({ next_probe_at: nowIso(rt.now() + PROBE_MAX_MS) })
      .where('tenant_id', '=', fo.tenant_id)
      .where('id', '=', fo.id)
      .where('next_probe_at', '=', fo.next_probe_at)
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) continue;
    const r = await probeSource(rt, fo.tenant_id, fo);
    probed += 1;
    if (!r.healthy) continue;
    const settings = await loadFailoverSettings(rt, fo.tenant_id, fo.policy_id);
    const fresh = await requireFailover(rt, fo.tenant_id, fo.id);
    if (settings.autoRecover && fresh.healthy_since && Date.parse(fresh.healthy_since) <= rt.now() - settings.autoRecoverAfterMinutes * 60_000) {
      try {
        const started = await startRecovery(rt, fo.tenant_id, fo.policy_id, 'syncwarden', { auto: true });
        const policyName = (await requirePolicy(rt, fo.tenant_id, fo.policy_id)).name;
        await queueAlert(rt, fo.tenant_id, `failover.recovery_started:${fo.id}`, { type: 'failover', id: fo.id, name: policyName }, {
          event: 'failover.recovery_started',
          severity: 'info',
          title: `Recovery started by itself: Microsoft 365 healthy for ${settings.autoRecoverAfterMinutes} min`,
          summary: `Microsoft 365 has answered every probe since ${fresh.healthy_since}; as the policy's failover settings say, Syncwarden started writing the outage's mail (since ${fo.outage_since}) back to Microsoft 365.`,
          failover: { id: fo.id, policyId: fo.policy_id, policyName: policyName, state: started.state, outageSince: fo.outage_since },
          link: '#/failover',
        });
      } catch (e) {
        const err = toAppError(e);
        // Not consented yet: said once per failover in the audit log, then left to the admin.
        if (err.code === 'failover.recovery_not_consented' && fresh.recovery_started_by !== 'blocked') {
          await update(rt, fo.tenant_id, fo.id, { recovery_started_by: 'blocked' });
          await recordAudit(rt.store.db, rt.store.dialect, fo.tenant_id, auditError(err.code, err.params, 'failover.auto_recovery_blocked', { type: 'failover', id: fo.id }), rt.now());
        } else if (err.code !== 'failover.recovery_not_consented' && err.code !== 'failover.not_active') throw err;
      }
    }
  }
  return probed;
}

/** Kinds of incident error that mean "Microsoft 365 is down", not "our configuration is wrong". */
export function isOutageError(code: string): boolean {
  if (!isErrorCode(code)) return false;
  return catalogue[code].kind === 'transient';
}

/** Proposes failovers where the source's incident has shown an outage for longer than the set time. */
export async function proposeDueFailovers(rt: Runtime): Promise<number> {
  const nowMs = rt.now();
  const incidents = await rt.store.db.selectFrom('incidents').selectAll().where('state', '=', 'open').execute();
  let proposed = 0;
  for (const inc of incidents) {
    if (!isOutageError(inc.code)) continue;
    const policies = await rt.store.db.selectFrom('policies').selectAll().where('tenant_id', '=', inc.tenant_id).where('source_connection_id', '=', inc.connection_id).where('enabled', '=', 1).execute();
    for (const p of policies) {
      const settings = await loadFailoverSettings(rt, inc.tenant_id, p.id);
      if (!settings.propose || Date.parse(inc.opened_at) > nowMs - settings.proposeAfterMinutes * 60_000) continue;
      if (await openFailover(rt, inc.tenant_id, p.id)) continue;
      // Not again for an incident whose proposal an admin already dismissed.
      const dismissed = await rt.store.db.selectFrom('failovers').select('id').where('tenant_id', '=', inc.tenant_id).where('policy_id', '=', p.id).where('incident_id', '=', inc.id).executeTakeFirst();
      if (dismissed) continue;
      const error: StoredError = { code: inc.code as StoredError['code'], params: fromJson<StoredError['params']>(inc.params_json, {}) };
      if (await proposeFailover(rt, inc.tenant_id, viewPolicy(p), { id: inc.id, openedAt: inc.opened_at, error })) proposed += 1;
    }
  }
  return proposed;
}

export function isProbeFailing(fo: FailoverRow | undefined): boolean {
  return fo !== undefined && fo.state === 'active' && fo.healthy_since === null;
}

/**
 * Whether forward sync of this user waits: while Microsoft 365 is down (the last probe failed),
 * and while recovery has yet to finish this user — so a message delivered to both mailboxes
 * during the outage is first seen by recovery (already present: skipped), and forward sync
 * then learns it instead of importing a second copy into Gmail. Recovery queues the user's
 * sync when it finishes.
 */
export async function forwardSyncWaits(rt: Runtime, tenantId: string, policyId: string, syncUserId: string): Promise<boolean> {
  const fo = await openFailover(rt, tenantId, policyId);
  if (!fo) return false;
  if (isProbeFailing(fo)) return true;
  if (fo.state !== 'recovering') return false;
  const ru = await rt.store.db.selectFrom('recovery_users').select('status').where('tenant_id', '=', tenantId).where('failover_id', '=', fo.id).where('sync_user_id', '=', syncUserId).executeTakeFirst();
  return ru !== undefined && (ru.status === 'pending' || ru.status === 'recovering' || ru.status === 'throttled');
}

