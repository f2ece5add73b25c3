import { Fragment, StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { ToastProvider } from './components/Toasts.js';
import { DashboardPage } from './pages/Dashboard.js';
import { ConnectionsPage } from './pages/Connections.js';
import { PoliciesPage } from './pages/Policies.js';
import { SyncStatusPage } from './pages/SyncStatus.js';
import { AuditLogsPage } from './pages/AuditLogs.js';
import { CredentialsPage } from './pages/Credentials.js';
import { IncidentsPage } from './pages/Incidents.js';
import { AlertsPage } from './pages/Alerts.js';
import { IdentitiesPage } from './pages/Identities.js';
import { DirectorySyncPage } from './pages/DirectorySync.js';
import { FailoverPage } from './pages/Failover.js';
import { UsersPage } from './pages/Users.js';
import { TokensPage } from './pages/Tokens.js';
import { OrganisationsPage } from './pages/Organisations.js';
import { SignInPage } from './pages/SignIn.js';
import { CampaignsPage } from './pages/Campaigns.js';
import { MyReviewsPage } from './pages/MyReviews.js';
import { CampaignReportPage } from './pages/CampaignReport.js';
import { AccountMenu } from './components/AccountMenu.js';
import { MeContext } from './components/Me.js';
import { authApi, type Me } from './auth-api.js';
import { ApiError, whenSignedOut } from './api.js';
import './styles.css';

/** Each page with the permission it needs to be listed (the server checks every call anyway). */
const ROUTES = [
  { path: '/dashboard', label: 'Dashboard', page: DashboardPage, needs: 'overview.read' },
  { path: '/connections', label: 'Connections', page: ConnectionsPage, needs: 'connections.read' },
  { path: '/credentials', label: 'Credentials', page: CredentialsPage, needs: 'credentials.read' },
  { path: '/incidents', label: 'Incidents', page: IncidentsPage, needs: 'sync.read' },
  { path: '/policies', label: 'Policies', page: PoliciesPage, needs: 'sync.read' },
  { path: '/sync', label: 'Sync status', page: SyncStatusPage, needs: 'sync.read' },
  { path: '/failover', label: 'Failover', page: FailoverPage, needs: 'sync.read' },
  { path: '/identities', label: 'Identities', page: IdentitiesPage, needs: 'directory.read' },
  { path: '/directory', label: 'Directory sync', page: DirectorySyncPage, needs: 'directory.read' },
  { path: '/audit', label: 'Audit logs', page: AuditLogsPage, needs: 'audit.read' },
  { path: '/alerts', label: 'Alerts', page: AlertsPage, needs: 'alerts.read' },
  { path: '/users', label: 'Users and roles', page: UsersPage, needs: 'users.read' },
  { path: '/tokens', label: 'API tokens', page: TokensPage, needs: 'session' },
  { path: '/organisations', label: 'Organisations', page: OrganisationsPage, needs: 'session' },
  // Certifications (issue 13): a Reviewer sees My reviews and nothing else.
  { path: '/campaigns', label: 'Campaigns', page: CampaignsPage, needs: 'campaigns.read', group: 'Certifications' },
  { path: '/reviews', label: 'My reviews', page: MyReviewsPage, needs: 'reviews.own', group: 'Certifications' },
] as const;

type RouteDef = (typeof ROUTES)[number];

/** The pages a person may open: a Reviewer only My reviews; everyone else what their role reads. */
function allowedRoutes(me: Me): RouteDef[] {
  if (me.role === 'reviewer') return ROUTES.filter((r) => r.path === '/reviews');
  return ROUTES.filter((r) => r.needs === 'session' || me.permissions.includes(r.needs));
}

/** `/campaigns/<id>/report`: the printable report, on its own page (no sidebar). */
const REPORT_PATH = /^\/campaigns\/([^/?]+)\/report(?:$|\?)/;

function useHashPath(): string {
  const read = () => window.location.hash.replace(/^#/, '') || '/dashboard';
  const [path, setPath] = useState(read);
  useEffect(() => {
    const on = () => setPath(read());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return path;
}

/** Signed in (GET /auth/me answers) or the sign-in page; a 401 anywhere later returns here. */
function App() {
  const path = useHashPath();
  const [me, setMe] = useState<Me | null | 'loading'>('loading');
  const load = () => {
    authApi.me().then(setMe).catch((e: unknown) => setMe(e instanceof ApiError && e.status === 401 ? null : null));
  };
  useEffect(() => {
    whenSignedOut(() => setMe(null));
    if (!path.startsWith('/sign-in')) load();
    else setMe(null);
  }, []);
  if (me === 'loading') return null;
  if (me === null || path.startsWith('/sign-in')) return <SignInPage onSignedIn={load} />;
  return (
    <MeContext.Provider value={me}>
      <Shell me={me} path={path} onSignedOut={() => setMe(null)} />
    </MeContext.Provider>
  );
}

function Shell({ me, path, onSignedOut }: { me: Me; path: string; onSignedOut: () => void }) {
  const allowed = allowedRoutes(me);
  const route = allowed.find((r) => path.startsWith(r.path)) ?? allowed[0]!;
  const Page = route.page;
  const report = REPORT_PATH.exec(path);
  if (report && route.path === '/campaigns') return <CampaignReportPage id={decodeURIComponent(report[1]!)} />;
  return (
    <div className="layout">
      <nav aria-label="Main" className="sidebar">
        <div className="brand">Syncwarden</div>
        {allowed.map((r, i) => {
          const group = 'group' in r ? r.group : undefined;
          const prev = allowed[i - 1];
          const heading = group && (!prev || !('group' in prev) || prev.group !== group);
          return (
            <Fragment key={r.path}>
              {heading && <div className="sidebar-group">{group}</div>}
              <a href={`#${r.path}`} className={r === route ? 'active' : ''} aria-current={r === route ? 'page' : undefined}>
                {r.label}
              </a>
            </Fragment>
          );
        })}
        <div className="sidebar-foot">
          <AccountMenu me={me} onSignedOut={onSignedOut} />
          {me.role !== 'reviewer' && <a href="/api/v1/openapi.json">API (OpenAPI)</a>}
        </div>
      </nav>
      <main className="main">
        <Page />
      </main>
    </div>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ToastProvider>
      <App />
    </ToastProvider>
  </StrictMode>,
);
