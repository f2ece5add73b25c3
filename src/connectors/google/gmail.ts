import { randomUUID } from 'node:crypto';
import { AppError } from '../../errors/index.js';
import type { HttpRequest, HttpResponse, RateCost } from '../sdk/index.js';
import { GMAIL_MODIFY, REQUIRED_SCOPES } from './config.js';
import { badResponse, commonError, describe, parseGoogleError } from './errors.js';
import type { GoogleDeps } from './deps.js';

/**
 * Gmail API calls as the mailbox's user (delegation with gmail.modify), each spending its
 * quota units on the user's and the project's rate budgets.
 * https://developers.google.com/workspace/gmail/api/reference/quota
 */
export const MAX_IMPORT_BYTES = 52_428_800; // messages.import maxSize (discovery: 50 MB)
export const MAX_DRAFT_BYTES = 36_700_160; // drafts.create maxSize (discovery: 35 MB)

/** System labels messages.modify refuses to add or remove (400). */
const UNMODIFIABLE_LABELS: ReadonlySet<string> = new Set(['SENT', 'DRAFT']);

export const UNITS = { labelsList: 1, labelsCreate: 5, import: 25, list: 5, get: 5, modify: 5, trash: 5, untrash: 5, draftsCreate: 10, draftsUpdate: 15, draftsDelete: 10 } as const;

export interface GmailLabel {
  readonly id: string;
  readonly name: string;
  readonly type: 'system' | 'user';
}

/** Gmail meters quota units per user and per project, each per minute. */
function budgets(deps: GoogleDeps, email: string, cost: number): RateCost[] {
  return [
    { key: `destination:user:${email.toLowerCase()}`, cost },
    { key: `destination:project:${deps.project}`, cost },
  ];
}

/** UnknownSubjectError from the token source passes through: the caller decides what it means. */
export async function call(deps: GoogleDeps, email: string, cost: number, req: Omit<HttpRequest, 'headers' | 'budgets'> & { contentType?: string }, retried = false): Promise<HttpResponse> {
  const token = await deps.tokens.forUser(email, [GMAIL_MODIFY]);
  const res = await deps.ctx.http.request({
    ...req,
    headers: { authorization: `Bearer ${token}`, ...(req.contentType ? { 'content-type': req.contentType } : {}) },
    budgets: budgets(deps, email, cost),
  });
  if (res.status === 401 && !retried) {
    deps.tokens.invalidate(email, [GMAIL_MODIFY]);
    return call(deps, email, cost, req, true);
  }
  return res;
}

/** Failures every Gmail method shares. */
export function gmailError(deps: GoogleDeps, email: string, res: HttpResponse): AppError | null {
  const common = commonError(res, 'Gmail API', deps.ctx.now().getTime());
  if (common) return common;
  const e = parseGoogleError(res);
  // The mailbox does not exist yet: a new account's Gmail comes up a little after the account.
  if (res.status === 400 && (e?.reasons.includes('failedPrecondition') || e?.status === 'FAILED_PRECONDITION')) {
    return new AppError('google.user_not_ready', { email });
  }
  if (res.status === 403 && (e?.reasons.includes('insufficientPermissions') || e?.reasons.includes('forbidden'))) {
    return new AppError('google.delegation_missing', { clientId: `of ${deps.config.serviceAccountEmail}`, scope: GMAIL_MODIFY, requiredScopes: REQUIRED_SCOPES.join(', ') });
  }
  return null;
}

export const users = (deps: GoogleDeps, email: string): string => `${deps.endpoints.gmail}/gmail/v1/users/${encodeURIComponent(email)}`;

