import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialect } from '../src/store/db.js';
import { sandboxAdmin, setFault, clearFaults, waitFor } from './support/sandbox-admin.js';
import { continuityWorld, destinationMessagesFull, runCycle, sourceMailbox, userDetail, type DestinationMessage } from './support/continuity.js';

/**
 * Mailbox sync beyond the first import: every change a delta round carries (read state,
 * flags, categories, moves, deletions, drafts, new folders), label names Gmail would refuse,
 * an expired delta token, items that cannot sync and "Retry failed items", reconciliation,
 * throttling by either side, and the cost of a cycle with nothing to do.
 */
export function continuityChangesSuite(dialect: Dialect): void {
  describe(`continuity changes on ${dialect}`, () => {
    let world: Awaited<ReturnType<typeof continuityWorld>>;
    let policyId: string;
    let a: string; // a user whose Google account exists
    let b: string; // a user whose Google account Syncwarden creates
    const dest = (upn: string) => upn; // same domain in the demo
    const msgs = async (upn: string): Promise<DestinationMessage[]> => destinationMessagesFull(world.sandbox, dest(upn));
    const byMid = async (upn: string, mid: string) => (await msgs(upn)).filter((m) => m.rfc822MessageId === mid);

    beforeAll(async () => {
      world = await continuityWorld(dialect, { workers: 4 });
      const { users } = await sandboxAdmin<{ users: { userPrincipalName: string }[] }>(world.sandbox, 'GET', '/microsoft/users');
      a = users[1]!.userPrincipalName;
      b = users[12]!.userPrincipalName;
      const r = await world.app.api('/policies', {
        method: 'POST',
        body: JSON.stringify({ name: 'Changes', sourceConnectionId: world.sourceId, destinationConnectionId: world.destinationId, enabled: false, selection: { mode: 'list', include: [a, b] }, massDeletionPercent: 0 }),
      });
      policyId = r.body.id;
      // Give A the things a delta must carry: a draft, a categorised and an important message.
      await sandboxAdmin(world.sandbox, 'POST', `/microsoft/mailboxes/${a}/messages`, { isDraft: true, subject: 'Draft v1' });
      await sandboxAdmin(world.sandbox, 'POST', `/microsoft/mailboxes/${a}/messages`, { subject: 'Categorised', categories: ['Finance'], importance: 'high', flagged: true });
    });
    afterAll(async () => {
      await world?.close();
    });

    it('initial sync: state, categories and drafts as Gmail users see them in Outlook', async () => {
      const users = await runCycle(world.app, policyId);
      expect(users.map((u) => [u.email, u.status, u.lastError?.code ?? null])).toEqual(expect.arrayContaining([[a, 'synced', null], [b, 'synced', null]]));
      const m = await msgs(a);
      const cat = m.find((x) => x.subject === 'Categorised')!;
      expect(cat.labelNames).toEqual(expect.arrayContaining(['INBOX', 'Outlook categories/Finance', 'IMPORTANT', 'STARRED', 'UNREAD']));
      const draft = m.find((x) => x.subject === 'Draft v1')!;
      expect(draft.labelIds).toEqual(['DRAFT']);
      expect(draft.draftId).toBeTruthy();
      // Every source message of the window is there once.
      const ids = m.map((x) => x.rfc822MessageId);
      expect(new Set(ids).size).toBe(ids.length);
      const detail = await userDetail(world.app, a);
      expect(detail.folders.find((f) => f.name === 'Inbox')!.windowTotal).toBeGreaterThan(0);
    });

    it('a cycle with no changes costs one source request per folder and no destination units', async () => {
      const before = await sandboxAdmin<{ unitsSpent: number; imports: number }>(world.sandbox, 'GET', '/google/stats');
      await sandboxAdmin(world.sandbox, 'DELETE', '/microsoft/mail/stats');
      await runCycle(world.app, policyId);
      const after = await sandboxAdmin<{ unitsSpent: number; imports: number }>(world.sandbox, 'GET', '/google/stats');
      const graph = await sandboxAdmin<{ byMailbox: Record<string, number> }>(world.sandbox, 'GET', '/microsoft/mail/stats');
      expect(after.unitsSpent - before.unitsSpent).toBe(0);
      for (const upn of [a, b]) {
        const folders = (await userDetail(world.app, upn)).folders.length;
        expect(graph.byMailbox[upn], upn).toBe(folders);
      }
    });

    it('carries read state, flags, categories, moves, deletions, new mail and draft edits', async () => {
      const src = await sourceMailbox(world.sandbox, a);
      const inbox = src.folders.find((f) => f.wellKnownName === 'inbox')!;
      const unread = inbox.messages.find((m) => !m.isRead && !m.isDraft && Date.parse(m.receivedDateTime) > Date.now() - 20 * 86_400_000)!;
      const [toMove, toDelete, toFlag] = inbox.messages.filter((m) => m.id !== unread.id && Date.parse(m.receivedDateTime) > Date.now() - 20 * 86_400_000);
      const draft = src.folders.find((f) => f.wellKnownName === 'drafts')!.messages.find((m) => m.subject === 'Draft v1')!;
      await sandboxAdmin(world.sandbox, 'PATCH', `/microsoft/mailboxes/${a}/messages/${unread.id}`, { isRead: true });
      await sandboxAdmin(world.sandbox, 'PATCH', `/microsoft/mailboxes/${a}/messages/${toFlag!.id}`, { flagged: true, categories: ['Red category'] });
      await sandboxAdmin(world.sandbox, 'PATCH', `/microsoft/mailboxes/${a}/messages/${toMove!.id}`, { folder: 'archive' });
      await sandboxAdmin(world.sandbox, 'DELETE', `/microsoft/mailboxes/${a}/messages/${toDelete!.id}`);
      const fresh = await sandboxAdmin<{ internetMessageId: string }>(world.sandbox, 'POST', `/microsoft/mailboxes/${a}/messages`, { subject: 'Fresh news' });
      await sandboxAdmin(world.sandbox, 'PATCH', `/microsoft/mailboxes/${a}/messages/${draft.id}`, { subject: 'Draft v2', body: 'Edited' });
      const unitsBefore = (await sandboxAdmin<{ imports: number }>(world.sandbox, 'GET', '/google/stats')).imports;

      await runCycle(world.app, policyId);
      expect((await byMid(a, unread.internetMessageId!))[0]!.labelIds).not.toContain('UNREAD');
      expect((await byMid(a, toFlag!.internetMessageId!))[0]!.labelNames).toEqual(expect.arrayContaining(['STARRED', 'Outlook categories/Red category']));
      const moved = await byMid(a, toMove!.internetMessageId!);
      expect(moved).toHaveLength(1);
      expect(moved[0]!.labelNames).toContain('Archive (Outlook)');
      expect(moved[0]!.labelNames).not.toContain('INBOX');
      const deleted = await byMid(a, toDelete!.internetMessageId!);
      expect(deleted).toHaveLength(1);
      expect(deleted[0]!.labelIds).toContain('TRASH');
      expect(await byMid(a, fresh.internetMessageId)).toHaveLength(1);
      const drafts = (await msgs(a)).filter((m) => m.labelIds.includes('DRAFT'));
      expect(drafts.filter((d) => d.subject.startsWith('Draft v')).map((d) => d.subject)).toEqual(['Draft v2']);
      // One import: the new message. Everything else was a label change, a trash or a draft update.
      expect((await sandboxAdmin<{ imports: number }>(world.sandbox, 'GET', '/google/stats')).imports - unitsBefore).toBe(1);
      // A move back, and a draft that was sent: the sent message replaces the Gmail draft.
      await sandboxAdmin(world.sandbox, 'PATCH', `/microsoft/mailboxes/${a}/messages/${toMove!.id}`, { folder: 'inbox' });
      const sent = await sandboxAdmin<{ internetMessageId: string }>(world.sandbox, 'PATCH', `/microsoft/mailboxes/${a}/messages/${draft.id}`, { send: true });
      await runCycle(world.app, policyId);
      expect((await byMid(a, toMove!.internetMessageId!))[0]!.labelNames).toContain('INBOX');
      expect((await msgs(a)).filter((m) => m.labelIds.includes('DRAFT') && m.subject.startsWith('Draft v'))).toEqual([]);
      const sentCopy = await byMid(a, sent.internetMessageId);
      expect(sentCopy).toHaveLength(1);
      expect(sentCopy[0]!.labelIds).toContain('SENT');
      expect(sentCopy[0]!.subject).toBe('Draft v2');
    });

    it('maps new folders, names Gmail refuses and names that collide, after a message moves into them', async () => {
      // 'Starred' is in our list of Gmail's reserved names and is renamed before it is asked
      // for; 'Gelesen' is refused by this mailbox's Gmail only (its list is longer than ours):
      // it takes its safe form, 'Gelesen (Outlook)', which is also the name of another new
      // folder, set up at the same time. Each folder keeps a label of its own.
      await sandboxAdmin(world.sandbox, 'POST', `/google/users/${dest(b)}/labels/reserved`, { names: ['Gelesen'] });
      const names = ['Reports', 'reports', 'Q1/Q2 "plans"', 'Starred', 'Gelesen', 'Gelesen (Outlook)'];
      for (const name of names) await sandboxAdmin(world.sandbox, 'POST', `/microsoft/mailboxes/${b}/folders`, { name });
      const src = await sourceMailbox(world.sandbox, b);
      const ids = src.folders.filter((f) => !f.isHidden && f.wellKnownName !== 'outbox').flatMap((f) => f.messages).filter((m) => !m.isDraft && Date.parse(m.receivedDateTime) > Date.now() - 20 * 86_400_000).slice(0, names.length);
      expect(ids.length).toBe(names.length);
      const folderIds = names.map((n) => src.folders.find((f) => f.path.at(-1) === n)!);
      for (const [i, m] of ids.entries()) await sandboxAdmin(world.sandbox, 'PATCH', `/microsoft/mailboxes/${b}/messages/${m.id}`, { folder: folderIds[i]!.id });
      // The first cycle finds the messages in folders it does not know and reads the folder list again.
      const calls = async () => (await sandboxAdmin<{ requests: Record<string, number> }>(world.sandbox, 'GET', '/google/stats')).requests;
      const before = await calls();
      await runCycle(world.app, policyId);
      await runCycle(world.app, policyId);
      const after = await calls();
      // The six new folders' labels: the mailbox's labels listed once for them all, not once per
      // folder (twice more here: the refused name's safe form met the other folder's label being
      // made at the same time, and the folder set up again alone lists afresh).
      const listed = (after['gmail.users.labels.list'] ?? 0) - (before['gmail.users.labels.list'] ?? 0);
      expect(listed).toBeGreaterThanOrEqual(1);
      expect(listed).toBeLessThanOrEqual(3);
      const want = ['Reports', 'reports (2)', 'Q1-Q2 -plans-', 'Starred (Outlook)', 'Gelesen (Outlook)', 'Gelesen (Outlook) (2)'];
      const labelNames = new Set((await msgs(b)).flatMap((m) => m.labelNames));
      for (const n of want) expect(labelNames.has(n), n).toBe(true);
      const folders = (await userDetail(world.app, b)).folders;
      expect(folders.map((f) => f.label)).toEqual(expect.arrayContaining(want));
      const labels = folders.map((f) => f.label).filter((l) => l !== null);
      expect(new Set(labels.map((l) => l!.toLowerCase())).size, 'one label per folder').toBe(labels.length);
    });

    it('an expired delta token re-reads the folder without duplicating anything', async () => {
      const importsBefore = (await sandboxAdmin<{ imports: number }>(world.sandbox, 'GET', '/google/stats')).imports;
      await setFault(world.sandbox, 'graph.delta_expired');
      const fresh = await sandboxAdmin<{ internetMessageId: string }>(world.sandbox, 'POST', `/microsoft/mailboxes/${a}/messages`, { subject: 'After the reset' });
      await runCycle(world.app, policyId);
      await clearFaults(world.sandbox);
      expect(await byMid(a, fresh.internetMessageId)).toHaveLength(1);
      expect((await sandboxAdmin<{ imports: number }>(world.sandbox, 'GET', '/google/stats')).imports - importsBefore).toBe(1);
      for (const upn of [a, b]) {
        const ids = (await msgs(upn)).map((m) => m.rfc822MessageId);
        expect(new Set(ids).size, upn).toBe(ids.length);
      }
    });

    it('items that cannot sync are recorded one by one and do not fail the user; "Retry failed items" retries just those', async () => {
      for (const f of ['item.too_large', 'item.encrypted', 'item.unsupported_type']) await setFault(world.sandbox, f, '*', { user: b, count: 1 });
      await setFault(world.sandbox, 'gmail.reject_import', '*', { everyNth: 1 });
      await sandboxAdmin(world.sandbox, 'POST', `/microsoft/mailboxes/${b}/messages`, { subject: 'Rejected once' });
      // The item faults add their messages when the mailbox is next read through the admin API.
      await sourceMailbox(world.sandbox, b);
      await runCycle(world.app, policyId);
      await clearFaults(world.sandbox);
      const u = await userDetail(world.app, b);
      expect(u.status).toBe('synced');
      const items = (await world.app.api(`/sync/users/${u.id}/items?state=failed`)).body;
      const codes = items.items.map((i: { error: { code: string } }) => i.error.code).sort();
      expect(codes).toEqual(['item.encrypted', 'item.rejected', 'item.too_large', 'item.unsupported_type']);
      expect(u.failedItems).toBe(4);
      const audit = (await world.app.api('/audit?action=sync.item&limit=100')).body.events.filter((e: { action: string }) => e.action === 'sync.item_failed');
      expect(audit.length).toBeGreaterThanOrEqual(4);

      const importsBefore = (await sandboxAdmin<{ imports: number }>(world.sandbox, 'GET', '/google/stats')).imports;
      const retry = await world.app.api(`/sync/users/${u.id}/retry-failed`, { method: 'POST', body: '{}' });
      expect(retry.status).toBe(202);
      expect(retry.body.queued).toBe(4);
      await waitFor('the retry to run', async () => {
        const d = await userDetail(world.app, b);
        const left = (await world.app.api(`/sync/users/${u.id}/items?state=failed`)).body.items as { state: string }[];
        return d.status === 'synced' && left.every((i) => i.state === 'failed') ? left : undefined;
      });
      const after = (await world.app.api(`/sync/users/${u.id}/items?state=failed`)).body.items.map((i: { error: { code: string } }) => i.error.code).sort();
      expect(after).toEqual(['item.encrypted', 'item.too_large', 'item.unsupported_type']);
      // Only the rejected message was imported again; nothing else was re-read.
      expect((await sandboxAdmin<{ imports: number }>(world.sandbox, 'GET', '/google/stats')).imports - importsBefore).toBe(1);
      expect((await userDetail(world.app, b)).failedItems).toBe(3);
    });

    it('reconciles source and destination per folder and classifies every gap', async () => {
      const r = await world.app.api(`/sync/users/${encodeURIComponent(b)}/reconcile`, { method: 'POST' });
      expect(r.status).toBe(200);
      const inbox = r.body.folders.find((f: { name: string }) => f.name === 'Inbox').reconciliation;
      const failed = inbox.gaps.find((g: { class: string }) => g.class === 'failed_item');
      expect(failed.count).toBe(3);
      expect(inbox.matched + failed.count).toBe(inbox.source);
      expect(inbox.gaps.map((g: { class: string }) => g.class).every((c: string) => ['failed_item', 'extra_in_destination'].includes(c))).toBe(true);
      // A message deleted in Gmail by the user shows as missing in the destination.
      const archive = r.body.folders.find((f: { name: string }) => f.name === 'Archive').reconciliation;
      expect(archive.gaps.find((g: { class: string }) => g.class === 'missing_in_destination')).toBeUndefined();
      const detail = await userDetail(world.app, b);
      expect(detail.folders.find((f) => f.name === 'Inbox')!.reconciliation.source).toBe(inbox.source);
    });

    it('"Run now" while a user\'s sync is under way: mail that arrived after its read syncs right after, not at the next schedule', async () => {
      // Slow imports keep A's run busy after it has read its changes.
      for (let i = 0; i < 12; i += 1) await sandboxAdmin(world.sandbox, 'POST', `/microsoft/mailboxes/${a}/messages`, { subject: `Slow import ${String(i).padStart(2, '0')}` });
      await setFault(world.sandbox, 'net.slow', 'google_apis', { ms: 1_000 });
      expect((await world.app.api(`/policies/${policyId}/run`, { method: 'POST' })).status).toBe(202);
      await waitFor('the first slow import', async () => ((await msgs(a)).some((m) => m.subject.startsWith('Slow import')) ? true : undefined), 60_000, 100);
      const running = await world.app.rt.store.db.selectFrom('jobs').select('id').where('kind', '=', 'user.sync').where('status', '=', 'running').execute();
      expect(running.length).toBeGreaterThan(0);
      // Arrives after the run read A's changes; the admin asks again while the run still imports.
      await sandboxAdmin(world.sandbox, 'POST', `/microsoft/mailboxes/${a}/messages`, { subject: 'Arrived mid-run' });
      expect((await world.app.api(`/policies/${policyId}/run`, { method: 'POST' })).status).toBe(202);
      await clearFaults(world.sandbox);
      // The policy's schedule is 15 minutes away: only the run asked for brings it.
      await waitFor('the mail that arrived mid-run', async () => ((await msgs(a)).some((m) => m.subject === 'Arrived mid-run') ? true : undefined), 60_000, 200);
      const subjects = (await msgs(a)).map((m) => m.subject).filter((x) => x.startsWith('Slow import') || x === 'Arrived mid-run');
      expect(subjects.sort()).toEqual(['Arrived mid-run', ...Array.from({ length: 12 }, (_, i) => `Slow import ${String(i).padStart(2, '0')}`)]);
      await waitFor('A synced', async () => ((await userDetail(world.app, a)).status === 'synced' ? true : undefined), 60_000, 200);
    }, 180_000);

    it('throttled by the destination or the source: the status says so and when it resumes, then the sync resumes', async () => {
      await setFault(world.sandbox, 'gmail.throttle', '*', { everyNth: 1 });
      await sandboxAdmin(world.sandbox, 'POST', `/microsoft/mailboxes/${a}/messages`, { subject: 'During a Gmail storm' });
      await world.app.api(`/policies/${policyId}/run`, { method: 'POST' });
      const throttled = await waitFor('Throttled by destination', async () => {
        const d = await userDetail(world.app, a);
        return d.status === 'throttled' ? d : undefined;
      }, 60_000, 100);
      expect(throttled.throttledBy).toBe('destination');
      expect(throttled.resumesAt).not.toBeNull();
      expect(throttled.lastError?.code).toBe('sync.rate_limited');
      await clearFaults(world.sandbox);
      await waitFor('the sync to resume', async () => ((await msgs(a)).some((m) => m.subject === 'During a Gmail storm') ? true : undefined), 60_000, 200);

      await setFault(world.sandbox, 'graph.throttle', '*', { retryAfterSeconds: 2 });
      await sandboxAdmin(world.sandbox, 'POST', `/microsoft/mailboxes/${a}/messages`, { subject: 'During a Graph storm' });
      await world.app.api(`/sync/users/${encodeURIComponent(a)}/retry`, { method: 'POST' });
      const bySource = await waitFor('Throttled by source', async () => {
        const d = await userDetail(world.app, a);
        return d.status === 'throttled' ? d : undefined;
      }, 60_000, 100);
      expect(bySource.throttledBy).toBe('source');
      await clearFaults(world.sandbox);
      await waitFor('the sync to resume', async () => ((await msgs(a)).some((m) => m.subject === 'During a Graph storm') ? true : undefined), 60_000, 200);
      await waitFor('the user to be synced', async () => ((await userDetail(world.app, a)).status === 'synced' ? true : undefined), 60_000, 200);
      expect((await msgs(a)).filter((m) => m.subject.startsWith('During a')).length).toBe(2);
      // Several waits in a row, each up to a minute on a loaded machine.
    }, 240_000);

    it('explains one user step by step', async () => {
      const r = await world.app.api(`/sync/users/${encodeURIComponent(a)}/explain`);
      expect(r.status).toBe(200);
      expect(r.body.steps.map((s: { step: string }) => s.step)).toEqual(['policy', 'selection', 'destination', 'connections', 'connections', 'status', 'schedule']);
      // The policy is disabled (it only runs when asked): the first thing to fix.
      expect(r.body.steps[0].status).toBe('fail');
      expect(r.body.steps[0].error.code).toBe('sync.policy_disabled');
      expect(r.body.steps[1].status).toBe('pass');
      expect(r.body.steps[2].status).toBe('pass');
      expect(r.body.verdict).toContain('Policy');
    });
  });
}
