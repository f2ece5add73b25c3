import { useEffect, useRef, useState } from 'react';
import { ApiError } from '../api.js';
import { scopeText } from '../api-connections.js';
import { clockTime, directoryApi, formatDuration, kindName, STATE_LABELS, type DirectoryStatusView, type DirRunView, type SyncMode } from '../directory-api.js';
import { useData } from '../components/useData.js';
import { Pill } from '../components/Pill.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { Empty } from '../components/Empty.js';
import { useToast } from '../components/Toasts.js';
import { formatCount, relativeTime, formatTime } from '../format.js';
import '../directory.css';

/** The state pill: "Throttled, resumes at 10:42" says when, not only that. */
export function StatePill({ s }: { s: DirectoryStatusView }) {
  const label = s.state === 'throttled' && s.throttledUntil ? `Throttled, resumes at ${clockTime(s.throttledUntil)}` : STATE_LABELS[s.state];
  return <Pill status={s.state} label={label} />;
}

function RunProgress({ run }: { run: DirRunView }) {
  const p = run.progress;
  if (!p) return <div className="muted">Starting…</div>;
  const pct = p.streams === 0 ? 0 : Math.min(100, Math.round(((p.streamIndex - 1) / p.streams) * 100));
  const text = `Reading ${p.stream} — stream ${p.streamIndex} of ${p.streams}, page ${p.page}`;
  return (
    <div className="run-progress" data-testid="progress">
      <div className="progress" role="progressbar" aria-label="Sync progress" aria-valuenow={pct} aria-valuemin={0} aria-valuemax={100} aria-valuetext={text}>
        <div style={{ width: `${Math.max(pct, 3)}%` }} />
      </div>
      <small>{text} · {formatCount(run.objectsRead)} objects read</small>
    </div>
  );
}

function Counts({ s }: { s: DirectoryStatusView }) {
  const c = s.counts;
  if (!c) return <span className="muted">not read yet</span>;
  return (
    <span data-testid="counts">
      {formatCount(c.accounts)} accounts · {formatCount(c.groups)} groups · {formatCount(c.memberships)} memberships · {formatCount(c.entitlements)} entitlements
      {c.grants ? ` · ${formatCount(c.grants)} grants` : ''}{c.credentials ? ` · ${formatCount(c.credentials)} credentials` : ''}
    </span>
  );
}

function ScopeFact({ s }: { s: DirectoryStatusView }) {
  const x = s.excluded;
  const left = x ? [x.guests && `${x.guests} guests`, x.external && `${x.external} external`, x.disabled && `${x.disabled} disabled`].filter((v): v is string => typeof v === 'string') : [];
  return (
    <span data-testid="scope">
      {scopeText(s.scope)}
      {x && <span className="muted"> · the last read left out {left.length ? left.join(', ') : 'nothing'}</span>}
    </span>
  );
}

/** The mass-removal guard's banner: what the held run would remove, and the admin's two choices. */
function HeldRemovalsBanner({ s, onChanged }: { s: DirectoryStatusView; onChanged: () => void }) {
  const toast = useToast();
  const [busy, setBusy] = useState(false);
  const held = s.activeRun?.held;
  if (s.state !== 'held' || !held) return null;
  const over = held.kinds.filter((k) => k.removed > 0);
  async function decide(approve: boolean) {
    setBusy(true);
    try {
      await (approve ? directoryApi.approveRemovals(s.connectionId) : directoryApi.rejectRemovals(s.connectionId));
      toast('success', approve ? `Removals approved: "${s.connectionName}" finishes its sync` : `Removals rejected: nothing was removed from "${s.connectionName}"`);
      onChanged();
    } catch (e) {
      toast('error', e instanceof ApiError ? `${e.error.title}: ${e.error.message}` : 'Could not record the decision');
    } finally {
      setBusy(false);
    }
  }
  return (
    <div className="held-banner" role="alert" data-testid="held-removals">
      <div>
        <strong>Removals held for approval.</strong> This sync would remove {over.map((k) => `${formatCount(k.removed)} of ${formatCount(k.before)} ${k.kind} (${k.percent}%)`).join(', ')} — above the {held.threshold}% this connection allows in one run. Nothing is removed until you decide.
        {held.sample.length > 0 && <details><summary>Some of what would be removed</summary><ul>{held.sample.map((x) => <li key={x}><code>{x}</code></li>)}</ul></details>}
      </div>
      <div className="actions">
        <button type="button" className="danger" disabled={busy} onClick={() => void decide(true)}>Approve removals</button>
        <button type="button" disabled={busy} onClick={() => void decide(false)}>Reject</button>
      </div>
    </div>
  );
}

