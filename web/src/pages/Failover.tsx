import { useEffect, useState } from 'react';
import { api, ApiError, type RenderedError } from '../api.js';
import { failover, type Failover, type FailoverSettings, type RecoveryUser } from '../failover-api.js';
import { useData } from '../components/useData.js';
import { useToast } from '../components/Toasts.js';
import { Dialog } from '../components/Dialog.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { Empty } from '../components/Empty.js';
import { Pill } from '../components/Pill.js';
import { FailoverBanner } from '../components/FailoverBanner.js';
import { formatBytes, formatCount, relativeTime } from '../format.js';

/**
 * Failover (issue 14): declare a Microsoft 365 outage on a policy (or confirm Syncwarden's
 * proposal), watch the gentle probes, start recovery, and read the recovery report per policy
 * and per user — written back, skipped as already present, failed — with its CSV.
 */
const OPEN = new Set(['proposed', 'active', 'recovering']);

function policyFromHash(): string {
  const m = /^#\/failover\/([^/?]+)/.exec(window.location.hash);
  return m ? decodeURIComponent(m[1]!) : '';
}

function asError(e: unknown): RenderedError {
  return e instanceof ApiError ? e.error : { code: 'network', title: 'Cannot reach Syncwarden', message: String(e), resolution: 'Check that the server is running, then reload.' };
}

