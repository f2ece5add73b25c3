import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../sandbox/server.js';
import { createHttpClient } from '../sdk/index.js';
import { createGoogleDestination } from './destination.js';
import type { MailboxChangeReader } from '../sdk/index.js';

/**
 * The Gmail change reader against the sandbox over HTTP: getProfile's historyId, history.list
 * from it (messages added since, whatever else changed), an expired history (404 →
 * recovery.history_expired), listing by date, and a message's placement.
 */
describe('Gmail change reader (users.history.list, getProfile)', () => {
  let sb: Sandbox;
  let reader: MailboxChangeReader;
  let email: string;
  const admin = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${sb.urls.admin}/google${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    return (await r.json()) as Record<string, any>;
  };
  beforeAll(async () => {
    sb = await startSandbox({});
    const g = sb.demo.google;
    const dest = createGoogleDestination(
      { http: createHttpClient({ provider: 'Google Workspace' }), now: () => new Date() },
      { serviceAccountEmail: g.serviceAccountEmail, adminEmail: g.adminEmail, domain: g.domain, auth: { type: 'impersonation', tokenProviderKeyJson: g.tokenProviderKeyJson }, endpoints: { oauth: sb.urls.google_oauth, iam: sb.urls.google_iam, apis: sb.urls.google_apis } } as never,
    );
    reader = dest.changes!;
    email = (await admin('GET', '/users')).users[0].primaryEmail;
  });
  afterAll(async () => sb.close());

  it('lists what was added after the marker, pages included, and where each message sits', async () => {
    await admin('POST', `/users/${email}/mail`, { direction: 'in', subject: 'before' });
    const marker = await reader.changeMarker(email);
    expect(marker).toMatch(/^\d+$/);
    const a = await admin('POST', `/users/${email}/mail`, { direction: 'in', subject: 'after 1', labels: ['Projects/Apollo'], starred: true });
    const b = await admin('POST', `/users/${email}/mail`, { direction: 'out', subject: 'after 2' });
    const page = await reader.listAddedSince(email, marker, null);
    expect(page.items).toEqual([a.id, b.id]);
    expect(page.next).toBeNull();
    const m = await reader.readMessage(email, a.id);
    expect(m!.placement).toMatchObject({ inbox: true, sent: false, read: false, starred: true, userFolders: ['Projects/Apollo'] });
    expect(Buffer.from(m!.raw).toString('utf8')).toContain('Subject: after 1');
    expect((await reader.readMessage(email, b.id))!.placement).toMatchObject({ sent: true, inbox: false, read: true });
    const since = await reader.listSince(email, new Date(Date.now() - 60_000), null);
    expect(since.items).toEqual(expect.arrayContaining([a.id, b.id]));
  });

  it('an expired history is recovery.history_expired (Gmail answers 404)', async () => {
    const marker = await reader.changeMarker(email);
    await admin('POST', `/users/${email}/mail`, { direction: 'in', subject: 'later' });
    await admin('POST', `/users/${email}/history/expire`);
    await expect(reader.listAddedSince(email, marker, null)).rejects.toMatchObject({ code: 'recovery.history_expired' });
    sb.faults.set('*', 'gmail.history_expired', {});
    await expect(reader.listAddedSince(email, await reader.changeMarker(email), null)).rejects.toMatchObject({ code: 'recovery.history_expired' });
    sb.faults.clear();
  });
});
