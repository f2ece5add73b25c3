import type { Runtime } from '../../runtime/context.js';
import { AppError, type StoredError } from '../../errors/index.js';
import { fromJson } from '../../store/json.js';
import { toCsv } from '../../directory/identities/csv.js';
import { latestFailover, requireFailover, viewFailover, type FailoverRow, type FailoverView } from './failover.js';
import { requirePolicy } from '../policies.js';

/**
 * The recovery report: per policy (the failover's totals) and per user — Recovering with a
 * progress bar, Recovered, Failed with its code — and per message: written back, skipped (and
 * why), failed (and the code). As a page (the API) and as CSV.
 */
export type RecoveryUserStatus = 'pending' | 'recovering' | 'throttled' | 'recovered' | 'failed';

export interface RecoveryUserView {
  id: string;
  syncUserId: string;
  email: string;
  googleEmail: string;
  status: RecoveryUserStatus;
  /** listing: still finding the outage's mail; writing: writing it back. */
  phase: string;
  found: number;
  written: number;
  skipped: number;
  failed: number;
  bytes: number;
  /** 0–100: settled items over found (while writing). */
  progress: number;
  error: StoredError | null;
  historyExpired: boolean;
  startedAt: string | null;
  finishedAt: string | null;
  nextRunAt: string | null;
}

export interface RecoveryReport {
  failover: FailoverView;
  users: RecoveryUserView[];
}

export async function failoverFor(rt: Runtime, tenantId: string, policyId: string, failoverId?: string): Promise<FailoverRow> {
  if (failoverId) {
    const fo = await requireFailover(rt, tenantId, failoverId);
    if (fo.policy_id !== policyId) throw new AppError('request.not_found', { entity: 'failover', id: failoverId });
    return fo;
  }
  const policy = await requirePolicy(rt, tenantId, policyId);
  const fo = await latestFailover(rt, tenantId, policyId);
  if (!fo) throw new AppError('failover.not_active', { policy: policy.name, action: 'report' });
  return fo;
}

export async function recoveryReport(rt: Runtime, tenantId: string, policyId: string, q: { failoverId?: string | undefined; status?: RecoveryUserStatus | undefined; q?: string | undefined } = {}): Promise<RecoveryReport> {
  const fo = await failoverFor(rt, tenantId, policyId, q.failoverId);
  let sel = rt.store.db.selectFrom('recovery_users').selectAll().where('tenant_id', '=', tenantId).where('failover_id', '=', fo.id);
  if (q.status) sel = sel.where('status', '=', q.status);
  if (q.q) sel = sel.where('email', 'like', `%${q.q.replace(/[%_]/g, '')}%`);
  const rows = await sel.orderBy('email').execute();
  return {
    failover: await viewFailover(rt, tenantId, fo),
    users: rows.map((r) => {
      const cursor = fromJson<{ phase?: string } | null>(r.cursor_json, null);
      const phase = cursor?.phase === 'write' || cursor?.phase === 'done' ? cursor.phase : r.status === 'pending' ? 'waiting' : 'listing';
      const settled = Number(r.written) + Number(r.skipped) + Number(r.failed);
      const found = Number(r.found);
      return {
        id: r.id, syncUserId: r.sync_user_id, email: r.email, googleEmail: r.destination_email, status: r.status as RecoveryUserStatus, phase,
        found, written: Number(r.written), skipped: Number(r.skipped), failed: Number(r.failed), bytes: Number(r.bytes),
        progress: r.status === 'recovered' ? 100 : phase === 'write' && found > 0 ? Math.min(99, Math.floor((settled / found) * 100)) : 0,
        error: fromJson<StoredError | null>(r.error_json, null),
        historyExpired: cursor?.phase === 'relist' || (r.start_history_id !== null && cursor?.phase !== undefined && r.cursor_json !== null && r.cursor_json.includes('relist')),
        startedAt: r.started_at, finishedAt: r.finished_at, nextRunAt: r.next_run_at,
      };
    }),
  };
}

