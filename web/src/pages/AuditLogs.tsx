import { formatTime } from '../format.js';
import { useEffect, useState } from 'react';
import { api, ApiError, type AuditEvent, type RenderedError } from '../api.js';
import { Pill } from '../components/Pill.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { Empty } from '../components/Empty.js';
import { auditExportUrl } from '../audit-api.js';
import { AuditIntegrityPanel } from './AuditIntegrity.js';
import '../directory.css';
import '../audit.css';

export function AuditLogsPage() {
  const [severity, setSeverity] = useState('');
  const [action, setAction] = useState('');
  const [events, setEvents] = useState<AuditEvent[] | null>(null);
  const [more, setMore] = useState<string | null>(null);
  const [error, setError] = useState<RenderedError | null>(null);
  const load = async (cursor?: string) => {
    try {
      const r = await api.audit({ severity, action, ...(cursor ? { cursor } : {}) });
      setEvents((prev) => (cursor && prev ? [...prev, ...r.events] : r.events));
      setMore(r.nextCursor);
      setError(null);
    } catch (e) {
      setError(e instanceof ApiError ? e.error : { code: 'network', title: 'Cannot load the audit log', message: String(e), resolution: 'Reload the page.' });
    }
  };
  useEffect(() => {
    void load();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [severity, action]);
  return (
    <section>
      <div className="page-header">
        <h1>Audit logs</h1>
        <div className="actions">
          {/* Server-side exports: every matching entry (not only the loaded page), hashes and signatures included. */}
          <a className={`button-link${events?.length ? '' : ' disabled'}`} href={auditExportUrl('csv', { severity, action })} download aria-disabled={!events?.length}>Export CSV</a>
          <a className={`button-link${events?.length ? '' : ' disabled'}`} href={auditExportUrl('jsonl', { severity, action })} download aria-disabled={!events?.length}>Export JSON Lines</a>
        </div>
      </div>
      <AuditIntegrityPanel onChecked={() => void load()} />
      <div className="filters">
        <label>Severity
          <select value={severity} onChange={(e) => setSeverity(e.target.value)}>
            <option value="">All</option><option value="info">Info</option><option value="warning">Warning</option><option value="error">Error</option>
          </select>
        </label>
        <label>Action<input type="search" value={action} placeholder="e.g. connection." onChange={(e) => setAction(e.target.value)} /></label>
      </div>
      {error && <ErrorBox error={error} />}
      {events && events.length === 0 && <Empty title="No events match">Connection tests, policy changes, provisioning and sync failures are recorded here.</Empty>}
      {events && events.length > 0 && (
        <div className="table-scroll">
          <table aria-label="Audit events">
            <thead><tr><th>Time</th><th>Severity</th><th>Action</th><th>Actor</th><th>Target</th><th>Message</th><th>Code</th></tr></thead>
            <tbody>
              {events.map((e) => (
                <tr key={e.id}>
                  <td className="nowrap">{formatTime(e.at)}</td>
                  <td><Pill status={e.severity} /></td>
                  <td className="wrap-anywhere code action"><code>{e.action}</code></td>
                  <td className="actor">{e.actor}</td>
                  <td className="wrap-anywhere">{e.targetName ?? ''}</td>
                  <td className="wrap-anywhere message">{e.message}</td>
                  <td className="wrap-anywhere code">{e.code && <code>{e.code}</code>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {more && events && <button type="button" className="load-more" onClick={() => void load(more)}>Load more</button>}
    </section>
  );
}
