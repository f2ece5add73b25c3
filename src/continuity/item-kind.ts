import { AppError } from '../errors/index.js';
import type { MessageRef } from '../connectors/sdk/index.js';

/**
 * Items Gmail cannot hold as they are. The seed article: "a small number of items may fail
 * to sync due to size limits, unsupported formats, or encryption. These are logged
 * individually and do not affect the user's overall sync status."
 */
export function unsupportedBeforeDownload(ref: MessageRef): AppError | null {
  if (ref.itemType) return new AppError('item.unsupported_type', { type: describeType(ref.itemType) });
  return null;
}

/** S/MIME enveloped (encrypted) messages: readable only with the recipient's key (RFC 8551 §3.3). */
export function encryptedAfterDownload(raw: Uint8Array): AppError | null {
  const head = Buffer.from(raw.buffer, raw.byteOffset, Math.min(raw.byteLength, 16384)).toString('latin1');
  const end = head.search(/\r?\n\r?\n/);
  const headers = (end === -1 ? head : head.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  const type = /^content-type:\s*([^\r\n]+)/im.exec(headers)?.[1]?.toLowerCase() ?? '';
  if (/application\/(x-)?pkcs7-mime/.test(type) && !/smime-type=(signed-data|certs-only)/.test(type)) return new AppError('item.encrypted');
  if (/application\/vnd\.ms-office\.rmsmessage|rpmsg/.test(type)) return new AppError('item.encrypted');
  return null;
}

function describeType(t: string): string {
  if (/^event/i.test(t)) return 'calendar item';
  if (/contact/i.test(t)) return 'contact';
  if (/task/i.test(t)) return 'task';
  return t;
}
