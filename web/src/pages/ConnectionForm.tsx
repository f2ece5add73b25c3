import { useEffect, useState } from 'react';
import { ApiError, type RenderedError } from '../api.js';
import { connApi, KIND_NAMES, ROLE_NAMES, shortPermission, type ConnectionV, type Kind, type KindDescription, type Role, type Scope } from '../api-connections.js';
import { Dialog } from '../components/Dialog.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { CredentialFields, METHODS, credentialBody, type CredentialDraft } from '../components/CredentialFields.js';

/** Roles per kind, until the registry (GET /connection-kinds) answers. */
const ROLES: Record<Kind, Role[]> = {
  microsoft365: ['continuity_source', 'directory'],
  google_workspace: ['continuity_destination', 'directory'],
  aws_iam: ['directory'],
  scim: ['directory'],
};

interface Field { key: string; label: string; placeholder: string; roles?: Role[]; list?: boolean; optional?: boolean }

const FIELDS: Record<Kind, Field[]> = {
  microsoft365: [
    { key: 'tenantId', label: 'Directory (tenant) ID', placeholder: '00000000-0000-0000-0000-000000000000' },
    { key: 'clientId', label: 'Application (client) ID', placeholder: '00000000-0000-0000-0000-000000000000' },
  ],
  google_workspace: [
    { key: 'serviceAccountEmail', label: 'Service account email', placeholder: 'sync@project.iam.gserviceaccount.com' },
    { key: 'adminEmail', label: 'Admin email', placeholder: 'admin@example.com' },
    { key: 'domain', label: 'Primary domain', placeholder: 'example.com' },
    { key: 'domains', label: 'Other verified domains (comma-separated)', placeholder: 'example.org, example.net', roles: ['directory'], list: true, optional: true },
  ],
  aws_iam: [
    { key: 'accountId', label: 'AWS account ID', placeholder: '123456789012' },
    { key: 'region', label: 'Region', placeholder: 'us-east-1', optional: true },
  ],
  scim: [{ key: 'baseUrl', label: 'SCIM base URL', placeholder: 'https://app.example.com/scim/v2' }],
};

const SCOPE_SWITCHES: { key: keyof Scope; label: string }[] = [
  { key: 'includeGuests', label: 'Include guests' },
  { key: 'includeExternal', label: 'Include external identities' },
  { key: 'includeDisabled', label: 'Include disabled accounts' },
];

const NO_SCOPE: Scope = { includeGuests: false, includeExternal: false, includeDisabled: false };

function initialConfig(existing: ConnectionV | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(existing?.config ?? {})) {
    if (typeof v === 'string') out[k] = v;
    else if (Array.isArray(v)) out[k] = v.join(', ');
  }
  return out;
}

/**
 * Add or edit a connection: kind → role → sign-in method, with the fields each needs. A
 * directory connection is read-only unless write-back is consented here (its own switch, with
 * the permissions it adds and, for Entra ID, the admin-consent link), and reads members only
 * unless its scope switches say otherwise. Secrets are write-only: on edit, leaving the
 * credential empty keeps it, and a part given (a new external ID) keeps the rest; the overlap
 * flow is "Rotate credential" on the card.
 */
