import type { Kind } from '../api-connections.js';

/** The credential methods of each connection kind, and the fields each needs. Secrets are write-only. */
export const METHODS: Record<Kind, { value: string; label: string }[]> = {
  microsoft365: [{ value: 'certificate', label: 'Certificate (PFX + password)' }, { value: 'client_secret', label: 'Client secret' }],
  google_workspace: [{ value: 'impersonation', label: 'Keyless (Token Creator role)' }, { value: 'service_account_key', label: 'Service-account key (JSON)' }],
  aws_iam: [{ value: 'access_key', label: 'Access key' }, { value: 'assume_role', label: 'Assume role with external ID' }],
  scim: [{ value: 'bearer_token', label: 'Bearer token' }],
};

export type CredentialDraft = Record<string, string | number | undefined>;

async function fileToBase64(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/**
 * The credential input the API expects, or null when the required fields are still empty.
 * `partial` (editing the credential in use): any field given is enough — the server keeps the
 * rest of the same method (change an external id without pasting the secret again).
 */
export function credentialBody(d: CredentialDraft, partial = false): Record<string, unknown> | null {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(d)) if (v !== undefined && v !== '') out[k] = v;
  const need: Record<string, string[]> = {
    certificate: ['pfxBase64'], client_secret: ['clientSecret'], impersonation: [], service_account_key: ['keyJson'],
    access_key: ['accessKeyId', 'secretAccessKey'], assume_role: ['accessKeyId', 'secretAccessKey', 'roleArn', 'externalId'], bearer_token: ['token'],
  };
  const type = String(d['type'] ?? '');
  if (!(type in need)) return null;
  if (partial ? Object.keys(out).length <= 1 && need[type]!.length > 0 : need[type]!.some((k) => !out[k])) return null;
  if (typeof out['maxAgeDays'] === 'string') out['maxAgeDays'] = Number(out['maxAgeDays']);
  if (type === 'certificate' && out['pfxPassword'] === undefined && out['pfxBase64'] !== undefined) out['pfxPassword'] = '';
  return out;
}

export function CredentialFields({ kind, draft, onChange, hint }: { kind: Kind; draft: CredentialDraft; onChange: (d: CredentialDraft) => void; hint?: string | undefined }) {
  const set = (k: string, v: string | number | undefined) => onChange({ ...draft, [k]: v });
  const type = String(draft['type'] ?? METHODS[kind][0]!.value);
  return (
    <>
      <label>
        <span>Credential</span>
        <select aria-label="Credential method" value={type} onChange={(e) => onChange({ type: e.target.value })}>
          {METHODS[kind].map((m) => <option key={m.value} value={m.value}>{m.label}</option>)}
        </select>
      </label>
      {type === 'certificate' && (
        <>
          <label><span>PFX file</span><input type="file" accept=".pfx,.p12" aria-label="PFX file" onChange={(e) => { const f = e.target.files?.[0]; if (f) void fileToBase64(f).then((b) => set('pfxBase64', b)); }} />{hint && <small>{hint}</small>}</label>
          <label><span>PFX password</span><input type="password" autoComplete="off" aria-label="PFX password" value={String(draft['pfxPassword'] ?? '')} onChange={(e) => set('pfxPassword', e.target.value)} /></label>
        </>
      )}
      {type === 'client_secret' && (
        <>
          <label><span>Client secret value</span><input type="password" autoComplete="off" aria-label="Client secret value" value={String(draft['clientSecret'] ?? '')} onChange={(e) => set('clientSecret', e.target.value)} placeholder={hint ?? 'The Value column, not the Secret ID'} /></label>
          <label><span>Expires (the secret&apos;s &quot;Expires&quot; column in Entra ID)</span><input type="date" aria-label="Secret expires" value={String(draft['expiresAt'] ?? '')} onChange={(e) => set('expiresAt', e.target.value || undefined)} /></label>
        </>
      )}
      {type === 'impersonation' && <small>Syncwarden signs in through its token provider: grant it the Service Account Token Creator role on your service account. No key to store or rotate.</small>}
      {type === 'service_account_key' && (
        <>
          <label><span>Key JSON</span><textarea rows={5} aria-label="Key JSON" value={String(draft['keyJson'] ?? '')} onChange={(e) => set('keyJson', e.target.value)} placeholder={hint ?? '{ "type": "service_account", … }'} /></label>
          <div className="row">
            <label><span>Key created</span><input type="date" aria-label="Key created" value={String(draft['createdAt'] ?? '')} onChange={(e) => set('createdAt', e.target.value || undefined)} /></label>
            <label><span>Rotate after (days)</span><input type="number" min={1} aria-label="Rotate after days" value={String(draft['maxAgeDays'] ?? 90)} onChange={(e) => set('maxAgeDays', Number(e.target.value))} /></label>
          </div>
        </>
      )}
      {(type === 'access_key' || type === 'assume_role') && (
        <>
          <label><span>Access key ID</span><input aria-label="Access key ID" value={String(draft['accessKeyId'] ?? '')} onChange={(e) => set('accessKeyId', e.target.value)} placeholder="AKIA…" /></label>
          <label><span>Secret access key</span><input type="password" autoComplete="off" aria-label="Secret access key" value={String(draft['secretAccessKey'] ?? '')} onChange={(e) => set('secretAccessKey', e.target.value)} placeholder={hint} /></label>
          <div className="row">
            <label><span>Key created (read from AWS when tested)</span><input type="date" aria-label="Key created" value={String(draft['createdAt'] ?? '')} onChange={(e) => set('createdAt', e.target.value || undefined)} /></label>
            <label><span>Rotate after (days)</span><input type="number" min={1} aria-label="Rotate after days" value={String(draft['maxAgeDays'] ?? 90)} onChange={(e) => set('maxAgeDays', Number(e.target.value))} /></label>
          </div>
        </>
      )}
      {type === 'assume_role' && (
        <>
          <label><span>Role ARN</span><input aria-label="Role ARN" value={String(draft['roleArn'] ?? '')} onChange={(e) => set('roleArn', e.target.value)} placeholder="arn:aws:iam::123456789012:role/SyncwardenReader" /></label>
          <label><span>External ID</span><input aria-label="External ID" value={String(draft['externalId'] ?? '')} onChange={(e) => set('externalId', e.target.value)} /></label>
          <small>Syncwarden signs in with the access key only to call sts:AssumeRole; it reads with the role&apos;s temporary credentials.</small>
        </>
      )}
      {type === 'bearer_token' && (
        <>
          <label><span>Bearer token</span><input type="password" autoComplete="off" aria-label="Bearer token" value={String(draft['token'] ?? '')} onChange={(e) => set('token', e.target.value)} placeholder={hint} /></label>
          <label><span>Token expires (if the app says)</span><input type="date" aria-label="Token expires" value={String(draft['expiresAt'] ?? '')} onChange={(e) => set('expiresAt', e.target.value || undefined)} /></label>
        </>
      )}
    </>
  );
}
