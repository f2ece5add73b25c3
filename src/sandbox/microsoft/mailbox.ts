import { createHash } from 'node:crypto';
import { prng } from '../demo.js';
import type { EntraUser } from './world.js';

/**
 * One simulated Exchange Online mailbox: folders, messages and a change log that the
 * per-folder message delta reads from. Generated deterministically on first access.
 */
export interface SimFolder {
  readonly id: string;
  displayName: string;
  readonly parentFolderId: string;
  readonly wellKnownName: string | null;
  readonly isHidden: boolean;
}

export type SimKind = 'normal' | 'too_large' | 'encrypted' | 'calendar';

export interface SimMessage {
  readonly id: string;
  folderId: string;
  internetMessageId: string | null;
  subject: string;
  readonly from: { name: string; address: string };
  readonly to: { name: string; address: string };
  readonly receivedDateTime: string;
  isRead: boolean;
  isDraft: boolean;
  readonly importance: 'low' | 'normal' | 'high';
  flagged: boolean;
  categories: string[];
  body: string;
  readonly attachment: { name: string; contentType: string; base64: string } | null;
  readonly kind: SimKind;
  /** Change sequence: bumped on every change, read by delta rounds. */
  seq: number;
  /** The MIME of a message written through Graph (graph-mail-write.ts); generated from the fields otherwise. */
  raw?: Buffer;
}

export interface Tombstone {
  readonly id: string;
  readonly folderId: string;
  readonly seq: number;
}

const SUBJECTS = ['Quarterly numbers', 'Re: Offsite agenda', 'Invoice 4471', 'Design review notes', 'Lunch on Friday?', 'Fwd: Contract draft', 'Release checklist', 'Customer escalation', 'Weekly status', 'Travel booking confirmation', 'Re: Budget approval', 'Welcome aboard', 'Security training reminder', 'Board deck v3', 'Hiring plan', 'Re: Re: Migration timeline'];
const CATEGORIES = ['Red category', 'Blue category', 'Finance', 'Follow up'];

export function folderId(userId: string, name: string): string {
  return 'AAMkAG' + createHash('sha256').update(`${userId}/folder/${name}`).digest('base64url').slice(0, 38) + 'AAA';
}

export class Mailbox {
  readonly folders: SimFolder[] = [];
  readonly messages = new Map<string, SimMessage>();
  readonly tombstones: Tombstone[] = [];
  readonly rootId: string;
  private seqCounter = 0;
  private idCounter = 0;

  constructor(
    readonly user: EntraUser,
    seed: number,
    nowMs: number,
  ) {
    this.rootId = folderId(user.id, 'msgfolderroot');
    const top = (name: string, wk: string | null, hidden = false) => this.addFolder(name, this.rootId, wk, hidden);
    const inbox = top('Inbox', 'inbox');
    const projects = this.addFolder('Projects', inbox.id, null);
    const apollo = this.addFolder('Apollo', projects.id, null);
    const sent = top('Sent Items', 'sentitems');
    const drafts = top('Drafts', 'drafts');
    const archive = top('Archive', 'archive');
    const y2025 = this.addFolder('2025', archive.id, null);
    const deleted = top('Deleted Items', 'deleteditems');
    const junk = top('Junk Email', 'junkemail');
    top('Outbox', 'outbox');
    top('Conversation History', null, true);
    const rand = prng(seed * 7919 + user.index * 104729 + 17);
    const customs = ['Receipts', 'Team', 'Newsletters'].slice(0, 1 + Math.floor(rand() * 3)).map((n) => top(n, null));

    // A few users have empty or nearly full demo mailboxes; the rest vary.
    const count = user.index % 11 === 3 ? 0 : user.index % 11 === 5 ? 470 + Math.floor(rand() * 30) : 15 + Math.floor(rand() * 280);
    const weighted: [SimFolder, number][] = [
      [inbox, 40], [projects, 8], [apollo, 5], [sent, 20], [drafts, 2], [archive, 8], [y2025, 7], [deleted, 3], [junk, 2],
      ...customs.map((c): [SimFolder, number] => [c, 5 / customs.length]),
    ];
    const total = weighted.reduce((s, [, w]) => s + w, 0);
    for (let i = 0; i < count; i++) {
      let r = rand() * total;
      let folder = inbox;
      for (const [f, w] of weighted) {
        r -= w;
        if (r <= 0) {
          folder = f;
          break;
        }
      }
      const ageMs = Math.floor(rand() * 120 * 86_400_000);
      this.addMessage({
        folderId: folder.id,
        subject: SUBJECTS[Math.floor(rand() * SUBJECTS.length)]!,
        receivedDateTime: new Date(nowMs - ageMs).toISOString(),
        isRead: rand() < 0.7,
        isDraft: folder === drafts,
        importance: rand() < 0.08 ? 'high' : rand() < 0.05 ? 'low' : 'normal',
        flagged: rand() < 0.1,
        categories: rand() < 0.15 ? [CATEGORIES[Math.floor(rand() * CATEGORIES.length)]!] : [],
        paragraphs: 1 + Math.floor(rand() * 12),
        attachment: rand() < 0.12,
        kind: 'normal',
        fromIndex: Math.floor(rand() * 1000),
      });
    }
  }

