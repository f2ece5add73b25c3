import { sql } from 'kysely';
import type { Runtime } from '../runtime/context.js';
import { AppError, catalogue, retryDecision, toAppError, type StoredError } from '../errors/index.js';
import { newId, nowIso } from '../model/ids.js';
import { foldersOfUser, getSyncUser, insertFolder, itemsBySourceIds, updateFolder, updateSyncUser, type ItemRow, type SyncFolderRow, type SyncUserRow } from '../store/sync-repo.js';
import { recordAudit, auditError } from '../audit/audit.js';
import type { JobOutcome } from '../engine/worker.js';
import { markConnectionFailed, openMailDestination, openMailSource, requireConnection } from '../connections/service.js';
import type { MailDestination, MailFolder, MailSource, MessageRef } from '../connectors/sdk/index.js';
import { fromJson, toJson } from '../store/json.js';
import { requirePolicy, viewPolicy } from './policies.js';
import { planFolderLabels, messageLabelIds } from './labels.js';
import { decodeCursor, encodeCursor } from './checkpoint.js';
import { ensureMessageId } from './message-id.js';
import { encryptedAfterDownload, unsupportedBeforeDownload } from './item-kind.js';

/** Gmail's import limit (messages.import maxSize, 50 MB). */
export const MAX_IMPORT_BYTES = 52_428_800;
const PAGE_SIZE = 50;

interface SyncContext {
  readonly rt: Runtime;
  readonly tenantId: string;
  readonly user: SyncUserRow;
  readonly source: MailSource;
  readonly dest: MailDestination;
  readonly signal: AbortSignal;
}

/**
 * Syncs one user's mailbox: makes sure the Google account exists, maps folders to labels,
 * then reads every folder page by page (the initial window first, then deltas) and imports
 * each message exactly once.
 *
 * Exactly once: before an import the ledger row is committed as `pending` with the message's
 * RFC 822 Message-ID; after the import it is committed as `imported` with Gmail's id. A crash
 * between the two leaves the item in doubt, and the next run asks Gmail (`rfc822msgid:`)
 * before importing again. A folder's cursor only moves after every item of its page is
 * settled, so a crash re-reads at most one page, and the ledger skips what it already has.
 */
export async function syncMailbox(rt: Runtime, tenantId: string, syncUserId: string, signal: AbortSignal, attempt = 1): Promise<JobOutcome> {
  const user = await getSyncUser(rt.store.db, tenantId, syncUserId);
  if (!user || user.status === 'excluded') return { type: 'done' };
  const policy = viewPolicy(await requirePolicy(rt, tenantId, user.policy_id));
  const sourceRow = await requireConnection(rt, tenantId, policy.sourceConnectionId);
  const destRow = await requireConnection(rt, tenantId, policy.destinationConnectionId);

  try {
    const source = await openMailSource(rt, tenantId, sourceRow);
    const dest = await openMailDestination(rt, tenantId, destRow);
    const ctx: SyncContext = { rt, tenantId, user, source, dest, signal };

    const account = await source.getAccount(user.source_user_id);
    if (!account || !account.accountEnabled) throw new AppError('sync.user_not_found_in_source', { email: user.email });
    await ensureDestinationAccount(ctx, account.givenName ?? account.displayName, account.surname ?? '-');

    const folders = await syncFolderList(ctx, await source.listFolders(account.id));
    if (user.status === 'pending' || (user.status !== 'initial_sync' && folders.some((f) => f.phase === 'initial'))) {
      await updateSyncUser(rt.store.db, tenantId, user.id, { status: 'initial_sync', updated_at: nowIso(rt.now()) });
    }
    const since = new Date(rt.now() - policy.initialWindowDays * 86_400_000);
    for (const folder of folders) {
      const done = await syncFolder(ctx, account.id, folder, since);
      if (!done) return { type: 'again', runAt: new Date(rt.now()) }; // lease lost or stopping: resume later
    }
    const now = rt.now();
    await updateSyncUser(rt.store.db, tenantId, user.id, {
      status: 'synced',
      last_error_json: null,
      last_sync_at: nowIso(now),
      next_sync_at: nowIso(now + policy.scheduleMinutes * 60_000),
      updated_at: nowIso(now),
    });
    if (user.status !== 'synced') {
      await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
        severity: 'info', action: 'sync.user_synced', target: { type: 'sync_user', id: user.id, name: user.email },
        message: `${user.email}: ${user.status === 'failed' ? 'sync recovered' : 'initial sync complete'}`,
      });
    }
    return { type: 'done' };
  } catch (e) {
    return handleUserFailure(rt, tenantId, user, toAppError(e), attempt, { source: sourceRow.id, dest: destRow.id });
  }
}

