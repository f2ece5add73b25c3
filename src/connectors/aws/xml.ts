import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { z } from 'zod';
import { AppError } from '../../errors/index.js';

/**
 * Reading the query protocol's XML. A body that is not well-formed, too large, declares a
 * DTD (AWS never does; entity expansion is an attack), or has the wrong root is
 * `provider.bad_response`, never a crash.
 */
export const PROVIDER = 'AWS IAM';
export const MAX_BODY_BYTES = 16 << 20;

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: false,
  isArray: (name) => name === 'member',
});

export function badResponse(detail: string): AppError {
  return new AppError('provider.bad_response', { provider: PROVIDER, detail });
}

/** GetCredentialReport carries the whole account (base64 CSV, ~330 bytes a user): 64 MB is ~150,000 users. */
export const REPORT_MAX_BODY_BYTES = 64 << 20;

export function parseXml(body: Buffer, what: string, maxBytes = MAX_BODY_BYTES): Record<string, unknown> {
  if (body.length > maxBytes) throw badResponse(`${what} answered ${body.length} bytes, more than the ${maxBytes} bytes it can be`);
  const text = body.toString('utf8');
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw badResponse(`${what} answered XML with a document type declaration`);
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw badResponse(`${what} answered a body that is not well-formed XML (${valid.err.msg}, line ${valid.err.line})`);
  const doc = parser.parse(text) as unknown;
  if (!doc || typeof doc !== 'object') throw badResponse(`${what} answered an empty body`);
  return doc as Record<string, unknown>;
}

/** A `<List><member>…</member></List>` element: '' when empty, { member: [...] } otherwise. */
export function xmlList<T extends z.ZodType>(item: T) {
  return z.preprocess((v) => (v === '' || v === undefined || v === null ? [] : typeof v === 'object' && 'member' in v ? (v as { member: unknown }).member : v), z.array(item));
}

export const xmlBool = z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean());
export const xmlInt = z.preprocess((v) => (typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v), z.number().int());
export const xmlStr = z.preprocess((v) => (typeof v === 'number' ? String(v) : v), z.string());
/** An element that may be absent or empty. */
export const xmlOptStr = z.preprocess((v) => (v === '' || v === null ? undefined : v), z.string().optional());
