import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { RenderedError } from '../api.js';
import { ACCESS_KINDS, KIND_LABELS, reviewsApi, viaLabel, type Decision, type MyCampaign, type ReviewFilters, type ReviewItem } from '../campaigns-api.js';
import { useData } from '../components/useData.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { LoadMore, useKeyset } from '../components/Keyset.js';
import { Empty } from '../components/Empty.js';
import { Dialog } from '../components/Dialog.js';
import { useToast } from '../components/Toasts.js';
import { asError, ProgressBar, useDebounced } from '../components/CampaignBits.js';
import { formatCount, formatTime, relativeTime } from '../format.js';
import '../campaigns.css';

type Status = NonNullable<ReviewFilters['status']>;
type GroupBy = NonNullable<ReviewFilters['groupBy']>;
type Target = { kind: 'items'; ids: string[] } | { kind: 'filter' };
type Asking = { decision: Decision | 'recommendation'; target: Target; count: number; required: boolean };

const KEYS: [string, string][] = [
  ['j / k', 'Next / previous item'], ['a', 'Approve the item (or the selection)'], ['r', 'Revoke the item (or the selection): asks a justification'],
  ['space', 'Select or unselect the item'], ['x', 'Select every item shown (again: none)'], ['h', 'The item’s history'], ['?', 'These keys'],
];

/** The reviewer's items with keyset paging (the first page, then "Load more"). */
function useReviews(filters: ReviewFilters, version: number) {
  const { data: state, cursor, error, loading, more } = useKeyset((cursor) => reviewsApi.list(filters, cursor), JSON.stringify(filters), version);
  return { state, cursor, error, loading, more };
}