export async function listLabels(deps: GoogleDeps, email: string): Promise<GmailLabel[]> {
  const res = await call(deps, email, UNITS.labelsList, { method: 'GET', url: `${users(deps, email)}/labels` });
  if (res.status !== 200) throw gmailError(deps, email, res) ?? badResponse(`labels.list answered ${describe(parseGoogleError(res), res)}`);
  const b = res.json() as { labels?: unknown } | undefined;
  if (!b || (b.labels !== undefined && !Array.isArray(b.labels))) throw badResponse('labels.list answered a body without a labels list');
  return ((b.labels as unknown[] | undefined) ?? []).map((l) => {
    const v = l as { id?: unknown; name?: unknown; type?: unknown };
    if (typeof v.id !== 'string' || typeof v.name !== 'string') throw badResponse('a Gmail label without id or name');
    return { id: v.id, name: v.name, type: v.type === 'system' ? 'system' : 'user' } as const;
  });
}

/**
 * labels.create; 'conflict' when Gmail says the name exists or conflicts (409), 'invalid'
 * when it refuses the name itself (400 "Invalid label name"): a reserved name — a system
 * label, one of Gmail's own names (Drafts, Trash, Muted, archive…) or a localized form of one
 * ("Enviado", "Da leggere"…). Gmail does not publish that list, so the caller renames on this
 * answer rather than trusting a list of its own (shared/reference/providers.md §3.7).
 */
export async function createLabel(deps: GoogleDeps, email: string, name: string): Promise<GmailLabel | 'conflict' | 'invalid'> {
  const res = await call(deps, email, UNITS.labelsCreate, {
    method: 'POST',
    url: `${users(deps, email)}/labels`,
    contentType: 'application/json',
    body: JSON.stringify({ name, labelListVisibility: 'labelShow', messageListVisibility: 'show' }),
  });
  if (res.status === 200) {
    const v = res.json() as { id?: unknown; name?: unknown } | undefined;
    if (typeof v?.id !== 'string') throw badResponse('labels.create answered 200 without an id');
    return { id: v.id, name: typeof v.name === 'string' ? v.name : name, type: 'user' };
  }
  if (res.status === 409) return 'conflict';
  const shared = gmailError(deps, email, res);
  if (shared) throw shared;
  if (res.status === 400 && /invalid label name/i.test(parseGoogleError(res)?.message ?? '')) return 'invalid';
  if (res.status === 400) throw new AppError('item.rejected', { detail: `Gmail refused the label "${name}": ${describe(parseGoogleError(res), res)}` });
  throw badResponse(`labels.create answered ${describe(parseGoogleError(res), res)}`);
}

/**
 * messages.import as a multipart upload (JSON metadata + message/rfc822), dating the
 * message by its Date header and never classifying it as spam: it was delivered once already.
 * https://developers.google.com/workspace/gmail/api/reference/rest/v1/users.messages/import
 */
