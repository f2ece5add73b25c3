import { readBody, sendJson } from '../http.js';
import type { ApiCall } from './apis.js';
import type { Customer } from './customer.js';
import { sendGoogleError } from './errors.js';
import { applyFields, parseFields } from './fields.js';

/**
 * What every Directory method shares: opaque versioned page tokens, maxResults bounds,
 * the customer / domain parameters, JSON bodies, partial responses (`fields`), 204s.
 * https://developers.google.com/admin-sdk/directory/v1/guides/performance#partial-response
 */
export const FORBIDDEN = 'Not Authorized to access this resource/api';

/**
 * An opaque ETag that changes when the parts do. A fast 53-bit string hash (cyrb53) rather than
 * SHA-1: list pages carry one per item, and a benchmark reads a million of them.
 */
export function etagOf(...parts: readonly unknown[]): string {
  const str = parts.map(String).join('\u0000');
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < str.length; i++) {
    const ch = str.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return `"${(4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36)}"`;
}

export function encodePageToken(kind: string, state: Record<string, string | number | boolean>): string {
  return Buffer.from(JSON.stringify({ v: 1, k: kind, ...state })).toString('base64url');
}

/** The token's state, {} for none, or null for a token that is not ours (answered 400). */
export function decodePageToken(call: ApiCall, kind: string): Record<string, unknown> | null {
  const token = call.url.searchParams.get('pageToken');
  if (!token) return {};
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (v['v'] === 1 && v['k'] === kind) return v;
  } catch {
    // fall through
  }
  sendGoogleError(call.res, 400, 'Invalid Input: pageToken', { reason: 'invalid' });
  return null;
}

/** maxResults within [1, max] (default `dflt`); answers 400 and returns null when out of range. */
export function maxResults(call: ApiCall, dflt: number, max: number): number | null {
  const raw = call.url.searchParams.get('maxResults');
  const n = raw === null ? dflt : Number(raw);
  if (Number.isInteger(n) && n >= 1 && n <= max) return n;
  sendGoogleError(call.res, 400, `Invalid value '${raw}'. Values must be within the range: [1, ${max}]`, { reason: 'invalidParameter', location: 'maxResults', locationType: 'parameter' });
  return null;
}

/** `customer=my_customer` (or the caller's own id); anything else is another customer: 403. */
export function ownCustomer(call: ApiCall, value: string | null): boolean {
  const c = call.customer!;
  if (value === null || value === 'my_customer' || value === c.id) return true;
  sendGoogleError(call.res, 403, FORBIDDEN, { reason: 'forbidden' });
  return false;
}

/** `domain=` must be one of the caller's customer's domains. */
export function ownDomain(call: ApiCall, value: string): boolean {
  if (call.customer!.domains.includes(value.toLowerCase())) return true;
  sendGoogleError(call.res, 403, FORBIDDEN, { reason: 'forbidden' });
  return false;
}

export async function jsonBody(call: ApiCall): Promise<Record<string, unknown> | null> {
  try {
    const v = JSON.parse((await readBody(call.req, 1 << 20)).toString('utf8') || '{}') as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  sendGoogleError(call.res, 400, 'Invalid JSON payload received.', { reason: 'parseError' });
  return null;
}

/** Sends a resource, trimmed to `fields=` when the caller asked for a partial response. */
export function sendResource(call: ApiCall, status: number, body: Record<string, unknown>): void {
  // google.repeat_page_token: a list page read with a pageToken hands the same token back.
  const asked = call.url.searchParams.get('pageToken');
  if (asked && typeof body['nextPageToken'] === 'string' && call.customer && call.sim.fault('google.repeat_page_token', call.customer)) body = { ...body, nextPageToken: asked };
  const spec = call.url.searchParams.get('fields');
  if (!spec) return sendJson(call.res, status, body);
  const mask = parseFields(spec);
  if (!mask) return sendGoogleError(call.res, 400, `Invalid field selection ${spec}`, { reason: 'invalidParameter', location: 'fields', locationType: 'parameter' });
  sendJson(call.res, status, applyFields(body, mask) as Record<string, unknown>);
}

export function sendNoContent(call: ApiCall): void {
  call.res.writeHead(204, { vary: 'Origin, X-Origin, Referer' });
  call.res.end();
}

export function notFound(call: ApiCall, what: 'userKey' | 'groupKey' | 'memberKey' | 'roleId' | 'roleAssignmentId'): void {
  sendGoogleError(call.res, 404, `Resource Not Found: ${what}`, { reason: 'notFound' });
}

export function isOwnEmail(customer: Customer, key: string): boolean {
  const at = key.lastIndexOf('@');
  return at < 0 || customer.domains.includes(key.slice(at + 1).toLowerCase());
}
