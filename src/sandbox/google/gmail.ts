import { readBody, sendJson } from '../http.js';
import type { ApiCall, ApiRoute } from './apis.js';
import { sendGoogleError } from './errors.js';
import { readUpload } from './gmail-upload.js';
import { parseQuery } from './gmail-query.js';
import { indexLater, isIndexed } from './gmail-index.js';
import { isReservedLabelName, isValidLabelName } from './labels-catalog.js';
import { bareMessageId, contentTypeParam, decodeWords, header, multipartParts, snippetOf, splitHeaders, type ParsedMessage } from './mime.js';
import { nextHexId, SCOPES, type Label, type Mailbox, type StoredMessage, type User } from './world.js';
import { draftRoutes, draftIdOf } from './gmail-drafts.js';
import { historyRoutes } from './gmail-history.js';

/**
 * Gmail API v1: labels (list, get, create), messages (import, insert, list, get, modify,
 * batchModify, trash) and threads.get. Quota units per method from developers.google.com/workspace/gmail/api/reference/quota.
 * https://developers.google.com/workspace/gmail/api/reference/rest
 */
const U = '^/gmail/v1/users/([^/]+)';
const UP = '^/upload/gmail/v1/users/([^/]+)';
const READ = [SCOPES.gmailModify, SCOPES.gmailReadonly, SCOPES.mailGoogleCom];
const WRITE = [SCOPES.gmailModify, SCOPES.mailGoogleCom];
const ADD = [SCOPES.gmailInsert, SCOPES.gmailModify, SCOPES.mailGoogleCom];
const LABELS = [SCOPES.gmailLabels, SCOPES.gmailModify, SCOPES.mailGoogleCom];

export const gmailRoutes: readonly ApiRoute[] = [
  { api: 'gmail', httpMethod: 'GET', pattern: new RegExp(`${U}/labels$`), id: 'gmail.users.labels.list', units: 1, scopes: [...LABELS, SCOPES.gmailReadonly, SCOPES.gmailMetadata], handle: listLabels },
  { api: 'gmail', httpMethod: 'POST', pattern: new RegExp(`${U}/labels$`), id: 'gmail.users.labels.create', units: 5, scopes: LABELS, handle: createLabel },
  { api: 'gmail', httpMethod: 'GET', pattern: new RegExp(`${U}/labels/([^/]+)$`), id: 'gmail.users.labels.get', units: 1, scopes: [...LABELS, SCOPES.gmailReadonly, SCOPES.gmailMetadata], handle: getLabel },
  { api: 'gmail', httpMethod: 'POST', pattern: new RegExp(`${U}/messages/import$`), id: 'gmail.users.messages.import', units: 25, scopes: ADD, handle: (c) => addMessage(c, 'import', false) },
  { api: 'gmail', httpMethod: 'POST', pattern: new RegExp(`${UP}/messages/import$`), id: 'gmail.users.messages.import', units: 25, scopes: ADD, handle: (c) => addMessage(c, 'import', true) },
  { api: 'gmail', httpMethod: 'POST', pattern: new RegExp(`${U}/messages$`), id: 'gmail.users.messages.insert', units: 25, scopes: ADD, handle: (c) => addMessage(c, 'insert', false) },
  { api: 'gmail', httpMethod: 'POST', pattern: new RegExp(`${UP}/messages$`), id: 'gmail.users.messages.insert', units: 25, scopes: ADD, handle: (c) => addMessage(c, 'insert', true) },
  { api: 'gmail', httpMethod: 'GET', pattern: new RegExp(`${U}/messages$`), id: 'gmail.users.messages.list', units: 5, scopes: READ, handle: listMessages },
  { api: 'gmail', httpMethod: 'GET', pattern: new RegExp(`${U}/messages/([^/]+)$`), id: 'gmail.users.messages.get', units: 5, scopes: [...READ, SCOPES.gmailMetadata], handle: getMessage },
  // batchModify before the per-message routes: its path would match `messages/{id}/…` otherwise.
  { api: 'gmail', httpMethod: 'POST', pattern: new RegExp(`${U}/messages/batchModify$`), id: 'gmail.users.messages.batchModify', units: 50, scopes: WRITE, handle: batchModify },
  { api: 'gmail', httpMethod: 'POST', pattern: new RegExp(`${U}/messages/([^/]+)/modify$`), id: 'gmail.users.messages.modify', units: 5, scopes: WRITE, handle: modifyMessage },
  { api: 'gmail', httpMethod: 'POST', pattern: new RegExp(`${U}/messages/([^/]+)/trash$`), id: 'gmail.users.messages.trash', units: 5, scopes: WRITE, handle: trashMessage },
  { api: 'gmail', httpMethod: 'POST', pattern: new RegExp(`${U}/messages/([^/]+)/untrash$`), id: 'gmail.users.messages.untrash', units: 5, scopes: WRITE, handle: untrashMessage },
  { api: 'gmail', httpMethod: 'GET', pattern: new RegExp(`${U}/threads/([^/]+)$`), id: 'gmail.users.threads.get', units: 10, scopes: [...READ, SCOPES.gmailMetadata], handle: getThread },
  ...draftRoutes(U, UP, WRITE),
  ...historyRoutes(U, [...READ, SCOPES.gmailMetadata], [...READ, SCOPES.gmailMetadata, SCOPES.gmailLabels, SCOPES.gmailInsert]),
];

