import { useState } from 'react';
import { api, ApiError, type Connection, type Finding } from '../api.js';
import { useData } from '../components/useData.js';
import { Pill } from '../components/Pill.js';
import { Menu } from '../components/Menu.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { Empty } from '../components/Empty.js';
import { useToast } from '../components/Toasts.js';
import { daysUntil, relativeTime } from '../format.js';
import { ConnectionForm } from './ConnectionForm.js';

const KIND = { microsoft365: 'Microsoft 365', google_workspace: 'Google Workspace' } as const;
const ROLE = { continuity_source: 'Source', continuity_destination: 'Destination' } as const;
const ICON = { pass: '✓', fail: '✕', warning: '!', skipped: '–' } as const;

function Findings({ findings }: { findings: Finding[] }) {
  return (
    <ul className="findings">
      {findings.map((f) => (
        <li key={f.check} className={`finding finding-${f.status}`}>
          <span className="finding-icon" aria-label={f.status}>{ICON[f.status]}</span>
          <span>
            {f.label}
            {f.detail && <small> — {f.detail}</small>}
            {f.error && f.status !== 'pass' && <ErrorBox error={f.error} compact />}
          </span>
        </li>
      ))}
    </ul>
  );
}

function ConnectionCard({ c, onChanged, onEdit }: { c: Connection; onChanged: () => void; onEdit: () => void }) {
  const toast = useToast();
  const [testing, setTesting] = useState(false);
  const [findings, setFindings] = useState<Finding[] | null>(null);
  const cert = c.credential.certificate;
  const certDays = cert?.notAfter ? daysUntil(cert.notAfter) : null;

  async function test() {
    setTesting(true);
    try {
      const r = await api.testConnection(c.id);
      setFindings(r.findings);
      if (r.ok) toast('success', 'Connection test successful');
      else toast('error', 'Connection test failed');
      onChanged();
    } catch (e) {
      toast('error', e instanceof ApiError ? e.error.title : 'Connection test failed');
    } finally {
      setTesting(false);
    }
  }

  async function remove() {
    if (!window.confirm(`Delete the connection "${c.name}"? This cannot be undone.`)) return;
    try {
      await api.deleteConnection(c.id);
      toast('info', `Connection "${c.name}" deleted`);
      onChanged();
    } catch (e) {
      toast('error', e instanceof ApiError ? `${e.error.title}: ${e.error.message}` : 'Delete failed');
    }
  }

  return (
    <article className="card" aria-label={c.name}>
      <header className="card-header">
        <div>
          <div className="card-title">{c.name}</div>
          <div className="muted">{KIND[c.kind]} · {ROLE[c.role]}</div>
        </div>
        <div className="card-actions">
          <Pill status={testing ? 'testing' : c.status} label={testing ? 'Testing…' : undefined} />
          <Menu items={[{ label: 'Edit', onSelect: onEdit }, { label: 'Test connection', onSelect: () => void test() }, { label: 'Delete', onSelect: () => void remove(), danger: true }]} />
        </div>
      </header>
      <dl className="facts">
        {c.config.tenantId && (<><dt>Tenant ID</dt><dd><code>{c.config.tenantId}</code></dd></>)}
        {c.config.clientId && (<><dt>Client ID</dt><dd><code>{c.config.clientId}</code></dd></>)}
        {c.config.serviceAccountEmail && (<><dt>Service account</dt><dd>{c.config.serviceAccountEmail}</dd></>)}
        {c.config.adminEmail && (<><dt>Admin</dt><dd>{c.config.adminEmail}</dd></>)}
        {c.config.domain && (<><dt>Domain</dt><dd>{c.config.domain}</dd></>)}
        <dt>Credential</dt>
        <dd>
          {c.credential.type === 'certificate' && cert
            ? <>Certificate {cert.thumbprint.slice(0, 8)}… expires {cert.notAfter.slice(0, 10)}{' '}
                <span className={certDays !== null && certDays <= 30 ? 'warn-text' : 'muted'}>({certDays !== null && certDays < 0 ? 'expired' : `${certDays} days left`})</span></>
            : c.credential.type === 'client_secret' ? 'Client secret (stored encrypted)'
            : c.credential.type === 'impersonation' ? <>Keyless — grant Token Creator to <code>{c.credential.tokenProvider}</code></>
            : 'Service-account key (stored encrypted)'}
        </dd>
        <dt>Last tested</dt>
        <dd>{relativeTime(c.lastTestedAt)}</dd>
      </dl>
      {c.status === 'error' && c.lastError && !findings && <ErrorBox error={c.lastError} />}
      {findings && <Findings findings={findings} />}
    </article>
  );
}

export function ConnectionsPage() {
  const { data, error, reload } = useData(() => api.connections(), [], 15_000);
  const [editing, setEditing] = useState<Connection | null | 'new'>(null);
  const toast = useToast();
  return (
    <section>
      <div className="page-header">
        <h1>Connections</h1>
        <button type="button" className="primary" onClick={() => setEditing('new')}>Add connection</button>
      </div>
      {error && <ErrorBox error={error} />}
      {!data && !error && <div className="loading">Loading connections…</div>}
      {data && data.connections.length === 0 && (
        <Empty title="No connections yet">Add your Microsoft 365 source and Google Workspace destination, then use Test connection from each card's menu.</Empty>
      )}
      <div className="cards">
        {data?.connections.map((c) => <ConnectionCard key={c.id} c={c} onChanged={reload} onEdit={() => setEditing(c)} />)}
      </div>
      {editing && (
        <ConnectionForm
          existing={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={(c) => {
            setEditing(null);
            toast('success', `Connection "${c.name}" saved — use Test connection to check it`);
            reload();
          }}
        />
      )}
    </section>
  );
}
