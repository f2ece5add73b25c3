import { createHash } from 'node:crypto';

/**
 * Every imported message must carry an RFC 5322 Message-ID: it is how an item left in doubt
 * by a crash (imported, but the ledger write never happened) is found in Gmail with
 * `rfc822msgid:` before anything is imported again. Drafts and some system messages have
 * none, so we add a stable one derived from the source item id.
 */
export function readMessageId(raw: Uint8Array): string | null {
  const header = headerBlock(raw);
  // Unfold continuation lines (RFC 5322 §2.2.3) before matching.
  const unfolded = header.replace(/\r?\n[ \t]+/g, ' ');
  const m = /^message-id:\s*(<[^>\r\n]+>)/im.exec(unfolded);
  return m ? m[1]! : null;
}

export function syntheticMessageId(sourceItemId: string): string {
  const digest = createHash('sha256').update(sourceItemId).digest('hex').slice(0, 32);
  return `<syncwarden.${digest}@syncwarden.invalid>`;
}

/** The message with a Message-ID (its own, or a synthetic one prepended) and that id. */
export function ensureMessageId(raw: Uint8Array, sourceItemId: string): { raw: Uint8Array; messageId: string } {
  const existing = readMessageId(raw);
  if (existing) return { raw, messageId: existing };
  const messageId = syntheticMessageId(sourceItemId);
  const prefix = Buffer.from(`Message-ID: ${messageId}\r\n`, 'latin1');
  return { raw: Buffer.concat([prefix, Buffer.from(raw)]), messageId };
}

function headerBlock(raw: Uint8Array): string {
  // Headers are ASCII; read at most the first 64 KiB to find the blank line.
  const head = Buffer.from(raw.buffer, raw.byteOffset, Math.min(raw.byteLength, 65536)).toString('latin1');
  const end = head.search(/\r?\n\r?\n/);
  return end === -1 ? head : head.slice(0, end);
}
