import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLargeError, readBody, sendJson } from '../http.js';
import type { SandboxContext } from '../types.js';
import { graphError } from './graph-common.js';
import type { Mailbox, SimFolder, SimMessage } from './mailbox.js';
import type { EntraUser, MicrosoftWorld } from './world.js';

/**
 * Graph mail writes — what reverse recovery needs, with Exchange Online's real rules:
 *
 * - `POST /users/{id}/messages` and `POST /users/{id}/mailFolders/{id}/messages` create a
 *   message from JSON, or from MIME (`Content-Type: text/plain`, base64 of the MIME). Either
 *   way the message is a **draft** (`isDraft` true, MSGFLAG_UNSENT), unless a JSON create sets
 *   the MAPI property PidTagMessageFlags (`Integer 0x0E07`) without MSGFLAG_UNSENT (8): only
 *   then is it stored as received or sent mail. The flags are read-only once the message is
 *   saved, so a later PATCH of the property or of `isDraft` changes nothing (MS-OXCMSG 2.2.1.6).
 *   https://learn.microsoft.com/graph/api/user-post-messages
 *   https://learn.microsoft.com/openspecs/exchange_server_protocols/ms-oxcmsg/a0c52fe2-3014-43a7-942d-f43f6f91c366
 * - PidTagMessageDeliveryTime (`SystemTime 0x0E06`) and PidTagClientSubmitTime
 *   (`SystemTime 0x0039`) set the received and sent dates; `receivedDateTime` and
 *   `sentDateTime` in the JSON are ignored on create.
 * - A request body is at most 4 MB (413 otherwise); a file attachment POSTed to
 *   `…/attachments` at most 3 MB; larger files (up to 150 MB) go through
 *   `…/attachments/createUploadSession` and PUTs of at most 4 MB to the pre-authenticated
 *   `uploadUrl`, which refuses an Authorization header.
 *   https://learn.microsoft.com/graph/outlook-large-attachments
 * - `GET /users/{id}/messages?$filter=internetMessageId eq '<…>'` finds a message by its
 *   RFC 5322 Message-ID in any folder.
 * - `POST /users/{id}/mailFolders` and `…/mailFolders/{id}/childFolders` create folders
 *   (409 ErrorFolderExists on a duplicate name).
 * - Outlook counts uploads per app and mailbox: 150 MB per 5 minutes of POST/PATCH/PUT bodies.
 *   https://learn.microsoft.com/graph/throttling-limits#outlook-service-limits
 */
export const MAX_REQUEST_BYTES = 4 * 1024 * 1024;
export const MAX_SIMPLE_ATTACHMENT_BYTES = 3 * 1024 * 1024;
export const MAX_UPLOAD_ATTACHMENT_BYTES = 150 * 1024 * 1024;
export const MAX_UPLOAD_CHUNK_BYTES = 4 * 1024 * 1024;
const PID_TAG_MESSAGE_FLAGS = 'integer 0x0e07';
const PID_TAG_DELIVERY_TIME = 'systemtime 0x0e06';
const PID_TAG_SUBMIT_TIME = 'systemtime 0x0039';
const MSGFLAG_READ = 1;
const MSGFLAG_UNSENT = 8;

export interface UploadQuota {
  bytesPer5Min: number;
}

interface Attachment {
  readonly id: string;
  readonly name: string;
  readonly contentType: string;
  readonly isInline: boolean;
  readonly contentId: string | null;
  readonly content: Buffer;
}

interface Written {
  readonly attachments: Attachment[];
  readonly headers: string[];
  readonly body: { contentType: 'text' | 'html'; content: string };
  readonly sentDateTime: string;
  readonly cc: { name: string; address: string }[];
  readonly bcc: { name: string; address: string }[];
  readonly to: { name: string; address: string }[];
  readonly createdFromMime: boolean;
}

