/**
 * Just enough RFC 5322 / MIME to store what Gmail derives from an imported message: the
 * headers (Message-ID, Date, Subject, In-Reply-To), a snippet, and the parts of a
 * multipart/related upload (RFC 2387) as googleapis sends them.
 */

export interface ParsedMessage {
  readonly headers: Array<readonly [string, string]>;
  readonly body: Buffer;
}

export function splitHeaders(raw: Buffer): ParsedMessage {
  let end = raw.indexOf('\r\n\r\n');
  let sepLen = 4;
  const lf = raw.indexOf('\n\n');
  if (end === -1 || (lf !== -1 && lf < end)) {
    end = lf;
    sepLen = 2;
  }
  const head = end === -1 ? raw.toString('latin1') : raw.subarray(0, end).toString('latin1');
  const body = end === -1 ? Buffer.alloc(0) : raw.subarray(end + sepLen);
  const headers: Array<readonly [string, string]> = [];
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    headers.push([line.slice(0, i).trim(), line.slice(i + 1).trim()]);
  }
  return { headers, body };
}

export function header(headers: ReadonlyArray<readonly [string, string]>, name: string): string | undefined {
  const n = name.toLowerCase();
  return headers.find(([k]) => k.toLowerCase() === n)?.[1];
}

/** RFC 2047 encoded words (=?charset?B|Q?…?=), UTF-8 and Latin-1. */
export function decodeWords(value: string): string {
  return value.replace(/=\?([^?]+)\?([bBqQ])\?([^?]*)\?=(\s+(?==\?))?/g, (_all, charset: string, enc: string, text: string) => {
    const bytes = enc.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64')
      : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
    return /utf-?8/i.test(charset) ? bytes.toString('utf8') : bytes.toString('latin1');
  });
}

/** Content-Type parameter (boundary, charset), unquoted. */
export function contentTypeParam(contentType: string, name: string): string | undefined {
  const re = new RegExp(`;\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]*))`, 'i');
  const m = re.exec(contentType);
  return m ? (m[1] ?? m[2]) : undefined;
}

export interface MimePart {
  readonly headers: Array<readonly [string, string]>;
  readonly body: Buffer;
}

/** Splits a multipart body into its parts (binary-safe). */
export function multipartParts(body: Buffer, boundary: string): MimePart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: MimePart[] = [];
  let pos = body.indexOf(delimiter);
  while (pos !== -1) {
    let start = pos + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break; // close delimiter
    if (body[start] === 0x0d) start += 1;
    if (body[start] === 0x0a) start += 1;
    const next = body.indexOf(delimiter, start);
    if (next === -1) break;
    let end = next;
    if (body[end - 1] === 0x0a) end -= 1;
    if (body[end - 1] === 0x0d) end -= 1;
    parts.push(splitHeaders(body.subarray(start, end)));
    pos = next;
  }
  return parts;
}

/** Plain text for the snippet: the first text/plain part, decoded, whitespace collapsed. */
export function snippetOf(msg: ParsedMessage, max = 200): string {
  const text = firstText(msg, 0);
  return text.replace(/\s+/g, ' ').trim().slice(0, max);
}

function firstText(msg: ParsedMessage, depth: number): string {
  const ct = header(msg.headers, 'content-type') ?? 'text/plain';
  if (/^multipart\//i.test(ct) && depth < 5) {
    const boundary = contentTypeParam(ct, 'boundary');
    if (!boundary) return '';
    for (const part of multipartParts(msg.body, boundary)) {
      const t = firstText(part, depth + 1);
      if (t) return t;
    }
    return '';
  }
  if (!/^text\//i.test(ct)) return '';
  const enc = (header(msg.headers, 'content-transfer-encoding') ?? '').toLowerCase();
  let bytes = msg.body;
  if (enc === 'base64') bytes = Buffer.from(msg.body.toString('latin1'), 'base64');
  else if (enc === 'quoted-printable') {
    bytes = Buffer.from(msg.body.toString('latin1').replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
  }
  let text = bytes.toString(/utf-?8/i.test(contentTypeParam(ct, 'charset') ?? 'utf-8') ? 'utf8' : 'latin1');
  if (/^text\/html/i.test(ct)) text = text.replace(/<[^>]*>/g, ' ').replace(/&nbsp;/g, ' ').replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>');
  return text;
}

/** The Message-ID without angle brackets, as Gmail's rfc822msgid: search compares it. */
export function bareMessageId(v: string | undefined): string | null {
  if (!v) return null;
  const m = /<([^>]+)>/.exec(v);
  const id = (m ? m[1]! : v).trim();
  return id === '' ? null : id;
}
