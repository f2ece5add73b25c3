import { useState } from 'react';
import { api, ApiError } from '../api.js';
import { continuity, type Budgets, type PolicyFull } from '../continuity-api.js';
import { useData } from '../components/useData.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { Empty } from '../components/Empty.js';
import { Pill } from '../components/Pill.js';
import { useToast } from '../components/Toasts.js';
import { PolicyEditor } from '../components/PolicyEditor.js';
import { relativeTime } from '../format.js';

function usersOf(p: PolicyFull): string {
  const s = p.selection;
  const base = s.mode === 'all' ? 'All users' : s.mode === 'list' ? `${s.include.length} listed` : [s.groups.length ? `${s.groups.length} group(s)` : '', s.attributes.length ? `${s.attributes.length} attribute rule(s)` : ''].filter(Boolean).join(', ') || 'Rules';
  return `${base}${s.exclude.length + s.excludeGroups.length ? `, ${s.exclude.length + s.excludeGroups.length} exclusion(s)` : ''}`;
}

function BudgetsSection() {
  const { data, error, reload } = useData(() => continuity.budgets(), []);
  const [draft, setDraft] = useState<Budgets | null>(null);
  const toast = useToast();
  const b = draft ?? data;
  const set = (patch: (x: Budgets) => Budgets) => b && setDraft(patch(structuredClone(b)));
  const save = async () => {
    if (!draft) return;
    try {
      await continuity.saveBudgets(draft);
      toast('success', 'Rate budgets saved');
      setDraft(null);
      reload();
    } catch (e) {
      toast('error', e instanceof ApiError ? `${e.error.title}: ${e.error.message}` : 'Save failed');
    }
  };
  return (
    <section className="panel budgets" aria-label="Rate budgets">
      <h2>Rate budgets</h2>
      <p className="muted">Syncwarden paces every worker to these limits together, so the providers rarely have to refuse a request. Set them to the quotas you have; raise them only after the provider raised yours.</p>
      {error && <ErrorBox error={error} />}
      {b && (
        <div className="row">
          <label><span>Source mailbox: requests</span><input type="number" value={b.sourceMailbox.requests} onChange={(e) => set((x) => ({ ...x, sourceMailbox: { ...x.sourceMailbox, requests: Number(e.target.value) } }))} /></label>
          <label><span>per (minutes)</span><input type="number" value={b.sourceMailbox.windowMinutes} onChange={(e) => set((x) => ({ ...x, sourceMailbox: { ...x.sourceMailbox, windowMinutes: Number(e.target.value) } }))} /></label>
          <label><span>at once</span><input type="number" value={b.sourceMailbox.concurrent} onChange={(e) => set((x) => ({ ...x, sourceMailbox: { ...x.sourceMailbox, concurrent: Number(e.target.value) } }))} /></label>
          <label><span>Destination: units / user / minute</span><input type="number" value={b.destinationUser.unitsPerMinute} onChange={(e) => set((x) => ({ ...x, destinationUser: { unitsPerMinute: Number(e.target.value) } }))} /></label>
          <label><span>units / project / minute</span><input type="number" value={b.destinationProject.unitsPerMinute} onChange={(e) => set((x) => ({ ...x, destinationProject: { unitsPerMinute: Number(e.target.value) } }))} /></label>
          <button type="button" className="primary" disabled={!draft} onClick={() => void save()}>Save budgets</button>
        </div>
      )}
    </section>
  );
}

export function PoliciesPage() {
  const policies = useData(() => continuity.policies(), [], 10_000);
  const connections = useData(() => api.connections(), []);
  const [editing, setEditing] = useState<PolicyFull | 'new' | null>(null);
  const toast = useToast();
  const names = new Map(connections.data?.connections.map((c) => [c.id, c.name]));
  const act = async (fn: () => Promise<unknown>, ok: string) => {
    try {
      await fn();
      toast('success', ok);
      policies.reload();
    } catch (e) {
      toast('error', e instanceof ApiError ? `${e.error.title}: ${e.error.message}` : 'Action failed');
    }
  };
  const held = policies.data?.policies.filter((p) => p.heldCycle) ?? [];
  return (
    <section>
      <div className="page-header">
        <h1>Policies</h1>
        <button type="button" className="primary" disabled={!connections.data} onClick={() => setEditing('new')}>Create policy</button>
      </div>
      {policies.error && <ErrorBox error={policies.error} />}
      {held.map((p) => (
        <div key={p.id} className="held-banner" role="alert">
          <div>
            <strong>Cycle held for approval — {p.name}.</strong> It would remove {p.heldCycle!.removals.length} of {p.heldCycle!.activeCount} users ({p.heldCycle!.percent}%, above the {p.heldCycle!.threshold}% limit). Nothing is removed until you decide.
            <details><summary>Users it would remove</summary><ul>{p.heldCycle!.removals.map((r) => <li key={r.syncUserId}>{r.email} <small className="muted">({r.reason.replace(/_/g, ' ')})</small></li>)}</ul></details>
          </div>
          <div className="actions">
            <button type="button" className="danger" onClick={() => void act(() => continuity.approveHeld(p.id), 'Held cycle approved')}>Approve removals</button>
            <button type="button" onClick={() => void act(() => continuity.rejectHeld(p.id), 'Held cycle rejected')}>Reject</button>
          </div>
        </div>
      ))}
      {policies.data && policies.data.policies.length === 0 && <Empty title="No policies yet">A policy chooses the users to keep in sync, from which source to which destination, and how often.</Empty>}
      {policies.data && policies.data.policies.length > 0 && (
        <div className="table-scroll">
          <table aria-label="Policies">
            <thead><tr><th>Name</th><th>Source → destination</th><th>Users</th><th>Schedule</th><th>Initial window</th><th>Leavers</th><th>Status</th><th>Last / next cycle</th><th /></tr></thead>
            <tbody>
              {policies.data.policies.map((p) => (
                <tr key={p.id}>
                  <td>{p.name}</td>
                  <td>{names.get(p.sourceConnectionId) ?? '…'} → {names.get(p.destinationConnectionId) ?? '…'}</td>
                  <td>{usersOf(p)}</td>
                  <td>every {p.scheduleMinutes} min</td>
                  <td>{p.initialWindowDays} days</td>
                  <td>{p.deletionDelayDays === null ? 'accounts kept' : `accounts deleted after ${p.deletionDelayDays} d`}<div><small className="muted">hold above {p.massDeletionPercent}% removed</small></div></td>
                  <td><Pill status={p.heldCycle ? 'held' : p.enabled ? 'active' : 'not_tested'} label={p.heldCycle ? 'Held' : p.enabled ? 'Enabled' : 'Disabled'} /></td>
                  <td>{relativeTime(p.lastCycleAt)} / {p.enabled ? relativeTime(p.nextCycleAt) : '—'}</td>
                  <td className="actions">
                    <button type="button" onClick={() => setEditing(p)}>Edit</button>
                    <button type="button" onClick={() => void act(() => api.setPolicyEnabled(p.id, !p.enabled), `Policy ${p.enabled ? 'disabled' : 'enabled'}`)}>{p.enabled ? 'Disable' : 'Enable'}</button>
                    <button type="button" onClick={() => void act(() => api.runPolicy(p.id), 'Sync cycle queued')}>Run now</button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <BudgetsSection />
      {editing && connections.data && (
        <PolicyEditor
          connections={connections.data.connections}
          policy={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={() => {
            toast('success', editing === 'new' ? 'Policy created' : 'Policy saved');
            setEditing(null);
            policies.reload();
          }}
        />
      )}
    </section>
  );
}
