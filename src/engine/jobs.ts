import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, JobsTable } from '../store/schema.js';
import type { Dialect } from '../store/db.js';
import { newId, nowIso } from '../model/ids.js';
import type { StoredError } from '../errors/index.js';

/**
 * A durable job queue in the application database. Workers in any number of processes claim
 * jobs with a lease; on PostgreSQL the claim uses FOR UPDATE SKIP LOCKED so workers never
 * wait on each other, and a worker that dies loses its lease, after which the job is claimed
 * again. The dedupe key keeps at most one live (queued or running) job per key.
 */
export type JobRow = Selectable<JobsTable>;
export type JobStatus = 'queued' | 'running' | 'done' | 'failed';

export interface EnqueueInput {
  readonly kind: string;
  readonly dedupeKey: string;
  readonly payload: unknown;
  readonly runAt?: Date;
  /**
   * When a job with this key is running, have it run once more after it ends. For work whose
   * request means "look again now" (a user's mail sync, a policy cycle): the running one may
   * already have read past what this request is for, so dropping the request on the dedupe
   * key would leave it until the next schedule. A queued job needs nothing: it has not read yet.
   */
  readonly again?: boolean;
}

/**
 * Returns true when a job was queued, false when a live job with that key already exists
 * (with `again`, a running one is then marked to run once more when it ends).
 */
export async function enqueue(db: Kysely<Database>, tenantId: string, input: EnqueueInput, nowMs: number): Promise<boolean> {
  // Three rounds at most: the live job may end between our insert and our mark.
  for (let round = 0; round < 3; round += 1) {
    if (await insertJob(db, tenantId, input, nowMs)) return true;
    if (!input.again) return false;
    const marked = await db
      .updateTable('jobs')
      .set({ rerun: 1 })
      .where('tenant_id', '=', tenantId)
      .where('dedupe_key', '=', input.dedupeKey)
      .where('status', '=', 'running')
      .executeTakeFirst();
    if (Number(marked.numUpdatedRows) > 0) return false;
    const queued = await db.selectFrom('jobs').select('id').where('tenant_id', '=', tenantId).where('dedupe_key', '=', input.dedupeKey).where('status', '=', 'queued').executeTakeFirst();
    if (queued) return false;
  }
  return false;
}

/**
 * An admin's "now": queues the job, or brings one queued for later (a backoff, a throttle's
 * resume time) forward to now, or has a running one run again when it ends. True when a new
 * job was queued or a queued one brought forward.
 */
