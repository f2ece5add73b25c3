import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importPKCS8, SignJWT } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../server.js';
import { DEMO, demoPeople } from '../demo.js';

/** Wire-level behaviour of the Google simulators, spoken to as a raw HTTP client would. */
const AUD = 'https://oauth2.googleapis.com/token';
const GMAIL = 'https://www.googleapis.com/auth/gmail.modify';
const DIR = 'https://www.googleapis.com/auth/admin.directory.user';
const CLOUD = 'https://www.googleapis.com/auth/cloud-platform';

let sb: Sandbox;
beforeAll(async () => {
  sb = await startSandbox({});
});
afterAll(async () => {
  await sb?.close();
});
beforeEach(async () => {
  await admin('DELETE', '/faults');
});

async function admin(method: string, path: string, body?: unknown): Promise<any> {
  const r = await fetch(`${sb.urls.admin}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return r.json();
}

async function assertion(keyJson: string, claims: Record<string, unknown>, lifetimeS = 3600): Promise<string> {
  const key = JSON.parse(keyJson) as { private_key: string; client_email: string };
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ scope: claims['scope'], ...claims })
    .setProtectedHeader({ alg: 'RS256' })
    .setIssuer(String(claims['iss'] ?? key.client_email))
    .setAudience(String(claims['aud'] ?? AUD))
    .setIssuedAt(now)
    .setExpirationTime(now + lifetimeS)
    .sign(await importPKCS8(key.private_key, 'RS256'));
}

async function exchange(jwt: string): Promise<{ status: number; body: any }> {
  const r = await fetch(`${sb.urls.google_oauth}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: jwt }),
  });
  return { status: r.status, body: await r.json() };
}

async function userToken(sub: string, scope = `${GMAIL}`): Promise<string> {
  const r = await exchange(await assertion(sb.demo.google.serviceAccountKeyJson, { sub, scope }));
  expect(r.status).toBe(200);
  return r.body.access_token as string;
}

