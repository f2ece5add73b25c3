import type { ServerResponse } from 'node:http';
import { sendJson } from '../http.js';
import type { GoogleApi } from './world.js';

/**
 * Google's JSON error bodies (providers.md §3.5): the AIP-193 shape (code, message, status,
 * details) and, for the older APIs (Gmail, Admin SDK), the legacy `errors[]` list with
 * `reason`. IAM Credentials answers without `errors[]`.
 * https://cloud.google.com/apis/design/errors
 */
export interface GoogleErrorOptions {
  readonly reason?: string;
  readonly domain?: string;
  readonly status?: string;
  readonly location?: string;
  readonly locationType?: string;
  readonly extendedHelp?: string;
  readonly details?: readonly unknown[];
  /** false for APIs that only send the AIP-193 fields (IAM Credentials). */
  readonly legacy?: boolean;
  readonly headers?: Record<string, string>;
}

const STATUS_BY_CODE: Readonly<Record<number, string>> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  412: 'FAILED_PRECONDITION',
  413: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
};

export function googleErrorBody(code: number, message: string, o: GoogleErrorOptions = {}): { error: Record<string, unknown> } {
  const error: Record<string, unknown> = { code, message };
  if (o.legacy !== false) {
    const item: Record<string, unknown> = { message, domain: o.domain ?? 'global', reason: o.reason ?? 'backendError' };
    if (o.location) item['location'] = o.location;
    if (o.locationType) item['locationType'] = o.locationType;
    if (o.extendedHelp) item['extendedHelp'] = o.extendedHelp;
    error['errors'] = [item];
  }
  error['status'] = o.status ?? STATUS_BY_CODE[code] ?? 'UNKNOWN';
  if (o.details?.length) error['details'] = o.details;
  return { error };
}

export function sendGoogleError(res: ServerResponse, code: number, message: string, o: GoogleErrorOptions = {}): void {
  sendJson(res, code, googleErrorBody(code, message, o), { vary: 'Origin, X-Origin, Referer', ...(o.headers ?? {}) });
}

export const API_SERVICES: Readonly<Record<GoogleApi, { service: string; title: string }>> = {
  gmail: { service: 'gmail.googleapis.com', title: 'Gmail API' },
  admin: { service: 'admin.googleapis.com', title: 'Admin SDK API' },
  iamcredentials: { service: 'iamcredentials.googleapis.com', title: 'IAM Service Account Credentials API' },
};

/** 403 for an API that is disabled in the consumer project: accessNotConfigured + SERVICE_DISABLED. */
export function sendServiceDisabled(res: ServerResponse, api: GoogleApi, projectNumber: string, legacy: boolean): void {
  const { service, title } = API_SERVICES[api];
  const activationUrl = `https://console.developers.google.com/apis/api/${service}/overview?project=${projectNumber}`;
  const message = `${title} has not been used in project ${projectNumber} before or it is disabled. Enable it by visiting ${activationUrl} then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry.`;
  sendGoogleError(res, 403, message, {
    legacy,
    reason: 'accessNotConfigured',
    domain: 'usageLimits',
    extendedHelp: 'https://console.developers.google.com',
    status: 'PERMISSION_DENIED',
    details: [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'SERVICE_DISABLED',
        domain: 'googleapis.com',
        metadata: { service, consumer: `projects/${projectNumber}`, activationUrl, serviceTitle: title, containerInfo: projectNumber },
      },
      { '@type': 'type.googleapis.com/google.rpc.LocalizedMessage', locale: 'en-US', message },
      { '@type': 'type.googleapis.com/google.rpc.Help', links: [{ description: 'Google developers console API activation', url: activationUrl }] },
    ],
  });
}

/** 401 for a missing, unknown or expired bearer token. */
export function sendUnauthenticated(res: ServerResponse, legacy: boolean): void {
  sendGoogleError(
    res,
    401,
    'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
    {
      legacy,
      reason: 'authError',
      location: 'Authorization',
      locationType: 'header',
      status: 'UNAUTHENTICATED',
      details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'ACCESS_TOKEN_TYPE_UNSUPPORTED', domain: 'googleapis.com' }],
      headers: { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' },
    },
  );
}

/** 403 when the token lacks every scope that allows the method. */
export function sendInsufficientScopes(res: ServerResponse, api: GoogleApi, method: string, legacy: boolean, needed: readonly string[]): void {
  sendGoogleError(res, 403, 'Request had insufficient authentication scopes.', {
    legacy,
    reason: 'insufficientPermissions',
    status: 'PERMISSION_DENIED',
    details: [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT',
        domain: 'googleapis.com',
        metadata: { service: API_SERVICES[api].service, method },
      },
    ],
    headers: { 'www-authenticate': `Bearer realm="https://accounts.google.com/", error="insufficient_scope", scope="${needed.join(' ')}"` },
  });
}
