import { createHash } from 'node:crypto';
import { z } from 'zod';
import { customerFor, fail, ok, parsed as parsedBody, type AdminRequest } from './admin-http.js';
import { currentHistoryId, expireHistory } from './gmail-history.js';
import { prng } from '../demo.js';
import { bareMessageId, decodeWords, header, snippetOf, splitHeaders } from './mime.js';
import { nextHexId, type Mailbox, type StoredMessage, type User } from './world.js';
import type { GoogleSim } from './sim.js';

/**
 * Mail that reaches or leaves a Google user by itself, as during a Microsoft 365 outage when
 * people work in Gmail: `POST /google/users/{email}/mail` delivers one message to the user
 * (direction "in": INBOX, unread unless said otherwise) or records one the user sent
 * (direction "out": SENT); `…/mail/bulk` adds many (benchmarks); `GET …/history` tells the
 * mailbox's current history id and `POST …/history/expire` forgets its history (Gmail's 404 on
 * an old startHistoryId). Every message is a real MIME message with a Message-ID, and lands in
 * the mailbox's history like any other change.
 */
const attachmentSchema = z.object({
  filename: z.string().min(1).max(200),
  contentType: z.string().min(3).default('application/octet-stream'),
  /** The content, base64; or `size` bytes of generated content. */
  base64: z.string().optional(),
  size: z.number().int().min(0).max(160 * 1024 * 1024).optional(),
  inline: z.boolean().default(false),
});
const mailSchema = z.object({
  direction: z.enum(['in', 'out']).default('in'),
  subject: z.string().max(500).default('Message during the outage'),
  from: z.string().optional(),
  to: z.array(z.string()).optional(),
  cc: z.array(z.string()).default([]),
  text: z.string().max(5_000_000).optional(),
  html: z.string().max(5_000_000).optional(),
  date: z.iso.datetime().optional(),
  /** User label names to put on the message (created when missing). */
  labels: z.array(z.string().min(1).max(225)).default([]),
  read: z.boolean().optional(),
  starred: z.boolean().default(false),
  attachments: z.array(attachmentSchema).max(20).default([]),
  /** An explicit Message-ID (e.g. a message Microsoft 365 also holds); generated otherwise. */
  messageId: z.string().regex(/^<[^<>\s]+@[^<>\s]+>$/).optional(),
  inReplyTo: z.string().optional(),
});
const bulkSchema = z.object({
  count: z.number().int().min(1).max(100_000),
  /** Share of the messages the user sent (the rest are received). */
  sentShare: z.number().min(0).max(1).default(0.3),
  attachmentShare: z.number().min(0).max(1).default(0.1),
  attachmentBytes: z.number().int().min(1).max(150 * 1024 * 1024).default(40_000),
  labels: z.array(z.string().min(1)).default([]),
  labelShare: z.number().min(0).max(1).default(0.2),
  seed: z.number().int().default(7),
});

/** Room for attachments up to Outlook's 150 MB (base64). */
const MAIL_BODY_BYTES = 256 * 1024 * 1024;
const parsed = <T extends z.ZodType>(a: AdminRequest, schema: T): Promise<z.infer<T> | undefined> => parsedBody(a, schema, MAIL_BODY_BYTES);

