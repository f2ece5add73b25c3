import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../server.js';

/**
 * Graph mail writes over HTTP, with Exchange's real rules: MIME creates a draft; JSON without
 * PidTagMessageFlags creates a draft; the flags set at creation make received mail, and a
 * later PATCH cannot change them; size limits; upload sessions refuse our token; the
 * internetMessageId filter; Mail.ReadWrite required; the outage fault.
 */
describe('Graph sandbox: writing mail', () => {
  let sb: Sandbox;
  let tok = '';
  let upn = '';
  beforeAll(async () => {
    sb = await startSandbox({});
    await admin('POST', '/consent', { permissions: ['User.Read.All', 'Mail.Read', 'Mail.ReadWrite'] });
    upn = (await admin('GET', '/users')).users[5].userPrincipalName;
  });
  afterAll(async () => sb.close());
  const admin = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${sb.urls.admin}/microsoft${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    return (await r.json()) as Record<string, any>;
  };
  const token = async () => {
    const r = await fetch(`${sb.urls.entra_login}/${sb.demo.microsoft.tenantId}/oauth2/v2.0/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: sb.demo.microsoft.clientId, client_secret: sb.demo.microsoft.clientSecret, scope: 'https://graph.microsoft.com/.default', grant_type: 'client_credentials' }).toString(),
    });
    return String(((await r.json()) as { access_token: string }).access_token);
  };
  const graph = async (method: string, path: string, body?: string, contentType = 'application/json') => {
    tok ||= await token();
    const r = await fetch(path.startsWith('http') ? path : `${sb.urls.graph}/v1.0${path}`, { method, headers: { authorization: `Bearer ${tok}`, ...(body !== undefined ? { 'content-type': contentType } : {}) }, ...(body !== undefined ? { body } : {}) });
    const text = await r.text();
    return { status: r.status, headers: r.headers, body: (text ? JSON.parse(text) : {}) as Record<string, any> };
  };
  const mime = (subject: string, id: string) => Buffer.from(`From: a@fabrikam.test\r\nTo: ${upn}\r\nSubject: ${subject}\r\nMessage-ID: ${id}\r\nDate: Mon, 1 Jun 2026 10:00:00 +0000\r\n\r\nhello\r\n`).toString('base64');

  it('a message created from MIME is a draft, whatever folder it is created in', async () => {
    const r = await graph('POST', `/users/${upn}/mailFolders/inbox/messages`, mime('MIME create', '<mime.1@fabrikam.test>'), 'text/plain');
    expect(r.status).toBe(201);
    expect(r.body.isDraft).toBe(true);
  });

  it('JSON without PidTagMessageFlags is a draft; with them (no MSGFLAG_UNSENT) it is received mail with its dates; PATCH cannot change it', async () => {
    const plain = await graph('POST', `/users/${upn}/mailFolders/inbox/messages`, JSON.stringify({ subject: 'JSON plain', body: { contentType: 'text', content: 'x' } }));
    expect(plain.body.isDraft).toBe(true);
    const received = await graph('POST', `/users/${upn}/mailFolders/inbox/messages`, JSON.stringify({
      subject: 'JSON with flags', body: { contentType: 'text', content: 'x' }, internetMessageId: '<json.1@fabrikam.test>',
      singleValueExtendedProperties: [{ id: 'Integer 0x0E07', value: '1' }, { id: 'SystemTime 0x0E06', value: '2026-06-01T10:00:00Z' }, { id: 'SystemTime 0x0039', value: '2026-06-01T09:59:00Z' }],
    }));
    expect(received.status).toBe(201);
    expect(received.body).toMatchObject({ isDraft: false, isRead: true, receivedDateTime: '2026-06-01T10:00:00.000Z', sentDateTime: '2026-06-01T09:59:00.000Z', internetMessageId: '<json.1@fabrikam.test>' });
    const patched = await graph('PATCH', `/users/${upn}/messages/${plain.body.id}`, JSON.stringify({ isDraft: false, singleValueExtendedProperties: [{ id: 'Integer 0x0E07', value: '1' }] }));
    expect(patched.status).toBe(200);
    expect(patched.body.isDraft).toBe(true);
    const found = await graph('GET', `/users/${upn}/messages?$filter=${encodeURIComponent("internetMessageId eq '<json.1@fabrikam.test>'")}&$select=id,isDraft`);
    expect(found.body.value).toEqual([{ id: received.body.id, isDraft: false }]);
  });

  it('enforces the size limits and pre-authenticated upload sessions', async () => {
    const tooBig = await graph('POST', `/users/${upn}/mailFolders/inbox/messages`, JSON.stringify({ subject: 'big', body: { contentType: 'text', content: 'x'.repeat(4 * 1024 * 1024 + 10) } }));
    expect(tooBig.status).toBe(413);
    const m = await graph('POST', `/users/${upn}/mailFolders/inbox/messages`, JSON.stringify({ subject: 'with upload', singleValueExtendedProperties: [{ id: 'Integer 0x0E07', value: '0' }] }));
    const bytes = Buffer.alloc(3 * 1024 * 1024 + 1, 1);
    const simple = await graph('POST', `/users/${upn}/messages/${m.body.id}/attachments`, JSON.stringify({ '@odata.type': '#microsoft.graph.fileAttachment', name: 'a.bin', contentBytes: bytes.subarray(0, 2_000_000).toString('base64') }));
    expect(simple.status).toBe(201);
    const s = await graph('POST', `/users/${upn}/messages/${m.body.id}/attachments/createUploadSession`, JSON.stringify({ AttachmentItem: { attachmentType: 'file', name: 'b.bin', size: bytes.length } }));
    expect(s.status).toBe(201);
    // Our bearer token must not go to the upload URL.
    const withToken = await fetch(s.body.uploadUrl, { method: 'PUT', headers: { authorization: `Bearer ${tok}`, 'content-range': `bytes 0-9/${bytes.length}` }, body: bytes.subarray(0, 10) });
    expect(withToken.status).toBe(401);
    const half = 2 * 1024 * 1024;
    const p1 = await fetch(s.body.uploadUrl, { method: 'PUT', headers: { 'content-range': `bytes 0-${half - 1}/${bytes.length}` }, body: bytes.subarray(0, half) });
    expect(p1.status).toBe(200);
    const p2 = await fetch(s.body.uploadUrl, { method: 'PUT', headers: { 'content-range': `bytes ${half}-${bytes.length - 1}/${bytes.length}` }, body: bytes.subarray(half) });
    expect(p2.status).toBe(201);
    const list = await graph('GET', `/users/${upn}/messages/${m.body.id}/attachments`);
    expect(list.body.value.map((a: { name: string; size: number }) => [a.name, a.size])).toEqual([['a.bin', 2_000_000], ['b.bin', bytes.length]]);
  });

  it('writing needs Mail.ReadWrite, and the outage fault answers 503 until it is switched off', async () => {
    await admin('POST', '/consent', { permissions: ['User.Read.All', 'Mail.Read'] });
    tok = '';
    const denied = await graph('POST', `/users/${upn}/mailFolders`, JSON.stringify({ displayName: 'New' }));
    expect(denied.status).toBe(403);
    await admin('POST', '/consent', { permissions: ['User.Read.All', 'Mail.Read', 'Mail.ReadWrite'] });
    tok = '';
    sb.faults.set('*', 'm365.outage', {});
    expect((await graph('GET', `/users/${upn}/mailFolders/inbox`)).status).toBe(503);
    sb.faults.clear();
    const created = await graph('POST', `/users/${upn}/mailFolders`, JSON.stringify({ displayName: 'Recovered' }));
    expect(created.status).toBe(201);
    expect((await graph('POST', `/users/${upn}/mailFolders`, JSON.stringify({ displayName: 'recovered' }))).status).toBe(409);
  });
});
