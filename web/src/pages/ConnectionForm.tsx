import { useState } from 'react';
import { ApiError, type RenderedError } from '../api.js';
import { connApi, KIND_NAMES, ROLE_NAMES, type ConnectionV, type Kind, type Role } from '../api-connections.js';
import { Dialog } from '../components/Dialog.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { CredentialFields, METHODS, credentialBody, type CredentialDraft } from '../components/CredentialFields.js';

const ROLES: Record<Kind, Role[]> = {
  microsoft365: ['continuity_source', 'directory'],
  google_workspace: ['continuity_destination', 'directory'],
  aws_iam: ['directory'],
  scim: ['directory'],
};

const FIELDS: Record<Kind, { key: string; label: string; placeholder: string }[]> = {
  microsoft365: [
    { key: 'tenantId', label: 'Directory (tenant) ID', placeholder: '00000000-0000-0000-0000-000000000000' },
    { key: 'clientId', label: 'Application (client) ID', placeholder: '00000000-0000-0000-0000-000000000000' },
  ],
  google_workspace: [
    { key: 'serviceAccountEmail', label: 'Service account email', placeholder: 'sync@project.iam.gserviceaccount.com' },
    { key: 'adminEmail', label: 'Admin email', placeholder: 'admin@example.com' },
    { key: 'domain', label: 'Primary domain', placeholder: 'example.com' },
  ],
  aws_iam: [
    { key: 'accountId', label: 'AWS account ID', placeholder: '123456789012' },
    { key: 'region', label: 'Region', placeholder: 'us-east-1' },
  ],
  scim: [{ key: 'baseUrl', label: 'SCIM base URL', placeholder: 'https://app.example.com/scim/v2' }],
};

/**
 * Add or edit a connection. Secrets are write-only: on edit, leaving the credential empty keeps
 * it; replacing it here swaps at once — the overlap flow is "Rotate credential" on the card.
 */
export function ConnectionForm({ existing, onClose, onSaved }: { existing: ConnectionV | null; onClose: () => void; onSaved: (c: ConnectionV) => void }) {
  const editing = existing !== null;
  const [kind, setKind] = useState<Kind>(existing?.kind ?? 'microsoft365');
  const [role, setRole] = useState<Role>(existing?.role ?? 'continuity_source');
  const [name, setName] = useState(existing?.name ?? '');
  const [config, setConfig] = useState<Record<string, string>>(() => Object.fromEntries(Object.entries(existing?.config ?? {}).filter(([, v]) => typeof v === 'string')) as Record<string, string>);
  const [draft, setDraft] = useState<CredentialDraft>({ type: existing?.credential?.type ?? METHODS[kind][0]!.value });
  const [writeBack, setWriteBack] = useState(existing?.writeBack.enabled ?? false);
  const [error, setError] = useState<RenderedError | null>(null);
  const [saving, setSaving] = useState(false);

  function chooseKind(k: Kind) {
    setKind(k);
    setRole(ROLES[k][0]!);
    setDraft({ type: METHODS[k][0]!.value });
    setConfig({});
  }

  async function save() {
    setSaving(true);
    setError(null);
    try {
      const cfg: Record<string, unknown> = {};
      for (const f of FIELDS[kind]) if (config[f.key]) cfg[f.key] = config[f.key];
      const credential = credentialBody(draft);
      let saved: ConnectionV;
      if (editing) {
        const changed = credential && (credential['type'] !== existing.credential?.type || Object.keys(credential).length > 1);
        saved = await connApi.edit(existing.id, { name, config: cfg, ...(changed ? { credential } : {}) });
        if (writeBack !== existing.writeBack.enabled) saved = await connApi.writeBack(existing.id, writeBack);
      } else {
        saved = await connApi.create({ kind, role, name, config: cfg, credential: credential ?? { type: draft['type'] } });
      }
      onSaved(saved);
    } catch (e) {
      setError(e instanceof ApiError ? e.error : { code: 'network', title: 'Save failed', message: String(e), resolution: 'Try again.' });
    } finally {
      setSaving(false);
    }
  }

  return (
    <Dialog
      title={editing ? `Edit ${existing.name}` : 'Add connection'}
      onClose={onClose}
      footer={
        <>
          <button type="button" onClick={onClose}>Cancel</button>
          <button type="button" className="primary" disabled={saving} onClick={() => void save()}>{saving ? 'Saving…' : 'Save'}</button>
        </>
      }
    >
      {!editing && (
        <div className="row">
          <label>
            <span>Type</span>
            <select aria-label="Type" value={kind} onChange={(e) => chooseKind(e.target.value as Kind)}>
              {(Object.keys(KIND_NAMES) as Kind[]).map((k) => <option key={k} value={k}>{KIND_NAMES[k]}</option>)}
            </select>
          </label>
          <label>
            <span>Role</span>
            <select aria-label="Role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
              {ROLES[kind].map((r) => <option key={r} value={r}>{ROLE_NAMES[r]}</option>)}
            </select>
          </label>
        </div>
      )}
      <label><span>Name</span><input aria-label="Name" value={name} onChange={(e) => setName(e.target.value)} placeholder={`Contoso ${KIND_NAMES[kind]}`} /></label>
      {FIELDS[kind].map((f) => (
        <label key={f.key}><span>{f.label}</span><input aria-label={f.label} value={config[f.key] ?? ''} onChange={(e) => setConfig({ ...config, [f.key]: e.target.value })} placeholder={f.placeholder} /></label>
      ))}
      <CredentialFields kind={kind} draft={draft} onChange={setDraft} hint={editing ? 'Leave blank to keep the current credential' : undefined} />
      {editing && existing.role === 'directory' && (
        <label className="check">
          <input type="checkbox" checked={writeBack} onChange={(e) => setWriteBack(e.target.checked)} />
          <span>Write-back: allow Syncwarden to change the directory (revoke access after a certification). Needs {existing.permissions.writeBack.join(', ')}.</span>
        </label>
      )}
      <small>Read-only by default. The connection is tested as soon as it is saved.</small>
      {error && <ErrorBox error={error} />}
    </Dialog>
  );
}
