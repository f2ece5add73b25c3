import { useEffect, useRef, useState } from 'react';
import { ApiError } from '../api.js';
import { directoryApi, identitiesCsvUrl, IDENTITY_STATUSES, IDENTITY_TYPES, kindName, RULE_LABELS, TYPE_LABELS, type DirectoryStatusView, type IdentityFilters, type IdentityRow } from '../directory-api.js';
import { useData } from '../components/useData.js';
import { Pill } from '../components/Pill.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { Empty } from '../components/Empty.js';
import { ExplainPanel } from '../components/ExplainPanel.js';
import { CorrelationRulesDialog } from '../components/CorrelationRulesDialog.js';
import { useToast } from '../components/Toasts.js';
import { formatCount, relativeTime } from '../format.js';
import { IdentityDetailPage } from './IdentityDetail.js';
import '../directory.css';

const PAGE_SIZE = 50;

/** `#/identities/<id>` → the id; `#/identities` → null. */
function useIdentityId(): string | null {
  const read = () => /^#\/identities\/([^/?]+)/.exec(window.location.hash)?.[1] ?? null;
  const [id, setId] = useState(read);
  useEffect(() => {
    const on = () => setId(read());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return id === null ? null : decodeURIComponent(id);
}

/** The search box waits for a pause in typing before it asks the server. */
function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

/** No identities and no filters: say why (no directory connection, never synced, still syncing). */
function NoIdentities({ statuses, onSynced }: { statuses: DirectoryStatusView[]; onSynced: () => void }) {
  const toast = useToast();
  const [busy, setBusy] = useState(false);
  if (statuses.length === 0) {
    return (
      <Empty title="No directory connection yet">
        Identities come from your directories. Add Entra ID, Google Workspace, AWS IAM or a SCIM app on the <a href="#/connections">Connections</a> page.
      </Empty>
    );
  }
  const syncing = statuses.filter((s) => s.state === 'running' || s.state === 'queued');
  const never = statuses.filter((s) => s.lastSuccessAt === null && s.state !== 'running' && s.state !== 'queued');
  if (never.length === statuses.length) {
    const syncAll = async () => {
      setBusy(true);
      try {
        for (const s of never) await directoryApi.sync(s.connectionId);
        toast('success', `Sync queued for ${never.length} directory connection${never.length === 1 ? '' : 's'}`);
        onSynced();
      } catch (e) {
        toast('error', e instanceof ApiError ? `${e.error.title}: ${e.error.message}` : 'Could not queue the sync');
      } finally {
        setBusy(false);
      }
    };
    return (
      <Empty title="Your directory connections have never synced">
        <p>{never.map((s) => s.connectionName).join(', ')} {never.length === 1 ? 'has' : 'have'} not been read yet, so there is nothing to show.</p>
        <button type="button" className="primary" disabled={busy} onClick={() => void syncAll()}>Sync now</button> <a href="#/directory">Directory sync</a>
      </Empty>
    );
  }
  if (syncing.length > 0) {
    return <Empty title="The first sync is running">{syncing.map((s) => s.connectionName).join(', ')}: identities appear here when it finishes. Follow it on <a href="#/directory">Directory sync</a>.</Empty>;
  }
  return <Empty title="No identities yet">The directories were read but no identity was kept; check what each connection&apos;s scope leaves out on <a href="#/directory">Directory sync</a>.</Empty>;
}

/** How identities are matched, when they last were, and whether they are being matched again now. */
function CorrelationNote() {
  const { data, reload } = useData(() => directoryApi.correlation(), [], 10_000);
  const [editing, setEditing] = useState(false);
  if (!data) return null;
  const rules = data.rules.filter((r) => r.enabled).map((r) => RULE_LABELS[r.attribute] ?? r.attribute);
  const at = data.correlatedAt;
  return (
    <div className="muted correlation-note" data-testid="correlation">
      Accounts are matched into identities by {rules.length ? rules.join(', then ') : 'no rule (every account is its own identity)'}
      {at ? ` · matched ${relativeTime(at)}` : ' · not matched yet'}{data.pending && ' · matching the latest changes…'}
      {' · '}<button type="button" className="link" onClick={() => setEditing(true)}>Matching rules</button>
      {editing && <CorrelationRulesDialog initial={data.rules} onClose={() => setEditing(false)} onSaved={() => { setEditing(false); reload(); }} />}
    </div>
  );
}

function IdentityRowView({ i }: { i: IdentityRow }) {
  const open = () => { window.location.hash = `#/identities/${encodeURIComponent(i.id)}`; };
  return (
    <tr className="clickable" data-identity={i.id} onClick={open}>
      <td><a href={`#/identities/${encodeURIComponent(i.id)}`} onClick={(e) => e.stopPropagation()}>{i.displayName}</a><div><small>{i.email ?? i.employeeId ?? ''}</small></div></td>
      <td>{TYPE_LABELS[i.type] ?? i.type}</td>
      <td><Pill status={i.status === 'active' ? 'active' : 'disabled'} label={i.status === 'active' ? 'Active' : 'Disabled'} /></td>
      <td>{i.accounts}<div><small>{i.connections.map((c) => c.name).join(', ')}</small></div></td>
      <td>{relativeTime(i.updatedAt)}</td>
    </tr>
  );
}

/** Keyset pages: `cursors[i]` opens page i (undefined for the first), so Previous is one step back. */
function Pager({ page, total, exact, count, next, busy, onPage }: { page: number; total: number; exact: boolean; count: number; next: string | null; busy: boolean; onPage: (page: number, cursor?: string) => void }) {
  const offset = page * PAGE_SIZE;
  if (total <= PAGE_SIZE && page === 0) return null;
  return (
    <div className="pager" role="navigation" aria-label="Pages" aria-busy={busy}>
      <button type="button" disabled={busy || page === 0} onClick={() => onPage(page - 1)}>Previous</button>
      <span className="muted">{formatCount(offset + 1)}–{formatCount(offset + count)} of {formatCount(total)}{exact ? '' : '+'}</span>
      <button type="button" disabled={busy || !next} onClick={() => next && onPage(page + 1, next)}>Next</button>
    </div>
  );
}

function IdentityList() {
  const [q, setQ] = useState('');
  const [connection, setConnection] = useState('');
  const [status, setStatus] = useState('');
  const [type, setType] = useState('');
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [pageNo, setPageNo] = useState(0);
  const firstPage = () => { setCursors([undefined]); setPageNo(0); };
  const [explaining, setExplaining] = useState(false);
  const query = useDebounced(q, 250);
  const filters: IdentityFilters = { q: query, connection, status, type };
  const filtered = Boolean(query.trim() || connection || status || type);
  const statuses = useData(() => directoryApi.statuses(), [], 10_000);
  const { data, error, reload, stale } = useData(() => directoryApi.identities(filters, { limit: PAGE_SIZE, cursor: cursors[pageNo] }), [query, connection, status, type, pageNo, cursors[pageNo]], 15_000);
  // The page whose rows are on screen: while the next one loads, the pager still names the rows
  // shown (not the page asked for) and waits, so "51–100" never labels another page's rows.
  const shownPage = useRef(0);
  if (data && !stale) shownPage.current = pageNo;
  const toPage = (n: number, cursor?: string) => {
    if (cursor !== undefined) setCursors((c) => [...c.slice(0, n), cursor]);
    setPageNo(n);
  };
  const set = (f: (v: string) => void) => (v: string) => { f(v); firstPage(); };
  const clear = () => { setQ(''); setConnection(''); setStatus(''); setType(''); firstPage(); };

  return (
    <section className={explaining ? 'with-panel' : ''}>
      <div>
        <div className="page-header">
          <h1>Identities {data && <small className="total" data-testid="total">{formatCount(data.total)}{data.totalExact ? '' : '+'}</small>}</h1>
          <div className="actions">
            <button type="button" onClick={() => setExplaining(true)}>Why is an identity missing or duplicated?</button>
            <a className={`button-link${data?.total ? '' : ' disabled'}`} href={identitiesCsvUrl(filters)} download aria-disabled={!data?.total}>Export CSV</a>
          </div>
        </div>
        <CorrelationNote />
        <div className="filters identity-filters">
          <label>Search<input type="search" aria-label="Search" value={q} placeholder="Name, email, user name or employee ID" onChange={(e) => set(setQ)(e.target.value)} /></label>
          <label>Connector
            <select aria-label="Connector" value={connection} onChange={(e) => set(setConnection)(e.target.value)}>
              <option value="">All connectors</option>
              {statuses.data?.map((s) => <option key={s.connectionId} value={s.connectionId}>{s.connectionName} ({kindName(s.kind)})</option>)}
            </select>
          </label>
          <label>Status
            <select aria-label="Status" value={status} onChange={(e) => set(setStatus)(e.target.value)}>
              <option value="">Any status</option>
              {IDENTITY_STATUSES.map((s) => <option key={s} value={s}>{s === 'active' ? 'Active' : 'Disabled'}</option>)}
            </select>
          </label>
          <label>Type
            <select aria-label="Type" value={type} onChange={(e) => set(setType)(e.target.value)}>
              <option value="">Any type</option>
              {IDENTITY_TYPES.map((t) => <option key={t} value={t}>{TYPE_LABELS[t]}</option>)}
            </select>
          </label>
          {filtered && <button type="button" onClick={clear}>Clear filters</button>}
        </div>
        {error && <ErrorBox error={error} />}
        {!data && !error && <div className="loading">Loading identities…</div>}
        {data && data.items.length === 0 && filtered && (
          <Empty title="No identities match these filters">
            Clear the filters to see every identity, or ask <button type="button" className="link" onClick={() => setExplaining(true)}>why an identity is missing</button>.
          </Empty>
        )}
        {data && data.items.length === 0 && !filtered && statuses.data && <NoIdentities statuses={statuses.data} onSynced={() => { statuses.reload(); reload(); }} />}
        {data && data.items.length > 0 && (
          <>
            <div className="table-scroll">
              <table className={`clickable${stale ? ' stale' : ''}`} aria-label="Identities" aria-busy={stale}>
                <thead><tr><th>Identity</th><th>Type</th><th>Status</th><th>Accounts</th><th>Updated</th></tr></thead>
                <tbody>{data.items.map((i) => <IdentityRowView key={i.id} i={i} />)}</tbody>
              </table>
            </div>
            <Pager page={shownPage.current} total={data.total} exact={data.totalExact} count={data.items.length} next={data.nextCursor} busy={stale} onPage={toPage} />
          </>
        )}
      </div>
      {explaining && <ExplainPanel initial={q} onClose={() => setExplaining(false)} />}
    </section>
  );
}

/** `#/identities`: the list; `#/identities/<id>`: one identity. */
export function IdentitiesPage() {
  const id = useIdentityId();
  return id ? <IdentityDetailPage id={id} /> : <IdentityList />;
}
