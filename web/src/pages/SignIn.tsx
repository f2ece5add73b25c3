import { useEffect, useState } from 'react';
import { ApiError, type RenderedError } from '../api.js';
import { authApi } from '../auth-api.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { ssoApi, type SsoOffer } from '../sso-api.js';
import '../sso.css';

/**
 * The sign-in page: email and password, or a one-time link (`#/sign-in?link=…`, printed at
 * first start or by `syncwarden users reset-password`), spent here by a POST — opening the
 * link changes nothing by itself. *Sign in with Microsoft* / *Sign in with Google* when the
 * tenant has them (the buttons go to the SSO start route; a refused sign-in comes back as
 * `#/sign-in?error=<code>&title=…&message=…&resolution=…`, shown here). When the tenant
 * requires single sign-on the password form is not offered.
 */
export function SignInPage({ onSignedIn }: { onSignedIn: () => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  // Asked only for a person of several organisations with none used last (tenant.choose).
  const [tenant, setTenant] = useState('');
  const [askTenant, setAskTenant] = useState(false);
  const [error, setError] = useState<RenderedError | null>(null);
  const [busy, setBusy] = useState(false);
  const hashQuery = new URLSearchParams(window.location.hash.split('?')[1] ?? '');
  const link = hashQuery.get('link');
  const [sso, setSso] = useState<{ providers: SsoOffer[]; passwordSignIn: boolean }>({ providers: [], passwordSignIn: true });

  useEffect(() => {
    ssoApi.offered().then(setSso).catch(() => undefined);
    // A refused single sign-on: the callback sent the catalogue error here (in the fragment).
    const code = hashQuery.get('error');
    if (code) {
      setError({ code, title: hashQuery.get('title') ?? 'Sign-in refused', message: hashQuery.get('message') ?? '', resolution: hashQuery.get('resolution') ?? '' });
      window.history.replaceState(null, '', '#/sign-in');
    }
  }, []);

  const fail = (e: unknown) => setError(e instanceof ApiError ? e.error : { code: 'network', title: 'Cannot reach Syncwarden', message: String(e), resolution: 'Check that the server is running, then try again.' });

  useEffect(() => {
    if (!link) return;
    setBusy(true);
    authApi.signInWithLink(link)
      .then(() => {
        // The link is spent: take it out of the address bar and history. A replacing fragment
        // navigation (not history.replaceState) so the app hears the hashchange and leaves this page.
        window.location.replace('#/dashboard');
        onSignedIn();
      })
      .catch(fail)
      .finally(() => setBusy(false));
  }, [link]);

  async function submit(e: { preventDefault(): void }) {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      await authApi.signIn(email, password, askTenant ? tenant.trim() || undefined : undefined);
      if (window.location.hash.startsWith('#/sign-in')) window.location.replace('#/dashboard');
      onSignedIn();
    } catch (err) {
      if (err instanceof ApiError && err.error.code === 'tenant.choose') setAskTenant(true);
      fail(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="sign-in">
      <form className="panel sign-in-form" onSubmit={submit} aria-label="Sign in">
        <div className="brand-large">Syncwarden</div>
        <h1>Sign in</h1>
        {error && <ErrorBox error={error} compact />}
        {sso.providers.length > 0 && (
          <div className="sso-buttons">
            {sso.providers.map((p) => <a key={p.id} className="button sso-button" href={p.startUrl} data-provider={p.id}>Sign in with {p.name}</a>)}
          </div>
        )}
        {sso.passwordSignIn ? (
          <>
            {sso.providers.length > 0 && <p className="muted sso-or">or with your email and password</p>}
            <label><span>Email</span><input type="email" autoComplete="username" aria-label="Email" value={email} onChange={(e) => setEmail(e.target.value)} required /></label>
            <label><span>Password</span><input type="password" autoComplete="current-password" aria-label="Password" value={password} onChange={(e) => setPassword(e.target.value)} required /></label>
            {askTenant && <label><span>Organisation</span><input aria-label="Organisation" placeholder="its id, e.g. acme" value={tenant} onChange={(e) => setTenant(e.target.value)} required /></label>}
            <button className="primary" type="submit" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
          </>
        ) : <p className="muted">This organisation signs in with single sign-on only.</p>}
        <p className="muted">First start? Open the one-time link printed on the server's console. Lost it? Run <code>syncwarden users reset-password &lt;email&gt;</code> on the server.</p>
      </form>
    </div>
  );
}
