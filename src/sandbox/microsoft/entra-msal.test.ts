import { createHash } from 'node:crypto';
import { ConfidentialClientApplication, type INetworkModule } from '@azure/msal-node';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openPfx } from '../../connectors/microsoft/pfx.js';
import { startSandbox, type Sandbox } from '../server.js';
import { msalNetworkClient } from '../../../test/support/msal.js';

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

  const networkClient = (): INetworkModule => msalNetworkClient(sb, (url, body) => void posts.push({ url, body }));

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
  it('write-back calls with an MSAL token (issue 13): the roles claim carries the write permissions; role member and app role assignment DELETE answer 204 then 404, 403 without the permission', async () => {
    const t = sb.demo.microsoft.directoryTenantId;
    const admin = (method: string, path: string, body?: unknown) => fetch(`${sb.urls.admin}/microsoft${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) }).then((r) => r.json() as Promise<Record<string, any>>);
    const token = async () => (await app({ clientSecret: sb.demo.microsoft.clientSecret }, t).acquireTokenByClientCredential({ scopes, skipCache: true }))!.accessToken;
    const del = async (path: string) => fetch(`${sb.urls.graph}/v1.0${path}`, { method: 'DELETE', headers: { authorization: `Bearer ${await token()}` } });
    const role = ((await admin('GET', `/tenants/${t}/roles`))['roles'] as { id: string; displayName: string; members: { id: string }[] }[]).find((r) => r.displayName === 'Helpdesk Administrator')!;
    const sp = ((await admin('GET', `/tenants/${t}/servicePrincipals`))['servicePrincipals'] as { id: string; displayName: string; assignments: { id: string }[] }[]).find((x) => x.displayName === 'Fabrikam Lab Portal')!;
    await admin('POST', `/tenants/${t}/consent`, { permissions: ['Directory.Read.All'] });
    const denied = await del(`/directoryRoles/${role.id}/members/${role.members[0]!.id}/$ref`);
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { error: { code: string } }).error.code).toBe('Authorization_RequestDenied');
    await admin('POST', `/tenants/${t}/consent`, { permissions: ['Directory.Read.All', 'RoleManagement.ReadWrite.Directory', 'AppRoleAssignment.ReadWrite.All'] });
    expect(decodeJwt(await token())['roles']).toEqual(expect.arrayContaining(['RoleManagement.ReadWrite.Directory', 'AppRoleAssignment.ReadWrite.All']));
    expect((await del(`/directoryRoles/${role.id}/members/${role.members[0]!.id}/$ref`)).status).toBe(204);
    expect((await del(`/directoryRoles/${role.id}/members/${role.members[0]!.id}/$ref`)).status).toBe(404);
    expect((await del(`/servicePrincipals/${sp.id}/appRoleAssignedTo/${sp.assignments[0]!.id}`)).status).toBe(204);
    const gone = await del(`/servicePrincipals/${sp.id}/appRoleAssignedTo/${sp.assignments[0]!.id}`);
    expect(gone.status).toBe(404);
    expect(((await gone.json()) as { error: { code: string } }).error.code).toBe('Request_ResourceNotFound');
  });
});
