import { randomUUID, createPrivateKey } from 'node:crypto';
import { SignJWT, decodeJwt } from 'jose';
import { z } from 'zod';
import { AppError } from '../../errors/index.js';
import type { HttpClient } from '../sdk/index.js';
import { DEFAULT_LOGIN, type MicrosoftConnectorConfig } from './config.js';
import { openPfx, type OpenedPfx } from './pfx.js';

/**
 * Client-credentials tokens from Entra ID (v2.0 endpoint, scope `https://graph.microsoft.com/.default`).
 *
 * The client assertion is RS256 with an `x5t` (SHA-1 thumbprint) header: msal-node's
 * thumbprint path. The current docs prefer PS256 + `x5t#S256`, but a report against the docs
 * (MicrosoftDocs/entra-docs#1301) shows `x5t#S256` rejected with AADSTS700027 in some tenants
 * while `x5t` works everywhere; we take the form that works everywhere.
 * https://learn.microsoft.com/entra/identity-platform/certificate-credentials
 *
 * Errors are classified by `error_codes` (AADSTS numbers), never by message text.
 */
const tokenResponse = z.object({ access_token: z.string().min(1), expires_in: z.coerce.number(), token_type: z.string() });
const errorResponse = z.object({ error: z.string(), error_codes: z.array(z.number()).optional(), error_description: z.string().optional() });

export interface TokenSource {
  /** A valid access token (cached until 5 minutes before expiry). */
  get(): Promise<string>;
  /** Forgets the cached token (after Graph said 401). */
  invalidate(): void;
  /** Granted application permissions, read from the token's `roles` claim. */
  roles(): Promise<string[]>;
  /** Entra's clock (its Date header) minus ours at the last token response, in ms; null before one. */
  clockSkewMs(): number | null;
}

export function tokenUrl(config: MicrosoftConnectorConfig): string {
  return `${config.endpoints?.login ?? DEFAULT_LOGIN}/${encodeURIComponent(config.tenantId)}/oauth2/v2.0/token`;
}

export function createTokenSource(http: HttpClient, config: MicrosoftConnectorConfig, now: () => Date): TokenSource {
  let cached: { token: string; expiresAt: number } | null = null;
  let skewMs: number | null = null;
  let pfx: OpenedPfx | null = null;
  const url = tokenUrl(config);
  // The assertion's audience is the token endpoint actually called: one made for an overridden
  // endpoint cannot be replayed at Entra ID by whoever runs that endpoint.
  const audience = url;

  async function credentialParams(): Promise<Record<string, string>> {
    if (config.auth.type === 'client_secret') return { client_secret: config.auth.clientSecret };
    pfx ??= openPfx(config.auth.pfxBase64, config.auth.pfxPassword);
    if (pfx.notAfter.getTime() <= now().getTime()) {
      throw new AppError('m365.certificate_expired', { notAfter: pfx.notAfter.toISOString().slice(0, 10) });
    }
    const nowS = Math.floor(now().getTime() / 1000);
    const assertion = await new SignJWT({ jti: randomUUID() })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', x5t: pfx.thumbprintSha1B64u })
      .setIssuer(config.clientId)
      .setSubject(config.clientId)
      .setAudience(audience)
      .setIssuedAt(nowS)
      .setNotBefore(nowS)
      .setExpirationTime(nowS + 600)
      .sign(createPrivateKey(pfx.privateKeyPem));
    return { client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion };
  }

  async function fetchToken(): Promise<{ token: string; expiresAt: number }> {
    const form = new URLSearchParams({
      client_id: config.clientId,
      scope: 'https://graph.microsoft.com/.default',
      grant_type: 'client_credentials',
      ...(await credentialParams()),
    });
    const res = await http.request({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
      idempotent: true, // a token request has no side effect
    });
    const date = Date.parse(res.headers.get('date') ?? '');
    // The Date header has whole seconds: differences under 2 s are noise.
    if (!Number.isNaN(date)) skewMs = Math.abs(date - now().getTime()) < 2_000 ? 0 : date - now().getTime();
    const body = res.json();
    if (res.status === 200) {
      const ok = tokenResponse.safeParse(body);
      if (!ok.success) throw new AppError('provider.bad_response', { provider: 'Entra ID', detail: 'the token response has no access_token' });
      return { token: ok.data.access_token, expiresAt: now().getTime() + ok.data.expires_in * 1000 };
    }
    if (res.status === 429) throw new AppError('sync.rate_limited', { provider: 'Entra ID' });
    if (res.status >= 500) throw new AppError('provider.unavailable', { provider: 'Entra ID', status: res.status });
    const err = errorResponse.safeParse(body);
    if (!err.success) throw new AppError('provider.bad_response', { provider: 'Entra ID', detail: `HTTP ${res.status} without an OAuth error body` });
    throw classifyAadError(err.data.error, err.data.error_codes ?? [], config, pfx, err.data.error_description, now());
  }

  return {
    async get() {
      if (cached && cached.expiresAt - 300_000 > now().getTime()) return cached.token;
      cached = await fetchToken();
      return cached.token;
    },
    invalidate() {
      cached = null;
    },
    clockSkewMs: () => skewMs,
    async roles() {
      const token = await this.get();
      const claims = decodeJwt(token);
      return Array.isArray(claims['roles']) ? (claims['roles'] as unknown[]).filter((r): r is string => typeof r === 'string') : [];
    },
  };
}

