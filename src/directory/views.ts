import { isConnectionKind, kindSpecs } from '../connections/kinds/index.js';
import type { Selectable } from 'kysely';
import type { Runtime } from '../runtime/context.js';
import type { DirRunsTable } from '../store/schema.js';
import { AppError, parseStoredError, renderStored, type RenderedError } from '../errors/index.js';
import { fromJson } from '../store/json.js';
import { directoryScopeOf, requireConnection } from '../connections/service.js';
import { listConnections, type ConnectionRow } from '../store/connections-repo.js';
import type { DirectoryScope } from '../connectors/sdk/index.js';
import type { Counts, Excluded } from './sync/finalize.js';
import type { Checks } from './sync/checks.js';
import { parseCheckpoint } from './sync/checkpoint.js';
import { ensureState } from './sync/state.js';
import { describeHeld, parseHeld, type HeldRemovals } from './sync/guard.js';

export interface DirRunView {
  id: string;
  connectionId: string;
  mode: 'full' | 'delta';
  trigger: string;
  status: 'running' | 'throttled' | 'held' | 'succeeded' | 'warning' | 'failed';
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  objectsRead: number;
  pagesRead: number;
  pagesUnchanged: number;
  added: number;
  changed: number;
  removed: number;
  counts: Counts | null;
  excluded: Excluded | null;
  checks: Checks | null;
  error: RenderedError | null;
  resumeAt: string | null;
  progress: { stream: string; streamIndex: number; streams: number; page: number } | null;
  /** Held by the mass-removal guard (or approved from there): what it would remove, and a sample. */
  held: HeldRemovals | null;
}

export type DirectoryState = 'never_synced' | 'queued' | 'running' | 'throttled' | 'held' | 'succeeded' | 'warning' | 'failed';

export interface DirectoryStatusView {
  connectionId: string;
  connectionName: string;
  kind: string;
  state: DirectoryState;
  message: string;
  throttledUntil: string | null;
  lastRun: DirRunView | null;
  activeRun: DirRunView | null;
  lastSuccessAt: string | null;
  nextFullAt: string | null;
  nextDeltaAt: string | null;
  counts: Counts | null;
  excluded: Excluded | null;
  scope: DirectoryScope;
}

/** Stream names of a kind's directory source, in reading order, from the kind registry. */
function streamNames(kind: string): string[] {
  return (isConnectionKind(kind) ? (kindSpecs[kind].roles.directory?.streams ?? []) : []).map((s) => s.name);
}

export function toRunView(r: Selectable<DirRunsTable>, kind: string): DirRunView {
  const live = r.status === 'running' || r.status === 'throttled';
  const cp = parseCheckpoint(r.checkpoint_json);
  const streams = streamNames(kind);
  return {
    id: r.id,
    connectionId: r.connection_id,
    mode: r.mode as DirRunView['mode'],
    trigger: r.trigger,
    status: r.status as DirRunView['status'],
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    durationMs: r.finished_at ? Date.parse(r.finished_at) - Date.parse(r.started_at) : null,
    objectsRead: Number(r.objects_read),
    pagesRead: Number(r.pages_read),
    pagesUnchanged: Number(r.pages_unchanged),
    added: Number(r.added),
    changed: Number(r.changed),
    removed: Number(r.removed),
    counts: fromJson<Counts | null>(r.counts_json, null),
    excluded: fromJson<Excluded | null>(r.excluded_json, null),
    checks: fromJson<Checks | null>(r.checks_json, null),
    error: renderStored(parseStoredError(fromJson<unknown>(r.error_json, null))),
    resumeAt: r.resume_at,
    held: parseHeld(r.held_json),
    progress: live ? { stream: streams[cp.i] ?? 'finishing', streamIndex: Math.min(cp.i + 1, Math.max(streams.length, 1)), streams: streams.length, page: cp.page + 1 } : null,
  };
}

export async function getRun(rt: Runtime, tenantId: string, runId: string): Promise<DirRunView> {
  const r = await rt.store.db.selectFrom('dir_runs').selectAll().where('tenant_id', '=', tenantId).where('id', '=', runId).executeTakeFirst();
  if (!r) throw new AppError('request.not_found', { entity: 'sync run', id: runId });
  const conn = await requireConnection(rt, tenantId, r.connection_id).catch(() => undefined);
  return toRunView(r, conn?.kind ?? '');
}

export async function listRuns(rt: Runtime, tenantId: string, connectionId: string, opts: { limit?: number } = {}): Promise<DirRunView[]> {
  const conn = await requireConnection(rt, tenantId, connectionId);
  const rows = await rt.store.db
    .selectFrom('dir_runs')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('connection_id', '=', connectionId)
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc')
    .limit(Math.min(Math.max(opts.limit ?? 50, 1), 500))
    .execute();
  return rows.map((r) => toRunView(r, conn.kind));
}

