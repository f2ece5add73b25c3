import { beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../errors/index.js';
import { DEMO, demoPeople } from '../../sandbox/demo.js';
import type { Sandbox } from '../../sandbox/server.js';
import { sandboxAdmin } from '../../../test/support/sandbox-admin.js';
import { useSandbox } from '../../../test/support/connector.js';
import { createHttpClient } from '../sdk/index.js';
import { googleConnector, isGoogleThrottle, MAX_IMPORT_BYTES } from './index.js';

/** The Google destination against the sandbox over real HTTP, with both sign-in methods. */
let sb: Sandbox;
// One clock for sandbox and connector, so a test can let a quota window pass.
let offsetMs = 0;
const clock = (): number => Date.now() + offsetMs;

const admin = (method: string, path: string, body?: unknown): Promise<any> => sandboxAdmin(sb, method, path, body);
const sandbox = useSandbox({ now: clock });
beforeEach(() => void (sb = sandbox()));

function destination(method: 'impersonation' | 'service_account_key' = 'impersonation') {
  const g = sb.demo.google;
  const http = createHttpClient({ provider: 'Google Workspace', isThrottle: isGoogleThrottle, sleep: async () => {}, maxRetries: 2 });
  return googleConnector.create(
    { http, now: () => new Date(clock()) },
    {
      serviceAccountEmail: g.serviceAccountEmail,
      adminEmail: g.adminEmail,
      domain: g.domain,
      auth: method === 'impersonation' ? { type: 'impersonation', tokenProviderKeyJson: g.tokenProviderKeyJson } : { type: 'service_account_key', keyJson: g.serviceAccountKeyJson },
      endpoints: { oauth: sb.urls.google_oauth, iam: sb.urls.google_iam, apis: sb.urls.google_apis },
    },
  );
}

const people = demoPeople(DEMO.seed, DEMO.userCount);
const existing = (i: number): string => `${people[i]!.localPart}@${DEMO.domain}`;
const missing = (i: number): string => `${people[10 + i]!.localPart}@${DEMO.domain}`;

function rfc822(messageId: string, subject: string, extra: string[] = []): Uint8Array {
  return Buffer.from(
    [`From: Grace <grace@contoso.test>`, `To: team@${DEMO.domain}`, `Subject: ${subject}`, 'Date: Mon, 02 Nov 2026 08:30:00 +0000', `Message-ID: <${messageId}>`, ...extra, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', `Body of ${subject}`, ''].join('\r\n'),
  );
}

async function code(p: Promise<unknown>): Promise<{ code: string; params: Record<string, unknown>; retryAfterMs: number | undefined }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AppError) return { code: e.code, params: { ...e.params }, retryAfterMs: e.retryAfterMs };
    throw e;
  }
  throw new Error('expected a failure');
}

describe.each(['impersonation', 'service_account_key'] as const)('Google destination (%s)', (method) => {
  it('reads existing accounts and answers null for missing ones', async () => {
    const d = destination(method);
    const acct = await d.getAccount(existing(0));
    expect(acct).toMatchObject({ primaryEmail: existing(0), givenName: people[0]!.givenName, familyName: people[0]!.surname, suspended: false });
    expect(await d.getAccount(`nobody-${method}@${DEMO.domain}`)).toBeNull();
  });

  it('imports with labels and state, then finds the message by Message-ID', async () => {
    const d = destination(method);
    const email = existing(method === 'impersonation' ? 1 : 2);
    const label = await d.ensureLabel(email, 'Clients/Acme');
    const msgId = `import-${method}@contoso.test`;
    const { id } = await d.importMessage(email, rfc822(msgId, `Quarterly ${method}`), { labelIds: ['INBOX', 'UNREAD', 'STARRED', label.id] });
    const read = await d.importMessage(email, rfc822(`read-${method}@contoso.test`, 'Already read'), { labelIds: [label.id] });
    // Gmail's search index lags behind the import; the message itself is exact at once.
    expect(await d.findByMessageId(email, `<${msgId}>`)).toBeNull();
    expect(await d.messageIdOf(email, id)).toBe(`<${msgId}>`);
    expect(await d.messageIdOf(email, 'ffffffffffffffff')).toBeNull();
    // Gmail refuses SENT/DRAFT changes and an empty modify (400): the connector never sends them.
    expect(await d.modifyLabels(email, id, ['SENT'], ['DRAFT'])).toBe(true);
    offsetMs += 5_001; // the sandbox's default index lag
    expect(await d.findByMessageId(email, `<${msgId}>`)).toBe(id);
    expect(await d.findByMessageId(email, msgId)).toBe(id);
    expect(await d.findByMessageId(email, 'never-imported@contoso.test')).toBeNull();
    const { messages } = await admin('GET', `/google/users/${email}/messages`);
    const stored = messages.find((m: { id: string }) => m.id === id);
    expect(stored).toMatchObject({ rfc822MessageId: `<${msgId}>`, subject: `Quarterly ${method}`, internalDate: '2026-11-02T08:30:00.000Z' });
    expect(stored.labelNames.sort()).toEqual(['Clients/Acme', 'INBOX', 'STARRED', 'UNREAD']);
    expect(messages.find((m: { id: string }) => m.id === read.id).labelNames).toEqual(['Clients/Acme']);
  });
});

