import { useState } from 'react';
import { api, type SyncStatus, type SyncUser } from '../api.js';
import { useData } from '../components/useData.js';
import { Pill } from '../components/Pill.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { Empty } from '../components/Empty.js';
import { STATUS_LABELS, formatCount, relativeTime } from '../format.js';
import { downloadCsv, toCsv } from '../csv.js';

const STATUSES: SyncStatus[] = ['pending', 'initial_sync', 'synced', 'failed', 'excluded'];

function Progress({ done, total }: { done: number; total: number }) {
  const pct = total === 0 ? 0 : Math.round((done / total) * 100);
  return <div className="progress" role="progressbar" aria-valuenow={pct} aria-valuemin={0} aria-valuemax={100}><div style={{ width: `${pct}%` }} /></div>;
}

function UserPanel({ id, onClose }: { id: string; onClose: () => void }) {
  const { data, error } = useData(() => api.syncUser(id), [id], 5000);
  return (
    <aside className="panel" role="complementary" aria-label="User details">
      <button type="button" className="icon-button close" aria-label="Close" onClick={onClose}>×</button>
      {error && <ErrorBox error={error} />}
      {!data && !error && <div className="loading">Loading…</div>}
      {data && (
        <>
          <h2>{data.displayName}</h2>
          <div className="muted">{data.email} → {data.destinationEmail}</div>
          <p><Pill status={data.status} /> <span className="muted">Policy: {data.policyName}</span></p>
          {data.lastError && <ErrorBox error={data.lastError} />}
          <dl className="facts">
            <dt>Exported from Microsoft 365</dt><dd>{formatCount(data.exported)}</dd>
            <dt>Imported to Google</dt><dd>{formatCount(data.imported)}</dd>
            <dt>Failed items</dt><dd>{formatCount(data.failedItems)}</dd>
            <dt>Last sync</dt><dd>{relativeTime(data.lastSyncAt)}</dd>
            <dt>Next sync</dt><dd>{relativeTime(data.nextSyncAt)}</dd>
          </dl>
          <h3>Folders</h3>
          {data.folders.length === 0 ? <div className="muted">No folders read yet.</div> : (
            <table className="compact"><thead><tr><th>Folder</th><th>Exported</th><th>Imported</th></tr></thead>
              <tbody>{data.folders.map((f) => <tr key={f.name}><td>{f.name}{f.phase === 'initial' && <small className="muted"> (initial)</small>}</td><td>{f.exported}</td><td>{f.imported}</td></tr>)}</tbody></table>
          )}
          <h3>Items that could not sync</h3>
          {data.failures.length === 0 ? <div className="muted">None.</div> : (
            <table className="compact"><thead><tr><th>Item</th><th>Folder</th><th>Error</th></tr></thead>
              <tbody>{data.failures.map((f) => <tr key={f.sourceItemId}><td>{f.subject ?? '(no subject)'}</td><td>{f.folder}</td><td title={f.error?.message}>{f.error?.title} <code>{f.error?.code}</code></td></tr>)}</tbody></table>
          )}
        </>
      )}
    </aside>
  );
}

export function SyncStatusPage() {
  const [status, setStatus] = useState('');
  const [q, setQ] = useState('');
  const [policyId, setPolicyId] = useState('');
  const [selected, setSelected] = useState<string | null>(null);
  const policies = useData(() => api.policies(), []);
  const { data, error } = useData(() => api.syncUsers({ status, q, policyId }), [status, q, policyId], 5000);
  const exportCsv = (users: SyncUser[]) =>
    downloadCsv('sync-status.csv', toCsv(
      ['User', 'Email', 'Destination', 'Status', 'Exported', 'Imported', 'Failed items', 'Last sync', 'Error code'],
      users.map((u) => [u.displayName, u.email, u.destinationEmail, STATUS_LABELS[u.status], u.exported, u.imported, u.failedItems, u.lastSyncAt ?? '', u.lastError?.code ?? '']),
    ));
  return (
    <section className={selected ? 'with-panel' : ''}>
      <div className="page-header">
        <h1>Sync status</h1>
        <button type="button" disabled={!data?.users.length} onClick={() => data && exportCsv(data.users)}>Export CSV</button>
      </div>
      {data && (
        <div className="chips">
          {STATUSES.map((s) => (
            <button key={s} type="button" className={`chip${status === s ? ' on' : ''}`} onClick={() => setStatus(status === s ? '' : s)}>
              <Pill status={s} /> {data.counts[s] ?? 0}
            </button>
          ))}
        </div>
      )}
      <div className="filters">
        <label>Status
          <select value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">All</option>
            {STATUSES.map((s) => <option key={s} value={s}>{STATUS_LABELS[s]}</option>)}
          </select>
        </label>
        <label>Search<input type="search" value={q} placeholder="Name or email" onChange={(e) => setQ(e.target.value)} /></label>
        <label>Policy
          <select value={policyId} onChange={(e) => setPolicyId(e.target.value)}>
            <option value="">All policies</option>
            {policies.data?.policies.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
          </select>
        </label>
      </div>
      {error && <ErrorBox error={error} />}
      {!data && !error && <div className="loading">Loading users…</div>}
      {data && data.users.length === 0 && (
        <Empty title={status || q || policyId ? 'No users match these filters' : 'No users yet'}>
          {status || q || policyId ? 'Clear the filters to see every user.' : 'Enable a policy; its users appear here after its first cycle.'}
        </Empty>
      )}
      {data && data.users.length > 0 && (
        <table className="clickable">
          <thead><tr><th>User</th><th>Destination</th><th>Status</th><th>Items (imported / exported)</th><th>Failed items</th><th>Last sync</th><th>Error</th></tr></thead>
          <tbody>
            {data.users.map((u) => (
              <tr key={u.id} className={selected === u.id ? 'selected' : ''} onClick={() => setSelected(u.id)}>
                <td><div>{u.displayName}</div><small className="muted">{u.email}</small></td>
                <td>{u.destinationEmail}</td>
                <td><Pill status={u.status} /></td>
                <td>{formatCount(u.imported)} / {formatCount(u.exported)}{u.status === 'initial_sync' && <Progress done={u.imported} total={u.exported} />}</td>
                <td>{u.failedItems || ''}</td>
                <td>{relativeTime(u.lastSyncAt)}</td>
                <td>{u.lastError && <code title={u.lastError.title}>{u.lastError.code}</code>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {selected && <UserPanel id={selected} onClose={() => setSelected(null)} />}
    </section>
  );
}