const hhmm = (iso: string) => `${iso.slice(11, 16)} UTC`;

async function statusOf(rt: Runtime, tenantId: string, conn: ConnectionRow): Promise<DirectoryStatusView> {
  const state = await ensureState(rt, tenantId, conn.id);
  const runIds = [state.active_run_id, state.last_run_id].filter((x): x is string => x !== null);
  const runs = runIds.length
    ? await rt.store.db.selectFrom('dir_runs').selectAll().where('tenant_id', '=', tenantId).where('id', 'in', runIds).execute()
    : [];
  const active = runs.find((r) => r.id === state.active_run_id);
  const last = runs.find((r) => r.id === state.last_run_id);
  const lastSuccess = last && (last.status === 'succeeded' || last.status === 'warning') ? last : undefined;
  const queued = await rt.store.db
    .selectFrom('jobs')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('dedupe_key', '=', `dirsync:${conn.id}`)
    .where('status', 'in', ['queued', 'running'])
    .executeTakeFirst();
  let st: DirectoryState;
  let message: string;
  if (active?.status === 'held') {
    st = 'held';
    const h = parseHeld(active.held_json);
    message = `Removals held for approval: ${h ? describeHeld(h) : 'more than the connection allows'}`;
  } else if (active?.status === 'throttled') {
    st = 'throttled';
    message = `Throttled, resumes at ${hhmm(active.resume_at ?? state.throttled_until ?? new Date(rt.now()).toISOString())}`;
  } else if (active) {
    st = 'running';
    const cp = parseCheckpoint(active.checkpoint_json);
    const streams = streamNames(conn.kind);
    message = `${active.mode === 'full' ? 'Full sync' : 'Reading changes'}: ${streams[cp.i] ?? 'finishing'} (${Math.min(cp.i + 1, streams.length)} of ${streams.length}), ${Number(active.objects_read).toLocaleString('en-US')} objects read`;
  } else if (queued) {
    st = 'queued';
    message = 'Sync queued';
  } else if (!last) {
    st = 'never_synced';
    message = 'Never synced';
  } else if (last.status === 'failed') {
    st = 'failed';
    const err = renderStored(parseStoredError(fromJson<unknown>(last.error_json, null)));
    message = `Last sync failed: ${err?.title ?? 'unknown error'}`;
  } else {
    st = last.status === 'warning' ? 'warning' : 'succeeded';
    message = `Synced at ${last.finished_at ? hhmm(last.finished_at) : '—'}${st === 'warning' ? ' with a warning' : ''}`;
  }
  const countsRun = lastSuccess ?? (await lastSucceeded(rt, tenantId, conn.id));
  return {
    connectionId: conn.id,
    connectionName: conn.name,
    kind: conn.kind,
    state: st,
    message,
    throttledUntil: active?.status === 'throttled' ? (active.resume_at ?? state.throttled_until) : null,
    lastRun: last ? toRunView(last, conn.kind) : null,
    activeRun: active ? toRunView(active, conn.kind) : null,
    lastSuccessAt: state.last_success_at,
    nextFullAt: state.next_full_at,
    nextDeltaAt: state.next_delta_at,
    counts: countsRun ? fromJson<Counts | null>(countsRun.counts_json, null) : null,
    excluded: countsRun ? fromJson<Excluded | null>(countsRun.excluded_json, null) : null,
    scope: directoryScopeOf(conn),
  };
}

async function lastSucceeded(rt: Runtime, tenantId: string, connectionId: string) {
  return rt.store.db
    .selectFrom('dir_runs')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('connection_id', '=', connectionId)
    .where('status', 'in', ['succeeded', 'warning'])
    .orderBy('started_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export async function directoryStatus(rt: Runtime, tenantId: string, connectionId: string): Promise<DirectoryStatusView> {
  const conn = await requireConnection(rt, tenantId, connectionId);
  if (conn.role !== 'directory') throw new AppError('directory.not_directory', { name: conn.name, role: conn.role.replace(/_/g, ' ') });
  return statusOf(rt, tenantId, conn);
}

export async function listDirectoryStatuses(rt: Runtime, tenantId: string): Promise<DirectoryStatusView[]> {
  const conns = (await listConnections(rt.store.db, tenantId)).filter((c) => c.role === 'directory');
  const out: DirectoryStatusView[] = [];
  for (const c of conns) out.push(await statusOf(rt, tenantId, c));
  return out;
}
