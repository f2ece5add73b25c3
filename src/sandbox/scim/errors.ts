import type { ServerResponse } from 'node:http';
import { SCIM_CONTENT_TYPE, URN } from './urns.js';

/**
 * SCIM error responses (RFC 7644 §3.12): `status` is a string, `scimType` is present only
 * where the RFC defines one for the status.
 */
export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive';

export class ScimError extends Error {
  override readonly name = 'ScimError';
  constructor(
    readonly status: number,
    readonly scimType: ScimType | undefined,
    readonly detail: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }

  body(): Record<string, unknown> {
    return { schemas: [URN.error], status: String(this.status), ...(this.scimType ? { scimType: this.scimType } : {}), detail: this.detail };
  }
}

export const bad = (scimType: ScimType, detail: string): ScimError => new ScimError(scimType === 'uniqueness' ? 409 : scimType === 'sensitive' ? 403 : 400, scimType, detail);
export const notFound = (detail: string): ScimError => new ScimError(404, undefined, detail);

export function sendScim(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': SCIM_CONTENT_TYPE, 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendError(res: ServerResponse, e: ScimError, headers: Record<string, string> = {}): void {
  sendScim(res, e.status, e.body(), { ...e.headers, ...headers });
}
