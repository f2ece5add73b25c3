import { useCallback, useEffect, useState } from 'react';
import type { RenderedError } from '../api.js';
import {
  ACCESS_KINDS, campaignsApi, CAMPAIGN_STATUS_LABELS, decisionLabel, KIND_LABELS, MODE_LABELS, NO_RESPONSE_LABELS, REMEDIATION_LABELS, VERIFICATION_LABELS, viaLabel,
  type ApplyPreview, type Campaign, type ItemFilters, type ReviewerProgress, type ReviewItem,
} from '../campaigns-api.js';
import { useData } from '../components/useData.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { LoadMore, useKeyset } from '../components/Keyset.js';
import { Empty } from '../components/Empty.js';
import { Dialog } from '../components/Dialog.js';
import { useMe } from '../components/Me.js';
import { useToast } from '../components/Toasts.js';
import { asError, ProgressBar, RemediationPill, StatusPill, useDebounced, VerificationPill } from '../components/CampaignBits.js';
import { daysUntil, formatCount, formatTime } from '../format.js';

type Tab = 'progress' | 'items' | 'remediation' | 'verification' | 'report';
const TABS: { id: Tab; label: string }[] = [
  { id: 'progress', label: 'Progress' }, { id: 'items', label: 'Items' }, { id: 'remediation', label: 'Remediation' },
  { id: 'verification', label: 'Verification' }, { id: 'report', label: 'Report' },
];

/** A campaign's items with keyset paging: the first page, then "Load more". */
function useItems(id: string, filters: ItemFilters, version: number) {
  return useKeyset((cursor) => campaignsApi.items(id, filters, cursor), `${id} ${JSON.stringify(filters)}`, version);
}

function Who({ i }: { i: ReviewItem }) {
  return (
    <>
      <div>{i.identity.displayName}</div>
      <small>{i.account.userName} · {i.account.connectionName}{i.account.guest ? ' · guest' : ''}{!i.account.enabled ? ' · disabled' : ''}</small>
    </>
  );
}

function What({ i }: { i: ReviewItem }) {
  return (
    <>
      <div>{i.access.resourceName} {i.access.privileged && <span className="pill pill-privileged">Privileged</span>}</div>
      <small>{KIND_LABELS[i.access.kind] ?? i.access.kind} · {viaLabel(i.access)}</small>
    </>
  );
}

