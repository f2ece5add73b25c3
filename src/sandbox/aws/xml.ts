import type { ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';

/**
 * The AWS query protocol's XML (providers.md §4.1, §4.4): results wrapped in
 * `<{Action}Response><{Action}Result>…` with `ResponseMetadata/RequestId`, lists as repeated
 * `<member>` elements, errors as `<ErrorResponse><Error>…</Error><RequestId>`.
 */
export type XmlValue = string | number | boolean | null | undefined | XmlNode | readonly XmlValue[];
export interface XmlNode {
  readonly [name: string]: XmlValue;
}

export const IAM_NS = 'https://iam.amazonaws.com/doc/2010-05-08/';
export const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** `{ Users: members([...]) }` → `<Users><member>…</member>…</Users>`. */
export function members(items: readonly XmlValue[]): XmlNode {
  return { member: items };
}

/** Serialises children in insertion order; undefined/null are omitted; arrays repeat the element. */
export function toXml(node: XmlNode): string {
  let out = '';
  for (const [name, value] of Object.entries(node)) out += element(name, value);
  return out;
}

function element(name: string, value: XmlValue): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return (value as readonly XmlValue[]).map((v) => element(name, v)).join('');
  if (typeof value === 'object') return `<${name}>${toXml(value as XmlNode)}</${name}>`;
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** IAM's timestamps: ISO 8601 with seconds, UTC, no milliseconds. */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export interface ReplyContext {
  readonly ns: string;
  readonly requestId: string;
  /** The server's clock (a clock-skew fault moves it), for the Date header. */
  readonly nowMs: number;
}

export function newRequestId(): string {
  return randomUUID();
}

export function sendXml(res: ServerResponse, status: number, body: string, r: ReplyContext): void {
  res.writeHead(status, {
    'content-type': 'text/xml',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': r.requestId,
    date: new Date(r.nowMs).toUTCString(),
  });
  res.end(body);
}

export function sendResult(res: ServerResponse, action: string, result: XmlNode | null, r: ReplyContext): void {
  const inner = result === null ? '' : `<${action}Result>${toXml(result)}</${action}Result>`;
  const body = `<${action}Response xmlns="${r.ns}">\n  ${inner}\n  <ResponseMetadata>\n    <RequestId>${r.requestId}</RequestId>\n  </ResponseMetadata>\n</${action}Response>\n`;
  sendXml(res, 200, body, r);
}

/** An AWS error as the service answers it. */
export interface AwsFault {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly type?: 'Sender' | 'Receiver';
}

export function sendError(res: ServerResponse, e: AwsFault, r: ReplyContext): void {
  const body = `<ErrorResponse xmlns="${r.ns}">\n  <Error>\n    <Type>${e.type ?? 'Sender'}</Type>\n    <Code>${escapeXml(e.code)}</Code>\n    <Message>${escapeXml(e.message)}</Message>\n  </Error>\n  <RequestId>${r.requestId}</RequestId>\n</ErrorResponse>\n`;
  sendXml(res, e.status, body, r);
}

/** Thrown by handlers; the pipeline answers it as an ErrorResponse. */
export class AwsError extends Error implements AwsFault {
  constructor(readonly status: number, readonly code: string, message: string, readonly type: 'Sender' | 'Receiver' = 'Sender') {
    super(message);
  }
}

export const noSuchEntity = (message: string): AwsError => new AwsError(404, 'NoSuchEntity', message);
export const invalidInput = (message: string): AwsError => new AwsError(400, 'InvalidInput', message);
export const validationError = (message: string): AwsError => new AwsError(400, 'ValidationError', message);
