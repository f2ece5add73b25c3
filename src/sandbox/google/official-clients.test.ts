import { admin as directoryClient, auth } from '@googleapis/admin';
import { importPKCS8, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../server.js';

/**
 * Fidelity: Google's own Node clients (@googleapis/admin over google-auth-library) run
 * unchanged against the sandbox with only their endpoints moved. The JWT client's token URL is
 * hard-coded (providers.md §6), so it gets a request interceptor on its transporter (which it
 * hands to gtoken); the other client is an OAuth2Client holding a token minted by hand.
 */
const AUTH = 'https://www.googleapis.com/auth/';
let sb: Sandbox;

beforeAll(async () => {
  sb = await startSandbox({});
  const r = await fetch(`${sb.urls.admin}/google/delegation/authorise`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ scopes: [`${AUTH}admin.directory.group`], propagationMs: 0 }),
  });
  expect(r.status).toBe(200);
});
afterAll(async () => {
  await sb?.close();
});

/** google-auth-library's JWT client for domain-wide delegation, its token request sent to the sandbox. */
function jwtClient(scopes: string[]) {
  const key = JSON.parse(sb.demo.google.serviceAccountKeyJson) as { client_email: string; private_key: string; private_key_id: string };
  const client = new auth.JWT({ email: key.client_email, key: key.private_key, keyId: key.private_key_id, scopes, subject: sb.demo.google.adminEmail });
  client.transporter.interceptors.request.add({
    resolved: async (config) => {
      if (String(config.url) === 'https://oauth2.googleapis.com/token') config.url = new URL(`${sb.urls.google_oauth}/token`);
      return config;
    },
  });
  return client;
}

