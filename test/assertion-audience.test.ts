import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../src/sandbox/server.js';
import { createHttpClient } from '../src/connectors/sdk/index.js';
import { createTokenSource as microsoftTokens } from '../src/connectors/microsoft/token.js';
import { createTokenSource as googleTokens } from '../src/connectors/google/token.js';
import { parseConfig, resolveEndpoints } from '../src/connectors/google/config.js';

/**
 * Finding 4 of issue 10: a signed assertion's audience is the token endpoint actually called,
 * so an endpoint override (a host that is not Entra ID or Google) receives an assertion that
 * the real providers refuse. A local server stands in for the other host and keeps what it got.
 */
describe('signed assertions are bound to the token endpoint called', () => {
  let sandbox: Sandbox;
  let other: Server;
  let otherUrl: string;
  const forms: URLSearchParams[] = [];

  beforeAll(async () => {
    sandbox = await startSandbox({});
    other = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        forms.push(new URLSearchParams(body));
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"invalid_client"}');
      });
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await sandbox?.close();
    await new Promise((r) => other?.close(r));
  });

  const http = () => createHttpClient({ provider: 'test', maxRetries: 0, sleep: async () => {} });

  it('Entra certificate sign-in: aud is the overridden token endpoint, not login.microsoftonline.com', async () => {
    const ms = sandbox.demo.microsoft;
    const config = { tenantId: ms.tenantId, clientId: ms.clientId, auth: { type: 'certificate' as const, pfxBase64: ms.pfxBase64, pfxPassword: ms.pfxPassword }, endpoints: { login: otherUrl } };
    await expect(microsoftTokens(http(), config, () => new Date()).get()).rejects.toBeTruthy();
    const assertion = forms.at(-1)?.get('client_assertion');
    expect(assertion).toBeTruthy();
    expect(decodeJwt(assertion!).aud).toBe(`${otherUrl}/${ms.tenantId}/oauth2/v2.0/token`);
    // Against the sandbox (its own endpoint as audience) the sign-in still works.
    const ok = microsoftTokens(http(), { ...config, endpoints: { login: sandbox.urls.entra_login } }, () => new Date());
    expect(await ok.get()).toMatch(/\S{20,}/);
  });

  it('Google service-account key: aud is the overridden token endpoint, not oauth2.googleapis.com', async () => {
    const g = sandbox.demo.google;
    const config = parseConfig({ serviceAccountEmail: g.serviceAccountEmail, adminEmail: g.adminEmail, domain: g.domain, auth: { type: 'service_account_key', keyJson: g.serviceAccountKeyJson }, endpoints: { oauth: otherUrl } });
    await expect(googleTokens({ http: http(), now: () => new Date() }, config, resolveEndpoints(config)).serviceAccountSelf()).rejects.toBeTruthy();
    const assertion = forms.at(-1)?.get('assertion');
    expect(assertion).toBeTruthy();
    expect(decodeJwt(assertion!).aud).toBe(`${otherUrl}/token`);
    const real = parseConfig({ ...config, endpoints: { oauth: sandbox.urls.google_oauth, iam: sandbox.urls.google_iam, apis: sandbox.urls.google_apis } });
    expect(await googleTokens({ http: http(), now: () => new Date() }, real, resolveEndpoints(real)).serviceAccountSelf()).toMatch(/\S{20,}/);
  });
});
