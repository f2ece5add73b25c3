import { useEffect, useState } from 'react';
import { ApiError, type RenderedError } from '../api.js';
import { continuity, GAP_LABELS, type Explanation, type Reconciliation } from '../continuity-api.js';
import { useData } from './useData.js';
import { Pill } from './Pill.js';
import { ErrorBox } from './ErrorBox.js';
import { useToast } from './Toasts.js';
import { formatBytes, formatCount, relativeTime } from '../format.js';

type Tab = 'folders' | 'items' | 'why';
const STEP_ICON = { pass: '✓', fail: '✕', warning: '!', info: '·' } as const;

function errorOf(e: unknown): RenderedError {
  return e instanceof ApiError ? e.error : { code: 'network', title: 'Request failed', message: String(e), resolution: 'Try again.' };
}

function ReconciliationCell({ r }: { r: Reconciliation }) {
  return (
    <div className="reconciliation">
      <div><strong>{formatCount(r.source)}</strong> in Microsoft 365 · <strong>{formatCount(r.destination)}</strong> in Google · {formatCount(r.matched)} matched</div>
      {r.gaps.length === 0 ? <small className="ok-text">No gaps</small> : (
        <ul className="gaps">
          {r.gaps.map((g) => (
            <li key={g.class} data-gap={g.class}>
              {GAP_LABELS[g.class] ?? g.class}: {g.count}
              {g.examples[0]?.subject && <small> — e.g. “{g.examples[0].subject}”{g.examples[0].code ? ` (${g.examples[0].code})` : ''}</small>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function Why({ id }: { id: string }) {
  const [data, setData] = useState<Explanation | null>(null);
  const [error, setError] = useState<RenderedError | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    try {
      setData(await continuity.explain(id));
      setError(null);
    } catch (e) {
      setError(errorOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div>
      <button type="button" onClick={() => void run()} disabled={busy}>{busy ? 'Checking…' : "Why isn't this user syncing?"}</button>
      {error && <ErrorBox error={error} />}
      {data && (
        <>
          <p className="verdict"><strong>{data.verdict}</strong></p>
          <ol className="steps" aria-label="Explanation">
            {data.steps.map((s, i) => (
              <li key={i} className={`step step-${s.status}`}>
                <span className="finding-icon" aria-label={s.status}>{STEP_ICON[s.status]}</span>
                <div>
                  <div className="step-title">{s.title}</div>
                  <div className="muted">{s.detail}</div>
                  {s.error && <ErrorBox error={s.error} compact />}
                </div>
              </li>
            ))}
          </ol>
        </>
      )}
    </div>
  );
}

/** The detail panel: error with its fix, counts, folders with reconciliation, failed items, and why. */
export function SyncUserPanel({ id, onClose }: { id: string; onClose: () => void }) {
  const { data, error, reload } = useData(() => continuity.user(id), [id], 5000);
  const items = useData(() => continuity.items(id), [id], 10_000);
  const [tab, setTab] = useState<Tab>('folders');
  const [busy, setBusy] = useState<string | null>(null);
  const toast = useToast();
  // Escape closes the panel, as it closes a dialog; not while a dialog is open above it.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && !document.querySelector('[role="dialog"]')) onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
  const act = async (what: string, fn: () => Promise<unknown>, ok: string) => {
    setBusy(what);
    try {
      await fn();
      toast('success', ok);
      reload();
      items.reload();
    } catch (e) {
      const err = errorOf(e);
      toast('error', `${err.title}: ${err.message}`);
    } finally {
      setBusy(null);
    }
  };
  return (
    <aside className="panel" role="complementary" aria-label="User details">
      <button type="button" className="icon-button close" aria-label="Close" onClick={onClose}>×</button>
      {error && <ErrorBox error={error} />}
      {!data && !error && <div className="loading">Loading…</div>}
      {data && (
        <>
          <h2>{data.displayName}</h2>
          <div className="muted">{data.email} → {data.destinationEmail}</div>
          <p>
            <Pill status={data.status} label={data.throttledBy ? `Throttled by ${data.throttledBy}` : undefined} /> <span className="muted">Policy: {data.policyName}</span>
            {data.resumesAt && <span className="muted"> · resumes {relativeTime(data.resumesAt)}</span>}
          </p>
          {data.lastError && <ErrorBox error={data.lastError} />}
          {data.exclusion && (
            <p className="muted">
              Excluded {relativeTime(data.exclusion.at)} ({(data.exclusion.reason ?? '').replace(/_/g, ' ')}).
              {data.exclusion.destinationDeletedAt ? ` Google account deleted ${relativeTime(data.exclusion.destinationDeletedAt)}.` : data.exclusion.deleteAfter ? ` Google account scheduled for deletion ${relativeTime(data.exclusion.deleteAfter)}.` : ''}
            </p>
          )}
          <dl className="facts">
            <dt>Exported from Microsoft 365</dt><dd>{formatCount(data.exported)}</dd>
            <dt>Imported to Google</dt><dd>{formatCount(data.imported)} ({formatBytes(data.importedBytes)})</dd>
            <dt>Failed items</dt><dd>{formatCount(data.failedItems)}</dd>
            <dt>Last successful sync</dt><dd>{relativeTime(data.lastSyncAt)}</dd>
            <dt>Next sync</dt><dd>{data.nextSyncAt ? relativeTime(data.nextSyncAt) : '—'}</dd>
            {data.consecutiveFailures > 0 && <><dt>Failed cycles in a row</dt><dd>{data.consecutiveFailures}</dd></>}
          </dl>
          <div className="actions panel-actions">
            <button type="button" disabled={busy !== null || data.status === 'excluded'} onClick={() => void act('retry', () => continuity.retryNow(id), 'Sync queued')}>Retry now</button>
          </div>
          <div className="tabs" role="tablist">
            {(['folders', 'items', 'why'] as const).map((t) => (
              <button key={t} type="button" role="tab" aria-selected={tab === t} className={tab === t ? 'on' : ''} onClick={() => setTab(t)}>
                {t === 'folders' ? 'Folders' : t === 'items' ? `Items${data.failedItemCount ? ` (${data.failedItemCount})` : ''}` : 'Why?'}
              </button>
            ))}
          </div>
          {tab === 'folders' && (
            <div role="tabpanel" aria-label="Folders">
              <div className="actions">
                <button type="button" disabled={busy !== null || data.status === 'excluded'} onClick={() => void act('reconcile', () => continuity.reconcile(id), 'Reconciliation done')}>
                  {busy === 'reconcile' ? 'Reconciling…' : 'Reconcile'}
                </button>
                <small className="muted">Source against destination, per folder, within the initial window</small>
              </div>
              {data.folders.length === 0 ? <div className="muted">No folders read yet.</div> : (
                <table className="compact">
                  <thead><tr><th>Folder</th><th>Imported</th><th>Failed</th><th>Reconciliation</th></tr></thead>
                  <tbody>
                    {data.folders.map((f) => (
                      <tr key={f.id} data-folder={f.name}>
                        <td>{f.name}{f.phase === 'initial' && <small className="muted"> (initial{f.windowTotal !== null ? ` of ${f.windowTotal}` : ''})</small>}{f.gone && <small className="muted"> (deleted)</small>}{f.label && <div><small className="muted">label {f.label}</small></div>}</td>
                        <td>{formatCount(f.imported)}{f.trashed ? <small className="muted"> +{f.trashed} in Trash</small> : null}</td>
                        <td>{f.failed || ''}</td>
                        <td>{f.reconciliation ? <ReconciliationCell r={f.reconciliation} /> : <small className="muted">not yet</small>}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </div>
          )}
          {tab === 'items' && (
            <div role="tabpanel" aria-label="Items">
              <div className="actions">
                <button type="button" className="primary" disabled={busy !== null || !items.data?.items.some((i) => i.state === 'failed')} onClick={() => void act('items', () => continuity.retryFailed(id), 'Failed items queued for retry')}>
                  Retry failed items
                </button>
                {data.retryQueued > 0 && <small className="muted">{data.retryQueued} queued</small>}
              </div>
              {items.data && items.data.items.length === 0 && <div className="muted">Every item synced.</div>}
              {items.data && items.data.items.length > 0 && (
                <table className="compact" aria-label="Items that could not sync">
                  <thead><tr><th>Item</th><th>Folder</th><th>Error</th></tr></thead>
                  <tbody>
                    {items.data.items.map((i) => (
                      <tr key={i.sourceItemId}>
                        <td>{i.subject ?? '(no subject)'}{i.size !== null && <small className="muted"> {formatBytes(i.size)}</small>}{i.state === 'retry' && <small className="muted"> (retry queued)</small>}</td>
                        <td>{i.folder}</td>
                        <td title={i.error?.resolution}>{i.error?.title} <code>{i.error?.code}</code><div><small className="muted">{i.error?.message}</small></div></td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </div>
          )}
          {tab === 'why' && <div role="tabpanel" aria-label="Why"><Why id={id} /></div>}
        </>
      )}
    </aside>
  );
}