function mailbox(call: ApiCall): Mailbox {
  return call.mailboxUser!.mailbox;
}

function labelResource(l: Label): Record<string, unknown> {
  return {
    id: l.id,
    name: l.name,
    ...(l.messageListVisibility ? { messageListVisibility: l.messageListVisibility } : {}),
    ...(l.labelListVisibility ? { labelListVisibility: l.labelListVisibility } : {}),
    type: l.type,
  };
}

function listLabels(call: ApiCall): void {
  sendJson(call.res, 200, { labels: [...mailbox(call).labels.values()].map(labelResource) });
}

function getLabel(call: ApiCall): void {
  const mb = mailbox(call);
  const l = mb.labels.get(call.params[1] ?? '');
  if (!l) return sendGoogleError(call.res, 404, 'Requested entity was not found.', { reason: 'notFound', status: 'NOT_FOUND' });
  const msgs = [...mb.messages.values()].filter((m) => m.labelIds.includes(l.id));
  const unread = msgs.filter((m) => m.labelIds.includes('UNREAD'));
  sendJson(call.res, 200, {
    ...labelResource(l),
    messagesTotal: msgs.length,
    messagesUnread: unread.length,
    threadsTotal: new Set(msgs.map((m) => m.threadId)).size,
    threadsUnread: new Set(unread.map((m) => m.threadId)).size,
  });
}

async function createLabel(call: ApiCall): Promise<void> {
  const { res } = call;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse((await readBody(call.req, 1 << 20)).toString('utf8') || '{}') as Record<string, unknown>;
  } catch {
    return sendGoogleError(res, 400, 'Invalid JSON payload received.', { reason: 'parseError' });
  }
  const name = typeof body['name'] === 'string' ? body['name'] : '';
  if (!isValidLabelName(name)) return sendGoogleError(res, 400, 'Invalid label name', { reason: 'invalidArgument', status: 'INVALID_ARGUMENT' });
  // Reserved names (system labels, Gmail's own names, their localized forms) are invalid, not
  // duplicates: 400 "Invalid label name" (shared/reference/providers.md §3.7, corrected 2026-12).
  const mb = mailbox(call);
  if (isReservedLabelName(name) || mb.reservedLabelNames?.has(name.trim().toLowerCase())) return sendGoogleError(res, 400, 'Invalid label name', { reason: 'invalidArgument', status: 'INVALID_ARGUMENT' });
  const lower = name.trim().toLowerCase();
  if ([...mb.labels.values()].some((l) => l.name.toLowerCase() === lower)) {
    return sendGoogleError(res, 409, 'Label name exists or conflicts', { reason: 'duplicate', status: 'ALREADY_EXISTS' });
  }
  const label: Label = {
    id: `Label_${nextHexId(call.sim.world, call.sim.now()).slice(-10).replace(/^0+/, '') || '1'}`,
    name: name.trim(),
    type: 'user',
    messageListVisibility: typeof body['messageListVisibility'] === 'string' ? body['messageListVisibility'] : 'show',
    labelListVisibility: typeof body['labelListVisibility'] === 'string' ? body['labelListVisibility'] : 'labelShow',
  };
  mb.labels.set(label.id, label);
  sendJson(res, 200, labelResource(label));
}

function boolParam(url: URL, name: string, dflt: boolean): boolean {
  const v = url.searchParams.get(name);
  return v === null ? dflt : v === 'true' || v === '1';
}

