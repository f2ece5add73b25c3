import { sql, type Selectable } from 'kysely';
import type { Runtime } from '../../runtime/context.js';
import { AppError, catalogue, toAppError, type StoredError } from '../../errors/index.js';
import { fullJitter } from '../../errors/policy.js';
import { newId, nowIso } from '../../model/ids.js';
import { recordAudit, auditError } from '../../audit/audit.js';
import { runPool } from '../../engine/pool.js';
import { enqueue } from '../../engine/jobs.js';
import type { JobOutcome } from '../../engine/worker.js';
import { markConnectionFailed } from '../../connections/service.js';
import { getConnection } from '../../store/connections-repo.js';
import { fromJson } from '../../store/json.js';
import type { RecoveryUsersTable } from '../../store/schema.js';
import type { FolderTarget, MailboxChangeReader, MailboxMessage, MailboxWriter, Page } from '../../connectors/sdk/index.js';
import { requirePolicy, viewPolicy } from '../policies.js';
import { syncDestination, syncSource } from '../connectors.js';
import { tenantGate } from '../budgets.js';
import { ensureMessageId } from '../message-id.js';
import { CATEGORY_PARENT } from '../labels.js';
import { finishIfDone, requireFailover } from './failover.js';

/**
 * Recovery of one user (job 'recovery.user', payload { recoveryUserId }): find every message
 * that reached or left the Google mailbox since the outage began, and write it to the user's
 * Microsoft 365 mailbox as received or sent mail. Time-sliced like the mailbox sync: a run
 * works for a slice and yields; the cursor and the ledger say where to resume.
 *
 * 1. **Find** (cursor phases): by date from the outage's start to the declaration (`gap`),
 *    then Gmail's change history from the marker recorded at the declaration (`history`); if
 *    Gmail expired that history, by date from the outage's start (`relist`). Each page's ids
 *    enter the recovery ledger (`recovery_items`, unique per user and Gmail id) in the same
 *    transaction that advances the cursor, so a page is never lost or counted twice.
 * 2. **Write**, `concurrent` at a time (the mailbox's Graph concurrency), each item by its state:
 *    - skipped when it is a draft, a chat, in Trash, or a message Syncwarden imported itself
 *      (its Message-ID is in the forward ledger) — that is what stops a loop;
 *    - `found`: asked for by Message-ID in Microsoft 365 first (already there → skipped as
 *      already present); otherwise the row turns `pending` (committed) and then the message is
 *      written; `written` is committed after;
 *    - `pending` (a crash between the write and its commit: in doubt): asked for by
 *      Message-ID; found → finished (attachments it lacks) and settled, never written twice.
 * Forward sync never imports back what recovery wrote: items.ts asks the recovery ledger
 * (learn.ts) before importing a message that is new to it.
 */
export type RecoveryUserRow = Selectable<RecoveryUsersTable>;
export const DEFAULT_RECOVERY_SLICE_MS = 20_000;
const MAX_USER_RETRIES = 6;
const CURSOR_V = 1;

type Phase = 'gap' | 'history' | 'relist' | 'write' | 'done';
interface Cursor {
  readonly v: number;
  readonly phase: Phase;
  readonly page: string | null;
}

export type SkipReason = 'imported_by_syncwarden' | 'already_present' | 'draft' | 'deleted' | 'chat';

interface Ctx {
  readonly rt: Runtime;
  readonly tenantId: string;
  readonly ru: RecoveryUserRow;
  readonly reader: MailboxChangeReader;
  readonly writer: MailboxWriter;
  readonly folderCache: Map<string, string>;
  /** Forward sync's folders of this user: label name (lower case) → Microsoft 365 folder id. */
  readonly forwardFolders: Map<string, string>;
  readonly stop: () => boolean;
  /** At the end of a slice: carry on for another slice when no other job waits (true). */
  readonly extend: () => Promise<boolean>;
}

