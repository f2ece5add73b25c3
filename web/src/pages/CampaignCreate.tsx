import { useEffect, useMemo, useState } from 'react';
import type { RenderedError } from '../api.js';
import { authApi } from '../auth-api.js';
import { ACCESS_KINDS, campaignsApi, KIND_LABELS, KIND_PROVIDER, MODE_LABELS, NO_RESPONSE_LABELS, reviewsApi, type AccessKind, type CampaignInput, type Person, type ReviewerMode, type ScopePreview } from '../campaigns-api.js';
import { directoryApi, kindName } from '../directory-api.js';
import { useData } from '../components/useData.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { useMe } from '../components/Me.js';
import { useToast } from '../components/Toasts.js';
import { asError, useDebounced } from '../components/CampaignBits.js';
import { formatCount } from '../format.js';

type Every = NonNullable<CampaignInput['recurrence']>['every'];
const EVERY_LABELS: Record<Every, string> = { none: 'One-off', monthly: 'Monthly', quarterly: 'Quarterly', half_yearly: 'Every six months', yearly: 'Yearly' };

/** The people who can review: GET /reviews/reviewers, or the users list when that is not there. */
async function loadPeople(): Promise<Person[]> {
  try {
    return (await reviewsApi.reviewers()).people;
  } catch {
    const { users } = await authApi.users();
    return users.filter((u) => !u.disabled).map((u) => ({ userId: u.id, email: u.email, displayName: u.displayName }));
  }
}

function PeoplePicker({ label, people, value, onChange }: { label: string; people: Person[]; value: string[]; onChange: (v: string[]) => void }) {
  return (
    <fieldset className="picker" aria-label={label}>
      <legend>{label}</legend>
      {people.map((p) => (
        <label key={p.userId} className="check">
          <input type="checkbox" checked={value.includes(p.userId)} onChange={(e) => onChange(e.target.checked ? [...value, p.userId] : value.filter((x) => x !== p.userId))} />
          <span>{p.displayName} <small>{p.email}</small></span>
        </label>
      ))}
    </fieldset>
  );
}

function Preview({ preview, error, busy, people, fallbackId }: { preview: ScopePreview | null; error: RenderedError | null; busy: boolean; people: Person[]; fallbackId: string }) {
  const fallbackName = people.find((p) => p.userId === fallbackId)?.displayName ?? 'the fallback reviewer';
  return (
    <aside className="panel scope-preview" aria-label="Scope preview">
      <h2>Scope preview {busy && <small className="muted">updating…</small>}</h2>
      {error && <ErrorBox error={error} compact />}
      {!preview && !error && <div className="muted">Choose at least one connection and one kind of access to see what the campaign would review.</div>}
      {preview && (
        <>
          <div className="stat-value" data-testid="preview-items">{formatCount(preview.items)}</div>
          <div className="stat-label">items to review</div>
          <ul className="by-kind">
            {Object.entries(preview.byKind).filter(([, n]) => (n ?? 0) > 0).map(([k, n]) => <li key={k}>{KIND_LABELS[k as AccessKind] ?? k}: {formatCount(n ?? 0)}</li>)}
          </ul>
          <h3>Reviewers <small>{preview.reviewers.length}</small></h3>
          {preview.reviewers.length === 0 ? <div className="muted">No reviewer yet.</div> : (
            <table className="compact" aria-label="Reviewers in the preview">
              <thead><tr><th>Reviewer</th><th>Items</th></tr></thead>
              <tbody>
                {preview.reviewers.map((r) => <tr key={r.reviewer.userId}><td>{r.reviewer.displayName}<div><small>{r.reviewer.email}</small></div></td><td>{formatCount(r.items)}</td></tr>)}
              </tbody>
            </table>
          )}
          <h3>To the fallback reviewer <small data-testid="preview-fallback">{formatCount(preview.fallback)}</small></h3>
          {preview.fallback === 0 ? <div className="ok-text">The reviewers the campaign names cover every item.</div> : (
            <>
              <div className="muted">Nobody the reviewer setting names could review these (no manager or owner with a Syncwarden account, or only the person themself): {fallbackName} gets them.</div>
              <ul className="unassigned" aria-label="Items for the fallback reviewer">
                {preview.fallbackSample.map((u, i) => <li key={i}><strong>{u.account}</strong> · {u.access}<div><small>{u.why}</small></div></li>)}
              </ul>
            </>
          )}
          <h3>Without a reviewer <small>{formatCount(preview.unassigned)}</small></h3>
          {preview.unassigned === 0 ? <div className="ok-text">Every item has a reviewer.</div> : (
            <>
              <div className="warn-text">Not even the fallback reviewer can take these (they are the person themself): choose another fallback.</div>
              <ul className="unassigned">
                {preview.unassignedSample.map((u, i) => <li key={i}><strong>{u.account}</strong> · {u.access}<div><small>{u.why}</small></div></li>)}
              </ul>
            </>
          )}
        </>
      )}
    </aside>
  );
}