async function addMessage(call: ApiCall, kind: 'import' | 'insert', isUploadPath: boolean): Promise<void> {
  const { sim, res, url } = call;
  const upload = await readUpload(call.req, url, isUploadPath);
  if (!upload.ok) return sendGoogleError(res, upload.status, upload.message, { reason: upload.reason });
  if (kind === 'import' && call.sim.fires('gmail.reject_import')) {
    return sendGoogleError(res, 400, 'Invalid argument', { reason: 'invalidArgument', status: 'INVALID_ARGUMENT' });
  }
  const mb = mailbox(call);
  const labelIds = Array.isArray(upload.metadata['labelIds']) ? upload.metadata['labelIds'].filter((x): x is string => typeof x === 'string') : [];
  for (const id of labelIds) {
    if (!mb.labels.has(id)) return sendGoogleError(res, 400, `Invalid label: ${id}`, { reason: 'invalidArgument', status: 'INVALID_ARGUMENT' });
  }
  const parsed = splitHeaders(upload.raw);
  // import defaults to the Date header, insert to the time of receipt (discovery: internalDateSource).
  const source = url.searchParams.get('internalDateSource') ?? (kind === 'import' ? 'dateHeader' : 'receivedTime');
  const dateHeader = Date.parse(header(parsed.headers, 'date') ?? '');
  const internalDate = source === 'dateHeader' && !Number.isNaN(dateHeader) ? dateHeader : sim.now();
  const labels = new Set(labelIds);
  // Import scans like delivery and may classify spam; insert does not; neverMarkSpam opts out.
  if (kind === 'import' && !boolParam(url, 'neverMarkSpam', false) && /^yes/i.test(header(parsed.headers, 'x-spam-flag') ?? '')) {
    labels.delete('INBOX');
    labels.add('SPAM');
  }
  const id = nextHexId(sim.world, sim.now());
  const inReplyTo = bareMessageId(header(parsed.headers, 'in-reply-to'));
  const requestedThread = typeof upload.metadata['threadId'] === 'string' ? upload.metadata['threadId'] : undefined;
  const threadId =
    (requestedThread && [...mb.messages.values()].find((m) => m.threadId === requestedThread)?.threadId) ||
    (inReplyTo ? [...mb.messages.values()].find((m) => m.rfc822MessageId === inReplyTo)?.threadId : undefined) ||
    id;
  const message: StoredMessage = {
    id,
    threadId,
    labelIds: [...labels],
    raw: upload.raw,
    rfc822MessageId: bareMessageId(header(parsed.headers, 'message-id')),
    inReplyTo,
    internalDate,
    subject: decodeWords(header(parsed.headers, 'subject') ?? ''),
    snippet: snippetOf(parsed),
    headers: parsed.headers.map(([k, v]) => [k, decodeWords(v)] as const),
    historyId: String(sim.world.counter + 1000),
  };
  // deleted=true keeps the message for Vault only: users (and this API) never see it.
  if (!boolParam(url, 'deleted', false)) {
    mb.messages.set(id, message);
    indexLater(mb.messages.get(id)!, sim.now());
  }
  if (kind === 'import') sim.stats.imports += 1;
  sendJson(res, 200, { id, threadId, labelIds: message.labelIds });
}

function visible(m: StoredMessage, includeSpamTrash: boolean): boolean {
  return includeSpamTrash || !(m.labelIds.includes('SPAM') || m.labelIds.includes('TRASH'));
}

function listMessages(call: ApiCall): void {
  const { url, res } = call;
  const mb = mailbox(call);
  const qText = url.searchParams.get('q') ?? '';
  const q = parseQuery(qText, mb.labels);
  // A search (q) sees only what the index holds; a listing by label sees everything at once.
  const searching = qText.trim() !== '';
  const now = call.sim.now();
  const includeSpamTrash = boolParam(url, 'includeSpamTrash', false) || q.includesSpamTrash;
  const labelIds = url.searchParams.getAll('labelIds');
  const max = Math.min(500, Math.max(1, Number(url.searchParams.get('maxResults') ?? 100) || 100));
  let offset = 0;
  const token = url.searchParams.get('pageToken');
  if (token) {
    offset = Number(token);
    if (!Number.isInteger(offset) || offset < 0) return sendGoogleError(res, 400, 'Invalid pageToken', { reason: 'invalidArgument', status: 'INVALID_ARGUMENT' });
  }
  const all = [...mb.messages.values()]
    .filter((m) => visible(m, includeSpamTrash) && labelIds.every((l) => m.labelIds.includes(l)) && q.match(m) && (!searching || isIndexed(m, now, call.sim.world.quotas.searchIndexLagMs)))
    .sort((a, b) => b.internalDate - a.internalDate || (a.id < b.id ? 1 : -1));
  const page = all.slice(offset, offset + max);
  const body: Record<string, unknown> = {};
  if (page.length) body['messages'] = page.map((m) => ({ id: m.id, threadId: m.threadId }));
  // Gmail's page tokens are opaque digit strings.
  if (offset + max < all.length) body['nextPageToken'] = String(offset + max);
  body['resultSizeEstimate'] = all.length;
  sendJson(res, 200, body);
}

