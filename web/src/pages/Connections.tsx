import { Fragment, useState } from 'react';
import { ApiError } from '../api.js';
import { connApi, countdown, CONN_STATUS, ROLE_NAMES, scopeText, shortPermission, type ConnectionV, type Finding } from '../api-connections.js';
import { useData } from '../components/useData.js';
import { Pill } from '../components/Pill.js';
import { Menu } from '../components/Menu.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { Empty } from '../components/Empty.js';
import { Findings } from '../components/Findings.js';
import { useToast } from '../components/Toasts.js';
import { relativeTime } from '../format.js';
import { ConnectionForm } from './ConnectionForm.js';
import { RotateDialog } from './RotateDialog.js';
import { directoryApi, STATE_LABELS, type DirectoryStatusView } from '../directory-api.js';
import '../connections.css';

function download(url: string) {
  const a = document.createElement('a');
  a.href = url;
  a.download = '';
  a.click();
}

function ConnectionCard({ c, dir, onChanged, onEdit, onRotate }: { c: ConnectionV; dir: DirectoryStatusView | undefined; onChanged: () => void; onEdit: () => void; onRotate: () => void }) {
  const toast = useToast();
  const [testing, setTesting] = useState(false);
  const [findings, setFindings] = useState<Finding[] | null>(null);
  const [showLast, setShowLast] = useState(false);
  const pending = c.credentials.find((x) => x.state === 'pending');
  const expiry = countdown(c.credential);
  const soon = c.daysLeft !== null && c.daysLeft <= 30;

  async function test() {
    setTesting(true);
    try {
      const r = await connApi.test(c.id);
      setFindings(r.findings);
      if (r.ok) toast('success', r.resolvedIncident ? `Connection test successful — incident resolved, ${r.requeuedUsers} blocked user(s) syncing now` : 'Connection test successful');
      else toast('error', 'Connection test failed');
      onChanged();
    } catch (e) {
      toast('error', e instanceof ApiError ? e.error.title : 'Connection test failed');
    } finally {
      setTesting(false);
    }
  }

  async function remove() {
    if (!window.confirm(`Delete the connection "${c.name}" and its credentials? This cannot be undone.`)) return;
    try {
      await connApi.remove(c.id);
      toast('info', `Connection "${c.name}" deleted`);
      onChanged();
    } catch (e) {
      toast('error', e instanceof ApiError ? `${e.error.title}: ${e.error.message}` : 'Delete failed');
    }
  }

  const shown = findings ?? (showLast ? c.findings : null);
  return (
    <article className="card" aria-label={c.name}>
      <header className="card-header">
        <div>
          <div className="card-title">{c.name}</div>
          <div className="muted">{c.kindName} · {ROLE_NAMES[c.role]}</div>
        </div>
        <div className="card-actions">
          <Pill status={testing ? 'testing' : c.status === 'expiring' ? 'expiring_soon' : c.status} label={testing ? 'Testing…' : CONN_STATUS[c.status]} />
          <Menu
            items={[
              { label: 'Edit', onSelect: onEdit },
              { label: 'Test connection', onSelect: () => void test() },
              { label: 'Rotate credential', onSelect: onRotate },
              { label: 'Download support bundle', onSelect: () => download(connApi.bundleUrl(c.id)) },
              { label: 'Delete', onSelect: () => void remove(), danger: true },
            ]}
          />
        </div>
      </header>
      {c.incident && (
        <a className="incident-banner" href="#/incidents">
          Incident since {relativeTime(c.incident.since)}: {c.incident.title} — users behind this connection are blocked
        </a>
      )}
      {expiry && <div className={`countdown${soon ? ' warn-text' : ''}`} data-testid="countdown">{expiry}</div>}
      <dl className="facts">
        {c.summary.map((s) => (<Fragment key={s.label}><dt>{s.label}</dt><dd>{s.label.endsWith('ID') ? <code>{s.value}</code> : s.value}</dd></Fragment>))}
        <dt>Credential</dt>
        <dd>{c.credential ? `${c.credential.label} — ${c.credential.expiry.what}` : 'none'}</dd>
        <dt>Access</dt>
        <dd data-testid="access">{c.writeBack.enabled ? <span className="warn-text">Write-back consented by {c.writeBack.consentedBy} (adds {c.writeBack.permissions.map(shortPermission).join(', ')})</span> : 'Read-only'}{' '}
          {c.adminConsentUrl && <a href={c.adminConsentUrl} target="_blank" rel="noreferrer">{c.writeBack.enabled ? 'Grant admin consent (with write-back)' : 'Grant admin consent'}</a>}
        </dd>
        {c.scope && (
          <>
            <dt>Scope</dt>
            <dd data-testid="scope">{scopeText(c.scope)}{c.scopeExcluded && <span className="muted"> · last full read left out {c.scopeExcluded.guests} guests, {c.scopeExcluded.external} external, {c.scopeExcluded.disabled} disabled</span>}</dd>
          </>
        )}
        {dir && (
          <>
            <dt>Directory sync</dt>
            {/* The inventory's state on the connection itself: "Throttled, resumes at …" included. */}
            <dd data-testid="directory-sync">
              <a href="#/directory">{STATE_LABELS[dir.state]}</a>
              {dir.message && dir.message !== STATE_LABELS[dir.state] && <span className={dir.state === 'failed' || dir.state === 'throttled' ? 'warn-text' : 'muted'}> · {dir.message}</span>}
            </dd>
          </>
        )}
        <dt>Permissions</dt>
        <dd className="muted">{[...c.permissions.read, ...(c.writeBack.enabled ? c.permissions.writeBack : [])].map(shortPermission).join(', ')}</dd>
        <dt>Last tested</dt>
        <dd>{relativeTime(c.lastTestedAt)}{c.findings && !findings && <> · <button type="button" className="link" onClick={() => setShowLast((s) => !s)}>{showLast ? 'hide results' : 'show results'}</button></>}</dd>
      </dl>
      {pending && (
        <div className="rotation-note">
          Rotation in progress: new {pending.label.toLowerCase()} added{pending.lastTestOk === null ? '' : pending.lastTestOk ? ', test passed' : ', test failed'}.{' '}
          <button type="button" className="link" onClick={onRotate}>Continue</button>
        </div>
      )}
      {c.status === 'error' && c.lastError && !shown && <ErrorBox error={c.lastError} />}
      {shown && <Findings findings={shown} />}
    </article>
  );
}