/** AADSTS codes → catalogue (providers.md §1.5). */
export function classifyAadError(error: string, codes: readonly number[], config: MicrosoftConnectorConfig, pfx: OpenedPfx | null, description = '', now: Date = new Date()): AppError {
  const has = (c: number) => codes.includes(c);
  // AADSTS700027 covers both "key not found" and "key expired"; only its Reason text tells
  // them apart, and they have different fixes (providers.md §1.5).
  if (has(700027) && /key used is expired/i.test(description)) {
    // Entra judges the key registered on the app, not our file. When the file is still in date,
    // saying "passed its expiry date (<a future date>)" would contradict the card: name both
    // facts instead — Entra's refusal (and the end date it quotes, when it quotes one) and the
    // file's own date.
    if (pfx && pfx.notAfter.getTime() > now.getTime()) {
      return new AppError('m365.certificate_refused_as_expired', {
        fileNotAfter: pfx.notAfter.toISOString().slice(0, 10),
        thumbprint: pfx.thumbprintSha1Hex,
        providerEnd: entraKeyEnd(description) ?? 'a date it does not say',
      });
    }
    return new AppError('m365.certificate_expired', { notAfter: pfx ? pfx.notAfter.toISOString().slice(0, 10) : 'its end date in Entra ID' });
  }
  if (has(7000222)) return new AppError('m365.client_secret_expired');
  if (has(7000215) || has(7000218)) return new AppError('m365.client_secret_invalid');
  if (has(700027) || has(700024) || has(50048)) return new AppError('m365.certificate_not_registered', { thumbprint: pfx?.thumbprintSha1Hex ?? 'unknown' });
  if (has(700016) || has(7000112)) return new AppError('m365.app_not_found', { clientId: config.clientId, tenant: config.tenantId });
  if (has(90002) || has(900023)) return new AppError('m365.tenant_not_found', { tenant: config.tenantId });
  return new AppError('provider.bad_response', { provider: 'Entra ID', detail: `${error} (AADSTS${codes.join(',') || '?'})` });
}

/**
 * The end date Entra quotes for the key it found ("Found key 'Start=…, End=…'"), or null. The
 * description is provider text, so only a short date-like value is taken from it.
 */
export function entraKeyEnd(description: string): string | null {
  const m = /End=([0-9][0-9/:.\- TZ]{5,30}?)['\],]/.exec(description);
  return m ? m[1]!.trim() : null;
}
