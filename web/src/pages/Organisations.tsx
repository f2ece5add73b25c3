import { useState } from 'react';
import { authApi, ROLE_LABELS, type TenantRow } from '../auth-api.js';
import { useData } from '../components/useData.js';
import { useAction } from '../components/useAction.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { Empty } from '../components/Empty.js';
import { useMe } from '../components/Me.js';

/**
 * The organisations (tenants) you belong to: your role in each, the one in use, moving to
 * another; an owner creates a new one (and becomes its owner) or renames one they own. Each
 * organisation has its own connections, policies, users and audit log; nothing is shared.
 */
export function OrganisationsPage() {
  const me = useMe();
  const { data, error, reload } = useData(() => authApi.tenants(), []);
  const { act, actionError } = useAction(reload);
  const [id, setId] = useState('');
  const [name, setName] = useState('');
  const [created, setCreated] = useState<TenantRow | null>(null);
  const [renaming, setRenaming] = useState<{ id: string; name: string } | null>(null);
  const owner = me.permissions.includes('tenants.manage');
  const switchTo = (tenant: string) => act(async () => {
    await authApi.switchTenant(tenant);
    // Every page's data belongs to the organisation: start again from the dashboard.
    window.location.hash = '#/dashboard';
    window.location.reload();
  });
  const tenants = data?.tenants ?? [];
  return (
    <div>
      <h1>Organisations</h1>
      <p className="muted">Each organisation has its own connections, policies, campaigns, people and audit log. You act in one at a time; the account menu moves you between them.</p>
      {error && <ErrorBox error={error} />}
      {actionError && <ErrorBox error={actionError} />}
      {created && (
        <div className="panel notice" role="status">
          Organisation <strong>{created.name}</strong> ({created.id}) created; you are its owner.{' '}
          <button className="primary" type="button" onClick={() => void switchTo(created.id)}>Switch to {created.name}</button>
        </div>
      )}
      {owner && (
        <form className="panel row" aria-label="New organisation" onSubmit={(e) => {
          e.preventDefault();
          void act(async () => {
            setCreated(await authApi.createTenant({ id: id.trim().toLowerCase(), name: name.trim() }));
            setId('');
            setName('');
          });
        }}>
          <label><span>Name</span><input aria-label="Organisation name" value={name} onChange={(e) => setName(e.target.value)} placeholder="Contoso Ltd" required maxLength={200} /></label>
          <label><span>Id</span><input aria-label="Organisation id" value={id} onChange={(e) => setId(e.target.value)} placeholder="contoso" required pattern="[a-zA-Z0-9][a-zA-Z0-9\-]{1,39}" title="2–40 letters, digits or dashes, starting with a letter or digit" /></label>
          <button className="primary" type="submit">Create organisation</button>
        </form>
      )}
      {data && tenants.length === 0 ? (
        <Empty title="No organisations">You belong to none: an owner adds you on Users and roles.</Empty>
      ) : (
        <table aria-label="Organisations">
          <thead><tr><th>Name</th><th>Id</th><th>Your role</th><th>Created</th><th /></tr></thead>
          <tbody>
            {tenants.map((t) => (
              <tr key={t.id} data-tenant={t.id}>
                <td>
                  {renaming?.id === t.id ? (
                    <form className="row" aria-label={`Rename ${t.name}`} onSubmit={(e) => {
                      e.preventDefault();
                      void act(async () => {
                        await authApi.renameTenant(t.id, renaming.name.trim());
                        setRenaming(null);
                      });
                    }}>
                      <input aria-label="New name" value={renaming.name} onChange={(e) => setRenaming({ id: t.id, name: e.target.value })} required maxLength={200} autoFocus />
                      <button className="primary" type="submit">Save</button>
                      <button type="button" onClick={() => setRenaming(null)}>Cancel</button>
                    </form>
                  ) : (
                    <>{t.name}{t.id === data?.current && <span className="muted"> · in use</span>}</>
                  )}
                </td>
                <td><code>{t.id}</code></td>
                <td>{t.role ? ROLE_LABELS[t.role] : '—'}</td>
                <td>{t.createdAt ? new Date(t.createdAt).toLocaleDateString() : '—'}</td>
                <td>
                  {t.id !== data?.current && <button type="button" onClick={() => void switchTo(t.id)}>Switch to</button>}
                  {t.role === 'owner' && renaming?.id !== t.id && <button type="button" onClick={() => setRenaming({ id: t.id, name: t.name })}>Rename</button>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