interface UploadSession {
  readonly userId: string;
  readonly messageId: string;
  readonly name: string;
  readonly contentType: string;
  readonly isInline: boolean;
  readonly contentId: string | null;
  readonly size: number;
  readonly chunks: Buffer[];
  next: number;
  readonly expiresMs: number;
}

/** Statistics the benchmarks read (admin API). */
export interface GraphWriteStats {
  created: number;
  createdAsDraft: number;
  uploadBytes: number;
  uploadThrottled: number;
}

const written = new WeakMap<SimMessage, Written>();
const statsByWorld = new WeakMap<MicrosoftWorld, GraphWriteStats>();

export function graphWriteStats(world: MicrosoftWorld): GraphWriteStats {
  let s = statsByWorld.get(world);
  if (!s) statsByWorld.set(world, (s = { created: 0, createdAsDraft: 0, uploadBytes: 0, uploadThrottled: 0 }));
  return s;
}

export function resetGraphWriteStats(world: MicrosoftWorld): void {
  statsByWorld.set(world, { created: 0, createdAsDraft: 0, uploadBytes: 0, uploadThrottled: 0 });
}

/** Attachments of a message written through Graph (admin API and tests). */
export function attachmentsOf(m: SimMessage): readonly { name: string; contentType: string; size: number; isInline: boolean; sha256: string }[] {
  return (written.get(m)?.attachments ?? []).map((a) => ({ name: a.name, contentType: a.contentType, size: a.content.length, isInline: a.isInline, sha256: createHash('sha256').update(a.content).digest('hex') }));
}

