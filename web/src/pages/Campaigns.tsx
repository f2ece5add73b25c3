import { useState } from 'react';
import { campaignsApi, CAMPAIGN_STATUSES, CAMPAIGN_STATUS_LABELS, type Campaign } from '../campaigns-api.js';
import { useData } from '../components/useData.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { Empty } from '../components/Empty.js';
import { useMe } from '../components/Me.js';
import { ProgressBar, remediationSummary, StatusPill, useHashParts } from '../components/CampaignBits.js';
import { daysUntil, formatTime } from '../format.js';
import { CampaignCreatePage } from './CampaignCreate.js';
import { CampaignDetailPage } from './CampaignDetail.js';
import '../campaigns.css';

function Deadline({ c }: { c: Campaign }) {
  if (!c.deadline) return <span className="muted">{c.status === 'draft' ? 'set at start' : '—'}</span>;
  const days = daysUntil(c.deadline);
  const late = c.status === 'running' && days < 0;
  return (
    <span className={late ? 'warn-text' : ''}>
      {formatTime(c.deadline)}
      {c.status === 'running' && <div><small>{late ? 'overdue' : days === 0 ? 'today' : `in ${days} day${days === 1 ? '' : 's'}`}</small></div>}
    </span>
  );
}

function CampaignList() {
  const me = useMe();
  const canManage = me.permissions.includes('campaigns.manage');
  const [status, setStatus] = useState('');
  const { data, error } = useData(() => campaignsApi.list(status || undefined), [status], 15_000);
  const campaigns = data?.campaigns ?? [];
  return (
    <section>
      <div className="page-header">
        <h1>Campaigns</h1>
        {canManage && <a className="button-link primary-link" href="#/campaigns/new">Create campaign</a>}
      </div>
      <div className="filters chips" role="group" aria-label="Status filter">
        <button type="button" className={`chip${status === '' ? ' on' : ''}`} aria-pressed={status === ''} onClick={() => setStatus('')}>All</button>
        {CAMPAIGN_STATUSES.map((s) => (
          <button key={s} type="button" className={`chip${status === s ? ' on' : ''}`} aria-pressed={status === s} onClick={() => setStatus(s)}>{CAMPAIGN_STATUS_LABELS[s]}</button>
        ))}
      </div>
      {error && <ErrorBox error={error} />}
      {!data && !error && <div className="loading">Loading campaigns…</div>}
      {data && campaigns.length === 0 && status === '' && (
        <Empty title="No certification campaign yet">
          <p>A campaign asks managers, resource owners or named people to confirm who should keep which access, then removes what they revoke.</p>
          {canManage ? <a className="button-link primary-link" href="#/campaigns/new">Create campaign</a> : <span>An owner or admin can create one.</span>}
        </Empty>
      )}
      {data && campaigns.length === 0 && status !== '' && <Empty title={`No ${CAMPAIGN_STATUS_LABELS[status as Campaign['status']].toLowerCase()} campaign`}><button type="button" onClick={() => setStatus('')}>Show all campaigns</button></Empty>}
      {campaigns.length > 0 && (
        <div className="table-scroll">
          <table aria-label="Campaigns">
            <thead><tr><th>Campaign</th><th>Status</th><th>Progress</th><th>Deadline</th><th>Remediation</th><th>Owner</th></tr></thead>
            <tbody>
              {campaigns.map((c) => (
                <tr key={c.id} className="clickable" data-campaign={c.id} onClick={() => { window.location.hash = `#/campaigns/${encodeURIComponent(c.id)}`; }}>
                  <td>
                    <a href={`#/campaigns/${encodeURIComponent(c.id)}`} onClick={(e) => e.stopPropagation()}>{c.name}</a>
                    <div><small>{c.stages === 2 ? `stage ${c.stage} of 2 · ` : ''}{c.recurrence && c.recurrence.every !== 'none' ? `recurring ${c.recurrence.every.replace('_', '-')} · #${c.occurrence}` : 'one-off'}</small></div>
                  </td>
                  <td><StatusPill status={c.status} label={CAMPAIGN_STATUS_LABELS[c.status]} /></td>
                  <td className="progress-cell"><ProgressBar done={c.totals.decided} total={c.totals.items} label={`Progress of ${c.name}`} /></td>
                  <td><Deadline c={c} /></td>
                  <td>{remediationSummary(c)}</td>
                  <td>{c.owner.displayName}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** `#/campaigns`: the list; `#/campaigns/new`: create; `#/campaigns/<id>`: one campaign. */
export function CampaignsPage() {
  const parts = useHashParts('/campaigns');
  if (parts[0] === 'new') return <CampaignCreatePage />;
  if (parts[0]) return <CampaignDetailPage key={parts[0]} id={parts[0]} />;
  return <CampaignList />;
}