async function handleUserFailure(
  rt: Runtime,
  tenantId: string,
  user: SyncUserRow,
  err: AppError,
  attempt: number,
  connections: { source: string; dest: string },
): Promise<JobOutcome> {
  const def = catalogue[err.code];
  const stored = err.toJSON();
  const now = rt.now();
  // Throttling and transient trouble: keep the status, show the reason, come back later.
  const decision = retryDecision(err.code, attempt, err.retryAfterMs);
  if (decision.retry) {
    await updateSyncUser(rt.store.db, tenantId, user.id, { last_error_json: JSON.stringify(stored), next_sync_at: nowIso(now + decision.delayMs), updated_at: nowIso(now) });
    return { type: 'again', runAt: new Date(now + decision.delayMs) };
  }
  await updateSyncUser(rt.store.db, tenantId, user.id, { status: 'failed', last_error_json: JSON.stringify(stored), updated_at: nowIso(now) });
  if (def.scope === 'connection') {
    const side = err.code.startsWith('google.') ? connections.dest : connections.source;
    await markConnectionFailed(rt, tenantId, side, stored);
  }
  await recordAudit(rt.store.db, rt.store.dialect, tenantId, auditError(err.code, err.params, 'sync.user_failed', { type: 'sync_user', id: user.id, name: user.email }));
  return { type: 'done' };
}

async function ensureDestinationAccount(ctx: SyncContext, givenName: string, familyName: string): Promise<void> {
  const { rt, tenantId, user, dest } = ctx;
  if (user.destination_user_id) return;
  let account = await dest.getAccount(user.destination_email);
  if (!account) {
    const result = await dest.createAccount({ primaryEmail: user.destination_email, givenName, familyName });
    account = result.account;
    if (result.created) {
      await recordAudit(rt.store.db, rt.store.dialect, tenantId, {
        severity: 'info', action: 'provisioning.user_created', target: { type: 'sync_user', id: user.id, name: user.destination_email },
        message: `Google Workspace account ${user.destination_email} created for ${user.email}`,
      });
    }
  }
  await updateSyncUser(rt.store.db, tenantId, user.id, { destination_user_id: account.id, updated_at: nowIso(rt.now()) });
}

/** Records every source folder and makes sure its labels exist; returns folders in sync order. */
async function syncFolderList(ctx: SyncContext, sourceFolders: MailFolder[]): Promise<SyncFolderRow[]> {
  const { rt, tenantId, user, dest } = ctx;
  const known = new Map((await foldersOfUser(rt.store.db, tenantId, user.id)).map((f) => [f.source_folder_id, f]));
  for (const folder of sourceFolders) {
    if (known.has(folder.id)) continue;
    const plan = planFolderLabels(folder);
    const labelIds = [...plan.systemLabelIds];
    if (plan.userLabel) labelIds.push((await dest.ensureLabel(user.destination_email, plan.userLabel)).id);
    await insertFolder(rt.store.db, tenantId, {
      id: newId('fld', rt.now()),
      sync_user_id: user.id,
      source_folder_id: folder.id,
      display_name: folder.displayName,
      path_json: toJson(folder.path),
      well_known: folder.wellKnownName,
      label_ids_json: toJson(labelIds),
      cursor: null,
      phase: 'initial',
      exported: 0,
      imported: 0,
      updated_at: nowIso(rt.now()),
    });
  }
  const order = new Map(sourceFolders.map((f, i) => [f.id, i]));
  return (await foldersOfUser(rt.store.db, tenantId, user.id))
    .filter((f) => order.has(f.source_folder_id))
    .sort((a, b) => order.get(a.source_folder_id)! - order.get(b.source_folder_id)!);
}