function findMessage(call: ApiCall): StoredMessage | undefined {
  const m = mailbox(call).messages.get(call.params[1] ?? '');
  if (!m) sendGoogleError(call.res, 404, 'Requested entity was not found.', { reason: 'notFound', status: 'NOT_FOUND' });
  return m;
}

function minimal(m: StoredMessage): Record<string, unknown> {
  return { id: m.id, threadId: m.threadId, labelIds: m.labelIds, snippet: m.snippet, sizeEstimate: m.raw.length, historyId: m.historyId, internalDate: String(m.internalDate) };
}

function payload(part: ParsedMessage, partId: string, headerFilter: readonly string[] | null, withBody: boolean, depth = 0): Record<string, unknown> {
  const ct = header(part.headers, 'content-type') ?? 'text/plain';
  const mimeType = ct.split(';')[0]!.trim().toLowerCase();
  const headers = part.headers
    .filter(([k]) => headerFilter === null || headerFilter.includes(k.toLowerCase()))
    .map(([name, value]) => ({ name, value }));
  const out: Record<string, unknown> = { partId, mimeType, filename: contentTypeParam(header(part.headers, 'content-disposition') ?? '', 'filename') ?? '', headers };
  const boundary = mimeType.startsWith('multipart/') ? contentTypeParam(ct, 'boundary') : undefined;
  if (boundary && withBody && depth < 5) {
    out['body'] = { size: 0 };
    out['parts'] = multipartParts(part.body, boundary).map((p, i) => payload(p, partId === '' ? String(i) : `${partId}.${i}`, null, true, depth + 1));
  } else {
    out['body'] = withBody ? { size: part.body.length, data: part.body.toString('base64url') } : { size: part.body.length };
  }
  return out;
}

function getMessage(call: ApiCall): void {
  const m = findMessage(call);
  if (!m) return;
  const r = formatted(call, m);
  if (r) sendJson(call.res, 200, r);
}

/** A message resource in the asked `format`; undefined after answering 400 for a bad format. */
function formatted(call: ApiCall, m: StoredMessage): Record<string, unknown> | undefined {
  const format = call.url.searchParams.get('format') ?? 'full';
  const base = minimal(m);
  switch (format) {
    case 'minimal':
      return base;
    case 'raw':
      return { ...base, raw: m.raw.toString('base64url') };
    case 'metadata': {
      const wanted = call.url.searchParams.getAll('metadataHeaders').map((h) => h.toLowerCase());
      return { ...base, payload: payload(splitHeaders(m.raw), '', wanted.length ? wanted : null, false) };
    }
    case 'full':
      return { ...base, payload: payload(splitHeaders(m.raw), '', null, true) };
    default:
      sendGoogleError(call.res, 400, `Invalid value at 'format' (type.googleapis.com/google.apps.gmail.v1.Format), "${format}"`, { reason: 'invalidArgument', status: 'INVALID_ARGUMENT' });
      return undefined;
  }
}

/**
 * threads.get: the thread's messages, oldest first, each in the asked format (raw is not a
 * thread format). Spam and trash are included, as Gmail does for a thread fetched by id.
 * https://developers.google.com/workspace/gmail/api/reference/rest/v1/users.threads/get
 */
function getThread(call: ApiCall): void {
  const threadId = call.params[1] ?? '';
  const msgs = [...mailbox(call).messages.values()].filter((m) => m.threadId === threadId).sort((a, b) => a.internalDate - b.internalDate || (a.id < b.id ? -1 : 1));
  if (msgs.length === 0) return sendGoogleError(call.res, 404, 'Requested entity was not found.', { reason: 'notFound', status: 'NOT_FOUND' });
  if (call.url.searchParams.get('format') === 'raw') return sendGoogleError(call.res, 400, "Invalid value at 'format' (type.googleapis.com/google.apps.gmail.v1.GetThreadRequest.Format), \"raw\"", { reason: 'invalidArgument', status: 'INVALID_ARGUMENT' });
  const messages: Record<string, unknown>[] = [];
  for (const m of msgs) {
    const r = formatted(call, m);
    if (!r) return;
    messages.push(r);
  }
  const historyId = msgs.map((m) => Number(m.historyId)).reduce((a, b) => Math.max(a, b), 0);
  sendJson(call.res, 200, { id: threadId, historyId: String(historyId), messages });
}

