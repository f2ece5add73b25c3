import { useEffect, useState } from 'react';
import { ApiError, type RenderedError } from '../api.js';
import { authApi } from '../auth-api.js';
import { ErrorBox } from '../components/ErrorBox.js';

/**
 * The sign-in page: email and password, or a one-time link (`#/sign-in?link=…`, printed at
 * first start or by `syncwarden users reset-password`), spent here by a POST — opening the
 * link changes nothing by itself.
 */
export function SignInPage({ onSignedIn }: { onSignedIn: () => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<RenderedError | null>(null);
  const [busy, setBusy] = useState(false);
  const link = new URLSearchParams(window.location.hash.split('?')[1] ?? '').get('link');

  const fail = (e: unknown) => setError(e instanceof ApiError ? e.error : { code: 'network', title: 'Cannot reach Syncwarden', message: String(e), resolution: 'Check that the server is running, then try again.' });

  useEffect(() => {
    if (!link) return;
    setBusy(true);
    authApi.signInWithLink(link)
      .then(() => {
        // The link is spent: take it out of the address bar and history.
        window.history.replaceState(null, '', '#/dashboard');
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
      await authApi.signIn(email, password);
      if (window.location.hash.startsWith('#/sign-in')) window.history.replaceState(null, '', '#/dashboard');
      onSignedIn();
    } catch (err) {
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
        <label><span>Email</span><input type="email" autoComplete="username" aria-label="Email" value={email} onChange={(e) => setEmail(e.target.value)} required /></label>
        <label><span>Password</span><input type="password" autoComplete="current-password" aria-label="Password" value={password} onChange={(e) => setPassword(e.target.value)} required /></label>
        <button className="primary" type="submit" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
        <p className="muted">First start? Open the one-time link printed on the server's console. Lost it? Run <code>syncwarden users reset-password &lt;email&gt;</code> on the server.</p>
      </form>
    </div>
  );
}