function firstPhase(ru: RecoveryUserRow): Phase {
  if (!ru.start_history_id) return 'relist';
  return ru.gap_since ? 'gap' : 'history';
}

function cursorOf(ru: RecoveryUserRow): Cursor {
  const c = fromJson<Cursor | null>(ru.cursor_json, null);
  if (!c || c.v !== CURSOR_V) return { v: CURSOR_V, phase: firstPhase(ru), page: null };
  return c;
}

export async function recoverUser(rt: Runtime, tenantId: string, recoveryUserId: string, signal: AbortSignal, opts: { sliceMs?: number } = {}): Promise<JobOutcome> {
  let ru = await rt.store.db.selectFrom('recovery_users').selectAll().where('tenant_id', '=', tenantId).where('id', '=', recoveryUserId).executeTakeFirst();
  if (!ru) return { type: 'done' };
  if (ru.status === 'recovered' || ru.status === 'failed') {
    // The run that settled this user may have died (SIGKILL, a lost lease) between saving the
    // user's outcome and closing the failover or resuming the user's forward sync; only such a
    // re-run of the job gets here, and it finishes what was left. Both steps are idempotent:
    // the failover closes once, the forward sync is asked for once more.
    await finishIfDone(rt, tenantId, ru.failover_id);
    await resumeUser(rt, tenantId, ru.sync_user_id);
    return { type: 'done' };
  }
  const fo = await requireFailover(rt, tenantId, ru.failover_id);
  if (fo.state !== 'recovering') return { type: 'done' };
  const policy = viewPolicy(await requirePolicy(rt, tenantId, fo.policy_id));
  const sourceRow = await getConnection(rt.store.db, tenantId, policy.sourceConnectionId);
  const destRow = await getConnection(rt.store.db, tenantId, policy.destinationConnectionId);
  if (!sourceRow || !destRow) return { type: 'done' };
  const sliceMs = opts.sliceMs ?? DEFAULT_RECOVERY_SLICE_MS;
  let deadline = rt.now() + sliceMs;
  const now = nowIso(rt.now());
  ru = await save(rt, tenantId, ru, { status: 'recovering', started_at: ru.started_at ?? now, next_run_at: null });
  try {
    const source = await syncSource(rt, tenantId, sourceRow);
    const dest = await syncDestination(rt, tenantId, destRow);
    if (!source.writer) throw new AppError('connection.connector_unavailable', { kind: 'Microsoft 365', role: 'recovery writer' });
    if (!dest.changes) throw new AppError('connection.connector_unavailable', { kind: 'Google Workspace', role: 'change history' });
    const { settings } = await tenantGate(rt, tenantId);
    const forwardFolders = new Map(
      (await rt.store.db.selectFrom('sync_folders').select(['label_name', 'source_folder_id']).where('tenant_id', '=', tenantId).where('sync_user_id', '=', ru.sync_user_id).where('gone_at', 'is', null).execute())
        .filter((f) => f.label_name)
        .map((f) => [f.label_name!.toLowerCase(), f.source_folder_id] as const),
    );
    const c: Ctx = {
      rt, tenantId, ru, reader: side(dest.changes, 'destination'), writer: side(source.writer, 'source'),
      folderCache: new Map(Object.entries(fromJson<Record<string, string>>(ru.folders_json, {}))), forwardFolders,
      stop: () => signal.aborted || rt.now() >= deadline,
      // The slice is for fairness: with no other job waiting for a worker, yielding would only
      // leave the mailbox's Graph budget idle while this job is claimed again.
      extend: async () => {
        if (signal.aborted || (await otherJobsWaiting(rt))) return false;
        deadline = rt.now() + sliceMs;
        return true;
      },
    };
    let cursor = cursorOf(ru);
    while (cursor.phase !== 'write' && cursor.phase !== 'done') {
      if (c.stop()) return { type: 'again', runAt: new Date(rt.now()) };
      cursor = await findPage(c, cursor);
    }
    const finished = await writeItems(c, settings.sourceMailbox.concurrent);
    await persistFolders(c);
    if (!finished) return { type: 'again', runAt: new Date(rt.now()) };
    await save(rt, tenantId, ru, { status: 'recovered', finished_at: nowIso(rt.now()), error_json: null, attempts: 0, cursor_json: JSON.stringify({ v: CURSOR_V, phase: 'done', page: null }) });
    const totals = await rt.store.db.selectFrom('recovery_users').select(['written', 'skipped', 'failed']).where('tenant_id', '=', tenantId).where('id', '=', ru.id).executeTakeFirstOrThrow();
    await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
      severity: Number(totals.failed) > 0 ? 'warning' : 'info', action: 'recovery.user_recovered', target: { type: 'sync_user', id: ru.sync_user_id, name: ru.email },
      message: `${ru.email}: ${Number(totals.written)} message(s) written back to Microsoft 365, ${Number(totals.skipped)} skipped, ${Number(totals.failed)} failed`,
    }, rt.now());
    await finishIfDone(rt, tenantId, fo.id);
    await resumeUser(rt, tenantId, ru.sync_user_id);
    return { type: 'done' };
  } catch (e) {
    return failed(rt, tenantId, ru, toAppError(e), sourceRow.id, destRow.id, fo.id);
  }
}

