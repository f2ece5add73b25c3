import { useState } from 'react';
import { connApi } from '../api-connections.js';
import { useData } from '../components/useData.js';
import { Pill } from '../components/Pill.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { Empty } from '../components/Empty.js';
import { relativeTime, formatTime } from '../format.js';
import '../connections.css';

const TRIGGER = { test: 'Test connection failed', sync: 'A sync hit a connection error', user_failures: 'Many users failed with the same error' } as const;

/** One incident per failing connection: since when, what is affected, and the fix. */
export function IncidentsPage() {
  const [state, setState] = useState<'open' | 'resolved' | ''>('open');
  const { data, error } = useData(() => connApi.incidents(state || undefined), [state], 10_000);
  return (
    <section>
      <div className="page-header"><h1>Incidents</h1></div>
      <div className="chips" role="group" aria-label="Incident state">
        {([['open', 'Open'], ['resolved', 'Resolved'], ['', 'All']] as const).map(([v, l]) => (
          <button key={l} type="button" className={`chip${state === v ? ' on' : ''}`} aria-pressed={state === v} onClick={() => setState(v)}>{l}</button>
        ))}
      </div>
      {error && <ErrorBox error={error} />}
      {!data && !error && <div className="loading">Loading incidents…</div>}
      {data && data.incidents.length === 0 && <Empty title={state === 'open' ? 'No open incidents' : 'No incidents'}>When a connection fails, its incident appears here instead of a failure per user.</Empty>}
      <div style={{ marginTop: 12 }}>
        {data?.incidents.map((i) => (
          <article key={i.id} className="card incident-card" aria-label={`Incident on ${i.connectionName}`}>
            <header className="card-header">
              <div>
                <h2>{i.connectionName}: {i.error?.title ?? 'Connection failing'}</h2>
                <div className="muted">{i.kindName} · {TRIGGER[i.trigger]}{i.detail ? ` — ${i.detail}` : ''}</div>
              </div>
              <Pill status={i.state} label={i.state === 'open' ? 'Open' : 'Resolved'} />
            </header>
            <dl className="facts">
              <dt>Since</dt><dd>{formatTime(i.since)} ({relativeTime(i.since)})</dd>
              {i.resolvedAt && (<><dt>Resolved</dt><dd>{formatTime(i.resolvedAt)} ({relativeTime(i.resolvedAt)}){i.resolvedBy ? ` by ${i.resolvedBy}` : ''}</dd></>)}
              <dt>Users blocked</dt><dd data-testid="affected-users">{i.affectedUsers}</dd>
              <dt>Seen</dt><dd>{i.occurrences} time{i.occurrences === 1 ? '' : 's'}, last {relativeTime(i.lastSeenAt)}</dd>
            </dl>
            {i.error && <ErrorBox error={i.error} />}
          </article>
        ))}
      </div>
    </section>
  );
}
