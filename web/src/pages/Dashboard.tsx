import { continuity } from '../continuity-api.js';
import { useData } from '../components/useData.js';
import { FailoverBanner } from '../components/FailoverBanner.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { Pill } from '../components/Pill.js';
import { formatBytes, formatCount, relativeTime } from '../format.js';
import { useMe } from '../components/Me.js';
import { directoryApi } from '../directory-api.js';
import { campaignsApi } from '../campaigns-api.js';
import { connApi } from '../api-connections.js';

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
      {data && <h2 className="dashboard-section">Continuity</h2>}
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
      <CertificationFigures />
    </section>
  );
}

/**
 * The other half of the product at a glance: the directories read into the inventory, the
 * campaigns under way, and the credentials that will stop a connection (expired, or expiring
 * soon) before they do. Each figure is read only when the role may read it, from the routes
 * its own page uses; a figure whose route fails is left out rather than failing the page.
 */
function CertificationFigures() {
  const me = useMe();
  const may = (p: string) => me.permissions.includes(p);
  const dirs = useData(() => (may('directory.read') ? directoryApi.statuses() : Promise.resolve(null)), [], 15_000).data;
  const campaigns = useData(() => (may('campaigns.read') ? campaignsApi.list().then((r) => r.campaigns) : Promise.resolve(null)), [], 15_000).data;
  const creds = useData(() => (may('credentials.read') ? connApi.inventory().then((r) => r.credentials.filter((c) => c.state === 'current')) : Promise.resolve(null)), [], 60_000).data;
  if (!dirs && !campaigns && !creds) return null;
  const synced = dirs?.filter((d) => d.lastSuccessAt !== null).length ?? 0;
  const failed = dirs?.filter((d) => d.state === 'failed').length ?? 0;
  const held = dirs?.filter((d) => d.state === 'held').length ?? 0;
  const accounts = dirs?.reduce((n, d) => n + (d.counts?.accounts ?? 0), 0) ?? 0;
  const running = campaigns?.filter((c) => c.status === 'running' || c.status === 'closing') ?? [];
  const toDecide = running.reduce((n, c) => n + c.totals.open, 0);
  const applyHeld = campaigns?.filter((c) => c.status === 'held') ?? [];
  const expired = creds?.filter((c) => c.status === 'expired') ?? [];
  const expiring = creds?.filter((c) => c.status === 'expiring').sort((a, b) => (a.daysLeft ?? 0) - (b.daysLeft ?? 0)) ?? [];
  return (
    <>
      {expired.length > 0 && (
        <div className="held-banner alert-banner" role="alert"><strong>{expired.length === 1 ? `The credential of ${expired[0]!.connectionName} has expired` : `${expired.length} credentials in use have expired`}: {expired.length === 1 ? 'its connection fails' : 'their connections fail'} until a new one is added.</strong> <a href="#/credentials">Credentials</a></div>
      )}
      {held > 0 && (
        <div className="held-banner" role="alert"><strong>{held === 1 ? 'A directory sync is' : `${held} directory syncs are`} holding removals for approval.</strong> <a href="#/directory">Review on Directory sync</a></div>
      )}
      {applyHeld.length > 0 && (
        <div className="held-banner" role="alert"><strong>{applyHeld.length === 1 ? `The apply of "${applyHeld[0]!.name}" is` : `${applyHeld.length} campaign applies are`} held by the circuit breaker.</strong> <a href="#/campaigns">Review on Campaigns</a></div>
      )}
      <h2 className="dashboard-section">Certification and credentials</h2>
      <div className="stats" aria-label="Certification and credential figures">
        {dirs && (
          <a className="stat" href="#/directory" data-figure="directories">
            <div className="stat-value">{dirs.length === 0 ? '—' : `${synced} / ${dirs.length}`}</div>
            <div className="stat-label">{dirs.length === 0 ? 'no directory connected yet' : 'directories synced'}{failed > 0 && <> · <Pill status="failed" label={`${failed} failed`} /></>}{held > 0 && <> · <Pill status="held" label={`${held} held`} /></>}</div>
          </a>
        )}
        {dirs && (
          <a className="stat" href="#/identities" data-figure="accounts">
            <div className="stat-value">{formatCount(accounts)}</div>
            <div className="stat-label">accounts in the inventory</div>
          </a>
        )}
        {campaigns && (
          <a className="stat" href="#/campaigns" data-figure="campaigns-running">
            <div className="stat-value">{formatCount(running.length)}</div>
            <div className="stat-label">{running.length === 1 ? 'campaign' : 'campaigns'} under way{running.length > 0 ? ` · ${formatCount(toDecide)} ${toDecide === 1 ? 'item' : 'items'} to decide` : ''}</div>
          </a>
        )}
        {creds && (
          <a className="stat" href="#/credentials" data-figure="credentials-expiring">
            <div className="stat-value">{formatCount(expired.length + expiring.length)}</div>
            <div className="stat-label">
              credentials in use expired or expiring soon
              {expiring[0] && expiring[0].daysLeft !== null && <div>next: {expiring[0].connectionName}, in {expiring[0].daysLeft} {expiring[0].daysLeft === 1 ? 'day' : 'days'}</div>}
              {creds.length > 0 && expired.length + expiring.length === 0 && <div>all {formatCount(creds.length)} valid</div>}
            </div>
          </a>
        )}
      </div>
    </>
  );
}
