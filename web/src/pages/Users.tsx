import { useState } from 'react';
import { authApi, ROLES, ROLE_LABELS, type Role } from '../auth-api.js';
import { useData } from '../components/useData.js';
import { useAction } from '../components/useAction.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { Pill } from '../components/Pill.js';
import { useMe } from '../components/Me.js';
import { SsoSettingsSection } from './SsoSettings.js';

/** Users and roles: who may sign in, with which role; one-time links for newcomers and resets. */
export function UsersPage() {
  const me = useMe();
  const canManage = me.permissions.includes('users.manage');
  const { data, error, reload } = useData(() => authApi.users(), []);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [link, setLink] = useState<{ email: string; url: string } | null>(null);
  const { act, actionError } = useAction(reload);
  return (
    <div>
      <h1>Users and roles</h1>
      {error && <ErrorBox error={error} />}
      {actionError && <ErrorBox error={actionError} />}
      {link && (
        <div className="panel notice" role="status">
          One-time sign-in link for <strong>{link.email}</strong> (valid 24 hours, once): <code className="secret-once">{link.url}</code>
        </div>
      )}
      {canManage && (
        <form className="panel row" aria-label="Add a user" onSubmit={(e) => {
          e.preventDefault();
          void act(async () => {
            const r = await authApi.createUser({ email, role });
            if (r.signInLink) setLink({ email: r.user.email, url: r.signInLink });
            setEmail('');
          });
        }}>
          <label><span>Email</span><input aria-label="New user email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} required /></label>
          <label><span>Role</span><select aria-label="New user role" value={role} onChange={(e) => setRole(e.target.value as Role)}>{ROLES.map((r) => <option key={r} value={r}>{ROLE_LABELS[r]}</option>)}</select></label>
          <button className="primary" type="submit">Add user</button>
        </form>
      )}
      <table>
        <thead><tr><th>Email</th><th>Name</th><th>Role</th><th>State</th><th>Last sign-in</th>{canManage && <th />}</tr></thead>
        <tbody>
          {(data?.users ?? []).map((u) => (
            <tr key={u.id} data-user={u.email}>
              <td>{u.email}</td>
              <td>{u.displayName}</td>
              <td>
                {canManage && u.id !== me.user.id
                  ? <select aria-label={`Role of ${u.email}`} value={u.role} onChange={(e) => void act(() => authApi.updateUser(u.id, { role: e.target.value as Role }))}>{ROLES.map((r) => <option key={r} value={r}>{ROLE_LABELS[r]}</option>)}</select>
                  : ROLE_LABELS[u.role]}
              </td>
              <td><Pill status={u.disabled ? 'error' : 'active'} />{u.disabled ? ' disabled' : ''}{!u.hasPassword && !u.disabled ? ' (link only)' : ''}</td>
              <td>{u.lastSignInAt ? new Date(u.lastSignInAt).toLocaleString() : 'never'}</td>
              {canManage && (
                <td className="nowrap">
                  {u.id !== me.user.id && <button onClick={() => void act(() => authApi.updateUser(u.id, { disabled: !u.disabled }))}>{u.disabled ? 'Enable' : 'Disable'}</button>}{' '}
                  <button onClick={() => void act(async () => {
                    const r = await authApi.resetUser(u.id);
                    if (r.signInLink) setLink({ email: u.email, url: r.signInLink });
                  })}>New sign-in link</button>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {canManage && <SsoSettingsSection />}
    </div>
  );
}