function DirectoryCard({ s, onChanged, onHistory, showingHistory }: { s: DirectoryStatusView; onChanged: () => void; onHistory: () => void; showingHistory: boolean }) {
  const toast = useToast();
  const [busy, setBusy] = useState(false);
  // A held run stays the connection's run until an admin decides: no other sync starts meanwhile.
  const active = s.state === 'running' || s.state === 'queued' || s.state === 'held';
  const failed = s.state === 'failed' ? s.lastRun?.error ?? null : null;

  async function sync(mode: SyncMode) {
    setBusy(true);
    try {
      const r = await directoryApi.sync(s.connectionId, mode);
      toast(r.queued ? 'success' : 'info', r.queued ? `${mode === 'full' ? 'Full sync' : 'Sync'} queued: "${s.connectionName}"` : `A sync of "${s.connectionName}" is already queued or running`);
      onChanged();
    } catch (e) {
      toast('error', e instanceof ApiError ? `${e.error.title}: ${e.error.message}` : 'Could not queue the sync');
    } finally {
      setBusy(false);
    }
  }

  return (
    <article className="card" aria-label={s.connectionName} data-state={s.state}>
      <header className="card-header">
        <div>
          <div className="card-title">{s.connectionName}</div>
          <div className="muted">{kindName(s.kind)} · read-only</div>
        </div>
        <div className="card-actions"><StatePill s={s} /></div>
      </header>
      {s.state === 'throttled' && s.throttledUntil
        ? <div className="muted state-message" title={s.message}>The provider asked Syncwarden to slow down; the sync carries on by itself {relativeTime(s.throttledUntil)}.</div>
        : s.message && <div className="muted state-message">{s.message}</div>}
      {s.state === 'running' && s.activeRun && <RunProgress run={s.activeRun} />}
      <HeldRemovalsBanner s={s} onChanged={onChanged} />
      {failed && <ErrorBox error={failed} />}
      {s.state === 'warning' && s.lastRun?.checks && (
        <div className="warn-text state-message">
          {s.lastRun.checks.danglingMemberships + s.lastRun.checks.danglingGrants} references to objects the directory did not return
        </div>
      )}
      <dl className="facts">
        <dt>Read</dt><dd><Counts s={s} /></dd>
        <dt>Scope</dt><dd><ScopeFact s={s} /></dd>
        <dt>Last successful sync</dt><dd>{relativeTime(s.lastSuccessAt)}</dd>
        <dt>Next delta sync</dt><dd>{s.nextDeltaAt ? relativeTime(s.nextDeltaAt) : '—'}</dd>
        <dt>Next full sync</dt><dd>{s.nextFullAt ? relativeTime(s.nextFullAt) : '—'}</dd>
      </dl>
      <div className="actions card-footer">
        <button type="button" className="primary" disabled={busy || active} onClick={() => void sync('auto')}>Sync now</button>
        <button type="button" disabled={busy || active} onClick={() => void sync('full')} title="Read everything again instead of only the changes">Full sync</button>
        <button type="button" className="link" aria-expanded={showingHistory} onClick={onHistory}>{showingHistory ? 'Hide history' : 'Sync history'}</button>
      </div>
    </article>
  );
}

function Warnings({ run }: { run: DirRunView }) {
  const c = run.checks;
  if (!c) return null;
  const n = c.danglingMemberships + c.danglingGrants;
  if (n === 0) return <>0</>;
  return (
    <span className="warn-text" title={c.samples.join('\n')}>
      {n}<small> ({c.danglingMemberships} memberships, {c.danglingGrants} grants)</small>
    </span>
  );
}