export async function enqueueNow(db: Kysely<Database>, tenantId: string, input: Omit<EnqueueInput, 'again' | 'runAt'>, nowMs: number): Promise<boolean> {
  if (await enqueue(db, tenantId, { ...input, again: true }, nowMs)) return true;
  const r = await db
    .updateTable('jobs')
    .set({ run_at: nowIso(nowMs), updated_at: nowIso(nowMs) })
    .where('tenant_id', '=', tenantId)
    .where('dedupe_key', '=', input.dedupeKey)
    .where('status', '=', 'queued')
    .where('run_at', '>', nowIso(nowMs))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

async function insertJob(db: Kysely<Database>, tenantId: string, input: EnqueueInput, nowMs: number): Promise<boolean> {
  const now = nowIso(nowMs);
  const r = await db
    .insertInto('jobs')
    .values({
      tenant_id: tenantId,
      id: newId('job', nowMs),
      kind: input.kind,
      dedupe_key: input.dedupeKey,
      payload_json: JSON.stringify(input.payload),
      status: 'queued',
      run_at: (input.runAt ?? new Date(nowMs)).toISOString(),
      attempts: 0,
      lease_owner: null,
      lease_until: null,
      last_error_json: null,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/**
 * Claims up to `limit` due jobs for `owner` for `leaseMs`. Due means queued with run_at
 * passed, or running with an expired lease (its worker died).
 */
export async function claim(db: Kysely<Database>, dialect: Dialect, owner: string, limit: number, leaseMs: number, nowMs = Date.now()): Promise<JobRow[]> {
  const now = nowIso(nowMs);
  const until = nowIso(nowMs + leaseMs);
  const lock = dialect === 'postgres' ? sql`FOR UPDATE SKIP LOCKED` : sql``;
  const result = await sql<JobRow>`
    UPDATE jobs SET status = 'running', lease_owner = ${owner}, lease_until = ${until},
      attempts = attempts + 1, updated_at = ${now}
    WHERE id IN (
      SELECT id FROM jobs
      WHERE (status = 'queued' AND run_at <= ${now}) OR (status = 'running' AND lease_until < ${now})
      ORDER BY run_at, id
      LIMIT ${limit}
      ${lock}
    )
    RETURNING *`.execute(db);
  return result.rows;
}

/** Running jobs whose lease ran out (their worker died or lost touch): the next claim takes them. */
export async function countExpiredLeases(db: Kysely<Database>, nowMs = Date.now()): Promise<number> {
  const r = await db
    .selectFrom('jobs')
    .where('status', '=', 'running')
    .where('lease_until', '<', nowIso(nowMs))
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Extends the lease; false when the job is no longer ours (lease lost to another worker). */
export async function heartbeat(db: Kysely<Database>, jobId: string, owner: string, leaseMs: number, nowMs = Date.now()): Promise<boolean> {
  const r = await db
    .updateTable('jobs')
    .set({ lease_until: nowIso(nowMs + leaseMs), updated_at: nowIso(nowMs) })
    .where('id', '=', jobId)
    .where('lease_owner', '=', owner)
    .where('status', '=', 'running')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/**
 * The job ended. One asked for again while it ran (`rerun`) goes back to the queue, due now and
 * with its attempts reset (a new request), in the same statement, so no request is lost
 * between the two; otherwise it ends as `status`.
 */
async function finish(db: Kysely<Database>, jobId: string, owner: string, status: 'done' | 'failed', error: StoredError | null, nowMs: number): Promise<void> {
  const now = nowIso(nowMs);
  await db
    .updateTable('jobs')
    .set((eb) => ({
      status: sql<string>`CASE WHEN ${eb.ref('rerun')} = 1 THEN 'queued' ELSE ${status} END`,
      run_at: sql<string>`CASE WHEN ${eb.ref('rerun')} = 1 THEN ${now} ELSE ${eb.ref('run_at')} END`,
      attempts: sql<number>`CASE WHEN ${eb.ref('rerun')} = 1 THEN 0 ELSE ${eb.ref('attempts')} END`,
      rerun: 0,
      lease_owner: null,
      lease_until: null,
      ...(error ? { last_error_json: JSON.stringify(error) } : {}),
      updated_at: now,
    }))
    .where('id', '=', jobId)
    .where('lease_owner', '=', owner)
    .execute();
}

export async function complete(db: Kysely<Database>, jobId: string, owner: string, nowMs = Date.now()): Promise<void> {
  await finish(db, jobId, owner, 'done', null, nowMs);
}

/**
 * Puts the job back in the queue to run at `runAt`. `attempts` counts failures, not slices:
 * every claim adds one (so a worker that dies holding the lease counts as a failure), and a
 * claim that ended in a normal yield — `failed: false`, the handler asked to run again later
 * because its time slice ended or it is throttled — gives it back. Otherwise a long initial
 * sync would reach the retry limit by slicing alone and its first real exception would fail
 * the job instead of retrying it (issue 10, finding 10).
 */
export async function reschedule(db: Kysely<Database>, jobId: string, owner: string, runAt: Date, error: StoredError | null, nowMs = Date.now(), failed = error !== null): Promise<void> {
  await db
    .updateTable('jobs')
    .set((eb) => ({
      ...(failed ? {} : { attempts: sql<number>`CASE WHEN ${eb.ref('attempts')} > 0 THEN ${eb.ref('attempts')} - 1 ELSE 0 END` }),
      status: 'queued',
      run_at: runAt.toISOString(),
      lease_owner: null,
      lease_until: null,
      last_error_json: error ? JSON.stringify(error) : null,
      // It runs again anyway: that run answers a request made while this one ran.
      rerun: 0,
      updated_at: nowIso(nowMs),
    }))
    .where('id', '=', jobId)
    .where('lease_owner', '=', owner)
    .execute();
}

export async function fail(db: Kysely<Database>, jobId: string, owner: string, error: StoredError, nowMs = Date.now()): Promise<void> {
  await finish(db, jobId, owner, 'failed', error, nowMs);
}

/** Removes finished jobs older than `olderThanMs` so the table stays small. */
export async function pruneFinished(db: Kysely<Database>, olderThanMs: number, nowMs = Date.now()): Promise<number> {
  const r = await db
    .deleteFrom('jobs')
    .where('status', 'in', ['done', 'failed'])
    .where('updated_at', '<', nowIso(nowMs - olderThanMs))
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

export async function countLive(db: Kysely<Database>, tenantId?: string): Promise<number> {
  let q = db.selectFrom('jobs').where('status', 'in', ['queued', 'running']);
  if (tenantId) q = q.where('tenant_id', '=', tenantId);
  const r = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

/**
 * Cancels every queued or running job whose payload names this connection (its syncs, its
 * doctor runs): they end as failed with `error`. A running job's next heartbeat finds it is no
 * longer its own and aborts its signal; its completion then changes nothing.
 */
export async function cancelJobsOfConnection(db: Kysely<Database>, tenantId: string, connectionId: string, error: StoredError, nowMs = Date.now()): Promise<number> {
  const r = await db
    .updateTable('jobs')
    .set({ status: 'failed', lease_owner: null, lease_until: null, last_error_json: JSON.stringify(error), updated_at: nowIso(nowMs) })
    .where('tenant_id', '=', tenantId)
    .where('status', 'in', ['queued', 'running'])
    // Payloads are written by JSON.stringify (no spaces); connection ids hold no JSON specials.
    .where('payload_json', 'like', `%"connectionId":"${connectionId}"%`)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}