export function FailoverPage() {
  const toast = useToast();
  const policies = useData(() => api.policies(), []);
  const [policyId, setPolicyId] = useState(policyFromHash());
  useEffect(() => {
    if (!policyId && policies.data?.policies[0]) setPolicyId(policies.data.policies[0].id);
  }, [policyId, policies.data]);
  const { data, error, reload } = useData(() => (policyId ? failover.ofPolicy(policyId) : Promise.resolve(null)), [policyId], 3000);
  const [declaring, setDeclaring] = useState(false);
  const [actionError, setActionError] = useState<RenderedError | null>(null);
  const current = data?.current ?? null;
  const isOpen = current !== null && OPEN.has(current.state);

  const act = async (what: string, run: () => Promise<unknown>) => {
    setActionError(null);
    try {
      await run();
      toast('success', what);
    } catch (e) {
      setActionError(asError(e));
    }
    reload();
  };

  return (
    <section>
      <div className="page-header"><h1>Failover</h1></div>
      <FailoverBanner link={false} />
      <div className="filters">
        <label>Policy
          <select value={policyId} onChange={(e) => { setPolicyId(e.target.value); window.location.hash = `#/failover/${e.target.value}`; }}>
            {policies.data?.policies.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
          </select>
        </label>
      </div>
      {(error ?? policies.error) && <ErrorBox error={(error ?? policies.error)!} />}
      {policies.data && policies.data.policies.length === 0 && <Empty title="No policies yet">Create a policy first; a failover applies to one policy's users.</Empty>}
      {data && (
        <>
          <FailoverState fo={current} />
          <div className="failover-actions">
            {(!isOpen || current?.state === 'proposed') && (
              <button type="button" className="danger" onClick={() => setDeclaring(true)}>{current?.state === 'proposed' ? 'Declare outage (confirm proposal)' : 'Declare outage'}</button>
            )}
            {current?.state === 'active' && <button type="button" className="primary" onClick={() => void act('Recovery started', () => failover.recover(policyId))}>Start recovery</button>}
            {current && (current.state === 'active' || current.state === 'proposed') && (
              <>
                {current.state === 'active' && <button type="button" onClick={() => void act('Microsoft 365 probed', () => failover.probe(policyId))}>Probe Microsoft 365 now</button>}
                <button type="button" onClick={() => void act(current.state === 'proposed' ? 'Proposal dismissed' : 'Failover ended without recovery', () => failover.end(policyId))}>
                  {current.state === 'proposed' ? 'Dismiss proposal' : 'End without recovery'}
                </button>
              </>
            )}
          </div>
          {actionError && <ErrorBox error={actionError} />}
          <SettingsForm policyId={policyId} settings={data.settings} onSaved={reload} />
          {current && current.state !== 'proposed' && current.totals.users > 0 && <RecoveryReport policyId={policyId} fo={current} />}
        </>
      )}
      {declaring && (
        <DeclareDialog
          proposal={current?.state === 'proposed' ? current : null}
          policyName={policies.data?.policies.find((p) => p.id === policyId)?.name ?? ''}
          onClose={() => setDeclaring(false)}
          onDeclare={async (body) => {
            await failover.declare(policyId, body);
            toast('success', 'Outage declared');
            setDeclaring(false);
            reload();
          }}
        />
      )}
    </section>
  );
}

function FailoverState({ fo }: { fo: Failover | null }) {
  if (!fo) return <p className="muted">No outage has been declared on this policy. Syncwarden proposes one when Microsoft 365 keeps failing for the set time.</p>;
  return (
    <dl className="failover-state" aria-label="Failover state">
      <dt>State</dt><dd><Pill status={fo.state} /> {fo.origin === 'proposed' && <small className="muted">proposed by Syncwarden {relativeTime(fo.proposedAt)}</small>}</dd>
      <dt>Outage since</dt><dd>{new Date(fo.outageSince).toLocaleString()}{fo.reason && <> — {fo.reason}</>}</dd>
      {fo.declaredAt && <><dt>Declared</dt><dd>{relativeTime(fo.declaredAt)} by {fo.declaredBy}</dd></>}
      {fo.state === 'active' && (
        <>
          <dt>Microsoft 365</dt>
          <dd>
            {fo.lastProbeAt === null ? 'not probed yet' : fo.lastProbeError ? <>failing (<code>{fo.lastProbeError.code}</code>), probed {relativeTime(fo.lastProbeAt)}</> : <>answers again since {relativeTime(fo.healthySince)}</>}
            {fo.nextProbeAt && <small className="muted"> · next probe {relativeTime(fo.nextProbeAt)}</small>}
          </dd>
        </>
      )}
      {fo.recoveryStartedAt && <><dt>Recovery</dt><dd>started {relativeTime(fo.recoveryStartedAt)}{fo.recoveredAt && <>, finished {relativeTime(fo.recoveredAt)}</>}</dd></>}
    </dl>
  );
}

function DeclareDialog({ proposal, policyName, onClose, onDeclare }: { proposal: Failover | null; policyName: string; onClose: () => void; onDeclare: (body: { since?: string; reason?: string }) => Promise<void> }) {
  const [since, setSince] = useState('');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<RenderedError | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <Dialog
      title="Declare a Microsoft 365 outage"
      onClose={onClose}
      footer={
        <>
          <button type="button" onClick={onClose}>Cancel</button>
          <button
            type="button"
            className="danger"
            disabled={busy}
            onClick={() => {
              setBusy(true);
              onDeclare({ ...(since ? { since: new Date(since).toISOString() } : {}), ...(reason.trim() ? { reason: reason.trim() } : {}) })
                .catch((e: unknown) => setError(asError(e)))
                .finally(() => setBusy(false));
            }}
          >
            Declare outage
          </button>
        </>
      }
    >
      <p>
        Users of <strong>{policyName}</strong> work in Google Workspace until Microsoft 365 is back. Forward sync pauses and probes Microsoft 365 gently;
        nothing Microsoft 365 accepted is lost. When it answers again, start recovery to write the outage's mail back.
      </p>
      {proposal && <p className="muted">Syncwarden proposed this failover: {proposal.reason}</p>}
      <label>Outage began (optional; default {proposal ? 'the proposal\'s start' : 'now'})<input type="datetime-local" value={since} onChange={(e) => setSince(e.target.value)} /></label>
      <label>Reason (optional)<input type="text" value={reason} maxLength={500} placeholder="e.g. Exchange Online incident EX123" onChange={(e) => setReason(e.target.value)} /></label>
      {error && <ErrorBox error={error} />}
    </Dialog>
  );
}

function SettingsForm({ policyId, settings, onSaved }: { policyId: string; settings: FailoverSettings; onSaved: () => void }) {
  const toast = useToast();
  const [s, setS] = useState(settings);
  const [error, setError] = useState<RenderedError | null>(null);
  useEffect(() => setS(settings), [settings.propose, settings.proposeAfterMinutes, settings.autoRecover, settings.autoRecoverAfterMinutes]);
  return (
    <form
      className="failover-settings"
      aria-label="Failover settings"
      onSubmit={(e) => {
        e.preventDefault();
        failover.saveSettings(policyId, s).then(() => { setError(null); toast('success', 'Failover settings saved'); onSaved(); }, (err: unknown) => setError(asError(err)));
      }}
    >
      <label><input type="checkbox" checked={s.propose} onChange={(e) => setS({ ...s, propose: e.target.checked })} /> Propose a failover after</label>
      <label><input type="number" min={1} aria-label="Minutes of outage before a proposal" value={s.proposeAfterMinutes} onChange={(e) => setS({ ...s, proposeAfterMinutes: Number(e.target.value) })} /> min of outage</label>
      <label><input type="checkbox" checked={s.autoRecover} onChange={(e) => setS({ ...s, autoRecover: e.target.checked })} /> Start recovery by itself after</label>
      <label><input type="number" min={1} aria-label="Minutes healthy before recovery starts" value={s.autoRecoverAfterMinutes} onChange={(e) => setS({ ...s, autoRecoverAfterMinutes: Number(e.target.value) })} /> min healthy</label>
      <button type="submit">Save settings</button>
      {error && <ErrorBox error={error} compact />}
    </form>
  );
}

function UserStatus({ u }: { u: RecoveryUser }) {
  if (u.status === 'failed') return <><Pill status="failed" /> {u.error && <code>{u.error.code}</code>}</>;
  if (u.status === 'recovered') return <Pill status="recovered" />;
  if (u.status === 'pending') return <Pill status="pending" />;
  return (
    <>
      <Pill status={u.status === 'throttled' ? 'throttled' : 'recovering'} />
      <div className="progress" role="progressbar" aria-label={`Recovery progress of ${u.email}`} aria-valuenow={u.progress} aria-valuemin={0} aria-valuemax={100} title={u.phase === 'write' ? `${u.written + u.skipped + u.failed} of ${u.found} messages settled` : 'finding the outage\'s mail'}>
        <div style={{ width: `${u.progress}%` }} />
      </div>
    </>
  );
}

function RecoveryReport({ policyId, fo }: { policyId: string; fo: Failover }) {
  const { data, error } = useData(() => failover.report(policyId, fo.id), [policyId, fo.id, fo.totals.written, fo.totals.skipped, fo.totals.failed, fo.totals.recovered, fo.state], 3000);
  const [selected, setSelected] = useState<RecoveryUser | null>(null);
  return (
    <section aria-label="Recovery report">
      <div className="page-header">
        <h2>Recovery report</h2>
        <a className="button" href={failover.csvUrl(policyId, fo.id)} download="recovery-report.csv">Export CSV</a>
      </div>
      <div className="stats" aria-label="Recovery totals">
        <div className="stat" data-figure="written"><div className="stat-value">{formatCount(fo.totals.written)}</div><div className="stat-label">written back</div></div>
        <div className="stat" data-figure="skipped"><div className="stat-value">{formatCount(fo.totals.skipped)}</div><div className="stat-label">skipped (already present, imported by Syncwarden, drafts)</div></div>
        <div className="stat" data-figure="failed"><div className="stat-value">{formatCount(fo.totals.failed)}</div><div className="stat-label">failed</div></div>
        <div className="stat" data-figure="users"><div className="stat-value">{fo.totals.recovered} / {fo.totals.users}</div><div className="stat-label">users recovered{fo.totals.failedUsers > 0 ? ` (${fo.totals.failedUsers} failed)` : ''}</div></div>
      </div>
      {error && <ErrorBox error={error} />}
      {data && (
        <table className="clickable" aria-label="Recovery by user">
          <thead><tr><th>User</th><th>Google mailbox</th><th>Status</th><th>Found</th><th>Written back</th><th>Skipped</th><th>Failed</th><th>Volume</th></tr></thead>
          <tbody>
            {data.users.map((u) => (
              <tr key={u.id} className={`clickable${selected?.id === u.id ? ' selected' : ''}`} onClick={() => setSelected(u)}>
                <td>{u.email}</td><td>{u.googleEmail}</td><td><UserStatus u={u} /></td>
                <td>{formatCount(u.found)}</td><td>{formatCount(u.written)}</td><td>{formatCount(u.skipped)}</td><td>{formatCount(u.failed)}</td><td>{formatBytes(u.bytes)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {selected && <RecoveryItems policyId={policyId} user={selected} />}
    </section>
  );
}

function RecoveryItems({ policyId, user }: { policyId: string; user: RecoveryUser }) {
  const [state, setState] = useState('');
  const { data, error } = useData(() => failover.items(policyId, user.id, state || undefined), [policyId, user.id, state]);
  return (
    <section aria-label={`Messages of ${user.email}`}>
      <div className="page-header">
        <h3>Messages of {user.email}</h3>
        <label>Outcome
          <select value={state} onChange={(e) => setState(e.target.value)}>
            <option value="">All</option><option value="written">Written back</option><option value="skipped">Skipped</option><option value="failed">Failed</option>
          </select>
        </label>
      </div>
      {error && <ErrorBox error={error} />}
      {data && data.items.length === 0 && <Empty title="No messages">Nothing with this outcome.</Empty>}
      {data && data.items.length > 0 && (
        <table aria-label="Recovered messages">
          <thead><tr><th>Subject</th><th>Received</th><th>Folder</th><th>Outcome</th><th>Message-ID</th></tr></thead>
          <tbody>
            {data.items.map((i) => (
              <tr key={i.id}>
                <td>{i.subject ?? <span className="muted">(no subject)</span>}</td>
                <td>{i.receivedAt ? new Date(i.receivedAt).toLocaleString() : ''}</td>
                <td>{i.folder ?? ''}</td>
                <td><Pill status={i.state} />{i.skipReason && <small className="muted"> {i.skipReason.replace(/_/g, ' ')}</small>}{i.error && <code> {i.error.code}</code>}</td>
                <td><small>{i.internetMessageId ?? ''}</small></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
