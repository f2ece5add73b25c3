import { useEffect, useState } from 'react';
import { ApiError, type RenderedError } from '../api.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { ssoApi, type SsoProvider, type SsoProviderView, type SsoSettings } from '../sso-api.js';
import '../sso.css';

const NAMES: Record<SsoProvider, string> = { microsoft: 'Microsoft Entra ID', google: 'Google' };

interface Draft { enabled: boolean; clientId: string; clientSecret: string; directory: string; authority: string }

const draftOf = (p: SsoProviderView): Draft => ({ enabled: p.enabled, clientId: p.clientId, clientSecret: '', directory: p.directory ?? '', authority: p.authority ?? '' });

/**
 * Single sign-on settings of the tenant (admins, under Users and roles): per provider enabled,
 * client id, client secret (write-only: the page only knows whether one is set), the Entra
 * directory id or Google hosted domain, the authority (empty = the real provider); and whether
 * single sign-on is required. The redirect URI to register at the provider is shown.
 */
export function SsoSettingsSection() {
  const [settings, setSettings] = useState<SsoSettings | null>(null);
  const [drafts, setDrafts] = useState<Record<SsoProvider, Draft> | null>(null);
  const [error, setError] = useState<RenderedError | null>(null);
  const [saved, setSaved] = useState(false);
  const load = (s: SsoSettings) => {
    setSettings(s);
    setDrafts({ microsoft: draftOf(s.providers.microsoft), google: draftOf(s.providers.google) });
  };
  const fail = (e: unknown) => setError(e instanceof ApiError ? e.error : { code: 'network', title: 'Failed', message: String(e), resolution: 'Try again.' });
  useEffect(() => { ssoApi.settings().then(load).catch(fail); }, []);
  if (!settings || !drafts) return error ? <ErrorBox error={error} /> : null;

  const save = async (body: Parameters<typeof ssoApi.update>[0]) => {
    setError(null);
    setSaved(false);
    try {
      load(await ssoApi.update(body));
      setSaved(true);
    } catch (e) {
      fail(e);
    }
  };
  const saveProvider = (p: SsoProvider) => {
    const d = drafts[p];
    return save({ providers: { [p]: { enabled: d.enabled, clientId: d.clientId, directory: d.directory || null, authority: d.authority || null, ...(d.clientSecret ? { clientSecret: d.clientSecret } : {}) } } });
  };
  const set = (p: SsoProvider, patch: Partial<Draft>) => setDrafts({ ...drafts, [p]: { ...drafts[p], ...patch } });

  return (
    <section className="panel sso-settings" aria-label="Single sign-on">
      <h2>Single sign-on</h2>
      {error && <ErrorBox error={error} compact />}
      {saved && <p className="muted" role="status">Saved.</p>}
      {(['microsoft', 'google'] as const).map((p) => (
        <form key={p} aria-label={`${NAMES[p]} single sign-on`} onSubmit={(e) => { e.preventDefault(); void saveProvider(p); }}>
          <h3>{NAMES[p]}</h3>
          <div className="sso-provider">
            <span>Enabled</span>
            <input type="checkbox" aria-label={`${NAMES[p]} enabled`} checked={drafts[p].enabled} onChange={(e) => set(p, { enabled: e.target.checked })} />
            <span>Client id</span>
            <input type="text" aria-label={`${NAMES[p]} client id`} value={drafts[p].clientId} onChange={(e) => set(p, { clientId: e.target.value })} />
            <span>Client secret</span>
            <input type="password" autoComplete="new-password" aria-label={`${NAMES[p]} client secret`} placeholder={settings.providers[p].hasClientSecret ? 'set (leave empty to keep)' : 'not set'} value={drafts[p].clientSecret} onChange={(e) => set(p, { clientSecret: e.target.value })} />
            <span>{p === 'microsoft' ? 'Directory (tenant) id' : 'Hosted domain (optional)'}</span>
            <input type="text" aria-label={`${NAMES[p]} ${p === 'microsoft' ? 'directory id' : 'hosted domain'}`} value={drafts[p].directory} onChange={(e) => set(p, { directory: e.target.value })} />
            <span>Authority (empty: the real provider)</span>
            <input type="url" aria-label={`${NAMES[p]} authority`} value={drafts[p].authority} onChange={(e) => set(p, { authority: e.target.value })} />
            <span>Redirect URI to register</span>
            <code>{`${window.location.origin}/api/v1/auth/sso/${p}/callback`}</code>
          </div>
          <button type="submit">Save {NAMES[p]}</button>
        </form>
      ))}
      <h3>Policy</h3>
      <label className="row">
        <input type="checkbox" aria-label="Require single sign-on" checked={settings.required} onChange={(e) => void save({ required: e.target.checked })} />
        <span>Require single sign-on (password sign-in is refused; an owner locked out gets a one-time link on the server with <code>syncwarden users reset-password &lt;email&gt;</code>)</span>
      </label>
    </section>
  );
}
