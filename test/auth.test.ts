import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootApp, type BootedApp } from './support/app.js';
import { apiClient } from './support/auth.js';
import { authSuite } from './auth.suite.js';
import { createLogger } from '../src/runtime/logger.js';
import { selfSignedCertificate } from '../src/sandbox/keys.js';

authSuite('sqlite');

describe('HTTP hardening', () => {
  let app: BootedApp;
  beforeAll(async () => {
    app = await bootApp({ env: { SYNCWARDEN_PUBLIC_URL: 'https://sync.example.test' } });
  }, 60_000);
  afterAll(async () => app?.stop());

  /** A raw request with a chosen Host header (fetch cannot set Host): only for the host check. */
  function withHost(host: string, path: string): Promise<{ status: number; body: string }> {
    const u = new URL(app.url!);
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: u.hostname, port: u.port, path, headers: { host } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('security headers on the UI and the API: strict CSP without inline script, no framing, nosniff, referrer policy; no source map', async () => {
    const anon = await app.as(null);
    const health = await anon('/health');
    expect(health.status).toBe(200);
    const csp = health.headers.get('content-security-policy')!;
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(health.headers.get('x-content-type-options')).toBe('nosniff');
    expect(health.headers.get('referrer-policy')).toBe('same-origin');
    expect(health.headers.get('x-frame-options')).toBe('DENY');
    expect(health.headers.get('strict-transport-security')).toBeNull(); // plain HTTP here
    const index = await withHost('localhost', '/');
    expect(index.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // every script is a file
    const js = /src="(\/assets\/[^"]+\.js)"/.exec(index.body)?.[1];
    if (js) expect((await withHost('localhost', `${js}.map`)).status).toBe(404);
  });

  it('the Host header must be the public URL\'s (or loopback): a rebound name is refused, and links are built from SYNCWARDEN_PUBLIC_URL only', async () => {
    const forged = await withHost('attacker.example:8080', '/api/v1/health');
    expect(forged.status).toBe(421);
    expect(JSON.parse(forged.body).error.code).toBe('http.host_not_allowed');
    expect((await withHost('sync.example.test', '/api/v1/health')).status).toBe(200);
    const made = await app.api('/users', { method: 'POST', body: JSON.stringify({ email: 'link@example.test', role: 'viewer' }) });
    expect(made.body.signInLink).toMatch(/^https:\/\/sync\.example\.test\/#\/sign-in\?link=/);
  });

  it('the consent callback records nothing for a forged, tampered or foreign state', async () => {
    const before = (await app.api('/audit?action=connection.admin&limit=5')).body.events.length;
    for (const state of ['conn_x', 'conn_x.ses_y.zzzz.forgedmacforgedmacforgedmac00', undefined]) {
      const r = await app.api(`/connections/consent-callback?admin_consent=True${state ? `&state=${encodeURIComponent(state)}` : ''}`, { redirect: 'manual' });
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('auth.consent_state_invalid');
    }
    expect((await app.api('/audit?action=connection.admin&limit=5')).body.events.length).toBe(before);
  });

  it('the data folder and the database file are readable by their owner only', () => {
    expect(statSync(app.dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(app.dataDir, 'syncwarden.db')).mode & 0o777).toBe(0o600);
  });
});

describe('TLS, a trusted proxy, and listening beyond loopback', () => {
  it('served over TLS (TLS_CERT/TLS_KEY): HTTPS with HSTS on the answers', async () => {
    const cert = selfSignedCertificate('localhost', new Date(Date.now() - 86_400_000), new Date(Date.now() + 86_400_000));
    const dir = join(tmpdir(), `sw-tls-${Date.now()}`);
    writeFileSync(`${dir}-cert.pem`, cert.certificatePem);
    writeFileSync(`${dir}-key.pem`, cert.privateKeyPem, { mode: 0o600 });
    const app = await bootApp({ env: { TLS_CERT: `${dir}-cert.pem`, TLS_KEY: `${dir}-key.pem` } });
    try {
      expect(app.url).toMatch(/^https:/);
      const u = new URL(app.url!);
      const answer = await new Promise<{ headers: Record<string, string | string[] | undefined>; status: number }>((resolve, reject) => {
        // Our own self-signed certificate: trusted for this one request only.
        const req = httpsRequest({ host: u.hostname, port: u.port, path: '/api/v1/auth/sign-in', method: 'POST', rejectUnauthorized: false, headers: { 'content-type': 'application/json' } }, (res) => {
          res.resume();
          res.on('end', () => resolve({ headers: res.headers, status: res.statusCode ?? 0 }));
        });
        req.on('error', reject);
        req.end(JSON.stringify({ email: 'nobody@example.test', password: 'not-the-password-1' }));
      });
      expect(answer.status).toBe(401);
      expect(answer.headers['strict-transport-security']).toMatch(/max-age=31536000/);
    } finally {
      await app.stop();
    }
  });

  it('behind a trusted proxy that says HTTPS: Secure cookies and HSTS; without the setting the header is not believed', async () => {
    const trusted = await bootApp({ env: { SYNCWARDEN_TRUST_PROXY: '1' } });
    const plain = await bootApp();
    try {
      for (const [app, secure] of [[trusted, true], [plain, false]] as const) {
        const viaProxy = apiClient(app.url!, { 'x-forwarded-proto': 'https' });
        const link = decodeURIComponent(app.firstSignIn!.url.split('link=')[1]!);
        const r = await viaProxy('/auth/link', { method: 'POST', body: JSON.stringify({ link }) });
        expect(r.status).toBe(200);
        expect(r.headers.getSetCookie().every((c) => /; Secure/.test(c))).toBe(secure);
        expect(r.headers.get('strict-transport-security') !== null).toBe(secure);
      }
    } finally {
      await trusted.stop();
      await plain.stop();
    }
  });

  it('listening on every interface without TLS logs a loud error', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk: Buffer, _e, cb) { lines.push(chunk.toString()); cb(); } });
    const app = await bootApp({ host: '0.0.0.0', log: createLogger('error', sink) });
    try {
      expect(lines.join('')).toMatch(/LISTENING ON 0\.0\.0\.0 WITHOUT TLS/);
    } finally {
      await app.stop();
    }
  });
});
