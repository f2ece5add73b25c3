import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { sendJson } from '../http.js';

/**
 * Entra ID's OAuth error body (providers.md §1.5): `error`, `error_description` (the AADSTS
 * prefix, then Trace ID / Correlation ID / Timestamp lines joined by \r\n), `error_codes`,
 * `timestamp` (YYYY-MM-DD HH:MM:SSZ), `trace_id`, `correlation_id`, `error_uri`.
 * https://learn.microsoft.com/entra/identity-platform/reference-error-codes
 */
export const AADSTS = {
  missingParam: 900144,
  noCredential: 7000218,
  malformedTenant: 900023,
  tenantNotFound: 90002,
  appNotFound: 700016,
  invalidSecret: 7000215,
  secretExpired: 7000222,
  certNotRegistered: 700027,
  assertionTime: 700024,
  subjectMismatch: 50048,
  scopeNotDefault: 1002012,
  redirectMismatch: 50011,
} as const;

export function aadTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function aadErrorBody(error: string, code: number, message: string, nowMs = Date.now()): Record<string, unknown> {
  const timestamp = aadTimestamp(nowMs);
  const trace = randomUUID();
  const correlation = randomUUID();
  return {
    error,
    error_description: `AADSTS${code}: ${message}\r\nTrace ID: ${trace}\r\nCorrelation ID: ${correlation}\r\nTimestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: trace,
    correlation_id: correlation,
    error_uri: `https://login.microsoftonline.com/error?code=${code}`,
  };
}

export function aadError(res: ServerResponse, status: number, error: string, code: number, message: string): void {
  sendJson(res, status, aadErrorBody(error, code, message), { 'cache-control': 'no-store, no-cache', pragma: 'no-cache' });
}