export async function mailAdmin(a: AdminRequest): Promise<boolean> {
  const { parts, method, sim } = a;
  if (parts[0] !== 'users' || parts.length < 3 || (parts[2] !== 'mail' && parts[2] !== 'history' && parts[2] !== 'labels')) return false;
  const c = customerFor(a, parts[1]!);
  const user = c?.users.materialise(parts[1]!);
  if (!user) return fail(a, 404, `no Google user ${parts[1]}`);
  if (parts[2] === 'labels') {
    // More names this mailbox refuses on labels.create (400 "Invalid label name"), beyond the
    // catalogue's: Gmail's list is longer than any client's, and localized.
    if (parts.length === 4 && parts[3] === 'reserved' && method === 'POST') {
      const b = await parsed(a, z.object({ names: z.array(z.string().min(1).max(225)).max(100) }));
      if (!b) return true;
      user.mailbox.reservedLabelNames ??= new Set();
      for (const n of b.names) user.mailbox.reservedLabelNames.add(n.trim().toLowerCase());
      return ok(a, 200, { reserved: [...user.mailbox.reservedLabelNames] });
    }
    return false;
  }
  if (parts[2] === 'history') {
    if (parts.length === 3 && method === 'GET') return ok(a, 200, { historyId: currentHistoryId(user.mailbox) });
    if (parts.length === 4 && parts[3] === 'expire' && method === 'POST') return ok(a, 200, { expiredThrough: expireHistory(user.mailbox) });
    return false;
  }
  if (parts.length === 3 && method === 'POST') {
    const b = await parsed(a, mailSchema);
    if (!b) return true;
    const m = deliver(sim, user, b);
    return ok(a, 201, { id: m.id, threadId: m.threadId, labelIds: m.labelIds, rfc822MessageId: `<${m.rfc822MessageId}>`, historyId: m.historyId });
  }
  if (parts.length === 4 && parts[3] === 'bulk' && method === 'POST') {
    const b = await parsed(a, bulkSchema);
    if (!b) return true;
    const rand = prng(b.seed + user.mailbox.messages.size);
    const ids: string[] = [];
    for (let i = 0; i < b.count; i++) {
      const out = rand() < b.sentShare;
      const withAttachment = rand() < b.attachmentShare;
      const label = b.labels.length && rand() < b.labelShare ? [b.labels[Math.floor(rand() * b.labels.length)]!] : [];
      const m = deliver(sim, user, mailSchema.parse({
        direction: out ? 'out' : 'in',
        subject: `${out ? 'Sent' : 'Received'} during the outage ${i + 1}`,
        text: `Message ${i + 1} written while Microsoft 365 was down.\r\n`.repeat(1 + Math.floor(rand() * 8)),
        labels: label,
        read: out ? true : rand() < 0.5,
        starred: rand() < 0.1,
        attachments: withAttachment ? [{ filename: `file-${i + 1}.bin`, contentType: 'application/octet-stream', size: b.attachmentBytes }] : [],
      }));
      ids.push(m.id);
    }
    return ok(a, 201, { added: ids.length, historyId: currentHistoryId(user.mailbox) });
  }
  return false;
}

type MailInput = z.infer<typeof mailSchema>;

/** Builds the MIME message and stores it as Gmail would after delivery (or after the user sent it). */
export function deliver(sim: GoogleSim, user: User, input: MailInput): StoredMessage {
  const mb = user.mailbox;
  const nowMs = input.date ? Date.parse(input.date) : sim.now();
  const id = nextHexId(sim.world, sim.now());
  const me = user.primaryEmail;
  const from = input.from ?? (input.direction === 'out' ? me : 'partner@fabrikam.test');
  const to = input.to ?? (input.direction === 'out' ? ['partner@fabrikam.test'] : [me]);
  const messageId = input.messageId ?? `<gmail.${createHash('sha1').update(`${me}/${id}`).digest('hex').slice(0, 16)}@${me.split('@')[1]}>`;
  const raw = buildMime({ ...input, from, to, messageId, dateMs: nowMs, seed: id });
  const labelIds = new Set<string>(input.direction === 'out' ? ['SENT'] : ['INBOX']);
  if (input.direction === 'in' && input.read !== true) labelIds.add('UNREAD');
  if (input.starred) labelIds.add('STARRED');
  for (const name of input.labels) labelIds.add(ensureUserLabel(sim, mb, name));
  const parsedRaw = splitHeaders(raw);
  const inReplyTo = bareMessageId(header(parsedRaw.headers, 'in-reply-to'));
  const message: StoredMessage = {
    id,
    threadId: (inReplyTo ? [...mb.messages.values()].find((m) => m.rfc822MessageId === inReplyTo)?.threadId : undefined) ?? id,
    labelIds: [...labelIds],
    raw,
    rfc822MessageId: bareMessageId(messageId),
    inReplyTo,
    internalDate: nowMs,
    subject: input.subject,
    snippet: snippetOf(parsedRaw),
    headers: parsedRaw.headers.map(([k, v]) => [k, decodeWords(v)] as const),
    historyId: '0',
  };
  mb.messages.set(id, message);
  return mb.messages.get(id)!;
}

