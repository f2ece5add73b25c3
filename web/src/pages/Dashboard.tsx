import { continuity } from '../continuity-api.js';
import { useData } from '../components/useData.js';
import { FailoverBanner } from '../components/FailoverBanner.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { Pill } from '../components/Pill.js';
import { formatBytes, formatCount, relativeTime } from '../format.js';

export function DashboardPage() {
  const { data, error } = useData(() => continuity.dashboard(), [], 5000);
  const totalUsers = data ? Object.values(data.users).reduce((a, b) => a + b, 0) : 0;
  return (
    <section>
      <div className="page-header"><h1>Dashboard</h1></div>
      <FailoverBanner />
      {error && <ErrorBox error={error} />}
      {data && totalUsers === 0 && (
        <ol className="getting-started">
          <li className={data.connections.active + data.connections.error + data.connections.not_tested >= 2 ? 'done' : ''}><a href="#/connections">Add your Microsoft 365 source and Google Workspace destination</a></li>
          <li className={data.connections.active >= 2 ? 'done' : ''}><a href="#/connections">Test both connections</a> from each card's three-dot menu</li>
          <li className={data.policies.enabled > 0 ? 'done' : ''}><a href="#/policies">Create and enable a policy</a>; users appear on <a href="#/sync">Sync status</a> after its first cycle</li>
        </ol>
      )}
      {data && data.connections.error > 0 && (
        <div className="held-banner alert-banner" role="alert"><strong>{data.connections.error === 1 ? 'A connection is' : `${data.connections.error} connections are`} in error: the users behind {data.connections.error === 1 ? 'it' : 'them'} are blocked.</strong> <a href="#/incidents">See the incident, its cause and fix</a></div>
      )}
      {data && data.policies.total > data.policies.enabled && (
        <div className="held-banner" role="status"><strong>{data.policies.total - data.policies.enabled === 1 ? 'A policy is' : `${data.policies.total - data.policies.enabled} policies are`} disabled: {data.policies.total - data.policies.enabled === 1 ? 'its' : 'their'} users are not synced.</strong> <a href="#/policies">Policies</a></div>
      )}
      {data && data.policies.held > 0 && (
        <div className="held-banner" role="alert"><strong>{data.policies.held} policy cycle(s) held for approval.</strong> <a href="#/policies">Review on Policies</a></div>
      )}
      {data && (
        <div className="stats" aria-label="Continuity figures">
          <div className="stat" data-figure="data-synced"><div className="stat-value">{formatBytes(data.dataSyncedBytes)}</div><div className="stat-label">data synced ({formatCount(data.itemsImported)} items)</div></div>
          <a className="stat" href="#/sync" data-figure="users-synced"><div className="stat-value">{formatCount(data.usersSynced)}</div><div className="stat-label"><Pill status="synced" /> users synced</div></a>
          <div className="stat" data-figure="changes-24h"><div className="stat-value">{formatCount(data.changes24h.total)}</div><div className="stat-label">changes in 24 h ({formatCount(data.changes24h.imported)} new, {formatCount(data.changes24h.changed)} changed, {formatCount(data.changes24h.deleted)} deleted)</div></div>
          <a className="stat" href="#/sync" data-figure="failed-users"><div className="stat-value">{formatCount(data.failedUsers)}</div><div className="stat-label"><Pill status="failed" /> failed users (incl. blocked, quarantined)</div></a>
          <div className="stat" data-figure="oldest-sync"><div className="stat-value">{data.oldestSuccessfulSync ? relativeTime(data.oldestSuccessfulSync) : '—'}</div><div className="stat-label">oldest successful sync{data.neverSynced ? ` (${data.neverSynced} never synced yet)` : ''}</div></div>
          <a className="stat" href="#/sync"><div className="stat-value">{formatCount(data.users.initial_sync + data.users.pending)}</div><div className="stat-label"><Pill status="initial_sync" /> or pending</div></a>
          <a className="stat" href="#/sync"><div className="stat-value">{formatCount(data.users.throttled)}</div><div className="stat-label"><Pill status="throttled" /> users</div></a>
          <a className="stat" href="#/connections"><div className="stat-value">{data.connections.active} / {data.connections.active + data.connections.error + data.connections.not_tested}</div><div className="stat-label">connections active{data.connections.error > 0 && <> · <Pill status="error" label={`${data.connections.error} in error`} /></>}</div></a>
          <a className="stat" href="#/policies"><div className="stat-value">{data.policies.enabled} / {data.policies.total}</div><div className="stat-label">policies enabled</div></a>
        </div>
      )}
    </section>
  );
}
