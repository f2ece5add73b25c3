import { gmail as gmailClient, auth } from '@googleapis/gmail';
import { importPKCS8, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../server.js';

/**
 * Fidelity: Google's own Gmail client (@googleapis/gmail) runs unchanged against the sandbox
 * with only its rootUrl moved. Media uploads build their URL from the per-call rootUrl only
 * (providers.md §6), so upload calls pass `{ rootUrl }` as their second argument too.
 */
let sb: Sandbox;
let rootUrl: string;
let mailbox: string;

/** An OAuth2Client holding a delegated Gmail token for `user`, minted at the sandbox's token endpoint. */
async function gmailFor(user: string) {
  const key = JSON.parse(sb.demo.google.serviceAccountKeyJson) as { client_email: string; private_key: string };
  const now = Math.floor(Date.now() / 1000);
  const assertion = await new SignJWT({ scope: 'https://www.googleapis.com/auth/gmail.modify', sub: user })
    .setProtectedHeader({ alg: 'RS256' })
    .setIssuer(key.client_email)
    .setAudience('https://oauth2.googleapis.com/token')
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(await importPKCS8(key.private_key, 'RS256'));
  const r = await fetch(`${sb.urls.google_oauth}/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }) });
  expect(r.status).toBe(200);
  const { access_token } = (await r.json()) as { access_token: string };
  const client = new auth.OAuth2();
  client.setCredentials({ access_token });
  return gmailClient({ version: 'v1', rootUrl, auth: client });
}

function rfc822(messageId: string, subject: string): string {
  return [
    'From: Ada <ada@example.org>',
    `To: ${mailbox}`,
    `Subject: ${subject}`,
    'Date: Tue, 03 Nov 2026 09:30:00 +0000',
    `Message-ID: ${messageId}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Imported by the official client.',
    '',
  ].join('\r\n');
}

beforeAll(async () => {
  sb = await startSandbox({});
  rootUrl = `${sb.urls.google_apis}/`;
  // The demo admin's mailbox exists from the start (newly created accounts get mail a little later).
  mailbox = sb.demo.google.adminEmail;
  // These tests search right after importing: let the index keep up (google.test.ts covers the lag).
  const r = await fetch(`${sb.urls.admin}/google/quotas`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ searchIndexLagMs: 0 }) });
  expect(r.status).toBe(200);
});
afterAll(async () => {
  await sb?.close();
});

describe('@googleapis/gmail v1 against the sandbox', () => {
  it('creates a nested label, then imports by media upload and finds the message by rfc822msgid', async () => {
    const gmail = await gmailFor(mailbox);
    const label = await gmail.users.labels.create({ userId: 'me', requestBody: { name: 'Official/Client', labelListVisibility: 'labelShow', messageListVisibility: 'show' } });
    expect(label.status).toBe(200);
    expect(label.data).toMatchObject({ name: 'Official/Client', type: 'user' });
    await expect(gmail.users.labels.create({ userId: 'me', requestBody: { name: 'official/client' } })).rejects.toMatchObject({ status: 409 });

    const id = `<official-import-${Date.now()}@example.org>`;
    const imported = await gmail.users.messages.import(
      { userId: 'me', internalDateSource: 'dateHeader', requestBody: { labelIds: ['INBOX', 'UNREAD', label.data.id!] }, media: { mimeType: 'message/rfc822', body: rfc822(id, 'Media import') } },
      { rootUrl },
    );
    expect(imported.status).toBe(200);
    expect(imported.data.id).toBeTruthy();
    expect(imported.data.labelIds).toEqual(expect.arrayContaining(['INBOX', 'UNREAD', label.data.id!]));

    const found = await gmail.users.messages.list({ userId: 'me', q: `rfc822msgid:${id}` });
    expect(found.data.messages?.map((m) => m.id)).toEqual([imported.data.id]);
    const got = await gmail.users.messages.get({ userId: 'me', id: imported.data.id!, format: 'raw' });
    expect(Buffer.from(got.data.raw!, 'base64url').toString('utf8')).toContain('Subject: Media import');
    // dateHeader: the internal date is the Date header's, not the time of the import.
    expect(Number(got.data.internalDate)).toBe(Date.parse('Tue, 03 Nov 2026 09:30:00 +0000'));
  });

  it('inserts a message (IMAP-append semantics) and imports one through the metadata endpoint', async () => {
    const gmail = await gmailFor(mailbox);
    const insertedId = `<official-insert-${Date.now()}@example.org>`;
    const inserted = await gmail.users.messages.insert({ userId: 'me', requestBody: { labelIds: ['INBOX'] }, media: { mimeType: 'message/rfc822', body: rfc822(insertedId, 'Inserted') } }, { rootUrl });
    expect(inserted.status).toBe(200);
    const rawId = `<official-raw-${Date.now()}@example.org>`;
    const raw = await gmail.users.messages.import({ userId: 'me', requestBody: { raw: Buffer.from(rfc822(rawId, 'Raw import')).toString('base64url'), labelIds: ['INBOX'] } });
    expect(raw.status).toBe(200);
    for (const [messageId, expected] of [[insertedId, inserted.data.id], [rawId, raw.data.id]] as const) {
      const found = await gmail.users.messages.list({ userId: 'me', q: `rfc822msgid:${messageId}` });
      expect(found.data.messages?.map((m) => m.id)).toEqual([expected]);
    }
  });

  it('surfaces Gmail errors as the client expects: a missing label is a 400, a mailbox other than the delegated one is 403 delegation denied', async () => {
    const gmail = await gmailFor(mailbox);
    await expect(
      gmail.users.messages.import({ userId: 'me', requestBody: { labelIds: ['Label_does_not_exist'] }, media: { mimeType: 'message/rfc822', body: rfc822('<x@example.org>', 'x') } }, { rootUrl }),
    ).rejects.toMatchObject({ status: 400 });
    await expect(gmail.users.labels.list({ userId: `someone.else@${sb.demo.google.domain}` })).rejects.toMatchObject({ status: 403, message: `Delegation denied for ${mailbox}` });
  });
});
