import { campaignsApi, CAMPAIGN_STATUS_LABELS, decisionLabel, KIND_LABELS, NO_RESPONSE_LABELS, REMEDIATION_LABELS, VERIFICATION_LABELS, viaLabel } from '../campaigns-api.js';
import { useData } from '../components/useData.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { formatCount, formatTime } from '../format.js';
import '../campaigns.css';

/**
 * `#/campaigns/<id>/report`: the campaign's evidence on one printable page — no sidebar, and
 * no button in print (the browser's print to PDF gives a clean document).
 */
export function CampaignReportPage({ id }: { id: string }) {
  const { data, error } = useData(() => campaignsApi.report(id), [id]);
  return (
    <div className="report-page">
      <div className="report-toolbar no-print">
        <a href={`#/campaigns/${encodeURIComponent(id)}`} className="back">← Back to the campaign</a>
        <div className="actions">
          <a className="button-link" href={campaignsApi.reportCsvUrl(id)} download={`campaign-${id}.csv`}>Download CSV</a>
          <button type="button" className="primary" onClick={() => window.print()}>Print or save as PDF</button>
        </div>
      </div>
      {error && <ErrorBox error={error} />}
      {!data && !error && <div className="loading">Loading the report…</div>}
      {data && (() => {
        const c = data.campaign;
        const t = c.totals;
        return (
          <article aria-label="Campaign report">
            <header className="report-header">
              <h1>Access certification report: {c.name}</h1>
              <div className="muted">Printed {formatTime(new Date().toISOString())}</div>
            </header>
            <dl className="facts report-facts">
              <dt>Status</dt><dd>{CAMPAIGN_STATUS_LABELS[c.status]}</dd>
              <dt>Owner</dt><dd>{c.owner.displayName} ({c.owner.email})</dd>
              <dt>Started</dt><dd>{formatTime(c.startedAt, '—')}</dd>
              <dt>Deadline</dt><dd>{formatTime(c.deadline, '—')}</dd>
              <dt>Closed</dt><dd>{formatTime(c.closedAt, '—')}</dd>
              <dt>Scope</dt><dd>{c.kinds.map((k) => KIND_LABELS[k]).join(', ')}</dd>
              <dt>No response</dt><dd>{NO_RESPONSE_LABELS[c.noResponse]}</dd>
              <dt>Items</dt><dd>{formatCount(t.items)}: {formatCount(t.approved)} approved, {formatCount(t.revoked)} revoked, {formatCount(t.open)} open, {formatCount(t.removedElsewhere)} removed elsewhere</dd>
              <dt>Remediation</dt><dd>{formatCount(c.remediation.success)} done, {formatCount(c.remediation.error)} errors, {formatCount(c.remediation.manual)} manual, {formatCount(c.remediation.open + c.remediation.applying)} pending</dd>
              <dt>Verification</dt><dd>{formatCount(c.verification.verified)} verified, {formatCount(c.verification.didNotStick)} did not stick, {formatCount(c.verification.pending)} pending</dd>
            </dl>
            <table aria-label="Report items" className="report-table">
              <thead>
                <tr><th>Identity / account</th><th>Access</th><th>Reviewer</th><th>Decision</th><th>Time</th><th>Justification</th><th>Recommendation shown</th><th>Remediation</th><th>Verification</th></tr>
              </thead>
              <tbody>
                {data.items.map((i) => (
                  <tr key={i.id} data-item={i.id}>
                    <td>{i.identity.displayName}<div><small>{i.account.userName} · {i.account.connectionName}</small></div></td>
                    <td>{i.access.resourceName}<div><small>{KIND_LABELS[i.access.kind] ?? i.access.kind} · {viaLabel(i.access)}</small></div></td>
                    <td>{i.decidedBy?.displayName ?? i.reviewer?.displayName ?? 'Unassigned'}</td>
                    <td>{decisionLabel(i)}</td>
                    <td className="nowrap">{formatTime(i.decidedAt, '—')}</td>
                    <td>{i.justification ?? ''}</td>
                    <td>{i.recommendation.decision === 'approve' ? 'Approve' : 'Revoke'}{i.recommendation.reasons.length > 0 && <div><small>{i.recommendation.reasons.join(' ')}</small></div>}</td>
                    <td>{REMEDIATION_LABELS[i.remediation]}{i.remediationError && <div><small>{i.remediationError.code}</small></div>}</td>
                    <td>{i.verification ? VERIFICATION_LABELS[i.verification] : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {data.items.length === 0 && <p className="muted">This campaign has no item.</p>}
          </article>
        );
      })()}
    </div>
  );
}
