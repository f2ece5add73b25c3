import { useMemo, useState } from 'react';
import { connApi, ROLE_NAMES, type InventoryEntry } from '../api-connections.js';
import { useData } from '../components/useData.js';
import { Pill } from '../components/Pill.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { Empty } from '../components/Empty.js';
import { downloadCsv, toCsv } from '../csv.js';
import '../connections.css';

const STATUS_LABEL = { expired: 'Expired', expiring: 'Expiring soon', ok: 'OK', unknown: 'No date' } as const;
const BASIS = { credential: 'read from the credential', entered: 'entered from the provider console', age_policy: 'key-age policy' } as const;

/** Every expiring credential, soonest first: the calendar reminders admins keep today. */
export function CredentialsPage() {
  const { data, error } = useData(() => connApi.inventory(), [], 30_000);
  const [q, setQ] = useState('');
  const [status, setStatus] = useState('');
  const rows = useMemo(
    () => (data?.credentials ?? []).filter((c) => (!status || c.status === status) && (!q || `${c.connectionName} ${c.expiry.what} ${c.label}`.toLowerCase().includes(q.toLowerCase()))),
    [data, q, status],
  );
  const exportCsv = (list: InventoryEntry[]) =>
    downloadCsv(
      'syncwarden-credentials.csv',
      toCsv(['connection', 'type', 'role', 'credential', 'state', 'expires', 'days left', 'status', 'basis'], list.map((c) => [c.connectionName, c.kindName, ROLE_NAMES[c.role], c.expiry.what, c.state, c.expiresAt ?? '', c.daysLeft ?? '', STATUS_LABEL[c.status], BASIS[c.expiry.basis]])),
    );
  return (
    <section>
      <div className="page-header">
        <h1>Credentials</h1>
        <button type="button" disabled={rows.length === 0} onClick={() => exportCsv(rows)}>Export CSV</button>
      </div>
      <div className="filters">
        <input aria-label="Filter credentials" placeholder="Filter by connection or credential" value={q} onChange={(e) => setQ(e.target.value)} />
        <select aria-label="Expiry status" value={status} onChange={(e) => setStatus(e.target.value)}>
          <option value="">Any status</option>
          {Object.entries(STATUS_LABEL).map(([k, v]) => <option key={k} value={k}>{v}</option>)}
        </select>
      </div>
      {error && <ErrorBox error={error} />}
      {!data && !error && <div className="loading">Loading credentials…</div>}
      {data && data.credentials.length === 0 && <Empty title="No credentials yet">Credentials appear here when you add a connection.</Empty>}
      {data && data.credentials.length > 0 && rows.length === 0 && <div className="muted">No credentials match.</div>}
      {rows.length > 0 && (
        <div className="table-scroll">
          <table aria-label="Credential expiry">
            <thead><tr><th>Connection</th><th>Credential</th><th>State</th><th>Expires</th><th>Days left</th><th>Status</th><th>Date from</th></tr></thead>
            <tbody>
              {rows.map((c) => (
                <tr key={c.id}>
                  <td><a href="#/connections">{c.connectionName}</a><div className="muted">{c.kindName} · {ROLE_NAMES[c.role]}</div></td>
                  <td>{c.label}<div className="muted">{c.expiry.what}</div></td>
                  <td>{c.state === 'pending' ? 'New (not switched yet)' : 'In use'}</td>
                  <td className="nowrap">{c.expiresAt ? c.expiresAt.slice(0, 10) : '—'}</td>
                  <td>{c.daysLeft ?? '—'}</td>
                  <td><Pill status={c.status} label={STATUS_LABEL[c.status]} /></td>
                  <td className="muted">{c.expiresAt === null && c.expiry.basis === 'entered' ? 'no expiry date entered' : BASIS[c.expiry.basis]}{c.expiry.basis === 'age_policy' && (c.meta['createdAtKnown'] === true ? ', from the key\'s creation date' : ', counted from the day it was added (test it to read the creation date)')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