async function save(rt: Runtime, tenantId: string, ru: RecoveryUserRow, patch: Partial<Omit<RecoveryUserRow, 'tenant_id' | 'id'>>): Promise<RecoveryUserRow> {
  const full = { updated_at: nowIso(rt.now()), ...patch };
  await rt.store.db.updateTable('recovery_users').set(full).where('tenant_id', '=', tenantId).where('id', '=', ru.id).execute();
  return { ...ru, ...full };
}

async function failed(rt: Runtime, tenantId: string, ru: RecoveryUserRow, err: AppError, sourceId: string, destId: string, failoverId: string): Promise<JobOutcome> {
  const def = catalogue[err.code];
  const stored = JSON.stringify(err.toJSON());
  const nowMs = rt.now();
  if (def.kind === 'throttle') {
    const delay = Math.max(1_000, err.retryAfterMs ?? fullJitter(ru.attempts + 1, 2_000, 60_000, Math.random));
    await save(rt, tenantId, ru, { status: 'throttled', error_json: stored, next_run_at: nowIso(nowMs + delay) });
    return { type: 'again', runAt: new Date(nowMs + delay) };
  }
  if (def.retry === 'backoff' && ru.attempts < MAX_USER_RETRIES) {
    const n = ru.attempts + 1;
    const delay = Math.max(500, fullJitter(n, 1_000, 60_000, Math.random));
    await save(rt, tenantId, ru, { status: 'recovering', attempts: n, error_json: stored, next_run_at: nowIso(nowMs + delay) });
    return { type: 'again', runAt: new Date(nowMs + delay) };
  }
  await save(rt, tenantId, ru, { status: 'failed', error_json: stored, finished_at: nowIso(nowMs) });
  if (def.scope === 'connection') await markConnectionFailed(rt, tenantId, err.params['side'] === 'destination' ? destId : sourceId, err.toJSON());
  await recordAudit(rt.store.db, rt.store.dialect, tenantId, auditError(err.code, err.params, 'recovery.user_failed', { type: 'sync_user', id: ru.sync_user_id, name: ru.email }), nowMs);
  await finishIfDone(rt, tenantId, failoverId);
  await resumeUser(rt, tenantId, ru.sync_user_id);
  return { type: 'done' };
}

/** Forward sync of the user waited for its recovery (failover.ts forwardSyncWaits): now it runs. */
async function resumeUser(rt: Runtime, tenantId: string, syncUserId: string): Promise<void> {
  await enqueue(rt.store.db, tenantId, { kind: 'user.sync', dedupeKey: `user:${syncUserId}`, payload: { syncUserId }, again: true }, rt.now());
}