/** `#/campaigns/new`: the campaign's settings with sensible defaults, and the scope it yields before it starts. */
export function CampaignCreatePage() {
  const me = useMe();
  const toast = useToast();
  const statuses = useData(() => directoryApi.statuses(), []);
  const people = useData(loadPeople, []);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [connectionIds, setConnectionIds] = useState<string[]>([]);
  const [kinds, setKinds] = useState<AccessKind[]>([]);
  const [guestsOnly, setGuestsOnly] = useState(false);
  const [privilegedOnly, setPrivilegedOnly] = useState(false);
  const [inactiveDays, setInactiveDays] = useState('');
  const [mode, setMode] = useState<ReviewerMode>('manager');
  const [named, setNamed] = useState<string[]>([]);
  const [fallback, setFallback] = useState(me.user.id);
  const [twoStages, setTwoStages] = useState(false);
  const [mode2, setMode2] = useState<ReviewerMode>('named');
  const [named2, setNamed2] = useState<string[]>([]);
  const [durationDays, setDurationDays] = useState('14');
  const [every, setEvery] = useState<Every>('none');
  const [times, setTimes] = useState('');
  const [until, setUntil] = useState('');
  const [applyOnClose, setApplyOnClose] = useState(false);
  const [noResponse, setNoResponse] = useState<CampaignInput['noResponse']>('keep');
  const [justification, setJustification] = useState<CampaignInput['justification']>('on_revoke');
  const [reminders, setReminders] = useState('7, 3, 1');
  const [escalate, setEscalate] = useState(false);
  const [escalateDays, setEscalateDays] = useState('7');
  const [escalateTo, setEscalateTo] = useState<'manager' | 'fallback'>('manager');
  const [escalateMode, setEscalateMode] = useState<'add' | 'replace'>('add');
  const [sharePct, setSharePct] = useState('20');
  const [perConnection, setPerConnection] = useState('500');
  const [error, setError] = useState<RenderedError | null>(null);
  const [busy, setBusy] = useState(false);

  const connections = statuses.data ?? [];
  // Every connection is chosen at first; then the admin's choice stands.
  const [defaulted, setDefaulted] = useState({ connections: false, kinds: false });
  useEffect(() => {
    if (statuses.data && !defaulted.connections) {
      setConnectionIds(statuses.data.map((s) => s.connectionId));
      setDefaulted((d) => ({ ...d, connections: true }));
    }
  }, [statuses.data]);
  const chosenKinds = new Set(connections.filter((c) => connectionIds.includes(c.connectionId)).map((c) => c.kind));
  const offered = ACCESS_KINDS.filter((k) => KIND_PROVIDER[k].some((p) => chosenKinds.has(p)));
  // Every kind the chosen connections hold (but access keys) is chosen once, at first; then the admin's choice stands.
  useEffect(() => {
    if (!defaulted.kinds && offered.length > 0) {
      setKinds(offered.filter((k) => k !== 'aws_access_key'));
      setDefaulted((d) => ({ ...d, kinds: true }));
    }
  }, [offered.join()]);

  const input: CampaignInput = useMemo(() => ({
    name: name.trim(),
    ...(description.trim() ? { description: description.trim() } : {}),
    connectionIds,
    kinds: kinds.filter((k) => offered.includes(k)),
    filters: { ...(guestsOnly ? { guestsOnly } : {}), ...(privilegedOnly ? { privilegedOnly } : {}), ...(Number(inactiveDays) > 0 ? { inactiveDays: Number(inactiveDays) } : {}) },
    reviewers: { mode, ...(mode === 'named' ? { userIds: named } : {}), fallbackUserId: fallback },
    secondStage: twoStages ? { mode: mode2, ...(mode2 === 'named' ? { userIds: named2 } : {}) } : null,
    durationDays: Number(durationDays) || 14,
    recurrence: { every, ...(every !== 'none' && Number(times) > 0 ? { times: Number(times) } : {}), ...(every !== 'none' && /^\d{4}-\d{2}-\d{2}$/.test(until) ? { until } : {}) },
    noResponse,
    justification,
    reminderDays: reminders.split(/[\s,]+/).map(Number).filter((n) => Number.isInteger(n) && n >= 0),
    escalation: escalate ? { afterDays: Number(escalateDays) || 7, to: escalateTo, mode: escalateMode } : null,
    breaker: { maxShareOfResource: (Number(sharePct) || 0) / 100, maxPerConnection: Number(perConnection) || 0 },
    ...(applyOnClose ? { applyOnClose } : {}),
  }), [name, description, connectionIds, kinds, offered.join(), guestsOnly, privilegedOnly, inactiveDays, mode, named, fallback, twoStages, mode2, named2, durationDays, every, times, until, applyOnClose, noResponse, justification, reminders, escalate, escalateDays, escalateTo, escalateMode, sharePct, perConnection]);

  // The scope preview follows the form, after a pause.
  const debounced = useDebounced(input, 400);
  const [preview, setPreview] = useState<ScopePreview | null>(null);
  const [previewError, setPreviewError] = useState<RenderedError | null>(null);
  const [previewing, setPreviewing] = useState(false);
  const ready = debounced.connectionIds.length > 0 && debounced.kinds.length > 0 && (debounced.reviewers.mode !== 'named' || (debounced.reviewers.userIds?.length ?? 0) > 0);
  useEffect(() => {
    if (!ready) { setPreview(null); return; }
    let live = true;
    setPreviewing(true);
    campaignsApi.preview({ ...debounced, name: debounced.name || 'Preview' })
      .then((p) => { if (live) { setPreview(p); setPreviewError(null); } })
      .catch((e: unknown) => { if (live) setPreviewError(asError(e)); })
      .finally(() => { if (live) setPreviewing(false); });
    return () => { live = false; };
  }, [JSON.stringify(debounced), ready]);

  const problems: string[] = [];
  if (!input.name) problems.push('Give the campaign a name.');
  if (input.connectionIds.length === 0) problems.push('Choose at least one directory connection.');
  if (input.kinds.length === 0) problems.push('Choose at least one kind of access.');
  if (mode === 'named' && named.length === 0) problems.push('Choose the named reviewers.');
  if (twoStages && mode2 === 'named' && named2.length === 0) problems.push('Choose the second stage reviewers.');

  const create = async (start: boolean) => {
    setError(null);
    if (problems.length) return;
    setBusy(true);
    try {
      const { campaign } = await campaignsApi.create(input);
      if (start) await campaignsApi.start(campaign.id);
      toast('success', start ? `Campaign “${campaign.name}” started` : `Campaign “${campaign.name}” saved as a draft`);
      window.location.hash = `#/campaigns/${encodeURIComponent(campaign.id)}`;
    } catch (e) {
      setError(asError(e));
    } finally {
      setBusy(false);
    }
  };
  const ppl = people.data ?? [];
  const toggle = <T,>(list: T[], v: T, on: boolean) => (on ? [...list, v] : list.filter((x) => x !== v));

  return (
    <section>
      <a href="#/campaigns" className="back">← Campaigns</a>
      <div className="page-header"><h1>Create campaign</h1></div>
      <div className="with-panel">
        <form className="campaign-form" aria-label="Campaign" onSubmit={(e) => { e.preventDefault(); void create(false); }}>
          <fieldset>
            <legend>Campaign</legend>
            <label><span>Name<span className="required">*</span></span><input aria-label="Name" value={name} onChange={(e) => setName(e.target.value)} placeholder="Q1 access review" /></label>
            <label><span>Description</span><textarea aria-label="Description" rows={2} value={description} onChange={(e) => setDescription(e.target.value)} /></label>
          </fieldset>
          <fieldset>
            <legend>Scope</legend>
            <div className="field-title">Directory connections</div>
            {statuses.error && <ErrorBox error={statuses.error} compact />}
            {statuses.data && connections.length === 0 && <div className="muted">No directory connection yet: add one on <a href="#/connections">Connections</a>.</div>}
            <div className="checks">
              {connections.map((c) => (
                <label key={c.connectionId} className="check">
                  <input type="checkbox" checked={connectionIds.includes(c.connectionId)} onChange={(e) => setConnectionIds(toggle(connectionIds, c.connectionId, e.target.checked))} />
                  <span>{c.connectionName} <small>{kindName(c.kind)}</small></span>
                </label>
              ))}
            </div>
            <div className="field-title">Kinds of access</div>
            <div className="checks">
              {offered.map((k) => (
                <label key={k} className="check">
                  <input type="checkbox" checked={kinds.includes(k)} onChange={(e) => setKinds(toggle(kinds, k, e.target.checked))} />
                  <span>{KIND_LABELS[k]}</span>
                </label>
              ))}
              {offered.length === 0 && <span className="muted">Choose a connection first.</span>}
            </div>
            <div className="field-title">Only</div>
            <div className="row">
              <label className="check"><input type="checkbox" checked={guestsOnly} onChange={(e) => setGuestsOnly(e.target.checked)} /><span>Guests and external identities</span></label>
              <label className="check"><input type="checkbox" checked={privilegedOnly} onChange={(e) => setPrivilegedOnly(e.target.checked)} /><span>Privileged access</span></label>
              <label className="inline">Inactive for <input className="num" type="number" min={1} aria-label="Inactive for days" value={inactiveDays} onChange={(e) => setInactiveDays(e.target.value)} placeholder="any" /> days</label>
            </div>
          </fieldset>
          <fieldset>
            <legend>Reviewers</legend>
            <label><span>Who reviews</span>
              <select aria-label="Who reviews" value={mode} onChange={(e) => setMode(e.target.value as ReviewerMode)}>
                {(Object.keys(MODE_LABELS) as ReviewerMode[]).map((m) => <option key={m} value={m}>{MODE_LABELS[m]}</option>)}
              </select>
            </label>
            {mode === 'named' && <PeoplePicker label="Named reviewers" people={ppl} value={named} onChange={setNamed} />}
            <label><span>Fallback reviewer</span>
              <select aria-label="Fallback reviewer" value={fallback} onChange={(e) => setFallback(e.target.value)}>
                {!ppl.some((p) => p.userId === fallback) && <option value={fallback}>{me.user.displayName} ({me.user.email})</option>}
                {ppl.map((p) => <option key={p.userId} value={p.userId}>{p.displayName} ({p.email})</option>)}
              </select>
              <small>Reviews items with no manager or owner, and anyone&apos;s own access (nobody reviews themselves).</small>
            </label>
            <label className="check"><input type="checkbox" checked={twoStages} onChange={(e) => setTwoStages(e.target.checked)} /><span>A second stage (sees the first stage&apos;s decisions)</span></label>
            {twoStages && (
              <>
                <label><span>Second stage reviewers</span>
                  <select aria-label="Second stage reviewers" value={mode2} onChange={(e) => setMode2(e.target.value as ReviewerMode)}>
                    {(Object.keys(MODE_LABELS) as ReviewerMode[]).map((m) => <option key={m} value={m}>{MODE_LABELS[m]}</option>)}
                  </select>
                </label>
                {mode2 === 'named' && <PeoplePicker label="Second stage named reviewers" people={ppl} value={named2} onChange={setNamed2} />}
              </>
            )}
          </fieldset>
          <fieldset>
            <legend>Schedule and rules</legend>
            <div className="row">
              <label><span>Duration (days{twoStages ? ', per stage' : ''})</span><input className="num" type="number" min={1} max={365} aria-label="Duration in days" value={durationDays} onChange={(e) => setDurationDays(e.target.value)} /></label>
              <label><span>Repeats</span>
                <select aria-label="Repeats" value={every} onChange={(e) => setEvery(e.target.value as Every)}>
                  {(Object.keys(EVERY_LABELS) as Every[]).map((k) => <option key={k} value={k}>{EVERY_LABELS[k]}</option>)}
                </select>
              </label>
              {every !== 'none' && <label><span>Times (empty: no limit)</span><input className="num" type="number" min={1} aria-label="Times" value={times} onChange={(e) => setTimes(e.target.value)} /></label>}
              {every !== 'none' && <label><span>Until (empty: until cancelled)</span><input type="date" aria-label="Repeats until" value={until} onChange={(e) => setUntil(e.target.value)} /></label>}
              <label><span>Reminders (days before the deadline)</span><input aria-label="Reminder days" value={reminders} onChange={(e) => setReminders(e.target.value)} /></label>
            </div>
            <div className="row">
              <label><span>When a reviewer does not respond</span>
                <select aria-label="No response" value={noResponse} onChange={(e) => setNoResponse(e.target.value as CampaignInput['noResponse'])}>
                  {(Object.keys(NO_RESPONSE_LABELS) as CampaignInput['noResponse'][]).map((k) => <option key={k} value={k}>{NO_RESPONSE_LABELS[k]}</option>)}
                </select>
              </label>
              <label><span>Justification</span>
                <select aria-label="Justification" value={justification} onChange={(e) => setJustification(e.target.value as CampaignInput['justification'])}>
                  <option value="on_revoke">Required on Revoke</option>
                  <option value="always">Always required</option>
                </select>
              </label>
            </div>
            <label className="check"><input type="checkbox" checked={applyOnClose} onChange={(e) => setApplyOnClose(e.target.checked)} /><span>Apply the revocations when the deadline closes the campaign (the circuit breaker still holds a large apply for approval)</span></label>
            <label className="check"><input type="checkbox" checked={escalate} onChange={(e) => setEscalate(e.target.checked)} /><span>Escalate when a reviewer decides nothing</span></label>
            {escalate && (
              <div className="row">
                <label className="inline">after <input className="num" type="number" min={1} aria-label="Escalate after days" value={escalateDays} onChange={(e) => setEscalateDays(e.target.value)} /> days</label>
                <label className="inline">to <select aria-label="Escalate to" value={escalateTo} onChange={(e) => setEscalateTo(e.target.value as 'manager' | 'fallback')}><option value="manager">their manager</option><option value="fallback">the fallback reviewer</option></select></label>
                <label className="inline"><select aria-label="Escalation mode" value={escalateMode} onChange={(e) => setEscalateMode(e.target.value as 'add' | 'replace')}><option value="add">as an additional reviewer</option><option value="replace">replacing the reviewer</option></select></label>
              </div>
            )}
            <div className="field-title">Circuit breaker (holds the apply for an admin&apos;s approval)</div>
            <div className="row">
              <label className="inline">more than <input className="num" type="number" min={0} max={100} aria-label="Breaker share of a resource" value={sharePct} onChange={(e) => setSharePct(e.target.value)} /> % of one group&apos;s or role&apos;s members</label>
              <label className="inline">or more than <input className="num" type="number" min={0} aria-label="Breaker revocations per connection" value={perConnection} onChange={(e) => setPerConnection(e.target.value)} /> on one connection</label>
            </div>
          </fieldset>
          {error && <ErrorBox error={error} />}
          {problems.length > 0 && <ul className="form-problems" aria-label="Still needed">{problems.map((p) => <li key={p}>{p}</li>)}</ul>}
          <div className="actions">
            <button type="submit" disabled={busy || problems.length > 0}>Create draft</button>
            <button type="button" className="primary" disabled={busy || problems.length > 0} onClick={() => void create(true)}>Create and start</button>
            <a href="#/campaigns">Cancel</a>
          </div>
        </form>
        <Preview preview={preview} error={previewError} busy={previewing} people={ppl} fallbackId={fallback} />
      </div>
    </section>
  );
}
