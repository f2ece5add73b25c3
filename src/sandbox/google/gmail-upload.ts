import type { IncomingMessage } from 'node:http';
import { contentTypeParam, header, multipartParts } from './mime.js';

/**
 * The three ways a message reaches messages.import / messages.insert: a media upload
 * (raw RFC 822 body), a multipart/related upload (JSON metadata + message/rfc822), or the
 * metadata endpoint with base64url `raw` in JSON.
 * https://developers.google.com/workspace/gmail/api/guides/uploads
 */
export const MAX_MESSAGE_BYTES = 52_428_800;

export type UploadResult =
  | { ok: true; raw: Buffer; metadata: Record<string, unknown> }
  | { ok: false; status: 400 | 413; message: string; reason: string };

/** Reads up to `limit` bytes; beyond that keeps draining (so the client can finish sending) and reports overflow. */
export async function readLimited(req: IncomingMessage, limit: number): Promise<{ body: Buffer; overflow: boolean; size: number }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let overflow = false;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > limit) {
      overflow = true;
      chunks.length = 0;
      continue;
    }
    chunks.push(b);
  }
  return { body: overflow ? Buffer.alloc(0) : Buffer.concat(chunks), overflow, size };
}

const TOO_LARGE = { ok: false, status: 413, reason: 'uploadTooLarge', message: `Request payload size exceeds the limit: ${MAX_MESSAGE_BYTES} bytes.` } as const;

export async function readUpload(req: IncomingMessage, url: URL, isUploadPath: boolean): Promise<UploadResult> {
  if (!isUploadPath) {
    // base64 grows by 4/3; allow for it plus the JSON around it.
    const { body, overflow } = await readLimited(req, Math.ceil((MAX_MESSAGE_BYTES * 4) / 3) + (1 << 20));
    if (overflow) return TOO_LARGE;
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
    } catch {
      return { ok: false, status: 400, reason: 'parseError', message: 'Invalid JSON payload received.' };
    }
    if (typeof json['raw'] !== 'string' || json['raw'] === '') {
      return { ok: false, status: 400, reason: 'invalidArgument', message: "'raw' RFC822 payload message string or uploading message via /upload/* URL required" };
    }
    const raw = Buffer.from(json['raw'].replace(/\+/g, '-').replace(/\//g, '_'), 'base64url');
    if (raw.length > MAX_MESSAGE_BYTES) return TOO_LARGE;
    return { ok: true, raw, metadata: json };
  }
  const uploadType = url.searchParams.get('uploadType');
  const contentType = req.headers['content-type'] ?? '';
  if (uploadType === 'media') {
    const { body, overflow } = await readLimited(req, MAX_MESSAGE_BYTES);
    if (overflow) return TOO_LARGE;
    return { ok: true, raw: body, metadata: {} };
  }
  if (uploadType === 'multipart') {
    const { body, overflow } = await readLimited(req, MAX_MESSAGE_BYTES + (1 << 20));
    if (overflow) return TOO_LARGE;
    const boundary = contentTypeParam(contentType, 'boundary');
    if (!/^multipart\/related/i.test(contentType) || !boundary) {
      return { ok: false, status: 400, reason: 'badContent', message: `Invalid multipart request with 0 mime parts.` };
    }
    const parts = multipartParts(body, boundary);
    if (parts.length !== 2) return { ok: false, status: 400, reason: 'badContent', message: `Invalid multipart request with ${parts.length} mime parts.` };
    let metadata: Record<string, unknown>;
    try {
      metadata = JSON.parse(parts[0]!.body.toString('utf8') || '{}') as Record<string, unknown>;
    } catch {
      return { ok: false, status: 400, reason: 'parseError', message: 'Invalid JSON payload received.' };
    }
    const mediaType = header(parts[1]!.headers, 'content-type') ?? '';
    if (mediaType && !/^message\//i.test(mediaType)) {
      return { ok: false, status: 400, reason: 'badContent', message: `Media type '${mediaType}' is not supported. Valid media types: [message/*]` };
    }
    const raw = parts[1]!.body;
    if (raw.length > MAX_MESSAGE_BYTES) return TOO_LARGE;
    return { ok: true, raw, metadata };
  }
  // Resumable uploads are not simulated (Syncwarden and googleapis for < 50 MB use multipart).
  return { ok: false, status: 400, reason: 'badRequest', message: `Invalid upload type: ${uploadType ?? '(none)'}. The sandbox supports media and multipart.` };
}