/** Tags errors with the side they came from (a connection-wide failure is recorded on the right connection). */
function side<T extends object>(target: T, s: 'source' | 'destination'): T {
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const v = Reflect.get(obj, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return async (...args: unknown[]) => {
        try {
          return await (v as (...a: unknown[]) => Promise<unknown>).apply(obj, args);
        } catch (e) {
          if (e instanceof AppError && e.params['side'] === undefined) throw new AppError(e.code, { ...e.params, side: s }, { cause: e, ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}) });
          throw e;
        }
      };
    },
  });
}

// ── Find ──

async function findPage(c: Ctx, cursor: Cursor): Promise<Cursor> {
  const { ru } = c;
  let page: Page<string>;
  let next: Cursor;
  switch (cursor.phase) {
    case 'gap':
      page = await c.reader.listSince(ru.destination_email, new Date(Date.parse(ru.gap_since!) - 60_000), cursor.page);
      next = page.next ? { v: CURSOR_V, phase: 'gap', page: page.next } : { v: CURSOR_V, phase: 'history', page: null };
      break;
    case 'history':
      try {
        page = await c.reader.listAddedSince(ru.destination_email, ru.start_history_id!, cursor.page);
      } catch (e) {
        if (e instanceof AppError && e.code === 'recovery.history_expired') {
          // Gmail no longer has the history: list everything since the outage began instead.
          await recordAudit(c.rt.store.db, c.rt.store.dialect, c.tenantId, { ...auditError('recovery.history_expired', { email: ru.destination_email }, 'recovery.history_expired', { type: 'sync_user', id: ru.sync_user_id, name: ru.email }), severity: 'info' }, c.rt.now());
          return commitFound(c, [], { v: CURSOR_V, phase: 'relist', page: null });
        }
        throw e;
      }
      next = page.next ? { v: CURSOR_V, phase: 'history', page: page.next } : { v: CURSOR_V, phase: 'write', page: null };
      break;
    case 'relist': {
      const fo = await requireFailover(c.rt, c.tenantId, ru.failover_id);
      page = await c.reader.listSince(ru.destination_email, new Date(Date.parse(fo.outage_since) - 60_000), cursor.page);
      next = page.next ? { v: CURSOR_V, phase: 'relist', page: page.next } : { v: CURSOR_V, phase: 'write', page: null };
      break;
    }
    case 'write':
    case 'done':
      return cursor;
  }
  return commitFound(c, page.items, next);
}

/** Enters a page's ids in the ledger and advances the cursor, in one transaction. */
async function commitFound(c: Ctx, ids: readonly string[], next: Cursor): Promise<Cursor> {
  const now = nowIso(c.rt.now());
  await c.rt.store.db.transaction().execute(async (trx) => {
    let added = 0;
    for (const id of [...new Set(ids)]) {
      const r = await trx
        .insertInto('recovery_items')
        .values({
          tenant_id: c.tenantId, id: newId('ri', c.rt.now()), recovery_user_id: c.ru.id, sync_user_id: c.ru.sync_user_id, gmail_id: id, internet_message_id: null,
          state: 'found', skip_reason: null, folder: null, destination_id: null, subject: null, size: null, received_at: null, error_json: null, attempts: 0, created_at: now, updated_at: now,
        })
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      added += Number(r.numInsertedOrUpdatedRows ?? 0n);
    }
    await trx
      .updateTable('recovery_users')
      .set({ cursor_json: JSON.stringify(next), found: sql`found + ${added}`, updated_at: now })
      .where('tenant_id', '=', c.tenantId)
      .where('id', '=', c.ru.id)
      .execute();
  });
  return next;
}

// ── Write ──

type ItemRow = { id: string; gmail_id: string; state: string; internet_message_id: string | null; attempts: number };

