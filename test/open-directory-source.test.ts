import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../src/sandbox/server.js';
import { directoryScopeOf, openDirectorySource, requireConnection } from '../src/connections/service.js';
import type { DirectoryMembership, DirectoryRecord } from '../src/connectors/sdk/index.js';
import { DEFAULT_TENANT } from '../src/api/route.js';
import { bootApp } from './support/app.js';
import { sandboxAdmin } from './support/sandbox-admin.js';
import { awsBody, entraDirectoryBody, googleDirectoryBody, googleKeyCredential, scimBody, tokenProviderKeyEnv } from './support/connections.js';

/**
 * `openDirectorySource`, the identity inventory's way in: a stored connection becomes its
 * connector, built through the kind registry with the credential in use, the config and the
 * write-back consent — `revoke` only with consent — and reads the sandbox's directories.
 */
describe('openDirectorySource', () => {
  let sandbox: Sandbox;
  let app: Awaited<ReturnType<typeof bootApp>>;

  beforeAll(async () => {
    sandbox = await startSandbox({});
    const keyEnv = tokenProviderKeyEnv(sandbox);
    app = await bootApp({ env: keyEnv });
  });
  afterAll(async () => {
    await app?.stop();
    await sandbox?.close();
  });

  async function open(body: unknown) {
    const created = await app.api('/connections', { method: 'POST', body: JSON.stringify(body) });
    expect(created.status, created.text).toBe(201);
    const row = await requireConnection(app.rt, DEFAULT_TENANT, created.body.id);
    return { id: created.body.id as string, row, source: await openDirectorySource(app.rt, DEFAULT_TENANT, row) };
  }

  /** Every record of a stream's full pass (per-group streams for the first few groups). */
  async function readAll(source: Awaited<ReturnType<typeof openDirectorySource>>, stream: string, parent?: string): Promise<DirectoryRecord[]> {
    const out: DirectoryRecord[] = [];
    let cursor: string | null = null;
    do {
      const page = await source.read(stream, cursor, parent);
      out.push(...page.items);
      cursor = page.next;
    } while (cursor);
    return out;
  }

  it.each([
    ['Entra ID (certificate)', () => entraDirectoryBody(sandbox, { name: 'Open Entra' })],
    ['Google Workspace (keyless)', () => googleDirectoryBody(sandbox, { name: 'Open Google keyless' })],
    ['Google Workspace (key)', () => googleDirectoryBody(sandbox, { name: 'Open Google key', credential: googleKeyCredential(sandbox) })],
    ['AWS IAM (assume role)', () => awsBody(sandbox, { name: 'Open AWS', method: 'assume_role' })],
    ['SCIM', () => scimBody(sandbox, { name: 'Open SCIM' })],
  ])('%s: read-only, reads its accounts from the provider, checks pass', async (_name, body) => {
    const { source, row } = await open(body());
    expect(source.revoke).toBeUndefined();
    const first = source.streams.find((s) => s.yields.includes('account') && !s.perGroup)!;
    const accounts = (await readAll(source, first.name)).filter((r) => r.type === 'account');
    expect(accounts.length).toBeGreaterThan(5);
    expect((await source.checks()).filter((f) => f.status === 'fail')).toEqual([]);
    expect(directoryScopeOf(row)).toEqual({ includeGuests: false, includeExternal: false, includeDisabled: false });
  });

  it('with write-back consent the source can revoke; it signs in with the credential in use after a rotation', async () => {
    const { id } = await open(scimBody(sandbox, { name: 'Open SCIM write-back', config: { scope: { includeGuests: true } } }));
    await app.api(`/connections/${id}/write-back`, { method: 'POST', body: JSON.stringify({ enabled: true }) });
    // Rotate to a token issued now; the old one is revoked in the app.
    const issued = await sandboxAdmin<{ id: string; token: string }>(sandbox, 'POST', `/scim/tenants/${sandbox.demo.scim.tenant}/tokens`, { label: 'rotated', rights: 'read_write' });
    const added = await app.api(`/connections/${id}/credentials`, { method: 'POST', body: JSON.stringify({ type: 'bearer_token', token: issued.token }) });
    expect(added.body.test.ok).toBe(true);
    await app.api(`/connections/${id}/credentials/${added.body.credential.id}/switch`, { method: 'POST', body: JSON.stringify({ retirePrevious: true }) });
    const tokens = (await sandboxAdmin<{ tokens: { id: string; label: string }[] }>(sandbox, 'GET', `/scim/tenants/${sandbox.demo.scim.tenant}/tokens`)).tokens;
    await sandboxAdmin(sandbox, 'DELETE', `/scim/tenants/${sandbox.demo.scim.tenant}/tokens/${tokens.find((t) => t.label === 'Syncwarden (read/write)')!.id}`);

    const row = await requireConnection(app.rt, DEFAULT_TENANT, id);
    expect(directoryScopeOf(row)).toEqual({ includeGuests: true, includeExternal: false, includeDisabled: false });
    const source = await openDirectorySource(app.rt, DEFAULT_TENANT, row, { http: { maxRetries: 1 } });
    expect(source.revoke).toBeDefined();
    const membership = (await readAll(source, 'groups')).find((r): r is DirectoryMembership => r.type === 'membership' && r.memberType === 'account')!;
    const target = { type: 'membership', groupId: membership.groupId, memberId: membership.memberId, memberType: 'account' } as const;
    expect(await source.revoke!(target)).toBe('revoked');
    expect(await source.revoke!(target)).toBe('already_gone');

    // Write-back turned off: the next source cannot revoke.
    await app.api(`/connections/${id}/write-back`, { method: 'POST', body: JSON.stringify({ enabled: false }) });
    expect((await openDirectorySource(app.rt, DEFAULT_TENANT, await requireConnection(app.rt, DEFAULT_TENANT, id))).revoke).toBeUndefined();
  });

  it('refuses a connection of another role', async () => {
    const created = await app.api('/connections', { method: 'POST', body: JSON.stringify({ ...entraDirectoryBody(sandbox, { name: 'Continuity' }), role: 'continuity_source' }) });
    const row = await requireConnection(app.rt, DEFAULT_TENANT, created.body.id);
    await expect(openDirectorySource(app.rt, DEFAULT_TENANT, row)).rejects.toThrow(/not a directory/);
  });
});