describe('Google destination: tokens', () => {
  it('mints one token per user and scope set, and reuses it until near expiry', async () => {
    const d = destination();
    const before = (await admin('GET', '/google/stats')).requests['oauth2.token'] ?? 0;
    await d.getAccount(existing(0));
    await d.getAccount(existing(1));
    await d.listLabels(existing(0));
    await d.listLabels(existing(0));
    // admin+directory, and existing(0)+gmail: two exchanges (plus the token provider's own, once).
    expect((await admin('GET', '/google/stats')).requests['oauth2.token'] - before).toBe(3);
    offsetMs += 56 * 60_000; // within 5 minutes of the 1 h expiry: refreshed
    await d.getAccount(existing(0));
    expect((await admin('GET', '/google/stats')).requests['oauth2.token'] - before).toBe(5);
  });
});

describe('Google destination: accounts', () => {
  it('creates a missing account once; a second create returns the existing one', async () => {
    const d = destination();
    const email = missing(0);
    expect(await d.getAccount(email)).toBeNull();
    const first = await d.createAccount({ primaryEmail: email, givenName: people[10]!.givenName, familyName: people[10]!.surname });
    expect(first.created).toBe(true);
    expect(first.account).toMatchObject({ primaryEmail: email, givenName: people[10]!.givenName });
    expect(first.account.creationTime).not.toBeNull();
    const again = await d.createAccount({ primaryEmail: email, givenName: 'X', familyName: 'Y' });
    expect(again).toEqual({ account: first.account, created: false });
    const { users } = await admin('GET', '/google/users');
    expect(users.filter((u: { primaryEmail: string }) => u.primaryEmail === email)).toHaveLength(1);
    expect(users.find((u: { primaryEmail: string }) => u.primaryEmail === email).changePasswordAtNextLogin).toBe(true);
  });

  it('reports a refused creation as user_create_failed with Google’s reason', async () => {
    sb.faults.set(DEMO.domain, 'google.user_create_failing');
    const failure = await code(destination().createAccount({ primaryEmail: missing(1), givenName: 'A', familyName: 'B' }));
    expect(failure.code).toBe('google.user_create_failed');
    expect(String(failure.params['detail'])).toContain('Domain user limit reached');
  });

  it('a new mailbox is not ready until Gmail provisions it', async () => {
    await admin('POST', '/google/quotas', { newUserMailDelayMs: 120_000 });
    try {
      const d = destination();
      const email = missing(2);
      await d.createAccount({ primaryEmail: email, givenName: 'New', familyName: 'Hire' });
      expect((await code(d.importMessage(email, rfc822('early@contoso.test', 'Too early'), { labelIds: ['INBOX'] }))).code).toBe('google.user_not_ready');
      offsetMs += 121_000;
      expect((await d.importMessage(email, rfc822('later@contoso.test', 'In time'), { labelIds: ['INBOX'] })).id).toMatch(/^[0-9a-f]{16}$/);
    } finally {
      await admin('POST', '/google/quotas', { newUserMailDelayMs: 0 });
    }
  });

  it('pages through the directory', async () => {
    const d = destination();
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await d.listAccounts(cursor, { pageSize: 3 });
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((a) => a.primaryEmail));
      cursor = page.next;
      pages += 1;
    } while (cursor);
    const { users } = await admin('GET', '/google/users');
    expect(seen.sort()).toEqual(users.map((u: { primaryEmail: string }) => u.primaryEmail).sort());
    expect(pages).toBe(Math.ceil(users.length / 3));
  });
});

describe('Google destination: labels', () => {
  it('creates nested labels ancestor first, reuses them, and maps system names', async () => {
    const d = destination();
    const email = existing(3);
    const deep = await d.ensureLabel(email, 'Projects/Apollo/Specs');
    const names = (await d.listLabels(email)).filter((l) => l.type === 'user').map((l) => l.name);
    expect(names).toEqual(expect.arrayContaining(['Projects', 'Projects/Apollo', 'Projects/Apollo/Specs']));
    expect(await d.ensureLabel(email, 'projects/apollo/specs')).toEqual(deep);
    expect(await d.ensureLabel(email, 'INBOX')).toEqual({ id: 'INBOX', name: 'INBOX', type: 'system' });
    const before = (await admin('GET', '/google/stats')).requests['gmail.users.labels.create'];
    await d.ensureLabel(email, 'Projects/Apollo/Specs');
    expect((await admin('GET', '/google/stats')).requests['gmail.users.labels.create']).toBe(before);
  });

  it('resolves a 409 conflict from a concurrent creator to the existing label', async () => {
    const email = existing(4);
    const a = destination();
    const b = destination();
    const [x, y] = await Promise.all([a.ensureLabel(email, 'Shared/Board'), b.ensureLabel(email, 'Shared/Board')]);
    expect(x.id).toBe(y.id);
    expect((await a.listLabels(email)).filter((l) => l.name.toLowerCase().startsWith('shared'))).toHaveLength(2);
  });

  it('a reserved or localized name Gmail refuses (400 Invalid label name) takes the safe name the caller gives, or fails the item', async () => {
    const failure = await code(destination().ensureLabel(existing(4), 'Sent Mail'));
    expect(failure).toMatchObject({ code: 'item.rejected', params: { detail: 'Gmail refused the label "Sent Mail": Invalid label name' } });
    const safeSegment = (s: string): string => `${s} (Outlook)`;
    expect((await destination().ensureLabel(existing(4), 'Muted', { safeSegment })).name).toBe('Muted (Outlook)');
    expect((await destination().ensureLabel(existing(4), 'Enviado/2026', { safeSegment })).name).toBe('Enviado (Outlook)/2026');
    // Under a system label, a child is an ordinary user label.
    expect((await destination().ensureLabel(existing(4), 'Inbox/Receipts')).name).toBe('Inbox/Receipts');
  });
});