export interface RecoveryItemView {
  id: string;
  gmailId: string;
  internetMessageId: string | null;
  state: 'found' | 'pending' | 'written' | 'skipped' | 'failed';
  skipReason: string | null;
  folder: string | null;
  subject: string | null;
  size: number | null;
  receivedAt: string | null;
  error: StoredError | null;
  updatedAt: string;
}

export async function recoveryItems(rt: Runtime, tenantId: string, policyId: string, recoveryUserId: string, q: { state?: RecoveryItemView['state'] | undefined; limit: number; offset: number }): Promise<{ items: RecoveryItemView[]; total: number }> {
  const fo = await failoverFor(rt, tenantId, policyId);
  const ru = await rt.store.db.selectFrom('recovery_users').select(['id', 'failover_id']).where('tenant_id', '=', tenantId).where('id', '=', recoveryUserId).executeTakeFirst();
  if (!ru || (ru.failover_id !== fo.id && (await requireFailover(rt, tenantId, ru.failover_id)).policy_id !== policyId)) throw new AppError('request.not_found', { entity: 'recovery user', id: recoveryUserId });
  let sel = rt.store.db.selectFrom('recovery_items').where('tenant_id', '=', tenantId).where('recovery_user_id', '=', ru.id);
  if (q.state) sel = sel.where('state', '=', q.state);
  const total = Number((await sel.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  const rows = await sel.selectAll().orderBy('received_at').orderBy('id').limit(q.limit).offset(q.offset).execute();
  return { total, items: rows.map(itemView) };
}

function itemView(r: { id: string; gmail_id: string; internet_message_id: string | null; state: string; skip_reason: string | null; folder: string | null; subject: string | null; size: number | null; received_at: string | null; error_json: string | null; updated_at: string }): RecoveryItemView {
  return {
    id: r.id, gmailId: r.gmail_id, internetMessageId: r.internet_message_id, state: r.state as RecoveryItemView['state'], skipReason: r.skip_reason, folder: r.folder,
    subject: r.subject, size: r.size === null ? null : Number(r.size), receivedAt: r.received_at, error: fromJson<StoredError | null>(r.error_json, null), updatedAt: r.updated_at,
  };
}

/** The report as CSV: one line per message of the outage, with its user and outcome. */
export async function recoveryReportCsv(rt: Runtime, tenantId: string, policyId: string, failoverId?: string): Promise<string> {
  const fo = await failoverFor(rt, tenantId, policyId, failoverId);
  const users = await rt.store.db.selectFrom('recovery_users').selectAll().where('tenant_id', '=', tenantId).where('failover_id', '=', fo.id).orderBy('email').execute();
  const lines: unknown[][] = [];
  for (const u of users) {
    const items = await rt.store.db.selectFrom('recovery_items').selectAll().where('tenant_id', '=', tenantId).where('recovery_user_id', '=', u.id).orderBy('received_at').orderBy('id').execute();
    const userError = fromJson<StoredError | null>(u.error_json, null);
    if (items.length === 0) lines.push([u.email, u.destination_email, u.status, userError?.code ?? '', '', '', '', '', '', '', '', '']);
    for (const i of items) {
      const err = fromJson<StoredError | null>(i.error_json, null);
      const outcome = i.state === 'written' ? 'written back' : i.state === 'skipped' ? 'skipped' : i.state === 'failed' ? 'failed' : 'not yet written';
      lines.push([u.email, u.destination_email, u.status, userError?.code ?? '', outcome, i.skip_reason ?? '', err?.code ?? '', i.folder ?? '', i.subject ?? '', i.received_at ?? '', i.internet_message_id ?? '', i.size ?? '']);
    }
  }
  return toCsv(['user', 'google_mailbox', 'user_status', 'user_error', 'outcome', 'skip_reason', 'error', 'folder', 'subject', 'received_at', 'message_id', 'size'], lines);
}
