import { importPKCS8, SignJWT } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../server.js';

/** Admin SDK Directory conformance, spoken to as a raw HTTP client would (providers.md §3.5, §3.6). */
const AUTH = 'https://www.googleapis.com/auth/';
const S = {
  user: `${AUTH}admin.directory.user`,
  userRo: `${AUTH}admin.directory.user.readonly`,
  group: `${AUTH}admin.directory.group`,
  groupRo: `${AUTH}admin.directory.group.readonly`,
  member: `${AUTH}admin.directory.group.member`,
  memberRo: `${AUTH}admin.directory.group.member.readonly`,
  roles: `${AUTH}admin.directory.rolemanagement`,
  rolesRo: `${AUTH}admin.directory.rolemanagement.readonly`,
};
const DIR = '/admin/directory/v1';

let sb: Sandbox;
let offsetMs = 0;
const clock = (): number => Date.now() + offsetMs;

beforeAll(async () => {
  sb = await startSandbox({ now: clock });
  // The write scopes these tests use, settled at once.
  await admin('POST', '/google/delegation/authorise', { scopes: [S.member, S.roles, S.group, S.memberRo], propagationMs: 0 });
});
afterAll(async () => {
  await sb?.close();
});
beforeEach(async () => {
  offsetMs = 0;
  await admin('DELETE', '/faults');
});

async function admin(method: string, path: string, body?: unknown): Promise<any> {
  const r = await fetch(`${sb.urls.admin}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  if (r.status >= 400) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

async function exchange(sub: string, scope: string): Promise<{ status: number; body: any }> {
  const key = JSON.parse(sb.demo.google.serviceAccountKeyJson) as { private_key: string; client_email: string };
  const now = Math.floor(clock() / 1000);
  const jwt = await new SignJWT({ scope, sub })
    .setProtectedHeader({ alg: 'RS256' })
    .setIssuer(key.client_email)
    .setAudience('https://oauth2.googleapis.com/token')
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(await importPKCS8(key.private_key, 'RS256'));
  const r = await fetch(`${sb.urls.google_oauth}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: jwt }),
  });
  return { status: r.status, body: await r.json() };
}

async function token(scope: string, sub = sb.demo.google.adminEmail): Promise<string> {
  const r = await exchange(sub, scope);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.access_token as string;
}