/** An OAuth2Client holding an access token minted at the sandbox's token endpoint. */
async function tokenClient(scope: string) {
  const key = JSON.parse(sb.demo.google.serviceAccountKeyJson) as { client_email: string; private_key: string };
  const now = Math.floor(Date.now() / 1000);
  const assertion = await new SignJWT({ scope, sub: sb.demo.google.adminEmail })
    .setProtectedHeader({ alg: 'RS256' })
    .setIssuer(key.client_email)
    .setAudience('https://oauth2.googleapis.com/token')
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(await importPKCS8(key.private_key, 'RS256'));
  const r = await fetch(`${sb.urls.google_oauth}/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }) });
  const { access_token } = (await r.json()) as { access_token: string };
  const client = new auth.OAuth2();
  client.setCredentials({ access_token });
  return client;
}

describe('@googleapis/admin directory_v1 against the sandbox', () => {
  it('pages users.list and inserts a user (JWT client with delegation)', async () => {
    const directory = directoryClient({ version: 'directory_v1', rootUrl: `${sb.urls.google_apis}/`, auth: jwtClient([`${AUTH}admin.directory.user`]) });
    const emails: string[] = [];
    let pageToken: string | undefined;
    let pages = 0;
    do {
      const res = await directory.users.list({ customer: 'my_customer', maxResults: 4, orderBy: 'email', projection: 'full', ...(pageToken ? { pageToken } : {}) });
      expect(res.status).toBe(200);
      emails.push(...(res.data.users ?? []).map((u) => u.primaryEmail!));
      pageToken = res.data.nextPageToken ?? undefined;
      pages++;
    } while (pageToken);
    expect(pages).toBe(3);
    expect(emails).toHaveLength(11);

    const email = `official.client@${sb.demo.google.domain}`;
    const made = await directory.users.insert({ requestBody: { primaryEmail: email, name: { givenName: 'Official', familyName: 'Client' }, password: 'a long enough password' } });
    expect(made.data).toMatchObject({ primaryEmail: email, kind: 'admin#directory#user', isAdmin: false });
    await expect(directory.users.insert({ requestBody: { primaryEmail: email, name: { givenName: 'Official', familyName: 'Client' }, password: 'a long enough password' } })).rejects.toMatchObject({ status: 409 });
  });

  it('lists groups and members, deletes a member, and surfaces the 404 of a second delete', async () => {
    const directory = directoryClient({ version: 'directory_v1', rootUrl: `${sb.urls.google_apis}/`, auth: jwtClient([`${AUTH}admin.directory.group`]) });
    const groups = await directory.groups.list({ customer: 'my_customer', maxResults: 200 });
    const staff = groups.data.groups!.find((g) => g.email!.startsWith('staff@'))!;
    expect(staff.directMembersCount).toBe('11');
    const members = await directory.members.list({ groupKey: staff.id!, maxResults: 5 });
    expect(members.data.members).toHaveLength(5);
    expect(members.data.nextPageToken).toBeTruthy();
    const victim = members.data.members!.find((m) => m.role === 'MEMBER')!;
    const del = await directory.members.delete({ groupKey: staff.email!, memberKey: victim.email! });
    expect(del.status).toBe(204);
    await expect(directory.members.delete({ groupKey: staff.email!, memberKey: victim.email! })).rejects.toMatchObject({ status: 404, message: 'Resource Not Found: memberKey' });
    const after = await directory.groups.get({ groupKey: staff.id! });
    expect(after.data.directMembersCount).toBe('10');
  });

  it('write-back calls (issue 13): members.get / hasMember after a delete, roleAssignments.delete then 404, 403 without the rolemanagement scope, a throttled write', async () => {
    const directory = directoryClient({ version: 'directory_v1', rootUrl: `${sb.urls.google_apis}/`, auth: jwtClient([`${AUTH}admin.directory.group`]) });
    const groups = await directory.groups.list({ customer: 'my_customer', maxResults: 200 });
    const group = groups.data.groups!.find((g) => Number(g.directMembersCount) > 2)!;
    const members = await directory.members.list({ groupKey: group.id! });
    const victim = members.data.members!.find((m) => m.role === 'MEMBER' && m.type === 'USER')!;
    expect((await directory.members.get({ groupKey: group.id!, memberKey: victim.id! })).data).toMatchObject({ id: victim.id, role: 'MEMBER' });
    // A throttled write: the Directory's 403 userRateLimitExceeded, as the client surfaces it.
    await fetch(`${sb.urls.admin}/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'google.directory_write_throttle', scope: sb.demo.google.domain }) });
    try {
      await expect(directory.members.delete({ groupKey: group.id!, memberKey: victim.id! })).rejects.toMatchObject({ status: 403, message: expect.stringContaining("limit 'Queries per minute per user'") });
    } finally {
      await fetch(`${sb.urls.admin}/faults?scope=${sb.demo.google.domain}`, { method: 'DELETE' });
    }
    expect((await directory.members.delete({ groupKey: group.id!, memberKey: victim.id! })).status).toBe(204);
    await expect(directory.members.get({ groupKey: group.id!, memberKey: victim.id! })).rejects.toMatchObject({ status: 404 });
    expect((await directory.members.hasMember({ groupKey: group.id!, memberKey: victim.id! })).data.isMember).toBe(false);

    // Role assignments: without the rolemanagement scope delegated, the token request itself is refused.
    const roleClient = directoryClient({ version: 'directory_v1', rootUrl: `${sb.urls.google_apis}/`, auth: jwtClient([`${AUTH}admin.directory.rolemanagement`]) });
    await expect(roleClient.roleAssignments.list({ customer: 'my_customer' })).rejects.toMatchObject({ message: expect.stringMatching(/unauthorized_client/) });
    await fetch(`${sb.urls.admin}/google/delegation/authorise`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ scopes: [`${AUTH}admin.directory.rolemanagement`], propagationMs: 0 }) });
    const roles = directoryClient({ version: 'directory_v1', rootUrl: `${sb.urls.google_apis}/`, auth: jwtClient([`${AUTH}admin.directory.rolemanagement`]) });
    const assignments = await roles.roleAssignments.list({ customer: 'my_customer' });
    const superAdminRole = (await roles.roles.list({ customer: 'my_customer' })).data.items!.find((r) => r.isSuperAdminRole)!;
    const one = assignments.data.items!.find((a) => a.roleId !== superAdminRole.roleId)!;
    expect((await roles.roleAssignments.delete({ customer: 'my_customer', roleAssignmentId: one.roleAssignmentId! })).status).toBe(204);
    await expect(roles.roleAssignments.delete({ customer: 'my_customer', roleAssignmentId: one.roleAssignmentId! })).rejects.toMatchObject({ status: 404 });
    const left = await roles.roleAssignments.list({ customer: 'my_customer', userKey: one.assignedTo! });
    expect((left.data.items ?? []).some((a) => a.roleAssignmentId === one.roleAssignmentId)).toBe(false);
  });

  it('works with an OAuth2Client holding a sandbox-minted token, and reports paging caps as errors', async () => {
    const directory = directoryClient({ version: 'directory_v1', rootUrl: `${sb.urls.google_apis}/`, auth: await tokenClient(`${AUTH}admin.directory.group.readonly`) });
    const members = await directory.members.list({ groupKey: `projects@${sb.demo.google.domain}`, includeDerivedMembership: true });
    expect(members.data.members!.map((m) => m.type)).toContain('EXTERNAL');
    await expect(directory.groups.list({ customer: 'my_customer', maxResults: 201 })).rejects.toMatchObject({ status: 400 });
    await expect(directory.users.list({ customer: 'my_customer' })).rejects.toMatchObject({ status: 403, message: 'Request had insufficient authentication scopes.' });
  });
});
