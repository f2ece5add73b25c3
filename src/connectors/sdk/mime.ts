/**
 * Just enough RFC 5322 / MIME (RFC 2045–2047, 2231) to turn a message into its parts: headers,
 * the text and HTML bodies, and attachments. Used where a provider wants a message as
 * structured fields rather than bytes (Microsoft Graph's JSON message create). The input is
 * untrusted: nesting depth and part count are bounded, and anything malformed degrades to an
 * attachment or plain text rather than an exception — a message is never lost for its MIME.
 */
export type Header = readonly [name: string, value: string];

export interface MimeAttachment {
  readonly filename: string;
  readonly contentType: string;
  readonly contentId: string | null;
  readonly inline: boolean;
  readonly content: Buffer;
}

export interface ParsedMime {
  readonly headers: readonly Header[];
  readonly text: string | null;
  readonly html: string | null;
  readonly attachments: readonly MimeAttachment[];
}

export interface Address {
  readonly name: string;
  readonly address: string;
}

const MAX_DEPTH = 8;
const MAX_PARTS = 500;

export function parseMime(raw: Uint8Array): ParsedMime {
  const buf = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const top = splitPart(buf);
  const out = { text: null as string | null, html: null as string | null, attachments: [] as MimeAttachment[], parts: 0 };
  walk(top, out, 0, false);
  return { headers: top.headers, text: out.text, html: out.html, attachments: out.attachments };
}

interface Part {
  readonly headers: Header[];
  readonly body: Buffer;
}

/** Headers and body of one entity (CRLF or bare LF line ends). */
function splitPart(buf: Buffer): Part {
  let end = buf.indexOf('\r\n\r\n');
  let sep = 4;
  const lf = buf.indexOf('\n\n');
  if (end === -1 || (lf !== -1 && lf < end)) {
    end = lf;
    sep = 2;
  }
  const head = end === -1 ? buf.toString('latin1') : buf.subarray(0, end).toString('latin1');
  const body = end === -1 ? Buffer.alloc(0) : buf.subarray(end + sep);
  const headers: Header[] = [];
  // Unfold continuation lines (RFC 5322 §2.2.3) before splitting.
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    headers.push([line.slice(0, i).trim(), line.slice(i + 1).trim()]);
  }
  return { headers, body };
}

export function headerValue(headers: readonly Header[], name: string): string | null {
  const n = name.toLowerCase();
  const h = headers.find(([k]) => k.toLowerCase() === n);
  return h ? h[1] : null;
}

/** A header's value with RFC 2047 encoded words decoded (raw headers are Latin-1 bytes, maybe UTF-8). */
export function decodedHeader(headers: readonly Header[], name: string): string | null {
  const v = headerValue(headers, name);
  return v === null ? null : decodeWords(v);
}

export function decodeWords(value: string): string {
  const decoded = value.replace(/=\?([^?]+)\?([bBqQ])\?([^?]*)\?=(\s+(?==\?))?/g, (_all, charset: string, enc: string, text: string) => {
    const bytes =
      enc.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64')
        : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
    return decodeCharset(bytes, charset);
  });
  // Raw 8-bit headers (RFC 6532) arrive as Latin-1 code units of UTF-8 bytes.
  return /[\u0080-\u00ff]/.test(decoded) ? reinterpretUtf8(decoded) : decoded;
}

function reinterpretUtf8(latin1: string): string {
  const bytes = Buffer.from(latin1, 'latin1');
  const utf8 = bytes.toString('utf8');
  return utf8.includes('\ufffd') ? latin1 : utf8;
}