  /** A folder the user created (sandbox admin API); it appears when the folder list is read again. */
  createFolder(displayName: string, parentFolderId: string | null): SimFolder {
    return this.addFolder(displayName, parentFolderId ?? this.rootId, null);
  }

  private addFolder(displayName: string, parentFolderId: string, wellKnownName: string | null, isHidden = false): SimFolder {
    const f: SimFolder = { id: folderId(this.user.id, `${parentFolderId}/${displayName}`), displayName, parentFolderId, wellKnownName, isHidden };
    this.folders.push(f);
    return f;
  }

  nextSeq(): number {
    this.seqCounter += 1;
    return this.seqCounter;
  }

  get seq(): number {
    return this.seqCounter;
  }

  addMessage(input: {
    folderId: string; subject: string; receivedDateTime: string; isRead: boolean; isDraft: boolean;
    importance: 'low' | 'normal' | 'high'; flagged: boolean; categories: string[]; paragraphs: number;
    attachment: boolean; kind: SimKind; fromIndex: number;
  }): SimMessage {
    const m = this.createMessage(input);
    this.messages.set(m.id, m);
    return m;
  }

  private createMessage(input: {
    folderId: string; subject: string; receivedDateTime: string; isRead: boolean; isDraft: boolean;
    importance: 'low' | 'normal' | 'high'; flagged: boolean; categories: string[]; paragraphs: number;
    attachment: boolean; kind: SimKind; fromIndex: number;
  }): SimMessage {
    this.idCounter += 1;
    const n = this.idCounter;
    const id = 'AAMkAG' + createHash('sha256').update(`${this.user.id}/msg/${n}`).digest('base64url').slice(0, 60) + 'AAA=';
    const local = this.user.userPrincipalName.split('@')[0]!;
    const domain = this.user.userPrincipalName.split('@')[1]!;
    const partner = { name: `Partner ${input.fromIndex}`, address: `partner${input.fromIndex}@fabrikam.test` };
    const me = { name: this.user.displayName, address: this.user.userPrincipalName };
    const outgoing = input.isDraft || this.folders.find((f) => f.id === input.folderId)?.wellKnownName === 'sentitems';
    const body = Array.from({ length: input.paragraphs }, (_, p) => `Paragraph ${p + 1} of message ${n} for ${this.user.displayName}. Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.`).join('\r\n\r\n');
    const msg: SimMessage = {
      id,
      folderId: input.folderId,
      // Drafts carry no Message-ID until sent, as in Exchange.
      internetMessageId: input.isDraft ? null : `<${local}.${n}.${createHash('sha1').update(id).digest('hex').slice(0, 12)}@${domain}>`,
      subject: input.subject,
      from: outgoing ? me : partner,
      to: outgoing ? partner : me,
      receivedDateTime: input.receivedDateTime,
      isRead: input.isRead,
      isDraft: input.isDraft,
      importance: input.importance,
      flagged: input.flagged,
      categories: input.categories,
      body,
      attachment: input.attachment ? { name: `report-${n}.pdf`, contentType: 'application/pdf', base64: Buffer.from(`%PDF-1.4 demo attachment ${n}\n`.repeat(20)).toString('base64') } : null,
      kind: input.kind,
      seq: this.nextSeq(),
    };
    return msg;
  }

  folder(idOrWellKnown: string): SimFolder | undefined {
    const key = idOrWellKnown.toLowerCase();
    if (key === 'msgfolderroot') return { id: this.rootId, displayName: 'Top of Information Store', parentFolderId: '', wellKnownName: 'msgfolderroot', isHidden: false };
    return this.folders.find((f) => f.id === idOrWellKnown || f.wellKnownName === key);
  }

  childFolders(parentId: string, includeHidden: boolean): SimFolder[] {
    return this.folders.filter((f) => f.parentFolderId === parentId && (includeHidden || !f.isHidden));
  }

  messagesIn(folderId: string): SimMessage[] {
    return [...this.messages.values()].filter((m) => m.folderId === folderId);
  }

