import { describe, expect, it } from 'vitest';
import { ensureMessageId, readMessageId, syntheticMessageId } from './message-id.js';

const b = (s: string) => Buffer.from(s, 'latin1');

describe('Message-ID handling', () => {
  it('reads a Message-ID, folded or not, in any case', () => {
    expect(readMessageId(b('Subject: x\r\nMessage-ID: <a@b>\r\n\r\nbody'))).toBe('<a@b>');
    expect(readMessageId(b('message-id:\r\n <folded@x>\r\nTo: y\r\n\r\n'))).toBe('<folded@x>');
  });

  it('ignores a Message-ID that only appears in the body', () => {
    expect(readMessageId(b('Subject: x\r\n\r\nMessage-ID: <in-body@x>'))).toBeNull();
  });

  it('adds a stable synthetic id when missing and keeps the original bytes', () => {
    const raw = b('Subject: draft\r\n\r\nhello');
    const a = ensureMessageId(raw, 'AAMk-1');
    expect(a.messageId).toBe(syntheticMessageId('AAMk-1'));
    expect(readMessageId(a.raw)).toBe(a.messageId);
    expect(Buffer.from(a.raw).toString('latin1').endsWith('Subject: draft\r\n\r\nhello')).toBe(true);
    expect(ensureMessageId(raw, 'AAMk-1').messageId).toBe(a.messageId);
    expect(ensureMessageId(raw, 'AAMk-2').messageId).not.toBe(a.messageId);
  });
});
