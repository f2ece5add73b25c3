import { readBody, sendJson } from '../http.js';
import type { ApiCall, ApiRoute } from './apis.js';
import { sendGoogleError } from './errors.js';
import { readUpload } from './gmail-upload.js';
import { parseQuery } from './gmail-query.js';
import { indexLater, isIndexed } from './gmail-index.js';
import { bareMessageId, decodeWords, header, snippetOf, splitHeaders } from './mime.js';
import { nextHexId, type Mailbox, type StoredMessage } from './world.js';

/**
 * Gmail drafts: create, update, get, list, delete. A draft is a message carrying the DRAFT
 * label plus a draft id; updating a draft replaces its message (a new message id), as Gmail
 * does. drafts.create/update take the same uploads as messages.import, 35 MB at most.
 * https://developers.google.com/workspace/gmail/api/reference/rest/v1/users.drafts
 */
export const MAX_DRAFT_BYTES = 36_700_160;

/** draft id → message id, per mailbox (kept beside the world's mailbox rather than in it). */
const draftsOf = new WeakMap<Mailbox, Map<string, string>>();

function drafts(mb: Mailbox): Map<string, string> {
  let d = draftsOf.get(mb);
  if (!d) draftsOf.set(mb, (d = new Map()));
  return d;
}

export function draftIdOf(mb: Mailbox, messageId: string): string | null {
  for (const [draftId, mid] of drafts(mb)) if (mid === messageId) return draftId;
  return null;
}

export function draftRoutes(U: string, UP: string, scopes: readonly string[]): ApiRoute[] {
  return [
    { api: 'gmail', httpMethod: 'POST', pattern: new RegExp(`${UP}/drafts$`), id: 'gmail.users.drafts.create', units: 10, scopes, handle: (c) => saveDraft(c, null, true) },
    { api: 'gmail', httpMethod: 'POST', pattern: new RegExp(`${U}/drafts$`), id: 'gmail.users.drafts.create', units: 10, scopes, handle: (c) => saveDraft(c, null, false) },
    { api: 'gmail', httpMethod: 'PUT', pattern: new RegExp(`${UP}/drafts/([^/]+)$`), id: 'gmail.users.drafts.update', units: 15, scopes, handle: (c) => saveDraft(c, c.params[1] ?? '', true) },
    { api: 'gmail', httpMethod: 'PUT', pattern: new RegExp(`${U}/drafts/([^/]+)$`), id: 'gmail.users.drafts.update', units: 15, scopes, handle: (c) => saveDraft(c, c.params[1] ?? '', false) },
    { api: 'gmail', httpMethod: 'GET', pattern: new RegExp(`${U}/drafts$`), id: 'gmail.users.drafts.list', units: 5, scopes, handle: listDrafts },
    { api: 'gmail', httpMethod: 'GET', pattern: new RegExp(`${U}/drafts/([^/]+)$`), id: 'gmail.users.drafts.get', units: 5, scopes, handle: getDraft },
    { api: 'gmail', httpMethod: 'DELETE', pattern: new RegExp(`${U}/drafts/([^/]+)$`), id: 'gmail.users.drafts.delete', units: 10, scopes, handle: deleteDraft },
  ];
}

