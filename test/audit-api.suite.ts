import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialect } from '../src/store/db.js';
import { recordAudit } from '../src/audit/audit.js';
import { auditHandlers, queueDueVerifications } from '../src/audit/jobs.js';
import { startWorker } from '../src/engine/worker.js';
import { diagnosticsHandlers } from '../src/diagnostics/jobs.js';
import { bootApp } from './support/app.js';
import { cliRunner } from './support/cli.js';

/**
 * The audit log's integrity as an admin meets it: `GET /audit/verify` and `syncwarden audit
 * verify` name the first broken entry; the daily check alerts once per break through the outbox
 * and applies retention to a log that verifies; CSV and JSON Lines exports (API and CLI) with
 * filters; the retention setting, audited; `audit reanchor` after restoring a backup on purpose.
 */
export function auditApiSuite(dialect: Dialect): void {
  describe(`audit verify, export and retention on ${dialect}`, () => {
    let app: Awaited<ReturnType<typeof bootApp>>;
    let cli: ReturnType<typeof cliRunner>;
    const clock = { now: Date.now() };
    const DAY = 86_400_000;

    beforeAll(async () => {
      // The first start writes two entries (the first owner, the test's API token): boot in the
      // past so they are the oldest, as on a real installation. The 40 below are seq 3–42.
      clock.now = Date.now() - 201 * DAY;
      app = await bootApp({ dialect, now: () => clock.now });
      clock.now = Date.now();
      cli = cliRunner(() => ({ SYNCWARDEN_DATA: app.dataDir, DATABASE_URL: app.databaseUrl, LOG_LEVEL: 'silent' }));
      const start = clock.now - 200 * DAY;
      for (let i = 0; i < 40; i++) {
        await recordAudit(app.rt.store.db, app.rt.store.dialect, 'default', {
          severity: i % 10 === 0 ? 'error' : i % 3 === 0 ? 'warning' : 'info',
          action: i % 2 ? 'connection.tested' : 'policy.held_cycle_approved',
          actor: 'admin',
          target: { type: 'connection', id: `conn_${i}`, name: i === 5 ? '=HYPERLINK("http://x")' : `Contoso, "Ltd" ${i}` },
          message: i === 7 ? 'two\nlines' : `event ${i}`,
        }, start + i * 5 * DAY);
      }
    }, 120_000);
    afterAll(async () => app?.stop());

    const runDaily = async () => {
      clock.now += DAY + 1_000;
      await queueDueVerifications(app.rt);
      const worker = startWorker({ store: app.rt.store, handlers: { ...auditHandlers(app.rt), ...diagnosticsHandlers(app.rt) }, now: app.rt.now }, false);
      await worker.drain();
      await worker.stop();
    };

    it('GET /audit/verify: an intact log, its counts and keys; the result is kept for the Audit logs page', async () => {
      const r = await app.api('/audit/verify');
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ schema: 'syncwarden.audit-verify/v1', tenantId: 'default', ok: true, entries: 42, firstSeq: 1, lastSeq: 42, signed: 42, firstBroken: null, keyIds: [app.rt.secrets.keyring.state().primary.id] });
      expect(r.body.anchors.checked).toBe(42);
      const s = await app.api('/audit/settings');
      expect(s.body).toMatchObject({ retentionDays: null, lastVerifyOk: true, lastVerify: { ok: true, entries: 42 } });
      const last = await app.api('/audit?limit=1');
      expect(last.body.events[0]).toMatchObject({ action: 'audit.verified', seq: 43 });
    });

    it('exports CSV and JSON Lines, oldest first, every column, with filters; the export is audited', async () => {
      const csv = await app.api('/audit/export?format=csv');
      expect(csv.status).toBe(200);
      const lines = csv.text.split('\r\n');
      expect(lines[0]!.split(',').slice(0, 5)).toEqual(['seq', 'at', 'severity', 'action', 'actor']);
      expect(lines[0]).toContain('hash');
      expect(lines[0]).toContain('mac');
      expect(lines[1]!.startsWith('1,')).toBe(true);
      expect(csv.text).toContain('"Contoso, ""Ltd"" 1"');
      expect(csv.text).toContain(`'=HYPERLINK(""http://x"")`); // defused for spreadsheets
      expect(csv.text).toContain('"two\nlines"');
      const jsonl = await app.api('/audit/export?format=jsonl&severity=error&action=policy.held_cycle');
      const rows = jsonl.text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(rows.map((r) => r['seq'])).toEqual([3, 13, 23, 33]);
      expect(rows[0]).toMatchObject({ tenant_id: 'default', severity: 'error', action: 'policy.held_cycle_approved', hash_version: 2, mac_kid: app.rt.secrets.keyring.state().primary.id });
      expect(String(rows[0]!['hash'])).toMatch(/^[0-9a-f]{64}$/);
      const from = new Date(clock.now - 100 * DAY).toISOString().slice(0, 10);
      const dated = await app.api(`/audit/export?format=jsonl&from=${from}&to=${encodeURIComponent(new Date(clock.now - 50 * DAY).toISOString())}`);
      const seqs = dated.text.trim().split('\n').map((l) => (JSON.parse(l) as { seq: number }).seq);
      expect(seqs.length).toBeGreaterThan(5);
      expect(seqs.length).toBeLessThan(15);
      expect((await app.api('/audit/export?format=xml')).body.error.code).toBe('request.invalid');
      expect((await app.api('/audit/export?from=yesterday')).body.error.code).toBe('request.invalid');
      const exported = await app.api('/audit?action=audit.exported&limit=10');
      expect(exported.body.events.map((e: { message: string }) => e.message)).toEqual(expect.arrayContaining(['Audit log exported as CSV', 'Audit log exported as JSON Lines (severity error, action policy.held_cycle)']));
      // The same export from the CLI, to a file.
      const out = join(mkdtempSync(join(tmpdir(), 'sw-export-')), 'audit.jsonl');
      await cli.run('audit', 'export', '--format', 'jsonl', '--severity', 'error', '--action', 'policy.held_cycle', '--out', out);
      expect(readFileSync(out, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual([3, 13, 23, 33]);
      expect((await cli.run('audit', 'export', '--format', 'csv', '--action', 'audit.verified')).split('\n')).toHaveLength(2);
    });

    it('a tampered log: the API and the CLI name the first broken entry; the daily check alerts once per break', async () => {
      await app.rt.store.db.updateTable('audit_events').set({ message: 'Nothing to see' }).where('tenant_id', '=', 'default').where('seq', '=', 14).execute();
      const r = await app.api('/audit/verify');
      expect(r.body.ok).toBe(false);
      expect(r.body.firstBroken).toMatchObject({ seq: 14, error: { code: 'audit.entry_altered' } });
      expect(r.body.firstBroken.entryId).toMatch(/^aud_/);
      const text = await cli.run('audit', 'verify');
      expect(cli.exitCode).toBe(1);
      expect(text).toMatch(/BROKEN at entry #14 \(aud_\w+\)/);
      expect(text).toMatch(/audit\.entry_altered: Audit entry changed/);
      // The manual checks queued the alert; the daily check finds the same break and queues nothing new.
      await runDaily();
      await runDaily();
      const alerts = (await app.api('/alerts')).body.alerts.filter((a: { event: string }) => a.event === 'audit.chain_broken');
      expect(alerts).toHaveLength(1);
      expect(alerts[0].title).toBe('Audit log integrity check failed');
      const failed = await app.api('/audit?action=audit.verify_failed&limit=10');
      expect(failed.body.events.length).toBeGreaterThanOrEqual(3);
      expect(failed.body.events[0]).toMatchObject({ severity: 'error', code: 'audit.entry_altered' });
      expect((await app.api('/audit/settings')).body).toMatchObject({ lastVerifyOk: false, lastVerify: { firstBroken: { seq: 14 } } });
    });

    it('retention: refused below 30 days, audited with old and new values, not applied to a broken log, then applied by the daily check', async () => {
      expect((await app.api('/audit/settings', { method: 'PUT', body: JSON.stringify({ retentionDays: 10 }) })).status).toBe(400);
      const set = await app.api('/audit/settings', { method: 'PUT', body: JSON.stringify({ retentionDays: 90 }) });
      expect(set.status).toBe(200);
      expect(set.body.retentionDays).toBe(90);
      const changed = await app.api('/audit?action=audit.retention_changed&limit=1');
      expect(changed.body.events[0].message).toBe('Audit log retention changed from keep everything to 90 days');
      // Broken: nothing is deleted (that would launder the change).
      const before = Number((await app.rt.store.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
      await runDaily();
      expect(Number((await app.rt.store.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n)).toBeGreaterThan(before);
      // Put the entry back as it was (a restore of that row): the log verifies, and the next daily check applies retention.
      const row = await app.rt.store.db.selectFrom('audit_events').select(['seq']).where('message', '=', 'Nothing to see').executeTakeFirstOrThrow();
      await app.rt.store.db.updateTable('audit_events').set({ message: 'event 11' }).where('tenant_id', '=', 'default').where('seq', '=', Number(row.seq)).execute();
      expect((await app.api('/audit/verify')).body.ok).toBe(true);
      await runDaily();
      const after = await app.api('/audit/verify');
      expect(after.body.ok).toBe(true);
      expect(after.body.retention.seq).toBeGreaterThan(10);
      expect(after.body.firstSeq).toBe(after.body.retention.seq + 1);
      const applied = await app.api('/audit?action=audit.retention_applied&limit=1');
      expect(applied.body.events[0].message).toMatch(/^Deleted \d+ audit entries older than 90 days/);
      expect((await cli.run('audit', 'retention'))).toMatch(/entries older than 90 days are deleted[\s\S]*were deleted on/);
      expect(await cli.run('audit', 'retention', '--keep-all')).toMatch(/keep every entry/);
    });

    it('after restoring a backup on purpose the log is reported short; `audit reanchor` accepts it and keeps the old anchors', async () => {
      // "Restore": the newest entries vanish and the head goes back with them.
      const rows = await app.rt.store.db.selectFrom('audit_events').select(['seq', 'hash']).where('tenant_id', '=', 'default').orderBy('seq', 'desc').limit(4).execute();
      await app.rt.store.db.deleteFrom('audit_events').where('tenant_id', '=', 'default').where('seq', '>', Number(rows[3]!.seq)).execute();
      await app.rt.store.db.updateTable('audit_heads').set({ seq: Number(rows[3]!.seq), hash: rows[3]!.hash }).where('tenant_id', '=', 'default').execute();
      const short = await app.api('/audit/verify');
      expect(short.body.firstBroken).toMatchObject({ seq: Number(rows[3]!.seq) + 1, error: { code: 'audit.entry_missing' } });
      expect(short.body.firstBroken.error.resolution).toContain('syncwarden audit reanchor');
      const out = await cli.run('audit', 'reanchor');
      expect(out).toMatch(/Anchors restarted for 1 tenant\(s\); the previous anchor file is kept as .*audit-anchors\.jsonl\./);
      expect(readdirSync(app.dataDir).filter((f) => f.startsWith('audit-anchors.jsonl.'))).toHaveLength(1);
      expect(existsSync(join(app.dataDir, 'audit-anchors.jsonl'))).toBe(true);
      expect(await cli.run('audit', 'verify')).toMatch(/intact/);
      expect(cli.exitCode).toBe(0);
      const last = await app.api('/audit?action=audit.reanchored&limit=1');
      expect(last.body.events[0].severity).toBe('warning');
    });
  });
}