export function createGraphMailWriter(ctx: SandboxContext, world: MicrosoftWorld, uploadQuota: UploadQuota) {
  const sessions = new Map<string, UploadSession>();
  const uploads = new Map<string, { t: number; bytes: number }[]>();
  const base = () => `${ctx.urls.graph}/v1.0`;

  /** Requests this module serves (the rest is graph-mail.ts's, read-only). */
  function handles(method: string, sub: string[], url: URL): boolean {
    const [kind, id, rest, more] = sub;
    if (method === 'GET') return kind === 'messages' && (id === undefined || rest === 'attachments') && !(id === undefined && url.searchParams.has('$deltatoken'));
    if (method === 'POST') return kind === 'messages' || (kind === 'mailFolders' && (id === undefined || rest === 'messages' || rest === 'childFolders') && more === undefined);
    return (method === 'PATCH' || method === 'DELETE') && kind === 'messages' && id !== undefined && rest === undefined;
  }

  /** Outlook's upload limit per app + mailbox; false (429 sent) when the body would pass it. */
  function chargeUpload(user: EntraUser, bytes: number, res: ServerResponse): boolean {
    if (bytes === 0) return true;
    const now = ctx.now();
    const recent = (uploads.get(user.id) ?? []).filter((u) => u.t > now - 300_000);
    uploads.set(user.id, recent);
    const used = recent.reduce((s, u) => s + u.bytes, 0);
    const stats = graphWriteStats(world);
    if (used + bytes > uploadQuota.bytesPer5Min && recent.length > 0) {
      stats.uploadThrottled += 1;
      const retry = Math.max(1, Math.ceil((recent[0]!.t + 300_000 - now) / 1000));
      graphError(res, 429, 'ApplicationThrottled', 'Application is over its MailboxUpload limit.', { 'retry-after': String(retry) });
      return false;
    }
    recent.push({ t: now, bytes });
    stats.uploadBytes += bytes;
    return true;
  }

  async function body(req: IncomingMessage, res: ServerResponse): Promise<Buffer | null> {
    try {
      return await readBody(req, MAX_REQUEST_BYTES);
    } catch (e) {
      if (e instanceof BodyTooLargeError) {
        graphError(res, 413, 'RequestEntityTooLarge', `The request body is larger than ${MAX_REQUEST_BYTES} bytes.`);
        return null;
      }
      throw e;
    }
  }

  async function handle(req: IncomingMessage, url: URL, res: ServerResponse, user: EntraUser, mb: Mailbox, sub: string[]): Promise<void> {
    const method = req.method ?? 'GET';
    const [kind, id, rest, more] = sub;
    if (method === 'GET' && kind === 'messages' && id === undefined) return list(url, res, mb);
    if (method === 'GET' && kind === 'messages' && rest === 'attachments') {
      const m = mb.messages.get(id!);
      if (!m) return graphError(res, 404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
      return sendJson(res, 200, { value: (written.get(m)?.attachments ?? []).map((a) => attachmentJson(a, false)) });
    }
    const raw = await body(req, res);
    if (raw === null) return;
    if (!chargeUpload(user, raw.length, res)) return;
    if (method === 'DELETE') {
      if (!mb.remove(id!)) return graphError(res, 404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
      res.writeHead(204).end();
      return;
    }
    if (method === 'PATCH') return patch(res, mb, id!, raw);
    if (kind === 'mailFolders' && (id === undefined || rest === 'childFolders')) return createFolder(res, mb, id ?? null, raw);
    if (kind === 'mailFolders' && rest === 'messages') {
      const folder = mb.folder(id!);
      if (!folder) return graphError(res, 404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
      return create(req, res, mb, folder, raw);
    }
    if (kind === 'messages' && id === undefined) return create(req, res, mb, mb.folder('drafts')!, raw);
    if (kind === 'messages' && rest === 'attachments' && more === undefined) return addAttachment(res, mb, id!, raw);
    if (kind === 'messages' && rest === 'attachments' && more === 'createUploadSession') return createSession(res, user, mb, id!, raw);
    graphError(res, 400, 'BadRequest', `Resource not found for the segment '${rest ?? kind}'.`);
  }

  function list(url: URL, res: ServerResponse, mb: Mailbox): void {
    const filter = url.searchParams.get('$filter');
    let msgs = [...mb.messages.values()];
    if (filter) {
      // Only what recovery asks: internetMessageId eq '…' (single quotes doubled inside).
      const m = /^\s*internetMessageId\s+eq\s+'((?:[^']|'')*)'\s*$/i.exec(filter);
      if (!m) return graphError(res, 400, 'ErrorInvalidUrlQueryFilter', 'The query filter contains one or more invalid nodes.');
      const wanted = m[1]!.replace(/''/g, "'");
      msgs = msgs.filter((x) => x.internetMessageId === wanted);
    }
    msgs.sort((a, b) => b.receivedDateTime.localeCompare(a.receivedDateTime) || a.id.localeCompare(b.id));
    const top = Math.min(Number(url.searchParams.get('$top') ?? 10) || 10, 1000);
    const skip = Number(url.searchParams.get('$skip') ?? 0) || 0;
    const select = url.searchParams.get('$select')?.split(',').map((s) => s.trim()) ?? null;
    const value = msgs.slice(skip, skip + top).map((x) => {
      const full: Record<string, unknown> = {
        id: x.id, internetMessageId: x.internetMessageId, subject: x.subject, parentFolderId: x.folderId, isDraft: x.isDraft, isRead: x.isRead,
        receivedDateTime: x.receivedDateTime, sentDateTime: written.get(x)?.sentDateTime ?? x.receivedDateTime,
        hasAttachments: (written.get(x)?.attachments.length ?? (x.attachment ? 1 : 0)) > 0, flag: { flagStatus: x.flagged ? 'flagged' : 'notFlagged' },
      };
      return select ? Object.fromEntries(Object.entries(full).filter(([k]) => k === 'id' || select.includes(k))) : full;
    });
    const out: Record<string, unknown> = { value };
    if (skip + top < msgs.length) {
      const next = new URL(`${base()}/users/${mb.user.id}/messages`);
      for (const [k, v] of url.searchParams) if (k !== '$skip') next.searchParams.set(k, v);
      next.searchParams.set('$skip', String(skip + top));
      out['@odata.nextLink'] = next.toString();
    }
    sendJson(res, 200, out);
  }

  function createFolder(res: ServerResponse, mb: Mailbox, parentId: string | null, raw: Buffer): void {
    const parent = parentId === null ? mb.folder('msgfolderroot')! : mb.folder(parentId);
    if (!parent) return graphError(res, 404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
    const json = parseJson(raw);
    const name = typeof json?.['displayName'] === 'string' ? json['displayName'].trim() : '';
    if (!name || name.length > 255) return graphError(res, 400, 'ErrorInvalidRequest', 'The displayName is missing or too long.');
    if (mb.childFolders(parent.id, true).some((f) => f.displayName.toLowerCase() === name.toLowerCase())) {
      return graphError(res, 409, 'ErrorFolderExists', 'A folder with the specified name already exists.');
    }
    const f = mb.createFolder(name, parent.id);
    sendJson(res, 201, { id: f.id, displayName: f.displayName, parentFolderId: f.parentFolderId, childFolderCount: 0, unreadItemCount: 0, totalItemCount: 0, isHidden: false });
  }

  function create(req: IncomingMessage, res: ServerResponse, mb: Mailbox, folder: SimFolder, raw: Buffer): void {
    const stats = graphWriteStats(world);
    const type = String(req.headers['content-type'] ?? '').toLowerCase();
    let m: SimMessage;
    if (type.startsWith('text/plain')) {
      // MIME: always a draft, whatever it says (the documented behaviour).
      const mime = Buffer.from(raw.toString('latin1').replace(/\s+/g, ''), 'base64');
      if (mime.length === 0) return graphError(res, 400, 'ErrorMimeContentInvalidBase64String', 'Invalid base64 string for MIME content.');
      m = fromMime(mb, folder, mime);
    } else {
      const json = parseJson(raw);
      if (!json) return graphError(res, 400, 'UnableToDeserializePostBody', 'Were unable to deserialize the request body.');
      const made = fromJson(mb, folder, json);
      if (typeof made === 'string') return graphError(res, 400, 'ErrorInvalidRequest', made);
      m = made;
    }
    mb.messages.set(m.id, m);
    stats.created += 1;
    if (m.isDraft) stats.createdAsDraft += 1;
    sendJson(res, 201, messageOut(m));
  }

  function fromJson(mb: Mailbox, folder: SimFolder, j: Record<string, unknown>): SimMessage | string {
    const props = Array.isArray(j['singleValueExtendedProperties']) ? (j['singleValueExtendedProperties'] as { id?: unknown; value?: unknown }[]) : [];
    const prop = (id: string) => props.find((p) => typeof p.id === 'string' && p.id.toLowerCase() === id)?.value;
    const flagsRaw = prop(PID_TAG_MESSAGE_FLAGS);
    const flags = flagsRaw === undefined ? null : Number(flagsRaw);
    if (flags !== null && !Number.isInteger(flags)) return 'The value of the extended property Integer 0x0E07 is not an integer.';
    const isDraft = flags === null || (flags & MSGFLAG_UNSENT) !== 0;
    const delivery = prop(PID_TAG_DELIVERY_TIME);
    const submit = prop(PID_TAG_SUBMIT_TIME);
    const nowIso = new Date(ctx.now()).toISOString();
    const received = typeof delivery === 'string' && !Number.isNaN(Date.parse(delivery)) ? new Date(delivery).toISOString() : nowIso;
    const sent = typeof submit === 'string' && !Number.isNaN(Date.parse(submit)) ? new Date(submit).toISOString() : received;
    const rec = (v: unknown) => (Array.isArray(v) ? v : []).map((r) => addressOf(r)).filter((a): a is { name: string; address: string } => a !== null);
    const from = addressOf(j['from']) ?? { name: mb.user.displayName, address: mb.user.userPrincipalName };
    const to = rec(j['toRecipients']);
    const b = j['body'] as { contentType?: unknown; content?: unknown } | undefined;
    const bodyType = String(b?.contentType ?? 'text').toLowerCase() === 'html' ? 'html' : 'text';
    const content = typeof b?.content === 'string' ? b.content : '';
    const attachments: Attachment[] = [];
    for (const a of Array.isArray(j['attachments']) ? (j['attachments'] as Record<string, unknown>[]) : []) {
      const made = fileAttachment(a);
      if (typeof made === 'string') return made;
      attachments.push(made);
    }
    const mid = typeof j['internetMessageId'] === 'string' && /^<[^<>\s]+>$/.test(j['internetMessageId']) ? j['internetMessageId'] : null;
    const flag = (j['flag'] as { flagStatus?: unknown } | undefined)?.flagStatus === 'flagged';
    const importance = j['importance'] === 'high' || j['importance'] === 'low' ? j['importance'] : 'normal';
    const m = newMessage(mb, folder, {
      subject: typeof j['subject'] === 'string' ? j['subject'] : '',
      from, to, isDraft,
      // The read flag travels in PidTagMessageFlags when set; isRead otherwise.
      isRead: flags !== null ? (flags & MSGFLAG_READ) !== 0 : j['isRead'] === true,
      flagged: flag, importance,
      categories: Array.isArray(j['categories']) ? (j['categories'] as unknown[]).filter((c): c is string => typeof c === 'string') : [],
      receivedDateTime: isDraft ? nowIso : received,
      internetMessageId: isDraft ? null : mid ?? generatedMessageId(mb),
    });
    written.set(m, {
      attachments, headers: [], body: { contentType: bodyType, content }, sentDateTime: isDraft ? nowIso : sent,
      cc: rec(j['ccRecipients']), bcc: rec(j['bccRecipients']), to, createdFromMime: false,
    });
    render(m);
    return m;
  }

  function fromMime(mb: Mailbox, folder: SimFolder, mime: Buffer): SimMessage {
    const head = mime.subarray(0, Math.max(0, mime.indexOf('\r\n\r\n'))).toString('latin1').replace(/\r?\n[ \t]+/g, ' ');
    const h = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(head)?.[1]?.trim() ?? null;
    const addr = (v: string | null) => {
      const m = v ? /<([^>]+)>/.exec(v) ?? /([^\s,]+@[^\s,]+)/.exec(v) : null;
      return m ? { name: '', address: m[1]! } : null;
    };
    const m = newMessage(mb, folder, {
      subject: h('subject') ?? '', from: addr(h('from')) ?? { name: '', address: mb.user.userPrincipalName }, to: addr(h('to')) ? [addr(h('to'))!] : [],
      isDraft: true, isRead: true, flagged: false, importance: 'normal', categories: [],
      receivedDateTime: new Date(ctx.now()).toISOString(),
      // A draft has no Message-ID of its own until sent (as Exchange does).
      internetMessageId: h('message-id'),
    });
    written.set(m, { attachments: [], headers: [], body: { contentType: 'text', content: '' }, sentDateTime: m.receivedDateTime, cc: [], bcc: [], to: [], createdFromMime: true });
    m.raw = mime;
    return m;
  }

  function newMessage(
    mb: Mailbox,
    folder: SimFolder,
    p: { subject: string; from: { name: string; address: string }; to: { name: string; address: string }[]; isDraft: boolean; isRead: boolean; flagged: boolean; importance: 'low' | 'normal' | 'high'; categories: string[]; receivedDateTime: string; internetMessageId: string | null },
  ): SimMessage {
    const id = 'AAMkAG' + createHash('sha256').update(`${mb.user.id}/written/${randomBytes(12).toString('hex')}`).digest('base64url').slice(0, 60) + 'AAA=';
    return {
      id, folderId: folder.id, internetMessageId: p.internetMessageId, subject: p.subject, from: p.from, to: p.to[0] ?? { name: '', address: '' },
      receivedDateTime: p.receivedDateTime, isRead: p.isRead, isDraft: p.isDraft, importance: p.importance, flagged: p.flagged, categories: p.categories,
      body: '', attachment: null, kind: 'normal', seq: mb.nextSeq(),
    };
  }

  function generatedMessageId(mb: Mailbox): string {
    return `<${randomBytes(8).toString('hex')}@${mb.user.userPrincipalName.split('@')[1]}>`;
  }

  function patch(res: ServerResponse, mb: Mailbox, id: string, raw: Buffer): void {
    const m = mb.messages.get(id);
    if (!m) return graphError(res, 404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
    const j = parseJson(raw);
    if (!j) return graphError(res, 400, 'UnableToDeserializePostBody', 'Were unable to deserialize the request body.');
    // isDraft and PidTagMessageFlags are read-only once saved: accepted and ignored, as Exchange does.
    if (typeof j['isRead'] === 'boolean') m.isRead = j['isRead'];
    const flag = (j['flag'] as { flagStatus?: unknown } | undefined)?.flagStatus;
    if (flag === 'flagged' || flag === 'notFlagged' || flag === 'complete') m.flagged = flag === 'flagged';
    if (Array.isArray(j['categories'])) m.categories = (j['categories'] as unknown[]).filter((c): c is string => typeof c === 'string');
    m.seq = mb.nextSeq();
    sendJson(res, 200, messageOut(m));
  }

  function addAttachment(res: ServerResponse, mb: Mailbox, id: string, raw: Buffer): void {
    const m = mb.messages.get(id);
    if (!m) return graphError(res, 404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
    const j = parseJson(raw);
    if (!j) return graphError(res, 400, 'UnableToDeserializePostBody', 'Were unable to deserialize the request body.');
    const a = fileAttachment(j);
    if (typeof a === 'string') return graphError(res, 400, 'ErrorInvalidRequest', a);
    if (a.content.length > MAX_SIMPLE_ATTACHMENT_BYTES) return graphError(res, 413, 'ErrorAttachmentSizeLimitExceeded', 'The attachment is larger than 3 MB: use an upload session.');
    attach(mb, m, a);
    sendJson(res, 201, attachmentJson(a, false));
  }

  function createSession(res: ServerResponse, user: EntraUser, mb: Mailbox, id: string, raw: Buffer): void {
    const m = mb.messages.get(id);
    if (!m) return graphError(res, 404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
    const item = (parseJson(raw)?.['AttachmentItem'] ?? parseJson(raw)?.['attachmentItem']) as Record<string, unknown> | undefined;
    const size = Number(item?.['size']);
    if (!item || item['attachmentType'] !== 'file' || typeof item['name'] !== 'string' || !Number.isInteger(size) || size < 0) {
      return graphError(res, 400, 'ErrorInvalidRequest', 'AttachmentItem needs attachmentType "file", a name and a size.');
    }
    if (size > MAX_UPLOAD_ATTACHMENT_BYTES) return graphError(res, 400, 'ErrorAttachmentSizeLimitExceeded', 'The attachment is larger than 150 MB.');
    const token = randomBytes(18).toString('base64url');
    const expiresMs = ctx.now() + 15 * 60_000;
    sessions.set(token, {
      userId: user.id, messageId: id, name: item['name'], contentType: typeof item['contentType'] === 'string' ? item['contentType'] : 'application/octet-stream',
      isInline: item['isInline'] === true, contentId: typeof item['contentId'] === 'string' ? item['contentId'] : null, size, chunks: [], next: 0, expiresMs,
    });
    sendJson(res, 201, {
      '@odata.context': `${base()}/$metadata#microsoft.graph.uploadSession`,
      uploadUrl: `${ctx.urls.graph}/upload/attachmentSessions/${token}`,
      expirationDateTime: new Date(expiresMs).toISOString(),
      nextExpectedRanges: ['0-'],
    });
  }

  /**
   * PUT to an upload URL: pre-authenticated (the token is in the URL), so a request that
   * carries an Authorization header is refused, as Outlook does.
   */
  async function upload(req: IncomingMessage, res: ServerResponse, url: URL, withQuota: (user: EntraUser, res: ServerResponse, fn: () => Promise<void> | void) => Promise<void>): Promise<void> {
    const token = url.pathname.split('/').pop() ?? '';
    const s = sessions.get(token);
    if (!s || s.expiresMs < ctx.now()) return graphError(res, 404, 'ErrorItemNotFound', 'The upload session does not exist or expired.');
    if (req.headers.authorization) return graphError(res, 401, 'InvalidAuthenticationToken', 'The upload URL is pre-authenticated: do not send an Authorization header.');
    if (req.method === 'DELETE') {
      sessions.delete(token);
      res.writeHead(204).end();
      return;
    }
    if (req.method !== 'PUT') return graphError(res, 405, 'BadRequest', 'Use PUT to upload.');
    const user = world.users.find((u) => u.id === s.userId);
    if (!user) return graphError(res, 404, 'ErrorItemNotFound', 'The mailbox no longer exists.');
    await withQuota(user, res, async () => {
      const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(String(req.headers['content-range'] ?? ''));
      let chunk: Buffer;
      try {
        chunk = await readBody(req, MAX_UPLOAD_CHUNK_BYTES);
      } catch (e) {
        if (e instanceof BodyTooLargeError) return graphError(res, 413, 'RequestEntityTooLarge', `A chunk is at most ${MAX_UPLOAD_CHUNK_BYTES} bytes.`);
        throw e;
      }
      if (!range || Number(range[3]) !== s.size || Number(range[1]) !== s.next || Number(range[2]) - Number(range[1]) + 1 !== chunk.length) {
        return graphError(res, 416, 'InvalidRange', `Expected bytes ${s.next}- of ${s.size} with a matching Content-Range.`);
      }
      if (!chargeUpload(user, chunk.length, res)) return;
      s.chunks.push(chunk);
      s.next += chunk.length;
      if (s.next < s.size) return sendJson(res, 200, { expirationDateTime: new Date(s.expiresMs).toISOString(), nextExpectedRanges: [`${s.next}-`] });
      sessions.delete(token);
      const mb = world.mailbox(user);
      const m = mb.messages.get(s.messageId);
      if (!m) return graphError(res, 404, 'ErrorItemNotFound', 'The message no longer exists.');
      const a: Attachment = { id: attachmentId(), name: s.name, contentType: s.contentType, isInline: s.isInline, contentId: s.contentId, content: Buffer.concat(s.chunks) };
      attach(mb, m, a);
      res.writeHead(201, { location: `${base()}/users/${user.id}/messages/${m.id}/attachments/${a.id}`, 'content-length': '0' });
      res.end();
    });
  }

  function attach(mb: Mailbox, m: SimMessage, a: Attachment): void {
    const w = written.get(m);
    if (!w) written.set(m, { attachments: [a], headers: [], body: { contentType: 'text', content: m.body }, sentDateTime: m.receivedDateTime, cc: [], bcc: [], to: [m.to], createdFromMime: false });
    else w.attachments.push(a);
    if (!written.get(m)!.createdFromMime) render(m);
    m.seq = mb.nextSeq();
  }

  return { handles, handle, upload };
}

function attachmentId(): string {
  return 'AAMkAGAtt' + randomBytes(18).toString('base64url');
}

function fileAttachment(a: Record<string, unknown>): Attachment | string {
  if (a['@odata.type'] !== '#microsoft.graph.fileAttachment') return 'Only file attachments are supported in the sandbox.';
  if (typeof a['name'] !== 'string' || typeof a['contentBytes'] !== 'string') return 'A file attachment needs a name and contentBytes.';
  return {
    id: attachmentId(), name: a['name'], contentType: typeof a['contentType'] === 'string' ? a['contentType'] : 'application/octet-stream',
    isInline: a['isInline'] === true, contentId: typeof a['contentId'] === 'string' ? a['contentId'] : null, content: Buffer.from(a['contentBytes'], 'base64'),
  };
}

function attachmentJson(a: Attachment, withContent: boolean): Record<string, unknown> {
  return {
    '@odata.type': '#microsoft.graph.fileAttachment', id: a.id, name: a.name, contentType: a.contentType, size: a.content.length, isInline: a.isInline, contentId: a.contentId,
    ...(withContent ? { contentBytes: a.content.toString('base64') } : {}),
  };
}

function addressOf(v: unknown): { name: string; address: string } | null {
  const e = (v as { emailAddress?: { name?: unknown; address?: unknown } } | undefined)?.emailAddress;
  if (!e || typeof e.address !== 'string') return null;
  return { name: typeof e.name === 'string' ? e.name : '', address: e.address };
}

function parseJson(raw: Buffer): Record<string, unknown> | null {
  try {
    const v = JSON.parse(raw.toString('utf8') || '{}') as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function messageOut(m: SimMessage): Record<string, unknown> {
  const w = written.get(m);
  return {
    '@odata.type': '#microsoft.graph.message', id: m.id, internetMessageId: m.internetMessageId, subject: m.subject, parentFolderId: m.folderId,
    isDraft: m.isDraft, isRead: m.isRead, receivedDateTime: m.receivedDateTime, sentDateTime: w?.sentDateTime ?? m.receivedDateTime,
    importance: m.importance, flag: { flagStatus: m.flagged ? 'flagged' : 'notFlagged' }, categories: m.categories,
    hasAttachments: (w?.attachments.length ?? 0) > 0, from: { emailAddress: m.from }, toRecipients: (w?.to ?? [m.to]).map((a) => ({ emailAddress: a })),
  };
}

/** The MIME Exchange would serve for a message written from JSON (/$value). */
function render(m: SimMessage): void {
  const w = written.get(m)!;
  const addr = (a: { name: string; address: string }) => (a.name ? `"${a.name.replace(/"/g, '')}" <${a.address}>` : a.address);
  const date = new Date(w.sentDateTime).toUTCString().replace('GMT', '+0000');
  const headers = [
    `From: ${addr(m.from)}`,
    ...(w.to.length ? [`To: ${w.to.map(addr).join(', ')}`] : []),
    ...(w.cc.length ? [`Cc: ${w.cc.map(addr).join(', ')}`] : []),
    `Subject: =?UTF-8?B?${Buffer.from(m.subject, 'utf8').toString('base64')}?=`,
    `Date: ${date}`,
    ...(m.internetMessageId ? [`Message-ID: ${m.internetMessageId}`] : []),
    'MIME-Version: 1.0',
  ];
  const bodyType = w.body.contentType === 'html' ? 'text/html' : 'text/plain';
  const bodyPart = `Content-Type: ${bodyType}; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${Buffer.from(w.body.content, 'utf8').toString('base64')}\r\n`;
  if (w.attachments.length === 0) {
    m.raw = Buffer.from(`${headers.join('\r\n')}\r\n${bodyPart}`, 'utf8');
    return;
  }
  const boundary = `sw_${m.id.slice(6, 22)}`;
  const parts = [`--${boundary}\r\n${bodyPart}`];
  for (const a of w.attachments) {
    parts.push(
      `--${boundary}\r\nContent-Type: ${a.contentType}; name="${a.name}"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: ${a.isInline ? 'inline' : 'attachment'}; filename="${a.name}"\r\n${a.contentId ? `Content-ID: <${a.contentId}>\r\n` : ''}\r\n${a.content.toString('base64')}\r\n`,
    );
  }
  parts.push(`--${boundary}--\r\n`);
  m.raw = Buffer.from(`${headers.join('\r\n')}\r\nContent-Type: multipart/mixed; boundary="${boundary}"\r\n\r\n${parts.join('')}`, 'utf8');
}
