import { useEffect, useState } from 'react';
import { ApiError, type RenderedError } from '../api.js';
import { auditApi, type AuditSettings, type AuditVerifyReport } from '../audit-api.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { Pill } from '../components/Pill.js';
import { useToast } from '../components/Toasts.js';
import { formatCount, relativeTime } from '../format.js';

const asError = (e: unknown, title: string): RenderedError =>
  e instanceof ApiError ? e.error : { code: 'network', title, message: String(e), resolution: 'Reload the page and try again.' };

/**
 * The integrity panel of the Audit logs page: the last check (daily, or Verify now) — intact, or
 * the first broken entry with its cause and fix — and the retention setting.
 */
export function AuditIntegrityPanel({ onChecked }: { onChecked: () => void }) {
  const toast = useToast();
  const [settings, setSettings] = useState<AuditSettings | null>(null);
  const [days, setDays] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<RenderedError | null>(null);
  const load = async () => {
    try {
      const s = await auditApi.settings();
      setSettings(s);
      setDays(s.retentionDays === null ? '' : String(s.retentionDays));
    } catch (e) {
      setError(asError(e, 'Cannot load the audit settings'));
    }
  };
  useEffect(() => {
    void load();
  }, []);

  async function verify() {
    setBusy(true);
    try {
      const r = await auditApi.verify();
      toast(r.ok ? 'success' : 'error', r.ok ? `Audit log verified: ${formatCount(r.entries)} entries, chain intact` : `Audit log broken at entry #${r.firstBroken!.seq}`);
      await load();
      onChecked();
    } catch (e) {
      setError(asError(e, 'Verification failed'));
    } finally {
      setBusy(false);
    }
  }

  async function saveRetention() {
    setError(null);
    try {
      const s = await auditApi.setRetention(days.trim() === '' ? null : Number(days));
      setSettings(s);
      toast('success', s.retentionDays === null ? 'Audit entries are kept forever' : `Audit entries older than ${s.retentionDays} days will be deleted`);
      onChecked();
    } catch (e) {
      setError(asError(e, 'Cannot save retention'));
    }
  }

  const report: AuditVerifyReport | null = settings?.lastVerify ?? null;
  return (
    <div className="panel audit-integrity" data-testid="audit-integrity">
      <div className="card-header">
        <div>
          <div className="card-title">
            Integrity{' '}
            {report ? <Pill status={report.ok ? 'pass' : 'fail'} label={report.ok ? 'Intact' : 'Broken'} /> : <Pill status="not_tested" label="Not checked yet" />}
          </div>
          <div className="muted">
            {report
              ? `Checked ${relativeTime(report.checkedAt)}: ${formatCount(report.entries)} entries${report.lastSeq !== null ? ` (#${report.firstSeq}–#${report.lastSeq})` : ''}, ${formatCount(report.signed)} signed${report.legacy ? `, ${formatCount(report.legacy)} from before signing` : ''}, ${report.anchors.checked} anchors checked.`
              : 'Checked daily: the hash chain, each entry\'s signature (a key outside the database) and the anchor file.'}
            {settings?.nextVerifyAt ? ` Next check ${relativeTime(settings.nextVerifyAt)}.` : ''}
          </div>
        </div>
        <button type="button" onClick={() => void verify()} disabled={busy}>{busy ? 'Verifying…' : 'Verify now'}</button>
      </div>
      {report?.firstBroken && (
        <div className="audit-broken">
          <p>
            <strong>First broken entry: #{report.firstBroken.seq}</strong>
            {report.firstBroken.entryId && <> (<code>{report.firstBroken.entryId}</code>)</>}
            {report.problemCount > 1 && <span className="muted"> — {report.problemCount} problems in all</span>}
          </p>
          <ErrorBox error={report.firstBroken.error} />
        </div>
      )}
      {report?.retention && <p className="muted">Entries up to #{report.retention.seq} were deleted by retention {relativeTime(report.retention.at)}; a signed checkpoint keeps the rest verifiable.</p>}
      <div className="row audit-retention">
        <label>
          Keep entries for (days)
          <input aria-label="Retention in days" inputMode="numeric" placeholder="forever" value={days} onChange={(e) => setDays(e.target.value)} />
        </label>
        <button type="button" onClick={() => void saveRetention()}>Save retention</button>
        <span className="muted">{settings?.retentionDays === null || !settings ? 'Currently: keep every entry.' : `Currently: ${settings.retentionDays} days (at least 30).`}</span>
      </div>
      {error && <ErrorBox error={error} />}
    </div>
  );
}
