import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogue, catalogueSections, errorCodes } from './catalogue.js';
import { AppError, parseStoredError, toAppError } from './app-error.js';
import { renderError } from './render.js';
import { renderErrorsMarkdown } from './docs.js';
import { logLevelOf, retryDecision } from './policy.js';

describe('error catalogue', () => {
  it('no code is defined in two sections (a later section would silently win)', () => {
    const seen = new Map<string, number>();
    catalogueSections.forEach((section, i) => {
      for (const code of Object.keys(section)) {
        expect(seen.has(code), `${code} is in sections ${seen.get(code)} and ${i}`).toBe(false);
        seen.set(code, i);
      }
    });
    expect(seen.size).toBe(errorCodes.length);
  });

  it('Microsoft and Google fixes name the connection by its kind: the same code comes from a continuity and a directory connection', () => {
    for (const code of errorCodes.filter((c) => c.startsWith('google.') || c.startsWith('m365.'))) {
      expect(catalogue[code].resolution, code).not.toMatch(/Destination Connection|Source Connection/);
    }
  });

  it('codes are area.reason and every entry is written out', () => {
    for (const code of errorCodes) {
      expect(code).toMatch(/^[a-z0-9]+\.[a-z0-9_]+$/);
      const d = catalogue[code];
      expect(d.title.length, code).toBeGreaterThan(3);
      expect(d.cause.length, code).toBeGreaterThan(10);
      expect(d.resolution.length, code).toBeGreaterThan(10);
      expect(d.http, code).toBeGreaterThanOrEqual(400);
    }
  });

  it('covers every row of the seed articles\' troubleshooting tables', () => {
    // Each seed row, by the title the article gives it, maps to a code.
    const rows: Record<string, string> = {
      'Certificate expired': 'm365.certificate_expired',
      'Wrong PFX file uploaded': 'm365.certificate_not_registered',
      'Certificate not uploaded to Azure AD': 'm365.certificate_not_registered',
      'Insufficient permissions': 'm365.permission_missing',
      'Incorrect Tenant ID or Client ID (tenant)': 'm365.tenant_not_found',
      'Incorrect Tenant ID or Client ID (client)': 'm365.app_not_found',
      'App registration deleted': 'm365.app_not_found',
      'Token Creator role not granted': 'google.token_creator_missing',
      'Wrong service account email': 'google.service_account_not_found',
      'Domain-wide delegation scopes wrong or missing': 'google.delegation_missing',
      'API not enabled': 'google.api_disabled',
      'Service account deleted': 'google.service_account_not_found',
      'Authentication token expired': 'sync.auth_token_expired',
      'User not found in source': 'sync.user_not_found_in_source',
      'API rate limit exceeded': 'sync.rate_limited',
      'User creation failed in Google': 'google.user_create_failed',
      'Policy is disabled': 'sync.policy_disabled',
      'Client secret expired (directory article)': 'm365.client_secret_expired',
      'Service-account key expired (directory article)': 'google.key_rejected',
      'AWS access key or assumed-role trust expired (directory article)': 'aws.access_key_invalid',
      'Item size limits': 'item.too_large',
      'Encryption': 'item.encrypted',
      'Unsupported formats': 'item.unsupported_type',
    };
    for (const [row, code] of Object.entries(rows)) expect(errorCodes, row).toContain(code);
  });

  it('renders params into cause and resolution', () => {
    const r = renderError('google.api_disabled', { api: 'Gmail API', project: 'p-1' });
    expect(r.message).toBe('The Gmail API is disabled in Google Cloud project p-1.');
    expect(r.resolution).toContain('"Gmail API"');
    expect(new AppError('google.api_disabled', { api: 'Gmail API', project: 'p-1' }).message).toBe(r.message);
  });

  it('wraps anything thrown, and reads back stored errors safely', () => {
    expect(toAppError(new TypeError('boom')).code).toBe('internal.unexpected');
    expect(parseStoredError('{"code":"item.encrypted","params":{}}')).toEqual({ code: 'item.encrypted', params: {} });
    expect(parseStoredError('{"code":"no.such","params":{}}')?.code).toBe('internal.unexpected');
    expect(parseStoredError('not json')).toBeNull();
  });

  it('decides retries from the code, honouring Retry-After', () => {
    expect(retryDecision('m365.client_secret_invalid', 1, undefined)).toEqual({ retry: false });
    expect(retryDecision('sync.rate_limited', 1, 7000)).toEqual({ retry: true, delayMs: 7000 });
    const backoff = retryDecision('provider.unavailable', 3, undefined, { random: () => 0.5, baseMs: 100 });
    expect(backoff).toEqual({ retry: true, delayMs: 400 });
    expect(retryDecision('provider.unavailable', 6, undefined)).toEqual({ retry: false });
    expect(logLevelOf('item.too_large')).toBe('warn');
    expect(logLevelOf('google.token_creator_missing')).toBe('error');
  });

  it('docs/errors.md is current (run `npm run docs:errors` after changing the catalogue)', () => {
    const file = join(__dirname, '..', '..', 'docs', 'errors.md');
    if (process.env['UPDATE_DOCS'] === '1') writeFileSync(file, renderErrorsMarkdown());
    const checkedIn = readFileSync(file, 'utf8');
    expect(checkedIn).toBe(renderErrorsMarkdown());
  });
});
