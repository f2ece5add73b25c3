import { useState } from 'react';
import { ApiError, type RenderedError } from '../api.js';
import { directoryApi, kindName, RULE_LABELS, TYPE_LABELS, type IdentityType, type IdentityTypeRule, type AccountView, type CredentialView, type EntitlementView, type GroupView } from '../directory-api.js';
import { useData } from '../components/useData.js';
import { Pill } from '../components/Pill.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { GroupOwners } from '../components/GroupOwners.js';
import { relativeTime } from '../format.js';
import '../directory.css';

function MatchedBy({ m, single }: { m: AccountView['matchedBy']; single: boolean }) {
  if (!m) return <span className="muted">{single ? 'only account (no rule needed)' : 'not matched'}</span>;
  return <span>{RULE_LABELS[m.rule] ?? m.rule} <code>{m.value}</code></span>;
}

function Accounts({ items }: { items: AccountView[] }) {
  return (
    <section aria-label="Accounts" className="detail-section">
      <h2>Accounts <small>{items.length}</small></h2>
      <table className="compact">
        <thead><tr><th>Connector</th><th>Account</th><th>Type</th><th>State</th><th>Last sign-in</th><th>Matched by</th></tr></thead>
        <tbody>
          {items.map((a) => (
            <tr key={`${a.connectionId}/${a.externalId}`} data-connection={a.connectionId}>
              <td>{a.connectionName}<div><small>{kindName(a.kind)}</small></div></td>
              <td>{a.userName}<div><small>{[a.displayName !== a.userName && a.displayName, a.email !== a.userName && a.email, a.employeeId && `employee ${a.employeeId}`].filter(Boolean).join(' · ')}</small></div></td>
              <td>{a.accountType}{a.external && <div><small>external</small></div>}</td>
              <td><Pill status={a.enabled ? 'active' : 'disabled'} label={a.enabled ? 'Enabled' : 'Disabled'} /></td>
              <td>{relativeTime(a.lastSignInAt)}</td>
              <td><MatchedBy m={a.matchedBy} single={items.length === 1} /></td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Groups({ items }: { items: GroupView[] }) {
  return (
    <section aria-label="Groups" className="detail-section">
      <h2>Groups <small>{items.filter((g) => g.via === 'direct').length} direct, {items.filter((g) => g.via === 'nested').length} nested</small></h2>
      {items.length === 0 ? <div className="muted">Not a member of any group.</div> : (
        <table className="compact">
          <thead><tr><th>Connector</th><th>Group</th><th>Membership</th><th>Role</th><th>Owners</th></tr></thead>
          <tbody>
            {items.map((g) => (
              <tr key={`${g.connectionId}/${g.externalId}`} data-via={g.via}>
                <td>{g.connectionName}</td>
                <td>{g.displayName}{g.email && <div><small>{g.email}</small></div>}</td>
                <td>{g.via === 'direct' ? 'Direct' : <>Nested <span className="path" title="From the account's direct group outward">{g.path.join(' → ')}</span></>}</td>
                <td>{g.role ?? ''}</td>
                <td><GroupOwners connectionId={g.connectionId} resourceId={g.externalId} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Entitlements({ items }: { items: EntitlementView[] }) {
  const privileged = items.filter((e) => e.privileged).length;
  return (
    <section aria-label="Entitlements" className="detail-section">
      <h2>Entitlements <small>{items.length}{privileged ? `, ${privileged} privileged` : ''}</small></h2>
      {items.length === 0 ? <div className="muted">No role, policy or app role.</div> : (
        <table className="compact">
          <thead><tr><th>Connector</th><th>Entitlement</th><th>Type</th><th>Privileged</th><th>Via</th></tr></thead>
          <tbody>
            {items.map((e, i) => (
              <tr key={`${e.connectionId}/${e.externalId}/${e.viaGroup ?? ''}/${i}`} data-privileged={e.privileged ? 'true' : 'false'}>
                <td>{e.connectionName}</td>
                <td>{e.displayName}</td>
                <td>{e.entitlementType.replace(/_/g, ' ')}</td>
                <td>{e.privileged ? <Pill status="privileged" label="Privileged" /> : ''}</td>
                <td>{e.via === 'direct' ? 'Direct' : `Group ${e.viaGroup ?? ''}`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Credentials({ items, names }: { items: CredentialView[]; names: Map<string, string> }) {
  return (
    <section aria-label="Credentials" className="detail-section">
      <h2>Credentials <small>{items.length}</small></h2>
      {items.length === 0 ? <div className="muted">No access keys or other credentials.</div> : (
        <table className="compact">
          <thead><tr><th>Connector</th><th>Credential</th><th>Type</th><th>Status</th><th>Created</th><th>Last used</th></tr></thead>
          <tbody>
            {items.map((c) => (
              <tr key={`${c.connectionId}/${c.externalId}`}>
                <td>{names.get(c.connectionId) ?? c.connectionId}</td>
                <td><code>{c.externalId}</code></td>
                <td>{c.credentialType.replace(/_/g, ' ')}</td>
                <td><Pill status={c.status.toLowerCase() === 'active' ? 'active' : 'disabled'} label={c.status} /></td>
                <td>{relativeTime(c.createdAt)}</td>
                <td>{relativeTime(c.lastUsedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Why the identity is a person, a guest or a service, and the admin's override. */
function TypeRule({ id, rule, onChanged }: { id: string; rule: IdentityTypeRule; onChanged: () => void }) {
  const [error, setError] = useState<RenderedError | null>(null);
  const [busy, setBusy] = useState(false);
  const change = async (type: string) => {
    setBusy(true);
    try {
      const reason = type === 'auto' ? undefined : (window.prompt(`Why is this identity a ${TYPE_LABELS[type as IdentityType].toLowerCase()}? (kept in the audit log)`) ?? undefined);
      await directoryApi.setType(id, type as IdentityType | 'auto', reason);
      setError(null);
      onChanged();
    } catch (e) {
      setError(e instanceof ApiError ? e.error : { code: 'network', title: 'Request failed', message: String(e), resolution: 'Try again.' });
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="panel type-rule" aria-label="Type">
      <h2>Type: {TYPE_LABELS[rule.type]}</h2>
      <p>{rule.explanation}</p>
      <label className="row">
        <span>Override</span>
        <select aria-label="Override type" disabled={busy} value={rule.override?.type ?? 'auto'} onChange={(e) => void change(e.target.value)}>
          <option value="auto">Follow the evidence</option>
          <option value="person">Person</option>
          <option value="guest">Guest</option>
          <option value="service">Service account</option>
        </select>
      </label>
      {error && <ErrorBox error={error} />}
    </section>
  );
}

/** `#/identities/<id>`: one person (or guest, or service account) across every directory. */
export function IdentityDetailPage({ id }: { id: string }) {
  const { data, error, reload } = useData(() => directoryApi.identity(id), [id], 30_000);
  const names = new Map(data?.accounts.map((a) => [a.connectionId, a.connectionName]) ?? []);
  return (
    <section>
      <a href="#/identities" className="back">← Identities</a>
      {error && <ErrorBox error={error} />}
      {!data && !error && <div className="loading">Loading identity…</div>}
      {data && (
        <>
          <div className="page-header identity-header">
            <div>
              <h1>{data.identity.displayName}</h1>
              <div className="muted">{data.identity.email ?? 'no email'}{data.identity.employeeId ? ` · employee ID ${data.identity.employeeId}` : ''}</div>
            </div>
            <div className="actions">
              <Pill status={`type-${data.identity.type}`} label={TYPE_LABELS[data.identity.type] ?? data.identity.type} />
              <Pill status={data.identity.status === 'active' ? 'active' : 'disabled'} label={data.identity.status === 'active' ? 'Active' : 'Disabled'} />
            </div>
          </div>
          <TypeRule id={data.identity.id} rule={data.typeRule} onChanged={reload} />
          <Accounts items={data.accounts} />
          <Groups items={data.groups} />
          <Entitlements items={data.entitlements} />
          <Credentials items={data.credentials} names={names} />
        </>
      )}
    </section>
  );
}