export function ConnectionsPage() {
  const { data, error, reload } = useData(() => connApi.list(), [], 15_000);
  const directory = useData(() => directoryApi.statuses(), [], 15_000);
  const dirById = new Map((directory.data ?? []).map((d) => [d.connectionId, d]));
  const [editing, setEditing] = useState<ConnectionV | null | 'new'>(null);
  const [rotating, setRotating] = useState<ConnectionV | null>(null);
  const toast = useToast();

  function afterSave(c: ConnectionV) {
    setEditing(null);
    toast('info', `Connection "${c.name}" saved — testing it now`);
    reload();
    // The doctor runs on save in the background; show its result when it lands.
    let tries = 0;
    const poll = setInterval(() => {
      tries += 1;
      void connApi.get(c.id).then((fresh) => {
        if (fresh.lastTestedAt !== c.lastTestedAt || tries > 40) {
          clearInterval(poll);
          reload();
          if (fresh.lastTestedAt !== c.lastTestedAt) toast(fresh.status === 'error' ? 'error' : 'success', fresh.status === 'error' ? `Connection test failed: "${c.name}"` : `Connection test successful: "${c.name}"`);
        }
      }).catch(() => clearInterval(poll));
    }, 1500);
  }

  return (
    <section>
      <div className="page-header">
        <h1>Connections</h1>
        <button type="button" className="primary" onClick={() => setEditing('new')}>Add connection</button>
      </div>
      {error && <ErrorBox error={error} />}
      {!data && !error && <div className="loading">Loading connections…</div>}
      {data && data.connections.length === 0 && (
        <Empty title="No connections yet">Add your Microsoft 365 source and Google Workspace destination for continuity, and the directories to certify (Entra ID, Google Workspace, AWS IAM, SCIM apps); each is tested as soon as you save it.</Empty>
      )}
      <div className="cards">
        {data?.connections.map((c) => <ConnectionCard key={c.id} c={c} dir={dirById.get(c.id)} onChanged={reload} onEdit={() => setEditing(c)} onRotate={() => setRotating(c)} />)}
      </div>
      {editing && <ConnectionForm existing={editing === 'new' ? null : editing} onClose={() => setEditing(null)} onSaved={afterSave} />}
      {rotating && (
        <RotateDialog
          connection={rotating}
          onClose={() => {
            setRotating(null);
            reload();
          }}
          onChanged={(m) => {
            toast('info', m);
            reload();
          }}
        />
      )}
    </section>
  );
}