/**
 * Writes what is found or in doubt; true when nothing is left.
 *
 * Pacing: Graph's limits bind on requests (per window, and `concurrent` in flight), and the
 * gate holds a concurrency slot only while a Graph request is in flight. An item spends most
 * of its time elsewhere — reading the message from Gmail, the database — so twice as many items
 * as Graph slots are worked at once, keeping the Graph pipe full (the mail-recovery benchmark's
 * quota_fraction). Batches are large, so the pool rarely drains to its last item.
 */
const ITEMS_PER_GRAPH_SLOT = 2;
async function writeItems(c: Ctx, concurrent: number): Promise<boolean> {
  const width = Math.max(1, concurrent * ITEMS_PER_GRAPH_SLOT);
  for (;;) {
    if (c.stop() && !(await c.extend())) return false;
    const batch: ItemRow[] = await c.rt.store.db
      .selectFrom('recovery_items')
      .select(['id', 'gmail_id', 'state', 'internet_message_id', 'attempts'])
      .where('tenant_id', '=', c.tenantId)
      .where('recovery_user_id', '=', c.ru.id)
      .where('state', 'in', ['found', 'pending'])
      .orderBy('created_at')
      .orderBy('id')
      .limit(Math.max(width * 8, 64))
      .execute();
    if (batch.length === 0) return true;
    const r = await runPool(batch, width, c.stop, (item) => writeOne(c, item));
    if (r.failed) throw r.error;
    if (!r.complete && !(await c.extend())) return false;
  }
}

/** Whether a job is due and unclaimed (another user waits for a worker: time to yield). */
async function otherJobsWaiting(rt: Runtime): Promise<boolean> {
  // Jobs are claimed on the runtime's clock (engine/worker.ts).
  const due = await rt.store.db.selectFrom('jobs').select('id').where('status', '=', 'queued').where('run_at', '<=', new Date(rt.now()).toISOString()).limit(1).executeTakeFirst();
  return due !== undefined;
}

async function writeOne(c: Ctx, item: ItemRow): Promise<void> {
  const { rt, tenantId, ru } = c;
  let msg: MailboxMessage | null;
  try {
    msg = await c.reader.readMessage(ru.destination_email, item.gmail_id);
  } catch (e) {
    return itemFailed(c, item, e, null);
  }
  if (!msg) return skip(c, item, 'deleted', null, null);
  const p = msg.placement;
  const facts = { subject: null as string | null, size: msg.raw.byteLength, received_at: msg.receivedAt };
  if (p.draft) return skip(c, item, 'draft', null, facts);
  if (p.chat) return skip(c, item, 'chat', null, facts);
  if (p.trash) return skip(c, item, 'deleted', null, facts);
  const { raw, messageId } = ensureMessageId(msg.raw, `gmail:${ru.destination_email}:${item.gmail_id}`);
  facts.subject = subjectOf(raw);
  // Mail Syncwarden itself imported from Microsoft 365: already there (and writing it back would loop).
  const imported = await rt.store.db.selectFrom('items').select('id').where('tenant_id', '=', tenantId).where('sync_user_id', '=', ru.sync_user_id).where('internet_message_id', '=', messageId).limit(1).executeTakeFirst();
  if (imported) return skip(c, item, 'imported_by_syncwarden', messageId, facts);
  try {
    const present = (await c.writer.findByMessageId(ru.source_user_id, messageId)).filter((m) => !m.isDraft);
    if (present.length > 0) {
      if (item.state === 'pending') {
        // Our own write, interrupted before its commit: finish it (attachments) and settle.
        await c.writer.completeMessage(ru.source_user_id, present[0]!.id, raw);
        return written(c, item, present[0]!.id, messageId, await folderLabel(c, p), facts, raw.byteLength);
      }
      return skip(c, item, 'already_present', messageId, facts);
    }
    const folderName = await folderLabel(c, p);
    const folderId = await folderFor(c, p);
    // Durable before the write: a crash from here on leaves the item in doubt, resolved above.
    await rt.store.db
      .updateTable('recovery_items')
      .set({ state: 'pending', internet_message_id: messageId, folder: folderName, subject: facts.subject, size: facts.size, received_at: facts.received_at, attempts: sql`attempts + 1`, updated_at: nowIso(rt.now()) })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', item.id)
      .execute();
    const w = await c.writer.writeMessage(ru.source_user_id, folderId, raw, {
      read: p.read, flagged: p.starred, receivedAt: msg.receivedAt, sent: p.sent && !p.inbox, important: p.important, categories: categoriesOf(p.userFolders),
    });
    return written(c, item, w.id, messageId, folderName, facts, raw.byteLength);
  } catch (e) {
    return itemFailed(c, item, e, messageId, facts);
  }
}