export async function importMessage(deps: GoogleDeps, email: string, raw: Uint8Array, labelIds: readonly string[]): Promise<{ id: string }> {
  if (raw.byteLength > MAX_IMPORT_BYTES) throw new AppError('item.too_large', { size: raw.byteLength, limit: MAX_IMPORT_BYTES });
  const boundary = randomUUID();
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\ncontent-type: application/json; charset=UTF-8\r\n\r\n${JSON.stringify({ labelIds })}\r\n--${boundary}\r\ncontent-type: message/rfc822\r\n\r\n`),
    Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength),
    Buffer.from(`\r\n--${boundary}--`),
  ]);
  const q = new URLSearchParams({ uploadType: 'multipart', internalDateSource: 'dateHeader', neverMarkSpam: 'true', processForCalendar: 'false' });
  const res = await call(deps, email, UNITS.import, {
    method: 'POST',
    url: `${deps.endpoints.gmail}/upload/gmail/v1/users/${encodeURIComponent(email)}/messages/import?${q.toString()}`,
    contentType: `multipart/related; boundary=${boundary}`,
    body,
  });
  if (res.status === 200) {
    const id = (res.json() as { id?: unknown } | undefined)?.id;
    if (typeof id !== 'string') throw badResponse('messages.import answered 200 without an id');
    return { id };
  }
  if (res.status === 413) throw new AppError('item.too_large', { size: raw.byteLength, limit: MAX_IMPORT_BYTES });
  const shared = gmailError(deps, email, res);
  if (shared) throw shared;
  if (res.status === 400) throw new AppError('item.rejected', { detail: describe(parseGoogleError(res), res) });
  throw badResponse(`messages.import answered ${describe(parseGoogleError(res), res)}`);
}

/** Gmail id of the message with this RFC 822 Message-ID (spam and trash included), or null. */
export async function findByRfc822Id(deps: GoogleDeps, email: string, messageId: string): Promise<string | null> {
  return (await findAllByRfc822Id(deps, email, messageId))[0] ?? null;
}

/** Gmail ids of every message with this RFC 822 Message-ID (spam and trash included). */
export async function findAllByRfc822Id(deps: GoogleDeps, email: string, messageId: string): Promise<string[]> {
  const bare = messageId.trim().replace(/^<|>$/g, '');
  const q = new URLSearchParams({ q: `rfc822msgid:${bare}`, includeSpamTrash: 'true', maxResults: '50' });
  const page = await listIds(deps, email, q);
  return page.ids;
}

async function listIds(deps: GoogleDeps, email: string, q: URLSearchParams): Promise<{ ids: string[]; next: string | null }> {
  const res = await call(deps, email, UNITS.list, { method: 'GET', url: `${users(deps, email)}/messages?${q.toString()}` });
  if (res.status !== 200) throw gmailError(deps, email, res) ?? badResponse(`messages.list answered ${describe(parseGoogleError(res), res)}`);
  const b = res.json() as { messages?: unknown; nextPageToken?: unknown } | undefined;
  if (!b || typeof b !== 'object' || (b.messages !== undefined && !Array.isArray(b.messages))) throw badResponse('messages.list answered a body without a messages list');
  const ids = ((b.messages as Array<{ id?: unknown }> | undefined) ?? []).map((m) => {
    if (typeof m?.id !== 'string') throw badResponse('messages.list answered a message without an id');
    return m.id;
  });
  return { ids, next: typeof b.nextPageToken === 'string' ? b.nextPageToken : null };
}

/**
 * The RFC 822 Message-ID a Gmail message carries (messages.get, metadata format, one header),
 * or null when the message is gone or has none. Unlike a search, exact the moment the message
 * exists. https://developers.google.com/workspace/gmail/api/reference/rest/v1/users.messages/get
 */
export async function messageIdHeaderOf(deps: GoogleDeps, email: string, id: string): Promise<string | null> {
  const q = new URLSearchParams({ format: 'metadata', metadataHeaders: 'Message-ID' });
  const res = await call(deps, email, UNITS.get, { method: 'GET', url: `${users(deps, email)}/messages/${encodeURIComponent(id)}?${q.toString()}` });
  if (res.status === 404) return null;
  if (res.status !== 200) throw gmailError(deps, email, res) ?? badResponse(`messages.get answered ${describe(parseGoogleError(res), res)}`);
  const b = res.json() as { payload?: { headers?: unknown } } | undefined;
  const headers = b?.payload?.headers;
  if (headers !== undefined && !Array.isArray(headers)) throw badResponse('messages.get answered headers that are not a list');
  for (const h of (headers as Array<{ name?: unknown; value?: unknown }> | undefined) ?? []) {
    if (typeof h?.name === 'string' && h.name.toLowerCase() === 'message-id' && typeof h.value === 'string') {
      const m = /<[^<>\s]+>/.exec(h.value);
      return m ? m[0] : `<${h.value.trim().replace(/^<|>$/g, '')}>`;
    }
  }
  return null;
}

/** The draft whose message is `messageId` (drafts.list, every page), or null. */
export async function draftOfMessage(deps: GoogleDeps, email: string, messageId: string): Promise<string | null> {
  let token: string | null = null;
  for (let pages = 0; pages < 1000; pages++) {
    const q = new URLSearchParams({ maxResults: '500' });
    if (token) q.set('pageToken', token);
    const res = await call(deps, email, UNITS.list, { method: 'GET', url: `${users(deps, email)}/drafts?${q.toString()}` });
    if (res.status !== 200) throw gmailError(deps, email, res) ?? badResponse(`drafts.list answered ${describe(parseGoogleError(res), res)}`);
    const b = res.json() as { drafts?: Array<{ id?: unknown; message?: { id?: unknown } }>; nextPageToken?: unknown } | undefined;
    if (!b || typeof b !== 'object' || (b.drafts !== undefined && !Array.isArray(b.drafts))) throw badResponse('drafts.list answered a body without a drafts list');
    const hit = (b.drafts ?? []).find((d) => d?.message?.id === messageId);
    if (hit) {
      if (typeof hit.id !== 'string') throw badResponse('drafts.list answered a draft without an id');
      return hit.id;
    }
    const next = typeof b.nextPageToken === 'string' ? b.nextPageToken : null;
    if (next === null || next === token) return null;
    token = next;
  }
  return null;
}

/** One page of the ids of messages with this label (500 per page, Gmail's maximum). */
export async function listIdsByLabel(deps: GoogleDeps, email: string, labelId: string, pageToken: string | null): Promise<{ ids: string[]; next: string | null }> {
  const q = new URLSearchParams({ labelIds: labelId, maxResults: '500', includeSpamTrash: String(labelId === 'TRASH' || labelId === 'SPAM') });
  if (pageToken) q.set('pageToken', pageToken);
  return listIds(deps, email, q);
}

/**
 * messages.modify. Gmail lets an API add and remove INBOX, UNREAD, STARRED, IMPORTANT, SPAM,
 * CATEGORY_* and user labels; SENT and DRAFT are not modifiable, so callers leave them out.
 * https://developers.google.com/workspace/gmail/api/reference/rest/v1/users.messages/modify
 * False when the message no longer exists (the user deleted it in Gmail).
 */
export async function modifyMessage(deps: GoogleDeps, email: string, id: string, addAll: readonly string[], removeAll: readonly string[]): Promise<boolean> {
  // Gmail answers 400 to SENT or DRAFT in either list and to a modify with nothing in it:
  // leave those out here too, whatever a caller passes, and send nothing when nothing is left.
  const add = addAll.filter((l) => !UNMODIFIABLE_LABELS.has(l));
  const remove = removeAll.filter((l) => !UNMODIFIABLE_LABELS.has(l));
  if (add.length === 0 && remove.length === 0) return true;
  const res = await call(deps, email, UNITS.modify, {
    method: 'POST',
    url: `${users(deps, email)}/messages/${encodeURIComponent(id)}/modify`,
    contentType: 'application/json',
    body: JSON.stringify({ addLabelIds: add, removeLabelIds: remove }),
    // Setting the same labels twice is harmless: safe to resend after a network failure.
    idempotent: true,
  });
  if (res.status === 200) return true;
  if (res.status === 404) return false;
  const shared = gmailError(deps, email, res);
  if (shared) throw shared;
  if (res.status === 400) throw new AppError('item.rejected', { detail: `Gmail refused to change the labels: ${describe(parseGoogleError(res), res)}` });
  throw badResponse(`messages.modify answered ${describe(parseGoogleError(res), res)}`);
}

/** messages.trash / messages.untrash; false when the message no longer exists. */
export async function trashMessage(deps: GoogleDeps, email: string, id: string, untrash = false): Promise<boolean> {
  const res = await call(deps, email, untrash ? UNITS.untrash : UNITS.trash, {
    method: 'POST',
    url: `${users(deps, email)}/messages/${encodeURIComponent(id)}/${untrash ? 'untrash' : 'trash'}`,
    idempotent: true,
  });
  if (res.status === 200) return true;
  if (res.status === 404) return false;
  throw gmailError(deps, email, res) ?? badResponse(`messages.${untrash ? 'untrash' : 'trash'} answered ${describe(parseGoogleError(res), res)}`);
}

/**
 * drafts.create / drafts.update as multipart uploads: an Outlook draft becomes a Gmail draft
 * the user can finish and send, not a message with a label.
 * https://developers.google.com/workspace/gmail/api/reference/rest/v1/users.drafts/create
 */
export async function saveDraft(deps: GoogleDeps, email: string, raw: Uint8Array, draftId: string | null): Promise<{ draftId: string; messageId: string }> {
  if (raw.byteLength > MAX_DRAFT_BYTES) throw new AppError('item.too_large', { size: raw.byteLength, limit: MAX_DRAFT_BYTES });
  const boundary = randomUUID();
  const metadata = draftId ? { id: draftId, message: {} } : { message: {} };
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\ncontent-type: application/json; charset=UTF-8\r\n\r\n${JSON.stringify(metadata)}\r\n--${boundary}\r\ncontent-type: message/rfc822\r\n\r\n`),
    Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength),
    Buffer.from(`\r\n--${boundary}--`),
  ]);
  const base = `${deps.endpoints.gmail}/upload/gmail/v1/users/${encodeURIComponent(email)}/drafts`;
  const res = await call(deps, email, draftId ? UNITS.draftsUpdate : UNITS.draftsCreate, {
    method: draftId ? 'PUT' : 'POST',
    url: `${draftId ? `${base}/${encodeURIComponent(draftId)}` : base}?uploadType=multipart`,
    contentType: `multipart/related; boundary=${boundary}`,
    body,
  });
  if (res.status === 200) {
    const d = res.json() as { id?: unknown; message?: { id?: unknown } } | undefined;
    if (typeof d?.id !== 'string' || typeof d.message?.id !== 'string') throw badResponse('drafts answered 200 without a draft and message id');
    return { draftId: d.id, messageId: d.message.id };
  }
  if (res.status === 413) throw new AppError('item.too_large', { size: raw.byteLength, limit: MAX_DRAFT_BYTES });
  const shared = gmailError(deps, email, res);
  if (shared) throw shared;
  if (res.status === 404 && draftId) return saveDraft(deps, email, raw, null); // deleted in Gmail meanwhile: create it again
  if (res.status === 400) throw new AppError('item.rejected', { detail: describe(parseGoogleError(res), res) });
  throw badResponse(`drafts.${draftId ? 'update' : 'create'} answered ${describe(parseGoogleError(res), res)}`);
}

