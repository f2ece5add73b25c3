import { StrictMode, useEffect, useState } from 'react';
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
import './styles.css';

const ROUTES = [
  { path: '/dashboard', label: 'Dashboard', page: DashboardPage },
  { path: '/connections', label: 'Connections', page: ConnectionsPage },
  { path: '/credentials', label: 'Credentials', page: CredentialsPage },
  { path: '/incidents', label: 'Incidents', page: IncidentsPage },
  { path: '/policies', label: 'Policies', page: PoliciesPage },
  { path: '/sync', label: 'Sync status', page: SyncStatusPage },
  { path: '/failover', label: 'Failover', page: FailoverPage },
  { path: '/identities', label: 'Identities', page: IdentitiesPage },
  { path: '/directory', label: 'Directory sync', page: DirectorySyncPage },
  { path: '/audit', label: 'Audit logs', page: AuditLogsPage },
  { path: '/alerts', label: 'Alerts', page: AlertsPage },
] as const;

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

function App() {
  const path = useHashPath();
  const route = ROUTES.find((r) => path.startsWith(r.path)) ?? ROUTES[0];
  const Page = route.page;
  return (
    <div className="layout">
      <nav aria-label="Main" className="sidebar">
        <div className="brand">Syncwarden</div>
        {ROUTES.map((r) => (
          <a key={r.path} href={`#${r.path}`} className={r === route ? 'active' : ''} aria-current={r === route ? 'page' : undefined}>
            {r.label}
          </a>
        ))}
        <div className="sidebar-foot"><a href="/api/v1/openapi.json">API (OpenAPI)</a></div>
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
