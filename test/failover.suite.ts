import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import type { Dialect } from '../src/store/db.js';
import { continuityWorld, waitForQuiet } from './support/continuity.js';
import { sandboxAdmin, setFault, clearFaults, waitFor } from './support/sandbox-admin.js';
import { probeDueFailovers, proposeDueFailovers, resumeStalledRecoveries } from '../src/continuity/failover/failover.js';
import type { Runtime } from '../src/runtime/context.js';
import { recoverUser } from '../src/continuity/failover/recovery.js';

/**
 * Failover and reverse recovery end to end, through the API against the sandbox: an outage
 * is declared while Microsoft 365 answers 503; mail reaches and leaves the Google mailboxes;
 * recovery refuses to start without write-back consent or while Microsoft 365 is down; then
 * it writes every message of the outage into the right Outlook folder as received or sent
 * mail (never a draft), with read state, flag, dates and attachments, exactly once; forward
 * sync does not import any of it back into Gmail; the report and its CSV tell each outcome.
 */
type M365Mailbox = {
  folders: { id: string; path: string[]; wellKnownName: string | null; messages: { id: string; internetMessageId: string | null; subject: string; receivedDateTime: string; isRead: boolean; isDraft: boolean; flagged: boolean; attachments: { name: string; size: number; sha256: string }[] }[] }[];
};
type GmailMessage = { id: string; rfc822MessageId: string | null; labelNames: string[]; subject: string };