function JustifyDialog({ asking, onClose, onDone }: { asking: Asking; onClose: () => void; onDone: (justification: string) => Promise<void> }) {
  const [text, setText] = useState('');
  const [error, setError] = useState<RenderedError | null>(null);
  const [busy, setBusy] = useState(false);
  const verb = asking.decision === 'approve' ? 'Approve' : asking.decision === 'revoke' ? 'Revoke' : 'Accept the recommendation for';
  const submit = async () => {
    setBusy(true);
    try {
      await onDone(text.trim());
    } catch (e) {
      setError(asError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog title={`${verb} ${asking.target.kind === 'items' && asking.count === 1 ? 'this access' : `${formatCount(asking.count)} items`}`} onClose={onClose} footer={<>
      <button type="button" onClick={onClose}>Cancel</button>
      <button type="button" className={asking.decision === 'revoke' ? 'primary danger-button' : 'primary'} disabled={busy || (asking.required && !text.trim())} onClick={() => void submit()}>{verb.split(' ')[0]}</button>
    </>}>
      <form onSubmit={(e) => { e.preventDefault(); if (!asking.required || text.trim()) void submit(); }}>
        <label><span>Justification{asking.required && <span className="required">*</span>}</span>
          <textarea aria-label="Justification" rows={3} autoFocus value={text} onChange={(e) => setText(e.target.value)} placeholder={asking.decision === 'revoke' ? 'Why this person should lose this access' : 'Why this access is right'} />
        </label>
      </form>
      {error && <ErrorBox error={error} />}
    </Dialog>
  );
}

function ReassignDialog({ item, onClose, onDone }: { item: ReviewItem; onClose: () => void; onDone: () => void }) {
  const people = useData(() => reviewsApi.reviewers(), []);
  const [to, setTo] = useState('');
  const [note, setNote] = useState('');
  const [error, setError] = useState<RenderedError | null>(null);
  const choices = (people.data?.people ?? []).filter((p) => p.userId !== item.reviewer?.userId);
  const save = async () => {
    try {
      await reviewsApi.reassign(item.id, to, note.trim());
      onDone();
    } catch (e) {
      setError(asError(e));
    }
  };
  return (
    <Dialog title="Reassign the review" onClose={onClose} footer={<><button type="button" onClick={onClose}>Cancel</button><button type="button" className="primary" disabled={!to || !note.trim()} onClick={() => void save()}>Reassign</button></>}>
      <div><strong>{item.identity.displayName}</strong> · {item.access.resourceName}</div>
      {people.error && <ErrorBox error={people.error} compact />}
      <label><span>To<span className="required">*</span></span>
        <select aria-label="Reassign to" value={to} onChange={(e) => setTo(e.target.value)}>
          <option value="">Choose a person…</option>
          {choices.map((p) => <option key={p.userId} value={p.userId}>{p.displayName} ({p.email})</option>)}
        </select>
      </label>
      <label><span>Note (they and the audit log see it)<span className="required">*</span></span><textarea aria-label="Reassign note" rows={3} value={note} onChange={(e) => setNote(e.target.value)} placeholder="Why they are better placed to decide" /></label>
      {error && <ErrorBox error={error} />}
    </Dialog>
  );
}

function HistoryPanel({ itemId, version, onClose }: { itemId: string; version: number; onClose: () => void }) {
  const { data, error } = useData(() => reviewsApi.get(itemId), [itemId, version]);
  return (
    <aside className="panel history-panel" aria-label="Item history">
      <button type="button" className="icon-button close panel-close" aria-label="Close history" onClick={onClose}>×</button>
      <h2>History</h2>
      {error && <ErrorBox error={error} compact />}
      {data && (
        <>
          <div><strong>{data.item.identity.displayName}</strong> · {data.item.access.resourceName}</div>
          <div className="muted">{data.item.campaignName}{data.item.deadline ? ` · due ${formatTime(data.item.deadline)}` : ''}</div>
          {data.item.firstStageDecision && (
            <div className="first-stage">First stage: {data.item.firstStageDecision.decision === 'approve' ? 'approved' : 'revoked'} by {data.item.firstStageDecision.by.displayName}{data.item.firstStageDecision.justification ? ` — “${data.item.firstStageDecision.justification}”` : ''}</div>
          )}
          {data.history.length === 0 ? <div className="muted">Nothing happened yet.</div> : (
            <ol className="history-list" aria-label="History entries">
              {data.history.map((h, i) => (
                <li key={i}><span className="nowrap">{formatTime(h.at)}</span> · <strong>{h.action}</strong> · {h.actor}<div>{h.detail}</div></li>
              ))}
            </ol>
          )}
        </>
      )}
    </aside>
  );
}

function ItemCard({ i, active, selected, onSelect, onFocus, onDecide, onReassign, onHistory }: {
  i: ReviewItem; active: boolean; selected: boolean; onSelect: (on: boolean) => void; onFocus: () => void;
  onDecide: (d: Decision) => void; onReassign: () => void; onHistory: () => void;
}) {
  const ref = useRef<HTMLLIElement>(null);
  useEffect(() => { if (active) ref.current?.scrollIntoView({ block: 'nearest' }); }, [active]);
  const closed = i.closedReason !== null;
  return (
    <li ref={ref} className={`review-item${active ? ' active' : ''}${selected ? ' selected' : ''}`} data-item={i.id} data-decision={i.decision ?? 'open'} aria-current={active ? 'true' : undefined} onClick={onFocus}>
      <input type="checkbox" aria-label={`Select ${i.identity.displayName}: ${i.access.resourceName}`} checked={selected} disabled={closed} onChange={(e) => onSelect(e.target.checked)} onClick={(e) => e.stopPropagation()} />
      <div className="review-who">
        <div className="review-name">{i.identity.displayName}</div>
        <small>{i.identity.email ?? i.account.userName}{i.account.department ? ` · ${i.account.department}` : ''}</small>
        <ul className="accounts" aria-label="Accounts">
          {i.identity.accounts.map((a) => (
            <li key={`${a.connectionId}/${a.userName}`} className={a.enabled ? '' : 'disabled-account'}>{a.connectionName}: {a.userName}{a.enabled ? '' : ' (disabled)'}</li>
          ))}
        </ul>
      </div>
      <div className="review-what">
        <div className="review-resource">{i.access.resourceName} {i.access.privileged && <span className="pill pill-privileged">Privileged</span>} {i.account.guest && <span className="pill pill-type-guest">Guest</span>}</div>
        <small>{KIND_LABELS[i.access.kind] ?? i.access.kind} on {i.account.connectionName} · {viaLabel(i.access)}</small>
        <div><small>Since {i.access.since ? formatTime(i.access.since) : 'unknown'} · last activity {relativeTime(i.account.lastActivityAt)}</small></div>
      </div>
      <div className={`review-recommendation rec-${i.recommendation.decision}`}>
        <div className="rec-label">Recommended: {i.recommendation.decision === 'approve' ? 'Approve' : 'Revoke'}</div>
        {i.recommendation.reasons.length > 0 && <small>{i.recommendation.reasons.join(' ')}</small>}
        {i.firstStageDecision && (
          <div className="first-stage"><small>Stage 1: {i.firstStageDecision.decision === 'approve' ? 'approved' : 'revoked'} by {i.firstStageDecision.by.displayName}{i.firstStageDecision.justification ? ` — “${i.firstStageDecision.justification}”` : ''}</small></div>
        )}
      </div>
      <div className="review-decision">
        {closed ? (
          <span className="muted">{i.closedReason === 'removed_elsewhere' ? 'Removed elsewhere' : 'Closed (no response)'}</span>
        ) : (
          <>
            <div className="actions">
              <button type="button" className={`decide approve${i.decision === 'approve' ? ' chosen' : ''}`} aria-pressed={i.decision === 'approve'} onClick={(e) => { e.stopPropagation(); onDecide('approve'); }}>Approve</button>
              <button type="button" className={`decide revoke${i.decision === 'revoke' ? ' chosen' : ''}`} aria-pressed={i.decision === 'revoke'} onClick={(e) => { e.stopPropagation(); onDecide('revoke'); }}>Revoke</button>
            </div>
            {i.decision && <small className="decided">{i.decision === 'approve' ? 'Approved' : 'Revoked'}{i.decidedAt ? ` ${relativeTime(i.decidedAt)}` : ''}{i.justification ? ` — “${i.justification}”` : ''}</small>}
          </>
        )}
        <div className="review-links">
          {!closed && <button type="button" className="link" onClick={(e) => { e.stopPropagation(); onReassign(); }}>Reassign</button>}
          <button type="button" className="link" onClick={(e) => { e.stopPropagation(); onHistory(); }}>History</button>
        </div>
      </div>
    </li>
  );
}

/** `#/reviews`: only the signed-in reviewer's items, grouped, filterable, usable from the keyboard. */
export function MyReviewsPage() {
  const toast = useToast();
  const [campaign, setCampaign] = useState('');
  const [status, setStatus] = useState<Status>('open');
  const [kind, setKind] = useState('');
  const [recommendation, setRecommendation] = useState('');
  const [q, setQ] = useState('');
  const [groupBy, setGroupBy] = useState<GroupBy>('person');
  const query = useDebounced(q, 250);
  const [version, setVersion] = useState(0);
  const filters: ReviewFilters = { campaign, status, kind, recommendation, q: query, groupBy };
  const { state, cursor, error, loading, more } = useReviews(filters, version);
  const items = state?.items ?? [];
  const [active, setActive] = useState(0);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [asking, setAsking] = useState<Asking | null>(null);
  const [reassigning, setReassigning] = useState<ReviewItem | null>(null);
  const [history, setHistory] = useState<string | null>(null);
  const [help, setHelp] = useState(false);
  // The campaigns I have items in, with my progress (GET /reviews/campaigns: a reviewer may not list campaigns).
  const mine = useData(() => reviewsApi.campaigns(), [version]);
  const myCampaigns: MyCampaign[] = mine.data?.campaigns ?? [];
  const [includeDecided, setIncludeDecided] = useState(false);
  useEffect(() => { setSelected(new Set()); setActive(0); }, [JSON.stringify(filters)]);
  useEffect(() => { if (active >= items.length && items.length > 0) setActive(items.length - 1); }, [items.length]);

  const refresh = () => setVersion((v) => v + 1);
  const decide = async (decision: Decision | 'recommendation', target: Target, justification?: string) => {
    const body = target.kind === 'items'
      ? { itemIds: target.ids, decision, ...(justification ? { justification } : {}) }
      : { filter: { campaign: campaign || undefined, q: query || undefined, kind: kind || undefined, recommendation: recommendation || undefined }, decision, ...(justification ? { justification } : {}), ...(includeDecided ? { includeDecided } : {}) };
    const r = await reviewsApi.decide(body);
    const kept = r.keptDecided > 0 ? `; ${formatCount(r.keptDecided)} already decided kept their decision` : '';
    toast('success', `${decision === 'recommendation' ? `${formatCount(r.decided)} recommendation${r.decided === 1 ? '' : 's'} accepted` : `${formatCount(r.decided)} item${r.decided === 1 ? '' : 's'} ${decision === 'approve' ? 'approved' : 'revoked'}`}${kept}`);
    setSelected(new Set());
    refresh();
  };
  /**
   * Each item says whether its campaign wants a justification (on Revoke, or always): Revoke
   * always asks why; Approve asks first when one of the items it covers needs it (over a filter:
   * any item shown). Accepting recommendations is justified by the recommendation itself.
   */
  const start = (decision: Decision | 'recommendation', target: Target, count: number) => {
    if (count === 0) return;
    const covered = target.kind === 'items' ? items.filter((i) => target.ids.includes(i.id)) : items;
    const needs = decision !== 'recommendation' && covered.some((i) => i.justificationRequired[decision]);
    if (decision === 'revoke' || needs) { setAsking({ decision, target, count, required: needs || decision === 'revoke' }); return; }
    decide(decision, target).catch((e: unknown) => {
      const err = asError(e);
      if (/justification/i.test(err.code) || /justification/i.test(err.message)) setAsking({ decision, target, count, required: true });
      else toast('error', `${err.title}: ${err.message}`);
    });
  };
  const targetOf = (fallback?: ReviewItem): { target: Target; count: number } | null => {
    if (selected.size > 0) return { target: { kind: 'items', ids: [...selected] }, count: selected.size };
    return fallback ? { target: { kind: 'items', ids: [fallback.id] }, count: 1 } : null;
  };

  // The keyboard: j/k, a, r, space, x, h, ?; never while typing or while a dialog is open.
  const dialogOpen = asking !== null || reassigning !== null || help;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (dialogOpen || e.ctrlKey || e.metaKey || e.altKey) return;
      const el = e.target as HTMLElement | null;
      if (el && (el.tagName === 'INPUT' && (el as HTMLInputElement).type !== 'checkbox' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable)) return;
      const cur = items[active];
      const open = items.filter((i) => i.closedReason === null);
      switch (e.key) {
        case 'j': setActive((a) => Math.min(items.length - 1, a + 1)); break;
        case 'k': setActive((a) => Math.max(0, a - 1)); break;
        case 'a': { const t = targetOf(cur); if (t) start('approve', t.target, t.count); break; }
        case 'r': { const t = targetOf(cur); if (t) start('revoke', t.target, t.count); break; }
        case ' ':
          // A focused checkbox or button keeps its own space.
          if (el && (el.tagName === 'INPUT' || el.tagName === 'BUTTON' || el.tagName === 'A')) return;
          if (!cur || cur.closedReason) break;
          setSelected((s) => { const n = new Set(s); if (n.has(cur.id)) n.delete(cur.id); else n.add(cur.id); return n; });
          break;
        case 'x': setSelected((s) => (s.size === open.length && open.length > 0 ? new Set() : new Set(open.map((i) => i.id)))); break;
        case 'h': if (cur) setHistory(cur.id); break;
        case '?': setHelp(true); break;
        default: return;
      }
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  const groups = useMemo(() => {
    const out: { key: string; title: string; items: { item: ReviewItem; index: number }[] }[] = [];
    items.forEach((item, index) => {
      const key = groupBy === 'person' ? (item.identity.id ?? `${item.account.connectionId}/${item.account.externalId}`) : `${item.account.connectionId}/${item.access.resourceId}`;
      const title = groupBy === 'person' ? item.identity.displayName : `${item.access.resourceName} · ${item.account.connectionName}`;
      const last = out[out.length - 1];
      if (last && last.key === key) last.items.push({ item, index });
      else out.push({ key, title, items: [{ item, index }] });
    });
    return out;
  }, [items, groupBy]);

  const counts = state?.counts;
  const filtered = Boolean(campaign || kind || recommendation || query);
  // Over the filter, a bulk decision covers the open items of mine it matches; decided ones keep
  // their decision unless "include decided" is ticked (POST /reviews/decide, includeDecided).
  const bulkCount = selected.size > 0 ? selected.size : ((includeDecided ? counts?.total : counts?.open) ?? 0);
  const bulkTarget: Target = selected.size > 0 ? { kind: 'items', ids: [...selected] } : { kind: 'filter' };
  const bulkWhat = selected.size > 0 ? `${formatCount(selected.size)} selected` : `all ${filtered ? '' : `${formatCount(bulkCount)} `}${includeDecided ? '' : 'open '}${filtered ? 'matching the filters' : ''}`.trim();

  return (
    <section className={history ? 'with-panel' : ''}>
      <div>
        <div className="page-header">
          <h1>My reviews</h1>
          <button type="button" onClick={() => setHelp(true)} aria-label="Keyboard shortcuts">Keys ?</button>
        </div>
        {state?.banner && <div className="held-banner review-banner" role="alert">{state.banner}</div>}
        {counts && counts.total > 0 && (
          <div className="review-progress">
            <ProgressBar done={counts.decided} total={counts.total} label="My progress" />
            <span className="muted">{formatCount(counts.open)} open · {formatCount(counts.decided)} decided</span>
          </div>
        )}
        {myCampaigns.length > 0 && (
          <table className="compact my-campaigns" aria-label="My campaigns">
            <thead><tr><th>Campaign</th><th>Deadline</th><th>My progress</th></tr></thead>
            <tbody>
              {myCampaigns.map((c) => (
                <tr key={c.id}>
                  <td><button type="button" className="link" onClick={() => setCampaign(c.id)}>{c.name}</button>{c.stages === 2 && <small className="muted"> · stage {c.stage} of 2</small>}{c.status !== 'running' && <small className="muted"> · {c.status}</small>}</td>
                  <td className="nowrap">{c.deadline ? formatTime(c.deadline) : '—'}</td>
                  <td><ProgressBar done={c.progress.decided + c.progress.closed} total={c.progress.total} label={`${c.name}: my progress`} /> <small className="muted">{formatCount(c.progress.open)} open</small></td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <div className="filters">
          <input type="search" aria-label="Search" placeholder="Person, account or resource" value={q} onChange={(e) => setQ(e.target.value)} />
          <select aria-label="Campaign" value={campaign} onChange={(e) => setCampaign(e.target.value)}>
            <option value="">Every campaign</option>
            {myCampaigns.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
          </select>
          <select aria-label="Show" value={status} onChange={(e) => setStatus(e.target.value as Status)}>
            <option value="open">Open</option><option value="decided">Decided</option><option value="all">All</option>
          </select>
          <select aria-label="Kind" value={kind} onChange={(e) => setKind(e.target.value)}>
            <option value="">Any kind</option>
            {ACCESS_KINDS.map((k) => <option key={k} value={k}>{KIND_LABELS[k]}</option>)}
          </select>
          <select aria-label="Recommendation" value={recommendation} onChange={(e) => setRecommendation(e.target.value)}>
            <option value="">Any recommendation</option><option value="approve">Recommended: approve</option><option value="revoke">Recommended: revoke</option>
          </select>
          <select aria-label="Group by" value={groupBy} onChange={(e) => setGroupBy(e.target.value as GroupBy)}>
            <option value="person">By person</option><option value="resource">By resource</option>
          </select>
        </div>
        <div className="bulk-bar" role="toolbar" aria-label="Bulk decisions">
          <span className="muted">{bulkWhat}:</span>
          <button type="button" disabled={bulkCount === 0} onClick={() => start('approve', bulkTarget, bulkCount)}>Approve</button>
          <button type="button" disabled={bulkCount === 0} onClick={() => start('revoke', bulkTarget, bulkCount)}>Revoke</button>
          <button type="button" className="primary" disabled={bulkCount === 0} onClick={() => start('recommendation', bulkTarget, bulkCount)}>Accept recommendations</button>
          {selected.size === 0 && <label className="check inline"><input type="checkbox" checked={includeDecided} onChange={(e) => setIncludeDecided(e.target.checked)} /><span>include items I already decided</span></label>}
          {selected.size > 0 && <button type="button" className="link" onClick={() => setSelected(new Set())}>Clear selection</button>}
        </div>
        {error && <ErrorBox error={error} />}
        {!state && !error && <div className="loading">Loading your reviews…</div>}
        {state && items.length === 0 && (
          status === 'open' && !filtered
            ? <Empty title={counts && counts.total > 0 ? 'All done' : 'Nothing to review'}>{counts && counts.total > 0 ? `You decided all ${formatCount(counts.total)} items. You can still change a decision until its stage closes: show Decided.` : 'When a certification campaign asks you to review access, it appears here.'}</Empty>
            : <Empty title="No item matches these filters">Change the filters to see more.</Empty>
        )}
        {groups.map((g) => (
          <section key={`${g.key}-${g.items[0]!.index}`} className="review-group" aria-label={g.title}>
            <h2>{g.title} <small>{g.items.length}</small></h2>
            <ul className="review-list">
              {g.items.map(({ item, index }) => (
                <ItemCard key={item.id} i={item} active={index === active} selected={selected.has(item.id)}
                  onSelect={(on) => setSelected((s) => { const n = new Set(s); if (on) n.add(item.id); else n.delete(item.id); return n; })}
                  onFocus={() => setActive(index)}
                  onDecide={(d) => start(d, { kind: 'items', ids: [item.id] }, 1)}
                  onReassign={() => setReassigning(item)}
                  onHistory={() => setHistory(item.id)} />
              ))}
            </ul>
          </section>
        ))}
        <LoadMore cursor={cursor} loading={loading} more={more} />
      </div>
      {history && <HistoryPanel itemId={history} version={version} onClose={() => setHistory(null)} />}
      {asking && <JustifyDialog asking={asking} onClose={() => setAsking(null)} onDone={async (j) => { await decide(asking.decision, asking.target, j); setAsking(null); }} />}
      {reassigning && <ReassignDialog item={reassigning} onClose={() => setReassigning(null)} onDone={() => { toast('success', 'Review reassigned'); setReassigning(null); refresh(); }} />}
      {help && (
        <Dialog title="Keyboard shortcuts" onClose={() => setHelp(false)} footer={<button type="button" onClick={() => setHelp(false)}>Close</button>}>
          <table className="compact keys" aria-label="Keys"><tbody>{KEYS.map(([k, v]) => <tr key={k}><td><kbd>{k}</kbd></td><td>{v}</td></tr>)}</tbody></table>
        </Dialog>
      )}
    </section>
  );
}