/** Reads one folder to its end. Returns false when it stopped early (lease lost). */
async function syncFolder(ctx: SyncContext, accountId: string, folder: SyncFolderRow, since: Date): Promise<boolean> {
  const { rt, tenantId } = ctx;
  let cursor = decodeCursor(folder.cursor);
  let phase = folder.phase;
  const labelIds = fromJson<string[]>(folder.label_ids_json, []);
  for (;;) {
    if (ctx.signal.aborted) return false;
    let page;
    try {
      page = await ctx.source.listMessages(accountId, folder.source_folder_id, cursor, { since, pageSize: PAGE_SIZE });
    } catch (e) {
      if (e instanceof AppError && e.code === 'sync.delta_expired' && cursor !== null) {
        // The provider forgot our place: re-read the folder; the ledger skips what we have.
        cursor = null;
        await updateFolder(rt.store.db, tenantId, folder.id, { cursor: null, updated_at: nowIso(rt.now()) });
        continue;
      }
      throw e;
    }
    const live = page.items.filter((m) => !m.removed);
    const ledger = await itemsBySourceIds(rt.store.db, tenantId, ctx.user.id, live.map((m) => m.id));
    for (const ref of live) {
      if (ctx.signal.aborted) return false;
      await syncItem(ctx, accountId, folder, labelIds, ref, ledger.get(ref.id));
    }
    const next = page.next ?? page.deltaCursor;
    if (page.next === null) phase = 'delta';
    await updateFolder(rt.store.db, tenantId, folder.id, { cursor: encodeCursor(next), phase, updated_at: nowIso(rt.now()) });
    cursor = next;
    if (page.next === null) return true;
  }
}

async function syncItem(ctx: SyncContext, accountId: string, folder: SyncFolderRow, folderLabelIds: string[], ref: MessageRef, existing: ItemRow | undefined): Promise<void> {
  const { rt, tenantId, user, dest } = ctx;
  // Already settled: imported, or failed for a reason that retrying now will not change.
  if (existing && existing.state !== 'pending') return;
  try {
    if (existing?.internet_message_id) {
      // In doubt after a crash: the import may have happened. Ask before importing again.
      const found = await dest.findByMessageId(user.destination_email, existing.internet_message_id);
      if (found) return await settleImported(ctx, folder, ref.id, found);
    }
    if (ref.size !== null && ref.size > MAX_IMPORT_BYTES) throw new AppError('item.too_large', { size: ref.size, limit: MAX_IMPORT_BYTES });
    const unsupported = unsupportedBeforeDownload(ref);
    if (unsupported) throw unsupported;
    const downloaded = await ctx.source.readMessage(accountId, ref.id);
    if (downloaded.byteLength > MAX_IMPORT_BYTES) throw new AppError('item.too_large', { size: downloaded.byteLength, limit: MAX_IMPORT_BYTES });
    const encrypted = encryptedAfterDownload(downloaded);
    if (encrypted) throw encrypted;
    const { raw, messageId } = ensureMessageId(downloaded, ref.id);
    if (!existing) await recordPending(ctx, folder, ref, messageId);
    else if (existing.internet_message_id !== messageId) {
      await rt.store.db.updateTable('items').set({ internet_message_id: messageId, updated_at: nowIso(rt.now()) }).where('tenant_id', '=', tenantId).where('id', '=', existing.id).execute();
    }
    const imported = await dest.importMessage(user.destination_email, raw, { labelIds: messageLabelIds(folderLabelIds, ref) });
    await settleImported(ctx, folder, ref.id, imported.id);
  } catch (e) {
    const err = toAppError(e);
    if (catalogue[err.code].scope !== 'item') throw err;
    if (!existing) {
      // Make sure the item is on the ledger before marking it failed (nothing is lost silently).
      await recordPending(ctx, folder, ref, null);
    }
    await settleFailed(ctx, ref, err.toJSON());
  }
}