async function api(path: string, tok: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: any }> {
  const r = await fetch(`${sb.urls.google_apis}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${tok}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : undefined };
}

async function all(path: string, tok: string, key: string): Promise<any[]> {
  const out: any[] = [];
  let pageToken = '';
  do {
    const r = await api(`${path}${path.includes('?') ? '&' : '?'}${pageToken ? `pageToken=${pageToken}` : ''}`, tok);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    out.push(...(r.body[key] ?? []));
    pageToken = r.body.nextPageToken ?? '';
  } while (pageToken);
  return out;
}

describe('users', () => {
  it('lists in pages of at most 500, defaults to 100, filters by query, and reads full projections', async () => {
    const t = await token(S.userRo);
    const tooMany = await api(`${DIR}/users?customer=my_customer&maxResults=501`, t);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.errors[0]).toMatchObject({ reason: 'invalidParameter', location: 'maxResults' });
    const users = await all(`${DIR}/users?customer=my_customer&maxResults=3`, t, 'users');
    expect(users).toHaveLength(11);
    expect(users.map((u) => u.primaryEmail)).toEqual(users.map((u) => u.primaryEmail).sort());
    const adminUser = users.find((u) => u.primaryEmail === sb.demo.google.adminEmail);
    expect(adminUser).toMatchObject({ kind: 'admin#directory#user', isAdmin: true, customerId: sb.demo.google.customerId, lastLoginTime: '1970-01-01T00:00:00.000Z' });
    expect(users.filter((u) => u.isDelegatedAdmin)).toHaveLength(1);
    expect(users.filter((u) => u.externalIds?.[0]?.type === 'organization')).toHaveLength(10);

    const admins = await api(`${DIR}/users?customer=my_customer&query=${encodeURIComponent('isAdmin=true')}`, t);
    expect(admins.body.users.map((u: any) => u.primaryEmail)).toEqual([sb.demo.google.adminEmail]);
    const bad = await api(`${DIR}/users?customer=my_customer&query=${encodeURIComponent('shoeSize=9')}`, t);
    expect(bad.status).toBe(400);
    const full = await api(`${DIR}/users/${sb.demo.google.adminEmail}?projection=full`, t);
    expect(full.body.customSchemas).toEqual({});
    const other = await api(`${DIR}/users?customer=C999999`, t);
    expect(other.status).toBe(403);
    expect(other.body.error.message).toBe('Not Authorized to access this resource/api');
  });

  it('trims a response to the requested fields', async () => {
    const t = await token(S.userRo);
    const r = await api(`${DIR}/users?customer=my_customer&maxResults=2&fields=${encodeURIComponent('nextPageToken,users(id,name/givenName)')}`, t);
    expect(Object.keys(r.body).sort()).toEqual(['nextPageToken', 'users']);
    expect(Object.keys(r.body.users[0]).sort()).toEqual(['id', 'name']);
    expect(Object.keys(r.body.users[0].name)).toEqual(['givenName']);
    expect((await api(`${DIR}/users?customer=my_customer&fields=users(`, t)).status).toBe(400);
  });

  it('inserts (409 for a duplicate), deletes (204, then 404), and shows the deleted user with showDeleted', async () => {
    const t = await token(S.user);
    const email = `temp.user@${sb.demo.google.domain}`;
    const made = await api(`${DIR}/users`, t, { method: 'POST', body: { primaryEmail: email, name: { givenName: 'Temp', familyName: 'User' }, password: 'correct horse battery' } });
    expect(made.status).toBe(200);
    const dup = await api(`${DIR}/users`, t, { method: 'POST', body: { primaryEmail: email, name: { givenName: 'Temp', familyName: 'User' }, password: 'correct horse battery' } });
    expect(dup).toEqual({ status: 409, body: { error: { code: 409, message: 'Entity already exists.', errors: [{ message: 'Entity already exists.', domain: 'global', reason: 'duplicate' }], status: 'ALREADY_EXISTS' } } });
    expect((await api(`${DIR}/users/${email}`, t, { method: 'DELETE' })).status).toBe(204);
    const again = await api(`${DIR}/users/${email}`, t, { method: 'DELETE' });
    expect(again.status).toBe(404);
    expect(again.body.error).toMatchObject({ code: 404, message: 'Resource Not Found: userKey', errors: [{ reason: 'notFound' }] });
    const deleted = await api(`${DIR}/users?customer=my_customer&showDeleted=true`, t);
    expect(deleted.body.users).toEqual([expect.objectContaining({ primaryEmail: email, deletionTime: expect.any(String) })]);
    // A just-deleted user cannot be impersonated any more.
    expect((await exchange(email, S.userRo)).body).toEqual({ error: 'invalid_grant', error_description: 'Account has been deleted' });
  });
});

describe('groups and members', () => {
  it('lists groups (at most 200 a page) and the groups of a member', async () => {
    const t = await token(S.groupRo);
    expect((await api(`${DIR}/groups?customer=my_customer&maxResults=201`, t)).status).toBe(400);
    const groups = await all(`${DIR}/groups?customer=my_customer&maxResults=2`, t, 'groups');
    expect(groups.map((g) => g.email)).toEqual(['engineering', 'everyone', 'it-admins', 'projects', 'staff'].map((l) => `${l}@${sb.demo.google.domain}`));
    expect(groups.find((g) => g.email.startsWith('staff@'))).toMatchObject({ kind: 'admin#directory#group', directMembersCount: '11', adminCreated: true });
    const mine = await api(`${DIR}/groups?userKey=${sb.demo.google.adminEmail}`, t);
    expect(mine.body.groups.map((g: any) => g.email.split('@')[0])).toEqual(['it-admins', 'staff']);
    expect((await api(`${DIR}/groups?userKey=${sb.demo.google.adminEmail}&customer=my_customer`, t)).status).toBe(400);
    const missing = await api(`${DIR}/groups/nope@${sb.demo.google.domain}`, t);
    expect(missing.body.error).toMatchObject({ code: 404, message: 'Resource Not Found: groupKey' });
  });

  it('lists members with every member type, a roles filter and derived membership', async () => {
    const t = await token(S.memberRo);
    const d = sb.demo.google.domain;
    const projects = await all(`${DIR}/groups/projects@${d}/members?maxResults=1`, t, 'members');
    expect(projects.map((m) => [m.type, m.role, m.email])).toEqual([
      ['GROUP', 'MEMBER', `engineering@${d}`],
      ['USER', 'OWNER', expect.stringMatching(new RegExp(`@${d}$`))],
      ['USER', 'MEMBER', 'partner@contoso.test'],
      ['EXTERNAL', 'MEMBER', 'auditor@fabrikam.test'],
    ]);
    const everyone = await api(`${DIR}/groups/everyone@${d}/members`, t);
    expect(everyone.body.members).toEqual([expect.objectContaining({ type: 'CUSTOMER', id: sb.demo.google.customerId })]);
    expect(everyone.body.members[0].email).toBeUndefined();
    const owners = await api(`${DIR}/groups/engineering@${d}/members?roles=OWNER,MANAGER`, t);
    expect(owners.body.members.map((m: any) => m.role)).toEqual(['OWNER', 'MANAGER']);
    expect((await api(`${DIR}/groups/engineering@${d}/members?roles=BOSS`, t)).status).toBe(400);
    expect((await api(`${DIR}/groups/engineering@${d}/members?maxResults=201`, t)).status).toBe(400);
    const derived = await api(`${DIR}/groups/projects@${d}/members?includeDerivedMembership=true`, t);
    expect(derived.body.members).toHaveLength(4 + 5);
  });

  it('inserts (409 "Member already exists."), deletes (204, then 404 memberKey)', async () => {
    const t = await token(S.member);
    const d = sb.demo.google.domain;
    const group = `engineering@${d}`;
    const adminEmail = sb.demo.google.adminEmail;
    const added = await api(`${DIR}/groups/${group}/members`, t, { method: 'POST', body: { email: adminEmail, role: 'MANAGER' } });
    expect(added).toMatchObject({ status: 200, body: { kind: 'admin#directory#member', email: adminEmail, role: 'MANAGER', type: 'USER', status: 'ACTIVE' } });
    const dup = await api(`${DIR}/groups/${group}/members`, t, { method: 'POST', body: { email: adminEmail } });
    expect(dup).toEqual({ status: 409, body: { error: { code: 409, message: 'Member already exists.', errors: [{ message: 'Member already exists.', domain: 'global', reason: 'duplicate' }], status: 'ALREADY_EXISTS' } } });
    const outsider = await api(`${DIR}/groups/${group}/members`, t, { method: 'POST', body: { email: 'consultant@elsewhere.example' } });
    expect(outsider.body).toMatchObject({ type: 'EXTERNAL', email: 'consultant@elsewhere.example' });
    expect((await api(`${DIR}/groups/${group}/members/${adminEmail}`, t, { method: 'DELETE' })).status).toBe(204);
    expect((await api(`${DIR}/groups/${group}/members/consultant@elsewhere.example`, t, { method: 'DELETE' })).status).toBe(204);
    const gone = await api(`${DIR}/groups/${group}/members/${adminEmail}`, t, { method: 'DELETE' });
    expect(gone).toEqual({ status: 404, body: { error: { code: 404, message: 'Resource Not Found: memberKey', errors: [{ message: 'Resource Not Found: memberKey', domain: 'global', reason: 'notFound' }], status: 'NOT_FOUND' } } });
  });
});

describe('roles and role assignments', () => {
  it('lists roles and assignments, filters by user or role, and deletes an assignment', async () => {
    const t = await token(S.rolesRo);
    const roles = await api(`${DIR}/customer/my_customer/roles`, t);
    const seed = roles.body.items.find((r: any) => r.roleName === '_SEED_ADMIN_ROLE');
    expect(seed).toMatchObject({ kind: 'admin#directory#role', isSuperAdminRole: true, isSystemRole: true });
    const assignments = await api(`${DIR}/customer/my_customer/roleassignments`, t);
    expect(assignments.body.items).toHaveLength(3);
    expect(assignments.body.items.map((a: any) => a.assigneeType).sort()).toEqual(['GROUP', 'USER', 'USER']);
    const ofAdmin = await api(`${DIR}/customer/my_customer/roleassignments?userKey=${sb.demo.google.adminEmail}`, t);
    expect(ofAdmin.body.items).toEqual([expect.objectContaining({ roleId: seed.roleId, scopeType: 'CUSTOMER' })]);
    const ofRole = await api(`${DIR}/customer/my_customer/roleassignments?roleId=${seed.roleId}`, t);
    expect(ofRole.body.items).toHaveLength(1);
    expect((await api(`${DIR}/customer/my_customer/roleassignments?roleId=${seed.roleId}&userKey=${sb.demo.google.adminEmail}`, t)).status).toBe(400);
    expect((await api(`${DIR}/customer/my_customer/roles?maxResults=101`, t)).status).toBe(400);

    const w = await token(S.roles);
    const reader = assignments.body.items.find((a: any) => a.assigneeType === 'GROUP');
    expect((await api(`${DIR}/customer/my_customer/roleassignments/${reader.roleAssignmentId}`, t, { method: 'DELETE' })).status).toBe(403);
    expect((await api(`${DIR}/customer/my_customer/roleassignments/${reader.roleAssignmentId}`, w, { method: 'DELETE' })).status).toBe(204);
    expect((await api(`${DIR}/customer/my_customer/roleassignments/${reader.roleAssignmentId}`, w, { method: 'DELETE' })).status).toBe(404);
    await api(`${DIR}/customer/my_customer/roleassignments`, w, { method: 'POST', body: { roleId: reader.roleId, assignedTo: reader.assignedTo, scopeType: 'CUSTOMER' } });
  });
});

describe('who may call what', () => {
  it('allows each method only with one of its scopes', async () => {
    const d = sb.demo.google.domain;
    const memberRo = await token(S.memberRo);
    expect((await api(`${DIR}/groups/staff@${d}/members`, memberRo)).status).toBe(200);
    const denied = await api(`${DIR}/groups/staff@${d}/members/${sb.demo.google.adminEmail}`, memberRo, { method: 'DELETE' });
    expect(denied.status).toBe(403);
    expect(denied.body.error.errors[0].reason).toBe('insufficientPermissions');
    expect(denied.body.error.details[0]).toMatchObject({ reason: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT', metadata: { service: 'admin.googleapis.com', method: 'directory.members.delete' } });
    expect((await api(`${DIR}/groups?customer=my_customer`, memberRo)).status).toBe(403);
    expect((await api(`${DIR}/customer/my_customer/roles`, await token(S.groupRo))).status).toBe(403);
    expect((await api(`${DIR}/users?customer=my_customer`, await token(S.userRo))).status).toBe(200);
  });

  it('answers 403 "Not Authorized to access this resource/api" unless the impersonated user is an admin with the privilege', async () => {
    const users = (await admin('GET', '/google/users')).users as any[];
    const plain = users.find((u) => !u.isAdmin && !u.isDelegatedAdmin).primaryEmail;
    const helpDesk = users.find((u) => u.isDelegatedAdmin).primaryEmail;
    const d = sb.demo.google.domain;
    const notAdmin = await api(`${DIR}/users?customer=my_customer`, await token(S.userRo, plain));
    expect(notAdmin).toEqual({ status: 403, body: { error: { code: 403, message: 'Not Authorized to access this resource/api', errors: [{ message: 'Not Authorized to access this resource/api', domain: 'global', reason: 'forbidden' }], status: 'PERMISSION_DENIED' } } });
    // A Help Desk admin reads users, but not groups or roles.
    expect((await api(`${DIR}/users?customer=my_customer`, await token(S.userRo, helpDesk))).status).toBe(200);
    expect((await api(`${DIR}/groups?domain=${d}`, await token(S.groupRo, helpDesk))).status).toBe(403);
    expect((await api(`${DIR}/customer/my_customer/roles`, await token(S.rolesRo, helpDesk))).status).toBe(403);
  });

  it('answers the API-disabled body when the Admin SDK is turned off in the project', async () => {
    const t = await token(S.userRo);
    await admin('POST', '/google/apis', { api: 'admin', enabled: false });
    try {
      const off = await api(`${DIR}/users?customer=my_customer`, t);
      expect(off.status).toBe(403);
      expect(off.body.error.errors[0]).toMatchObject({ reason: 'accessNotConfigured', domain: 'usageLimits', extendedHelp: 'https://console.developers.google.com' });
      expect(off.body.error.details[0]).toMatchObject({
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'SERVICE_DISABLED',
        domain: 'googleapis.com',
        metadata: { service: 'admin.googleapis.com', consumer: `projects/${sb.demo.google.projectNumber}`, serviceTitle: 'Admin SDK API', containerInfo: sb.demo.google.projectNumber },
      });
    } finally {
      await admin('POST', '/google/apis', { api: 'admin', enabled: true });
    }
  });

  it('answers the same shape for Gmail, and 401 UNAUTHENTICATED without a valid token', async () => {
    const gmail = await token('https://www.googleapis.com/auth/gmail.modify');
    await admin('POST', '/google/apis', { api: 'gmail', enabled: false });
    try {
      const off = await api('/gmail/v1/users/me/labels', gmail);
      expect(off.status).toBe(403);
      const message = `Gmail API has not been used in project ${sb.demo.google.projectNumber} before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/gmail.googleapis.com/overview?project=${sb.demo.google.projectNumber} then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry.`;
      expect(off.body.error).toMatchObject({ code: 403, message, status: 'PERMISSION_DENIED', errors: [{ message, domain: 'usageLimits', reason: 'accessNotConfigured', extendedHelp: 'https://console.developers.google.com' }] });
      expect(off.body.error.details.map((d: any) => d['@type'])).toEqual(['type.googleapis.com/google.rpc.ErrorInfo', 'type.googleapis.com/google.rpc.LocalizedMessage', 'type.googleapis.com/google.rpc.Help']);
    } finally {
      await admin('POST', '/google/apis', { api: 'gmail', enabled: true });
    }
    const anonymous = await api(`${DIR}/users?customer=my_customer`, 'ya29.not-a-token');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error).toMatchObject({ code: 401, status: 'UNAUTHENTICATED', errors: [{ reason: 'authError', location: 'Authorization', locationType: 'header' }] });
  });
});

describe('Directory limits', () => {
  it('answers 403 userRateLimitExceeded past the per-user queries per minute, and nothing when throttling is off', async () => {
    const t = await token(S.userRo);
    const path = `${DIR}/users/${sb.demo.google.adminEmail}`;
    await admin('POST', '/google/quotas', { domain: sb.demo.google.domain, directoryQueriesPerMinute: 2 });
    try {
      expect((await api(path, t)).status).toBe(200);
      expect((await api(path, t)).status).toBe(200);
      const third = await api(path, t);
      expect(third.status).toBe(403);
      expect(third.body.error.errors[0]).toMatchObject({ reason: 'userRateLimitExceeded', domain: 'usageLimits' });
      expect(third.body.error.message).toContain("limit 'Queries per minute per user' of service 'admin.googleapis.com'");
      // The window slides: a minute later the queries are accepted again.
      offsetMs = 61_000;
      expect((await api(path, await token(S.userRo))).status).toBe(200);
      await admin('POST', '/google/quotas', { domain: sb.demo.google.domain, directoryThrottling: false });
      for (let i = 0; i < 5; i++) expect((await api(path, t)).status).toBe(200);
    } finally {
      await admin('POST', '/google/quotas', { domain: sb.demo.google.domain, directoryQueriesPerMinute: 2400, directoryThrottling: true });
    }
  });

  it('answers 403 quotaExceeded beyond the concurrent-request limit', async () => {
    const t = await token(S.userRo);
    await admin('POST', '/google/quotas', { domain: sb.demo.google.domain, directoryConcurrency: 2, directoryLatencyMs: 1_000 });
    try {
      const results = await Promise.all(Array.from({ length: 5 }, () => api(`${DIR}/users/${sb.demo.google.adminEmail}`, t)));
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 200, 403, 403, 403]);
      expect(results.find((r) => r.status === 403)!.body.error.errors[0]).toMatchObject({ reason: 'quotaExceeded', domain: 'usageLimits' });
    } finally {
      await admin('POST', '/google/quotas', { domain: sb.demo.google.domain, directoryConcurrency: 10, directoryLatencyMs: 0 });
    }
  });

  it('throttles on demand with google.directory_throttle', async () => {
    const t = await token(S.userRo);
    await admin('POST', '/faults', { scope: sb.demo.google.domain, name: 'google.directory_throttle', params: { everyNth: 2, reason: 'quotaExceeded' } });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await api(`${DIR}/users/${sb.demo.google.adminEmail}`, t)).status);
    expect(statuses).toEqual([200, 403, 200, 403]);
  });
});

describe('domain-wide delegation propagation', () => {
  it('answers a newly authorised scope intermittently until it settles, and a revoked one likewise', async () => {
    const scope = `${AUTH}admin.directory.orgunit.readonly`;
    const sub = sb.demo.google.adminEmail;
    expect((await exchange(sub, scope)).status).toBe(401);
    await admin('POST', '/google/delegation/authorise', { scopes: [scope], propagationMs: 120_000 });
    const during = [];
    for (let i = 0; i < 4; i++) during.push((await exchange(sub, scope)).status);
    expect(during).toEqual([401, 200, 401, 200]);
    const listed = await admin('GET', '/google/delegation');
    expect(listed.clients[sb.demo.google.serviceAccountClientId]).toContainEqual({ scope, propagating: true });
    offsetMs = 121_000;
    for (let i = 0; i < 3; i++) expect((await exchange(sub, scope)).status).toBe(200);
    await admin('POST', '/google/delegation/revoke', { scopes: [scope], propagationMs: 60_000 });
    const revoking = [];
    for (let i = 0; i < 2; i++) revoking.push((await exchange(sub, scope)).status);
    expect(revoking).toEqual([200, 401]);
    offsetMs = 182_000;
    expect((await exchange(sub, scope)).body).toEqual({ error: 'unauthorized_client', error_description: 'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.' });
  });

  it('google.delegation_propagating makes a granted scope flip between refused and granted', async () => {
    await admin('POST', '/faults', { scope: sb.demo.google.domain, name: 'google.delegation_propagating', params: { scope: S.groupRo } });
    const seen = [];
    for (let i = 0; i < 4; i++) seen.push((await exchange(sb.demo.google.adminEmail, S.groupRo)).status);
    expect(seen).toEqual([401, 200, 401, 200]);
    expect((await exchange(sb.demo.google.adminEmail, S.userRo)).status).toBe(200);
  });
});

describe('a generated large customer', () => {
  it('is created through the admin API and pages users, groups and members deterministically', async () => {
    const made = await admin('POST', '/google/customers', { domain: 'scale.test', size: { users: 2_000, groups: 300, memberships: 12_000 } });
    expect(made).toMatchObject({ domain: 'scale.test', kind: 'generated', users: 2_001, groups: 300, generatedMemberships: 12_000 });
    const adminEmail = 'admin@scale.test';
    const t = await token(S.userRo, adminEmail);
    const users = await all(`${DIR}/users?customer=my_customer&maxResults=500`, t, 'users');
    expect(users).toHaveLength(2_001);
    expect(new Set(users.map((u) => u.id)).size).toBe(2_001);
    expect(users.map((u) => u.primaryEmail)).toEqual(users.map((u) => u.primaryEmail).sort());
    expect(users.filter((u) => u.suspended).length).toBeGreaterThan(0);
    const suspended = await all(`${DIR}/users?customer=my_customer&maxResults=500&query=isSuspended%3Dtrue`, t, 'users');
    expect(suspended.map((u) => u.id).sort()).toEqual(users.filter((u) => u.suspended).map((u) => u.id).sort());
    const g = await token(S.groupRo, adminEmail);
    const groups = await all(`${DIR}/groups?customer=my_customer`, g, 'groups');
    expect(groups).toHaveLength(300);
    let memberships = 0;
    const types = new Set<string>();
    for (const group of groups) {
      const members = await all(`${DIR}/groups/${group.id}/members`, g, 'members');
      expect(members).toHaveLength(Number(group.directMembersCount));
      memberships += members.length;
      for (const m of members) types.add(m.type);
    }
    expect(memberships).toBe(12_000);
    expect([...types].sort()).toEqual(['CUSTOMER', 'EXTERNAL', 'GROUP', 'USER']);
    // Nobody from the demo customer may read it.
    expect((await api(`${DIR}/users?domain=scale.test`, await token(S.userRo))).status).toBe(403);
    // A membership removed through the API is gone from the listing, and counted so.
    const big = groups.find((x) => Number(x.directMembersCount) > 250)!;
    const first = (await api(`${DIR}/groups/${big.id}/members?maxResults=1`, g)).body.members[0];
    await admin('DELETE', `/google/groups/${big.email}/members/${first.id}`);
    expect((await api(`${DIR}/groups/${big.id}`, g)).body.directMembersCount).toBe(String(Number(big.directMembersCount) - 1));
    expect((await all(`${DIR}/groups/${big.id}/members`, g, 'members')).find((m) => m.id === first.id)).toBeUndefined();
    await admin('DELETE', '/google/customers/scale.test');
  });
});

describe('service-account key certificates', () => {
  it('publishes every key of a service account with its creation time as notBefore', async () => {
    const made = await admin('POST', `/google/service-accounts/${sb.demo.google.serviceAccountEmail}/keys`);
    const r = await fetch(`${sb.urls.google_apis}/robot/v1/metadata/x509/${encodeURIComponent(sb.demo.google.serviceAccountEmail)}`);
    const certs = (await r.json()) as Record<string, string>;
    const { X509Certificate } = await import('node:crypto');
    const cert = new X509Certificate(certs[made.keyId]!);
    expect(Math.abs(Date.parse(cert.validFrom) - Date.parse(made.createdAt))).toBeLessThan(1000);
    expect(cert.validTo).toContain('9999');
    expect(Object.keys(certs)).toContain(JSON.parse(sb.demo.google.serviceAccountKeyJson).private_key_id);
    await admin('DELETE', `/google/service-accounts/${sb.demo.google.serviceAccountEmail}/keys/${made.keyId}`);
  });
});
