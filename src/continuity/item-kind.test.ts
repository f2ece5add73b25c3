import { describe, expect, it } from 'vitest';
import { encryptedAfterDownload, unsupportedBeforeDownload } from './item-kind.js';

const ref = { id: '1', removed: false, internetMessageId: null, subject: null, receivedDateTime: null, isRead: true, isDraft: false, flagged: false, importance: 'normal' as const, categories: [], size: 10 };

describe('items Gmail cannot hold', () => {
  it('flags non-mail items by type before downloading them', () => {
    expect(unsupportedBeforeDownload({ ...ref, itemType: 'eventMessageRequest' })?.params).toEqual({ type: 'calendar item' });
    expect(unsupportedBeforeDownload(ref)).toBeNull();
  });

  it('recognises S/MIME encrypted messages but not signed ones', () => {
    const enc = Buffer.from('Subject: x\r\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"\r\n\r\nMIIB');
    const signed = Buffer.from('Subject: x\r\nContent-Type: application/pkcs7-mime; smime-type=signed-data\r\n\r\nMIIB');
    const plain = Buffer.from('Subject: x\r\nContent-Type: text/plain\r\n\r\napplication/pkcs7-mime in the body');
    expect(encryptedAfterDownload(enc)?.code).toBe('item.encrypted');
    expect(encryptedAfterDownload(signed)).toBeNull();
    expect(encryptedAfterDownload(plain)).toBeNull();
  });
});