/** Ledger row first seen: pending, counted as exported. Idempotent under a crash re-run. */
async function recordPending(ctx: SyncContext, folder: SyncFolderRow, ref: MessageRef, messageId: string | null): Promise<void> {
  const { rt, tenantId, user } = ctx;
  const now = nowIso(rt.now());
  await rt.store.db.transaction().execute(async (trx) => {
    const r = await trx
      .insertInto('items')
      .values({
        tenant_id: tenantId,
        id: newId('itm', rt.now()),
        sync_user_id: user.id,
        source_item_id: ref.id,
        source_folder_id: folder.source_folder_id,
        internet_message_id: messageId ?? ref.internetMessageId,
        destination_item_id: null,
        state: 'pending',
        subject: ref.subject?.slice(0, 500) ?? null,
        size: ref.size,
        error_json: null,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    if (Number(r.numInsertedOrUpdatedRows ?? 0n) === 0) return;
    await trx.updateTable('sync_users').set({ exported: sql`exported + 1`, updated_at: now }).where('tenant_id', '=', tenantId).where('id', '=', user.id).execute();
    await trx.updateTable('sync_folders').set({ exported: sql`exported + 1` }).where('tenant_id', '=', tenantId).where('id', '=', folder.id).execute();
  });
}

async function settleImported(ctx: SyncContext, folder: SyncFolderRow, sourceItemId: string, destinationId: string): Promise<void> {
  const { rt, tenantId, user } = ctx;
  const now = nowIso(rt.now());
  await rt.store.db.transaction().execute(async (trx) => {
    const r = await trx
      .updateTable('items')
      .set({ state: 'imported', destination_item_id: destinationId, error_json: null, updated_at: now })
      .where('tenant_id', '=', tenantId)
      .where('sync_user_id', '=', user.id)
      .where('source_item_id', '=', sourceItemId)
      .where('state', '!=', 'imported')
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) return;
    await trx.updateTable('sync_users').set({ imported: sql`imported + 1`, updated_at: now }).where('tenant_id', '=', tenantId).where('id', '=', user.id).execute();
    await trx.updateTable('sync_folders').set({ imported: sql`imported + 1` }).where('tenant_id', '=', tenantId).where('id', '=', folder.id).execute();
  });
}

async function settleFailed(ctx: SyncContext, ref: MessageRef, error: StoredError): Promise<void> {
  const { rt, tenantId, user } = ctx;
  const now = nowIso(rt.now());
  const changed = await rt.store.db.transaction().execute(async (trx) => {
    const r = await trx
      .updateTable('items')
      .set({ state: 'failed', error_json: JSON.stringify(error), updated_at: now })
      .where('tenant_id', '=', tenantId)
      .where('sync_user_id', '=', user.id)
      .where('source_item_id', '=', ref.id)
      .where('state', '=', 'pending')
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) return false;
    await trx.updateTable('sync_users').set({ failed_items: sql`failed_items + 1`, updated_at: now }).where('tenant_id', '=', tenantId).where('id', '=', user.id).execute();
    return true;
  });
  if (changed) {
    await recordAudit(rt.store.db, rt.store.dialect, tenantId, auditError(error.code, { ...error.params, subject: ref.subject ?? '' }, 'sync.item_failed', { type: 'sync_user', id: user.id, name: user.email }));
  }
}