describe('Google destination: limits and faults', () => {
  it('refuses a message over 50 MB before sending it', async () => {
    const before = (await admin('GET', '/google/stats')).requests['gmail.users.messages.import'] ?? 0;
    const failure = await code(destination().importMessage(existing(5), new Uint8Array(MAX_IMPORT_BYTES + 1), { labelIds: [] }));
    expect(failure).toMatchObject({ code: 'item.too_large', params: { size: MAX_IMPORT_BYTES + 1, limit: MAX_IMPORT_BYTES } });
    expect((await admin('GET', '/google/stats')).requests['gmail.users.messages.import'] ?? 0).toBe(before);
  });

  it('honours the per-user unit quota: throttled with the time to wait, then accepted after it', async () => {
    await admin('POST', '/google/quotas', { userUnitsPerMinute: 60 });
    try {
      const d = destination();
      const email = existing(6);
      await d.importMessage(email, rfc822('q1@contoso.test', 'q1'), { labelIds: [] });
      await d.importMessage(email, rfc822('q2@contoso.test', 'q2'), { labelIds: [] });
      const throttledBefore = (await admin('GET', '/google/stats')).throttled;
      const failure = await code(d.importMessage(email, rfc822('q3@contoso.test', 'q3'), { labelIds: [] }));
      expect(failure.code).toBe('sync.rate_limited');
      expect(failure.params['provider']).toBe('Google Workspace');
      expect(failure.retryAfterMs).toBeGreaterThan(50_000);
      expect(failure.retryAfterMs).toBeLessThanOrEqual(60_000);
      // The HTTP client retried in-line (maxRetries 2) before giving up: three throttled answers.
      expect((await admin('GET', '/google/stats')).throttled - throttledBefore).toBe(3);
      // Another user's budget is untouched.
      await d.importMessage(existing(7), rfc822('other@contoso.test', 'other'), { labelIds: [] });
      offsetMs += failure.retryAfterMs! + 1;
      const ok = await d.importMessage(email, rfc822('q3@contoso.test', 'q3'), { labelIds: [] });
      expect(await d.messageIdOf(email, ok.id)).toBe('<q3@contoso.test>');
    } finally {
      await admin('POST', '/google/quotas', { userUnitsPerMinute: 6000 });
    }
  });

  it('maps a throttle storm, a rejected import and a disabled API', async () => {
    const d = destination();
    const email = existing(8);
    sb.faults.set(DEMO.domain, 'gmail.throttle');
    expect((await code(d.listLabels(email))).code).toBe('sync.rate_limited');
    sb.faults.clear();
    sb.faults.set(DEMO.domain, 'gmail.reject_import');
    const rejected = await code(d.importMessage(email, rfc822('bad@contoso.test', 'bad'), { labelIds: [] }));
    expect(rejected).toMatchObject({ code: 'item.rejected', params: { detail: 'Invalid argument (invalidArgument)' } });
    sb.faults.clear();
    sb.faults.set(DEMO.domain, 'google.api_disabled', { api: 'gmail' });
    expect(await code(d.importMessage(email, rfc822('off@contoso.test', 'off'), { labelIds: [] }))).toMatchObject({
      code: 'google.api_disabled',
      params: { api: 'Gmail API', project: `projects/${sb.demo.google.projectNumber}` },
    });
    sb.faults.clear();
    sb.faults.set(DEMO.domain, 'google.token_creator_missing');
    expect((await code(destination().getAccount(existing(0)))).code).toBe('google.token_creator_missing');
  });

  it('rejects an unknown label id as an item failure', async () => {
    const failure = await code(destination().importMessage(existing(9), rfc822('nolabel@contoso.test', 'x'), { labelIds: ['Label_missing'] }));
    expect(failure).toMatchObject({ code: 'item.rejected', params: { detail: 'Invalid label: Label_missing (invalidArgument)' } });
  });
});