/** drafts.list with `q=rfc822msgid:` — the draft holding this Message-ID, or null. */
export async function findDraftByRfc822Id(deps: GoogleDeps, email: string, messageId: string): Promise<{ draftId: string; messageId: string } | null> {
  const bare = messageId.trim().replace(/^<|>$/g, '');
  const q = new URLSearchParams({ q: `rfc822msgid:${bare}`, maxResults: '10' });
  const res = await call(deps, email, UNITS.list, { method: 'GET', url: `${users(deps, email)}/drafts?${q.toString()}` });
  if (res.status !== 200) throw gmailError(deps, email, res) ?? badResponse(`drafts.list answered ${describe(parseGoogleError(res), res)}`);
  const b = res.json() as { drafts?: Array<{ id?: unknown; message?: { id?: unknown } }> } | undefined;
  if (!b || typeof b !== 'object') throw badResponse('drafts.list answered a body that is not JSON');
  const d = b.drafts?.[0];
  if (!d) return null;
  if (typeof d.id !== 'string' || typeof d.message?.id !== 'string') throw badResponse('drafts.list answered a draft without ids');
  return { draftId: d.id, messageId: d.message.id };
}

/** drafts.delete; false when the draft is already gone. */
export async function deleteDraft(deps: GoogleDeps, email: string, draftId: string): Promise<boolean> {
  const res = await call(deps, email, UNITS.draftsDelete, { method: 'DELETE', url: `${users(deps, email)}/drafts/${encodeURIComponent(draftId)}` });
  if (res.status === 204 || res.status === 200) return true;
  if (res.status === 404) return false;
  throw gmailError(deps, email, res) ?? badResponse(`drafts.delete answered ${describe(parseGoogleError(res), res)}`);
}

/** Whether the mailbox answers at all (labels.list, 1 unit): a new account's Gmail comes up a little after it. */
export async function probeMailbox(deps: GoogleDeps, email: string): Promise<void> {
  await listLabels(deps, email);
}