export function failoverSuite(dialect: Dialect): void {
  describe(`failover and reverse recovery on ${dialect}`, () => {
    let w: Awaited<ReturnType<typeof continuityWorld>>;
    let policyId: string;
    let ada: { upn: string; google: string };
    let bob: { upn: string; google: string };
    const big = Buffer.alloc(5 * 1024 * 1024 + 123, 7); // over 3 MB: an upload session
    const small = Buffer.from('quarterly numbers attached\n'.repeat(50));
    let dualMessageId: string;

    beforeAll(async () => {
      w = await continuityWorld(dialect, { workers: 4 });
      const all = (await sandboxAdmin<{ users: { userPrincipalName: string }[] }>(w.sandbox, 'GET', '/microsoft/users')).users.map((u) => u.userPrincipalName);
      // Two users with small mailboxes (index 3 is empty in the demo world).
      const picked = [all[3]!, all[14]!];
      const r = await w.app.api('/policies', { method: 'POST', body: JSON.stringify({ name: 'Recovery', sourceConnectionId: w.sourceId, destinationConnectionId: w.destinationId, enabled: true, initialWindowDays: 30, selection: { mode: 'list', include: picked } }) });
      expect(r.status).toBe(201);
      policyId = r.body.id;
      const users = await waitForQuiet(w.app, 2, 180_000);
      expect(users.every((u) => u.status === 'synced')).toBe(true);
      const byUpn = new Map(users.map((u) => [u.email, u.destinationEmail]));
      ada = { upn: picked[0]!, google: byUpn.get(picked[0]!)! };
      bob = { upn: picked[1]!, google: byUpn.get(picked[1]!)! };
    }, 240_000);
    afterAll(async () => {
      await w?.close();
    });

    it('declares the outage while Microsoft 365 is down and shows the banner', async () => {
      await setFault(w.sandbox, 'm365.outage', '*', { mode: 'error' });
      const since = new Date(Date.now() - 5 * 60_000).toISOString();
      const d = await w.app.api(`/policies/${policyId}/failover/declare`, { method: 'POST', body: JSON.stringify({ since, reason: 'Exchange Online incident EX123' }) });
      expect(d.status).toBe(201);
      expect(d.body.state).toBe('active');
      expect(d.body.banner).toMatch(/^Microsoft 365 outage since .*; users work in Google Workspace/);
      const again = await w.app.api(`/policies/${policyId}/failover/declare`, { method: 'POST', body: JSON.stringify({}) });
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('failover.already_active');
      const open = await w.app.api('/failovers');
      expect(open.body.failovers.map((f: { policyId: string }) => f.policyId)).toEqual([policyId]);
      // Forward sync waits for the probe rather than failing users.
      const probe = await w.app.api(`/policies/${policyId}/failover/probe`, { method: 'POST' });
      expect(probe.body.lastProbeError.code).toBe('provider.unavailable');
      expect(probe.body.healthySince).toBeNull();
    });

    it('mail reaching and leaving Google during the outage is written back, exactly once and not as drafts', async () => {
      // Received (unread, starred, with a small and a large attachment), sent, labelled, read.
      const inMail = await sandboxAdmin(w.sandbox, 'POST', `/google/users/${encodeURIComponent(ada.google)}/mail`, {
        direction: 'in', subject: 'Invoice during outage', text: 'Please pay', starred: true,
        attachments: [{ filename: 'numbers.txt', contentType: 'text/plain', base64: small.toString('base64') }, { filename: 'scan.pdf', contentType: 'application/pdf', base64: big.toString('base64') }],
      });
      const sent = await sandboxAdmin(w.sandbox, 'POST', `/google/users/${encodeURIComponent(ada.google)}/mail`, { direction: 'out', subject: 'Reply sent from Gmail', html: '<p>On it</p>', to: ['partner@fabrikam.test'] });
      const labelled = await sandboxAdmin(w.sandbox, 'POST', `/google/users/${encodeURIComponent(ada.google)}/mail`, { direction: 'in', subject: 'Project note', labels: ['Outage projects/Apollo'], read: true });
      await sandboxAdmin(w.sandbox, 'POST', `/google/users/${encodeURIComponent(ada.google)}/mail`, { direction: 'in', subject: 'Lunch on Friday?', read: true });
      // A message Microsoft 365 also holds (delivered to both): skipped as already present.
      const m365 = await sandboxAdmin<{ internetMessageId: string }>(w.sandbox, 'POST', `/microsoft/mailboxes/${encodeURIComponent(bob.upn)}/messages`, { subject: 'Dual delivery', folder: 'inbox' });
      dualMessageId = m365.internetMessageId;
      await sandboxAdmin(w.sandbox, 'POST', `/google/users/${encodeURIComponent(bob.google)}/mail`, { direction: 'in', subject: 'Dual delivery', messageId: dualMessageId });
      await sandboxAdmin(w.sandbox, 'POST', `/google/users/${encodeURIComponent(bob.google)}/mail/bulk`, { count: 12, sentShare: 0.4, attachmentShare: 0.25, attachmentBytes: 20_000, labels: ['Receipts'], labelShare: 0.3 });
      expect(inMail).toBeTruthy();
      expect(sent).toBeTruthy();
      expect(labelled).toBeTruthy();

      // Not yet: no write-back consent on the source.
      const noConsent = await w.app.api(`/policies/${policyId}/failover/recover`, { method: 'POST' });
      expect(noConsent.status).toBe(409);
      expect(noConsent.body.error.code).toBe('failover.recovery_not_consented');
      // Recovery is switched on (a failover is open) before write-back is consented: the doctor
      // already checks Mail.ReadWrite, as a warning (forward sync does not need it), with the consent link.
      const planned = (await w.app.api(`/connections/${w.sourceId}/test`, { method: 'POST' })).body.findings.find((f: { check: string }) => f.check === 'permission:Mail.ReadWrite');
      expect(planned.status).toBe('warning');
      expect(planned.error.code).toBe('m365.permission_missing');
      expect(planned.detail).toMatch(/^Grant admin consent: .*\/adminconsent\?client_id=/);
      const wb = await w.app.api(`/connections/${w.sourceId}/write-back`, { method: 'POST', body: JSON.stringify({ enabled: true }) });
      expect(wb.status).toBe(200);
      expect(wb.body.writeBack.permissions).toEqual(['Mail.ReadWrite']);
      expect(wb.body.writeBack.adminConsentUrl).toContain('/adminconsent?client_id=');
      // The doctor now checks Mail.ReadWrite: not granted yet (the seeds' "Insufficient permissions" row).
      const test1 = await w.app.api(`/connections/${w.sourceId}/test`, { method: 'POST' });
      const missing = test1.body.findings.find((f: { check: string }) => f.check === 'permission:Mail.ReadWrite');
      expect(missing.status).toBe('fail');
      expect(missing.error.code).toBe('m365.permission_missing');
      expect(missing.error.message).toContain('Mail.ReadWrite');
      expect(missing.detail).toMatch(/^Grant admin consent: .*\/adminconsent\?client_id=/);
      await sandboxAdmin(w.sandbox, 'POST', '/microsoft/consent', { permissions: ['User.Read.All', 'Mail.Read', 'Mail.ReadWrite'] });
      const test2 = await w.app.api(`/connections/${w.sourceId}/test`, { method: 'POST' });
      expect(test2.body.findings.find((f: { check: string }) => f.check === 'permission:Mail.ReadWrite').status).toBe('pass');
      // Not yet: Microsoft 365 still down.
      const down = await w.app.api(`/policies/${policyId}/failover/recover`, { method: 'POST' });
      expect(down.status).toBe(409);
      expect(down.body.error.code).toBe('failover.source_unhealthy');

      await clearFaults(w.sandbox);
      const go = await w.app.api(`/policies/${policyId}/failover/recover`, { method: 'POST' });
      expect(go.status).toBe(202);
      expect(go.body.state).toBe('recovering');
      const done = await waitFor('recovery to finish', async () => {
        const r = await w.app.api(`/policies/${policyId}/recovery`);
        return r.body.failover.state === 'recovered' ? r.body : undefined;
      }, 180_000, 300);
      expect(done.users.map((u: { status: string }) => u.status)).toEqual(['recovered', 'recovered']);
      expect(done.failover.banner).toBeNull();

      const adaBox = await sandboxAdmin<M365Mailbox>(w.sandbox, 'GET', `/microsoft/mailboxes/${encodeURIComponent(ada.upn)}`);
      const find = (subject: string) => adaBox.folders.flatMap((f) => f.messages.map((m) => ({ ...m, folder: f }))).filter((m) => m.subject === subject);
      const invoice = find('Invoice during outage');
      expect(invoice).toHaveLength(1);
      expect(invoice[0]!.folder.wellKnownName).toBe('inbox');
      expect(invoice[0]!.isDraft).toBe(false);
      expect(invoice[0]!.isRead).toBe(false);
      expect(invoice[0]!.flagged).toBe(true);
      expect(invoice[0]!.attachments.map((a) => [a.name, a.size, a.sha256]).sort()).toEqual(
        [['numbers.txt', small.length, sha(small)], ['scan.pdf', big.length, sha(big)]].sort(),
      );
      const reply = find('Reply sent from Gmail');
      expect(reply).toHaveLength(1);
      expect(reply[0]!.folder.wellKnownName).toBe('sentitems');
      expect(reply[0]!.isDraft).toBe(false);
      const note = find('Project note');
      expect(note).toHaveLength(1);
      expect(note[0]!.folder.path).toEqual(['Outage projects', 'Apollo']);
      expect(note[0]!.isRead).toBe(true);
      // Nothing recovered anywhere is a draft.
      expect(adaBox.folders.filter((f) => f.wellKnownName === 'drafts').flatMap((f) => f.messages).filter((m) => m.subject.includes('outage'))).toEqual([]);

      expect(done.users.find((u: { email: string }) => u.email === ada.upn).written).toBe(4);
      const bobReport = done.users.find((u: { email: string }) => u.email === bob.upn);
      expect(bobReport.written).toBe(12);
      expect(bobReport.skipped).toBe(1);
      const skipped = await w.app.api(`/policies/${policyId}/recovery/users/${bobReport.id}/items?state=skipped`);
      expect(skipped.body.items.map((i: { skipReason: string; internetMessageId: string }) => [i.skipReason, i.internetMessageId])).toEqual([['already_present', dualMessageId]]);

      // Exactly once: every Message-ID once in Microsoft 365.
      for (const upn of [ada.upn, bob.upn]) {
        const box = await sandboxAdmin<M365Mailbox>(w.sandbox, 'GET', `/microsoft/mailboxes/${encodeURIComponent(upn)}`);
        const ids = box.folders.flatMap((f) => f.messages.map((m) => m.internetMessageId)).filter((x): x is string => x !== null);
        expect(ids.length).toBe(new Set(ids).size);
      }
    }, 300_000);

    it('forward sync resumes and imports nothing recovered back into Gmail (no loops)', async () => {
      // New mail that reached Microsoft 365 meanwhile is still synced.
      const fresh = await sandboxAdmin<{ internetMessageId: string }>(w.sandbox, 'POST', `/microsoft/mailboxes/${encodeURIComponent(ada.upn)}/messages`, { subject: 'Arrived in M365 after the outage', folder: 'inbox' });
      expect((await w.app.api(`/policies/${policyId}/run`, { method: 'POST' })).status).toBe(202);
      await waitFor('the new message in Gmail', async () => {
        const g = await sandboxAdmin<{ messages: GmailMessage[] }>(w.sandbox, 'GET', `/google/users/${encodeURIComponent(ada.google)}/messages`);
        return g.messages.some((m) => `<${m.rfc822MessageId}>` === fresh.internetMessageId || m.rfc822MessageId === fresh.internetMessageId) ? true : undefined;
      }, 120_000, 300);
      await waitForQuiet(w.app, 2, 120_000);
      for (const google of [ada.google, bob.google]) {
        const g = await sandboxAdmin<{ messages: GmailMessage[] }>(w.sandbox, 'GET', `/google/users/${encodeURIComponent(google)}/messages`);
        const ids = g.messages.map((m) => m.rfc822MessageId).filter((x): x is string => x !== null);
        expect(ids.length - new Set(ids).size).toBe(0);
      }
      const users = (await w.app.api('/sync/users?limit=100')).body.users as { status: string }[];
      expect(users.every((u) => u.status === 'synced')).toBe(true);
    }, 240_000);

    it('the report as CSV, and the audit log, tell every outcome', async () => {
      const csv = await w.app.api(`/policies/${policyId}/recovery.csv`);
      expect(csv.status).toBe(200);
      const lines = csv.text.trim().split('\r\n');
      expect(lines[0]).toBe('user,google_mailbox,user_status,user_error,outcome,skip_reason,error,folder,subject,received_at,message_id,size');
      expect(lines.filter((l) => l.includes(',written back,')).length).toBe(16);
      expect(lines.some((l) => l.includes(',skipped,already_present,'))).toBe(true);
      expect(lines.some((l) => l.includes('Outage projects/Apollo'))).toBe(true);
      const audit = await w.app.rt.store.db.selectFrom('audit_events').select(['action']).execute();
      const actions = new Set(audit.map((a) => a.action));
      for (const a of ['failover.declared', 'failover.recovery_started', 'recovery.user_recovered', 'failover.recovered', 'connection.write_back_consented']) expect(actions).toContain(a);
    });

    it('proposes a failover after the set time of outage, alerts, and recovers by itself once healthy for the set time', async () => {
      const settings = await w.app.api(`/policies/${policyId}/failover/settings`, { method: 'PATCH', body: JSON.stringify({ propose: true, proposeAfterMinutes: 2, autoRecover: true, autoRecoverAfterMinutes: 3 }) });
      expect(settings.status).toBe(200);
      // A healthy test first resolves any incident left from the first outage.
      expect((await w.app.api(`/connections/${w.sourceId}/test`, { method: 'POST' })).body.ok).toBe(true);
      // Microsoft 365 fails: the doctor opens the source connection's incident.
      await setFault(w.sandbox, 'm365.outage', '*', { mode: 'error' });
      await w.app.api(`/connections/${w.sourceId}/test`, { method: 'POST' });
      const incidents = (await w.app.api(`/incidents?state=open&connectionId=${w.sourceId}`)).body.incidents as { id: string; code: string }[];
      expect(incidents.length).toBe(1);
      // The periodic task, run as this process would run it at a later time (the scheduler keeps the real clock).
      const at = (offsetMs: number): Runtime => ({ ...w.app.rt, now: () => Date.now() + offsetMs });
      await proposeDueFailovers(at(60_000));
      expect((await w.app.api(`/policies/${policyId}/failover`)).body.current?.state ?? null).not.toBe('proposed');
      await proposeDueFailovers(at(3 * 60_000));
      const proposed = (await w.app.api('/failovers')).body.failovers as { policyId: string; state: string; origin: string; banner: string }[];
      expect(proposed).toMatchObject([{ policyId, state: 'proposed', origin: 'proposed' }]);
      expect(proposed[0]!.banner).toMatch(/^Microsoft 365 has been failing since /);
      const alerts = (await w.app.api('/alerts')).body.alerts as { event: string; title: string; subject: { type: string } }[];
      const alert = alerts.find((a) => a.event === 'failover.proposed');
      expect(alert?.subject.type).toBe('failover');
      expect(alert?.title).toContain('Failover proposed');
      // Not twice for the same incident.
      expect(await proposeDueFailovers(at(4 * 60_000))).toBe(0);

      // The admin confirms the proposal; mail reaches Google meanwhile.
      const confirmed = await w.app.api(`/policies/${policyId}/failover/declare`, { method: 'POST', body: JSON.stringify({}) });
      expect(confirmed.status).toBe(201);
      expect(confirmed.body.state).toBe('active');
      expect(confirmed.body.origin).toBe('proposed');
      await sandboxAdmin(w.sandbox, 'POST', `/google/users/${encodeURIComponent(ada.google)}/mail`, { direction: 'in', subject: 'Second outage: auto recovered' });

      // Healthy again: recovery waits for the set time, then starts by itself.
      await clearFaults(w.sandbox);
      const probe = await w.app.api(`/policies/${policyId}/failover/probe`, { method: 'POST' });
      expect(probe.body.healthySince).not.toBeNull();
      await probeDueFailovers(at(90_000));
      expect((await w.app.api('/failovers')).body.failovers[0].state).toBe('active');
      await probeDueFailovers(at(4 * 60_000));
      // That process's clock ran 4 minutes ahead, and jobs are queued on the runtime's clock:
      // bring the jobs it queued back to the workers' (real) clock.
      await w.app.rt.store.db.updateTable('jobs').set({ run_at: new Date().toISOString() }).where('status', '=', 'queued').where('run_at', '>', new Date().toISOString()).execute();
      const done = await waitFor('the automatic recovery to finish', async () => {
        const r = await w.app.api(`/policies/${policyId}/recovery`);
        return r.body.failover.state === 'recovered' ? r.body : undefined;
      }, 180_000, 300);
      expect(done.users.find((u: { email: string }) => u.email === ada.upn).written).toBe(1);
      const adaBox = await sandboxAdmin<M365Mailbox>(w.sandbox, 'GET', `/microsoft/mailboxes/${encodeURIComponent(ada.upn)}`);
      const got = adaBox.folders.flatMap((f) => f.messages.map((m) => ({ ...m, folder: f }))).filter((m) => m.subject === 'Second outage: auto recovered');
      expect(got.map((m) => [m.folder.wellKnownName, m.isDraft])).toEqual([['inbox', false]]);
      const fo = await w.app.rt.store.db.selectFrom('failovers').select(['recovery_started_by']).where('id', '=', confirmed.body.id).executeTakeFirstOrThrow();
      expect(fo.recovery_started_by).toBe('syncwarden');
      const events = (await w.app.api('/alerts')).body.alerts.map((a: { event: string }) => a.event);
      expect(events).toContain('failover.recovery_started');
      const audit = await w.app.rt.store.db.selectFrom('audit_events').select(['action', 'message']).where('action', 'in', ['failover.proposed', 'failover.recovery_started']).execute();
      expect(audit.some((a) => a.action === 'failover.proposed')).toBe(true);
      expect(audit.some((a) => a.action === 'failover.recovery_started' && a.message.includes('started automatically'))).toBe(true);
    }, 300_000);

    it('a recovery job that died between settling its user and closing the failover closes it when it runs again, once', async () => {
      const db = w.app.rt.store.db;
      const fo = await db.selectFrom('failovers').selectAll().where('policy_id', '=', policyId).where('state', '=', 'recovered').orderBy('recovered_at', 'desc').executeTakeFirstOrThrow();
      const rus = await db.selectFrom('recovery_users').select(['id', 'status']).where('failover_id', '=', fo.id).execute();
      expect(rus.length).toBeGreaterThan(0);
      expect(rus.every((r) => r.status === 'recovered')).toBe(true);
      // The moment a SIGKILL can leave: every user settled, the failover still recovering.
      await db.updateTable('failovers').set({ state: 'recovering', recovered_at: null, ended_at: null }).where('id', '=', fo.id).execute();
      const audits = async () => (await db.selectFrom('audit_events').select(['target_id']).where('action', '=', 'failover.recovered').execute()).filter((a) => a.target_id === policyId).length;
      const before = await audits();
      // The lease expired, so a worker claims the job again: it finds its user settled.
      const { tenant_id: tenantId } = fo;
      await recoverUser(w.app.rt, tenantId, rus[0]!.id, new AbortController().signal);
      const after = await db.selectFrom('failovers').select(['state', 'recovered_at']).where('id', '=', fo.id).executeTakeFirstOrThrow();
      expect(after.state).toBe('recovered');
      expect(after.recovered_at).not.toBeNull();
      expect(await audits()).toBe(before + 1);
      // Run once more: nothing left to close, nothing audited twice.
      await recoverUser(w.app.rt, tenantId, rus[0]!.id, new AbortController().signal);
      expect(await audits()).toBe(before + 1);
      expect((await w.app.api(`/policies/${policyId}/recovery`)).body.failover.state).toBe('recovered');

      // A process that died after starting a recovery and before queueing its users' jobs: the
      // periodic task queues the job of each unsettled user that has none, and the recovery ends.
      await db.updateTable('failovers').set({ state: 'recovering', recovered_at: null, ended_at: null }).where('id', '=', fo.id).execute();
      await db.updateTable('recovery_users').set({ status: 'pending' }).where('id', '=', rus[0]!.id).execute();
      expect(await resumeStalledRecoveries(w.app.rt)).toBe(1);
      expect(await resumeStalledRecoveries(w.app.rt)).toBe(0);
      await waitFor('the stalled recovery to end', async () => ((await w.app.api(`/policies/${policyId}/recovery`)).body.failover.state === 'recovered' ? true : undefined), 60_000, 200);
      expect(await audits()).toBe(before + 2);
    }, 90_000);
  });
}

function sha(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}
