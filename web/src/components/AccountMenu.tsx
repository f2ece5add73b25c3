import { useEffect, useState } from 'react';
import { ApiError, type RenderedError } from '../api.js';
import { authApi, ROLE_LABELS, type Me, type TenantRow } from '../auth-api.js';
import { ErrorBox } from './ErrorBox.js';

/**
 * Who is signed in, with which role; the organisation switcher (when the person belongs to
 * more than one); change password, sign out, sign out everywhere.
 */
export function AccountMenu({ me, onSignedOut }: { me: Me; onSignedOut: () => void }) {
  const [open, setOpen] = useState(false);
  const [changing, setChanging] = useState(false);
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [error, setError] = useState<RenderedError | null>(null);
  const [done, setDone] = useState(false);
  const [tenants, setTenants] = useState<TenantRow[]>([]);
  useEffect(() => {
    if (me.via !== 'session') return;
    authApi.tenants().then((r) => setTenants(r.tenants)).catch(() => setTenants([]));
  }, [me.tenantId, me.via]);
  const currentTenant = tenants.find((t) => t.id === me.tenantId);
  const switchTo = async (id: string) => {
    setError(null);
    try {
      await authApi.switchTenant(id);
      // Every page's data belongs to the organisation: start again from the dashboard.
      window.location.hash = '#/dashboard';
      window.location.reload();
    } catch (err) {
      setError(err instanceof ApiError ? err.error : { code: 'network', title: 'Failed', message: String(err), resolution: 'Try again.' });
    }
  };
  const signOut = async (everywhere: boolean) => {
    await (everywhere ? authApi.signOutEverywhere() : authApi.signOut()).catch(() => undefined);
    onSignedOut();
  };
  return (
    <div className="account">
      <button type="button" className="account-button" aria-label="Account" aria-haspopup="menu" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
        <span className="account-name">{me.user.displayName}</span>
        <span className="account-role">{ROLE_LABELS[me.role]}{tenants.length > 1 && currentTenant ? ` · ${currentTenant.name}` : ''}</span>
      </button>
      {open && (
        <div role="menu" className="account-list">
          <div className="account-email">{me.user.email}</div>
          {tenants.length > 1 && (
            <div className="account-tenants" role="group" aria-label="Organisation">
              <div className="muted">Organisation</div>
              {tenants.map((t) => (
                <button key={t.id} role="menuitemradio" aria-checked={t.id === me.tenantId} type="button" disabled={t.id === me.tenantId} onClick={() => void switchTo(t.id)}>
                  {t.id === me.tenantId ? '✓ ' : ''}{t.name} <span className="muted">({t.role ? ROLE_LABELS[t.role] : t.id})</span>
                </button>
              ))}
            </div>
          )}
          <button role="menuitem" type="button" onClick={() => setChanging((c) => !c)}>Change password</button>
          <button role="menuitem" type="button" onClick={() => void signOut(false)}>Sign out</button>
          <button role="menuitem" type="button" onClick={() => void signOut(true)}>Sign out everywhere</button>
        </div>
      )}
      {error && !changing && <ErrorBox error={error} compact />}
      {changing && (
        <form className="account-password" aria-label="Change password" onSubmit={(e) => {
          e.preventDefault();
          setError(null);
          authApi.changePassword(current || undefined, next)
            .then(() => {
              setDone(true);
              setChanging(false);
              setCurrent('');
              setNext('');
            })
            .catch((err: unknown) => setError(err instanceof ApiError ? err.error : { code: 'network', title: 'Failed', message: String(err), resolution: 'Try again.' }));
        }}>
          {error && <ErrorBox error={error} compact />}
          <input type="password" autoComplete="current-password" aria-label="Current password" placeholder="Current password (if you have one)" value={current} onChange={(e) => setCurrent(e.target.value)} />
          <input type="password" autoComplete="new-password" aria-label="New password" placeholder="New password (12+ characters)" value={next} onChange={(e) => setNext(e.target.value)} required />
          <button className="primary" type="submit">Save password</button>
        </form>
      )}
      {done && <div className="account-done" role="status">Password changed; your other sessions were signed out.</div>}
    </div>
  );
}