/** System labels an API may not add or remove (users.messages.modify). */
const UNMODIFIABLE = ['SENT', 'DRAFT'];

type LabelChange = { add: string[]; remove: string[] };

/**
 * The body of modify / batchModify, checked as Gmail checks it: at least one label to add or
 * remove (400 "No label add or removes specified"), every label known, and never SENT or
 * DRAFT, which only sending and drafting set (400 "Invalid label"). Undefined after answering.
 */
async function labelChange(call: ApiCall): Promise<(LabelChange & { body: Record<string, unknown> }) | undefined> {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse((await readBody(call.req, 1 << 20)).toString('utf8') || '{}') as Record<string, unknown>;
  } catch {
    sendGoogleError(call.res, 400, 'Invalid JSON payload received.', { reason: 'parseError' });
    return undefined;
  }
  const list = (k: string): string[] => (Array.isArray(body[k]) ? (body[k] as unknown[]).filter((x): x is string => typeof x === 'string') : []);
  const add = list('addLabelIds');
  const remove = list('removeLabelIds');
  if (add.length === 0 && remove.length === 0) {
    sendGoogleError(call.res, 400, 'No label add or removes specified', { reason: 'invalidArgument', status: 'INVALID_ARGUMENT' });
    return undefined;
  }
  for (const id of [...add, ...remove]) {
    if (UNMODIFIABLE.includes(id) || !mailbox(call).labels.has(id)) {
      sendGoogleError(call.res, 400, `Invalid label: ${id}`, { reason: 'invalidArgument', status: 'INVALID_ARGUMENT' });
      return undefined;
    }
  }
  return { add, remove, body };
}

function applyChange(m: StoredMessage, c: LabelChange): void {
  m.labelIds = [...new Set([...m.labelIds.filter((l) => !c.remove.includes(l)), ...c.add])];
}

async function modifyMessage(call: ApiCall): Promise<void> {
  const c = await labelChange(call);
  if (!c) return;
  const m = findMessage(call);
  if (!m) return;
  applyChange(m, c);
  sendJson(call.res, 200, { id: m.id, threadId: m.threadId, labelIds: m.labelIds });
}

/**
 * batchModify: up to 1,000 ids, 204 with no body. Ids of messages that do not exist are
 * passed over. https://developers.google.com/workspace/gmail/api/reference/rest/v1/users.messages/batchModify
 */
async function batchModify(call: ApiCall): Promise<void> {
  const c = await labelChange(call);
  if (!c) return;
  const ids = Array.isArray(c.body['ids']) ? (c.body['ids'] as unknown[]).filter((x): x is string => typeof x === 'string') : [];
  if (ids.length === 0) return sendGoogleError(call.res, 400, 'No message ids specified', { reason: 'invalidArgument', status: 'INVALID_ARGUMENT' });
  if (ids.length > 1000) return sendGoogleError(call.res, 400, 'Too many ids specified: 1000 at most', { reason: 'invalidArgument', status: 'INVALID_ARGUMENT' });
  const mb = mailbox(call);
  for (const id of ids) {
    const m = mb.messages.get(id);
    if (m) applyChange(m, c);
  }
  call.res.writeHead(204).end();
}

function trashMessage(call: ApiCall): void {
  const m = findMessage(call);
  if (!m) return;
  m.labelIds = [...new Set([...m.labelIds.filter((l) => l !== 'SPAM'), 'TRASH'])];
  sendJson(call.res, 200, minimal(m));
}

function untrashMessage(call: ApiCall): void {
  const m = findMessage(call);
  if (!m) return;
  m.labelIds = m.labelIds.filter((l) => l !== 'TRASH');
  sendJson(call.res, 200, minimal(m));
}

/** For the admin API: every message of a user with its label names. */
export function messagesForAdmin(user: User): Record<string, unknown>[] {
  const mb = user.mailbox;
  return [...mb.messages.values()].map((m) => ({
    id: m.id,
    threadId: m.threadId,
    labelIds: m.labelIds,
    labelNames: m.labelIds.map((id) => mb.labels.get(id)?.name ?? id),
    // As the Message-ID header (and Graph's internetMessageId) write it: in angle brackets.
    rfc822MessageId: m.rfc822MessageId ? `<${m.rfc822MessageId}>` : null,
    internalDate: new Date(m.internalDate).toISOString(),
    sizeEstimate: m.raw.length,
    subject: m.subject,
    draftId: draftIdOf(mb, m.id),
  }));
}