function decodeCharset(bytes: Buffer, charset: string): string {
  const cs = charset.trim().toLowerCase().replace(/\*.*$/, '');
  try {
    return new TextDecoder(cs === 'utf8' ? 'utf-8' : cs).decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

/** A parameter of a structured header (Content-Type boundary, Content-Disposition filename), RFC 2231 included. */
export function headerParam(value: string, name: string): string | null {
  const n = name.toLowerCase();
  const params = new Map<string, string>();
  const re = /;\s*([^=;\s]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(value)) !== null) params.set(m[1]!.toLowerCase(), (m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!).trim());
  const plain = params.get(n);
  if (plain !== undefined) return decodeWords(plain);
  // RFC 2231: name*=charset'lang'%XX… or continuations name*0*=…, name*1*=…
  const extended = params.get(`${n}*`);
  if (extended !== undefined) return decode2231(extended);
  const pieces: string[] = [];
  let encoded = false;
  for (let i = 0; i < 64; i++) {
    const p = params.get(`${n}*${i}*`) ?? params.get(`${n}*${i}`);
    if (p === undefined) break;
    if (params.has(`${n}*${i}*`)) encoded = true;
    pieces.push(p);
  }
  if (pieces.length === 0) return null;
  return encoded ? decode2231(pieces.join('')) : pieces.join('');
}

function decode2231(v: string): string {
  const m = /^([^']*)'[^']*'(.*)$/.exec(v);
  const charset = m ? m[1]! || 'utf-8' : 'utf-8';
  const text = m ? m[2]! : v;
  const bytes = Buffer.from(text.replace(/%([0-9A-Fa-f]{2})/g, (_x, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
  return decodeCharset(bytes, charset);
}

function mediaType(headers: readonly Header[]): string {
  return (headerValue(headers, 'content-type') ?? 'text/plain').split(';')[0]!.trim().toLowerCase() || 'text/plain';
}

function decodeBody(part: Part): Buffer {
  const cte = (headerValue(part.headers, 'content-transfer-encoding') ?? '7bit').trim().toLowerCase();
  if (cte === 'base64') return Buffer.from(part.body.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  if (cte === 'quoted-printable') {
    const s = part.body.toString('latin1').replace(/=\r?\n/g, '');
    return Buffer.from(s.replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
  }
  return part.body;
}

function textOf(part: Part): string {
  const charset = headerParam(headerValue(part.headers, 'content-type') ?? '', 'charset') ?? 'utf-8';
  return decodeCharset(decodeBody(part), charset);
}

/** The parts of a multipart body (binary-safe; a missing close delimiter ends at the body's end). */
function multipart(body: Buffer, boundary: string): Part[] {
  const delim = Buffer.from(`--${boundary}`);
  const parts: Part[] = [];
  let pos = body.indexOf(delim);
  while (pos !== -1 && parts.length < MAX_PARTS) {
    let start = pos + delim.length;
    if (body[start] === 0x2d && body[start + 1] === 0x2d) break; // close delimiter
    while (start < body.length && body[start] !== 0x0a) start++; // rest of the delimiter line
    start++;
    const next = body.indexOf(delim, start);
    let end = next === -1 ? body.length : next;
    // The CRLF before a delimiter belongs to the delimiter (RFC 2046 §5.1.1).
    if (end > start && body[end - 1] === 0x0a) end--;
    if (end > start && body[end - 1] === 0x0d) end--;
    if (start <= body.length) parts.push(splitPart(body.subarray(start, Math.max(start, end))));
    pos = next;
  }
  return parts;
}

function walk(part: Part, out: { text: string | null; html: string | null; attachments: MimeAttachment[]; parts: number }, depth: number, inAlternative: boolean): void {
  out.parts += 1;
  if (out.parts > MAX_PARTS) return;
  const type = mediaType(part.headers);
  const ctype = headerValue(part.headers, 'content-type') ?? '';
  const disposition = headerValue(part.headers, 'content-disposition') ?? '';
  const isAttachment = /^\s*attachment/i.test(disposition);
  const filename = headerParam(disposition, 'filename') ?? headerParam(ctype, 'name');
  if (type.startsWith('multipart/') && depth < MAX_DEPTH) {
    const boundary = headerParam(ctype, 'boundary');
    if (boundary) {
      for (const p of multipart(part.body, boundary)) walk(p, out, depth + 1, type === 'multipart/alternative' || inAlternative);
      return;
    }
  }
  if (!isAttachment && !filename && type === 'text/plain' && out.text === null) {
    out.text = textOf(part);
    return;
  }
  if (!isAttachment && !filename && type === 'text/html' && out.html === null) {
    out.html = textOf(part);
    return;
  }
  if (inAlternative && !isAttachment && !filename && type.startsWith('text/')) return; // another rendering of the same body
  const cid = headerValue(part.headers, 'content-id');
  out.attachments.push({
    filename: filename ?? defaultName(type, out.attachments.length + 1),
    contentType: type,
    contentId: cid ? cid.replace(/^<|>$/g, '') : null,
    inline: /^\s*inline/i.test(disposition) && cid !== null,
    content: decodeBody(part),
  });
}

function defaultName(type: string, n: number): string {
  if (type === 'message/rfc822') return `attached-message-${n}.eml`;
  const ext = type.split('/')[1]?.replace(/[^a-z0-9]/g, '') || 'bin';
  return `attachment-${n}.${ext}`;
}

/** RFC 5322 address lists: "Name" <a@b>, a@b, group: a@b, c@d; — bounded, lenient. */
export function parseAddresses(value: string | null): Address[] {
  if (!value) return [];
  const decoded = decodeWords(value);
  const out: Address[] = [];
  // Split on commas outside quotes and angle brackets.
  const items: string[] = [];
  let cur = '';
  let quoted = false;
  let angle = 0;
  for (const ch of decoded) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === '<') angle++;
    else if (!quoted && ch === '>') angle = Math.max(0, angle - 1);
    if (!quoted && angle === 0 && (ch === ',' || ch === ';')) {
      items.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  items.push(cur);
  for (let item of items.slice(0, 500)) {
    item = item.trim();
    // A group's display name ("Team: a@b").
    const group = /^[^"<@]*:\s*(.*)$/.exec(item);
    if (group) item = group[1]!.trim();
    if (!item) continue;
    const angled = /^(.*?)<([^>]*)>\s*$/.exec(item);
    if (angled) {
      const address = angled[2]!.trim();
      if (!address.includes('@')) continue;
      out.push({ name: angled[1]!.trim().replace(/^"|"$/g, '').replace(/\\(.)/g, '$1'), address });
    } else if (item.includes('@')) {
      const address = item.replace(/\s*\(.*\)\s*$/, '').trim();
      out.push({ name: '', address });
    }
  }
  return out;
}

/** The Date header as an ISO timestamp, or null when absent or unreadable. */
export function parseMailDate(value: string | null): string | null {
  if (!value) return null;
  const t = Date.parse(value.replace(/\s*\([^)]*\)\s*$/, ''));
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}
