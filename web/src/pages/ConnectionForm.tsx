import { useState } from 'react';
import { api, ApiError, type Connection, type RenderedError } from '../api.js';
import { Dialog } from '../components/Dialog.js';
import { ErrorBox } from '../components/ErrorBox.js';

type Kind = 'microsoft365' | 'google_workspace';

async function fileToBase64(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** Add or edit a connection. Secrets are write-only: blank keeps the stored one. */
export function ConnectionForm({ existing, onClose, onSaved }: { existing: Connection | null; onClose: () => void; onSaved: (c: Connection) => void }) {
  const [kind, setKind] = useState<Kind>(existing?.kind ?? 'microsoft365');
  const [name, setName] = useState(existing?.name ?? '');
  const [tenantId, setTenantId] = useState(existing?.config.tenantId ?? '');
  const [clientId, setClientId] = useState(existing?.config.clientId ?? '');
  const [credType, setCredType] = useState(existing?.credential.type ?? (kind === 'microsoft365' ? 'certificate' : 'impersonation'));
  const [pfx, setPfx] = useState<File | null>(null);
  const [pfxPassword, setPfxPassword] = useState('');
  const [clientSecret, setClientSecret] = useState('');
  const [saEmail, setSaEmail] = useState(existing?.config.serviceAccountEmail ?? '');
  const [adminEmail, setAdminEmail] = useState(existing?.config.adminEmail ?? '');
  const [domain, setDomain] = useState(existing?.config.domain ?? '');
  const [keyJson, setKeyJson] = useState('');
  const [error, setError] = useState<RenderedError | null>(null);
  const [saving, setSaving] = useState(false);
  const editing = existing !== null;
  const keepHint = editing ? 'Leave blank to keep the current credential' : undefined;

  async function save() {
    setSaving(true);
    setError(null);
    try {
      const config = kind === 'microsoft365' ? { tenantId, clientId } : { serviceAccountEmail: saEmail, adminEmail, domain };
      let credential: Record<string, string> | undefined;
      if (kind === 'microsoft365' && credType === 'certificate' && pfx) credential = { type: 'certificate', pfxBase64: await fileToBase64(pfx), pfxPassword };
      if (kind === 'microsoft365' && credType === 'client_secret' && clientSecret) credential = { type: 'client_secret', clientSecret };
      if (kind === 'google_workspace' && credType === 'impersonation') credential = { type: 'impersonation' };
      if (kind === 'google_workspace' && credType === 'service_account_key' && keyJson) credential = { type: 'service_account_key', keyJson };
      const saved = editing
        ? await api.editConnection(existing.id, { name, config, ...(credential && (credential['type'] !== existing.credential.type || Object.keys(credential).length > 1) ? { credential } : {}) })
        : await api.createConnection({ kind, name, config, credential: credential ?? { type: credType } });
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
        <label>
          Type
          <select value={kind} onChange={(e) => { const k = e.target.value as Kind; setKind(k); setCredType(k === 'microsoft365' ? 'certificate' : 'impersonation'); }}>
            <option value="microsoft365">Microsoft 365 (source)</option>
            <option value="google_workspace">Google Workspace (destination)</option>
          </select>
        </label>
      )}
      <label>Name<input value={name} onChange={(e) => setName(e.target.value)} placeholder={kind === 'microsoft365' ? 'Contoso Microsoft 365' : 'Standby Google Workspace'} /></label>
      {kind === 'microsoft365' ? (
        <>
          <label>Directory (tenant) ID<input value={tenantId} onChange={(e) => setTenantId(e.target.value)} placeholder="00000000-0000-0000-0000-000000000000" /></label>
          <label>Application (client) ID<input value={clientId} onChange={(e) => setClientId(e.target.value)} placeholder="00000000-0000-0000-0000-000000000000" /></label>
          <label>
            Credential
            <select value={credType} onChange={(e) => setCredType(e.target.value)}>
              <option value="certificate">Certificate (PFX)</option>
              <option value="client_secret">Client secret</option>
            </select>
          </label>
          {credType === 'certificate' ? (
            <>
              <label>PFX file<input type="file" accept=".pfx,.p12" onChange={(e) => setPfx(e.target.files?.[0] ?? null)} />{keepHint && <small>{keepHint}</small>}</label>
              <label>PFX password<input type="password" autoComplete="off" value={pfxPassword} onChange={(e) => setPfxPassword(e.target.value)} /></label>
            </>
          ) : (
            <label>Client secret value<input type="password" autoComplete="off" value={clientSecret} onChange={(e) => setClientSecret(e.target.value)} placeholder={keepHint ?? 'The Value column, not the Secret ID'} /></label>
          )}
        </>
      ) : (
        <>
          <label>Service account email<input value={saEmail} onChange={(e) => setSaEmail(e.target.value)} placeholder="sync@project.iam.gserviceaccount.com" /></label>
          <label>Admin email<input value={adminEmail} onChange={(e) => setAdminEmail(e.target.value)} placeholder="admin@example.com" /></label>
          <label>Primary domain<input value={domain} onChange={(e) => setDomain(e.target.value)} placeholder="example.com" /></label>
          <label>
            Credential
            <select value={credType} onChange={(e) => setCredType(e.target.value)}>
              <option value="impersonation">Keyless (Token Creator role)</option>
              <option value="service_account_key">Service-account key (JSON)</option>
            </select>
          </label>
          {credType === 'service_account_key' && <label>Key JSON<textarea rows={5} value={keyJson} onChange={(e) => setKeyJson(e.target.value)} placeholder={keepHint ?? '{ "type": "service_account", … }'} /></label>}
        </>
      )}
      {error && <ErrorBox error={error} />}
    </Dialog>
  );
}
