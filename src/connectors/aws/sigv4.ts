import { createHash, createHmac } from 'node:crypto';

/**
 * AWS Signature Version 4 (docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html),
 * with node:crypto: canonical request → string to sign → signing key from the HMAC chain
 * date / region / service / "aws4_request" → Authorization header. Tested against AWS's
 * published test-suite vectors (sigv4.test.ts) and the sandbox.
 */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Temporary credentials (from AssumeRole) carry a session token, sent as X-Amz-Security-Token. */
  readonly sessionToken?: string;
}

export interface SignInput {
  readonly method: string;
  readonly url: string;
  /** Headers to send and sign (host, x-amz-date and x-amz-security-token are added). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly region: string;
  readonly service: string;
  readonly credentials: AwsCredentials;
  readonly now: Date;
}

/** RFC 3986: unreserved characters stay, everything else is %XX with upper-case hex. */
export function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function amzDate(now: Date): string {
  return now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

const sha256Hex = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

function canonicalQuery(search: URLSearchParams): string {
  return [...search]
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

export interface Signed {
  /** Headers to send: the input headers plus x-amz-date, x-amz-security-token and authorization (host comes from the URL). */
  readonly headers: Record<string, string>;
  readonly canonicalRequest: string;
  readonly stringToSign: string;
  readonly signature: string;
}

export function signRequest(i: SignInput): Signed {
  const url = new URL(i.url);
  const date = amzDate(i.now);
  const day = date.slice(0, 8);
  const all: Record<string, string> = {};
  for (const [k, v] of Object.entries(i.headers)) all[k.toLowerCase()] = v;
  all['host'] = url.host;
  all['x-amz-date'] = date;
  if (i.credentials.sessionToken) all['x-amz-security-token'] = i.credentials.sessionToken;
  const names = Object.keys(all).sort();
  const canonicalHeaders = names.map((n) => `${n}:${all[n]!.trim().replace(/\s+/g, ' ')}\n`).join('');
  const signedHeaders = names.join(';');
  // Every service but S3 signs the path encoded once more (the SDKs' "uriEscapePath").
  const path = uriEncode(url.pathname).replace(/%2F/g, '/') || '/';
  const canonicalRequest = [i.method.toUpperCase(), path, canonicalQuery(url.searchParams), canonicalHeaders, signedHeaders, sha256Hex(i.body)].join('\n');
  const scope = `${day}/${i.region}/${i.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', date, scope, sha256Hex(canonicalRequest)].join('\n');
  let key: Buffer = createHmac('sha256', `AWS4${i.credentials.secretAccessKey}`).update(day).digest();
  for (const part of [i.region, i.service, 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
  const headers: Record<string, string> = { ...all };
  delete headers['host'];
  headers['authorization'] = `AWS4-HMAC-SHA256 Credential=${i.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return { headers, canonicalRequest, stringToSign, signature };
}