async function api(path: string, token: string, init: RequestInit = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const r = await fetch(`${sb.urls.google_apis}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) } });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : undefined, headers: r.headers };
}

function rfc822(messageId: string, subject: string, date = 'Tue, 03 Nov 2026 10:00:00 +0000'): string {
  return [`From: Ada <ada@contoso.test>`, `To: bob@${DEMO.domain}`, `Subject: ${subject}`, `Date: ${date}`, `Message-ID: <${messageId}>`, 'Content-Type: text/plain; charset=utf-8', '', `Hello from ${subject}.`, ''].join('\r\n');
}

describe('Google OAuth token endpoint', () => {
  it('issues tokens for a signed JWT and names each failure as Google does', async () => {
    const g = sb.demo.google;
    const ok = await exchange(await assertion(g.serviceAccountKeyJson, { scope: CLOUD }));
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ expires_in: 3599, token_type: 'Bearer' });
    expect(ok.body.access_token).toMatch(/^ya29\./);

    // Signed with another key than the service account's: invalid signature.
    const forged = await assertion(g.tokenProviderKeyJson, { iss: g.serviceAccountEmail, scope: CLOUD });
    expect(await exchange(forged)).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' } });

    const long = await exchange(await assertion(g.serviceAccountKeyJson, { scope: CLOUD }, 7200));
    expect(long.body.error_description).toMatch(/^Invalid JWT: Token must be a short-lived token \(60 minutes\)/);

    const badAud = await exchange(await assertion(g.serviceAccountKeyJson, { scope: CLOUD, aud: 'https://example.com/token' }));
    expect(badAud.body.error).toBe('invalid_grant');

    const stranger = await exchange(await assertion(g.serviceAccountKeyJson, { sub: `nobody@${g.domain}`, scope: GMAIL }));
    expect(stranger).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: 'Invalid email or User ID' } });

    const notDelegated = await exchange(await assertion(g.serviceAccountKeyJson, { sub: g.adminEmail, scope: 'https://mail.google.com/' }));
    expect(notDelegated.status).toBe(401);
    expect(notDelegated.body.error).toBe('unauthorized_client');

    await admin('POST', '/faults', { scope: g.domain, name: 'google.service_account_deleted' });
    expect(await exchange(await assertion(g.serviceAccountKeyJson, { scope: CLOUD }))).toEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Invalid grant: account not found' },
    });
  });

  it('checks delegation per scope', async () => {
    const g = sb.demo.google;
    await admin('POST', '/faults', { scope: g.domain, name: 'google.delegation_scopes_missing', params: { scope: GMAIL } });
    expect((await exchange(await assertion(g.serviceAccountKeyJson, { sub: g.adminEmail, scope: DIR }))).status).toBe(200);
    expect((await exchange(await assertion(g.serviceAccountKeyJson, { sub: g.adminEmail, scope: `${DIR} ${GMAIL}` }))).status).toBe(401);
  });
});

describe('IAM Credentials', () => {
  async function tpToken(): Promise<string> {
    const r = await exchange(await assertion(sb.demo.google.tokenProviderKeyJson, { scope: CLOUD }));
    return r.body.access_token as string;
  }
  async function signJwt(token: string, sa: string, payload: Record<string, unknown>): Promise<{ status: number; body: any }> {
    const r = await fetch(`${sb.urls.google_iam}/v1/projects/-/serviceAccounts/${encodeURIComponent(sa)}:signJwt`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ payload: JSON.stringify(payload) }),
    });
    return { status: r.status, body: await r.json() };
  }

  it('signs a delegation JWT for the token provider that the token endpoint accepts (keyless)', async () => {
    const g = sb.demo.google;
    const now = Math.floor(Date.now() / 1000);
    const signed = await signJwt(await tpToken(), g.serviceAccountEmail, { iss: g.serviceAccountEmail, sub: g.adminEmail, scope: DIR, aud: AUD, iat: now, exp: now + 3600 });
    expect(signed.status).toBe(200);
    expect(signed.body.keyId).toMatch(/^[0-9a-f]{40}$/);
    const ex = await exchange(signed.body.signedJwt);
    expect(ex.status).toBe(200);
    const users = await api('/admin/directory/v1/users?customer=my_customer&maxResults=500', ex.body.access_token);
    expect(users.status).toBe(200);
    expect(users.body.users.map((u: { primaryEmail: string }) => u.primaryEmail)).toContain(g.adminEmail);
  });

  it('answers 403 IAM_PERMISSION_DENIED without the Token Creator role, 404 for an unknown account, and SERVICE_DISABLED', async () => {
    const g = sb.demo.google;
    const token = await tpToken();
    await admin('POST', '/faults', { scope: g.domain, name: 'google.token_creator_missing' });
    const denied = await signJwt(token, g.serviceAccountEmail, { sub: g.adminEmail });
    expect(denied).toEqual({
      status: 403,
      body: {
        error: {
          code: 403,
          message: "Permission 'iam.serviceAccounts.signJwt' denied on resource (or it may not exist).",
          status: 'PERMISSION_DENIED',
          details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'IAM_PERMISSION_DENIED', domain: 'iam.googleapis.com', metadata: { permission: 'iam.serviceAccounts.signJwt' } }],
        },
      },
    });
    const missing = await signJwt(token, `typo@${g.projectId}.iam.gserviceaccount.com`, {});
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toBe(`Not found; Gaia id not found for email typo@${g.projectId}.iam.gserviceaccount.com`);
    await admin('POST', '/faults', { scope: g.domain, name: 'google.api_disabled', params: { api: 'iamcredentials' } });
    const disabled = await signJwt(token, g.serviceAccountEmail, {});
    expect(disabled.status).toBe(403);
    expect(disabled.body.error.details[0]).toMatchObject({ reason: 'SERVICE_DISABLED', metadata: { service: 'iamcredentials.googleapis.com' } });
    const anonymous = await fetch(`${sb.urls.google_iam}/v1/projects/-/serviceAccounts/${g.serviceAccountEmail}:signJwt`, { method: 'POST', body: '{}' });
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as any).error.status).toBe('UNAUTHENTICATED');
  });

  it('generateAccessToken returns a token whose tokeninfo names the client id', async () => {
    const g = sb.demo.google;
    const r = await fetch(`${sb.urls.google_iam}/v1/projects/-/serviceAccounts/${g.serviceAccountEmail}:generateAccessToken`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await tpToken()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ scope: [CLOUD], lifetime: '600s' }),
    });
    const body = (await r.json()) as { accessToken: string; expireTime: string };
    expect(r.status).toBe(200);
    expect(Date.parse(body.expireTime) - Date.now()).toBeGreaterThan(590_000);
    const info = (await (await fetch(`${sb.urls.google_oauth}/tokeninfo?access_token=${body.accessToken}`)).json()) as { azp: string };
    expect(info.azp).toBe(g.serviceAccountClientId);
  });
});

describe('Directory and Gmail', () => {
  it('pages users 500 at most, and answers the API-disabled body with both errors[] and details[]', async () => {
    const g = sb.demo.google;
    const token = await userToken(g.adminEmail, DIR);
    expect((await api('/admin/directory/v1/users?customer=my_customer&maxResults=501', token)).status).toBe(400);
    const seen: string[] = [];
    let pageToken = '';
    do {
      const r = await api(`/admin/directory/v1/users?customer=my_customer&maxResults=4${pageToken ? `&pageToken=${pageToken}` : ''}`, token);
      expect(r.status).toBe(200);
      seen.push(...r.body.users.map((u: { primaryEmail: string }) => u.primaryEmail));
      pageToken = r.body.nextPageToken ?? '';
    } while (pageToken);
    const people = demoPeople(DEMO.seed, DEMO.userCount);
    expect(seen).toHaveLength(11);
    expect(seen).toEqual([...seen].sort());
    expect(seen).toContain(`${people[0]!.localPart}@${DEMO.domain}`);
    expect(seen).not.toContain(`${people[20]!.localPart}@${DEMO.domain}`);

    await admin('POST', '/faults', { scope: g.domain, name: 'google.api_disabled', params: { api: 'admin' } });
    const off = await api(`/admin/directory/v1/users/${g.adminEmail}`, token);
    expect(off.status).toBe(403);
    expect(off.body.error.errors[0]).toMatchObject({ reason: 'accessNotConfigured', domain: 'usageLimits' });
    expect(off.body.error.details[0]).toMatchObject({ reason: 'SERVICE_DISABLED', metadata: { service: 'admin.googleapis.com', consumer: `projects/${g.projectNumber}` } });
    expect(off.body.error.message).toContain(`Admin SDK API has not been used in project ${g.projectNumber}`);
  });

  it('imports by media, multipart and raw, and finds messages by rfc822msgid and label', async () => {
    const email = `${demoPeople(DEMO.seed, DEMO.userCount)[1]!.localPart}@${DEMO.domain}`;
    const token = await userToken(email);
    const label = await api('/gmail/v1/users/me/labels', token, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Projects/Apollo' }) });
    expect(label.status).toBe(200);
    const dup = await api('/gmail/v1/users/me/labels', token, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'projects/apollo' }) });
    expect(dup.status).toBe(409);
    expect(dup.body.error.message).toBe('Label name exists or conflicts');
    // Reserved names — system labels, Gmail's own names, localized forms — are invalid (400), not duplicates.
    for (const name of ['Inbox', 'Drafts', 'Trash', 'Muted', 'Enviado', 'Da leggere']) {
      const sys = await api('/gmail/v1/users/me/labels', token, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
      expect(sys.status, name).toBe(400);
      expect(sys.body.error.message).toBe('Invalid label name');
    }

    const media = await api(`/upload/gmail/v1/users/${email}/messages/import?uploadType=media`, token, { method: 'POST', headers: { 'content-type': 'message/rfc822' }, body: rfc822('m1@contoso.test', 'Media') });
    expect(media.status).toBe(200);
    const boundary = 'b0undary';
    const multipartBody = [`--${boundary}`, 'content-type: application/json', '', JSON.stringify({ labelIds: ['INBOX', 'UNREAD', label.body.id] }), `--${boundary}`, 'content-type: message/rfc822', '', rfc822('m2@contoso.test', 'Multipart'), `--${boundary}--`].join('\r\n');
    const multi = await api(`/upload/gmail/v1/users/me/messages/import?uploadType=multipart&neverMarkSpam=true`, token, { method: 'POST', headers: { 'content-type': `multipart/related; boundary=${boundary}` }, body: multipartBody });
    expect(multi.status).toBe(200);
    expect(multi.body.labelIds).toEqual(['INBOX', 'UNREAD', label.body.id]);
    const raw = await api('/gmail/v1/users/me/messages/import', token, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ raw: Buffer.from(rfc822('m3@contoso.test', 'Raw')).toString('base64url'), labelIds: ['STARRED'] }) });
    expect(raw.status).toBe(200);
    const bad = await api('/gmail/v1/users/me/messages/import', token, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ raw: Buffer.from(rfc822('m4@contoso.test', 'Bad')).toString('base64url'), labelIds: ['Label_nope'] }) });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toBe('Invalid label: Label_nope');

    // The search index lags behind the import (on by default); a listing by label does not.
    const early = await api(`/gmail/v1/users/me/messages?q=${encodeURIComponent('rfc822msgid:m2@contoso.test')}`, token);
    expect(early.body.messages).toBeUndefined();
    const byLabel = await api(`/gmail/v1/users/me/messages?labelIds=${label.body.id}`, token);
    expect(byLabel.body.messages).toEqual([{ id: multi.body.id, threadId: multi.body.threadId }]);
    await admin('POST', '/google/quotas', { searchIndexLagMs: 0 });
    try {
      for (const q of ['rfc822msgid:m2@contoso.test', 'rfc822msgid:<m2@contoso.test>', 'label:projects-apollo']) {
        const found = await api(`/gmail/v1/users/me/messages?q=${encodeURIComponent(q)}`, token);
        expect(found.body.messages).toEqual([{ id: multi.body.id, threadId: multi.body.threadId }]);
      }
    } finally {
      await admin('POST', '/google/quotas', { searchIndexLagMs: 5000 });
    }
    const got = await api(`/gmail/v1/users/me/messages/${multi.body.id}?format=metadata&metadataHeaders=Subject`, token);
    expect(got.body.payload.headers).toEqual([{ name: 'Subject', value: 'Multipart' }]);
    expect(got.body.internalDate).toBe(String(Date.parse('Tue, 03 Nov 2026 10:00:00 +0000')));
    const all = await admin('GET', `/google/users/${email}/messages`);
    expect(all.messages.map((m: { subject: string }) => m.subject).sort()).toEqual(['Media', 'Multipart', 'Raw']);
    expect(all.messages.find((m: { subject: string }) => m.subject === 'Multipart')).toMatchObject({ labelNames: ['INBOX', 'UNREAD', 'Projects/Apollo'], rfc822MessageId: '<m2@contoso.test>' });
  });

  it('refuses modify of SENT or DRAFT and an empty modify with 400; serves batchModify, threads.get, history and profile', async () => {
    const email = `${demoPeople(DEMO.seed, DEMO.userCount)[3]!.localPart}@${DEMO.domain}`;
    const token = await userToken(email);
    const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const profile = await api('/gmail/v1/users/me/profile', token);
    expect(profile.status).toBe(200);
    const a = await api('/gmail/v1/users/me/messages/import', token, json({ raw: Buffer.from(rfc822('t1@contoso.test', 'Thread start')).toString('base64url'), labelIds: ['INBOX'] }));
    const replyRaw = rfc822('t2@contoso.test', 'Re: Thread start', 'Tue, 03 Nov 2026 11:00:00 +0000').replace('Message-ID:', 'In-Reply-To: <t1@contoso.test>\r\nMessage-ID:');
    const b = await api('/gmail/v1/users/me/messages/import', token, json({ raw: Buffer.from(replyRaw).toString('base64url'), labelIds: ['INBOX', 'UNREAD'] }));
    expect(b.body.threadId).toBe(a.body.threadId);

    for (const body of [{ addLabelIds: ['SENT'] }, { removeLabelIds: ['DRAFT'] }, {}, { addLabelIds: [], removeLabelIds: [] }]) {
      const r = await api(`/gmail/v1/users/me/messages/${a.body.id}/modify`, token, json(body));
      expect(r.status, JSON.stringify(body)).toBe(400);
    }
    expect((await api(`/gmail/v1/users/me/messages/${a.body.id}/modify`, token, json({ addLabelIds: ['STARRED'] }))).status).toBe(200);

    const batch = await api('/gmail/v1/users/me/messages/batchModify', token, json({ ids: [a.body.id, b.body.id], addLabelIds: ['IMPORTANT'], removeLabelIds: ['UNREAD'] }));
    expect(batch.status).toBe(204);
    expect((await api('/gmail/v1/users/me/messages/batchModify', token, json({ ids: [a.body.id], addLabelIds: ['SENT'] }))).status).toBe(400);
    expect((await api('/gmail/v1/users/me/messages/batchModify', token, json({ ids: [a.body.id] }))).status).toBe(400);

    const thread = await api(`/gmail/v1/users/me/threads/${a.body.threadId}?format=minimal`, token);
    expect(thread.status).toBe(200);
    expect(thread.body.messages.map((m: { id: string }) => m.id)).toEqual([a.body.id, b.body.id]);
    expect(thread.body.messages[1].labelIds.sort()).toEqual(['IMPORTANT', 'INBOX']);
    expect((await api('/gmail/v1/users/me/threads/ffffffffffff', token)).status).toBe(404);

    // Both imports and the label changes are in the history since the profile's historyId, at once.
    const history = await api(`/gmail/v1/users/me/history?startHistoryId=${profile.body.historyId}&historyTypes=messageAdded`, token);
    expect(history.status).toBe(200);
    expect(history.body.history.flatMap((h: { messagesAdded: Array<{ message: { id: string } }> }) => h.messagesAdded.map((x) => x.message.id))).toEqual([a.body.id, b.body.id]);
  });

  it('refuses a message over 50 MB with 413', async () => {
    const email = `${demoPeople(DEMO.seed, DEMO.userCount)[2]!.localPart}@${DEMO.domain}`;
    const token = await userToken(email);
    const big = Buffer.alloc(52_428_801, 0x61);
    const r = await api('/upload/gmail/v1/users/me/messages/import?uploadType=media', token, { method: 'POST', headers: { 'content-type': 'message/rfc822' }, body: big });
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe(413);
  });

  it('answers 429 when a user has too many requests in flight', async () => {
    const email = `${demoPeople(DEMO.seed, DEMO.userCount)[3]!.localPart}@${DEMO.domain}`;
    const token = await userToken(email);
    await admin('POST', '/google/quotas', { userConcurrency: 1 });
    try {
      const url = new URL(`${sb.urls.google_apis}/upload/gmail/v1/users/me/messages/import?uploadType=media`);
      // Hold one upload open (headers sent, body unfinished), then try a second call.
      const held = httpRequest(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'message/rfc822', 'transfer-encoding': 'chunked' } });
      const done = new Promise<number>((resolve, reject) => {
        held.on('response', (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        held.on('error', reject);
      });
      held.write(rfc822('held@contoso.test', 'Held').slice(0, 40));
      await new Promise((r) => setTimeout(r, 100));
      const second = await api('/gmail/v1/users/me/labels', token);
      expect(second.status).toBe(429);
      expect(second.body.error).toMatchObject({ status: 'RESOURCE_EXHAUSTED', message: 'Too many concurrent requests for user' });
      held.end(rfc822('held@contoso.test', 'Held').slice(40));
      expect(await done).toBe(200);
      expect((await api('/gmail/v1/users/me/labels', token)).status).toBe(200);
    } finally {
      await admin('POST', '/google/quotas', { userConcurrency: 10 });
    }
  });
});

describe('Google sandbox admin API and state', () => {
  it('keeps generated keys across restarts when it has a state directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'google-sandbox-'));
    try {
      const a = await startSandbox({ stateDir: dir });
      const first = a.demo.google;
      await a.close();
      const b = await startSandbox({ stateDir: dir });
      expect(b.demo.google.tokenProviderKeyJson).toBe(first.tokenProviderKeyJson);
      expect(b.demo.google.serviceAccountKeyJson).toBe(first.serviceAccountKeyJson);
      expect(JSON.parse(first.serviceAccountKeyJson)).toMatchObject({ type: 'service_account', client_email: DEMO.google.serviceAccountEmail, client_id: DEMO.google.serviceAccountClientId, project_id: DEMO.google.projectId });
      expect(JSON.parse(first.tokenProviderKeyJson).private_key).toMatch(/^-----BEGIN PRIVATE KEY-----/);
      await b.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('pre-creates users, lists labels, and counts requests', async () => {
    const email = `pre.created@${DEMO.domain}`;
    const created = await admin('POST', '/google/users', { primaryEmail: email, givenName: 'Pre', familyName: 'Created' });
    expect(created).toMatchObject({ primaryEmail: email, isAdmin: false });
    const token = await userToken(email);
    expect((await api('/gmail/v1/users/me/labels', token)).status).toBe(200);
    const labels = await admin('GET', `/google/users/${email}/labels`);
    expect(labels.labels.map((l: { id: string }) => l.id)).toEqual(expect.arrayContaining(['INBOX', 'SENT', 'TRASH', 'SPAM', 'UNREAD', 'CATEGORY_PERSONAL']));
    const stats = await admin('GET', '/google/stats');
    expect(stats.requests['gmail.users.labels.list']).toBeGreaterThan(0);
    expect(stats.unitsSpent).toBeGreaterThan(0);
    expect(stats.imports).toBeGreaterThanOrEqual(3);
  });

  it('limits Directory queries per user per minute with 403 userRateLimitExceeded', async () => {
    const token = await userToken(sb.demo.google.adminEmail, DIR);
    await admin('POST', '/google/quotas', { directoryQueriesPerMinute: 2 });
    try {
      expect((await api(`/admin/directory/v1/users/${sb.demo.google.adminEmail}`, token)).status).toBe(200);
      expect((await api(`/admin/directory/v1/users/${sb.demo.google.adminEmail}`, token)).status).toBe(200);
      const third = await api(`/admin/directory/v1/users/${sb.demo.google.adminEmail}`, token);
      expect(third.status).toBe(403);
      expect(third.body.error.errors[0]).toMatchObject({ reason: 'userRateLimitExceeded', domain: 'usageLimits' });
    } finally {
      await admin('POST', '/google/quotas', { directoryQueriesPerMinute: 2400 });
    }
  });
});