function subjectOf(raw: Uint8Array): string | null {
  const head = Buffer.from(raw.buffer, raw.byteOffset, Math.min(raw.byteLength, 65536)).toString('latin1');
  const end = head.search(/\r?\n\r?\n/);
  const m = /^subject:\s*(.*)$/im.exec((end === -1 ? head : head.slice(0, end)).replace(/\r?\n[ \t]+/g, ' '));
  return m ? m[1]!.trim().slice(0, 500) : null;
}

async function written(c: Ctx, item: ItemRow, destinationId: string, messageId: string, folder: string, facts: { subject: string | null; size: number; received_at: string }, bytes: number): Promise<void> {
  const now = nowIso(c.rt.now());
  await c.rt.store.db.transaction().execute(async (trx) => {
    const r = await trx
      .updateTable('recovery_items')
      .set({ state: 'written', destination_id: destinationId, internet_message_id: messageId, folder, subject: facts.subject, size: facts.size, received_at: facts.received_at, error_json: null, updated_at: now })
      .where('tenant_id', '=', c.tenantId)
      .where('id', '=', item.id)
      .where('state', 'in', ['found', 'pending'])
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) > 0) {
      await trx.updateTable('recovery_users').set({ written: sql`written + 1`, bytes: sql`bytes + ${bytes}`, updated_at: now }).where('tenant_id', '=', c.tenantId).where('id', '=', c.ru.id).execute();
    }
  });
}

async function skip(c: Ctx, item: ItemRow, reason: SkipReason, messageId: string | null, facts: { subject: string | null; size: number; received_at: string } | null): Promise<void> {
  const now = nowIso(c.rt.now());
  await c.rt.store.db.transaction().execute(async (trx) => {
    const r = await trx
      .updateTable('recovery_items')
      .set({ state: 'skipped', skip_reason: reason, internet_message_id: messageId ?? item.internet_message_id, ...(facts ? { subject: facts.subject, size: facts.size, received_at: facts.received_at } : {}), updated_at: now })
      .where('tenant_id', '=', c.tenantId)
      .where('id', '=', item.id)
      .where('state', 'in', ['found', 'pending'])
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) > 0) await trx.updateTable('recovery_users').set({ skipped: sql`skipped + 1`, updated_at: now }).where('tenant_id', '=', c.tenantId).where('id', '=', c.ru.id).execute();
  });
}

/** An item-level failure is recorded and the user carries on; anything wider stops the run. */
async function itemFailed(c: Ctx, item: ItemRow, e: unknown, messageId: string | null, facts?: { subject: string | null; size: number; received_at: string }): Promise<void> {
  const err = toAppError(e);
  if (catalogue[err.code].scope !== 'item') throw err;
  const stored: StoredError = err.toJSON();
  const now = nowIso(c.rt.now());
  await c.rt.store.db.transaction().execute(async (trx) => {
    const r = await trx
      .updateTable('recovery_items')
      .set({ state: 'failed', error_json: JSON.stringify(stored), internet_message_id: messageId ?? item.internet_message_id, ...(facts ? { subject: facts.subject, size: facts.size, received_at: facts.received_at } : {}), updated_at: now })
      .where('tenant_id', '=', c.tenantId)
      .where('id', '=', item.id)
      .where('state', 'in', ['found', 'pending'])
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) > 0) await trx.updateTable('recovery_users').set({ failed: sql`failed + 1`, updated_at: now }).where('tenant_id', '=', c.tenantId).where('id', '=', c.ru.id).execute();
  });
  await recordAudit(c.rt.store.db, c.rt.store.dialect, c.tenantId, auditError(err.code, err.params, 'recovery.item_failed', { type: 'sync_user', id: c.ru.sync_user_id, name: c.ru.email }), c.rt.now());
}

