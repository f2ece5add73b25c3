import { failover } from '../failover-api.js';
import { useData } from './useData.js';

/**
 * The failover banner of the dashboard and Sync status: one line per open failover
 * ("Microsoft 365 outage since …; users work in Google Workspace"), linking to the Failover page.
 * The server words it (FailoverView.banner), so every surface says the same.
 */
export function FailoverBanner({ link = true }: { link?: boolean }) {
  const { data } = useData(() => failover.open(), [], 5000);
  const open = (data?.failovers ?? []).filter((f) => f.banner);
  if (open.length === 0) return null;
  return (
    <>
      {open.map((f) => (
        <div key={f.id} className={`failover-banner failover-${f.state}`} role="alert" aria-label="Failover">
          <span><strong>{f.banner}</strong>{f.state === 'recovering' && ` — ${f.totals.recovered} of ${f.totals.users} user(s) recovered`}</span>
          {link && <a href={`#/failover/${f.policyId}`}>{f.state === 'proposed' ? 'Review the proposal' : 'Open Failover'}</a>}
        </div>
      ))}
    </>
  );
}
