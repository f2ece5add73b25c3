import type { WriteOptions } from '../sdk/index.js';
import { decodedHeader, headerValue, parseAddresses, parseMailDate, parseMime, type Address, type MimeAttachment } from '../sdk/mime.js';

/**
 * An RFC 822 message as the JSON of Graph's "create message", written so that Exchange stores
 * it as received or sent mail and not as a draft:
 *
 * Graph creates a draft from MIME whatever the MIME says, and `isDraft` cannot be changed
 * afterwards; a JSON create that sets the MAPI property PidTagMessageFlags (`Integer 0x0E07`)
 * without MSGFLAG_UNSENT (8) at creation is stored as a normal message (the flags are read-only
 * once saved). The dates travel the same way: Graph ignores `receivedDateTime` and
 * `sentDateTime` on create, so PidTagMessageDeliveryTime (`SystemTime 0x0E06`) and
 * PidTagClientSubmitTime (`SystemTime 0x0039`) carry them. See
 * docs/decisions/0014-recovery-writes-json-with-message-flags.md for the sources.
 *
 * A JSON request is at most 4 MB: attachments that fit ride in the create (one request, so an
 * interrupted write cannot leave a message without them); the rest follow, ≤ 3 MB by
 * `…/attachments`, larger through an upload session (≤ 150 MB).
 */
export const MAX_REQUEST_BYTES = 4 * 1024 * 1024;
/** Room kept for the rest of the JSON when attachments ride in the create. */
const CREATE_BUDGET_BYTES = 3_500_000;
export const MAX_SIMPLE_ATTACHMENT_BYTES = 3 * 1024 * 1024;
export const MAX_ATTACHMENT_BYTES = 150 * 1024 * 1024;
/** A body larger than this goes as an attachment (the JSON request would not fit). */
const MAX_BODY_CHARS = 3_000_000;

const MSGFLAG_READ = 1;

export interface GraphCreate {
  /** The JSON body of POST …/mailFolders/{id}/messages. */
  readonly json: Record<string, unknown>;
  /** Attachments not in the create: posted (≤ 3 MB) or uploaded (larger) after it. */
  readonly later: readonly MimeAttachment[];
  /** Every attachment the finished message holds (to complete an interrupted write). */
  readonly all: readonly MimeAttachment[];
  readonly internetMessageId: string | null;
  readonly subject: string;
}

export function graphCreate(raw: Uint8Array, opts: WriteOptions): GraphCreate {
  const mime = parseMime(raw);
  const h = mime.headers;
  const subject = decodedHeader(h, 'subject') ?? '';
  const sentAt = parseMailDate(headerValue(h, 'date')) ?? opts.receivedAt;
  const attachments = [...mime.attachments];
  let body: { contentType: 'html' | 'text'; content: string } = mime.html !== null ? { contentType: 'html', content: mime.html } : { contentType: 'text', content: mime.text ?? '' };
  if (body.content.length > MAX_BODY_CHARS) {
    // Keep every byte: the oversized body becomes an attachment, with a note in its place.
    attachments.unshift({ filename: body.contentType === 'html' ? 'message-body.html' : 'message-body.txt', contentType: body.contentType === 'html' ? 'text/html' : 'text/plain', contentId: null, inline: false, content: Buffer.from(body.content, 'utf8') });
    body = { contentType: 'text', content: 'The body of this message was too large to show here; it is attached as message-body.' };
  }
  const messageId = headerValue(h, 'message-id')?.match(/<[^<>\s]+>/)?.[0] ?? null;
  const props: { id: string; value: string }[] = [
    // Not MSGFLAG_UNSENT: stored as received or sent mail. Read is part of the same flags.
    { id: 'Integer 0x0E07', value: String(opts.read || opts.sent ? MSGFLAG_READ : 0) },
    { id: 'SystemTime 0x0E06', value: opts.receivedAt },
    { id: 'SystemTime 0x0039', value: sentAt },
  ];
  const inReplyTo = headerValue(h, 'in-reply-to')?.match(/<[^<>\s]+>/)?.[0];
  if (inReplyTo) props.push({ id: 'String 0x1042', value: inReplyTo }); // PidTagInReplyToId
  const references = headerValue(h, 'references');
  if (references) props.push({ id: 'String 0x1039', value: references.slice(0, 4000) }); // PidTagInternetReferences
  const from = parseAddresses(headerValue(h, 'from'))[0];
  const json: Record<string, unknown> = {
    subject,
    body,
    ...(from ? { from: recipient(from), sender: recipient(parseAddresses(headerValue(h, 'sender'))[0] ?? from) } : {}),
    toRecipients: parseAddresses(headerValue(h, 'to')).map(recipient),
    ccRecipients: parseAddresses(headerValue(h, 'cc')).map(recipient),
    bccRecipients: parseAddresses(headerValue(h, 'bcc')).map(recipient),
    replyTo: parseAddresses(headerValue(h, 'reply-to')).map(recipient),
    ...(messageId ? { internetMessageId: messageId } : {}),
    isRead: opts.read || opts.sent,
    importance: opts.important ? 'high' : importanceOf(headerValue(h, 'importance') ?? headerValue(h, 'x-priority')),
    flag: { flagStatus: opts.flagged ? 'flagged' : 'notFlagged' },
    ...(opts.categories?.length ? { categories: [...opts.categories] } : {}),
    singleValueExtendedProperties: props,
  };
  // Attachments that fit go in the create itself, smallest first.
  let size = Buffer.byteLength(JSON.stringify(json), 'utf8');
  const inCreate: MimeAttachment[] = [];
  const later: MimeAttachment[] = [];
  for (const a of [...attachments].sort((x, y) => x.content.length - y.content.length)) {
    const cost = Math.ceil(a.content.length / 3) * 4 + 300 + a.filename.length;
    if (size + cost <= CREATE_BUDGET_BYTES) {
      inCreate.push(a);
      size += cost;
    } else later.push(a);
  }
  if (inCreate.length) json['attachments'] = inCreate.map(attachmentJson);
  return { json, later, all: attachments, internetMessageId: messageId, subject };
}

export function attachmentJson(a: MimeAttachment): Record<string, unknown> {
  return {
    '@odata.type': '#microsoft.graph.fileAttachment',
    name: a.filename,
    contentType: a.contentType,
    contentBytes: a.content.toString('base64'),
    isInline: a.inline,
    ...(a.contentId ? { contentId: a.contentId } : {}),
  };
}

function recipient(a: Address): Record<string, unknown> {
  return { emailAddress: { name: a.name || a.address, address: a.address } };
}

function importanceOf(v: string | null): 'low' | 'normal' | 'high' {
  if (!v) return 'normal';
  const s = v.trim().toLowerCase();
  if (s.startsWith('high') || s.startsWith('1') || s.startsWith('2')) return 'high';
  if (s.startsWith('low') || s.startsWith('4') || s.startsWith('5')) return 'low';
  return 'normal';
}
