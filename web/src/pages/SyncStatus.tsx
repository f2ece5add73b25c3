import { useEffect, useState } from 'react';
import { api } from '../api.js';
import { continuity, SYNC_STATUSES, type SyncUserRow } from '../continuity-api.js';
import { useData } from '../components/useData.js';
import { FailoverBanner } from '../components/FailoverBanner.js';
import { Pill } from '../components/Pill.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { Empty } from '../components/Empty.js';
import { SyncUserPanel } from '../components/SyncUserPanel.js';
import { STATUS_LABELS, formatCount, relativeTime } from '../format.js';
import { downloadCsv, toCsv } from '../csv.js';

function Progress({ done, total }: { done: number; total: number }) {
  const pct = total === 0 ? 100 : Math.min(100, Math.round((done / total) * 100));
  return (
    <div className="progress" role="progressbar" aria-label="Initial sync progress" aria-valuenow={pct} aria-valuemin={0} aria-valuemax={100} title={`${done} of ${total} items in the initial window`}>
      <div style={{ width: `${pct}%` }} />
    </div>
  );
}

function statusLabel(u: SyncUserRow): string | undefined {
  return u.status === 'throttled' && u.throttledBy ? `Throttled by ${u.throttledBy}` : undefined;
}

export function SyncStatusPage() {
  const [status, setStatus] = useState('');
  const [q, setQ] = useState('');
  const [policyId, setPolicyId] = useState('');
  const [selected, setSelected] = useState<string | null>(null);
  const policies = useData(() => api.policies(), []);
  const { data, error, stale } = useData(() => continuity.users({ status, q, policyId }), [status, q, policyId], 5000);
  // Pages after the first (keyset, "Load more"); the first page keeps refreshing on its own.
  const [more, setMore] = useState<{ users: SyncUserRow[]; next: string | null } | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [exporting, setExporting] = useState(false);
  useEffect(() => setMore(null), [status, q, policyId]);
  const shown = data ? [...data.users, ...(more?.users ?? [])] : [];
  const next = more ? more.next : (data?.nextCursor ?? null);
  const loadMore = async () => {
    if (!next) return;
    setLoadingMore(true);
    try {
      const r = await continuity.users({ status, q, policyId, cursor: next });
      setMore((m) => ({ users: [...(m?.users ?? []), ...r.users], next: r.nextCursor }));
    } finally {
      setLoadingMore(false);
    }
  };
  const exportCsv = async () => {
    setExporting(true);
    try {
      writeCsv(await continuity.allUsers({ status, q, policyId }));
    } finally {
      setExporting(false);
    }
  };
  const writeCsv = (users: SyncUserRow[]) =>
    downloadCsv('sync-status.csv', toCsv(
      ['User', 'Email', 'Destination', 'Policy', 'Status', 'Throttled by', 'Resumes at', 'Exported', 'Imported', 'Failed items', 'Last successful sync', 'Next sync', 'Error code', 'Error'],
      users.map((u) => [u.displayName, u.email, u.destinationEmail, u.policyName, STATUS_LABELS[u.status], u.throttledBy ?? '', u.resumesAt ?? '', u.exported, u.imported, u.failedItems, u.lastSyncAt ?? '', u.nextSyncAt ?? '', u.lastError?.code ?? '', u.lastError?.title ?? '']),
    ));
  return (
    <section className={selected ? 'with-panel' : ''}>
      <div>
        <div className="page-header">
          <h1>Sync status</h1>
          <button type="button" disabled={!data?.users.length || exporting} onClick={() => void exportCsv()}>{exporting ? 'Exporting…' : 'Export CSV'}</button>
        </div>
        <FailoverBanner />
        {data && (
          <div className="chips" role="group" aria-label="Filter by status">
            {SYNC_STATUSES.map((s) => (
              <button key={s} type="button" aria-pressed={status === s} className={`chip${status === s ? ' on' : ''}`} onClick={() => setStatus(status === s ? '' : s)}>
                <Pill status={s} /> {data.counts[s] ?? 0}
              </button>
            ))}
          </div>
        )}
        <div className="filters">
          <label>Search<input type="search" value={q} placeholder="Name or email" onChange={(e) => setQ(e.target.value)} /></label>
          <label>Policy
            <select value={policyId} onChange={(e) => setPolicyId(e.target.value)}>
              <option value="">All policies</option>
              {policies.data?.policies.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
            </select>
          </label>
          {status && <button type="button" onClick={() => setStatus('')}>Clear status filter</button>}
        </div>
        {error && <ErrorBox error={error} />}
        {!data && !error && <div className="loading">Loading users…</div>}
        {data && data.users.length === 0 && (
          <Empty title={status || q || policyId ? 'No users match these filters' : 'No users yet'}>
            {status || q || policyId ? 'Clear the filters to see every user.' : 'Enable a policy; its users appear here after its first cycle.'}
          </Empty>
        )}
        {data && data.users.length > 0 && (
          <div className="table-scroll">
            <table className={`clickable${stale ? ' stale' : ''}`} aria-label="Users" aria-busy={stale}>
              <thead><tr><th>User</th><th>Destination</th><th>Status</th><th>Items (imported / exported)</th><th>Failed items</th><th>Last successful sync</th><th>Next sync</th><th>Error</th></tr></thead>
              <tbody>
                {shown.map((u) => (
                  <tr key={u.id} className={`clickable${selected === u.id ? ' selected' : ''}`} onClick={() => setSelected(u.id)}>
                    <td><div>{u.displayName}</div><small className="muted">{u.email}</small></td>
                    <td>{u.destinationEmail}</td>
                    <td><Pill status={u.status} label={statusLabel(u)} />{u.resumesAt && <div><small className="muted">resumes {relativeTime(u.resumesAt)}</small></div>}</td>
                    <td>{formatCount(u.imported)} / {formatCount(u.exported)}{u.status === 'initial_sync' && u.progress && <Progress done={u.progress.done} total={u.progress.total} />}</td>
                    <td>{u.failedItems || ''}</td>
                    <td>{relativeTime(u.lastSyncAt)}</td>
                    <td>{u.status === 'excluded' ? '—' : relativeTime(u.nextSyncAt)}</td>
                    <td>{u.lastError && <span className="error-cell" title={`${u.lastError.code}: ${u.lastError.message}`}>{u.lastError.title}</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {data && data.users.length > 0 && (
          <div className="pager" role="navigation" aria-label="Pages">
            <span className="muted" data-testid="shown" aria-live="polite">{stale ? 'Loading…' : `${formatCount(shown.length)} of ${formatCount(data.total)}${data.totalExact ? '' : '+'} users`}</span>
            {next && !stale && <button type="button" className="load-more" disabled={loadingMore} onClick={() => void loadMore()}>{loadingMore ? 'Loading…' : 'Load more'}</button>}
          </div>
        )}
      </div>
      {selected && <SyncUserPanel id={selected} onClose={() => setSelected(null)} />}
    </section>
  );
}