export function ConnectionForm({ existing, onClose, onSaved }: { existing: ConnectionV | null; onClose: () => void; onSaved: (c: ConnectionV) => void }) {
  const editing = existing !== null;
  const [kinds, setKinds] = useState<KindDescription[] | null>(null);
  const [kind, setKind] = useState<Kind>(existing?.kind ?? 'microsoft365');
  const [role, setRole] = useState<Role>(existing?.role ?? 'continuity_source');
  const [name, setName] = useState(existing?.name ?? '');
  const [config, setConfig] = useState<Record<string, string>>(() => initialConfig(existing));
  const [scope, setScope] = useState<Scope>(existing?.scope ?? NO_SCOPE);
  const [draft, setDraft] = useState<CredentialDraft>({ type: existing?.credential?.type ?? METHODS[kind][0]!.value });
  const [writeBack, setWriteBack] = useState(existing?.writeBack.enabled ?? false);
  const [error, setError] = useState<RenderedError | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    connApi.kinds().then((r) => setKinds(r.kinds), () => setKinds(null));
  }, []);

  const described = kinds?.find((k) => k.kind === kind) ?? null;
  const roles = described ? described.roles.filter((r) => r.available).map((r) => r.role) : ROLES[kind];
  const roleInfo = described?.roles.find((r) => r.role === role) ?? null;
  const directory = role === 'directory';

  function chooseKind(k: Kind) {
    setKind(k);
    setRole(kinds?.find((d) => d.kind === k)?.defaultRole ?? ROLES[k][0]!);
    setDraft({ type: METHODS[k][0]!.value });
    setConfig({});
    setScope(NO_SCOPE);
    setWriteBack(false);
  }

  /** Required fields left empty, in plain words beside each field (before anything is sent). */
  function missing(): Record<string, string> {
    const out: Record<string, string> = {};
    if (!name.trim()) out['name'] = 'Give the connection a name, e.g. its tenant or domain.';
    if (!editing) {
      for (const f of FIELDS[kind]) {
        if (f.optional || (f.roles && !f.roles.includes(role))) continue;
        if (!(config[f.key] ?? '').trim()) out[f.key] = `Enter the ${f.label.charAt(0).toLowerCase()}${f.label.slice(1)}.`;
      }
    }
    return out;
  }

  /** A server-side refusal of named fields ("config.tenantId: …"), beside those fields. */
  function serverFieldErrors(e: RenderedError): Record<string, string> {
    const out: Record<string, string> = {};
    if (e.code !== 'request.invalid') return out;
    const detail = e.message.replace(/^The request was rejected: /, '').replace(/\.$/, '');
    for (const part of detail.split('; ')) {
      const path = part.slice(0, part.indexOf(':'));
      const key = path.replace(/^config\./, '');
      const field = FIELDS[kind].find((f) => f.key === key);
      if (path === 'name') out['name'] = 'This name is not accepted.';
      else if (field) out[field.key] = `Not in the expected form${field.placeholder ? `, e.g. ${field.placeholder}` : ''}.`;
      else if (path.startsWith('credential')) out['credential'] = 'The credential is incomplete or not in the expected form: check each of its fields.';
    }
    return out;
  }

  async function save() {
    const empty = missing();
    setFieldErrors(empty);
    if (Object.keys(empty).length) return;
    setSaving(true);
    setError(null);
    try {
      const cfg: Record<string, unknown> = {};
      for (const f of FIELDS[kind]) {
        if (f.roles && !f.roles.includes(role)) continue;
        const v = config[f.key];
        if (f.list) {
          if (v !== undefined) cfg[f.key] = v.split(',').map((x) => x.trim()).filter(Boolean);
        } else if (v) cfg[f.key] = v;
      }
      if (directory) cfg['scope'] = scope;
      let saved: ConnectionV;
      if (editing) {
        const credential = credentialBody(draft, true);
        const changed = credential && (credential['type'] !== existing.credential?.type || Object.keys(credential).length > 1);
        saved = await connApi.edit(existing.id, { name, config: cfg, ...(changed ? { credential } : {}) });
        if (writeBack !== existing.writeBack.enabled) saved = await connApi.writeBack(existing.id, writeBack);
      } else {
        const credential = credentialBody(draft);
        saved = await connApi.create({ kind, role, name, config: cfg, credential: credential ?? { type: draft['type'] } });
        // Write-back is its own consent, recorded (and audited) on its own.
        if (directory && writeBack) saved = await connApi.writeBack(saved.id, true);
      }
      onSaved(saved);
    } catch (e) {
      const err = e instanceof ApiError ? e.error : { code: 'network', title: 'Save failed', message: String(e), resolution: 'Try again.' };
      const byField = serverFieldErrors(err);
      if (Object.keys(byField).length) setFieldErrors(byField);
      else setError(err);
    } finally {
      setSaving(false);
    }
  }

  const writeBackPermissions = roleInfo?.writeBackPermissions ?? existing?.writeBack.permissions ?? [];
  const consentUrl = existing?.writeBack.adminConsentUrl ?? null;
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
              {roles.map((r) => <option key={r} value={r}>{ROLE_NAMES[r]}</option>)}
            </select>
          </label>
        </div>
      )}
      <label className={fieldErrors['name'] ? 'invalid' : undefined}>
        <span>Name <Required /></span>
        <input aria-label="Name" aria-required="true" aria-invalid={!!fieldErrors['name']} value={name} onChange={(e) => setName(e.target.value)} placeholder={`Contoso ${KIND_NAMES[kind]}`} />
        {fieldErrors['name'] && <small className="field-error" role="alert">{fieldErrors['name']}</small>}
      </label>
      {FIELDS[kind].filter((f) => !f.roles || f.roles.includes(role)).map((f) => (
        <label key={f.key} className={fieldErrors[f.key] ? 'invalid' : undefined}>
          <span>{f.label} {f.optional ? <small className="muted">(optional)</small> : <Required />}</span>
          <input aria-label={f.label} aria-required={!f.optional} aria-invalid={!!fieldErrors[f.key]} value={config[f.key] ?? ''} onChange={(e) => setConfig({ ...config, [f.key]: e.target.value })} placeholder={f.placeholder} />
          {fieldErrors[f.key] && <small className="field-error" role="alert">{fieldErrors[f.key]}</small>}
        </label>
      ))}
      {fieldErrors['credential'] && <small className="field-error" role="alert">{fieldErrors['credential']}</small>}
      <CredentialFields kind={kind} draft={draft} onChange={setDraft} hint={editing ? 'Leave blank to keep the current credential' : undefined} />
      {roleInfo && roleInfo.readPermissions.length > 0 && (
        <small className="muted" data-testid="read-permissions">Reads with: {roleInfo.readPermissions.map(shortPermission).join(', ')}</small>
      )}
      {directory && (
        <fieldset className="scope" aria-label="Scope">
          <legend>Scope — accounts left out unless switched on</legend>
          {SCOPE_SWITCHES.map((s) => (
            <label key={s.key} className="check">
              <input type="checkbox" aria-label={s.label} checked={scope[s.key]} onChange={(e) => setScope({ ...scope, [s.key]: e.target.checked })} />
              <span>{s.label}</span>
            </label>
          ))}
        </fieldset>
      )}
      {directory && writeBackPermissions.length > 0 && (
        <div className="write-back">
          <label className="check">
            <input type="checkbox" aria-label="Write-back" checked={writeBack} onChange={(e) => setWriteBack(e.target.checked)} />
            <span>
              Write-back: allow Syncwarden to change the directory (revoke access after a certification). A separate consent, audited; it
              adds {writeBackPermissions.map(shortPermission).join(', ')}.
            </span>
          </label>
          {writeBack && (roleInfo?.writeBackHowTo ?? existing?.writeBack.howTo) && <small>{roleInfo?.writeBackHowTo ?? existing?.writeBack.howTo}</small>}
          {writeBack && roleInfo?.hasConsentLink && (consentUrl
            ? <a href={consentUrl} target="_blank" rel="noreferrer">Grant admin consent for write-back</a>
            : <small>The admin-consent link appears on the connection card once it is saved.</small>)}
        </div>
      )}
      <small>{directory ? 'Read-only unless write-back is consented. ' : 'Read-only by default. '}The connection is tested as soon as it is saved.</small>
      {error && <ErrorBox error={error} />}
    </Dialog>
  );
}

/** The mark of a field that must be filled in. */
function Required() {
  return <span className="required" title="Required">*<span className="visually-hidden"> (required)</span></span>;
}
