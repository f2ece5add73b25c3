import { useState } from 'react';
import { authApi, ROLES, ROLE_LABELS, type Role } from '../auth-api.js';
import { useData } from '../components/useData.js';
import { useAction } from '../components/useAction.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { useMe } from '../components/Me.js';

const RANK: Record<Role, number> = { owner: 5, admin: 4, operator: 3, viewer: 2, reviewer: 1 };

/** Your API tokens: made with a role at most yours, shown once, revocable; last use shown. */
export function TokensPage() {
  const me = useMe();
  const { data, error, reload } = useData(() => authApi.tokens(), []);
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>(me.role === 'owner' || me.role === 'admin' ? 'operator' : me.role);
  const [days, setDays] = useState('90');
  const [made, setMade] = useState<{ name: string; token: string } | null>(null);
  const { act, actionError } = useAction(reload);
  return (
    <div>
      <h1>API tokens</h1>
      <p className="muted">For scripts and the CLI against this server (<code>SYNCWARDEN_URL</code> + <code>SYNCWARDEN_TOKEN</code>). A token acts with its role, never above yours.</p>
      {error && <ErrorBox error={error} />}
      {actionError && <ErrorBox error={actionError} />}
      {made && (
        <div className="panel notice" role="status">
          Token <strong>{made.name}</strong> — copy it now, it is not shown again: <code className="secret-once" data-testid="new-token">{made.token}</code>
        </div>
      )}
      <form className="panel row" aria-label="Make a token" onSubmit={(e) => {
        e.preventDefault();
        void act(async () => {
          const t = await authApi.createToken({ name, role, expiresInDays: Number(days) });
          setMade({ name: t.name, token: t.token });
          setName('');
        });
      }}>
        <label><span>Name</span><input aria-label="Token name" value={name} onChange={(e) => setName(e.target.value)} required /></label>
        <label><span>Role</span><select aria-label="Token role" value={role} onChange={(e) => setRole(e.target.value as Role)}>{ROLES.filter((r) => RANK[r] <= RANK[me.role]).map((r) => <option key={r} value={r}>{ROLE_LABELS[r]}</option>)}</select></label>
        <label><span>Expires in (days)</span><input aria-label="Token days" type="number" min={1} max={365} value={days} onChange={(e) => setDays(e.target.value)} /></label>
        <button className="primary" type="submit">Make token</button>
      </form>
      <table>
        <thead><tr><th>Name</th><th>Role</th><th>State</th><th>Expires</th><th>Last used</th><th /></tr></thead>
        <tbody>
          {(data?.tokens ?? []).map((t) => (
            <tr key={t.id} data-token={t.name}>
              <td>{t.name}</td>
              <td>{ROLE_LABELS[t.role]}</td>
              <td>{t.state}</td>
              <td>{new Date(t.expiresAt).toLocaleDateString()}</td>
              <td>{t.lastUsedAt ? `${new Date(t.lastUsedAt).toLocaleString()} from ${t.lastUsedAddress ?? '?'}` : 'never'}</td>
              <td>{t.state === 'active' && <button className="danger" onClick={() => void act(() => authApi.revokeToken(t.id))}>Revoke</button>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
