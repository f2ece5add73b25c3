import { api } from '../api.js';
import { useData } from '../components/useData.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { Pill } from '../components/Pill.js';
import { formatCount } from '../format.js';

export function DashboardPage() {
  const { data, error } = useData(() => api.dashboard(), [], 5000);
  const totalUsers = data ? Object.values(data.users).reduce((a, b) => a + b, 0) : 0;
  return (
    <section>
      <div className="page-header"><h1>Dashboard</h1></div>
      {error && <ErrorBox error={error} />}
      {data && totalUsers === 0 && (
        <ol className="getting-started">
          <li className={data.connections.active + data.connections.error + data.connections.not_tested >= 2 ? 'done' : ''}><a href="#/connections">Add your Microsoft 365 source and Google Workspace destination</a></li>
          <li className={data.connections.active >= 2 ? 'done' : ''}><a href="#/connections">Test both connections</a> from each card's three-dot menu</li>
          <li className={data.policies.enabled > 0 ? 'done' : ''}><a href="#/policies">Create and enable a policy</a>; users appear on <a href="#/sync">Sync status</a> after its first cycle</li>
        </ol>
      )}
      {data && (
        <div className="stats">
          <a className="stat" href="#/sync"><div className="stat-value">{formatCount(data.users.synced)}</div><div className="stat-label"><Pill status="synced" /> users</div></a>
          <a className="stat" href="#/sync"><div className="stat-value">{formatCount(data.users.initial_sync + data.users.pending)}</div><div className="stat-label"><Pill status="initial_sync" /> or pending</div></a>
          <a className="stat" href="#/sync"><div className="stat-value">{formatCount(data.users.failed)}</div><div className="stat-label"><Pill status="failed" /> users</div></a>
          <div className="stat"><div className="stat-value">{formatCount(data.itemsImported)}</div><div className="stat-label">items imported</div></div>
          <a className="stat" href="#/connections"><div className="stat-value">{data.connections.active} / {data.connections.active + data.connections.error + data.connections.not_tested}</div><div className="stat-label">connections active{data.connections.error > 0 && <> · <Pill status="error" label={`${data.connections.error} in error`} /></>}</div></a>
          <a className="stat" href="#/policies"><div className="stat-value">{data.policies.enabled} / {data.policies.total}</div><div className="stat-label">policies enabled</div></a>
        </div>
      )}
    </section>
  );
}