function RunRow({ r }: { r: DirRunView }) {
  return (
    <tr data-run={r.id}>
      <td className="nowrap" title={r.startedAt}>{formatTime(r.startedAt)}<div><small>{relativeTime(r.startedAt)}</small></div></td>
      <td>{r.mode === 'full' ? 'Full' : 'Delta'}<div><small>{r.trigger}</small></div></td>
      <td><Pill status={r.status} label={r.status === 'succeeded' ? 'Synced' : STATE_LABELS[r.status]} />{r.resumeAt && r.status === 'throttled' && <div><small>resumes at {clockTime(r.resumeAt)}</small></div>}</td>
      <td className="nowrap">{r.status === 'running' || r.status === 'throttled' ? formatDuration(Date.now() - Date.parse(r.startedAt)) + '…' : formatDuration(r.durationMs)}</td>
      <td>{formatCount(r.objectsRead)}<div><small>{r.pagesRead} pages{r.pagesUnchanged ? `, ${r.pagesUnchanged} unchanged` : ''}</small></div></td>
      <td>{formatCount(r.added)}</td>
      <td>{formatCount(r.changed)}</td>
      <td>{formatCount(r.removed)}</td>
      <td><Warnings run={r} /></td>
      <td>{r.error && <span title={`${r.error.message}\nFix: ${r.error.resolution}`}>{r.error.title} <code>{r.error.code}</code></span>}</td>
    </tr>
  );
}

function History({ s, onClose }: { s: DirectoryStatusView; onClose: () => void }) {
  const { data, error } = useData(() => directoryApi.runs(s.connectionId), [s.connectionId, s.lastRun?.id, s.state], 10_000);
  const ref = useRef<HTMLElement>(null);
  useEffect(() => {
    // Not returned: Chromium's scrollIntoView answers a promise, which React would call on unmount.
    void ref.current?.scrollIntoView({ block: 'start', behavior: 'smooth' });
  }, [s.connectionId]);
  return (
    <section ref={ref} className="history" aria-label={`Sync history — ${s.connectionName}`}>
      <div className="page-header">
        <h2>Sync history — {s.connectionName}</h2>
        <button type="button" className="icon-button close" aria-label="Close history" onClick={onClose}>×</button>
      </div>
      {error && <ErrorBox error={error} />}
      {!data && !error && <div className="loading">Loading runs…</div>}
      {data && data.items.length === 0 && <Empty title="No syncs yet">This connection has not been read yet. Use “Sync now” on its card.</Empty>}
      {data && data.items.length > 0 && (
        <div className="table-scroll">
          <table className="compact" aria-label="Sync runs">
            <thead><tr><th>Started</th><th>Mode</th><th>Status</th><th>Duration</th><th>Objects read</th><th>Added</th><th>Changed</th><th>Removed</th><th>Dangling references</th><th>Error</th></tr></thead>
            <tbody>{data.items.map((r) => <RunRow key={r.id} r={r} />)}</tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function DirectorySyncPage() {
  const { data, error, reload } = useData(() => directoryApi.statuses(), [], 3000);
  const [history, setHistory] = useState<string | null>(null);
  const shown = data?.find((s) => s.connectionId === history) ?? null;
  return (
    <section>
      <div className="page-header">
        <h1>Directory sync</h1>
        <a href="#/identities">Identities →</a>
      </div>
      {error && <ErrorBox error={error} />}
      {!data && !error && <div className="loading">Loading directory connections…</div>}
      {data && data.length === 0 && (
        <Empty title="No directory connection yet">
          Add a directory connection (Entra ID, Google Workspace, AWS IAM or a SCIM app) on the <a href="#/connections">Connections</a> page; it is read here on a schedule.
        </Empty>
      )}
      <div className="cards">
        {data?.map((s) => (
          <DirectoryCard key={s.connectionId} s={s} onChanged={reload} showingHistory={history === s.connectionId} onHistory={() => setHistory(history === s.connectionId ? null : s.connectionId)} />
        ))}
      </div>
      {shown && <History s={shown} onClose={() => setHistory(null)} />}
    </section>
  );
}
