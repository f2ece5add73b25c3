import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { DEFAULT_TENANT } from '../../api/route.js';
import { cliFix, AppError } from '../../errors/index.js';
import { checkAudit } from '../../audit/jobs.js';
import { auditTenants, type AuditVerifyReport } from '../../audit/verify.js';
import { exportAudit, exportQuerySchema } from '../../audit/export.js';
import { auditSettingsView, setAuditSettings } from '../../audit/settings.js';
import { recordAudit } from '../../audit/audit.js';
import { reanchor } from '../../audit/reanchor.js';
import { invalidInput } from '../../connections/credentials.js';

/** `syncwarden audit verify|export|retention|reanchor` (src/audit/). */
export function registerAuditCommands(program: Command, cli: CliContext): void {
  const audit = program.command('audit').description('the audit log: verify its integrity, export it, retention');

  audit
    .command('verify')
    .description('check the hash chain, signatures, checkpoints and anchor file; exit code 1 and the first broken entry when it does not hold')
    .option('--all', 'every tenant of the installation')
    .option('--json', 'JSON output')
    .action(async (o: { all?: boolean; json?: boolean }) => {
      await cli.withRuntime(async ({ rt }) => {
        const tenants = o.all ? await auditTenants(rt.store.db, rt.auditSealer) : [DEFAULT_TENANT];
        const reports: AuditVerifyReport[] = [];
        for (const t of tenants) reports.push(await checkAudit(rt, t, 'manual', 'cli'));
        if (o.json) cli.out(JSON.stringify(o.all ? reports : reports[0], null, 2));
        else for (const r of reports) printReport(cli, r);
        cli.setExitCode(reports.every((r) => r.ok) ? 0 : 1);
      });
    });

  audit
    .command('export')
    .description('write the audit log as CSV or JSON Lines (every column, hashes and signatures included), oldest first')
    .option('--format <format>', 'csv | jsonl', 'csv')
    .option('--from <date>', 'entries at or after this date or time')
    .option('--to <date>', 'entries before this date or time')
    .option('--severity <severity>', 'info | warning | error')
    .option('--action <prefix>', 'action prefix, e.g. connection.')
    .option('--out <file>', 'write to this file (standard output otherwise)')
    .action(async (o: { format: string; from?: string; to?: string; severity?: string; action?: string; out?: string }) => {
      let q;
      try {
        q = exportQuerySchema.parse({ format: o.format, from: o.from, to: o.to, severity: o.severity, action: o.action });
      } catch (e) {
        invalidInput(e, '--');
      }
      await cli.withRuntime(async ({ rt }) => {
        await recordAudit(rt.store.db, rt.store.dialect, DEFAULT_TENANT, {
          severity: 'info', action: 'audit.exported', actor: 'cli', target: { type: 'audit_log', id: DEFAULT_TENANT, name: 'Audit log' },
          message: `Audit log exported as ${q.format === 'csv' ? 'CSV' : 'JSON Lines'}${o.out ? ` to ${o.out}` : ''}`,
        }, rt.now());
        if (o.out) {
          const file = createWriteStream(o.out, { mode: 0o600 });
          for await (const chunk of exportAudit(rt.store.db, DEFAULT_TENANT, q)) if (!file.write(chunk)) await once(file, 'drain');
          file.end();
          await once(file, 'close');
          return;
        }
        // One output line per entry; CSV keeps line breaks inside quoted cells.
        for await (const chunk of exportAudit(rt.store.db, DEFAULT_TENANT, q)) {
          for (const line of chunk.split(q.format === 'csv' ? '\r\n' : '\n')) if (line) cli.out(line);
        }
      });
    });

  audit
    .command('retention')
    .description('show or set how long audit entries are kept (a signed checkpoint keeps the rest verifiable)')
    .option('--days <n>', `delete entries older than this many days (at least 30)`)
    .option('--keep-all', 'keep every entry (the default)')
    .option('--json', 'JSON output')
    .action(async (o: { days?: string; keepAll?: boolean; json?: boolean }) => {
      if (o.days !== undefined && o.keepAll) throw new AppError('request.invalid', { detail: 'give --days or --keep-all, not both' });
      await cli.withRuntime(async ({ rt }) => {
        const view = o.days !== undefined || o.keepAll ? await setAuditSettings(rt, DEFAULT_TENANT, { retentionDays: o.keepAll ? null : Number(o.days) }, 'cli') : await auditSettingsView(rt.store.db, DEFAULT_TENANT);
        if (o.json) return cli.out(JSON.stringify(view, null, 2));
        cli.out(view.retentionDays === null ? 'Retention: keep every entry.' : `Retention: entries older than ${view.retentionDays} days are deleted by the daily check, once the log verifies.`);
        if (view.lastVerify?.retention) cli.out(`Entries up to #${view.lastVerify.retention.seq} were deleted on ${view.lastVerify.retention.at}; a signed checkpoint keeps the rest verifiable.`);
        if (view.lastVerifiedAt) cli.out(`Last check: ${view.lastVerifiedAt}, ${view.lastVerifyOk ? 'intact' : 'BROKEN (`syncwarden audit verify` for details)'}.`);
      });
    });

  audit
    .command('reanchor')
    .description('after restoring a database backup on purpose: accept the shorter history (the old anchor file is kept as evidence)')
    .action(async () => {
      await cli.withRuntime(async ({ rt }) => {
        const r = await reanchor(rt, 'cli');
        cli.out(`Anchors restarted for ${r.tenants.length} tenant(s)${r.archivedTo ? `; the previous anchor file is kept as ${r.archivedTo}` : ''}.`);
      });
    });
}

function printReport(cli: CliContext, r: AuditVerifyReport): void {
  const span = r.lastSeq === null ? 'no entries' : `${r.entries} entries, #${r.firstSeq}–#${r.lastSeq}`;
  if (r.ok) {
    cli.out(`Audit log of ${r.tenantId}: intact (${span}; ${r.signed} signed${r.legacy ? `, ${r.legacy} from before signing, pinned by a checkpoint` : ''}; keys ${r.keyIds.join(', ') || 'none'}; ${r.anchors.checked} anchors checked).`);
    if (r.retention) cli.out(`  Entries up to #${r.retention.seq} were deleted by retention on ${r.retention.at}.`);
    if (r.anchors.unreadable) cli.out(`  ${r.anchors.unreadable} line(s) of the anchor file could not be read or are not signed.`);
    return;
  }
  const b = r.firstBroken!;
  cli.out(`Audit log of ${r.tenantId}: BROKEN at entry #${b.seq}${b.entryId ? ` (${b.entryId})` : ''} — ${r.problemCount} problem(s) (${span}).`);
  cli.out(`${b.error.code}: ${b.error.title}\n  Cause: ${b.error.message}\n  Fix: ${cliFix(b.error)}`);
  for (const p of r.problems.slice(1, 10)) cli.out(`  also #${p.seq}: ${p.error.code} — ${p.error.message}`);
}
