import { createHash } from 'node:crypto';
import { ConfidentialClientApplication, type INetworkModule, type NetworkResponse } from '@azure/msal-node';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openPfx } from '../../connectors/microsoft/pfx.js';
import { startSandbox, type Sandbox } from '../server.js';

/**
 * Fidelity check with Microsoft's own client library: @azure/msal-node acquires tokens from
 * the sandbox with a certificate (SHA-1 thumbprint → RS256 + x5t; SHA-256 thumbprint → PS256
 * + x5t#S256) and with a client secret, and surfaces the sandbox's AADSTS errors. Option B of
 * providers.md §6: the authority stays https://login.microsoftonline.com/{tenant} (MSAL knows
 * its metadata) and a network client sends that host's requests to the sandbox on loopback.
 */
describe('Entra ID sandbox with @azure/msal-node', () => {
  let sb: Sandbox;
  const posts: { url: string; body: URLSearchParams }[] = [];
  beforeAll(async () => {
    sb = await startSandbox({});
  });
  afterAll(async () => sb.close());
  afterEach(() => {
    sb.faults.clear();
    posts.length = 0;
  });

  const networkClient = (): INetworkModule => {
    const rewrite = (url: string) => url.replace('https://login.microsoftonline.com', sb.urls.entra_login);
    const answer = async <T>(r: Response): Promise<NetworkResponse<T>> => ({
      status: r.status,
      headers: Object.fromEntries([...r.headers.entries()].map(([k, v]) => [k.toLowerCase(), v])),
      body: (await r.json()) as T,
    });
    return {
      async sendGetRequestAsync<T>(url: string, options?: { headers?: Record<string, string> }) {
        return answer<T>(await fetch(rewrite(url), { headers: options?.headers }));
      },
      async sendPostRequestAsync<T>(url: string, options?: { headers?: Record<string, string>; body?: string }) {
        posts.push({ url, body: new URLSearchParams(options?.body ?? '') });
        return answer<T>(await fetch(rewrite(url), { method: 'POST', headers: options?.headers, body: options?.body }));
      },
    };
  };
  const app = (auth: Record<string, unknown>, tenant = sb.demo.microsoft.tenantId) =>
    new ConfidentialClientApplication({
      auth: { clientId: sb.demo.microsoft.clientId, authority: `https://login.microsoftonline.com/${tenant}`, ...auth },
      system: { networkClient: networkClient() },
    });
  const scopes = ['https://graph.microsoft.com/.default'];
  const aadCode = async (p: Promise<unknown>): Promise<string> => {
    try {
      await p;
      return 'no error';
    } catch (e) {
      const m = /AADSTS(\d+)/.exec(String((e as { errorMessage?: string }).errorMessage ?? e));
      return m ? m[1]! : String(e);
    }
  };

  it('certificate by SHA-1 thumbprint: RS256 + x5t, token with the granted roles', async () => {
    const pfx = openPfx(sb.demo.microsoft.pfxBase64, sb.demo.microsoft.pfxPassword);
    const r = await app({ clientCertificate: { thumbprint: pfx.thumbprintSha1Hex, privateKey: pfx.privateKeyPem } }).acquireTokenByClientCredential({ scopes });
    expect(r?.accessToken).toBeTruthy();
    expect(decodeJwt(r!.accessToken)['roles']).toEqual(['User.Read.All', 'Mail.Read']);
    const assertion = posts.at(-1)!.body.get('client_assertion')!;
    expect(decodeProtectedHeader(assertion)).toMatchObject({ alg: 'RS256', x5t: pfx.thumbprintSha1B64u });
    expect(posts.at(-1)!.body.get('x-client-SKU')).toBeTruthy(); // MSAL telemetry, ignored by Entra
  });

  it('certificate by SHA-256 thumbprint: PS256 + x5t#S256', async () => {
    const pfx = openPfx(sb.demo.microsoft.pfxBase64, sb.demo.microsoft.pfxPassword);
    const sha256Hex = createHash('sha256').update(pfx.certificateDer).digest('hex');
    const r = await app({ clientCertificate: { thumbprintSha256: sha256Hex, privateKey: pfx.privateKeyPem } }).acquireTokenByClientCredential({ scopes });
    expect(r?.accessToken).toBeTruthy();
    const header = decodeProtectedHeader(posts.at(-1)!.body.get('client_assertion')!);
    expect(header).toMatchObject({ alg: 'PS256', 'x5t#S256': pfx.thumbprintSha256B64u });
  });

  it('client secret, and the AADSTS errors MSAL surfaces: 7000215, 7000222, 700027, 700016', async () => {
    const ok = await app({ clientSecret: sb.demo.microsoft.clientSecret }).acquireTokenByClientCredential({ scopes });
    expect(decodeJwt(ok!.accessToken)['appidacr']).toBe('1');
    expect(await aadCode(app({ clientSecret: sb.demo.microsoft.clientSecretId }).acquireTokenByClientCredential({ scopes }))).toBe('7000215');
    sb.faults.set(sb.demo.microsoft.tenantId, 'm365.secret_expired');
    expect(await aadCode(app({ clientSecret: sb.demo.microsoft.clientSecret }).acquireTokenByClientCredential({ scopes }))).toBe('7000222');
    sb.faults.set(sb.demo.microsoft.tenantId, 'm365.wrong_certificate');
    const pfx = openPfx(sb.demo.microsoft.pfxBase64, sb.demo.microsoft.pfxPassword);
    expect(await aadCode(app({ clientCertificate: { thumbprint: pfx.thumbprintSha1Hex, privateKey: pfx.privateKeyPem } }).acquireTokenByClientCredential({ scopes }))).toBe('700027');
    sb.faults.set(sb.demo.microsoft.tenantId, 'm365.app_deleted');
    expect(await aadCode(app({ clientSecret: sb.demo.microsoft.clientSecret }).acquireTokenByClientCredential({ scopes }))).toBe('700016');
  });
});
