import { useState, type FormEvent } from 'react';
import { ApiError, type RenderedError } from '../api.js';
import { scopeText } from '../api-connections.js';
import { directoryApi, kindName, REASON_LABELS, RULE_LABELS, SCOPE_SWITCH, type Explain, type ExplainConnection, type Verdict } from '../directory-api.js';
import { ErrorBox } from './ErrorBox.js';
import { Pill } from './Pill.js';
import { relativeTime } from '../format.js';

const VERDICT: Record<Verdict, { status: string; label: string }> = {
  found: { status: 'succeeded', label: 'Found' },
  missing: { status: 'failed', label: 'Missing' },
  duplicated: { status: 'warning', label: 'Duplicated' },
};

function ConnectionFinding({ c }: { c: ExplainConnection }) {
  const status = c.accounts.length > 0 ? 'pass' : c.excluded.length > 0 || c.lastSyncAt === null ? 'warning' : 'skipped';
  return (
    <li className={`finding finding-${status}`} data-connection={c.id}>
      <span className="finding-icon" aria-label={status}>{status === 'pass' ? '✓' : status === 'warning' ? '!' : '–'}</span>
      <div>
        <div className="step-title">{c.name} <small>{kindName(c.kind)}</small></div>
        {c.lastSyncAt === null
          ? <div className="warn-text">Never synced: this connector has not been read yet. <a href="#/directory">Sync it</a>.</div>
          : <small>Last synced {relativeTime(c.lastSyncAt)}{c.scope ? ` · ${scopeText(c.scope)}` : ''}</small>}
        {c.accounts.map((a) => (
          <div key={a.externalId}>
            Has the account <strong>{a.userName}</strong>{a.enabled ? '' : ' (disabled)'}
            {a.matchedBy ? <> — matched by {RULE_LABELS[a.matchedBy.rule] ?? a.matchedBy.rule} <code>{a.matchedBy.value}</code></> : null}
          </div>
        ))}
        {c.excluded.map((x) => (
          <div key={`${x.reason}/${x.userName}`} className="excluded">
            Left out by the scope: <strong>{x.displayName}</strong> ({x.userName}) is a {REASON_LABELS[x.reason] ?? x.reason}.
            {SCOPE_SWITCH[x.reason] && <> Turn on “{SCOPE_SWITCH[x.reason]}” in the connection&apos;s scope on <a href="#/connections">Connections</a> to read it.</>}
          </div>
        ))}
        {c.lastSyncAt !== null && c.accounts.length === 0 && c.excluded.length === 0 && <div className="muted">No account matches here.</div>}
      </div>
    </li>
  );
}

function Result({ r }: { r: Explain }) {
  const v = VERDICT[r.verdict];
  return (
    <div className="explain-result" data-verdict={r.verdict}>
      <p className="verdict"><Pill status={v.status} label={v.label} /> <strong>“{r.query}”</strong>{r.found.length > 0 && <> — {r.found.length} identit{r.found.length === 1 ? 'y' : 'ies'}</>}</p>
      {r.found.length > 0 && (
        <ul className="found">
          {r.found.map((i) => <li key={i.id}><a href={`#/identities/${encodeURIComponent(i.id)}`}>{i.displayName}</a> <small>{i.email ?? ''} · {i.accounts} account{i.accounts === 1 ? '' : 's'} in {i.connections.map((c) => c.name).join(', ')}</small></li>)}
        </ul>
      )}
      <ul className="explanation" aria-label="Explanation">
        {r.explanation.map((line, i) => <li key={i}>{line}</li>)}
      </ul>
      <h3>Connectors</h3>
      <ul className="findings" aria-label="Connectors">
        {r.connections.map((c) => <ConnectionFinding key={c.id} c={c} />)}
      </ul>
      <h3>Matching rules</h3>
      <ul className="findings" aria-label="Matching rules">
        {r.rules.map((x) => {
          const s = !x.enabled ? 'skipped' : x.matched ? 'pass' : 'fail';
          return (
            <li key={x.rule} className={`finding finding-${s}`} data-rule={x.rule}>
              <span className="finding-icon" aria-label={s}>{s === 'pass' ? '✓' : s === 'fail' ? '✕' : '–'}</span>
              <span>{RULE_LABELS[x.rule] ?? x.rule}{!x.enabled && <small> (rule off)</small>}<div><small>{x.detail}</small></div></span>
            </li>
          );
        })}
      </ul>
    </div>
  );
}

/** "Why is an identity missing or duplicated?": which connector has it, which rule matched, what the scope left out. */
export function ExplainPanel({ initial, onClose }: { initial?: string; onClose: () => void }) {
  const [q, setQ] = useState(initial ?? '');
  const [result, setResult] = useState<Explain | null>(null);
  const [error, setError] = useState<RenderedError | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async (e: FormEvent) => {
    e.preventDefault();
    if (!q.trim()) return;
    setBusy(true);
    try {
      setResult(await directoryApi.explain(q.trim()));
      setError(null);
    } catch (err) {
      setError(err instanceof ApiError ? err.error : { code: 'network', title: 'Request failed', message: String(err), resolution: 'Try again.' });
    } finally {
      setBusy(false);
    }
  };
  return (
    <aside className="panel explain-panel" role="complementary" aria-label="Why is an identity missing or duplicated?">
      <button type="button" className="icon-button close" aria-label="Close" onClick={onClose}>×</button>
      <h2>Why is an identity missing or duplicated?</h2>
      <form className="explain-form" onSubmit={(e) => void run(e)}>
        <input type="search" aria-label="Email, user name or name" placeholder="Email, user name or name" value={q} onChange={(e) => setQ(e.target.value)} />
        <button type="submit" className="primary" disabled={busy || !q.trim()}>{busy ? 'Checking…' : 'Explain'}</button>
      </form>
      {error && <ErrorBox error={error} />}
      {result && <Result r={result} />}
    </aside>
  );
}
