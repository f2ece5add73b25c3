import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { AwsError } from './xml.js';

/**
 * Verifying AWS Signature Version 4 as the service does
 * (docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html):
 * canonical request → string to sign → HMAC chain over date / region / service → compare.
 * The simulator keeps its own implementation (not the connector's signer), so a mistake on
 * one side cannot cancel out the same mistake on the other; the official SDK tests both.
 */
export interface SignedAuth {
  readonly accessKeyId: string;
  readonly date: string;
  readonly region: string;
  readonly service: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
  /** X-Amz-Date, e.g. 20260101T120000Z. */
  readonly amzDate: string;
  readonly requestMs: number;
  readonly securityToken: string | undefined;
}

const header = (h: IncomingHttpHeaders, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v.join(',') : v;
};

/** Parses the Authorization header and X-Amz-Date; throws the error AWS answers for each mistake. */
export function parseAuth(headers: IncomingHttpHeaders): SignedAuth {
  const auth = header(headers, 'authorization');
  if (!auth) throw new AwsError(403, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
  const m = /^AWS4-HMAC-SHA256\s+(.*)$/s.exec(auth.trim());
  if (!m) throw new AwsError(400, 'IncompleteSignature', `Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=${auth.split(' ')[0]}`);
  const parts = new Map<string, string>();
  for (const p of m[1]!.split(',')) {
    const eq = p.indexOf('=');
    if (eq > 0) parts.set(p.slice(0, eq).trim(), p.slice(eq + 1).trim());
  }
  const missing = ['Credential', 'Signature', 'SignedHeaders'].filter((k) => !parts.get(k));
  if (missing.length) throw new AwsError(400, 'IncompleteSignature', missing.map((k) => `Authorization header requires '${k}' parameter.`).join(' '));
  const cred = parts.get('Credential')!.split('/');
  if (cred.length !== 5 || cred[4] !== 'aws4_request') throw new AwsError(400, 'IncompleteSignature', `Credential should be scoped to a valid region. `);
  const amzDate = header(headers, 'x-amz-date');
  if (!amzDate) throw new AwsError(400, 'IncompleteSignature', "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  const dm = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!dm) throw new AwsError(400, 'IncompleteSignature', `Date must be in ISO-8601 'basic format'. Got '${amzDate}'.`);
  const requestMs = Date.UTC(+dm[1]!, +dm[2]! - 1, +dm[3]!, +dm[4]!, +dm[5]!, +dm[6]!);
  return {
    accessKeyId: cred[0]!,
    date: cred[1]!,
    region: cred[2]!,
    service: cred[3]!,
    signedHeaders: parts.get('SignedHeaders')!.split(';'),
    signature: parts.get('Signature')!,
    amzDate,
    requestMs,
    securityToken: header(headers, 'x-amz-security-token'),
  };
}

export function amzDateOf(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/[-:]/g, '').replace('.000Z', 'Z');
}

const FIFTEEN_MIN = 15 * 60_000;

/** Signature expired / not yet current (AWS allows 15 minutes either way). */
export function checkTime(a: SignedAuth, serverMs: number): void {
  if (a.requestMs < serverMs - FIFTEEN_MIN) {
    throw new AwsError(403, 'SignatureDoesNotMatch', `Signature expired: ${a.amzDate} is now earlier than ${amzDateOf(serverMs - FIFTEEN_MIN)} (${amzDateOf(serverMs)} - 15 min.)`);
  }
  if (a.requestMs > serverMs + FIFTEEN_MIN) {
    throw new AwsError(403, 'SignatureDoesNotMatch', `Signature not yet current: ${a.amzDate} is still later than ${amzDateOf(serverMs + FIFTEEN_MIN)} (${amzDateOf(serverMs)} + 15 min.)`);
  }
}

/** The credential scope must name this service, and its date must be the request's. */
export function checkScope(a: SignedAuth, service: 'iam' | 'sts'): void {
  if (a.service !== service) throw new AwsError(403, 'SignatureDoesNotMatch', `Credential should be scoped to correct service: '${service}'. `);
  if (service === 'iam' && a.region !== 'us-east-1') throw new AwsError(403, 'SignatureDoesNotMatch', `Credential should be scoped to a valid region. `);
  if (a.date !== a.amzDate.slice(0, 8)) throw new AwsError(403, 'SignatureDoesNotMatch', `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${a.date}' != '${a.amzDate.slice(0, 8)}', from '${a.amzDate}'.`);
  if (!a.signedHeaders.includes('host')) throw new AwsError(403, 'SignatureDoesNotMatch', "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
}

/** RFC 3986 unreserved characters stay; everything else is %XX (upper-case hex). */
export function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export interface RequestParts {
  readonly method: string;
  /** Path and query exactly as sent (req.url). */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export function canonicalRequest(r: RequestParts, signedHeaders: readonly string[]): string {
  const q = r.url.indexOf('?');
  const rawPath = q < 0 ? r.url : r.url.slice(0, q);
  const rawQuery = q < 0 ? '' : r.url.slice(q + 1);
  // Services other than S3 encode the (already encoded) path once more.
  const canonicalUri = rfc3986(rawPath).replace(/%2F/g, '/') || '/';
  const query = rawQuery
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const eq = p.indexOf('=');
      const k = eq < 0 ? p : p.slice(0, eq);
      const v = eq < 0 ? '' : p.slice(eq + 1);
      return [rfc3986(safeDecode(k)), rfc3986(safeDecode(v))] as const;
    })
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalHeaders = signedHeaders.map((h) => `${h}:${(header(r.headers, h) ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const payloadHash = createHash('sha256').update(r.body).digest('hex');
  return [r.method.toUpperCase(), canonicalUri, query, canonicalHeaders, signedHeaders.join(';'), payloadHash].join('\n');
}

export function expectedSignature(r: RequestParts, a: SignedAuth, secret: string): string {
  const scope = `${a.date}/${a.region}/${a.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', a.amzDate, scope, createHash('sha256').update(canonicalRequest(r, a.signedHeaders)).digest('hex')].join('\n');
  let key: Buffer = createHmac('sha256', `AWS4${secret}`).update(a.date).digest();
  for (const part of [a.region, a.service, 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}

export function signatureMatches(r: RequestParts, a: SignedAuth, secret: string): boolean {
  const want = Buffer.from(expectedSignature(r, a, secret), 'utf8');
  const got = Buffer.from(a.signature, 'utf8');
  return want.length === got.length && timingSafeEqual(want, got);
}

export const SIGNATURE_MISMATCH = 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