function ensureUserLabel(sim: GoogleSim, mb: Mailbox, name: string): string {
  const found = [...mb.labels.values()].find((l) => l.name.toLowerCase() === name.toLowerCase());
  if (found) return found.id;
  const id = `Label_${nextHexId(sim.world, sim.now()).slice(-10).replace(/^0+/, '') || '1'}`;
  mb.labels.set(id, { id, name, type: 'user', messageListVisibility: 'show', labelListVisibility: 'labelShow' });
  return id;
}

function buildMime(m: MailInput & { from: string; to: string[]; messageId: string; dateMs: number; seed: string }): Buffer {
  const date = new Date(m.dateMs).toUTCString().replace('GMT', '+0000');
  const encodedSubject = /^[\x20-\x7e]*$/.test(m.subject) ? m.subject : `=?UTF-8?B?${Buffer.from(m.subject, 'utf8').toString('base64')}?=`;
  const headers = [
    `From: ${m.from}`,
    `To: ${m.to.join(', ')}`,
    ...(m.cc.length ? [`Cc: ${m.cc.join(', ')}`] : []),
    `Subject: ${encodedSubject}`,
    `Date: ${date}`,
    `Message-ID: ${m.messageId}`,
    ...(m.inReplyTo ? [`In-Reply-To: ${m.inReplyTo}`, `References: ${m.inReplyTo}`] : []),
    'MIME-Version: 1.0',
  ];
  const text = m.text ?? (m.html ? null : `${m.subject}\r\n`);
  const bodyParts: string[] = [];
  const alt = `alt_${m.seed}`;
  let body: string;
  let bodyType: string;
  if (text !== null && m.html) {
    body = `--${alt}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64(Buffer.from(text, 'utf8'))}\r\n--${alt}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64(Buffer.from(m.html, 'utf8'))}\r\n--${alt}--\r\n`;
    bodyType = `multipart/alternative; boundary="${alt}"`;
  } else if (m.html) {
    body = b64(Buffer.from(m.html, 'utf8'));
    bodyType = 'text/html; charset=utf-8';
  } else {
    body = b64(Buffer.from(text ?? '', 'utf8'));
    bodyType = 'text/plain; charset=utf-8';
  }
  if (m.attachments.length === 0) {
    headers.push(`Content-Type: ${bodyType}`);
    if (!bodyType.startsWith('multipart/')) headers.push('Content-Transfer-Encoding: base64');
    return Buffer.from(`${headers.join('\r\n')}\r\n\r\n${body}${body.endsWith('\r\n') ? '' : '\r\n'}`, 'utf8');
  }
  const mixed = `mix_${m.seed}`;
  headers.push(`Content-Type: multipart/mixed; boundary="${mixed}"`);
  bodyParts.push(`--${mixed}\r\nContent-Type: ${bodyType}\r\n${bodyType.startsWith('multipart/') ? '' : 'Content-Transfer-Encoding: base64\r\n'}\r\n${body}${body.endsWith('\r\n') ? '' : '\r\n'}`);
  m.attachments.forEach((att, i) => {
    const content = att.base64 !== undefined ? Buffer.from(att.base64, 'base64') : generated(att.size ?? 1024, `${m.seed}/${i}`);
    const cid = att.inline ? `\r\nContent-ID: <att${i}.${m.seed}@sandbox>` : '';
    bodyParts.push(
      `--${mixed}\r\nContent-Type: ${att.contentType}; name="${att.filename}"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: ${att.inline ? 'inline' : 'attachment'}; filename="${att.filename}"${cid}\r\n\r\n${b64(content)}\r\n`,
    );
  });
  bodyParts.push(`--${mixed}--\r\n`);
  return Buffer.from(`${headers.join('\r\n')}\r\n\r\n${bodyParts.join('')}`, 'utf8');
}

function b64(buf: Buffer): string {
  return buf.toString('base64').replace(/(.{76})/g, '$1\r\n');
}

/** Deterministic content of `size` bytes (an attachment's body), cheap to make at any size. */
function generated(size: number, seed: string): Buffer {
  const block = createHash('sha256').update(seed).digest();
  const out = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i += block.length) block.copy(out, i, 0, Math.min(block.length, size - i));
  return out;
}