// ── Folders ──

/** Outlook categories carried as Gmail labels by forward sync ('Outlook categories/<name>'). */
function categoriesOf(userFolders: readonly string[]): string[] {
  const prefix = `${CATEGORY_PARENT.toLowerCase()}/`;
  return userFolders.filter((f) => f.toLowerCase().startsWith(prefix)).map((f) => f.slice(prefix.length));
}

/** The user label that decides the folder: the first that is not an Outlook category. */
function folderLabelOf(userFolders: readonly string[]): string | null {
  const prefix = `${CATEGORY_PARENT.toLowerCase()}/`;
  return userFolders.find((f) => !f.toLowerCase().startsWith(prefix) && f.toLowerCase() !== CATEGORY_PARENT.toLowerCase()) ?? null;
}

/**
 * Where a message goes: SENT → Sent Items, SPAM → Junk Email, a user label → the folder of
 * that name (the one forward sync maps to that label when there is one, else created by path),
 * INBOX → Inbox, anything else (archived in Gmail) → Archive.
 */
function targetOf(p: MailboxMessage['placement'], forward: Map<string, string>): { key: string; target: FolderTarget | { folderId: string }; label: string } {
  if (p.sent && !p.inbox) return { key: 'wk:sentitems', target: { wellKnown: 'sentitems' }, label: 'Sent Items' };
  if (p.spam) return { key: 'wk:junkemail', target: { wellKnown: 'junkemail' }, label: 'Junk Email' };
  const label = folderLabelOf(p.userFolders);
  if (label) {
    const mapped = forward.get(label.toLowerCase());
    if (mapped) return { key: `fwd:${mapped}`, target: { folderId: mapped }, label };
    // A label forward sync made from a reserved name ('Inbox (Outlook)/X') names the Outlook folder 'Inbox/X'.
    const path = label.split('/').map((s) => s.replace(/ \(Outlook\)$/, '').trim()).filter((s) => s.length > 0);
    return { key: `path:${path.join('/').toLowerCase()}`, target: { path }, label };
  }
  if (p.inbox) return { key: 'wk:inbox', target: { wellKnown: 'inbox' }, label: 'Inbox' };
  return { key: 'wk:archive', target: { wellKnown: 'archive' }, label: 'Archive' };
}

async function folderLabel(c: Ctx, p: MailboxMessage['placement']): Promise<string> {
  return targetOf(p, c.forwardFolders).label;
}

async function folderFor(c: Ctx, p: MailboxMessage['placement']): Promise<string> {
  const t = targetOf(p, c.forwardFolders);
  if ('folderId' in t.target) return t.target.folderId;
  const hit = c.folderCache.get(t.key);
  if (hit) return hit;
  let id: string;
  try {
    id = await c.writer.ensureFolder(c.ru.source_user_id, t.target);
  } catch (e) {
    const err = toAppError(e);
    if (err.code === 'provider.bad_response' || err.code === 'request.not_found') throw new AppError('recovery.folder_unavailable', { folder: t.label, email: c.ru.email, detail: err.message }, { cause: err });
    throw err;
  }
  c.folderCache.set(t.key, id);
  return id;
}

async function persistFolders(c: Ctx): Promise<void> {
  await c.rt.store.db.updateTable('recovery_users').set({ folders_json: JSON.stringify(Object.fromEntries(c.folderCache)) }).where('tenant_id', '=', c.tenantId).where('id', '=', c.ru.id).execute();
}