function ItemsTab({ id, reviewers, version }: { id: string; reviewers: ReviewerProgress[]; version: number }) {
  const [q, setQ] = useState('');
  const [decision, setDecision] = useState('');
  const [remediation, setRemediation] = useState('');
  const [verification, setVerification] = useState('');
  const [reviewer, setReviewer] = useState('');
  const [kind, setKind] = useState('');
  const query = useDebounced(q, 250);
  const { items, cursor, error, loading, more } = useItems(id, { q: query, decision, remediation, verification, reviewer, kind }, version);
  const filtered = Boolean(query || decision || remediation || verification || reviewer || kind);
  return (
    <section aria-label="Items">
      <div className="filters">
        <input type="search" aria-label="Search items" placeholder="Person, account or resource" value={q} onChange={(e) => setQ(e.target.value)} />
        <select aria-label="Decision" value={decision} onChange={(e) => setDecision(e.target.value)}>
          <option value="">Any decision</option><option value="approve">Approved</option><option value="revoke">Revoked</option><option value="none">Open</option>
        </select>
        <select aria-label="Remediation" value={remediation} onChange={(e) => setRemediation(e.target.value)}>
          <option value="">Any remediation</option>
          {(['open', 'applying', 'success', 'error', 'manual'] as const).map((r) => <option key={r} value={r}>{REMEDIATION_LABELS[r]}</option>)}
        </select>
        <select aria-label="Verification" value={verification} onChange={(e) => setVerification(e.target.value)}>
          <option value="">Any verification</option>
          {Object.entries(VERIFICATION_LABELS).map(([k, v]) => <option key={k} value={k}>{v}</option>)}
        </select>
        <select aria-label="Reviewer" value={reviewer} onChange={(e) => setReviewer(e.target.value)}>
          <option value="">Any reviewer</option>
          {reviewers.map((r) => <option key={r.reviewer.userId} value={r.reviewer.userId}>{r.reviewer.displayName}</option>)}
        </select>
        <select aria-label="Kind" value={kind} onChange={(e) => setKind(e.target.value)}>
          <option value="">Any kind</option>
          {ACCESS_KINDS.map((k) => <option key={k} value={k}>{KIND_LABELS[k]}</option>)}
        </select>
        {filtered && <button type="button" onClick={() => { setQ(''); setDecision(''); setRemediation(''); setVerification(''); setReviewer(''); setKind(''); }}>Clear filters</button>}
      </div>
      {error && <ErrorBox error={error} />}
      {!items && !error && <div className="loading">Loading items…</div>}
      {items && items.length === 0 && <Empty title={filtered ? 'No item matches these filters' : 'No item yet'}>{filtered ? 'Clear the filters to see every item.' : 'Items are taken when the campaign starts.'}</Empty>}
      {items && items.length > 0 && (
        <div className="table-scroll">
          <table aria-label="Campaign items" className="compact">
            <thead><tr><th>Identity</th><th>Access</th><th>Reviewer</th><th>Decision</th><th>Recommendation</th><th>Remediation</th><th>Verification</th></tr></thead>
            <tbody>
              {items.map((i) => (
                <tr key={i.id} data-item={i.id}>
                  <td><Who i={i} /></td>
                  <td><What i={i} /></td>
                  <td>{i.reviewer ? i.reviewer.displayName : <span className="muted">Unassigned</span>}</td>
                  <td>
                    <span className={`decision decision-${i.decision ?? 'open'}`}>{decisionLabel(i)}</span>
                    {i.justification && <div><small>“{i.justification}”</small></div>}
                    {i.decidedAt && <div><small>{formatTime(i.decidedAt)}{i.decidedBy ? ` · ${i.decidedBy.displayName}` : ''}</small></div>}
                  </td>
                  <td><span className={`decision decision-${i.recommendation.decision}`}>{i.recommendation.decision === 'approve' ? 'Approve' : 'Revoke'}</span><div><small>{i.recommendation.reasons.join(' ')}</small></div></td>
                  <td><RemediationPill value={i.remediation} /></td>
                  <td><VerificationPill value={i.verification} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <LoadMore cursor={cursor} loading={loading} more={more} />
    </section>
  );
}

function ManualDoneDialog({ item, campaignId, onClose, onDone }: { item: ReviewItem; campaignId: string; onClose: () => void; onDone: () => void }) {
  const [note, setNote] = useState('');
  const [error, setError] = useState<RenderedError | null>(null);
  const save = async () => {
    try {
      await campaignsApi.manualDone(campaignId, item.id, note.trim());
      onDone();
    } catch (e) {
      setError(asError(e));
    }
  };
  return (
    <Dialog title="Mark the manual step done" onClose={onClose} footer={<><button type="button" onClick={onClose}>Cancel</button><button type="button" className="primary" disabled={!note.trim()} onClick={() => void save()}>Mark done</button></>}>
      <div><strong>{item.identity.displayName}</strong> · {item.access.resourceName}</div>
      {item.manualSteps && <pre className="manual-steps">{item.manualSteps}</pre>}
      <label><span>What was done (kept in the audit log)<span className="required">*</span></span><textarea aria-label="Note" rows={3} value={note} onChange={(e) => setNote(e.target.value)} /></label>
      <small>The next directory sync verifies that the access is gone.</small>
      {error && <ErrorBox error={error} />}
    </Dialog>
  );
}

function RemediationTab({ c, version, onChanged }: { c: Campaign; version: number; onChanged: () => void }) {
  const me = useMe();
  const toast = useToast();
  const canManage = me.permissions.includes('campaigns.manage');
  const errors = useItems(c.id, { remediation: 'error' }, version);
  const manual = useItems(c.id, { remediation: 'manual' }, version);
  const [marking, setMarking] = useState<ReviewItem | null>(null);
  const retry = async (i: ReviewItem) => {
    try {
      await campaignsApi.retry(c.id, i.id);
      toast('success', `Retrying the revocation of ${i.access.resourceName} for ${i.identity.displayName}`);
      onChanged();
    } catch (e) {
      const err = asError(e);
      toast('error', `${err.title}: ${err.message}`);
    }
  };
  const r = c.remediation;
  return (
    <section aria-label="Remediation">
      <div className="stats">
        {(['open', 'applying', 'success', 'error', 'manual'] as const).map((k) => (
          <div key={k} className={`stat stat-${k}`}><div className="stat-value">{formatCount(r[k])}</div><div className="stat-label">{REMEDIATION_LABELS[k]}</div></div>
        ))}
      </div>
      <h2>Errors <small>{formatCount(r.error)}</small></h2>
      {errors.error && <ErrorBox error={errors.error} />}
      {errors.items?.length === 0 && <div className="muted">No revocation failed.</div>}
      {errors.items && errors.items.length > 0 && (
        <table aria-label="Remediation errors" className="compact">
          <thead><tr><th>Identity</th><th>Access</th><th>Error</th>{canManage && <th />}</tr></thead>
          <tbody>
            {errors.items.map((i) => (
              <tr key={i.id} data-item={i.id}>
                <td><Who i={i} /></td>
                <td><What i={i} /></td>
                <td>{i.remediationError ? <ErrorBox error={i.remediationError} compact /> : i.verification === 'did_not_stick' ? 'Did not stick: the access is back.' : 'Failed'}</td>
                {canManage && <td><button type="button" onClick={() => void retry(i)}>Retry</button></td>}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <LoadMore cursor={errors.cursor} loading={errors.loading} more={errors.more} />
      <h2>Manual steps <small>{formatCount(r.manual)}</small></h2>
      {manual.error && <ErrorBox error={manual.error} />}
      {manual.items?.length === 0 && <div className="muted">Nothing to do by hand.</div>}
      {manual.items && manual.items.length > 0 && (
        <table aria-label="Manual steps" className="compact">
          <thead><tr><th>Identity</th><th>Access</th><th>What to do</th>{canManage && <th />}</tr></thead>
          <tbody>
            {manual.items.map((i) => (
              <tr key={i.id} data-item={i.id}>
                <td><Who i={i} /></td>
                <td><What i={i} /></td>
                <td><pre className="manual-steps">{i.manualSteps ?? 'Remove this access in the provider’s console.'}</pre></td>
                {canManage && <td><button type="button" onClick={() => setMarking(i)}>Mark done</button></td>}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <LoadMore cursor={manual.cursor} loading={manual.loading} more={manual.more} />
      {marking && <ManualDoneDialog item={marking} campaignId={c.id} onClose={() => setMarking(null)} onDone={() => { setMarking(null); toast('success', 'Marked done'); onChanged(); }} />}
    </section>
  );
}

function VerificationTab({ c, version }: { c: Campaign; version: number }) {
  const flagged = useItems(c.id, { verification: 'did_not_stick' }, version);
  const v = c.verification;
  return (
    <section aria-label="Verification">
      <p className="muted">Each revoked access is re-read right after the apply and again by the next sync. An access still there, or back, did not stick.</p>
      <div className="stats">
        <div className="stat"><div className="stat-value">{formatCount(v.pending)}</div><div className="stat-label">Pending</div></div>
        <div className="stat"><div className="stat-value">{formatCount(v.verified)}</div><div className="stat-label">Verified</div></div>
        <div className={`stat${v.didNotStick ? ' stat-error' : ''}`}><div className="stat-value">{formatCount(v.didNotStick)}</div><div className="stat-label">Did not stick</div></div>
      </div>
      {flagged.error && <ErrorBox error={flagged.error} />}
      {flagged.items?.length === 0 && <div className="ok-text">No revocation came back.</div>}
      {flagged.items && flagged.items.length > 0 && (
        <table aria-label="Did not stick" className="compact">
          <thead><tr><th>Identity</th><th>Access</th><th>State</th></tr></thead>
          <tbody>
            {flagged.items.map((i) => (
              <tr key={i.id} data-item={i.id} className="flagged">
                <td><Who i={i} /></td>
                <td><What i={i} /></td>
                <td><VerificationPill value={i.verification} /> <RemediationPill value={i.remediation} />{i.remediationError && <ErrorBox error={i.remediationError} compact />}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <LoadMore cursor={flagged.cursor} loading={flagged.loading} more={flagged.more} />
    </section>
  );
}

function ProgressTab({ c, reviewers }: { c: Campaign; reviewers: ReviewerProgress[] }) {
  const t = c.totals;
  return (
    <section aria-label="Progress by reviewer">
      <div className="stats">
        <div className="stat"><div className="stat-value">{formatCount(t.items)}</div><div className="stat-label">Items</div></div>
        <div className="stat"><div className="stat-value">{formatCount(t.approved)}</div><div className="stat-label">Approved</div></div>
        <div className="stat"><div className="stat-value">{formatCount(t.revoked)}</div><div className="stat-label">Revoked</div></div>
        <div className="stat"><div className="stat-value">{formatCount(t.open)}</div><div className="stat-label">Open</div></div>
        <div className="stat"><div className="stat-value">{formatCount(t.removedElsewhere)}</div><div className="stat-label">Removed elsewhere</div></div>
      </div>
      {reviewers.length === 0 ? <Empty title="No reviewer yet">{c.status === 'draft' ? 'Reviewers are assigned when the campaign starts.' : 'This campaign has no item.'}</Empty> : (
        <table aria-label="Reviewers">
          <thead><tr><th>Reviewer</th><th>Progress</th><th>Decided</th><th>Open</th></tr></thead>
          <tbody>
            {reviewers.map((r) => (
              <tr key={r.reviewer.userId} data-reviewer={r.reviewer.email}>
                <td>{r.reviewer.displayName}<div><small>{r.reviewer.email}</small></div></td>
                <td className="progress-cell"><ProgressBar done={r.decided} total={r.total} label={`Progress of ${r.reviewer.displayName}`} /></td>
                <td>{formatCount(r.decided)}</td>
                <td>{formatCount(r.open)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Settings</h2>
      <dl className="facts">
        <dt>Scope</dt><dd>{c.kinds.map((k) => KIND_LABELS[k]).join(', ')}{c.filters?.guestsOnly ? ' · guests only' : ''}{c.filters?.privilegedOnly ? ' · privileged only' : ''}{c.filters?.inactiveDays ? ` · inactive ${c.filters.inactiveDays}+ days` : ''}</dd>
        <dt>Reviewers</dt><dd>{MODE_LABELS[c.reviewers.mode]}{c.secondStage ? `, then ${MODE_LABELS[c.secondStage.mode].toLowerCase()}` : ''}</dd>
        <dt>Duration</dt><dd>{c.durationDays} days{c.stages === 2 ? ' per stage' : ''}</dd>
        <dt>No response</dt><dd>{NO_RESPONSE_LABELS[c.noResponse]}</dd>
        <dt>At the deadline</dt><dd>{c.applyOnClose ? 'Close and apply the revocations (the circuit breaker still holds a large apply)' : 'Close; an admin applies'}</dd>
        {c.recurrence && c.recurrence.every !== 'none' && <><dt>Repeats</dt><dd>{c.recurrence.every.replace('_', '-')}{c.recurrence.times ? `, ${c.recurrence.times} times` : ''}{c.recurrence.until ? `, until ${c.recurrence.until.slice(0, 10)}` : ''} (this is occurrence {c.occurrence})</dd></>}
        <dt>Justification</dt><dd>{c.justification === 'always' ? 'Always required' : 'Required on Revoke'}</dd>
        <dt>Reminders</dt><dd>{(c.reminderDays ?? [7, 3, 1]).join(', ')} days before the deadline</dd>
        <dt>Circuit breaker</dt><dd>{Math.round((c.breaker?.maxShareOfResource ?? 0.2) * 100)} % of a resource, {c.breaker?.maxPerConnection ?? 500} per connection</dd>
        {c.nextStartAt && <><dt>Next occurrence</dt><dd>{formatTime(c.nextStartAt)}</dd></>}
      </dl>
    </section>
  );
}

function ReportTab({ c }: { c: Campaign }) {
  return (
    <section aria-label="Report" className="report-links">
      <p>The evidence of this campaign: every item with its reviewer, decision, time, justification, the recommendation shown, remediation and verification.</p>
      <div className="actions">
        <a className="button-link" href={`#/campaigns/${encodeURIComponent(c.id)}/report`}>Open the printable report</a>
        <a className="button-link" href={campaignsApi.reportCsvUrl(c.id)} download={`campaign-${c.id}.csv`}>Download CSV</a>
      </div>
    </section>
  );
}

function ApplyDialog({ c, onClose, onApplied }: { c: Campaign; onClose: () => void; onApplied: (c: Campaign) => void }) {
  const { data, error } = useData<ApplyPreview>(() => campaignsApi.applyPreview(c.id), [c.id]);
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<RenderedError | null>(null);
  const apply = async () => {
    setBusy(true);
    try {
      onApplied((await campaignsApi.apply(c.id)).campaign);
    } catch (e) {
      setErr(asError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog title="Apply the revocations" onClose={onClose} footer={<><button type="button" onClick={onClose}>Cancel</button><button type="button" className="primary" disabled={busy || !data || data.total === 0} onClick={() => void apply()}>Apply {data ? formatCount(data.total) : ''} revocations</button></>}>
      {error && <ErrorBox error={error} />}
      {!data && !error && <div className="loading">Reading what would be revoked…</div>}
      {data && (
        <>
          <div data-testid="apply-summary"><strong>{formatCount(data.total)}</strong> revocation{data.total === 1 ? '' : 's'}: {formatCount(data.writeBack)} written back, {formatCount(data.manual)} manual.</div>
          {data.wouldHold && (
            <div className="held-banner" role="status">
              <div><strong>The circuit breaker will hold this apply</strong> for an admin&apos;s approval:
                <ul>{data.wouldHold.reasons.map((r, i) => <li key={i}>{r.reason}</li>)}</ul>
              </div>
            </div>
          )}
          {data.byConnection.map((conn) => (
            <div key={conn.connectionId} className="apply-connection">
              <h3>{conn.connectionName}</h3>
              <table className="compact" aria-label={`Revocations on ${conn.connectionName}`}>
                <thead><tr><th>Resource</th><th>Kind</th><th>Revoking</th><th>How</th></tr></thead>
                <tbody>
                  {conn.resources.map((r, i) => (
                    <tr key={i}>
                      <td>{r.resourceName}</td><td>{KIND_LABELS[r.kind] ?? r.kind}</td><td>{formatCount(r.revoking)}</td>
                      <td>{r.writeBack ? <span className="pill pill-rem-success">Write-back</span> : <><span className="pill pill-rem-manual">Manual</span>{r.manualReason && <div><small>{r.manualReason}</small></div>}</>}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ))}
        </>
      )}
      {err && <ErrorBox error={err} />}
    </Dialog>
  );
}

function ApproveHeldDialog({ c, onClose, onApproved }: { c: Campaign; onClose: () => void; onApproved: (c: Campaign) => void }) {
  const [note, setNote] = useState('');
  const [err, setErr] = useState<RenderedError | null>(null);
  const [busy, setBusy] = useState(false);
  const approve = async () => {
    setBusy(true);
    try {
      onApproved((await campaignsApi.approveApply(c.id, note.trim())).campaign);
    } catch (e) {
      setErr(asError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog title="Approve the held apply" onClose={onClose} footer={<><button type="button" onClick={onClose}>Cancel</button><button type="button" className="primary" disabled={busy || !note.trim()} onClick={() => void approve()}>Approve and apply</button></>}>
      <div>The circuit breaker held this apply because:</div>
      <HoldReasons c={c} />
      <label><span>Why these removals are right (kept in the audit log)<span className="required">*</span></span><textarea aria-label="Approval note" rows={3} value={note} onChange={(e) => setNote(e.target.value)} /></label>
      {err && <ErrorBox error={err} />}
    </Dialog>
  );
}

function HoldReasons({ c }: { c: Campaign }) {
  if (!c.held) return null;
  return (
    <table className="compact" aria-label="Hold reasons">
      <thead><tr><th>Connection</th><th>Resource</th><th>Revoking</th><th>Reason</th></tr></thead>
      <tbody>
        {c.held.reasons.map((r, i) => (
          <tr key={i}><td>{r.connectionName}</td><td>{r.resource}</td><td>{formatCount(r.revoking)} of {formatCount(r.of)}</td><td>{r.reason}</td></tr>
        ))}
      </tbody>
    </table>
  );
}

function CloseDialog({ c, onClose, onClosed }: { c: Campaign; onClose: () => void; onClosed: (c: Campaign) => void }) {
  const [err, setErr] = useState<RenderedError | null>(null);
  const [busy, setBusy] = useState(false);
  const close = async (apply: boolean) => {
    setBusy(true);
    try {
      onClosed((await campaignsApi.close(c.id, apply)).campaign);
    } catch (e) {
      setErr(asError(e));
    } finally {
      setBusy(false);
    }
  };
  const last = c.stage === c.stages;
  return (
    <Dialog title={last ? 'Close the campaign now' : 'Close stage 1 now'} onClose={onClose} footer={<>
      <button type="button" onClick={onClose}>Keep it running</button>
      {last && <button type="button" disabled={busy} onClick={() => void close(false)}>Close without applying</button>}
      <button type="button" className="primary" disabled={busy} onClick={() => void close(true)}>{last ? 'Close and apply' : 'Close stage 1'}</button>
    </>}>
      <p>{formatCount(c.totals.open)} item{c.totals.open === 1 ? ' is' : 's are'} still open: {NO_RESPONSE_LABELS[c.noResponse].toLowerCase()} for {c.totals.open === 1 ? 'it' : 'them'} (the campaign&apos;s no-response rule).</p>
      {last && <p className="muted">Closing without applying lets you preview the revocations and apply them later.</p>}
      {err && <ErrorBox error={err} />}
    </Dialog>
  );
}

/** `#/campaigns/<id>`: header with status and actions, then progress, items, remediation, verification, report. */
export function CampaignDetailPage({ id }: { id: string }) {
  const me = useMe();
  const toast = useToast();
  const canManage = me.permissions.includes('campaigns.manage');
  const [version, setVersion] = useState(0);
  const { data, error, reload } = useData(() => campaignsApi.get(id), [id, version], 10_000);
  const [tab, setTab] = useState<Tab>('progress');
  const [dialog, setDialog] = useState<'close' | 'apply' | 'approve' | null>(null);
  const [actionError, setActionError] = useState<RenderedError | null>(null);
  const changed = (c?: Campaign, message?: string) => {
    setDialog(null);
    if (message) toast('success', message);
    setVersion((v) => v + 1);
    if (!c) reload();
  };
  const act = async (fn: () => Promise<{ campaign: Campaign }>, message: string) => {
    setActionError(null);
    try {
      changed((await fn()).campaign, message);
    } catch (e) {
      setActionError(asError(e));
    }
  };
  if (error) return <section><a href="#/campaigns" className="back">← Campaigns</a><ErrorBox error={error} /></section>;
  if (!data) return <div className="loading">Loading campaign…</div>;
  const c = data.campaign;
  const days = c.deadline ? daysUntil(c.deadline) : null;
  return (
    <section>
      <a href="#/campaigns" className="back">← Campaigns</a>
      <div className="page-header campaign-header">
        <div>
          <h1>{c.name}</h1>
          <div className="muted">
            <StatusPill status={c.status} label={CAMPAIGN_STATUS_LABELS[c.status]} />
            {c.stages === 2 && ` · stage ${c.stage} of 2`}
            {` · owner ${c.owner.displayName}`}
            {c.deadline && ` · deadline ${formatTime(c.deadline)}`}
            {c.status === 'running' && days !== null && (days < 0 ? ' (overdue)' : ` (${days} day${days === 1 ? '' : 's'} left)`)}
          </div>
          {c.description && <p>{c.description}</p>}
        </div>
        {canManage && (
          <div className="actions campaign-actions">
            {c.status === 'draft' && <button type="button" className="primary" onClick={() => void act(() => campaignsApi.start(c.id), 'Campaign started')}>Start</button>}
            {c.status === 'running' && <button type="button" onClick={() => setDialog('close')}>Close early…</button>}
            {c.status === 'closed' && c.totals.revoked > 0 && <button type="button" className="primary" onClick={() => setDialog('apply')}>Apply…</button>}
            {c.status === 'held' && <button type="button" className="primary" onClick={() => setDialog('approve')}>Approve held apply…</button>}
            {(c.status === 'draft' || c.status === 'running' || c.status === 'closed' || c.status === 'held') && (
              <button type="button" className="danger" onClick={() => { if (window.confirm(`Cancel “${c.name}”? Decisions are kept in the report; nothing is revoked.`)) void act(() => campaignsApi.cancel(c.id), 'Campaign cancelled'); }}>Cancel campaign</button>
            )}
          </div>
        )}
      </div>
      <ProgressBar done={c.totals.decided} total={c.totals.items} label="Campaign progress" />
      {actionError && <ErrorBox error={actionError} />}
      {c.status === 'held' && c.held && (
        <div className="held-banner" role="status" aria-label="Apply held">
          <div>
            <strong>The apply is held for an admin&apos;s approval.</strong> The circuit breaker stopped it before any removal:
            <ul>{c.held.reasons.map((r, i) => <li key={i}>{r.reason}</li>)}</ul>
          </div>
        </div>
      )}
      {c.verification.didNotStick > 0 && (
        <div className="held-banner alert-banner" role="alert">
          <div><strong>{c.verification.didNotStick} revocation{c.verification.didNotStick === 1 ? '' : 's'} did not stick:</strong> the access is back. See <button type="button" className="link" onClick={() => setTab('verification')}>Verification</button>.</div>
        </div>
      )}
      <div className="tabs" role="tablist" aria-label="Campaign sections">
        {TABS.map((t) => (
          <button key={t.id} type="button" role="tab" aria-selected={tab === t.id} className={tab === t.id ? 'on' : ''} onClick={() => setTab(t.id)}>
            {t.label}{t.id === 'remediation' && c.remediation.error ? ` (${c.remediation.error})` : ''}{t.id === 'verification' && c.verification.didNotStick ? ` (${c.verification.didNotStick})` : ''}
          </button>
        ))}
      </div>
      {tab === 'progress' && <ProgressTab c={c} reviewers={data.reviewers} />}
      {tab === 'items' && <ItemsTab id={c.id} reviewers={data.reviewers} version={version} />}
      {tab === 'remediation' && <RemediationTab c={c} version={version} onChanged={() => changed()} />}
      {tab === 'verification' && <VerificationTab c={c} version={version} />}
      {tab === 'report' && <ReportTab c={c} />}
      {dialog === 'close' && <CloseDialog c={c} onClose={() => setDialog(null)} onClosed={(n) => changed(n, n.status === 'closed' ? 'Campaign closed' : `Campaign closed: ${CAMPAIGN_STATUS_LABELS[n.status].toLowerCase()}`)} />}
      {dialog === 'apply' && <ApplyDialog c={c} onClose={() => setDialog(null)} onApplied={(n) => changed(n, n.status === 'held' ? 'The apply is held for an admin’s approval' : 'Applying the revocations')} />}
      {dialog === 'approve' && <ApproveHeldDialog c={c} onClose={() => setDialog(null)} onApproved={(n) => changed(n, 'Apply approved: applying the revocations')} />}
    </section>
  );
}