async function readDraftBody(call: ApiCall, isUploadPath: boolean): Promise<{ ok: true; raw: Buffer } | { ok: false; status: number; message: string; reason: string }> {
  if (isUploadPath) {
    const up = await readUpload(call.req, call.url, true);
    if (!up.ok) return up;
    return { ok: true, raw: up.raw };
  }
  let json: { message?: { raw?: unknown } };
  try {
    json = JSON.parse((await readBody(call.req, Math.ceil((MAX_DRAFT_BYTES * 4) / 3) + (1 << 20))).toString('utf8') || '{}') as typeof json;
  } catch {
    return { ok: false, status: 400, message: 'Invalid JSON payload received.', reason: 'parseError' };
  }
  if (typeof json.message?.raw !== 'string' || json.message.raw === '') return { ok: false, status: 400, message: 'Missing draft message', reason: 'invalidArgument' };
  return { ok: true, raw: Buffer.from(json.message.raw.replace(/\+/g, '-').replace(/\//g, '_'), 'base64url') };
}

async function saveDraft(call: ApiCall, draftId: string | null, isUploadPath: boolean): Promise<void> {
  const { sim, res } = call;
  const mb = call.mailboxUser!.mailbox;
  const d = drafts(mb);
  if (draftId !== null && !d.has(draftId)) return sendGoogleError(res, 404, 'Requested entity was not found.', { reason: 'notFound', status: 'NOT_FOUND' });
  const body = await readDraftBody(call, isUploadPath);
  if (!body.ok) return sendGoogleError(res, body.status, body.message, { reason: body.reason });
  if (body.raw.length > MAX_DRAFT_BYTES) return sendGoogleError(res, 413, `Request payload size exceeds the limit: ${MAX_DRAFT_BYTES} bytes.`, { reason: 'uploadTooLarge' });
  const parsed = splitHeaders(body.raw);
  const id = nextHexId(sim.world, sim.now());
  if (draftId !== null) mb.messages.delete(d.get(draftId)!);
  const newDraftId = draftId ?? `r${nextHexId(sim.world, sim.now()).slice(-12)}`;
  const message: StoredMessage = {
    id,
    threadId: id,
    labelIds: ['DRAFT'],
    raw: body.raw,
    rfc822MessageId: bareMessageId(header(parsed.headers, 'message-id')),
    inReplyTo: bareMessageId(header(parsed.headers, 'in-reply-to')),
    internalDate: sim.now(),
    subject: decodeWords(header(parsed.headers, 'subject') ?? ''),
    snippet: snippetOf(parsed),
    headers: parsed.headers.map(([k, v]) => [k, decodeWords(v)] as const),
    historyId: String(sim.world.counter + 1000),
  };
  mb.messages.set(id, message);
  indexLater(mb.messages.get(id)!, sim.now());
  d.set(newDraftId, id);
  sendJson(res, 200, { id: newDraftId, message: { id, threadId: id, labelIds: message.labelIds } });
}

function listDrafts(call: ApiCall): void {
  const mb = call.mailboxUser!.mailbox;
  const qText = call.url.searchParams.get('q') ?? '';
  const q = parseQuery(qText, mb.labels);
  const now = call.sim.now();
  const list = [...drafts(mb)]
    .filter(([, mid]) => {
      const m = mb.messages.get(mid);
      // A search (q) sees only what the index holds; a plain listing sees every draft.
      return m !== undefined && q.match(m) && (qText.trim() === '' || isIndexed(m, now, call.sim.world.quotas.searchIndexLagMs));
    })
    .map(([id, mid]) => ({ id, message: { id: mid, threadId: mb.messages.get(mid)?.threadId ?? mid } }));
  sendJson(call.res, 200, { ...(list.length ? { drafts: list } : {}), resultSizeEstimate: list.length });
}

function getDraft(call: ApiCall): void {
  const mb = call.mailboxUser!.mailbox;
  const mid = drafts(mb).get(call.params[1] ?? '');
  const m = mid ? mb.messages.get(mid) : undefined;
  if (!m) return sendGoogleError(call.res, 404, 'Requested entity was not found.', { reason: 'notFound', status: 'NOT_FOUND' });
  sendJson(call.res, 200, { id: call.params[1], message: { id: m.id, threadId: m.threadId, labelIds: m.labelIds, snippet: m.snippet } });
}

function deleteDraft(call: ApiCall): void {
  const mb = call.mailboxUser!.mailbox;
  const d = drafts(mb);
  const mid = d.get(call.params[1] ?? '');
  if (!mid) return sendGoogleError(call.res, 404, 'Requested entity was not found.', { reason: 'notFound', status: 'NOT_FOUND' });
  d.delete(call.params[1]!);
  mb.messages.delete(mid);
  call.res.writeHead(204).end();
}