  update(id: string, patch: { isRead?: boolean; flagged?: boolean; categories?: string[]; folderId?: string; subject?: string; body?: string }): SimMessage | undefined {
    const m = this.messages.get(id);
    if (!m) return undefined;
    if (patch.folderId && patch.folderId !== m.folderId) {
      // A move is a removal from the old folder and a creation in the new one (delta semantics).
      this.tombstones.push({ id: m.id, folderId: m.folderId, seq: this.nextSeq() });
      m.folderId = patch.folderId;
    }
    if (patch.isRead !== undefined) m.isRead = patch.isRead;
    if (patch.flagged !== undefined) m.flagged = patch.flagged;
    if (patch.categories !== undefined) m.categories = patch.categories;
    // Editing a draft changes its content (what delta then reports as an update).
    if (patch.subject !== undefined) m.subject = patch.subject;
    if (patch.body !== undefined) m.body = patch.body;
    m.seq = this.nextSeq();
    return m;
  }

  /** Sends a draft: it leaves Drafts for Sent Items with a Message-ID, keeping its (immutable) id. */
  send(id: string): SimMessage | undefined {
    const m = this.messages.get(id);
    const sent = this.folder('sentitems');
    if (!m || !m.isDraft || !sent) return undefined;
    this.tombstones.push({ id: m.id, folderId: m.folderId, seq: this.nextSeq() });
    const local = this.user.userPrincipalName.split('@')[0]!;
    const domain = this.user.userPrincipalName.split('@')[1]!;
    m.isDraft = false;
    m.isRead = true;
    m.folderId = sent.id;
    m.internetMessageId = `<${local}.sent.${createHash('sha1').update(id).digest('hex').slice(0, 12)}@${domain}>`;
    m.seq = this.nextSeq();
    return m;
  }

  remove(id: string): boolean {
    const m = this.messages.get(id);
    if (!m) return false;
    this.messages.delete(id);
    this.tombstones.push({ id, folderId: m.folderId, seq: this.nextSeq() });
    return true;
  }
}

/** Size of the 'too large' fault item: above Gmail's 50 MB import limit. */
export const TOO_LARGE_BYTES = 60 * 1024 * 1024;

/** The message as RFC 822 MIME, as Graph's /$value returns it. */
export function toMime(m: SimMessage): Buffer {
  if (m.raw) return m.raw;
  const date = new Date(m.receivedDateTime).toUTCString().replace('GMT', '+0000');
  const headers = [
    `From: ${m.from.name} <${m.from.address}>`,
    `To: ${m.to.name} <${m.to.address}>`,
    `Subject: ${m.subject}`,
    `Date: ${date}`,
    ...(m.internetMessageId ? [`Message-ID: ${m.internetMessageId}`] : []),
    'MIME-Version: 1.0',
    ...(m.importance === 'high' ? ['Importance: high', 'X-Priority: 1'] : []),
  ];
  if (m.kind === 'encrypted') {
    headers.push('Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"', 'Content-Transfer-Encoding: base64', 'Content-Disposition: attachment; filename="smime.p7m"');
    return Buffer.from(headers.join('\r\n') + '\r\n\r\n' + Buffer.from(`encrypted-${m.id}`).toString('base64') + '\r\n', 'utf8');
  }
  if (m.kind === 'too_large') {
    headers.push('Content-Type: text/plain; charset=utf-8');
    const head = Buffer.from(headers.join('\r\n') + '\r\n\r\n', 'utf8');
    return Buffer.concat([head, Buffer.alloc(TOO_LARGE_BYTES, 0x61)]);
  }
  if (!m.attachment) {
    headers.push('Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit');
    return Buffer.from(headers.join('\r\n') + '\r\n\r\n' + m.body + '\r\n', 'utf8');
  }
  const boundary = `----=_sw_${m.id.slice(6, 22)}`;
  headers.push(`Content-Type: multipart/mixed; boundary="${boundary}"`);
  const parts = [
    `--${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${m.body}\r\n`,
    `--${boundary}\r\nContent-Type: ${m.attachment.contentType}; name="${m.attachment.name}"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="${m.attachment.name}"\r\n\r\n${m.attachment.base64.replace(/(.{76})/g, '$1\r\n')}\r\n`,
    `--${boundary}--\r\n`,
  ];
  return Buffer.from(headers.join('\r\n') + '\r\n\r\n' + parts.join(''), 'utf8');
}

export function mimeSize(m: SimMessage): number {
  return m.kind === 'too_large' ? TOO_LARGE_BYTES + 300 : toMime(m).length;
}
